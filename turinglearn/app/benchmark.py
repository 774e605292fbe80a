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

from turinglearn.app.report import box_plot, table
from turinglearn.app.runs import atomic_write, write_json

TASKS = ("aggregation", "object-clustering")
LEARNERS = ("turing", "metric-sse", "metric-histogram")


def _one(job: tuple) -> dict:
    task, learner, seed, overrides = job
    from turinglearn.app.driver import learn
    from turinglearn.app.sweep import result_row

    t0 = time.perf_counter()
    r = learn(task, seed=seed, overrides={**overrides, "learner.kind": learner})
    # the preset's name, not the config's, names the task; the time includes C2ST
    return {
        **result_row(r.summary()),
        "task": task,
        "seconds": time.perf_counter() - t0,
        "overrides": overrides,
    }








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
