"""FeatureJudge: an evolved logistic classifier on a trajectory's summary statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.errors import ConfigError
from turinglearn.families.features import FeatureJudge


def test_a_judgement_is_the_logistic_of_the_weighted_statistics_by_hand():
    # one input, four steps: mean 0.25, std, quantiles, lag-1 autocorrelation, mean absolute
    # change 4/3, fraction above +0.5 (1/2) and below -0.5 (1/4)
    x = np.array([[[1.0], [0.0], [1.0], [-1.0]]])  # [S = 1, T = 4, F = 1]
    w = np.zeros((3, 10))
    w[0, 0] = 4.0  # the mean alone: sigmoid(4 * 0.25) = sigmoid(1)
    w[1, 6], w[1, 9] = 1.5, -1.0  # the mean change and the bias: sigmoid(1.5 * 4/3 - 1) = sigmoid(1)
    w[2, 7], w[2, 8] = 2.0, -4.0  # above +0.5 (1/2) and below -0.5 (1/4): sigmoid(1 - 1) = 1/2
    out = FeatureJudge(n_inputs=1).judge(w, x)
    np.testing.assert_allclose(out[:, 0], [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-1)), 0.5])


def test_shapes_and_a_batch_judged_at_once():
    judge = FeatureJudge(n_inputs=2)
    assert judge.n_weights == 19
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((5, 19)), rng.standard_normal((7, 30, 2))
    out = judge.judge(w, x)
    assert out.shape == (5, 7) and ((out > 0) & (out < 1)).all()
    np.testing.assert_allclose(out[:, 3:4], judge.judge(w, x[3:4]))  # each sample judged alone alike
    with pytest.raises(ValueError, match=r"weights must have shape \(D, 19\)"):
        judge.judge(w[:, :18], x)
    with pytest.raises(ValueError, match=r"samples must have shape \(S, T >= 2, 2\)"):
        judge.judge(w, x[:, :, :1])


def test_a_quadratic_judge_rejects_both_sides_of_the_system():
    """-100 m^2 + 60 m - 8 on a trial's mean m: genuine (> 0.5) near m = 0.3, rejected at 0 and at
    0.6, a band no linear judge has; its weights are the linear ones, then the squares'."""
    judge = FeatureJudge(n_inputs=1, form="quadratic")
    assert judge.n_weights == 19
    w = np.zeros((1, 19))
    w[0, 0], w[0, 9], w[0, 18] = 60.0, -100.0, -8.0  # the mean, the mean's square, the bias
    x = np.array([[[0.3], [0.3]], [[0.0], [0.0]], [[0.6], [0.6]]])  # means 0.3, 0, 0.6
    np.testing.assert_allclose(judge.judge(w, x)[0], 1 / (1 + np.exp(-np.array([1.0, -8.0, -8.0]))))
    linear = FeatureJudge(n_inputs=1)
    np.testing.assert_allclose(judge.judge(np.hstack([w[:, :9], np.zeros((1, 9)), w[:, 18:]]), x), linear.judge(w[:, [*range(9), 18]], x))


def test_a_band_judge_is_genuine_around_its_centre_by_hand():
    """bias 1 - (p (m - c))^2 / 9 on a trial's mean m (one input: 9 statistics), c = 0.3, p = 30:
    genuine at 0.3 (sigmoid(1)), rejected 0.2 away on either side (sigmoid(1 - 4)); the width
    p = 0 of another statistic ignores it, wherever its centre."""
    judge = FeatureJudge(n_inputs=1, form="band")
    assert judge.n_weights == 19
    w = np.zeros((2, 19))
    w[:, 0], w[:, 9], w[:, 18] = 0.3, 30.0, 1.0  # the mean's centre and precision, the bias
    w[1, 1] = 50.0  # the spread's centre far off, with precision 0: ignored
    x = np.array([[[0.3], [0.3]], [[0.1], [0.1]], [[0.5], [0.5]]])  # means 0.3, 0.1, 0.5
    expected = 1 / (1 + np.exp(-np.array([1.0, -3.0, -3.0])))
    np.testing.assert_allclose(judge.judge(w, x), [expected, expected])


def test_a_band_judge_is_the_quadratic_judge_with_negative_squares():
    rng = np.random.default_rng(1)
    c, p, bias = rng.standard_normal((4, 18)), rng.standard_normal((4, 18)), rng.standard_normal((4, 1))
    x = rng.standard_normal((6, 12, 2))
    q = p * p / 18  # 18 statistics of 2 inputs
    quadratic = np.hstack([2 * q * c, -q, bias - (q * c * c).sum(axis=1, keepdims=True)])
    np.testing.assert_allclose(
        FeatureJudge(2, form="band").judge(np.hstack([c, p, bias]), x), FeatureJudge(2, form="quadratic").judge(quadratic, x)
    )
    with pytest.raises(ValueError, match=r"^form must be one of linear, quadratic, band, got 'cubic'$"):
        FeatureJudge(2, form="cubic")


def test_the_learner_recovers_a_toy_system_with_feature_judges():
    """A 1-parameter toy system (samples ~ N(theta, 0.1) against N(0.3, 0.1)) recovered with
    the feature judges evolved in the place of Elman networks."""
    from helpers import Shifted

    from turinglearn import ESConfig, SelfAdaptiveES, TuringLearner
    from turinglearn.core.random import stream

    judge = FeatureJudge(n_inputs=1)
    learner = TuringLearner(
        Shifted(),
        judge,
        SelfAdaptiveES(1, ESConfig(population=20, parents=10, sigma_init=0.5, sigma_max=0.5), stream(0, "models"), [-1.0], [1.0]),
        SelfAdaptiveES(judge.n_weights, ESConfig(population=20, parents=10), stream(0, "discriminators")),
    )
    last = learner.run(300)
    assert abs(last.median[0] - 0.3) < 0.1


@pytest.mark.parametrize(("kind", "weights"), [("features", 19), ("quadratic-features", 37), ("band-features", 37)])
def test_a_preset_runs_with_feature_judges(tiny, kind, weights):
    learner = build(load_config("aggregation", {**tiny, "discriminators.kind": kind}))
    g = learner.step()
    assert g.discriminators.shape == (10, weights) and np.isfinite(g.model_fitness).all()


def test_feature_judges_do_not_interrogate(tiny):
    with pytest.raises(ConfigError, match="judges passive samples") as err:
        build(load_config("stimulus-response", {"discriminators.kind": "features"}))
    assert err.value.key == "discriminators.kind"
