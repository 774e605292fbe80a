"""Fitness of models and discriminators, on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from turinglearn.core.fitness import discriminator_fitness, judgements, model_fitness

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
