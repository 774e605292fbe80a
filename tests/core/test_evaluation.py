"""The summary statistics of a trajectory (the held-out test's and the feature judges')."""

import numpy as np
import pytest

from turinglearn.core.evaluation import (
    STATISTIC_NAMES,
    quantiles,
    trajectory_feature_names,
    trajectory_features,
)


def test_each_column_is_the_statistic_its_name_says():
    """A constant first feature and a ramp from 0 to 1 as the second: the columns named for the
    ramp hold its mean 0.5, quantiles, change 1/4 and fraction above +0.5 (2 of 5 steps); the
    constant's spread, change and fractions are 0 and its autocorrelation is defined as 1."""
    x = np.stack([np.full(5, 0.2), np.linspace(0.0, 1.0, 5)], axis=1)[None]  # [S = 1, T = 5, F = 2]
    z = dict(zip(trajectory_feature_names(["flat", "ramp"]), trajectory_features(x)[0], strict=True))
    assert len(z) == 2 * len(STATISTIC_NAMES) == 18
    np.testing.assert_allclose([z["ramp.mean"], z["ramp.q50"], z["ramp.q10"], z["ramp.q90"]], [0.5, 0.5, 0.1, 0.9])
    np.testing.assert_allclose([z["ramp.change"], z["ramp.hi"], z["ramp.lo"]], [0.25, 0.4, 0.0])
    np.testing.assert_allclose([z["flat.mean"], z["flat.std"], z["flat.change"], z["flat.ac"]], [0.2, 0.0, 0.0, 1.0])
    assert z["ramp.std"] > 0.3 and z["ramp.ac"] > 0


@pytest.mark.parametrize("shape", [(40, 100, 2), (7, 33, 3), (20, 1, 2), (30, 2, 1), (5, 4)])
def test_the_quantiles_are_numpys_to_the_last_bit(shape):
    """One sort and numpy's interpolation give np.quantile's numbers bit for bit on heavy-tailed
    and tied values, a trial with a NaN (NaN), one all +inf and one from -inf to +inf; other
    dtypes are numpy's own. Zeros of both signs compare equal: a sort and numpy's partition may
    leave either at an order statistic, so only the sign of a zero may differ."""
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape) * rng.exponential(size=shape)
    tied = np.round(x, 1)
    zeros = np.where(rng.random(shape) < 0.5, -0.0, 0.0)
    x[0, -1], x[1] = np.nan, np.inf
    x[2, :1], x[2, 1:] = -np.inf, np.inf
    for values in (x, tied, zeros, values_f32 := tied.astype(np.float32)):
        with np.errstate(invalid="ignore"):
            want = np.quantile(values, [0.1, 0.5, 0.9], axis=1)
        got = quantiles(values, (0.1, 0.5, 0.9))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)  # NaN where numpy's; -0.0 and 0.0 are equal
        bits, nonzero = (np.int64 if want.dtype == np.float64 else np.int32), ~np.isnan(want) & (want != 0)
        np.testing.assert_array_equal(got[nonzero].view(bits), want[nonzero].view(bits))
    assert values_f32.dtype == np.float32 and np.isnan(quantiles(x, (0.5,))[0, 0]).all()
    with pytest.raises(ValueError, match=r"quantiles are in \[0, 1\]"):
        quantiles(x, (-0.1,))


def test_the_c2st_keeps_a_trials_twins_in_one_fold():
    """Under random stimuli a genuine and a counterfeit trial share their stimulus sequence. With
    shuffled folds the forest learned a trial's twin and predicted its label for the other: the
    truth against itself read 0.42 on this agent (a newcomer's moth 0.38). Grouped by trial, it
    reads chance."""
    from types import SimpleNamespace

    import gymnasium as gym

    from turinglearn.core.evaluation import model_c2st
    from turinglearn.families.parametric import BoxFamily
    from turinglearn.systems.interactive import InteractiveSystem

    class Echo:  # answers gain x stimulus plus noise, and its features show the stimulus
        model_family = BoxFamily(("gain",), lower=(0,), upper=(1,))
        feature_names = ("stimulus", "response")
        stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,))
        truth = np.array([0.5])
        config = SimpleNamespace(steps=10)

        def passive_schedule(self):
            return np.full((10, 1), 0.5)

        def reset(self, rng, shape):
            return np.zeros(shape)

        def step(self, s, p, stim, rng):
            r = p[..., 0] * stim[..., 0] + 0.1 * rng.normal(size=s.shape)
            return s, np.stack([np.broadcast_to(stim[..., 0], s.shape), r], -1)

    system = InteractiveSystem(Echo(), genuine_trials=10)
    same = [model_c2st(system, system.truth, np.random.default_rng(s), 100, 5, 0.05, schedule="random") for s in range(5)]
    assert 0.47 < np.mean(same) < 0.55
    off = model_c2st(system, np.array([0.8]), np.random.default_rng(0), 100, 5, 0.05, schedule="random")
    assert off > 0.8


def test_the_c2st_judges_one_counterfeit_per_trial_beside_its_genuine_one(monkeypatch):
    """With several replicas a trial, counterfeits drawn from all of them left some trials' folds
    with one genuine sample against up to R counterfeits: on 10 trials the truth read 0.45 on
    average. Each trial now gives one of each, in one group."""
    import turinglearn.core.evaluation as evaluation
    from turinglearn.app.build import build
    from turinglearn.config import load_config

    system = build(load_config("aggregation", {"environment.steps": 10, "environment.n_agents": 4})).system
    assert system.sim.config.n_replicas == 4
    seen = {}

    def capture(a, b, seed=0, folds=5, groups_a=None, groups_b=None):
        seen.update(a=a, b=b, ga=groups_a, gb=groups_b)
        return 0.5

    monkeypatch.setattr(evaluation, "c2st", capture)
    evaluation.model_c2st(system, system.truth, np.random.default_rng(0), 10, 5, 0.05)
    assert len(seen["a"]) == len(seen["b"]) == 10
    np.testing.assert_array_equal(seen["ga"], np.arange(10))
    np.testing.assert_array_equal(seen["gb"], np.arange(10))
