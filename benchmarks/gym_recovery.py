"""Gym tasks and recorded data: does Turing Learning recover the hidden agent?

``--part pendulum``: ``pendulum-pd`` (Pendulum-v1 held up by a hidden PD controller, truth
``(kp, kd) = (10, 2)``), ``--seeds N`` runs interrogating and N passive. Reports every seed's
inferred gains, their relative errors, how many seeds have both gains within 10 % of the truth
(target: at least 8 of 10 interrogating, and better than passive) and a one-sided
Mann-Whitney U test that the interrogating summed relative errors are lower.

``--part cartpole``: ``cartpole-linear`` (CartPole-v1 with a hidden linear policy),
``--seeds N`` interrogating runs; reports the inferred weights and the C2ST of the inferred
policy's behaviour (target: at most 0.6; 0.5 = indistinguishable).

``--part recording``: aggregation learned from the simulator and from a recording written by
the simulator (``turinglearn record aggregation``, ``--trials`` swarms of the truth, every robot
an individual), the same seeds and settings otherwise; reports both errors per seed. The
recording is written once, from seed 12345, so it is not tied to a run's seed.

``--generations`` overrides every preset's; ``--jobs`` runs that many seeds at once.

    python benchmarks/gym_recovery.py --part pendulum --seeds 10 --json pendulum.json
    python benchmarks/gym_recovery.py --part cartpole --seeds 10
    python benchmarks/gym_recovery.py --part recording --seeds 3 --generations 300
    python benchmarks/gym_recovery.py --part recording --seeds 10-19 --reference runs/bench/results.json

With ``--reference``, the simulator side is read from a ``turinglearn benchmark swarm``
results.json (its aggregation Turing Learning runs without overrides) and only the recording
side runs; the file must come from the same version of the code and presets (a results.json
written before the presets carried the coevolution's memory holds runs without it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np


def one_run(args: tuple) -> dict:
    preset, seed, overrides = args
    import turinglearn

    t0 = time.perf_counter()
    r = turinglearn.learn(preset, seed=seed, overrides=overrides)
    out = {
        "preset": preset,
        "seed": seed,
        "overrides": overrides,
        "inferred": r.inferred.tolist(),
        "truth": None if r.truth is None else r.truth.tolist(),
        "c2st": r.c2st,
        "seconds": time.perf_counter() - t0,
    }
    if r.truth is not None:
        truth = np.asarray(r.truth)
        out["abs_error"] = np.abs(r.inferred - truth).tolist()
        out["rel_error"] = (np.abs(r.inferred - truth) / np.where(truth == 0, 1.0, np.abs(truth))).tolist()
    out["track"] = r.config.evaluation.track
    out["other_tracks"] = other_tracks(r)
    return out


def other_tracks(r) -> dict:
    """The same run estimated with every other ``evaluation.track`` (the window and its average
    as configured): ``{track: {"inferred", "abs_error", "c2st"}}``. Parameter families only (a
    policy's estimate is its effective controller, not a model the C2ST can run)."""
    from turinglearn.app.build import build_system
    from turinglearn.config import TRACKS
    from turinglearn.core.evaluation import model_c2st
    from turinglearn.core.random import stream

    ev = r.config.evaluation
    if r.models.shape[1] != len(r.names):
        return {}
    system = build_system(r.config)[0]
    out = {}
    for track in TRACKS:
        if track == ev.track:
            continue
        theta = r.window_estimate(track)
        c2 = None
        if ev.c2st_trials > 0:  # the same evaluation stream as the run's own C2ST
            rng = stream(r.config.seed, "evaluation")
            c2 = model_c2st(system, theta, rng, ev.c2st_trials, ev.c2st_folds, ev.c2st_noise)
        out[track] = {
            "inferred": theta.tolist(),
            "abs_error": None if r.truth is None else np.abs(theta - r.truth).tolist(),
            "c2st": c2,
        }
    return out


def run_all(tasks: list[tuple], jobs: int) -> list[dict]:
    if jobs <= 1:
        results = []
        for t in tasks:
            results.append(one_run(t))
            print(_line(results[-1]), flush=True)
        return results
    results = []
    with ProcessPoolExecutor(jobs) as pool:
        # in order, each printed as soon as it and those before it are done
        for r in pool.map(one_run, tasks):
            results.append(r)
            print(_line(r), flush=True)
    return results


def _line(r: dict) -> str:
    mode = (
        "passive"
        if r["overrides"].get("learner.passive")
        else ("recording" if r["overrides"].get("data") else "")
    )
    rel = "" if "rel_error" not in r else " rel err " + " ".join(f"{e:.3f}" for e in r["rel_error"])
    c2 = "" if r["c2st"] is None else f" C2ST {r['c2st']:.3f}"
    inf = " ".join(f"{v:+.3f}" for v in r["inferred"])
    return f"{r['preset']:16} {mode:9} seed {r['seed']:2d}: inferred {inf}{rel}{c2} ({r['seconds']:.0f} s)"


def mann_whitney_less(a, b) -> float:
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(a, b, alternative="less").pvalue)


def part_pendulum(seeds: list[int], jobs: int, base: dict) -> dict:
    tasks = [("pendulum-pd", s, {**base, "learner.passive": p}) for p in (False, True) for s in seeds]
    res = run_all(tasks, jobs)
    inter = [r for r in res if not r["overrides"]["learner.passive"]]
    passive = [r for r in res if r["overrides"]["learner.passive"]]
    within = lambda rs: sum(max(r["rel_error"]) <= 0.10 for r in rs)  # noqa: E731
    summed = lambda rs: [sum(r["rel_error"]) for r in rs]  # noqa: E731
    summary = {
        "within_10pct_interactive": within(inter),
        "within_10pct_passive": within(passive),
        "median_rel_error_interactive": np.median([r["rel_error"] for r in inter], axis=0).tolist(),
        "median_rel_error_passive": np.median([r["rel_error"] for r in passive], axis=0).tolist(),
        "median_c2st_interactive": float(np.median([r["c2st"] for r in inter])),
        "median_c2st_passive": float(np.median([r["c2st"] for r in passive])),
    }
    try:
        summary["mann_whitney_p"] = mann_whitney_less(summed(inter), summed(passive))
    except ImportError:  # scipy comes with scikit-learn; keep going without it
        summary["mann_whitney_p"] = None
    print(
        f"pendulum: both gains within 10 %: interrogating {summary['within_10pct_interactive']} of {len(seeds)}, "
        f"passive {summary['within_10pct_passive']} of {len(seeds)}; median relative error (kp, kd) interrogating "
        f"{np.round(summary['median_rel_error_interactive'], 4).tolist()}, passive "
        f"{np.round(summary['median_rel_error_passive'], 4).tolist()}; one-sided Mann-Whitney p = {summary['mann_whitney_p']}"
    )
    return {"runs": res, "summary": summary}


def part_cartpole(seeds: list[int], jobs: int, base: dict) -> dict:
    res = run_all([("cartpole-linear", s, dict(base)) for s in seeds], jobs)

    def summarise(runs: list[dict], label: str) -> dict:
        c2 = [r["c2st"] for r in runs]
        summary = {"c2st": c2, "median_c2st": float(np.median(c2)), "at_most_0.6": sum(c <= 0.6 for c in c2)}
        print(
            f"cartpole{label}: C2ST median {summary['median_c2st']:.3f}, at most 0.6 in "
            f"{summary['at_most_0.6']} of {len(runs)} seeds"
        )
        return summary

    return {"runs": res, "summary": with_other_tracks(res, summarise)}


def as_track(runs: list[dict], track: str) -> list[dict]:
    """The runs as they would read estimated with ``track`` (from their ``other_tracks``)."""
    return [{**r, **r["other_tracks"][track], "track": track} for r in runs]


def with_other_tracks(runs: list[dict], summarise, *more: list[dict]) -> dict:
    """``summarise(runs, *more, label)`` as run, and again under every other track all of them
    recorded (``summary["track_best"]`` ...)."""
    summary = summarise(runs, *more, "")
    tracks = set.intersection(*(set(r.get("other_tracks") or ()) for rs in (runs, *more) for r in rs))
    for track in sorted(tracks):
        shadow = [as_track(rs, track) for rs in (runs, *more)]
        summary[f"track_{track}"] = summarise(*shadow, f" (estimated with track = {track})")
    return summary


def simulator_runs_from(path: Path, seeds: list[int], base: dict) -> list[dict]:
    """The simulator side of the comparison from a ``turinglearn benchmark swarm`` results.json:
    its aggregation Turing Learning runs of the given seeds (same preset, no overrides)."""
    if base:
        raise SystemExit("--reference holds runs of the preset as shipped; drop --set/--generations")
    rows = {
        r["seed"]: r
        for r in json.loads(Path(path).read_text())
        if r["task"] == "aggregation" and r["learner"] == "turing" and not r.get("overrides")
    }
    missing = [s for s in seeds if s not in rows]
    if missing:
        raise SystemExit(f"{path} has no aggregation Turing Learning run for seeds {missing}")
    return [{"preset": "aggregation", "overrides": {}, **rows[s]} for s in seeds]


def part_recording(
    seeds: list[int], jobs: int, base: dict, trials: int, keep: Path | None, reference: Path | None = None
) -> dict:
    from turinglearn.app.recording import record
    from turinglearn.config import load_config

    # read the reference first: a wrong file should fail before an hour of runs, not after
    reference_runs = None if reference is None else simulator_runs_from(reference, seeds, base)
    folder = keep or Path(tempfile.mkdtemp(prefix="turinglearn-rec-"))
    cfg = load_config("aggregation", {k: v for k, v in base.items() if k.startswith("environment.")})
    path = record(cfg, folder / "aggregation.npz", trials=trials, seed=12345)
    # seed by seed, the simulator's run beside the recording's, so a stopped benchmark leaves pairs
    sources = [{"data": str(path)}] if reference_runs is not None else [{}, {"data": str(path)}]
    tasks = [("aggregation", s, {**base, **src}) for s in seeds for src in sources]
    res = run_all(tasks, jobs)
    rec = [r for r in res if r["overrides"].get("data")]
    sim = reference_runs or [r for r in res if not r["overrides"].get("data")]
    res = sim + rec
    return {
        "runs": res,
        "summary": {"recording": str(path), **with_other_tracks(sim, recording_summary, rec)},
    }


def recording_summary(sim: list[dict], rec: list[dict], label: str = "") -> dict:
    from scipy.stats import mannwhitneyu

    n = len(rec)
    summed = {k: [sum(r["abs_error"]) for r in v] for k, v in (("simulator", sim), ("recording", rec))}
    summary = {
        "median_summed_error_simulator": float(np.median(summed["simulator"])),
        "median_summed_error_recording": float(np.median(summed["recording"])),
        "iqr_summed_error_simulator": np.percentile(summed["simulator"], [25, 75]).tolist(),
        "iqr_summed_error_recording": np.percentile(summed["recording"], [25, 75]).tolist(),
        # two-sided: is there any difference between the two sources' errors?
        "mann_whitney_two_sided_p": float(
            mannwhitneyu(summed["recording"], summed["simulator"], alternative="two-sided").pvalue
        ),
        "max_abs_error_simulator": [max(r["abs_error"]) for r in sim],
        "max_abs_error_recording": [max(r["abs_error"]) for r in rec],
        "within_0.05_simulator": sum(max(r["abs_error"]) <= 0.05 for r in sim),
        "within_0.05_recording": sum(max(r["abs_error"]) <= 0.05 for r in rec),
        "median_c2st_simulator": float(np.median([r["c2st"] for r in sim])),
        "median_c2st_recording": float(np.median([r["c2st"] for r in rec])),
    }
    print(
        f"recording{label}: every parameter within 0.05: from the simulator {summary['within_0.05_simulator']} of {n}, "
        f"from the recording {summary['within_0.05_recording']} of {n}; max abs errors simulator "
        f"{np.round(summary['max_abs_error_simulator'], 3).tolist()}, recording "
        f"{np.round(summary['max_abs_error_recording'], 3).tolist()}\nmedian summed error (IQR): simulator "
        f"{summary['median_summed_error_simulator']:.3f} {np.round(summary['iqr_summed_error_simulator'], 3).tolist()}, "
        f"recording {summary['median_summed_error_recording']:.3f} "
        f"{np.round(summary['iqr_summed_error_recording'], 3).tolist()}; two-sided Mann-Whitney p = "
        f"{summary['mann_whitney_two_sided_p']:.3g}"
    )
    return summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=["pendulum", "cartpole", "recording"], required=True)
    p.add_argument("--seeds", default="10", help="a count (10: seeds 0-9), a range (10-19) or a list (0,3,5)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--generations", type=int, help="override every preset's generations")
    p.add_argument("--trials", type=int, default=100, help="recording: swarms recorded (default 100)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--keep", type=Path, help="recording: folder to keep the recording in")
    p.add_argument(
        "--reference",
        type=Path,
        help="recording: take the simulator side from this `turinglearn benchmark swarm` results.json "
        "(its aggregation Turing Learning runs) instead of running it again",
    )
    p.add_argument("--json", type=Path, help="write every run and the summary here")
    args = p.parse_args()
    from turinglearn.app.cli import parse_seeds
    from turinglearn.config import parse_override

    base = dict(parse_override(o) for o in args.overrides)
    if args.generations:
        base["generations"] = args.generations
    args.seeds = parse_seeds(args.seeds)
    t0 = time.perf_counter()
    if args.part == "pendulum":
        out = part_pendulum(args.seeds, args.jobs, base)
    elif args.part == "cartpole":
        out = part_cartpole(args.seeds, args.jobs, base)
    else:
        out = part_recording(args.seeds, args.jobs, base, args.trials, args.keep, args.reference)
    out["seconds"] = time.perf_counter() - t0
    print(f"{out['seconds']:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
