"""The critic judging a model's samples one at a time or as sets (``learner.critic_sets``), on
two systems of one's own with a known truth, held-out seeds, side by side in one run.

- ``walkers``: animals that each keep a speed of their own, drawn from N(v0, v_sd) (a spread
  between individuals, as an ecologist's fish), with a correlated speed noise about it and a
  turning noise; 4 tracked and 4 model animals a trial (the 4 tracked all shown to the judges),
  50 steps, 300 generations.
- ``ar1``: an autoregressive process x[t+1] = phi x[t] + s eps (a statistician's), one trial of
  each side, two trials of each model a generation, 20 steps, 200 generations.

Both run the ``own-system`` preset (the papers' ES and judges with the coevolution's memory,
critic = 0.5) with ``evaluation.intervals = "off"``; the only difference between the two rows of
a system is ``learner.critic_sets``. Prints, per system and setting, each parameter's estimate
(median and range over the seeds), its error, and the C2ST.

    python benchmarks/critic_sets.py --seeds 10-14 --jobs 2
    python benchmarks/critic_sets.py --seeds 10-14 --jobs 2 --systems walkers-2 walkers-8   # the set's size
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from turinglearn.families.parametric import BoxFamily


@dataclass(frozen=True)
class Config:
    n_agents: int = 4
    n_replicas: int = 4
    steps: int = 50


class _Swarm:
    """Independent animals: a swarm is a batch; the truth in the first n_agents rows."""

    def __init__(self, config: Config | None = None):
        self.config = config or Config()

    def swarm_params(self, theta):
        n, r = self.config.n_agents, self.config.n_replicas
        params = np.repeat(np.asarray(theta, float)[:, None, :], n + r, axis=1)
        params[:, :n] = self.truth
        return params


class Walkers(_Swarm):
    """Each animal's own speed ~ N(v0, v_sd) (at least 0.05), about which its speed varies by a
    quarter (an AR(1) noise of coefficient 0.8); its heading turns by N(0, turn_noise) a step.
    Features: speed / 2 and the turn."""

    model_family = BoxFamily(("v0", "v_sd", "turn_noise"), lower=(0.2, 0.0, 0.02), upper=(2.0, 0.6, 1.0))
    truth = np.array([1.0, 0.25, 0.3])
    feature_names = ("speed", "turn")

    def rollout(self, params, rng, *, record=False):
        p = np.asarray(params, float)
        b, n, _ = p.shape
        own = np.maximum(p[..., 0] + p[..., 1] * rng.standard_normal((b, n)), 0.05)
        e = 0.6 * rng.standard_normal((b, n)) / np.sqrt(1 - 0.8**2)  # stationary from the start
        out = np.empty((b, n, self.config.steps, 2))
        for t in range(self.config.steps):
            e = 0.8 * e + 0.6 * rng.standard_normal((b, n))
            out[:, :, t, 0] = own * (1 + 0.25 * e) / 2
            out[:, :, t, 1] = p[..., 2] * rng.standard_normal((b, n))
        return SimpleNamespace(features=out)


class AR1(_Swarm):
    """x[t+1] = phi x[t] + s eps, from the stationary N(0, s^2 / (1 - phi^2))."""

    model_family = BoxFamily(("phi", "s"), lower=(0.0, 0.05), upper=(0.95, 0.5))
    truth = np.array([0.7, 0.2])
    feature_names = ("x",)

    def rollout(self, params, rng, *, record=False):
        p = np.asarray(params, float)
        b, n, _ = p.shape
        phi, s = p[..., 0], p[..., 1]
        x = s / np.sqrt(1 - phi**2) * rng.standard_normal((b, n))
        out = np.empty((b, n, self.config.steps, 1))
        for t in range(self.config.steps):
            x = phi * x + s * rng.standard_normal((b, n))
            out[:, :, t, 0] = x
        return SimpleNamespace(features=out)


SMALL = {"models.population": 50, "models.parents": 25, "discriminators.population": 50, "discriminators.parents": 25}
SYSTEMS = {
    # as many genuine agents a trial as replicas: a set of the system's from the swarms of a model's set
    "walkers": (lambda: Walkers(), {"generations": 300, "evaluation.average_last": 100, "learner.genuine_per_trial": 4}),
    # the walkers judged in sets of 2 (2 replicas, 2 genuine agents a trial) and of 8 (two trials of 4)
    "walkers-2": (
        lambda: Walkers(Config(n_agents=4, n_replicas=2)),
        {"generations": 300, "evaluation.average_last": 100, "learner.genuine_per_trial": 2},
    ),
    "walkers-8": (
        lambda: Walkers(),
        {"generations": 300, "evaluation.average_last": 100, "learner.genuine_per_trial": 4, "learner.trials_per_model": 2},
    ),
    "ar1": (
        lambda: AR1(Config(n_agents=1, n_replicas=1, steps=20)),
        {**SMALL, "generations": 200, "evaluation.average_last": 100, "learner.trials_per_model": 2},
    ),
}


def one_run(job):
    import warnings

    import turinglearn

    system, sets, seed = job
    make, settings = SYSTEMS[system]
    sim = make()
    over = {**settings, "evaluation.intervals": "off", "evaluation.c2st_trials": 200, "learner.critic_sets": sets}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = turinglearn.learn("own-system", simulator=sim, seed=seed, overrides=over)
    return {
        "system": system,
        "sets": sets,
        "seed": seed,
        "parameters": list(sim.model_family.names),
        "truth": sim.truth.tolist(),
        "estimate": np.asarray(result.inferred, float).tolist(),
        "c2st": result.summary()["c2st"],
        "seconds": time.perf_counter() - start,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| system | critic judges | parameter | truth | estimate, median [min, max] | error, median [largest] | C2ST, median |",
        "|---|---|---|---|---|---|---|",
    ]
    for system in SYSTEMS:
        for sets in (False, True):
            mine = [r for r in rows if r["system"] == system and r["sets"] == sets]
            if not mine:
                continue
            est = np.array([r["estimate"] for r in mine])
            truth = np.array(mine[0]["truth"])
            err = np.abs(est - truth)
            c2st = np.median([r["c2st"] for r in mine])
            for j, name in enumerate(mine[0]["parameters"]):
                e = est[:, j]
                lines.append(
                    f"| {system} ({len(mine)} seeds) | {'sets' if sets else 'samples'} | {name} | {truth[j]:g} | "
                    f"{np.median(e):.3f} [{e.min():.3f}, {e.max():.3f}] | {np.median(err[:, j]):.3f} [{err[:, j].max():.3f}] | "
                    f"{c2st:.3f} |"
                )
    return "\n".join(lines)


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="10-14")
    p.add_argument("--systems", nargs="+", default=["walkers", "ar1"], choices=list(SYSTEMS))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", type=Path, help="write every run's row here")
    a = p.parse_args(argv)
    jobs = [(s, sets, seed) for s in a.systems for seed in parse_seeds(a.seeds) for sets in (False, True)]
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(one_run, jobs))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows))
    seconds = [r["seconds"] for r in rows]
    print(f"\n{len(rows)} runs, {min(seconds):.0f}-{max(seconds):.0f} s each ({a.jobs} at a time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
