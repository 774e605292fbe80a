"""Make your own system interrogable: a damped spring whose stiffness and damping we infer.

The interrogator pushes the mass (its stimulus: a force in [-1, 1]) and watches the position;
under the passive schedule nobody pushes and the mass never moves, so nothing can be learned.
"""

from types import SimpleNamespace

import gymnasium as gym
import numpy as np

import turinglearn
from turinglearn.families.parametric import BoxFamily


class Spring:
    model_family = BoxFamily(("stiffness", "damping"), lower=(0, 0), upper=(1, 1))
    feature_names = ("position",)
    stimulus_space = gym.spaces.Box(-1.0, 1.0, shape=(1,))  # the force the interrogator applies
    truth = np.array([0.5, 0.2])
    config = SimpleNamespace(steps=60)

    def passive_schedule(self):  # what a passive observer does: nothing
        return np.zeros((self.config.steps, 1))

    def reset(self, rng, shape):  # state [..., 2]: position and velocity
        return np.zeros((*shape, 2))

    def step(self, x, p, force, rng):  # p [..., 2] broadcasts against the batch
        v = x[..., 1] + 0.2 * (force[..., 0] - p[..., 0] * x[..., 0] - p[..., 1] * x[..., 1])
        x = np.stack([x[..., 0] + 0.2 * v, v], axis=-1)
        return x, x[..., :1] / 5  # features [..., 1]


if __name__ == "__main__":
    result = turinglearn.learn(
        simulator=Spring(),
        generations=150,
        overrides={
            "models.population": 40,
            "models.parents": 20,
            "discriminators.population": 40,
            "discriminators.parents": 20,
            "learner.genuine_trials": 40,
            "evaluation.c2st_trials": 0,
        },
    )
    print("inferred", result.inferred.round(3), "truth", result.truth, "abs error", result.abs_error.round(3))
