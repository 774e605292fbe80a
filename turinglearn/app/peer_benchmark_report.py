"""``turinglearn benchmark peers``' outputs (:mod:`turinglearn.app.peer_benchmark`): a cell's row
(its JSON), the table and the plots."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from turinglearn.families.parametric import UNITS_APART, ranges_apart


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], float)
    if not len(v):
        return math.nan, math.nan, math.nan
    q1, q2, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return float(q1), float(q2), float(q3)


def _coverage(rows: Sequence[dict], key: str) -> str:
    """'held of checked' over every parameter and seed ('-' where no interval was computed)."""
    flags = [f for r in rows for f in (r.get(key) or []) if f is not None]
    return f"{sum(flags)} of {len(flags)}" if flags else "-"


def _groups(rows: Sequence[dict]):
    """(k, budget) -> learner -> its rows, in grid order."""
    out: dict[tuple[int, int], dict[str, list[dict]]] = {}
    for r in sorted(rows, key=lambda r: (r["k"], r["budget"])):
        out.setdefault((r["k"], r["budget"]), {}).setdefault(r["learner"], []).append(r)
    return out


def table(rows: Sequence[dict], plan) -> str:
    """Markdown: per task, learner, budget and K the median summed absolute error and its
    interquartile range over seeds, how often the peer's posterior interval and the held-out
    test's interval held the truth, the trajectories spent and the wall time; then per budget
    and K the learner with the lowest median error."""
    out = [
        "Summed absolute error of the estimate (median [interquartile range] over seeds); interval "
        "columns: parameter-seed pairs whose interval held the truth (posterior: the peer's 90 % "
        "central interval; test: the held-out test's interval, where it was computed). Budgets and "
        "spending in simulated individual trajectories; every learner saw the same recording of K "
        "genuine trials per seed.",
        "",
    ]
    for task, (preset, settings) in plan.tasks.items():
        mine = [r for r in rows if r["task"] == task]
        said = ", ".join(f"{k} = {v}" for k, v in {**settings, **plan.scoped(task)}.items())
        what = "Config" if str(preset).endswith(".toml") else "Preset"
        out += [f"### {task}", "", f"{what} `{preset}`" + (f" with {said}" if said else "") + ".", ""]
        if not mine:
            out += ["No finished runs.", ""]
            continue
        out += [
            "| K | budget | learner | seeds | summed error | posterior interval | test interval "
            "| generations | trajectories spent | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        best = []
        for (k, budget), by_learner in _groups(mine).items():
            medians = {}
            for learner in plan.learners:
                rs = by_learner.get(learner)
                if not rs:
                    continue
                q1, q2, q3 = _quartiles([r["summed_error"] for r in rs])
                medians[learner] = q2
                spent = _quartiles([r["trajectories"] for r in rs])[1]
                wall = _quartiles([r["wall_seconds"] for r in rs])[1]
                gens = _quartiles(  # an evolutionary learner's (a peer's one "generation" is its whole fit)
                    [r["generations"] for r in rs if r.get("generations") is not None and not r.get("posterior_interval")]
                )[1]
                out.append(
                    f"| {k} | {budget} | {learner} | {len(rs)} of {len(plan.seeds)} | {q2:.3f} "
                    f"[{q1:.3f}, {q3:.3f}] | {_coverage(rs, 'posterior_holds')} | {_coverage(rs, 'test_holds')} "
                    f"| {'-' if math.isnan(gens) else f'{gens:.0f}'} | {spent:.0f} | {wall:.0f} |"
                )
            ranked = sorted((v, lrn) for lrn, v in medians.items() if not math.isnan(v))
            if ranked:
                ties = [lrn for v, lrn in ranked if v == ranked[0][0]]
                runner = (
                    f"{ranked[len(ties)][1]} ({ranked[len(ties)][0]:.3f})" if len(ranked) > len(ties) else "-"
                )
                best.append(f"| {k} | {budget} | {' = '.join(ties)} ({ranked[0][0]:.3f}) | {runner} |")
        out += ["", "Best learner (lowest median summed error):", "", "| K | budget | best | next |"]
        out += ["|---|---|---|---|", *best, ""]
        out += units_note(mine)
    out += versus(rows, plan)
    if plan.skipped:
        pairs = ", ".join(f"{lrn} on {task}" for lrn, task in plan.skipped)
        out += [f"Not run: {pairs} (the metric baselines compare swarms' trajectories).", ""]
    return "\n".join(out)


def versus(rows: Sequence[dict], plan) -> list[str]:
    """Markdown lines: per task, K and budget, each Turing Learning (``learner.kind = turing``,
    under any name) against the best of the other learners, by median summed error over the
    seeds; then, per Turing Learning, the tasks where it was at least as accurate in every
    (K, budget) measured (each variant on its own: no picking the better one per cell)."""
    ours = [lrn for lrn in plan.learners if plan.kind(lrn) == "turing"]
    others = [lrn for lrn in plan.learners if plan.kind(lrn) != "turing"]
    if not ours or not others:
        return []
    out = [
        "### Turing Learning against the best other learner",
        "",
        "| task | K | budget | " + " | ".join(ours) + " | best other | at least as accurate |",
        "|---|---|---|" + "---|" * len(ours) + "---|---|",
    ]
    verdict: dict[str, dict[str, list[bool]]] = {lrn: {} for lrn in ours}
    for task in plan.tasks:
        for (k, budget), by_learner in _groups([r for r in rows if r["task"] == task]).items():
            median = {lrn: _quartiles([r["summed_error"] for r in rs])[1] for lrn, rs in by_learner.items()}
            theirs = sorted((v, lrn) for lrn, v in median.items() if lrn in others and not math.isnan(v))
            if not theirs or not any(lrn in median for lrn in ours):
                continue
            wins = [lrn for lrn in ours if lrn in median and median[lrn] <= theirs[0][0]]
            for lrn in ours:
                if lrn in median:
                    verdict[lrn].setdefault(task, []).append(lrn in wins)
            cols = " | ".join(f"{median[lrn]:.3f}" if lrn in median else "-" for lrn in ours)
            out.append(
                f"| {task} | {k} | {budget} | {cols} | {theirs[0][1]} ({theirs[0][0]:.3f}) "
                f"| {', '.join(wins) or 'none'} |"
            )
    out += ["", "At least as accurate as every other learner at every K and budget measured:", ""]
    for lrn in ours:
        won = [task for task, w in verdict[lrn].items() if all(w)]
        out.append(
            f"- {lrn}: {len(won)} of {len(verdict[lrn])} tasks" + (f" ({', '.join(won)})" if won else "")
        )
    return [*out, ""]


def plot_task(rows: Sequence[dict], task: str, path: Path) -> Path:
    """Summed error against budget (log x, log y): one line per learner and K, the median over
    seeds, with the interquartile range as a band."""
    from turinglearn.app.report import _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    learners = list(dict.fromkeys(r["learner"] for r in rows))
    ks = sorted({r["k"] for r in rows})
    styles = ["-", "--", ":", "-."]
    for i, learner in enumerate(learners):
        for j, k in enumerate(ks):
            mine = [r for r in rows if r["learner"] == learner and r["k"] == k]
            budgets = sorted({r["budget"] for r in mine})
            if not budgets:
                continue
            q = np.array([_quartiles([r["summed_error"] for r in mine if r["budget"] == b]) for b in budgets])
            colour = f"C{i % 10}"
            ax.plot(budgets, q[:, 1], styles[j % 4], color=colour, marker="o", label=f"{learner}, K={k}")
            ax.fill_between(budgets, q[:, 0], q[:, 2], color=colour, alpha=0.15, linewidth=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("budget (simulated trajectories)")
    ax.set_ylabel("summed absolute error")
    ax.set_title(task)
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def _holds(interval: Mapping | None, names, truth) -> list[bool | None] | None:
    """Per parameter: whether the interval holds the truth (None where it has no bounds)."""
    if not interval or truth is None:
        return None
    out = []
    for n, t in zip(names, truth, strict=True):
        iv = interval.get(n) or {}
        out.append(None if iv.get("lo") is None else bool(iv["lo"] <= t <= iv["hi"]))
    return out


def _range_error(errors, bounds) -> float:
    """The sum over the parameters of |error| / range (NaN without errors or bounds)."""
    if not errors or not bounds:
        return math.nan
    ranges = np.asarray(bounds["upper"], float) - np.asarray(bounds["lower"], float)
    return float(np.sum(np.asarray(errors, float) / ranges))


def units_note(rows: Sequence[dict]) -> list[str]:
    """Markdown lines where a task's parameters' ranges lie more than ``UNITS_APART`` apart
    (:func:`~turinglearn.families.parametric.ranges_apart`): the summed error is then the widest
    parameter's alone, and results.json's ``range_error`` (the errors in each range) compares the
    learners."""
    row = next((r for r in rows if r.get("bounds")), None)
    if row is None:
        return []
    apart = ranges_apart(row["bounds"]["lower"], row["bounds"]["upper"])
    if apart <= UNITS_APART:
        return []
    ranges = np.asarray(row["bounds"]["upper"], float) - np.asarray(row["bounds"]["lower"], float)
    medians = {}
    for r in rows:
        medians.setdefault(r["learner"], []).append(r.get("range_error", math.nan))
    by = ", ".join(f"{lrn} {_quartiles(v)[1]:.3f}" for lrn, v in medians.items())
    return [
        f"The parameters' ranges lie {apart:.0f}x apart, so the summed error is mostly "
        f"{row['names'][int(np.argmax(ranges))]}'s; in each parameter's range (results.json's range_error, "
        f"median over every cell): {by}.",
        "",
    ]


def cell_row(s: dict, cell, per_generation: int | None, wall: float) -> dict:
    """A cell's JSON from its run's summary."""
    posterior = s.get("posterior") or {}
    spent = posterior.get("trajectories") if per_generation is None else s["generations"] * per_generation
    errors = s.get("abs_error") or []
    return {
        "task": cell.task, "learner": cell.learner, "budget": cell.budget, "k": cell.k, "seed": cell.seed,
        "names": s["parameters"], "truth": s["truth"], "estimate": s["inferred"], "abs_error": errors,
        "summed_error": float(sum(errors)) if errors else math.nan,
        # the same in each parameter's range (where the summary keeps the bounds): comparable across units
        "range_error": _range_error(errors, s.get("bounds")),
        "bounds": s.get("bounds"),
        "posterior_interval": s.get("posterior_interval"),
        "posterior_holds": _holds(s.get("posterior_interval"), s["parameters"], s["truth"]),
        "test_interval": s.get("interval"),
        "test_holds": _holds(s.get("interval"), s["parameters"], s["truth"]),
        "trajectories": spent, "generations": s["generations"] if per_generation is not None else None, "c2st": s.get("c2st"),
        "learning_seconds": s["seconds"], "wall_seconds": round(wall, 3), "stopped": s.get("stopped"),
        "posterior": posterior or None,
    }  # fmt: skip
