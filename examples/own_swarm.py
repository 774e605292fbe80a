"""Route (a): a swarm simulator of your own, with genuine agents and replicas.

Contract: :class:`turinglearn.core.contracts.SwarmSimulator` (see ``docs/own-system.md``).

The system: robots in a plane that drift towards their swarm's centroid. Each step a robot's
velocity keeps half of the last one (``INERTIA``), is pulled towards the centroid with
``gain`` and jittered by Gaussian noise of standard deviation ``noise``::

    v <- INERTIA * v + gain * (centroid - x) + noise * N(0, 1)      x <- x + v

Ground truth ``(gain, noise) = (0.2, 0.05)``. Each robot records two features
per step, its speed (divided by ``SPEED_SCALE``) and its distance from the centroid (divided
by ``DISTANCE_SCALE``), so that their spread is of order 0.1 to 1 (the checker warns when a
feature's spread falls below the held-out test's tracking noise, 0.05). How fast the robots
close in reveals ``gain``; how they jitter once gathered reveals ``noise``. A swarm is ``n_agents`` genuine robots (the truth)
plus ``n_replicas`` replicas (a model); every robot runs its own parameter row, so one
batched rollout simulates both, and the discriminators judge one robot's trajectory at a time.

Run it: ``python examples/own_swarm.py`` (about half a minute), ``--quick`` for a few seconds.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

import turinglearn
from turinglearn.families.parametric import BoxFamily

#: features: speed / SPEED_SCALE, distance from the centroid / DISTANCE_SCALE
SPEED_SCALE = 0.1
DISTANCE_SCALE = 0.5
#: the fraction of its velocity a robot keeps from one step to the next
INERTIA = 0.5


@dataclass(frozen=True)
class DriftConfig:
    """``config`` of a swarm simulator: what :class:`~turinglearn.core.contracts.SwarmConfig` asks for."""

    n_agents: int = 5  # genuine robots per swarm: they run the truth
    n_replicas: int = 1  # robots per swarm that run the model
    steps: int = 40  # T, steps per trial


#: the models: their parameters' names and bounds
FAMILY = BoxFamily(("gain", "noise"), lower=(0.0, 0.0), upper=(0.5, 0.2))


class DriftSwarm:
    """``B`` swarms of ``N = n_agents + n_replicas`` robots drifting towards their centroid."""

    model_family = FAMILY  # the models' parameters and bounds
    truth = np.array([0.2, 0.05])
    feature_names = ("speed", "distance")

    def __init__(self, config: DriftConfig | None = None):
        self.config = config or DriftConfig()

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """theta [B, d], one model per swarm -> params [B, N, d]: the truth in the agents' rows
        ``0 .. n_agents - 1``, the model in the replicas' rows."""
        n, r = self.config.n_agents, self.config.n_replicas
        params = np.repeat(np.asarray(theta, float)[:, None, :], n + r, axis=1)
        params[:, :n] = self.truth
        return params

    def rollout(self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False):
        """params [B, N, d], every robot its own row -> .features [B, N, T, F]
        (with ``record=True`` also .pos [B, T + 1, N, 2])."""
        b, n, _ = params.shape
        gain, noise = params[..., 0:1], params[..., 1:2]  # each [B, N, 1]: every robot its own row
        x = rng.uniform(-1.0, 1.0, size=(b, n, 2))  # positions [B, N, 2]
        v = np.zeros_like(x)
        feats = np.empty((b, n, self.config.steps, 2))
        track = [x] if record else None
        for t in range(self.config.steps):
            to_centre = x.mean(axis=1, keepdims=True) - x  # [B, N, 2]
            # every robot draws its noise: the same draws whatever the parameters
            v = INERTIA * v + gain * to_centre + noise * rng.normal(size=x.shape)
            x = x + v
            feats[:, :, t, 0] = np.linalg.norm(v, axis=-1) / SPEED_SCALE
            feats[:, :, t, 1] = np.linalg.norm(x.mean(axis=1, keepdims=True) - x, axis=-1) / DISTANCE_SCALE
            if record:
                track.append(x)
        out = SimpleNamespace(features=feats)
        if record:
            out.pos = np.stack(track, axis=1)
        return out


#: full settings (the neutral preset "own-system" plus these): about ten seconds on one core. The
#: preset's step sizes are fractions of each parameter's range, so they suit these ranges as they are
SETTINGS = {
    "generations": 300,
    "models.population": 50,
    "models.parents": 25,
    "discriminators.population": 50,
    "discriminators.parents": 25,
    "learner.trials_per_model": 2,
    "learner.genuine_per_trial": 2,
    "evaluation.average_last": 150,
    "evaluation.c2st_trials": 100,
}
#: a few seconds: the test's setting
QUICK = {
    **SETTINGS,
    "generations": 60,
    "models.population": 30,
    "models.parents": 15,
    "discriminators.population": 30,
    "discriminators.parents": 15,
    "evaluation.average_last": 30,
    "evaluation.c2st_trials": 0,
}


def run(seed: int = 0, quick: bool = False, progress: bool = False):
    sim = DriftSwarm()
    turinglearn.check_environment(sim)  # raises ContractError naming every problem; warns on weak features
    return turinglearn.learn(
        "own-system", simulator=sim, seed=seed, overrides=QUICK if quick else SETTINGS, progress=progress
    )


def explain(result) -> None:
    """How to read the result: the inferred parameters beside the truth, and the C2ST."""
    width = FAMILY.upper - FAMILY.lower
    for name, got, true, err, w in zip(
        result.names, result.inferred, result.truth, result.abs_error, width, strict=True
    ):
        print(
            f"  {name:8s} inferred {got:7.3f}   truth {true:7.3f}   error {100 * err / w:5.1f} % of its range"
        )
    if result.c2st is not None:
        print(f"  C2ST {result.c2st:.3f}: a fresh classifier's accuracy telling the truth's robots from the")
        print("  inferred model's (0.5: indistinguishable at the tracking noise; 1.0: always told apart)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds instead of about half a minute")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    explain(run(args.seed, args.quick, progress=True))
