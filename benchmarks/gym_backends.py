"""Speed of the gym wrapper's two physics backends: any gymnasium id through
``gymnasium.make_vec`` (``backend="vector"``, one Python call per episode and step) against the
batched numpy equations (``backend="numpy"``, the baseline) on the same id, Pendulum-v1 under
the hidden PD controller of ``turinglearn/PendulumPD-v0``, interleaved so that both see the same
load. Prints microseconds per episode and step (the median of ``--repeats`` timings of a batch
of ``--episodes`` episodes for ``--steps`` steps: the physics and the policy) and what the
episodes of one generation of the ``own-system`` preset (100 interrogators, each running 100
models and 100 trials of the system: 20,000 episodes) would take on each, the judging and the
learner's own work left out.

    python benchmarks/gym_backends.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from turinglearn import GymSim
from turinglearn.environments.gym_tasks import pd_policy
from turinglearn.families.parametric import BoxFamily

#: episodes of one own-system generation: 100 interrogators x (100 models + 100 genuine trials)
OWN_SYSTEM_EPISODES = 100 * (100 + 100)


def per_step(sim: GymSim, episodes: int, steps: int, seed: int) -> float:
    """Seconds per episode and step of ``steps`` steps of ``episodes`` episodes of the truth."""
    rng = np.random.default_rng(seed)
    state = sim.reset(rng, (episodes,))
    params = np.broadcast_to(sim.truth, (episodes, len(sim.truth)))
    push = np.zeros((episodes, sim.stimulus_space.shape[0]))
    t0 = time.perf_counter()
    for _ in range(steps):
        state, _ = sim.step(state, params, push, rng)
    return (time.perf_counter() - t0) / (episodes * steps)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    family = BoxFamily(("kp", "kd"), (0.0, 0.0), (20.0, 5.0))
    sims = {b: GymSim("Pendulum-v1", pd_policy, family, (10.0, 2.0), steps=args.steps, backend=b) for b in ("numpy", "vector")}
    times: dict[str, list[float]] = {b: [] for b in sims}
    for r in range(args.repeats):  # interleaved: the same load for both
        for backend, sim in sims.items():
            times[backend].append(per_step(sim, args.episodes, args.steps, seed=r))
    print(f"Pendulum-v1, {args.episodes} episodes x {args.steps} steps, median of {args.repeats}; load {os.getloadavg()[0]:.2f}")
    base = float(np.median(times["numpy"]))
    for backend, ts in times.items():
        t = float(np.median(ts))
        generation = t * OWN_SYSTEM_EPISODES * args.steps
        print(
            f"  {backend:6} {t * 1e6:8.2f} us per episode-step ({t / base:6.1f}x numpy); "
            f"an own-system generation at {args.steps} steps: {generation:6.1f} s"
        )


if __name__ == "__main__":
    main()
