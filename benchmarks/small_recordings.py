"""Held-out tests on a small recording: each recorded individual at most once (as shipped)
against the same test drawing them with replacement (the baseline, in the same run).

A recording of the preset's ground truth with at least ``N`` individuals (whole trials, every
robot of a swarm), one per seed, and the run's
held-out tests at the truth itself, where a sound test reads chance: the C2ST (random forest,
``evaluation.c2st_trials`` asked for) and the fast test (shrinkage LDA; it rejects a model as
good as the system in about 1 - ``evaluation.level`` of runs). With replacement, a test asking
for more trials than the file holds draws individuals twice, and one on both sides of a fold is
recognised; as shipped it gets ``min(asked, max(N // learner.genuine_per_trial, 10))`` trials
(``RecordedSystem.test_trials``; below 10, every individual once before any twice). Tracking noise (``evaluation.c2st_noise``, added to each draw)
hides a repeated individual, so the bias shows without it.

    python benchmarks/small_recordings.py --individuals 40,400 --seeds 0-19 --set evaluation.c2st_noise=0 --set learner.genuine_per_trial=1
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def one(preset: str, individuals: int, seed: int, tmp: Path, repeat: bool, settings: dict) -> dict:
    from turinglearn.app.build import build_system, make_simulator
    from turinglearn.app.recording import record
    from turinglearn.config import load_config
    from turinglearn.core.evaluation import model_c2st
    from turinglearn.core.trust import FastTest
    from turinglearn.systems.recorded import individuals_per_trial

    path = tmp / f"rec-{individuals}-{seed}.npz"
    if not path.exists():  # whole trials (a swarm's every robot), at least ``individuals`` individuals
        per = individuals_per_trial(make_simulator(load_config(preset, settings)))
        record(load_config(preset, settings), path, trials=-(-individuals // per), seed=10_000 + seed)
    cfg = load_config(preset, {**settings, "data": str(path), "learner.passive": True})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small recording's warning: what this measures
        system, _ = build_system(cfg)
    if repeat:  # the baseline: every trial asked for, individuals drawn with replacement
        system.test_trials = lambda trials: trials
        system._distinct = system._genuine  # drawn with replacement whenever the file has too few
    ev, family = cfg.evaluation, system.model_family
    truth = np.asarray(system.truth, float)
    rng = np.random.default_rng(seed)
    c2st = model_c2st(system, truth, rng, ev.c2st_trials, ev.c2st_folds, ev.c2st_noise)
    test = FastTest(system, ev.c2st_trials, ev.c2st_noise, family.lower, family.upper, ev.level, None,
                    ev.c2st_folds, int(rng.integers(2**31)))  # fmt: skip
    cal = test.calibrate(truth)
    return {
        "c2st": c2st,
        "rejected": cal["rejected"],
        "accuracy": cal["accuracy"],
        "trials": test.trials,
        "individuals": len(system.recording.x),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="aggregation", help="the preset whose ground truth is recorded")
    p.add_argument("--individuals", default="40,400", help="sizes of the recording")
    p.add_argument("--seeds", default="0-7", help="seeds, e.g. 0-7")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="a setting")
    p.add_argument("--json", help="add this invocation's rows to this file")
    a = p.parse_args()
    from turinglearn.config import parse_override

    settings = dict(parse_override(o) for o in a.overrides)
    lo, _, hi = a.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        for n in (int(s) for s in a.individuals.split(",")):
            for label, repeat in (("each individual once (shipped)", False), ("with replacement (baseline)", True)):
                runs = [one(a.preset, n, s, Path(d), repeat, settings) for s in seeds]
                c = np.array([r["c2st"] for r in runs])
                row = {
                    "individuals": runs[0]["individuals"],
                    "draw": label,
                    "trials": runs[0]["trials"],
                    "c2st_mean": float(c.mean()),
                    "c2st_sd": float(c.std(ddof=1)) if len(c) > 1 else 0.0,
                    "rejected": sum(r["rejected"] for r in runs),
                    "seeds": len(runs),
                    "per_seed": [{"c2st": r["c2st"], "rejected": r["rejected"]} for r in runs],
                }
                rows.append(row)
                print(
                    f"{row['individuals']:5d} individuals, {label:32s} {row['trials']:4d} test trials: C2ST at the truth "
                    f"{row['c2st_mean']:.2f} ± {row['c2st_sd']:.2f}, fast test rejects the truth in "
                    f"{row['rejected']} of {row['seeds']}",
                    flush=True,
                )
    print(f"# {a.preset} {' '.join(a.overrides)}, seeds {a.seeds}, {time.perf_counter() - t0:.0f} s")
    if a.json:  # every invocation's rows, added to what the file holds
        path = Path(a.json)
        stored = json.loads(path.read_text()) if path.exists() else {"invocations": []}
        stored["invocations"].append({"preset": a.preset, "settings": settings, "seeds": a.seeds, "rows": rows})
        path.write_text(json.dumps(stored, indent=1) + "\n")


if __name__ == "__main__":
    main()
