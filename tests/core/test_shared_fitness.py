"""Competitive fitness sharing of the discriminators' accuracy (learner.judge_fitness = "shared")."""

import numpy as np
import pytest
from helpers import record_evaluations

from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.fitness import discriminator_fitness, judgements, shared_discriminator_fitness
from turinglearn.errors import ConfigError


def test_each_samples_credit_is_shared_among_the_judges_right_on_it():
    genuine = np.array([1, 1, 0, 0, 0], dtype=bool)
    judged = np.array(
        [
            [1, 1, 0, 0, 0],  # right on everything
            [1, 1, 0, 0, 1],  # takes the last counterfeit for genuine
            [1, 0, 0, 1, 1],  # misses a genuine sample and two counterfeits
        ],
        dtype=bool,
    )
    # genuine: sample 0 right by 3, sample 1 by 2; counterfeits: 2 by 3, 3 by 2, 4 by 1 (judge 0 alone)
    sens = np.array([1 / 3 + 1 / 2, 1 / 3 + 1 / 2, 1 / 3]) / 2
    spec = np.array([1 / 3 + 1 / 2 + 1, 1 / 3 + 1 / 2, 1 / 3]) / 3
    np.testing.assert_allclose(shared_discriminator_fitness(judged, genuine), 3 * (sens + spec) / 2)


def test_catching_what_the_others_miss_pays_more_than_the_same_accuracy_on_easy_samples():
    genuine = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    # counterfeit 5 is a look-alike that only judge 0 rejects; judge 1 instead rejects counterfeit
    # 2, which everyone else rejects too, and misses 5: both are right on 5 of 6 samples
    judged = np.array(
        [
            [1, 1, 1, 0, 0, 0],
            [1, 1, 0, 0, 0, 1],
            [1, 1, 0, 0, 0, 1],
            [1, 1, 0, 0, 0, 1],
        ],
        dtype=bool,
    )
    plain, shared = discriminator_fitness(judged, genuine), shared_discriminator_fitness(judged, genuine)
    assert plain[0] == plain[1]  # the papers' fitness cannot tell them apart
    assert shared[0] > shared[1]


def test_when_every_judge_is_right_everywhere_each_scores_one_as_before():
    genuine = np.array([1, 0, 0], dtype=bool)
    judged = np.tile([True, False, False], (4, 1))
    np.testing.assert_allclose(
        shared_discriminator_fitness(judged, genuine), discriminator_fitness(judged, genuine)
    )
    with pytest.raises(ValueError, match="both genuine and counterfeit"):
        shared_discriminator_fitness(judged, np.ones(3, dtype=bool))


def test_geometric_sharing_pays_nothing_for_rejecting_everything():
    # nine judges take everything for genuine; the tenth rejects everything. Arithmetic sharing
    # hands it the counterfeits' whole credit (it beats every judge that is right on the genuine
    # samples), so the next generation's judges would reject everything; geometric gives it 0
    genuine = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    judged = np.vstack([np.ones((9, 6), dtype=bool), np.zeros((1, 6), dtype=bool)])
    arithmetic = shared_discriminator_fitness(judged, genuine)
    geometric = shared_discriminator_fitness(judged, genuine, geometric=True)
    assert arithmetic[9] > arithmetic[:9].max()
    assert geometric[9] == 0 and (geometric[:9] == 0).all()  # nobody is right in both classes
    # a judge right in both classes is what pays: the tenth rejects one counterfeit, accepts the rest
    judged[9] = [1, 1, 0, 1, 1, 1]
    geometric = shared_discriminator_fitness(judged, genuine, geometric=True)
    assert geometric[9] > 0 and geometric[9] > geometric[:9].max()
    # its value: genuine credit (1/10 + 1/10) / 2, counterfeit credit 1 / 4, times 10 judges
    assert geometric[9] == pytest.approx(10 * np.sqrt(0.1 * 0.25))
    # and every judge right everywhere still scores 1
    right = np.tile(genuine, (4, 1))
    np.testing.assert_allclose(shared_discriminator_fitness(right, genuine, geometric=True), 1.0)


@pytest.mark.parametrize("kind", ["shared", "shared-geometric"])
@pytest.mark.parametrize("counterfeits", [0, 4])
def test_the_learner_selects_the_judges_by_their_shared_fitness(tiny, kind, counterfeits):
    """Hard counterfeits, where there are, are counterfeit samples like the population's, each
    with its unit of credit."""
    over = {**tiny, "learner.judge_fitness": kind, "learner.counterfeits": counterfeits}
    learner = build(load_config("aggregation", over))
    seen = record_evaluations(learner)
    g = learner.step()
    assert int(seen[-1].owner.max()) + 1 == len(g.models) + counterfeits  # the counterfeits were judged
    judged = judgements(seen[-1].outputs)[: len(g.discriminators)]
    np.testing.assert_allclose(
        g.discriminator_fitness,
        shared_discriminator_fitness(judged, seen[-1].genuine, geometric=kind == "shared-geometric"),
    )
    assert not np.allclose(g.discriminator_fitness, discriminator_fitness(judged, seen[-1].genuine))


@pytest.mark.parametrize(
    "over, words",
    [
        ({"learner.judge_fitness": "fair"}, "judge_fitness"),
        ({"learner.judge_fitness": "shared", "learner.islands": 2}, "model_memory_share or islands"),
        (
            {"learner.judge_fitness": "shared-geometric", "learner.islands": 2},
            "model_memory_share or islands",
        ),
        (
            {"learner.judge_fitness": "shared", "learner.model_memory": 4, "learner.model_memory_share": 0.5},
            "not with model_memory_share or islands",
        ),
    ],
)
def test_bad_judge_fitness_settings_name_the_key(tiny, over, words):
    with pytest.raises(ConfigError, match=words):
        build(load_config("aggregation", {**tiny, **over}))


@pytest.mark.parametrize("fitness", ["shared", "shared-geometric"])
def test_a_trained_classifier_refuses_a_judge_fitness(tiny, fitness):
    pytest.importorskip("torch")
    over = {**tiny, "learner.judge_fitness": fitness, "discriminators.kind": "gru"}
    with pytest.raises(ConfigError, match="trained on its own loss") as err:
        build(load_config("aggregation", over))
    assert err.value.key == "learner.judge_fitness"
    build(load_config("aggregation", {**over, "learner.judge_fitness": "accuracy"}))


def test_the_learner_refuses_shared_fitness_with_a_fixed_share(tiny):
    from turinglearn.core.learner import TuringLearner

    learner = build(load_config("aggregation", tiny))
    parts = (learner.system, learner.discriminator, learner.model_optimizer, learner.discriminator_optimizer)
    with pytest.raises(ValueError, match="not with a fixed share or islands"):
        TuringLearner(*parts, model_memory=2, model_memory_share=0.5, judge_fitness="shared")
    with pytest.raises(ValueError, match="judge_fitness must be one of accuracy, shared"):
        TuringLearner(*parts, judge_fitness="fair")
