"""``turinglearn benchmark swarm``: Turing Learning against the metric-based baselines.

For every task (swarm preset) and learner (``turing``, ``metric-sse``, ``metric-histogram``)
and seed, one full run with the same model family, optimiser and simulation budget; then a
table (median and interquartile range of every parameter's absolute error, summed error,
C2ST, wall time, and in how many paired seeds Turing Learning beats each baseline) and box
plots of the summed error. Runs go to a process pool (``--jobs``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from .runs import atomic_write, write_json

TASKS = ("aggregation", "object-clustering")
LEARNERS = ("turing", "metric-sse", "metric-histogram")


def _one(job: tuple) -> dict:
    task, learner, seed, overrides = job
    from .experiment import learn
    from .sweep import result_row

    t0 = time.perf_counter()
    r = learn(task, seed=seed, overrides={**overrides, "learner.kind": learner})
    # the preset's name, not the config's, names the task; the time includes C2ST
    return {
        **result_row(r.summary()),
        "task": task,
        "seconds": time.perf_counter() - t0,
        "overrides": overrides,
    }


def _q(a: np.ndarray) -> str:
    q25, med, q75 = np.quantile(a, [0.25, 0.5, 0.75])
    return f"{med:.3f} [{q25:.3f}, {q75:.3f}]"


def table(results: Sequence[dict]) -> str:
    """Markdown tables, one per task."""
    out = []
    for task in dict.fromkeys(r["task"] for r in results):
        rows = [r for r in results if r["task"] == task]
        names = rows[0]["names"]
        ratio = all((r.get("behaviour") or {}).get("cluster_ratio") is not None for r in rows)
        out.append(f"### {task}\n")
        out.append(
            "| learner | "
            + " | ".join(names)
            + " | summed error | C2ST |"
            + (" cluster ratio |" if ratio else "")
            + " seconds per run |"
        )
        out.append("|---" * (len(names) + 4 + ratio) + "|")
        summed = {}
        for learner in dict.fromkeys(r["learner"] for r in rows):
            mine = sorted((r for r in rows if r["learner"] == learner), key=lambda r: r["seed"])
            err = np.array([r["abs_error"] for r in mine])
            summed[learner] = {r["seed"]: e for r, e in zip(mine, err.sum(axis=1), strict=True)}
            c2st = np.array([r["c2st"] for r in mine], dtype=float)
            out.append(
                f"| {learner} | "
                + " | ".join(_q(err[:, i]) for i in range(len(names)))
                + f" | {_q(err.sum(axis=1))} | {np.nanmedian(c2st):.2f} |"
                + (f" {_q(np.array([r['behaviour']['cluster_ratio'] for r in mine]))} |" if ratio else "")
                + f" {np.median([r['seconds'] for r in mine]):.0f} |"
            )
        out.append("\nmedian [25 %, 75 %] of the absolute error over seeds.")
        if ratio:
            out.append(
                "cluster ratio: final largest-cluster fraction of fresh arenas run by the inferred "
                "controller over the truth's (1 = clusters as well as the truth)."
            )
        if "turing" in summed:
            for learner, errs in summed.items():
                if learner == "turing":
                    continue
                paired = [s for s in errs if s in summed["turing"]]
                wins = sum(summed["turing"][s] < errs[s] for s in paired)
                out.append(
                    f"Turing Learning's summed error below {learner}'s in {wins} of {len(paired)} paired seeds."
                )
        out.append("")
    return "\n".join(out)


def box_plot(results: Sequence[dict], path: Path) -> None:
    from .report import _pyplot, _save

    plt = _pyplot()
    tasks = list(dict.fromkeys(r["task"] for r in results))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        learners = list(dict.fromkeys(r["learner"] for r in results if r["task"] == task))
        data = [
            [sum(r["abs_error"]) for r in results if r["task"] == task and r["learner"] == k]
            for k in learners
        ]
        ax.boxplot(data, tick_labels=learners)
        ax.set_yscale("log")
        ax.set_title(task)
        ax.set_ylabel("summed absolute parameter error")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def run_swarm_benchmark(
    seeds: Sequence[int],
    out: Path,
    jobs: int = 2,
    tasks: Sequence[str] = TASKS,
    learners: Sequence[str] = LEARNERS,
    overrides: dict | None = None,
    log=print,
) -> str:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    overrides = dict(overrides or {})
    # A benchmark interrupted (or spread over several sittings) goes on where it stopped:
    # runs already in results.json with the same settings are kept, not repeated.
    results = load_results(out / "results.json") if (out / "results.json").exists() else []
    done = {(r["task"], r["learner"], r["seed"]) for r in results if r.get("overrides", {}) == overrides}
    results = [r for r in results if (r["task"], r["learner"], r["seed"]) in done]
    job_list = [(t, k, s, overrides) for t in tasks for k in learners for s in seeds if (t, k, s) not in done]
    log(
        f"benchmark swarm: {len(job_list)} runs ({len(tasks)} tasks x {len(learners)} learners x "
        f"{len(seeds)} seeds, {len(results)} already done) on {jobs} processes -> {out}"
    )
    with ProcessPoolExecutor(jobs) as pool:
        for r in pool.map(_one, job_list):
            results.append(r)
            log(
                f"  {r['task']:>18} {r['learner']:>17} seed {r['seed']:>3}: summed error "
                f"{sum(r['abs_error']):.3f}, C2ST {r['c2st']:.2f}, {r['seconds']:.0f} s"
            )
            write_json(out / "results.json", results)  # after every run: nothing finished is lost
    text = table(results)
    atomic_write(out / "table.md", text + "\n")
    box_plot(results, out / "errors.png")
    return text


def load_results(path: Path) -> list[dict]:
    return json.loads(Path(path).read_text())
