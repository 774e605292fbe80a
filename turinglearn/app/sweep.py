"""``turinglearn sweep``: one preset or config over many seeds, on any backend, one table.

Each seed is a full run with its own run directory ``OUT/seed-N`` (checkpoints included).
The runs are the backend's tasks: a local process pool or a Dask cluster runs several at
once; inside a worker a run computes in-process. A budget (``--max-time``, ``--max-simulations``:
``stopping.max_time``, ``stopping.max_simulations``) is each run's own, from its start; a run it
stops is in the table with the generations it did, and said so. Rerunning a sweep into the same
directory keeps the finished runs, resumes the interrupted ones and those a budget stopped
(each with a fresh budget: the rerun's, else the one the run was started with) and starts the
missing ones.
``OUT/results.json`` (one entry per seed), ``OUT/table.md`` (median and interquartile range of
every parameter's error, C2ST, seconds per run; then beside each parameter's median error the
spread of its estimates over seeds, and how often the held-out test's interval held the truth)
and ``OUT/errors.png`` are written at the end;
every run's own directory is complete as soon as the run is.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from turinglearn.app.printing import C2ST_TELLS_APART
from turinglearn.app.report import number_format
from turinglearn.app.runs import CONFIG_FILE, SUMMARY_FILE, atomic_write, is_run, read_status, write_json
from turinglearn.app.stopping import BUDGETS
from turinglearn.errors import TuringLearnError


def result_row(summary: dict) -> dict:
    """One run's row of a multi-run table (see :func:`turinglearn.app.report.table`)."""
    return {
        "task": summary["name"],
        "learner": summary.get("learner", "turing"),
        "seed": summary["seed"],
        "names": summary["parameters"],
        "bounds": summary.get("bounds"),  # {lower, upper}: how the tables print its values
        "truth": summary["truth"],
        "inferred": summary["inferred"],
        "abs_error": summary["abs_error"],
        "c2st": summary["c2st"],
        "interval": summary.get("interval"),
        "behaviour": summary.get("behaviour"),
        "seconds": summary["seconds"],
        "stopped": summary.get("stopped"),  # {rule, generation} when a stopping rule ended the run
        "rejected": (summary.get("test") or {}).get("rejected"),  # the held-out test's verdict (None: not run)
        "level": (summary.get("test") or {}).get("level"),
    }


def _one_seed(task: tuple) -> dict:
    """Run (or finish) one seed's run directory; its summary row. A run a budget stopped is
    continued, with the sweep's budget if it gives one."""
    source, overrides, seed, run_dir = task
    from turinglearn.app.checkpoint import plain_value, resumable, settings_of
    from turinglearn.app.driver import resume, run_experiment
    from turinglearn.app.resuming import paths_of_a_run
    from turinglearn.config import load_config

    run_dir = Path(run_dir)
    if is_run(run_dir) and read_status(run_dir).get("status") == "complete":
        return result_row(json.loads((run_dir / SUMMARY_FILE).read_text()))
    if is_run(run_dir):
        # the stopping settings, less a restart's the run already has (a resume refuses to change
        # those: they shape the run, and one that differs is an error there)
        ran_config = load_config(run_dir / CONFIG_FILE, strict=False)
        ran = settings_of(ran_config)
        budget = {
            k: v for k, v in overrides.items()
            if k.startswith("stopping.") and (resumable(k, ran_config) or ran.get(k) != plain_value(v))
        }  # fmt: skip
        return result_row(
            resume(run_dir, overrides={**budget, "execution.backend": "inprocess"}, handle_signals=True).summary()
        )
    config = load_config(source, {**overrides, "seed": seed, "execution.backend": "inprocess"})
    config = paths_of_a_run(config, source, overrides, lambda m: None)  # a run's config.toml swept again
    # SIGINT / SIGTERM (Slurm's time limit) stop the seed's run after its generation, with a
    # checkpoint, as `turinglearn run` does: rerunning the sweep continues it
    return result_row(run_experiment(config, out=run_dir, handle_signals=True).summary())


def _same_settings(source, overrides: dict, seed: int, run_dir) -> None:
    """A TuringLearnError where ``run_dir`` holds a run of other settings than the sweep's for
    ``seed`` (those that shape a run: :func:`~turinglearn.app.checkpoint.fingerprint`'s): a sweep
    rerun into its directory with another preset, --generations or --set had kept the old runs
    and tabled them beside the new."""
    from turinglearn.app.checkpoint import fingerprint
    from turinglearn.config import load_config

    run_dir = Path(run_dir)
    if not is_run(run_dir):
        return
    try:
        ran = fingerprint(load_config(run_dir / CONFIG_FILE, strict=False))["settings"]
    except TuringLearnError:
        return  # a damaged config: the resume names it
    now = fingerprint(load_config(source, {**overrides, "seed": seed, "execution.backend": "inprocess"}))["settings"]
    keys = sorted(k for k in set(ran) | set(now) if ran.get(k) != now.get(k))
    if keys:
        shown = "; ".join(f"{k} = {now.get(k)!r}, the run's {ran.get(k)!r}" for k in keys[:4])
        raise TuringLearnError(
            f"{run_dir} holds a run of other settings than this sweep's ({shown}{' ...' if len(keys) > 4 else ''}): "
            f"give the sweep another --out, or the settings it was run with to finish it"
        )


def run_sweep(
    source: str | Path,
    seeds: Sequence[int],
    out: Path,
    overrides: Mapping[str, Any] | None = None,
    execution=None,
    log=print,
) -> str:
    """Run ``source`` (a preset name or TOML file) once per seed into ``out``; the table (markdown)."""
    from turinglearn.app.report import box_plot, table
    from turinglearn.config import ExecutionConfig
    from turinglearn.execution.backends import make_backend

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    execution = execution or ExecutionConfig()
    tasks = [(str(source), dict(overrides or {}), s, str(out / f"seed-{s}")) for s in seeds]
    for task in tasks:  # before any work: a seed run with other settings would join the table as if alike
        _same_settings(*task)
    log(f"sweep: {source} over {len(seeds)} seeds on backend {execution.backend} -> {out}")
    # whole runs as tasks: no timeout (a run takes as long as it takes)
    with make_backend(dataclasses.replace(execution, timeout=0.0), log=log) as backend:
        results = backend.map(_one_seed, tasks)
    write_json(out / "results.json", results)
    text = table(results) + "\n" + spread_table(results) + verdicts(results)
    stopped = [r["seed"] for r in results if (r.get("stopped") or {}).get("rule") in BUDGETS]
    if stopped:
        text += (
            f"\n{len(stopped)} of {len(results)} runs (seeds {', '.join(map(str, stopped))}) were stopped by "
            "a budget before their generations; rerun the sweep to continue them.\n"
        )
    atomic_write(out / "table.md", text + "\n")
    if not box_plot(results, out / "errors.png"):  # no run with a truth: no errors to plot
        (out / "errors.png").unlink(missing_ok=True)  # nor one left from an earlier sweep of these runs
    return text


def verdicts(results: Sequence[dict]) -> str:
    """One line per task and learner: how many runs' estimates the held-out test rejected, beside
    how many a model as good as the system would have rejected by chance at its level (the count
    that tells a model that cannot express the system from bad luck), and how many the C2ST told
    apart (a statistician's family that could not reach the truth was rejected as often as one
    that could, 2 of 6, while its C2ST read 0.77-0.83); '' where no test ran."""
    lines = []
    for task in dict.fromkeys(r["task"] for r in results):
        for learner in dict.fromkeys(r["learner"] for r in results if r["task"] == task):
            mine = [r for r in results if r["task"] == task and r["learner"] == learner and r.get("rejected") is not None]
            if mine:
                level = mine[0].get("level") or 0.9
                apart = [r for r in mine if (r.get("c2st") or 0) >= C2ST_TELLS_APART]
                unseen = any(not r["rejected"] for r in apart)  # told apart, yet the fast test accepted
                lines.append(
                    f"{task}, {learner}: the held-out test rejected the estimate in {sum(r['rejected'] for r in mine)} "
                    f"of {len(mine)} runs (a model as good as the system: about {1 - level:.0%} of runs by chance)"
                    + (
                        f"; the C2ST told it apart (>= {C2ST_TELLS_APART:g}) in {len(apart)} of {len(mine)}"
                        + (
                            ", in runs the fast test accepted (its linear classifier may not see the difference): "
                            "compare hypotheses by both"
                            if unseen
                            else ""
                        )
                        if apart
                        else ""
                    )
                )
    return "\n".join(lines) + "\n" if lines else ""


def _median(values) -> float:
    values = sorted(v for v in values if v is not None and not math.isnan(v))
    if not values:
        return math.nan
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def spread_table(results: Sequence[dict]) -> str:
    """Markdown: per task, learner and parameter, the median error beside the spread of the
    estimates over seeds (standard deviation, and min .. max), so run-to-run variability is
    visible; where runs report the held-out test's intervals, how many held the truth and
    their median width."""
    out = []
    for task in dict.fromkeys(r["task"] for r in results):
        rows = [r for r in results if r["task"] == task]
        out += [
            f"### {task}: estimates over seeds\n",
            "| learner | parameter | median error | estimates: median, sd [min, max] | interval holds truth | median interval width (hi - lo) |",
            "|---|---|---|---|---|---|",
        ]
        for learner in dict.fromkeys(r["learner"] for r in rows):
            mine = [r for r in rows if r["learner"] == learner]
            for i, name in enumerate(mine[0]["names"]):
                est = [r["inferred"][i] for r in mine]
                mean = sum(est) / len(est)
                sd = math.sqrt(sum((v - mean) ** 2 for v in est) / max(1, len(est) - 1))
                err = _median([r["abs_error"][i] for r in mine if r["abs_error"]])
                ivs = [(r, (r.get("interval") or {}).get(name)) for r in mine]
                told_apart = sum(1 for _, iv in ivs if iv and iv.get("lo") is None)  # drawn none: the test told it apart
                ivs = [(r, iv) for r, iv in ivs if iv and iv.get("lo") is not None]
                known = [(r, iv) for r, iv in ivs if r["truth"]]  # a recording of real data has no truth
                held = sum(iv["lo"] <= r["truth"][i] <= iv["hi"] for r, iv in known)
                cover = (
                    f"{held} of {len(known)}" if known else "- (no truth)" if ivs
                    else "none drawn (told apart)" if told_apart else "not computed"
                )  # fmt: skip
                cover += f"; {told_apart} told apart" if ivs and told_apart else ""
                f = number_format(mine[0].get("bounds"), mine[0]["names"], name)
                width = f"{_median([iv['hi'] - iv['lo'] for _, iv in ivs]):{f}}" if ivs else "-"
                out.append(
                    f"| {learner} | {name} | {err:{f}} | {_median(est):+{f}}, {sd:{f}} [{min(est):+{f}}, "
                    f"{max(est):+{f}}] | {cover} | {width} |"
                )
        out.append("")
    return "\n".join(out)


def report_runs(run_dirs) -> int:
    """Several runs' summaries as one table over the runs (the sweep's), the held-out test's
    verdicts counted; runs that did not finish are named and left out."""
    from turinglearn.app.printing import read_summary
    from turinglearn.app.report import table

    rows = []
    for run_dir in run_dirs:
        if not run_dir.is_dir():
            raise TuringLearnError(f"{run_dir} is not a directory; give run directories that `turinglearn run` wrote")
        status = read_status(run_dir)
        summary, damaged = read_summary(run_dir / SUMMARY_FILE)
        if damaged is not None:
            raise damaged
        if summary is None or "parameters" not in summary:  # unfinished, or a GAN (no parameters to tabulate)
            why = "a GAN run" if summary is not None else f"{status.get('status')}, no summary.json"
            print(f"left out: {run_dir} ({why})")
            continue
        rows.append(result_row(summary))
    if not rows:
        raise TuringLearnError("none of the runs finished with a summary of parameters to tabulate")
    kinds: dict[str, set] = {}
    for r in rows:  # runs of one name but other parameters (two hypotheses) or other truths are tables apart
        kinds.setdefault(r["task"], set()).add((tuple(r["names"]), tuple(r["truth"] or ())))
    for r in rows:
        names, truths = {n for n, _ in kinds[r["task"]]}, {t for _, t in kinds[r["task"]]}
        label = [f"({', '.join(r['names'])})"] if len(names) > 1 else []
        if len(truths) > 1:
            label.append(f"truth ({', '.join(f'{v:g}' for v in r['truth'])})" if r["truth"] else "no truth")
        if label:
            r["task"] = f"{r['task']} {', '.join(label)}" if len(names) > 1 else f"{r['task']}, {label[0]}"
    seen: dict[tuple, int] = {}
    for r in rows:
        seen[(r["task"], r["learner"], r["seed"])] = seen.get((r["task"], r["learner"], r["seed"]), 0) + 1
    for (task, learner, seed), n in seen.items():
        if n > 1:
            print(f"note: {n} runs of {task}, {learner} share seed {seed}: not independent draws, each counted")
    print(table(rows))
    print(spread_table(rows))
    print(verdicts(rows), end="")
    return 0
