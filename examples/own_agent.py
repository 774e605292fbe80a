"""Route (b): a single agent of your own that an interrogator can stimulate.

Contract: :class:`turinglearn.core.contracts.InteractiveSimulator` (see ``docs/own-system.md``).

The system: a leaky integrator, e.g. a cell's response to a drug dose or a heater's
temperature. Each step it moves a fraction ``rate`` of the way towards ``gain`` times the
stimulus ``u`` (in [0, 1]) that the interrogator sets, and is observed through a saturating
sensor with noise::

    y <- y + rate * (gain * u - y)        observed: tanh(y) + 0.02 * N(0, 1)

Ground truth ``(gain, rate) = (1.2, 0.3)``. Under the passive schedule the stimulus stays at
0.5, ``y`` settles at ``0.6`` within a few steps and ``rate`` hardly shows; an interrogator
that switches the stimulus sees how fast the agent follows, which reveals ``rate``.

The simulator is batched over any leading shape: ``reset(rng, shape)`` makes states of that
shape and ``step`` broadcasts params [..., d] and stimulus [..., k] against them; every agent
uses its own parameter row.

Run it: ``python examples/own_agent.py`` (about a minute), ``--quick`` for a few seconds.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

import turinglearn
from turinglearn.families.parametric import BoxFamily

#: standard deviation of the sensor's noise
SENSOR_NOISE = 0.02


@dataclass(frozen=True)
class IntegratorConfig:
    steps: int = 40  # T, steps per trial
    passive_level: float = 0.5  # the stimulus a passive observer applies throughout


#: the models: their parameters' names and bounds
FAMILY = BoxFamily(("gain", "rate"), lower=(0.0, 0.05), upper=(2.0, 1.0))


class LeakyIntegrator:
    """A batch of leaky integrators under a stimulus the interrogator sets."""

    model_family = FAMILY  # the models' parameters and bounds
    truth = np.array([1.2, 0.3])
    feature_names = ("response", "stimulus")
    stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)  # the dose u
    feature_space = gym.spaces.Box(-2.0, 2.0, shape=(2,), dtype=np.float64)

    def __init__(self, config: IntegratorConfig | None = None):
        self.config = config or IntegratorConfig()

    def passive_schedule(self) -> np.ndarray:
        """The stimuli [T, k] a passive observer applies: a constant level."""
        return np.full((self.config.steps, 1), self.config.passive_level)

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """States [*shape]: every agent starts at rest."""
        return np.zeros(shape)

    def step(self, y: np.ndarray, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator):
        """params [..., 2] and stimulus [..., 1], broadcast against y [...] -> (y, features [..., 2])."""
        gain, rate = params[..., 0], params[..., 1]  # each agent's own row
        u = stimulus[..., 0]
        y = y + rate * (gain * u - y)
        observed = np.tanh(y) + SENSOR_NOISE * rng.normal(size=y.shape)
        return y, np.stack([observed, np.broadcast_to(u, y.shape)], axis=-1)


#: full settings (the neutral preset "own-system" plus these): about a minute on one core
SETTINGS = {
    "generations": 150,
    "models.population": 40,
    "models.parents": 20,
    "discriminators.population": 40,
    "discriminators.parents": 20,
    "learner.genuine_trials": 40,
    "learner.trials_per_model": 2,
    "evaluation.average_last": 75,
    "evaluation.c2st_trials": 100,
}
#: a few seconds: the test's setting
QUICK = {**SETTINGS, "generations": 80, "evaluation.average_last": 40, "evaluation.c2st_trials": 0}


def run(seed: int = 0, quick: bool = False, progress: bool = False):
    sim = LeakyIntegrator()
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
            f"  {name:6s} inferred {got:7.3f}   truth {true:7.3f}   error {100 * err / w:5.1f} % of its range"
        )
    if result.c2st is not None:
        print(
            f"  C2ST {result.c2st:.3f}: a fresh classifier's accuracy telling trials of the truth from trials"
        )
        print("  of the inferred model under random stimuli (0.5: indistinguishable; 1.0: always told apart)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds instead of about a minute")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    explain(run(args.seed, args.quick, progress=True))
