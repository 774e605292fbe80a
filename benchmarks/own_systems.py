"""Do the three examples of one's own system recover their ground truth? (issue 16)

Runs ``examples/own_swarm.py``, ``own_agent.py`` and ``own_gym_policy.py`` at their full
settings on several seeds and prints, per run, every parameter's error as a percentage of its
range, the C2ST, and whether every parameter lies within 5 % of its range; the criterion is
that this holds in at least 4 of 5 seeds::

    python benchmarks/own_systems.py --seeds 5 --jobs 2 [--json results.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("own_swarm", "own_agent", "own_gym_policy")
#: a parameter is recovered when its error is within this fraction of its range
TOLERANCE = 0.05


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def one(task: tuple[str, int]) -> dict:
    name, seed = task
    start = time.perf_counter()
    module = load(name)
    result = module.run(seed)
    fam = module.FAMILY
    rel = np.asarray(result.abs_error) / (fam.upper - fam.lower)
    return {
        "example": name,
        "seed": seed,
        "names": list(result.names),
        "inferred": [float(v) for v in result.inferred],
        "truth": [float(v) for v in result.truth],
        "error_pct_of_range": [round(100 * float(v), 2) for v in rel],
        "c2st": result.c2st,
        "recovered": bool((rel <= TOLERANCE).all()),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    parser.add_argument("--only", choices=NAMES, action="append", help="just this example (repeatable)")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    args = parser.parse_args(argv)
    tasks = [(n, s) for n in (args.only or NAMES) for s in range(args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(one, tasks))
    ok = True
    for name in args.only or NAMES:
        mine = [r for r in rows if r["example"] == name]
        hits = sum(r["recovered"] for r in mine)
        print(
            f"{name}: every parameter within {100 * TOLERANCE:g} % of its range in {hits} of {len(mine)} seeds"
        )
        for r in mine:
            errs = ", ".join(
                f"{n} {e:.1f} %" for n, e in zip(r["names"], r["error_pct_of_range"], strict=True)
            )
            c2st = "-" if r["c2st"] is None else f"{r['c2st']:.3f}"
            print(
                f"  seed {r['seed']}: {errs}; C2ST {c2st}; {'yes' if r['recovered'] else 'NO'} ({r['seconds']} s)"
            )
        ok &= hits >= len(mine) - len(mine) // 5  # at least 4 of 5
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
