"""Are the held-out test's intervals calibrated? (issue 17)

For each system and seed: learn, then read the run's interval for every parameter (90 % by
default) and check whether it holds the truth; then redo the intervals at the same estimate
with 4x the trials (richer observations) and compare widths. Prints, per system and
parameter, the coverage over seeds and the median width at 1x and 4x; writes JSON.

    python benchmarks/calibration.py --systems stimulus-response own-swarm --seeds 0-4
    python benchmarks/calibration.py --full      # the issue's settings (hours on a loaded machine)
    python benchmarks/calibration.py --from-runs RUN_DIR ...   # finished runs, e.g. coevolution.py's

``--from-runs`` reads runs already made (their summary.json's intervals) and adds the 4x-trials
intervals at their estimates, so the full-length runs of ``benchmarks/coevolution.py`` serve here
too.

Systems: ``stimulus-response`` (the preset), ``own-swarm`` (issue 9's example, examples/
own_swarm.py), ``aggregation-a`` / ``aggregation-b`` (aggregation with two interior ground
truths that no setting was tuned on). Without ``--full`` each runs at reduced settings
(fewer generations and smaller populations), stated in the output.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: aggregation with interior ground truths (not the paper's, which sits on the bounds)
AGG_TRUTHS = {"aggregation-a": [-0.4, -0.8, 0.7, -0.5], "aggregation-b": [0.3, -0.6, 0.8, 0.2]}

#: reduced settings per system: (preset, overrides)
REDUCED = {
    "stimulus-response": {
        "generations": 150,
        "models.population": 50,
        "models.parents": 25,
        "discriminators.population": 50,
        "discriminators.parents": 25,
        "learner.genuine_trials": 50,
        "evaluation.average_last": 75,
        "evaluation.c2st_trials": 200,
    },
    "own-swarm": {"generations": 150, "evaluation.average_last": 75, "evaluation.c2st_trials": 100},
    "aggregation": {"generations": 200, "evaluation.average_last": 100},
}
FULL = {"stimulus-response": {}, "own-swarm": {}, "aggregation": {}}


def learn(system: str, seed: int, full: bool):
    import turinglearn

    if system == "own-swarm":
        sys.path.insert(0, str(ROOT / "examples"))
        import own_swarm

        # the papers' algorithm, as the stored rows were measured (the preset now carries the memory)
        overrides = {**turinglearn.WITHOUT_MEMORY, **own_swarm.SETTINGS, **(FULL if full else REDUCED)["own-swarm"]}
        return turinglearn.learn(
            "own-system", simulator=own_swarm.DriftSwarm(), seed=seed, overrides=overrides
        )
    if system.startswith("aggregation"):
        overrides = {**(FULL if full else REDUCED)["aggregation"], "environment.truth": AGG_TRUTHS[system]}
        return turinglearn.learn("aggregation", seed=seed, overrides=overrides)
    return turinglearn.learn(system, seed=seed, overrides=(FULL if full else REDUCED)[system])


def richer(result, factor: int = 4) -> dict:
    """The intervals at the run's estimate with ``factor`` times the trials, same schedule."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.core.trust import EFFORT, FastTest
    from turinglearn.systems.interactive import InteractiveSystem, Interrogators

    ev = result.config.evaluation
    learner = build(result.config, simulator=getattr(result, "_simulator", None))
    system, schedule = learner.system, None
    if isinstance(system, InteractiveSystem):
        schedule = result.trust["test"]["schedule"]
        if schedule == "interrogators":  # the final population (the hall of fame is not in the result)
            schedule = Interrogators(learner.discriminator, result.discriminators)
    fam = system.model_family
    test = FastTest(
        system, factor * ev.c2st_trials, ev.c2st_noise, fam.lower, fam.upper, ev.level, schedule,
        ev.c2st_folds, 7, EFFORT[ev.intervals],
    )  # fmt: skip
    test.calibrate(result.inferred)
    return {n: test.interval(result.inferred, j) for j, n in enumerate(result.names)}


def build_family(config):
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned

    return build(config).system.model_family


class SavedRun:
    """What :func:`richer` and the table need of a finished run directory."""

    def __init__(self, path: Path):
        from turinglearn.config import load_config

        summary = json.loads((path / "summary.json").read_text())
        self.config = load_config(path / "config.toml", strict=False)
        self.names = summary["parameters"]
        self.truth = np.asarray(summary["truth"], float)
        self.inferred = np.asarray(summary["inferred"], float)
        self.c2st = summary.get("c2st")
        self.trust = {k: summary.get(k) for k in ("test", "interval", "identified", "vouched", "c2st_schedule")}
        self.discriminators = np.load(path / "populations.npz")["discriminators"]
        self.seconds = summary["seconds"]
        self.seed = summary["seed"]
        from turinglearn.app.runs import read_metrics

        self.history = read_metrics(path)


def from_runs(paths: list[Path], out: Path, with_richer: bool, recompute: bool = False) -> list[dict]:
    """Rows of the table for finished runs; ``recompute``: the 1x intervals by this version of
    the code (not the run's), at the run's estimate; appends to ``out`` if it exists."""
    rows = json.loads(out.read_text()) if out.is_file() else []
    for path in paths:
        run = SavedRun(path)
        t0 = time.perf_counter()
        if recompute and run.trust.get("interval"):  # this version's slice, then the hull with the spread
            import copy

            from turinglearn.app.swarm_run import with_spread
            from turinglearn.families.policies import reported_family

            run.trust["interval_test"] = richer(run, 1)
            run.trust["interval"] = copy.deepcopy(run.trust["interval_test"])
            shown = reported_family(build_family(run.config))
            ranges = np.asarray(shown.upper, float) - np.asarray(shown.lower, float)
            with_spread(run.trust["interval"], run.history, run.names, run.config.evaluation, ranges)
        rich = richer(run) if with_richer and run.trust.get("interval") else None
        rows.append(
            {
                "system": path.parent.name, "seed": run.seed, "names": list(run.names),
                "truth": run.truth.tolist(), "inferred": run.inferred.tolist(), "c2st": run.c2st,
                **{k: run.trust.get(k) for k in ("test", "interval", "interval_test", "identified", "vouched",
                                                 "c2st_schedule")},
                "interval_4x": rich, "run_seconds": run.seconds, "richer_seconds": time.perf_counter() - t0,
            }
        )  # fmt: skip
        print(f"{path}: 4x intervals in {time.perf_counter() - t0:.0f} s", flush=True)
        out.write_text(json.dumps(rows, indent=1))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--systems", nargs="+", default=["stimulus-response", "own-swarm"])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--full", action="store_true", help="the presets' own settings (slow)")
    parser.add_argument("--no-richer", action="store_true", help="skip the 4x-trials intervals")
    parser.add_argument("--out", type=Path, default=Path("calibration.json"))
    parser.add_argument("--from-runs", nargs="+", type=Path, metavar="RUN_DIR", help="finished runs to read")
    parser.add_argument("--recompute", action="store_true", help="with --from-runs: redo the 1x intervals too")
    args = parser.parse_args(argv)
    if args.from_runs:
        rows = from_runs(args.from_runs, args.out, not args.no_richer, args.recompute)
        print(report(rows, True))
        return 0
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    rows = []
    for system in args.systems:
        for seed in seeds:
            t0 = time.perf_counter()
            result = learn(system, seed, args.full)
            if system == "own-swarm":
                import own_swarm

                result._simulator = own_swarm.DriftSwarm()
            trust = result.trust
            rich = None if args.no_richer or not trust.get("interval") else richer(result)
            rows.append(
                {
                    "system": system,
                    "seed": seed,
                    "names": list(result.names),
                    "truth": [float(v) for v in result.truth],
                    "inferred": [float(v) for v in result.inferred],
                    "c2st": result.c2st,
                    "c2st_schedule": trust.get("c2st_schedule"),
                    "test": trust.get("test"),
                    "interval": trust.get("interval"),
                    "interval_4x": rich,
                    "identified": trust.get("identified"),
                    "vouched": trust.get("vouched"),
                    "run_seconds": result.seconds,
                    "trust_seconds": result.trust_seconds,
                    "wall_seconds": time.perf_counter() - t0,
                }
            )
            iv = trust.get("interval") or {}
            print(
                f"{system} seed {seed}: error {np.round(np.abs(result.inferred - result.truth), 3).tolist()} "
                f"C2ST {result.c2st:.2f} ({trust.get('c2st_schedule')}); intervals "
                + ", ".join(
                    f"{n} [{v['lo']:.3f}, {v['hi']:.3f}]" if v["lo"] is not None else f"{n} none"
                    for n, v in iv.items()
                )
                + f"; trust {result.trust_seconds or 0:.1f} s of {result.seconds:.1f} s",
                flush=True,
            )
            args.out.write_text(json.dumps(rows, indent=1))
    print(report(rows, args.full))
    return 0


def report(rows: list[dict], full: bool) -> str:
    out = [f"settings: {'full' if full else 'reduced (see REDUCED in benchmarks/calibration.py)'}"]
    out.append(
        "| system | parameter | coverage | median width of the test's slice (x1 trials) | (x4) | identified |"
    )
    out.append("|---|---|---|---|---|---|")
    for system in dict.fromkeys(r["system"] for r in rows):
        mine = [r for r in rows if r["system"] == system]
        for i, n in enumerate(mine[0]["names"]):
            ivs = [(r, r["interval"][n]) for r in mine if r["interval"]]
            ok = [iv for _, iv in ivs if iv["lo"] is not None]
            held = sum(iv["lo"] <= r["truth"][i] <= iv["hi"] for r, iv in ivs if iv["lo"] is not None)
            slices = [r.get("interval_test") or r["interval"] for r in mine if r["interval"]]  # the test's
            slices = [sl[n] for sl in slices if sl[n]["lo"] is not None]  # own part, as the 4x column
            w1 = np.median([iv["hi"] - iv["lo"] for iv in slices]) if slices else float("nan")
            rich = [r["interval_4x"][n] for r in mine if r.get("interval_4x")]
            rich = [iv for iv in rich if iv["lo"] is not None]
            w4 = np.median([iv["hi"] - iv["lo"] for iv in rich]) if rich else float("nan")
            ident = sum(bool((r["identified"] or {}).get(n)) for r in mine)
            out.append(
                f"| {system} | {n} | {held}/{len(ivs)} (none: {len(ivs) - len(ok)}) | {w1:.3f} | {w4:.3f} | "
                f"{ident}/{len(mine)} |"
            )
    covered = sum(
        iv["lo"] is not None and iv["lo"] <= r["truth"][i] <= iv["hi"]
        for r in rows
        if r["interval"]
        for i, iv in enumerate(r["interval"][n] for n in r["names"])
    )
    total = sum(len(r["names"]) for r in rows if r["interval"])
    frac = [r["trust_seconds"] / max(r["run_seconds"], 1e-9) for r in rows if r.get("trust_seconds")]
    out.append(f"\nall (seed, parameter) pairs: truth inside {covered}/{total}")
    if frac:
        out.append(f"trust time / learning time: median {np.median(frac):.2f}, max {np.max(frac):.2f}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
