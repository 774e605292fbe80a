"""The held-out test when the genuine side is a recording smaller than the test: the test draws
more genuine trials than the recording holds, so individuals repeat, and a copy on each side of
a cross-validation fold let the classifier recognise them (at the truth, 200 trials from a
recording of 40 read 0.61 instead of 0.50). Each recorded individual now counts once."""

from types import SimpleNamespace

import numpy as np
import pytest

from turinglearn.core.evaluation import distinct, distinct_groups, model_c2st
from turinglearn.core.trust import FastTest
from turinglearn.families.parametric import BoxFamily
from turinglearn.systems.recorded import RecordedSystem
from turinglearn.systems.recording_files import Recording


def test_distinct_keeps_each_trajectory_once_and_groups_that_share_none():
    x = np.arange(6 * 3 * 2, dtype=float).reshape(6, 3, 2)  # 6 distinct trajectories [T=3, F=2]
    repeated = x[[0, 1, 0, 2, 3, 1, 4, 5, 5]]
    np.testing.assert_array_equal(distinct(repeated, folds=2), x[[0, 1, 2, 3, 4, 5]])
    assert distinct(repeated, folds=5) is repeated  # fewer than 2 x folds distinct: left as it is
    groups = x[[[0, 1], [1, 2], [3, 4], [5, 5], [2, 0], [4, 5]]]  # [6 groups, k=2, T, F]
    np.testing.assert_array_equal(distinct_groups(groups, folds=1), [0, 2])  # [1, 2] shares 1, [5, 5] repeats itself
    assert distinct_groups(x[:, None], folds=1) is None  # nothing repeats: every group kept


class Walkers:
    """A swarm of independent walkers, each at a speed of its own drawn at the start (mean p,
    spread 0.3) plus tracking jitter: individuals as distinct as tracked animals are."""

    feature_names = ("speed",)
    model_family = BoxFamily(("p",), [0.0], [2.0])
    truth = np.array([1.0])
    config = SimpleNamespace(n_agents=2, n_replicas=2, steps=20)

    def swarm_params(self, theta):
        rows = np.repeat(np.asarray(theta, float)[:, None], 4, axis=1)
        rows[:, :2] = self.truth
        return rows

    def rollout(self, params, rng, *, record=False):
        b, n, _ = params.shape
        speed = params[..., 0] + 0.3 * rng.standard_normal((b, n))
        jitter = 0.02 * rng.standard_normal((b, n, 20))
        return SimpleNamespace(features=(speed[..., None] + jitter)[..., None])


@pytest.fixture(scope="module")
def small_recording():
    """40 walkers recorded at the truth (far fewer than the test's 200 trials)."""
    sim = Walkers()
    x = sim.rollout(np.ones((20, 2, 1)), np.random.default_rng(3)).features.reshape(40, 20, 1)
    recording = Recording(x=x, ids=np.arange(40), feature_names=sim.feature_names)
    return RecordedSystem(sim, recording), sim.truth


def test_the_c2st_at_the_truth_reads_chance_from_a_small_recording(small_recording):
    system, truth = small_recording
    values = [model_c2st(system, truth, np.random.default_rng(s), 200, noise=0.05) for s in range(6)]
    assert abs(np.mean(values) - 0.5) < 0.05, values  # with the repeats: about 0.6


def test_the_fast_test_rejects_the_truth_no_more_than_its_level_from_a_small_recording(small_recording):
    system, truth = small_recording
    fam = system.model_family
    rejected, excess = 0, []
    for seed in range(8):
        test = FastTest(system, 200, 0.05, fam.lower, fam.upper, seed=seed)
        out = test.calibrate(truth)
        rejected += out["rejected"]
        excess.append(out["accuracy"] - out["null_median"])
        assert test.used <= 40  # each recorded individual in one trial only
    assert rejected <= 3 and np.mean(excess) < 0.03, (rejected, excess)
