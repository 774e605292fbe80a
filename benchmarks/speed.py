"""Speed benchmark: the compiled kernels against the numpy path, and each part against its arithmetic.

All on the default aggregation preset (100 models x 1 trial of 10 agents + 4 replicas, 200
steps; 100 Elman discriminators + 20 in the hall of fame judging 800 samples), in one process,
each measurement of the kernels interleaved with the same one of the numpy path so both see the
same load (the machine's load average is printed beside every figure):

- compile: a fresh process that compiles the kernels (empty Numba cache) and one that loads
  them from the cache, each running one chunk of simulation and judgement;
- generation: ``TuringLearner.step`` with the kernels (``environment.kernels = "numba"``,
  ``ElmanNetwork(kernels="numba")``) and with the numpy path, alternately, hall of fame full;
- memory: ``TuringLearner.step`` with the preset's coevolution memory and without it
  (``turinglearn.config.WITHOUT_MEMORY``), alternately, once the critic's window is full;
- parts, on one generation's work: simulation (robot-steps per second), judgement
  (multiply-adds per second), the optimisers (ask, fitness, tell) and the run's hooks (metrics,
  checkpoints: the wall time of a short ``turinglearn.learn`` run per generation beyond its steps);
- critic: a generation of ``learner.critic`` on object clustering's samples (200 trials of 300
  steps, 2 features; a window of 20 generations): statistics, verdicts and fit, the fit holding
  BLAS to one thread as shipped, against the same fit with BLAS's threads free; and a trial's
  quantiles by one sort, as shipped, against ``np.quantile``;
- scalar (``--scalar-share``): the same generation with the scalar oracle, scaled up;
- full run (``--full-run``): ``turinglearn run aggregation`` (1000 generations, C2ST and plots
  included) in a subprocess, wall and CPU seconds; compilation is included when the cache is
  cold (``--cold``).

    python benchmarks/speed.py --full-run
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PRESET = "aggregation"


def load() -> float:
    return os.getloadavg()[0]


def learners(archive: int = 20):
    """(kernels, numpy) learners on the preset, each with a full hall of fame."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config

    out = []
    for kernels in ("numba", "numpy"):
        learner = build(load_config(PRESET, {"environment.kernels": kernels}))
        learner.discriminator = dataclasses.replace(learner.discriminator, kernels=kernels)
        k = learner.discriminator.n_weights
        rows = np.random.default_rng(1).uniform(-1, 1, (archive, k))
        learner.judges_memory.load_state_dict({"rows": rows, "offered": archive})  # the hall of fame, full
        out.append(learner)
    return out


def median(xs) -> float:
    return float(np.median(xs))


def per_generation(generations: int) -> dict:
    fast, slow = learners()
    fast.step(), slow.step()  # warm-up (loads the kernels)
    times: dict[str, list[float]] = {"numba": [], "numpy": []}
    loads = []
    for _ in range(generations):
        for name, learner in (("numba", fast), ("numpy", slow)):
            t0 = time.perf_counter()
            learner.step()
            times[name].append(time.perf_counter() - t0)
        loads.append(load())
    return {
        "numba": median(times["numba"]),
        "numpy": median(times["numpy"]),
        "speedup": median(times["numpy"]) / median(times["numba"]),
        "load": float(np.mean(loads)),
    }


def memory_cost(generations: int, warm: int = 25) -> dict:
    """The preset's generation with its memory (shared judge fitness, judges selected three times,
    the parents' verdicts, the critic) against the same preset without it (``WITHOUT_MEMORY``),
    interleaved, after ``warm`` generations each (the critic's window of 20 full)."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import WITHOUT_MEMORY, load_config

    pair = {"memory": build(load_config(PRESET)), "without": build(load_config(PRESET, WITHOUT_MEMORY))}
    for learner in pair.values():
        learner.run(warm)
    times: dict[str, list[float]] = {name: [] for name in pair}
    loads = []
    for _ in range(generations):
        for name, learner in pair.items():
            t0 = time.perf_counter()
            learner.step()
            times[name].append(time.perf_counter() - t0)
        loads.append(load())
    out = {name: median(ts) for name, ts in times.items()}
    return {**out, "ratio": out["memory"] / out["without"], "load": float(np.mean(loads))}


def _timed(fn, repeats: int) -> float:
    best = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t0)
    return median(best)


def parts(repeats: int) -> dict:
    """One generation's simulation and judgement on both paths (and the kernels on one thread)."""
    from turinglearn.core.evaluator import chunk_slices
    from turinglearn.core.random import stream

    fast, slow = learners()
    theta = fast.model_optimizer.ask()
    judges = np.concatenate([fast.discriminator_optimizer.ask(), fast.archive])
    sim = fast.system.sim
    cfg = sim.config
    slices = chunk_slices(len(theta), fast.evaluator.chunk_size)

    def simulate(learner):
        return [learner.system.samples(theta[s], stream(0, "simulation", 1, p)) for p, s in enumerate(slices)]

    batches = simulate(fast)  # warm-up, and the samples both paths judge
    simulate(slow)

    def judge(learner):
        for b in batches:
            learner.discriminator.judge(judges, b.x)

    judge(fast)
    rows: dict[str, dict] = {}
    for label, learner, threads in (("numba", fast, ""), ("numba, 1 thread", fast, "1"), ("numpy", slow, "")):
        os.environ["TURINGLEARN_THREADS"] = threads
        l0 = load()
        rows[label] = {
            "simulation": _timed(lambda learner=learner: simulate(learner), repeats),
            "judgement": _timed(lambda learner=learner: judge(learner), repeats),
            "load": (l0 + load()) / 2,
        }
    os.environ.pop("TURINGLEARN_THREADS")
    net = fast.discriminator
    f, h, o = net.n_inputs, net.n_hidden, net.n_outputs
    samples = sum(len(b.x) for b in batches)
    robot_steps = len(theta) * fast.system.trials_per_model * cfg.n_robots * cfg.steps
    macs = len(judges) * samples * (cfg.steps * ((f + 1) * h + h * h) + (h + 1) * o)
    return {
        "rows": rows,
        "robot_steps": robot_steps,
        "multiply_adds": macs,
        "judges": len(judges),
        "samples": samples,
    }


def optimiser(repeats: int) -> float:
    """Seconds per generation of both optimisers: ask, fitness from the judgements, tell."""
    from turinglearn.core.fitness import discriminator_fitness, judgements, model_fitness

    learner = learners()[0]
    rng = np.random.default_rng(0)
    m = learner.model_optimizer.ask().shape[0]
    n_samples = 8 * m
    outputs = rng.random((120, n_samples))
    genuine = np.arange(n_samples) < n_samples // 2
    owner = np.where(genuine, -1, (np.arange(n_samples) - n_samples // 2) // 4)

    def one():
        learner.model_optimizer.ask()
        weights = learner.discriminator_optimizer.ask()
        judged = judgements(outputs)
        learner.model_optimizer.tell(model_fitness(judged, owner, m))
        learner.discriminator_optimizer.tell(discriminator_fitness(judged[: len(weights)], genuine))

    one()
    return _timed(one, repeats)


def critic(repeats: int) -> dict:
    """Seconds of one generation of the critic (statistics, verdicts, fit on a full window), and of
    its fit alone with one BLAS thread (as shipped) and with BLAS's threads free."""
    from turinglearn.core.critic import FeatureCritic

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 300, 2))  # object clustering: 100 genuine, 100 models' trials
    genuine, owner = np.arange(200) < 100, np.where(np.arange(200) < 100, -1, np.arange(200) - 100)
    fitted = FeatureCritic(window=20)
    for _ in range(20):  # a full window
        fitted.criticise(x + 0.1 * rng.standard_normal(x.shape), genuine, owner, 100)
    z, y = fitted.statistics(x), np.concatenate(fitted.y)
    window = np.concatenate(fitted.z)

    loose = FeatureCritic(window=20)
    loose.load_state_dict(fitted.state_dict())

    def free():  # the same fit without the thread limit, on a copy
        loose._fit(window, y)

    from turinglearn.core.evaluation import quantiles

    assert np.array_equal(quantiles(x, (0.1, 0.5, 0.9)), np.quantile(x, [0.1, 0.5, 0.9], axis=1))
    return {
        "generation": _timed(lambda: fitted.criticise(x, genuine, owner, 100), repeats),
        "fit_one_thread": _timed(lambda: fitted.learn(z, genuine), repeats),
        "fit_threads_free": _timed(free, repeats),
        # the statistics' quantiles, as shipped (one sort) against numpy's, the same numbers
        "quantiles": _timed(lambda: quantiles(x, (0.1, 0.5, 0.9)), repeats),
        "quantiles_numpy": _timed(lambda: np.quantile(x, [0.1, 0.5, 0.9], axis=1), repeats),
    }


def hooks(generations: int) -> float:
    """Seconds per generation that a run spends outside ``step`` (the run's hooks), measured on a short run."""
    from turinglearn import learn

    stamps: list[tuple[float, float]] = []

    def stamp(record):
        stamps.append((time.perf_counter(), record.seconds))

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"evaluation.c2st_trials": 20, "evaluation.average_last": 5}
        learn(PRESET, generations=generations, out=Path(tmp) / "run", overrides=overrides, hooks=[stamp])
    walls = np.diff([t for t, _ in stamps])
    steps = np.array([s for _, s in stamps[1:]])
    return median(walls - steps)


_FIRST_CHUNK = """
import time, numpy as np
t0 = time.perf_counter()
from turinglearn.environments.aggregation import AggregationConfig, AggregationSim
from turinglearn.families.elman import ElmanNetwork
sim = AggregationSim(AggregationConfig(n_agents=10, n_replicas=4))
feats = sim.rollout(sim.swarm_params(np.zeros((50, 4))), np.random.default_rng(0)).features
ElmanNetwork().judge(np.zeros((120, 46)), feats[:, 10:].reshape(-1, 200, 2))
print(time.perf_counter() - t0)
"""


def compile_seconds() -> dict:
    """Seconds to the end of the first chunk in a fresh process: compiling (empty cache) and loading the cache."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "cached"):
            l0 = load()
            run = subprocess.run(
                [sys.executable, "-c", _FIRST_CHUNK], env=env, capture_output=True, text=True, check=True
            )
            out[label] = {"seconds": float(run.stdout.split()[-1]), "load": (l0 + load()) / 2}
    return out


def scalar(share: float) -> dict:
    from turinglearn.environments.reference import reference_elman_judge, reference_rollout

    fast, _ = learners()
    sim = fast.system.sim
    theta = fast.model_optimizer.ask()
    w = np.concatenate([fast.discriminator_optimizer.ask(), fast.archive])
    m, d = len(theta), len(w)
    m_run, d_run = max(1, round(share * m)), max(1, round(share * d))
    state = sim.reset(np.random.default_rng(0), m_run)
    params = sim.swarm_params(theta[:m_run])
    t0 = time.perf_counter()
    samples = []
    for b in range(m_run):
        samples.extend(reference_rollout(state.pos[b], state.heading[b], params[b], sim.config.steps))
    t_sim = (time.perf_counter() - t0) * (m / m_run)
    n_samples = 8 * m  # every judge judges 4 genuine and 4 counterfeit samples of every trial
    t0 = time.perf_counter()
    for i in range(d_run):
        for s in samples[: max(1, round(share * n_samples))]:
            reference_elman_judge(w[i], s)
    t_judge = (time.perf_counter() - t0) * (d / d_run) / share
    return {
        "seconds_per_generation": t_sim + t_judge,
        "simulation": t_sim,
        "judgement": t_judge,
        "share": share,
    }


def full_run(cold: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        env = {**os.environ, **({"NUMBA_CACHE_DIR": str(Path(tmp) / "cache")} if cold else {})}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        l0 = load()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "turinglearn", "run", PRESET, "--quiet", "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads((out / "summary.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "learning_seconds": summary["seconds"],
        "peak_rss_mib": after.ru_maxrss / 1024,
        "max_abs_error": summary["max_abs_error"],
        "c2st": summary["c2st"],
        "cold_cache": cold,
        "load": (l0 + load()) / 2,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--generations", type=int, default=10, help="generations of each path to time, interleaved"
    )
    p.add_argument("--repeats", type=int, default=5, help="repeats of each part (median)")
    p.add_argument(
        "--scalar-share", type=float, default=0.0, help="share of the scalar generation to time (0: none)"
    )
    p.add_argument("--full-run", action="store_true", help="also time a whole default run")
    p.add_argument("--cold", action="store_true", help="the full run starts from an empty Numba cache")
    a = p.parse_args()
    import platform

    from turinglearn.families._compiled import threads

    print(
        f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"({threads()} kernel threads), python {platform.python_version()}, numpy {np.__version__}"
    )
    result: dict = {}
    c = result["compile"] = compile_seconds()
    print(
        f"first chunk in a fresh process: {c['cold']['seconds']:.1f} s compiling (load {c['cold']['load']:.1f}), "
        f"{c['cached']['seconds']:.1f} s from the cache (load {c['cached']['load']:.1f})"
    )
    g = result["generation"] = per_generation(a.generations)
    print(
        f"generation: kernels {g['numba']:.3f} s, numpy {g['numpy']:.3f} s -> {g['speedup']:.1f}x "
        f"(target >= 3x; median of {a.generations} interleaved; load {g['load']:.1f})"
    )
    m = result["memory"] = memory_cost(a.generations)
    print(
        f"generation with the preset's memory {m['memory']:.3f} s, without it {m['without']:.3f} s -> "
        f"{m['ratio']:.2f}x (median of {a.generations} interleaved, after 25 each; load {m['load']:.1f})"
    )
    pt = result["parts"] = parts(a.repeats)
    print(
        f"parts of one generation ({pt['robot_steps']:,} robot-steps; {pt['judges']} judges x "
        f"{pt['samples']} samples = {pt['multiply_adds'] / 1e9:.2f} G multiply-adds):"
    )
    for label, row in pt["rows"].items():
        sim, jdg = row["simulation"], row["judgement"]
        print(
            f"  {label:16s} simulation {sim:.3f} s ({pt['robot_steps'] / sim / 1e6:5.2f} M robot-steps/s)   "
            f"judgement {jdg:.3f} s ({pt['multiply_adds'] / jdg / 1e9:5.2f} G multiply-adds/s)   load {row['load']:.1f}"
        )
    opt = result["optimiser"] = optimiser(a.repeats)
    hk = result["hooks"] = hooks(30)
    print(
        f"  optimisers (ask, fitness, tell) {opt * 1e3:.1f} ms; run hooks (metrics, checkpoints) {hk * 1e3:.1f} ms"
    )
    cr = result["critic"] = critic(a.repeats)
    print(
        f"  critic, a generation (judge 200 samples, fit on the window's 4,000) {cr['generation'] * 1e3:.1f} ms; "
        f"its fit with one BLAS thread "
        f"{cr['fit_one_thread'] * 1e3:.1f} ms, with BLAS's threads free {cr['fit_threads_free'] * 1e3:.1f} ms "
        f"(load {load():.1f})"
    )
    print(
        f"  a trial's quantiles (200 trials of 300 steps, 2 features) {cr['quantiles'] * 1e3:.2f} ms, "
        f"numpy's np.quantile {cr['quantiles_numpy'] * 1e3:.2f} ms, the same numbers (load {load():.1f})"
    )
    if a.scalar_share > 0:
        s = result["scalar"] = scalar(a.scalar_share)
        print(
            f"scalar oracle: {s['seconds_per_generation']:.0f} s/generation (simulation {s['simulation']:.0f} s, "
            f"judgement {s['judgement']:.0f} s; timed share {a.scalar_share:g}) -> kernels "
            f"{s['seconds_per_generation'] / g['numba']:.0f}x"
        )
    if a.full_run:
        f = result["full_run"] = full_run(a.cold)
        print(
            f"full default run ({'cold cache, compilation included' if a.cold else 'cached kernels'}): "
            f"{f['wall_seconds']:.0f} s wall, {f['cpu_seconds']:.0f} s CPU ({f['learning_seconds']:.0f} s learning; "
            f"target < 180 s), peak memory {f['peak_rss_mib']:.0f} MiB, max |error| {f['max_abs_error']:.3f}, "
            f"C2ST {f['c2st']:.2f}, load {f['load']:.1f}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
