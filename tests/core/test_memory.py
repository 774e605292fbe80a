"""The coevolution's memory: archives of judges and of rejected models, and the engagement
measures in metrics.csv."""

import numpy as np
import pytest
from helpers import record_evaluations, record_shown

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.fitness import discriminator_fitness, engagement
from turinglearn.core.memory import Archive, HistoricalAverage, NearCounterfeits
from turinglearn.errors import ConfigError


def test_recent_archive_keeps_the_last_rows():
    a, rng = Archive(3, "recent"), np.random.default_rng(0)
    for i in range(7):
        a.offer(np.array([i, -i]), rng)
    np.testing.assert_array_equal(a.rows[:, 0], [4, 5, 6])
    assert a.offered == 7


def test_history_archive_is_a_uniform_sample_of_every_row_offered():
    # offer 0..199 into 10 places, many times: each row stays with probability 10/200, so the
    # early rows are kept as often as the late ones (a recent archive keeps only 190..199)
    kept = np.zeros(200)
    for seed in range(400):
        a, rng = Archive(10, "history"), np.random.default_rng(seed)
        for i in range(200):
            a.offer(np.array([i]), rng)
        kept[a.rows[:, 0]] += 1
    assert kept.sum() == 4000
    first, last = kept[:100].sum(), kept[100:].sum()
    assert abs(first - last) < 0.1 * 4000  # uniform: 2000 each, up to noise
    assert kept[:20].sum() > 250  # the first tenth of the run, 400 expected


def test_archive_state_round_trips_and_reads_a_bare_array():
    a, rng = Archive(4, "history"), np.random.default_rng(1)
    for i in range(9):
        a.offer(np.array([i, i]), rng)
    b = Archive(4, "history")
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.rows, b.rows)
    assert b.offered == 9
    old = Archive(4)
    old.load_state_dict(np.ones((2, 3)))  # checkpoints of runs before the archive had a count
    assert len(old) == 2 and old.offered == 2
    old.load_state_dict(None)
    assert len(old) == 0 and old.sample(3, rng) is None


def test_engagement_measures_the_best_current_judge_and_the_hall_of_fame():
    # 2 current judges, 1 archived; samples: 2 genuine, 2 of model 0, 1 of model 1, 2 recalled
    owner = np.array([-1, -1, 0, 0, 1, 2, 3])
    genuine = owner < 0
    judged = np.array(
        [
            [1, 1, 0, 0, 0, 1, 1],  # perfect on the population, fooled by both recalled models
            [1, 0, 1, 1, 1, 0, 0],  # half the genuine; fooled by the population; rejects recalled
            [0, 0, 1, 0, 1, 1, 1],  # the hall of fame: 2 of 3 population samples said genuine
        ],
        dtype=bool,
    )
    e = engagement(judged, genuine, owner, n_current=2, n_models=2)
    assert e["judges_best_vs_models"] == 1.0  # judge 0: (1 + 1) / 2
    assert e["judges_best_vs_memory"] == 0.75  # judge 1: (0.5 + 1) / 2
    assert e["hall_of_fame_fooled"] == pytest.approx(2 / 3)
    none = engagement(judged[:2, :5], genuine[:5], owner[:5], n_current=2, n_models=2)
    assert np.isnan(none["judges_best_vs_memory"]) and np.isnan(none["hall_of_fame_fooled"])


def _interrupted_and_resumed(over, seed, at, tmp_path, task="aggregation"):
    """A run of ``task`` stopped by Ctrl-C once generation ``at`` is evaluated, then resumed."""
    from turinglearn.app.driver import resume

    def stop(record):
        if record.generation == at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn(task, seed=seed, overrides=over, out=tmp_path / "r", hooks=[stop])
    return resume(tmp_path / "r", log=lambda m: None)


def _memory(tiny, **extra):
    return {**tiny, "learner.model_memory": 4, "learner.model_memory_judged": 3, **extra}


def test_recalled_models_are_judged_beside_the_population_and_get_no_fitness(tiny):
    learner = build(load_config("aggregation", _memory(tiny)))
    shown = record_shown(learner)
    for _ in range(5):
        g = learner.step()
        assert g.model_fitness.shape == (10,) and g.models.shape == (10, 4)
    archived = learner.models_memory.rows
    assert archived is not None and 1 <= len(archived) <= 4
    sizes = [len(t) for t in shown]
    assert sizes[0] == 10 and max(sizes) == 10 + min(3, len(archived))
    last = shown[-1]
    for row in last[10:]:  # the recalled rows are archived models, not population members
        assert any(np.array_equal(row, r) for r in archived)
    assert 0.5 <= g.diagnostics["judges_best_vs_memory"] <= 1


def test_only_models_the_judges_rejected_enter_the_memory(tiny):
    learner = build(load_config("aggregation", _memory(tiny)))
    for _ in range(4):
        before = learner.models_memory.offered
        g = learner.step()
        rejected = g.model_fitness.min() < 0.5
        assert learner.models_memory.offered == before + int(rejected)
        if rejected:
            assert any(np.array_equal(r, g.models[int(np.argmin(g.model_fitness))]) for r in learner.models_memory.rows)


@pytest.mark.parametrize("below", [0.5, 0.05])
def test_the_memory_takes_only_models_below_its_bar(tiny, below):
    learner = build(load_config("aggregation", _memory(tiny, **{"learner.model_memory_below": below})))
    offered = 0
    for _ in range(4):
        g = learner.step()
        offered += int(g.model_fitness.min() < below)
        assert learner.models_memory.offered == offered


def test_the_recalled_models_weigh_their_share_of_the_judges_specificity(tiny):
    share = 0.8
    learner = build(load_config("aggregation", _memory(tiny, **{"learner.model_memory_share": share})))
    learner.models_memory.offer(np.array([1.0, 1.0, 1.0, 1.0]), np.random.default_rng(0))  # one archived model
    seen, evaluate = {}, learner.evaluator.judge

    def spy(system, disc, theta, judges, seed, generation):
        ev = evaluate(system, disc, theta, judges, seed, generation)
        seen["ev"], seen["n"] = ev, len(theta)
        return ev

    learner.evaluator.judge = spy
    g = learner.step()
    ev, n_models = seen["ev"], len(g.models)
    judged = np.asarray(ev.outputs)[: len(g.discriminators)] > 0.5
    owner, genuine = np.asarray(ev.owner), np.asarray(ev.genuine)
    population, recalled = (owner >= 0) & (owner < n_models), owner >= n_models
    assert recalled.any() and seen["n"] == n_models + 1
    sensitivity = judged[:, genuine].mean(axis=1)
    specificity = 1 - (1 - share) * judged[:, population].mean(axis=1) - share * judged[:, recalled].mean(axis=1)
    np.testing.assert_allclose(g.discriminator_fitness, (sensitivity + specificity) / 2)


def test_a_run_with_memory_is_deterministic_and_resumes_bit_for_bit(tiny, tmp_path):

    over = _memory(tiny, generations=6, **{"learner.hall_of_fame_keep": "history", "learner.hall_of_fame": 2,
                                           "learner.hall_of_fame_every": 1})  # fmt: skip
    whole = turinglearn.learn("aggregation", seed=5, overrides=over)
    again = turinglearn.learn("aggregation", seed=5, overrides=over)
    np.testing.assert_array_equal(whole.models, again.models)

    resumed = _interrupted_and_resumed(over, 5, 3, tmp_path)
    np.testing.assert_array_equal(resumed.models, whole.models)
    np.testing.assert_array_equal(resumed.discriminators, whole.discriminators)
    for k in ("judges_best_vs_memory", "hall_of_fame_fooled", "discriminator_fitness_max"):
        np.testing.assert_array_equal(resumed.history[k], whole.history[k])


def test_engagement_columns_are_in_the_metrics(tiny):
    r = turinglearn.learn("aggregation", seed=1, overrides=_memory(tiny))
    assert len(r.history["judges_best_vs_models"]) == 3
    assert np.all(np.isfinite(r.history["judges_best_vs_models"]))
    off = turinglearn.learn("aggregation", seed=1, overrides={**tiny, "learner.hall_of_fame": 0})
    assert np.all(np.isnan(off.history["judges_best_vs_memory"]))
    assert np.all(np.isnan(off.history["hall_of_fame_fooled"]))


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("learner.model_memory", -1, "learner.model_memory"),
        ("learner.model_memory_keep", "all", "one of recent, history"),
        ("learner.hall_of_fame_keep", "oldest", "learner.hall_of_fame_keep"),
        ("learner.model_memory_judged", 0, "learner.model_memory_judged"),
        ("learner.counterfeits", -2, "learner.counterfeits"),
        ("learner.counterfeit_step", 0.0, "learner.counterfeit_step: 0.0 is not a fraction"),
        ("learner.counterfeit_window", 0, "learner.counterfeit_window"),
        ("learner.hall_of_fame_weight", 1.5, "learner.hall_of_fame_weight: 1.5 is neither -1 nor a share"),
        ("learner.historical_averaging", -0.1, "learner.historical_averaging"),
        ("learner.historical_horizon", 0, "learner.historical_horizon"),
        ("learner.model_memory_below", 0.0, "learner.model_memory_below: 0.0 is not a fitness"),
        ("learner.model_memory_share", 1.0, "learner.model_memory_share: 1.0 is neither -1 nor a share"),
        ("learner.historical_settle", -0.5, "learner.historical_settle"),
    ],
)
def test_bad_memory_settings_name_the_key(tiny, key, value, words):
    with pytest.raises(ConfigError, match=words.replace(".", r"\.")):
        load_config("aggregation", {**tiny, key: value})


def test_a_trained_discriminator_learns_from_the_recalled_models_too(tiny):
    pytest.importorskip("torch")
    learner = build(load_config("aggregation", _memory(tiny, **{"discriminators.kind": "gru"})))
    taught, train = [], learner.discriminator_optimizer.train

    def spy(x, genuine):
        taught.append(len(genuine))
        return train(x, genuine)

    learner.discriminator_optimizer.train = spy
    sizes = []
    for _ in range(4):
        learner.step()
        sizes.append(len(learner.models_memory))
    # each generation's samples: the population's, the genuine ones, and as many more per
    # recalled model as one model of the population has
    recalled = [0] + [min(3, s) for s in sizes[:-1]]
    assert recalled[-1] > 0
    per_model = (taught[-1] - taught[0]) // recalled[-1]
    assert per_model > 0 and taught == [taught[0] + per_model * r for r in recalled]


def test_a_checkpoint_of_an_older_run_gets_the_new_metrics_columns_as_nan():
    from turinglearn.app.resuming import with_columns

    old = {"generation": [0.0, 1.0], "seconds": [0.1, 0.1]}
    new = with_columns(old, ["generation", "seconds", "judges_best_vs_models"])
    assert list(new) == ["generation", "seconds", "judges_best_vs_models"]
    assert np.isnan(new["judges_best_vs_models"]).all() and len(new["judges_best_vs_models"]) == 2


def test_near_counterfeits_move_one_parameter_of_the_remembered_estimate_by_a_step():
    lower, upper = np.array([-1.0, 0.0, 0.0]), np.array([1.0, 1.0, 10.0])
    near = NearCounterfeits(200, 0.1, lower, upper, window=3)
    rng = np.random.default_rng(0)
    medians = []
    for centre in ([0.0, 0.5, 5.0], [0.2, 0.5, 5.0], [0.4, 1.0, 5.0], [0.6, 1.0, 5.0]):
        theta = np.array(centre) + rng.normal(0, 0.01, (51, 3))
        medians.append(np.median(theta, axis=0))
        rows = near.make(theta, rng)
    remembered = np.median(medians[-3:], axis=0)  # the window's median, not the last population's
    moved = rows != remembered
    assert rows.shape == (200, 3) and np.all(moved.sum(axis=1) == 1)
    steps = np.abs(rows - remembered)[moved]
    which = np.argmax(moved, axis=1)
    np.testing.assert_allclose(steps, 0.1 * (upper - lower)[which])
    assert set(which) == {0, 1, 2}
    assert np.all((rows >= lower) & (rows <= upper))  # at a bound the step goes the other way
    at_bound = rows[which == 1, 1]
    assert remembered[1] > 0.95 and np.all(at_bound < remembered[1])
    state = near.state_dict()
    again = NearCounterfeits(200, 0.1, lower, upper, window=3)
    again.load_state_dict(state)
    np.testing.assert_array_equal(again.make(theta, np.random.default_rng(1)), near.make(theta, np.random.default_rng(1)))


def test_hard_counterfeits_weigh_as_much_as_the_rest_of_the_counterfeits():
    genuine = np.array([True] * 4 + [False] * 8 + [False] * 2)
    hard = np.array([False] * 12 + [True] * 2)
    judged = np.zeros((2, 14), dtype=bool)
    judged[:, :4] = True  # both accept every genuine sample and reject the population's
    judged[0, 12:] = True  # judge 0 takes the hard counterfeits for genuine, judge 1 does not
    plain = discriminator_fitness(judged, genuine)
    weighted = discriminator_fitness(judged, genuine, hard)
    np.testing.assert_allclose(plain, [(1 + 8 / 10) / 2, 1.0])
    np.testing.assert_allclose(weighted, [(1 + 0.5) / 2, 1.0])
    np.testing.assert_array_equal(discriminator_fitness(judged, genuine, np.zeros(14, bool)), plain)
    np.testing.assert_allclose(discriminator_fitness(judged, genuine, hard, share=0.8), [(1 + 0.2) / 2, 1.0])


def test_near_counterfeits_are_judged_and_resume_bit_for_bit(tiny, tmp_path):

    over = {**tiny, "generations": 5, "learner.counterfeits": 3, "learner.counterfeit_window": 2}
    learner = build(load_config("aggregation", over))
    shown = record_shown(learner)
    g = learner.step()
    assert len(shown[0]) == 10 + 3 and g.model_fitness.shape == (10,)
    centre = np.median(g.models, axis=0)
    assert np.all((shown[0][10:] != centre).sum(axis=1) == 1)
    assert 0.5 <= g.diagnostics["judges_best_vs_memory"] <= 1

    whole = turinglearn.learn("aggregation", seed=2, overrides=over)

    resumed = _interrupted_and_resumed(over, 2, 2, tmp_path)
    np.testing.assert_array_equal(resumed.models, whole.models)
    np.testing.assert_array_equal(resumed.history["judges_best_vs_memory"], whole.history["judges_best_vs_memory"])


def test_near_counterfeits_need_a_family_with_a_box(tiny):
    with pytest.raises(ConfigError, match=r"learner\.counterfeits: .*models\.kind = 'reactive'"):
        build(load_config("aggregation-mlp", {**tiny, "learner.counterfeits": 2}))


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
def test_the_hall_of_fame_weighs_its_share_of_a_models_fitness(tiny, weight):
    from turinglearn.core.fitness import judgements, model_fitness

    over = {**tiny, "learner.hall_of_fame": 2, "learner.hall_of_fame_every": 1, "learner.hall_of_fame_weight": weight}
    learner = build(load_config("aggregation", over))
    seen = record_evaluations(learner)
    for _ in range(3):
        g = learner.step()
    ev, d = seen[-1], len(g.discriminators)
    judged = judgements(ev.outputs)
    assert len(judged) == d + 2  # the archive judged too
    current = model_fitness(judged[:d], ev.owner, 10)
    archived = model_fitness(judged[d:], ev.owner, 10)
    np.testing.assert_allclose(g.model_fitness, (1 - weight) * current + weight * archived)
    assert not np.allclose(current, archived)  # the test can tell the shares apart


def test_historical_average_penalises_the_distance_from_where_the_population_has_been():
    scale = np.array([2.0, 1.0])  # ranges: distances in units of them
    history = HistoricalAverage(0.5, horizon=4, scale=scale)
    first = np.array([[0.0, 0.0], [0.0, 0.2], [0.4, 0.0]])  # median (0, 0) starts the average
    np.testing.assert_allclose(history.penalty(first), 0.5 * np.array([0.0, 0.04, 0.04]))
    np.testing.assert_allclose(history.centre, [0.0, 0.0])
    jumped = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])  # most of the population jumped
    np.testing.assert_allclose(history.penalty(jumped), 0.5 * np.array([1.25, 1.25, 0.0]))
    np.testing.assert_allclose(history.centre, [0.25, 0.25])  # a quarter of the way to (1, 1)
    again = HistoricalAverage(0.5, 4, scale)
    again.load_state_dict(history.state_dict())
    np.testing.assert_array_equal(again.penalty(jumped), history.penalty(jumped))
    fresh = HistoricalAverage(0.5, 4, scale)
    fresh.load_state_dict(None)  # a checkpoint without one: starts afresh
    assert fresh.centre is None


def test_historical_averaging_waits_until_the_population_has_settled_then_stays_on():
    scale = np.array([1.0, 1.0])
    history = HistoricalAverage(1.0, horizon=3, scale=scale, settle=0.05)
    rng = np.random.default_rng(0)
    wandering = [np.array([0.1 * g, 0.0]) for g in range(5)]  # the median moves 0.1 a generation
    calm = [np.array([0.5, 0.0])] * 8  # then stays
    for g, centre in enumerate(wandering + calm):
        theta = centre + rng.normal(0, 0.01, (21, 2))
        theta[0] = [1.0, 1.0]  # one model far from the rest pays once the penalty is on
        p = history.penalty(theta)
        if history.settled is None or history.settled == g:
            assert np.all(p == 0)
        else:
            assert p[0] > 0.5 and p[1:].max() < 0.05
    assert history.settled is not None and history.settled >= len(wandering)
    assert history.began == history.settled + 1  # the first generation with a penalty
    jumped = np.full((21, 2), 0.9)  # a jump does not switch it off
    assert history.penalty(jumped).min() > 0.1
    again = HistoricalAverage(1.0, 3, scale, settle=0.05)
    again.load_state_dict(history.state_dict())
    assert again.settled == history.settled and again.calm == history.calm
    np.testing.assert_array_equal(again.penalty(jumped), history.penalty(jumped))


def test_historical_averaging_is_subtracted_from_the_models_fitness_and_resumes(tiny, tmp_path):
    over = {
        **tiny,
        "generations": 4,
        "learner.historical_averaging": 0.3,
        "learner.historical_horizon": 2,
        "learner.historical_settle": 0.0,  # from the first generation
    }
    plain, averaged = (build(load_config("aggregation", o)) for o in (tiny, over))
    family = averaged.system.model_family
    scale = np.asarray(family.upper) - np.asarray(family.lower)
    a, b = plain.step(), averaged.step()  # the same streams: the same first population and verdicts
    np.testing.assert_array_equal(a.models, b.models)
    centre = np.median(a.models, axis=0)  # the first median starts the average
    penalty = 0.3 * (((a.models - centre) / scale) ** 2).sum(axis=1)
    assert penalty.max() > 0.01  # the test can tell
    np.testing.assert_allclose(b.model_fitness, a.model_fitness - penalty)
    assert b.diagnostics["history_penalty"] == pytest.approx(penalty.mean())  # metrics.csv's column
    assert "history_penalty" not in a.diagnostics
    for _ in range(2):
        averaged.step()
    assert not np.allclose(averaged.history.centre, centre)  # it moved with the population
    whole = turinglearn.learn("aggregation", seed=2, overrides=over)
    resumed = _interrupted_and_resumed(over, 2, 2, tmp_path)
    np.testing.assert_array_equal(resumed.models, whole.models)
    assert np.all(whole.history["history_penalty"] > 0)  # on from the first generation
    np.testing.assert_array_equal(resumed.history["history_penalty"], whole.history["history_penalty"])
    assert whole.summary()["coevolution"]["history_began"] == 0
    assert resumed.summary()["coevolution"]["history_began"] == 0  # the learner's, not the file's


def test_the_start_of_historical_averaging_is_read_off_the_penalty_column():
    from turinglearn.app.coevolution import engagement_summary, history_began

    assert history_began({"generation": [5, 6, 7, 8], "history_penalty": [0.0, 0.0, 0.02, 0.0]}) == 7
    assert history_began({"history_penalty": [0.0, 0.0]}) is None  # not yet settled
    assert history_began({"history_penalty": [float("nan")] * 3}) is None  # off
    # resumed from a checkpoint older than the column: the start is not known from the file
    assert history_began({"history_penalty": [float("nan"), float("nan"), 0.3, 0.2]}) is None
    assert engagement_summary({"judges_best_vs_models": [0.6, 0.7]})["history_began"] is None  # older runs


def test_historical_averaging_needs_parameters_with_a_range(tiny):
    with pytest.raises(ConfigError, match=r"learner\.historical_averaging: .*programs"):
        build(load_config("aggregation-gp", {**tiny, "learner.historical_averaging": 0.1}))
