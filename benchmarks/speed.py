"""Speed benchmark: the batched engine against the scalar reference, on the same work.

One generation of the default aggregation experiment (100 models x 1 trial of 10 agents +
1 replica, 200 steps; 100 Elman discriminators judging 200 samples) is timed

- batched: ``TuringLearner.step`` (numpy, whole populations as arrays), averaged over
  ``--generations`` generations, split into simulation and judgement;
- scalar: the same generation with the reference oracle
  (:mod:`turinglearn.environments.reference`): one trial, one step, one robot at a time, and
  one discriminator on one sample at a time. ``--scalar-share`` times that share of the trials
  and discriminators and scales up (both parts are linear in it); 1.0 runs the whole generation.

With ``--full-run`` it also times a whole default run (``turinglearn run aggregation``, 1000
generations, C2ST and plots included) in a subprocess and reports its peak memory.

    python benchmarks/speed.py --full-run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def batched(generations: int) -> dict:
    from turinglearn.app.build import build
    from turinglearn.config import load_config
    from turinglearn.core.random import stream

    learner = build(load_config("aggregation"))
    learner.step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(generations):
        learner.step()
    per_gen = (time.perf_counter() - t0) / generations
    # split: simulation vs judgement, on one generation's work
    theta, w = learner.model_optimizer.ask(), learner.discriminator_optimizer.ask()
    t0 = time.perf_counter()
    batch = learner.system.samples(theta, stream(0, "simulation", 10**6))
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    learner.discriminator.judge(w, batch.x)
    t_judge = time.perf_counter() - t0
    return {
        "seconds_per_generation": per_gen,
        "simulation": t_sim,
        "judgement": t_judge,
        "samples": int(batch.x.shape[0]),
        "steps": int(batch.x.shape[1]),
    }


def scalar(share: float) -> dict:
    from turinglearn.app.build import build
    from turinglearn.config import load_config
    from turinglearn.core.fitness import discriminator_fitness, judgements, model_fitness
    from turinglearn.core.random import stream
    from turinglearn.environments.reference import reference_elman_judge, reference_rollout

    learner = build(load_config("aggregation"))
    sim, system = learner.system.sim, learner.system
    theta, w = learner.model_optimizer.ask(), learner.discriminator_optimizer.ask()
    m, d = len(theta), len(w)
    m_run, d_run = max(1, round(share * m)), max(1, round(share * d))
    rng = stream(0, "simulation", 0)
    state = sim.reset(rng, m_run)
    params = sim.swarm_params(theta[:m_run])
    n_agents = sim.config.n_agents
    t0 = time.perf_counter()
    genuine, fake = [], []
    for b in range(m_run):
        feats = reference_rollout(state.pos[b], state.heading[b], params[b], sim.config.steps)  # [N, T, 2]
        genuine.append(feats[rng.integers(n_agents)])
        fake.extend(feats[n_agents:])
    t_sim = (time.perf_counter() - t0) * (m / m_run)
    samples = genuine + fake
    # every discriminator judges every sample of the full generation: 2 m samples
    samples = (samples * (2 * m // len(samples) + 1))[: 2 * m]
    t0 = time.perf_counter()
    out = np.array([[reference_elman_judge(w[i], s) for s in samples] for i in range(d_run)])
    t_judge = (time.perf_counter() - t0) * (d / d_run)
    is_genuine = np.arange(2 * m) < m
    owner = np.where(is_genuine, -1, np.arange(2 * m) - m)
    judged = judgements(out)
    discriminator_fitness(judged, is_genuine)
    model_fitness(judged, owner, m) if d_run == d else None
    del system
    return {
        "seconds_per_generation": t_sim + t_judge,
        "simulation": t_sim,
        "judgement": t_judge,
        "share_timed": share,
    }


def full_run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "turinglearn", "run", "aggregation", "--quiet", "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - t0
        summary = json.loads((out / "summary.json").read_text())
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "wall_seconds": wall,
        "learning_seconds": summary["seconds"],
        "peak_rss_mib": peak_mib,
        "max_abs_error": summary["max_abs_error"],
        "c2st": summary["c2st"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generations", type=int, default=20, help="batched generations to time")
    p.add_argument("--scalar-share", type=float, default=1.0, help="share of the scalar generation to time")
    p.add_argument("--full-run", action="store_true", help="also time a whole default run")
    a = p.parse_args()
    import os
    import platform

    print(
        f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    b = batched(a.generations)
    print(
        f"batched : {b['seconds_per_generation']:.3f} s/generation "
        f"(simulation {b['simulation']:.3f} s, judgement {b['judgement']:.3f} s; "
        f"{b['samples']} samples x {b['steps']} steps)"
    )
    s = scalar(a.scalar_share)
    print(
        f"scalar  : {s['seconds_per_generation']:.1f} s/generation "
        f"(simulation {s['simulation']:.1f} s, judgement {s['judgement']:.1f} s; "
        f"timed share {a.scalar_share:g})"
    )
    ratio = s["seconds_per_generation"] / b["seconds_per_generation"]
    print(f"speed-up: {ratio:.0f}x more generations per second (target >= 50x)")
    result = {"batched": b, "scalar": s, "speedup": ratio}
    if a.full_run:
        f = full_run()
        print(
            f"full default run: {f['wall_seconds']:.0f} s wall ({f['learning_seconds']:.0f} s learning; "
            f"target < 300 s), peak memory {f['peak_rss_mib']:.0f} MiB, max |error| {f['max_abs_error']:.3f}, "
            f"C2ST {f['c2st']:.2f}"
        )
        result["full_run"] = f
    print(json.dumps(result))


if __name__ == "__main__":
    main()
