import numpy as np
import pytest

import turinglearn
from turinglearn.baselines.metric import HIST_BINS, histogram_distance, sse_distance
from turinglearn.config import load_config
from turinglearn.errors import ConfigError


def test_sse_equals_hand_computed():
    # 1 model, 1 trial, 2 agents, 1 replica, 2 steps, 1 feature
    genuine = np.array([[[[[0.0], [1.0]], [[2.0], [1.0]]]]])  # [1, 1, 2, 2, 1]
    fake = np.array([[[[[1.0], [1.0]]]]])  # [1, 1, 1, 2, 1]
    # agent 0: (1-0)^2 + (1-1)^2 = 1; agent 1: (1-2)^2 + (1-1)^2 = 1; mean 1
    assert sse_distance(genuine, fake) == pytest.approx([1.0])
    fake2 = np.array([[[[[3.0], [0.0]]]]])
    # agent 0: 9 + 1 = 10; agent 1: 1 + 1 = 2; mean 6
    assert sse_distance(genuine, fake2) == pytest.approx([6.0])
    # two models at once
    assert sse_distance(np.concatenate([genuine, genuine]), np.concatenate([fake, fake2])) == pytest.approx(
        [1, 6]
    )


def test_sse_is_mean_over_trials_and_replicas():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(3, 2, 4, 5, 2))
    f = rng.normal(size=(3, 2, 2, 5, 2))
    brute = np.array(
        [
            np.mean(
                [((f[m, t, r] - g[m, t, a]) ** 2).sum() for t in range(2) for r in range(2) for a in range(4)]
            )
            for m in range(3)
        ]
    )
    np.testing.assert_allclose(sse_distance(g, f), brute)


def test_histogram_distance_equals_hand_computed():
    width = HIST_BINS[1] - HIST_BINS[0]
    lo = HIST_BINS[0] + width / 2  # centre of the first bin
    # genuine: two values in bin 0, two in bin 1 -> (0.5, 0.5); fake: all four in bin 0 -> (1, 0)
    genuine = np.array([lo, lo, lo + width, lo + width]).reshape(1, 1, 1, 4, 1)
    fake = np.full((1, 1, 1, 4, 1), lo)
    assert histogram_distance(genuine, fake) == pytest.approx([1.0])  # |1 - 0.5| + |0 - 0.5|
    assert histogram_distance(genuine, genuine[:, :, :1]) == pytest.approx([0.0])
    # values beyond the range land in the outermost bins
    assert histogram_distance(np.full((1, 1, 1, 3, 1), -5.0), np.full((1, 1, 1, 3, 1), lo)) == pytest.approx(
        [0.0]
    )


def test_metric_learners_run_and_write_the_same_schema(tiny, tmp_path):
    for kind in ("metric-sse", "metric-histogram"):
        r = turinglearn.learn("aggregation", overrides={**tiny, "learner.kind": kind, "evaluation.c2st_trials": 20}, out=tmp_path / kind)
        s = r.summary()
        assert s["learner"] == kind and len(s["inferred"]) == 4 and s["c2st"] is not None
        assert s["discriminators_kind"] is None  # it has none, whatever [discriminators] says
        assert np.isnan(r.history["discriminator_fitness_mean"]).all()
        assert (r.model_fitness <= 0).all()  # minus a distance


def test_a_metric_learner_does_not_read_the_judges_settings(tiny):
    """The aggregation preset's memory (judge_fitness, judge_steps, model_judges, critic) and its
    hall of fame belong to the discriminators, which a metric learner replaces: the run is the
    one without them, generation for generation."""
    plain = {"learner.judge_fitness": "accuracy", "learner.judge_steps": 1, "learner.model_judges": "all",
             "learner.critic": 0, "learner.hall_of_fame": 0}
    shipped = {k: v for k, v in tiny.items() if not k.startswith("learner.")}  # tiny takes the memory off
    with_memory = load_config("aggregation", {**shipped, "learner.kind": "metric-sse"})
    assert with_memory.learner.critic > 0 and with_memory.learner.judge_steps > 1  # the preset's memory
    a = turinglearn.build(with_memory)
    b = turinglearn.build(load_config("aggregation", {**shipped, "learner.kind": "metric-sse", **plain}))
    for _ in range(3):
        ga, gb = a.step(), b.step()
        np.testing.assert_array_equal(ga.model_fitness, gb.model_fitness)
        np.testing.assert_array_equal(ga.models, gb.models)


def test_metric_learner_on_an_interactive_environment_is_refused():
    with pytest.raises(ConfigError, match=r"learner\.kind"):
        turinglearn.build(load_config("stimulus-response", {"learner.kind": "metric-sse"}))
    with pytest.raises(ConfigError, match="must be one of"):
        turinglearn.build(load_config("aggregation", {"learner.kind": "gradient"}))
