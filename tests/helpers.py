"""Assertions shared by several test folders (tests/ is on sys.path, see conftest.py)."""

import numpy as np

#: a small interactive experiment (overrides of the stimulus-response preset)
SMALL_INTERACTIVE = {
    "environment.steps": 20,
    "learner.genuine_trials": 8,
    "models.population": 8,
    "models.parents": 4,
    "discriminators.population": 8,
    "discriminators.parents": 4,
    "evaluation.c2st_trials": 20,
}

#: summary keys that measure time, not what a run computed
TIME_KEYS = {"seconds", "seconds_per_generation"}


def same_summary(a: dict, b: dict) -> None:
    assert {k: v for k, v in a.items() if k not in TIME_KEYS} == {
        k: v for k, v in b.items() if k not in TIME_KEYS
    }


def assert_same_run(a, b) -> None:
    """Two results computed the same thing: summaries, final populations, every metric."""
    same_summary(a.summary(), b.summary())
    np.testing.assert_array_equal(a.models, b.models)
    np.testing.assert_array_equal(a.discriminators, b.discriminators)
    np.testing.assert_array_equal(a.model_fitness, b.model_fitness)
    for k in a.history:
        if k != "seconds":
            np.testing.assert_array_equal(a.history[k], b.history[k], err_msg=k)


def record_evaluations(learner) -> list:
    """Wrap ``learner.system.evaluate`` so every Evaluation it returns is kept, in order."""
    seen, evaluate = [], learner.system.evaluate

    def spy(theta, disc, judges, rng, part=0, parts=1):
        seen.append(evaluate(theta, disc, judges, rng, part, parts))
        return seen[-1]

    learner.system.evaluate = spy
    return seen
