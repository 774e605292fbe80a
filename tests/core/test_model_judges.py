"""Whose verdicts give the models their fitness (learner.model_judges): every judge, or the
judges kept by the last selection and the hall of fame."""

import numpy as np
import pytest
from helpers import Shifted, record_evaluations

from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.fitness import judgements, model_fitness
from turinglearn.core.learner import TuringLearner
from turinglearn.errors import ConfigError


def test_the_models_are_judged_by_the_judges_parents_and_the_hall_of_fame(tiny):
    over = {**tiny, "learner.model_judges": "parents", "learner.hall_of_fame": 2, "learner.hall_of_fame_every": 1}
    learner = build(load_config("aggregation", over))
    seen = record_evaluations(learner)
    first = learner.step()  # no selection yet: every judge
    kept = first.discriminators[learner.discriminator_optimizer.selected]  # [5, k] its selection's
    judged = judgements(seen[0].outputs)
    np.testing.assert_allclose(first.model_fitness, model_fitness(judged, seen[0].owner, 10))
    second = learner.step()
    judged, d, mu = judgements(seen[1].outputs), len(second.discriminators), 5
    assert len(judged) == d + 1  # the hall of fame holds generation 0's best judge
    voters = np.r_[np.arange(mu), np.arange(d, len(judged))]  # the 5 parents lead the population
    np.testing.assert_allclose(second.model_fitness, model_fitness(judged[voters], seen[1].owner, 10))
    assert not np.allclose(second.model_fitness, model_fitness(judged, seen[1].owner, 10))
    # the voters are the judges the last selection kept, the fittest of generation 0
    np.testing.assert_array_equal(second.discriminators[:mu], kept)
    assert first.discriminator_fitness[learner_selected(first, kept)].min() >= np.median(first.discriminator_fitness)


@pytest.mark.parametrize("steps", [1, 3])
def test_the_hall_of_fames_share_splits_the_parents_verdicts_from_the_archives(tiny, steps):
    """With hall_of_fame_weight 0.5 the 5 parents make half a model's fitness and the archive the
    other half, with the judges selected once or three times a generation."""
    over = {
        **tiny,
        "learner.model_judges": "parents",
        "learner.hall_of_fame": 3,
        "learner.hall_of_fame_every": 1,
        "learner.hall_of_fame_weight": 0.5,
        "learner.judge_steps": steps,
    }
    learner = build(load_config("aggregation", over))
    outputs, judge = [], learner.discriminator.judge
    object.__setattr__(learner.discriminator, "judge", lambda w, x: outputs.append(judge(w, x)) or outputs[-1])
    drawn, samples = [], learner.evaluator.samples
    learner.evaluator.samples = lambda *a, **k: drawn.append(samples(*a, **k)) or drawn[-1]
    seen = record_evaluations(learner) if steps == 1 else None
    for _ in range(4):  # the archive is full from the fourth generation
        n = len(outputs)
        g = learner.step()
    if steps == 1:
        judged, owner = judgements(seen[-1].outputs), seen[-1].owner
    else:  # the generation's first judging: every judge on the batch of samples
        judged, owner = judgements(outputs[n]), drawn[-1].owner
    d = len(g.discriminators)
    assert len(judged) == d + 3  # the current judges and a full hall of fame
    expected = 0.5 * model_fitness(judged[:5], owner, 10) + 0.5 * model_fitness(judged[d:], owner, 10)
    np.testing.assert_allclose(g.model_fitness, expected)
    assert not np.allclose(g.model_fitness, 0.5 * model_fitness(judged[:d], owner, 10) + 0.5 * model_fitness(judged[d:], owner, 10))


def test_after_a_restart_every_judge_votes_until_the_fresh_judges_are_selected(tiny):
    from turinglearn.app.build import optimizers
    from turinglearn.core.random import stream

    config = load_config("aggregation", {**tiny, "learner.model_judges": "parents"})
    learner = build(config)
    seen = record_evaluations(learner)
    learner.step(), learner.step()
    learner.restart(*optimizers(config, learner.system, learner.discriminator, stream(9, "models"), stream(9, "discriminators")))
    first = learner.step()  # the fresh judges have no parents yet: all of them vote
    np.testing.assert_allclose(first.model_fitness, model_fitness(judgements(seen[-1].outputs), seen[-1].owner, 10))
    second = learner.step()
    judged = judgements(seen[-1].outputs)
    np.testing.assert_allclose(second.model_fitness, model_fitness(judged[:5], seen[-1].owner, 10))


def learner_selected(record, rows):
    """Indices in ``record.discriminators`` of ``rows``."""
    index = {r.tobytes(): i for i, r in enumerate(record.discriminators)}
    return np.array([index[r.tobytes()] for r in rows])


def test_a_toy_system_is_recovered_with_the_models_judged_by_the_judges_parents():
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES
    from turinglearn.core.random import stream

    disc = ElmanNetwork(n_inputs=1, n_hidden=3)
    learner = TuringLearner(
        Shifted(),
        disc,
        SelfAdaptiveES(1, ESConfig(population=20, parents=10, sigma_init=0.5, sigma_max=0.5), stream(0, "models"), [-1.0], [1.0]),
        SelfAdaptiveES(disc.n_weights, ESConfig(population=20, parents=10), stream(0, "discriminators")),
        model_judges="parents",
    )
    assert abs(learner.run(300).median[0] - 0.3) < 0.1


@pytest.mark.parametrize(
    "over, words",
    [
        ({"learner.model_judges": "best"}, "must be one of all, parents"),
        ({"learner.model_judges": "parents", "learner.islands": 2}, "set model_judges = 'all' or islands = 1"),
    ],
)
def test_bad_model_judges_settings_name_the_key(tiny, over, words):
    with pytest.raises(ConfigError, match=words) as err:
        build(load_config("aggregation", {**tiny, **over}))
    assert err.value.key == "learner.model_judges"


def test_a_trained_classifier_has_no_parents(tiny):
    pytest.importorskip("torch")
    over = {**tiny, "learner.model_judges": "parents", "discriminators.kind": "gru"}
    with pytest.raises(ConfigError, match="one trained classifier judges") as err:
        build(load_config("aggregation", over))
    assert err.value.key == "learner.model_judges"
