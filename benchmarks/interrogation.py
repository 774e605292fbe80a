"""Interrogation benchmark: speed of batched interactive evaluation, and the benefit of interrogating.

**Speed.** One generation of each interactive preset (``stimulus-response``, 100 steps;
``sensor-identification``, 150 steps): 100 models and 100 interrogators, and each interrogator
runs its own 100 genuine trials plus one trial of every model, so 100 x 200 trials.

- batched: ``TuringLearner.step`` of ``turinglearn.build(load_config(preset, SPEED_WORK))``
  (numpy, all trials of all interrogators as one [D, S] batch; models and discriminators
  asked, evaluated, told), averaged over ``--timed-generations`` generations after a warm-up;
- scalar: the same generation's interrogation with the reference oracle
  (:func:`turinglearn.environments.reference_interactive.reference_interrogate`: one
  interrogator, one trial, one step at a time, plain Python floats), on the populations and
  random stream of a generation of the same learner, followed by the fitness computation.
  ``--scalar-share`` times that share of the interrogators and scales up linearly (the work is
  linear in them: every interrogator runs its own trials); by default (``auto``) a pilot of two
  interrogators estimates the whole, which is timed in full when it would take at most
  ``--scalar-budget`` seconds (120) and otherwise only the share that fits the budget.

Target (issue 3): batched at least 50x faster than scalar on the same work.

**Benefit.** ``--seeds N`` runs of each preset per mode (interactive, and ``learner.passive``
= true), ``--jobs`` at a time in separate processes, and reports for each environment the
median final absolute error of every parameter (population median at the end) per mode, the
median summed error, how many seeds end with every parameter within ``--tolerance`` (0.05), and
a one-sided Mann-Whitney U test that the interactive summed errors are lower than the passive
ones. Targets (issue 3): on both environments p < 0.01, and interactive within 0.05 on every
parameter in at least 9 of 10 seeds.

    python benchmarks/interrogation.py --part speed
    python benchmarks/interrogation.py --part benefit --seeds 10 --jobs 2 --json benefit.json
    python benchmarks/interrogation.py --part benefit --seeds 10 --first-seed 10   # held-out seeds
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

PRESETS = ("stimulus-response", "sensor-identification")
MODES = ("interactive", "passive")
SPEED_TARGET = 50.0
#: the issue's unit of work: one trial of every model per interrogator (the presets may run more)
SPEED_WORK = {"learner.trials_per_model": 1}
P_TARGET = 0.01


# --- speed -------------------------------------------------------------------------------------


def batched(preset: str, generations: int) -> dict:
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config

    learner = build(load_config(preset, SPEED_WORK))
    learner.step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(generations):
        learner.step()
    system = learner.system
    return {
        "seconds_per_generation": (time.perf_counter() - t0) / generations,
        "interrogators": learner.discriminator_optimizer.ask().shape[0],
        "trials": system.genuine_trials + learner.model_optimizer.ask().shape[0] * system.trials_per_model,
        "steps": system.sim.config.steps,
        "dtype": learner.discriminator.dtype,
    }


def _scalar_work(preset: str):
    """Generation 0's work as the learner does it: (learner, config, theta [M, d], params [S, d], weights [D, k])."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config

    config = load_config(preset, SPEED_WORK)
    learner = build(config)
    theta = learner.model_optimizer.ask()  # [M, d]
    weights = learner.discriminator_optimizer.ask()  # [D, k]
    system = learner.system
    fakes = np.repeat(theta, system.trials_per_model, axis=0)
    params = np.concatenate([np.tile(system.truth, (system.genuine_trials, 1)), fakes])  # [S, d]
    return learner, config, theta, params, weights


def scalar(preset: str, share: float | None, budget: float) -> dict:
    from turinglearn.core.fitness import discriminator_fitness, judgements, model_fitness
    from turinglearn.core.random import stream
    from turinglearn.environments.reference_interactive import reference_interrogate

    learner, config, theta, params, weights = _scalar_work(preset)
    system = learner.system
    sim_config = system.sim.config
    env_id = config.environment.id
    d = len(weights)
    hidden = learner.discriminator.n_hidden

    def interrogate(rows):
        rng = stream(config.seed, "simulation", 0)  # the stream of generation 0, as the learner uses
        return reference_interrogate(
            env_id, sim_config, params, weights, rng, n_hidden=hidden, interrogators=rows
        )

    # drawing the random numbers (numpy, once for all interrogators) is not scaled with the share
    t0 = time.perf_counter()
    interrogate([])
    t_draws = time.perf_counter() - t0
    pilot = None
    if share is None:  # auto: estimate from two interrogators, then time what fits the budget
        t0 = time.perf_counter()
        interrogate(range(2))
        pilot = t_draws + (time.perf_counter() - t0 - t_draws) * d / 2
        share = 1.0 if pilot <= budget else budget / pilot
    d_run = max(1, min(d, round(share * d)))
    t0 = time.perf_counter()
    out = interrogate(range(d_run))[:d_run]  # [d_run, S]
    seconds = t_draws + (time.perf_counter() - t0 - t_draws) * d / d_run
    t0 = time.perf_counter()
    genuine = np.arange(params.shape[0]) < system.genuine_trials
    owner = np.concatenate(
        [np.full(system.genuine_trials, -1), np.repeat(np.arange(len(theta)), system.trials_per_model)]
    )
    judged = judgements(out)
    discriminator_fitness(judged, genuine)
    model_fitness(judged, owner, len(theta))
    seconds += (time.perf_counter() - t0) * d / d_run  # on the full [D, S] this is linear in D too

    # sanity check: the batched engine on the same work judges alike
    batched_out = system.run(
        params, learner.discriminator, weights, stream(config.seed, "simulation", 0)
    ).outputs
    agree = float(((batched_out[:d_run] > 0.5) == (out > 0.5)).mean())
    return {
        "seconds_per_generation": seconds,
        "interrogators_timed": d_run,
        "interrogators": d,
        "share_timed": d_run / d,
        "pilot_estimate": pilot,
        "random_draws": t_draws,
        "judgement_agreement": agree,
        "max_output_difference": float(np.abs(batched_out[:d_run] - out).max()),
    }


def speed(a) -> list[dict]:
    import os
    import platform

    print(
        f"# interrogation speed: one generation per preset; machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    rows = []
    for preset in a.presets:
        b = batched(preset, a.timed_generations)
        print(
            f"\n## {preset}: {b['interrogators']} interrogators x {b['trials']} trials x {b['steps']} steps "
            f"({b['dtype']} interrogators)"
        )
        print(
            f"batched : {b['seconds_per_generation']:.3f} s/generation "
            f"(mean of {a.timed_generations} generations after a warm-up)"
        )
        s = scalar(preset, a.scalar_share, a.scalar_budget)
        how = (
            "all of it"
            if s["share_timed"] == 1
            else f"share {s['share_timed']:.2f} timed ({s['interrogators_timed']} of {s['interrogators']} "
            "interrogators), scaled linearly"
        )
        print(f"scalar  : {s['seconds_per_generation']:.1f} s/generation ({how})")
        print(
            f"          batched and scalar judge alike on {100 * s['judgement_agreement']:.2f}% of the trials "
            f"(max output difference {s['max_output_difference']:.1e})"
        )
        ratio = s["seconds_per_generation"] / b["seconds_per_generation"]
        verdict = "meets" if ratio >= SPEED_TARGET else "MISSES"
        print(f"speed-up: {ratio:.0f}x ({verdict} the target of {SPEED_TARGET:.0f}x)")
        rows.append({"preset": preset, "batched": b, "scalar": s, "speedup": ratio})
    return rows


# --- benefit -----------------------------------------------------------------------------------


def one(args) -> dict:
    preset, mode, seed, generations, c2st_trials, extra = args
    import turinglearn

    overrides = {**extra, "learner.passive": mode == "passive", "evaluation.c2st_trials": c2st_trials}
    r = turinglearn.learn(preset, seed=seed, generations=generations, overrides=overrides)
    return {
        "preset": preset,
        "mode": mode,
        "seed": seed,
        "parameters": list(r.names),
        "truth": r.truth.tolist(),
        "inferred": r.inferred.tolist(),
        "abs_error": r.abs_error.tolist(),
        "c2st": r.c2st,
        "generations": len(r.history["generation"]),
        "seconds": r.seconds,
        # the population median of every parameter over the generations, so that other
        # estimators (e.g. the median averaged over the last generations) can be judged later
        "median_history": [r.history[f"{n}_median"].tolist() for n in r.names],
    }


def _estimate(run: dict, average_last: int) -> np.ndarray:
    """A run's inferred model had it used ``evaluation.average_last = average_last``."""
    from turinglearn.app.results import estimate

    names = run["parameters"]
    history = {f"{n}_median": h for n, h in zip(names, run["median_history"], strict=True)}
    return estimate(history, names, average_last)


def summarise(results: list[dict], preset: str, tolerance: float) -> dict:
    from scipy.stats import mannwhitneyu

    out: dict = {"preset": preset}
    for mode in MODES:
        err = np.array([r["abs_error"] for r in results if r["preset"] == preset and r["mode"] == mode])
        out[mode] = {
            "median_abs_error": np.median(err, axis=0).tolist(),
            "summed_error": err.sum(axis=1).tolist(),
            "median_summed_error": float(np.median(err.sum(axis=1))),
            "within_tolerance": int((err.max(axis=1) <= tolerance).sum()),
            "seeds": len(err),
        }
    test = mannwhitneyu(
        out["interactive"]["summed_error"], out["passive"]["summed_error"], alternative="less"
    )
    out["mann_whitney_u"] = float(test.statistic)
    out["p_value"] = float(test.pvalue)
    return out


def benefit(a) -> tuple[list[dict], list[dict]]:
    from turinglearn.config import parse_override

    extra = dict(parse_override(o) for o in a.overrides)
    tasks = [
        (p, m, s, a.generations, a.c2st_trials, extra)
        for p in a.presets
        for m in MODES
        for s in range(a.first_seed, a.first_seed + a.seeds)
    ]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.jobs) as pool:
        results = list(pool.map(one, tasks))
    wall = time.perf_counter() - t0
    gens = "preset" if a.generations is None else str(a.generations)
    print(
        f"\n# benefit of interrogation: {a.seeds} seeds x {len(MODES)} modes x {len(a.presets)} environments, "
        f"{gens} generations, {a.jobs} processes, {wall:.0f} s wall"
    )
    summaries = []
    for preset in a.presets:
        rows = [r for r in results if r["preset"] == preset]
        names, truth = rows[0]["parameters"], rows[0]["truth"]
        print(f"\n## {preset}: {rows[0]['generations']} generations")
        print(
            f"{'mode':>11}  {'seed':>4}  {'inferred':>36}  {'summed |err|':>12}  {'max |err|':>9}  {'s':>5}"
        )
        for r in rows:
            inf = " ".join(f"{v:+.3f}" for v in r["inferred"])
            print(
                f"{r['mode']:>11}  {r['seed']:>4}  {inf:>36}  {sum(r['abs_error']):>12.3f}  "
                f"{max(r['abs_error']):>9.3f}  {r['seconds']:>5.0f}"
            )
        s = summarise(results, preset, a.tolerance)
        summaries.append(s)
        print(f"\n{'parameter':>16}  {'truth':>7}  {'median |error| interactive':>26}  {'passive':>8}")
        for i, n in enumerate(names):
            print(
                f"{n:>16}  {truth[i]:>7.3f}  {s['interactive']['median_abs_error'][i]:>26.3f}  "
                f"{s['passive']['median_abs_error'][i]:>8.3f}"
            )
        print(
            f"{'summed':>16}  {'':>7}  {s['interactive']['median_summed_error']:>26.3f}  "
            f"{s['passive']['median_summed_error']:>8.3f}"
        )
        for mode in MODES:
            m = s[mode]
            print(
                f"seeds with every parameter within {a.tolerance} ({mode}): {m['within_tolerance']} of {m['seeds']}"
            )
        # the same runs judged with other averaging windows (`evaluation.average_last`; the
        # preset's own window is the inferred model above)
        for k in (50, 200):
            ok = sum(
                np.abs(_estimate(r, k) - r["truth"]).max() <= a.tolerance
                for r in results
                if r["preset"] == preset and r["mode"] == "interactive"
            )
            print(
                f"  (the population median, its median over the last {k} generations: {ok} interactive seeds within {a.tolerance})"
            )
        verdict = "meets" if s["p_value"] < P_TARGET else "misses"
        print(
            f"one-sided Mann-Whitney U (interactive summed error < passive): U = {s['mann_whitney_u']:.1f}, "
            f"p = {s['p_value']:.2g} ({verdict} p < {P_TARGET})"
        )
    return results, summaries


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("all", "speed", "benefit"), default="all")
    p.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    p.add_argument("--timed-generations", type=int, default=5, help="batched generations to time")
    p.add_argument(
        "--scalar-share",
        type=lambda v: None if v == "auto" else float(v),
        default=None,
        help="share of the scalar generation's interrogators to time (default: auto, see above)",
    )
    p.add_argument("--scalar-budget", type=float, default=120.0, help="seconds the auto share may take")
    p.add_argument("--seeds", type=int, default=10, help="benefit: seeds per mode and environment")
    p.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="benefit: seeds first-seed .. first-seed + seeds - 1 (default 0)",
    )
    p.add_argument("--jobs", type=int, default=2, help="benefit: runs at a time")
    p.add_argument(
        "--generations", type=int, default=None, help="benefit: generations (default: the preset's)"
    )
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--c2st-trials", type=int, default=0, help="benefit: C2ST trials per run (0 skips it)")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="benefit: a setting of every run"
    )
    p.add_argument("--json", type=Path, help="also write the raw results here")
    a = p.parse_args()
    report: dict = {}
    if a.part in ("all", "speed"):
        report["speed"] = speed(a)
    if a.part in ("all", "benefit"):
        report["benefit_runs"], report["benefit"] = benefit(a)
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
