"""Settings and assertions shared by several test folders (tests/ is on sys.path, see conftest.py)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from turinglearn.config import WITHOUT_MEMORY
from turinglearn.core.contracts import SampleBatch, judge_samples

#: a small, fast experiment used across tests (about 0.02 s per generation)
TINY = {
    "generations": 3,
    "environment.n_agents": 4,
    "environment.steps": 20,
    "models.population": 10,
    "models.parents": 5,
    "discriminators.population": 10,
    "discriminators.parents": 5,
    # the held-out C2ST (a forest of 100 trees in 5 folds, about 1 s a run however few its trials)
    # and the trust report (power, intervals) have tests of their own (tests/core/test_evaluation.py,
    # tests/core/test_trust.py) and runs that ask for them; tiny runs elsewhere skip both
    "evaluation.c2st_trials": 0,
    "evaluation.intervals": "off",
    # each feature's tests see it beside the papers' judge fitness, not beside the presets' memory,
    # which tests/test_presets_memory.py runs as shipped
    **WITHOUT_MEMORY,
    # nor beside a restart: a tiny run's estimate is always told apart, so the aggregation preset's
    # check when it settles would restart every run that converges (tests/app/test_restart.py asks)
    "stopping.restart_above": 0,
}

#: a small interactive experiment (overrides of the stimulus-response preset; without its memory,
#: as TINY)
SMALL_INTERACTIVE = {
    **WITHOUT_MEMORY,
    "environment.steps": 20,
    "learner.genuine_trials": 8,
    "models.population": 8,
    "models.parents": 4,
    "discriminators.population": 8,
    "discriminators.parents": 4,
    "evaluation.c2st_trials": 0,  # as TINY: the tests that read a C2ST ask for one
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


def record_shown(learner) -> list:
    """Wrap ``learner.system.evaluate`` so every parameter array it runs [n, d] is kept, in order."""
    shown, evaluate = [], learner.system.evaluate

    def spy(theta, disc, judges, rng, part=0, parts=1):
        shown.append(np.array(theta))
        return evaluate(theta, disc, judges, rng, part, parts)

    learner.system.evaluate = spy
    return shown


def record_samples(learner, monkeypatch) -> list:
    """Spy on the evaluator's ``samples`` (the batches that come back to the learner), in order."""
    batches, samples = [], type(learner.evaluator).samples

    def spy(self, *args):
        batches.append(samples(self, *args))
        return batches[-1]

    monkeypatch.setattr(type(learner.evaluator), "samples", spy)
    return batches


class Shifted:
    """A toy system: genuine samples ~ N(0.3, 0.1), a model theta's samples ~ N(theta, 0.1)."""

    class family:
        n_params, names = 1, ("mu",)
        lower, upper = np.array([-1.0]), np.array([1.0])

    model_family = family
    truth = np.array([0.3])

    def __init__(self, per: int = 1):
        self.per = per  # samples of each model a generation

    def samples(self, theta, rng):
        m, k = len(theta), self.per
        g = 0.3 + 0.1 * rng.standard_normal((m, 10, 1))
        c = np.repeat(theta, k, axis=0)[:, None, :] + 0.1 * rng.standard_normal((m * k, 10, 1))
        return SampleBatch(
            np.concatenate([g, c]),
            np.r_[np.ones(m, bool), np.zeros(m * k, bool)],
            np.r_[np.full(m, -1), np.repeat(np.arange(m), k)],
        )

    def evaluate(self, theta, discriminator, weights, rng, part=0, parts=1):
        return judge_samples(self.samples(theta, rng), discriminator, weights)

    def trajectories(self, theta, rng, trials=None):  # [M, trials, agents, T = 1, F = 1]
        m, n = len(theta), trials or 1
        genuine = 0.3 + 0.1 * rng.standard_normal((m, n, 10, 1, 1))
        return genuine, theta[:, None, None, None, :] + 0.1 * rng.standard_normal((m, n, 10, 1, 1))


def interrupt_at(generation: int):
    """A hook that interrupts a run (like Ctrl-C) once ``generation`` is evaluated."""

    def stop(record):
        if record.generation == generation:
            raise KeyboardInterrupt

    return stop


def load_example(name: str):
    """The module ``examples/NAME.py`` (the examples are scripts, not a package)."""
    path = Path(__file__).parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_examples_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
