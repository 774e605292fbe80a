"""Recovery benchmark: does Turing Learning find the aggregation controller?

Runs the default aggregation preset (100 + 100, 1000 generations) for several seeds and two
ground truths, in parallel processes, and prints the final absolute error of every parameter
(population median at the end) and how many seeds end with every parameter within the
tolerance. Target (issue 2): all parameters within 0.05 in at least 9 of 10 seeds, for both
truths.

    python benchmarks/recovery.py --seeds 10 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

TRUTHS = {
    "p*": [-0.7, -1.0, 1.0, -1.0],  # Gauci et al. 2014: aggregation
    "p2": [0.8, 0.2, -0.4, 0.6],  # forward arcs to the right; backing off when a robot is seen
}


def one(args):
    truth_name, seed, generations, extra = args
    import turinglearn

    overrides = {"environment.truth": TRUTHS[truth_name], "evaluation.c2st_trials": 100, **extra}
    r = turinglearn.learn("aggregation", seed=seed, generations=generations, overrides=overrides)
    return {
        "truth_name": truth_name,
        "seed": seed,
        "inferred": r.inferred.tolist(),
        "abs_error": r.abs_error.tolist(),
        "c2st": r.c2st,
        "seconds": r.seconds,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--generations", type=int, default=1000)
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--truths", nargs="+", default=list(TRUTHS), choices=list(TRUTHS))
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    a = p.parse_args()
    from turinglearn.config import parse_override

    extra = dict(parse_override(o) for o in a.overrides)
    tasks = [(t, s, a.generations, extra) for t in a.truths for s in range(a.seeds)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.jobs) as pool:
        results = list(pool.map(one, tasks))
    wall = time.perf_counter() - t0
    print(
        f"# aggregation recovery: {a.seeds} seeds x {len(a.truths)} truths, {a.generations} generations, "
        f"{a.jobs} processes, {wall:.0f} s wall; overrides {extra or 'none'}"
    )
    for t in a.truths:
        rows = [r for r in results if r["truth_name"] == t]
        print(f"\n## truth {t} = {TRUTHS[t]}")
        print(f"{'seed':>4}  {'inferred':>34}  {'max |error|':>11}  {'C2ST':>5}  {'s':>5}")
        for r in rows:
            inf = " ".join(f"{v:+.3f}" for v in r["inferred"])
            print(
                f"{r['seed']:>4}  {inf:>34}  {max(r['abs_error']):>11.3f}  {r['c2st']:>5.2f}  {r['seconds']:>5.0f}"
            )
        err = np.array([r["abs_error"] for r in rows])
        ok = int((err.max(axis=1) <= a.tolerance).sum())
        print(f"median |error| per parameter: {np.round(np.median(err, axis=0), 3).tolist()}")
        print(f"seeds with every parameter within {a.tolerance}: {ok} of {len(rows)}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
