"""The judges on a faster timescale (learner.judge_steps): selected k times a generation on its samples."""

import numpy as np
import pytest
from helpers import SMALL_INTERACTIVE

from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.learner import TuringLearner, judge_again
from turinglearn.errors import ConfigError


class _Counting:
    """A discriminator family whose verdict is a fixed function of weights and samples, counting
    the judges it runs."""

    def __init__(self):
        self.runs = 0

    def judge(self, weights, x):  # [D, k], [S, T, F] -> [D, S]
        self.runs += len(weights)
        return (1 + np.tanh(weights @ np.ones(weights.shape[1]))[:, None] * np.tanh(x.sum(axis=(1, 2)))[None, :]) / 2


def test_judge_again_runs_only_the_judges_it_has_not_seen():
    rng = np.random.default_rng(0)
    family, x = _Counting(), rng.standard_normal((7, 5, 2))
    seen = rng.standard_normal((6, 3))
    outputs = family.judge(seen, x)
    weights = np.concatenate([seen[[4, 1, 2]], rng.standard_normal((3, 3))])  # 3 parents kept, 3 offspring
    family.runs = 0
    out = judge_again(family, weights, x, seen, outputs)
    assert family.runs == 3  # the offspring only
    np.testing.assert_allclose(out, _Counting().judge(weights, x))
    out = judge_again(family, seen, x, seen, outputs)  # nothing new: nothing run
    assert family.runs == 3
    np.testing.assert_array_equal(out, outputs)


def _learner(tiny, steps):
    return build(load_config("aggregation", {**tiny, "learner.judge_steps": steps}))


def test_the_judges_are_selected_k_times_a_generation_on_one_batch_of_samples(tiny):
    learner, plain = _learner(tiny, 3), _learner(tiny, 1)
    drawn, samples = [], learner.system.samples
    learner.system.samples = lambda theta, rng: drawn.append(1) or samples(theta, rng)
    first, first_plain = learner.step(), plain.step()
    assert len(drawn) == 1  # one batch of samples, judged three times
    assert learner.discriminator_optimizer.generation == 3 and plain.discriminator_optimizer.generation == 1
    # the first judging is the one the models are selected by, the same as with one step
    np.testing.assert_array_equal(first.model_fitness, first_plain.model_fitness)
    np.testing.assert_array_equal(first.discriminator_fitness, first_plain.discriminator_fitness)
    # the judges the next generation starts from are two selections further on
    second, second_plain = learner.step(), plain.step()
    assert not np.array_equal(second.discriminators, second_plain.discriminators)
    assert learner.discriminator_optimizer.generation == 6


def test_a_run_with_judge_steps_is_reproducible(tiny):
    a, b = _learner(tiny, 2), _learner(tiny, 2)
    for _ in range(3):
        ga, gb = a.step(), b.step()
    np.testing.assert_array_equal(ga.models, gb.models)
    np.testing.assert_array_equal(ga.discriminators, gb.discriminators)


SMALL_SR = {**SMALL_INTERACTIVE, "evaluation.intervals": "off"}


@pytest.mark.parametrize(
    "preset, over, words",
    [
        ("stimulus-response", SMALL_SR, "interrogated system's samples depend on the judges"),
        ("aggregation-gru", None, "trained by gradients"),
    ],
)
def test_judge_steps_refuse_what_they_cannot_rejudge(tiny, preset, over, words):
    with pytest.raises(ConfigError, match=words) as err:
        build(load_config(preset, {**(tiny if over is None else over), "learner.judge_steps": 2}))
    assert err.value.key == "learner.judge_steps"


def test_a_watched_interactive_system_takes_judge_steps():
    learner = build(load_config("stimulus-response", {**SMALL_SR, "learner.judge_steps": 2, "learner.passive": True}))
    learner.step()
    assert learner.discriminator_optimizer.generation == 2


def test_the_learner_refuses_judge_steps_it_cannot_take():
    learner = build(load_config("stimulus-response", SMALL_SR))  # interrogated
    parts = (learner.system, learner.discriminator, learner.model_optimizer, learner.discriminator_optimizer)
    with pytest.raises(ValueError, match="interrogated system's depend on the judges"):
        TuringLearner(*parts, judge_steps=2)


def test_every_extra_selection_is_told_the_fitness_of_the_judges_it_asked_for(tiny):
    from turinglearn.core.fitness import discriminator_fitness, judgements

    learner = _learner(tiny, 3)
    batches, samples = [], learner.system.samples
    learner.system.samples = lambda theta, rng: batches.append(samples(theta, rng)) or batches[-1]
    opt, asked, told = learner.discriminator_optimizer, [], []
    ask, tell = opt.ask, opt.tell
    opt.ask = lambda: asked.append(np.array(ask())) or asked[-1]
    opt.tell = lambda f: told.append(np.array(f)) or tell(f)
    learner.step()
    assert len(asked) == 3 and len(told) == 3
    batch = batches[0]
    for w, f in zip(asked, told, strict=True):  # every round, not only the first, on the same samples
        judged = judgements(learner.discriminator.judge(w, batch.x))
        np.testing.assert_allclose(f, discriminator_fitness(judged, batch.genuine))
    assert not np.array_equal(asked[1], asked[2])


def test_the_first_judging_is_the_evaluators_in_chunks_too(tiny):
    chunked = {**tiny, "execution.chunk_size": 3}
    a = build(load_config("aggregation", {**chunked, "learner.judge_steps": 2})).step()
    b = build(load_config("aggregation", chunked)).step()
    np.testing.assert_array_equal(a.model_fitness, b.model_fitness)
    np.testing.assert_array_equal(a.discriminator_fitness, b.discriminator_fitness)


@pytest.mark.parametrize(
    "over, words",
    [
        ({"execution.array": "torch", "execution.backend": "processes"}, "stay on their device"),
    ],
)
def test_judge_steps_name_what_has_no_judges_to_step(tiny, over, words):
    if "execution.array" in over:
        pytest.importorskip("torch")
    with pytest.raises(ConfigError, match=words) as err:
        build(load_config("aggregation", {**tiny, "learner.judge_steps": 2, **over}))
    assert err.value.key == "learner.judge_steps"
