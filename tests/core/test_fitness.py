"""Fitness of models and discriminators, on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from turinglearn.core.fitness import (
    discriminator_fitness,
    gap_fitness,
    judgements,
    matching_fitness,
    model_fitness,
)
from turinglearn.errors import ConfigError

T, F = True, False


def test_judgements_threshold_is_strictly_above_one_half():
    outputs = np.array([[0.0, 0.5, 0.5000001, 1.0], [0.49, 0.51, 0.5, 0.7]])
    np.testing.assert_array_equal(judgements(outputs), [[F, F, T, T], [F, T, F, T]])


def test_discriminator_fitness_two_by_four():
    genuine = np.array([T, T, F, F])
    judged = np.array(
        [
            [T, F, T, F],  # sensitivity 1/2, specificity 1/2 -> 0.5
            [T, T, F, F],  # perfect -> 1.0
        ]
    )
    np.testing.assert_allclose(discriminator_fitness(judged, genuine), [0.5, 1.0])


def test_discriminator_fitness_uneven_classes():
    genuine = np.array([T, F, F, T, F])  # 2 genuine, 3 counterfeit
    judged = np.array(
        [
            [T, T, T, T, T],  # says genuine to all: sens 1, spec 0 -> 0.5
            [F, F, F, F, F],  # says counterfeit to all: sens 0, spec 1 -> 0.5
            [T, F, T, F, F],  # sens 1/2, spec 2/3 -> 7/12
            [F, T, T, F, T],  # always wrong -> 0
        ]
    )
    np.testing.assert_allclose(discriminator_fitness(judged, genuine), [0.5, 0.5, 7 / 12, 0.0])


@pytest.mark.parametrize("genuine", [[T, T, T], [F, F, F]])
def test_discriminator_fitness_needs_both_kinds(genuine):
    with pytest.raises(ValueError, match="genuine and counterfeit"):
        discriminator_fitness(np.ones((2, 3), dtype=bool), np.array(genuine))


def test_model_fitness_one_sample_per_model():
    owner = np.array([-1, 0, 1, 2])
    judged = np.array(
        [
            [T, T, F, T],
            [F, T, F, F],
            [T, F, F, T],
        ]
    )
    # model 0 fools 2 of 3 discriminators, model 1 none, model 2 two; the genuine column is ignored
    np.testing.assert_allclose(model_fitness(judged, owner, 3), [2 / 3, 0.0, 2 / 3])


def test_model_fitness_several_samples_per_model():
    owner = np.array([1, -1, 0, 1, 0, 1, -1])
    judged = np.array(
        [
            [T, T, T, F, F, T, F],
            [F, F, T, T, F, F, T],
        ]
    )
    # model 0: samples 2, 4 -> judgements T, F, T, F -> 2 of 4
    # model 1: samples 0, 3, 5 -> T, F, T, F, T, F -> 3 of 6
    np.testing.assert_allclose(model_fitness(judged, owner, 2), [0.5, 0.5])
    judged[1, 0] = T  # one more fooled judgement for model 1 -> 4 of 6
    np.testing.assert_allclose(model_fitness(judged, owner, 2), [0.5, 4 / 6])


def test_model_fitness_rejects_models_without_samples():
    owner = np.array([-1, 0, 0, 2])
    with pytest.raises(ValueError, match=r"\[1\]"):
        model_fitness(np.ones((2, 4), dtype=bool), owner, 3)
    with pytest.raises(ValueError, match="without samples"):
        model_fitness(np.ones((2, 2), dtype=bool), np.array([0, 0]), 2)


def test_matching_fitness_by_hand():
    # samples: two genuine, models 0 and 1 (one sample each), a recalled model (owner 2)
    owner = np.array([-1, -1, 0, 1, 2])
    judged = np.array(
        [
            [T, T, T, F, F],  # calls the system genuine 1, the population 1/2: weight +1/2
            [F, T, T, T, T],  # system 1/2, population 1: weight -1/2, it prefers the population
        ],
        dtype=float,
    )
    # model 0 fooled both: 1/2 - 1/2 = 0; model 1 only the second: -1/2; each over J = 2 judges
    np.testing.assert_allclose(matching_fitness(judged, np.array(owner < 0), owner, 3, 2)[:2], [0.0, -0.25])
    # votes count both genuine verdicts of model 0 and the exploited judge's of model 1
    np.testing.assert_allclose(model_fitness(judged, owner, 3)[:2], [1.0, 0.5])


def test_matching_fitness_is_each_models_share_in_the_population_matching_the_system():
    # scaling a model's verdicts by (1 + eps) changes sum_j (a_j - g_j)^2 by -2 eps J f / M: the
    # fitness is how much more of the model would bring the population's verdicts to the system's
    rng = np.random.default_rng(0)
    judges, models = 7, 12
    owner = np.concatenate([np.full(20, -1), np.arange(models)])
    outputs = rng.random((judges, len(owner)))
    genuine = owner < 0
    f = matching_fitness(outputs, genuine, owner, models, models)

    def mismatch(v):
        return ((v[:, genuine].mean(1) - v[:, ~genuine].mean(1)) ** 2).sum()

    eps = 1e-6
    for m in range(models):
        moved = outputs.copy()
        moved[:, owner == m] *= 1 + eps
        assert (mismatch(moved) - mismatch(outputs)) / eps == pytest.approx(-2 * judges * f[m] / models, rel=1e-3, abs=1e-6)


def test_matching_fitness_ranks_as_votes_when_every_judge_prefers_the_system():
    owner = np.array([-1, -1, 0, 1, 2])
    judged = np.array([[T, T, F, F, F], [T, T, F, F, F]])
    # one judge fooled by model 1: it calls the population genuine 1/3 of the time, weight 2/3
    judged[1, 3] = T
    f, votes = matching_fitness(judged.astype(float), owner < 0, owner, 3, 3), model_fitness(judged, owner, 3)
    assert np.argmax(f) == np.argmax(votes) == 1
    assert f[0] == f[2] == 0.0


def test_gap_fitness_by_hand():
    # four genuine samples; models 0 and 1 with two samples each
    owner = np.array([-1, -1, -1, -1, 0, 0, 1, 1])
    judged = np.array(
        [
            [T, T, F, F, T, F, T, T],  # g = 1/2; model 0: p = 1/2, pairs 0; model 1: p = 1, pairs 1
            [T, T, T, T, T, T, F, F],  # g = 1; model 0: p = 1, pairs 1; model 1: p = 0, pairs 0
        ],
        dtype=float,
    )
    # -(pairs - 2 p g + g^2): judge 0 gives model 0 -(0 - 1/2 + 1/4) = 1/4, model 1 -(1 - 1 + 1/4) = -1/4;
    # judge 1 gives model 0 -(1 - 2 + 1) = 0, model 1 -(0 - 0 + 1) = -1; the mean over the two judges
    np.testing.assert_allclose(gap_fitness(judged, owner < 0, owner, 2), [0.125, -0.625])
    # votes prefer model 1 on judge 0, which calls it genuine more often than the system
    assert model_fitness(judged[:1], owner, 2)[1] > model_fitness(judged[:1], owner, 2)[0]


def test_gap_fitness_is_unbiased_and_prefers_the_system_to_models_taken_for_genuine_more_often():
    """Averaged over many draws of few samples, the fitness is minus the mean squared gap
    between the judges' rates of genuine verdicts on the model and on the system, whichever
    side the gap is on; the votes would rank the over-accepted model first."""
    rng = np.random.default_rng(1)
    judges, per, draws = 50, 3, 4000
    g = rng.uniform(0.2, 0.8, judges)
    p = np.stack([g, np.clip(g + 0.15, 0, 1), np.clip(g - 0.15, 0, 1)], 1)  # [J, 3]: like, over, under
    owner = np.concatenate([np.full(200, -1), np.repeat(np.arange(3), per)])
    rates = np.concatenate([np.repeat(g[:, None], 200, 1), np.repeat(p, per, 1)], 1)  # [J, S]
    total = np.zeros(3)
    for _ in range(draws):
        total += gap_fitness((rng.random(rates.shape) < rates).astype(float), owner < 0, owner, 3)
    mean = total / draws
    np.testing.assert_allclose(mean, -((p - g[:, None]) ** 2).mean(0) - (g * (1 - g)).mean() / 200, atol=2e-3)
    assert mean[0] > mean[1] + 0.01 and mean[0] > mean[2] + 0.01


def test_gap_fitness_needs_two_samples_of_each_model():
    owner = np.array([-1, -1, 0, 1, 1])
    with pytest.raises(ConfigError, match=r"learner\.model_fitness: 'gap' needs two samples of each model a generation, got 1"):
        gap_fitness(np.ones((2, 5)), owner < 0, owner, 2)
