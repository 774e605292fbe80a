"""Guards: the Pareto archive of judges that guard the estimate on every side."""

import numpy as np
import pytest
from helpers import assert_same_run, record_shown

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.memory import Guards
from turinglearn.errors import ConfigError

LOWER, UPPER = np.array([-1.0, -1.0, 0.0]), np.array([1.0, 1.0, 1.0])


def test_probes_move_one_parameter_of_the_remembered_estimate_a_step_up_and_down():
    guards = Guards(trials=2, step=0.1, lower=LOWER, upper=UPPER, every=5, window=3)
    rng = np.random.default_rng(0)
    theta = np.array([[0.0, 0.5, 0.95], [0.2, 0.5, 0.95], [0.4, 0.5, 0.95]])  # median (0.2, 0.5, 0.95)
    probes = guards.probes(theta, 0, rng)
    # 0.95 + 0.1 leaves the box: no side to guard there, so 5 probes of 2 trials
    assert guards.pending == [(0, -1), (0, 1), (1, -1), (1, 1), (2, -1)]
    assert probes.shape == (10, 3)
    np.testing.assert_allclose(probes[::2], [
        [0.0, 0.5, 0.95], [0.4, 0.5, 0.95], [0.2, 0.3, 0.95], [0.2, 0.7, 0.95], [0.2, 0.5, 0.85],
    ])  # fmt: skip
    np.testing.assert_array_equal(probes[::2], probes[1::2])  # each probe's trials together
    assert guards.probes(theta + 0.1, 1, rng) is None and guards.pending == []  # between rounds
    # the estimate is the median of the remembered medians, not this generation's
    far = guards.probes(theta + 0.3, 5, rng)
    assert far[0, 1] == pytest.approx(0.6)  # median of 0.5, 0.6, 0.8 on parameter 1


def _verdicts(accepts, rejects):
    """Verdicts [J, S] on 4 of the system's samples and 2 probes of 2 trials each (owner 0-1 the
    population's samples, then 2-5 the probes' trials): judge j accepts the system's samples
    ``accepts[j]`` (4 bools) and rejects the probes' trials ``rejects[j]`` ((t0, t1) per
    probe). The first trial of each probe and the system's samples 0 and 2 elect, the rest check."""
    owner = np.array([-1, -1, -1, -1, 0, 1, 2, 3, 4, 5])
    judged = np.zeros((len(accepts), len(owner)), dtype=bool)
    for j, (a, r) in enumerate(zip(accepts, rejects, strict=True)):
        judged[j, :4] = a
        judged[j, 6:] = ~np.array(r, dtype=bool).ravel()
    return judged, owner == -1, owner


ALL = (True,) * 4
NONE = ((False, False), (False, False))


def _round(guards, judges, accepts, rejects):
    guards.probes(np.zeros((3, 1)), 0, np.random.default_rng(0))
    guards.update(judges, *_verdicts(accepts, rejects), first=2)


def test_each_side_is_guarded_by_the_judge_most_accurate_on_samples_that_did_not_elect_it():
    guards = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1])
    judges = np.arange(8.0).reshape(4, 2)  # four judges' weights
    # judge 0 rejects probe 0, judge 1 probe 1; judge 2 rejects both probes' electing trials
    # only (luck: first on both sides by the electing half); judge 3 rejects nothing
    rejects = [((1, 1), (0, 0)), ((0, 0), (1, 1)), ((1, 0), (1, 0)), NONE]
    _round(guards, judges, [ALL] * 4, rejects)
    np.testing.assert_array_equal(guards.rows, judges[[0, 1]])
    assert guards.sides == [(0, -1), (0, 1)] and guards.scores == [1.0, 1.0]
    assert guards.pending == []

    # judge 2 alone: it does no better than chance on the checking half, so no side is guarded
    _round(guards, judges[[2, 3]], [ALL] * 2, rejects[2:])
    assert len(guards) == 0 and guards.rows is None


def test_a_guard_stays_against_an_equal_challenger_and_goes_when_its_side_cannot_be_told():
    guards = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1])
    judges = np.arange(6.0).reshape(3, 2)
    _round(guards, judges[[1]], [ALL], [((1, 1), (1, 1))])  # judge 1 guards both sides
    assert len(guards) == 1 and guards.sides == [(0, -1)]
    # judge 0, listed first, is as good on probe 0 and better on probe 1's checking trial
    _round(guards, judges[[0, 1]], [ALL, ALL], [((1, 1), (1, 1)), ((1, 1), (1, 0))])
    np.testing.assert_array_equal(guards.elected[(0, -1)][0], judges[1])  # the incumbent among equals
    np.testing.assert_array_equal(guards.elected[(0, 1)][0], judges[0])
    assert len(guards) == 2
    # a judge that accepts half the system's checking samples scores 0.75 at best
    _round(guards, judges[[2]], [(True, True, True, False)], [((1, 1), (1, 1))])
    assert guards.scores == [0.75]
    _round(guards, judges[[0, 1]], [ALL, ALL], [NONE, NONE])  # nobody tells the probes apart now
    assert len(guards) == 0 and guards.elected == {}


def test_guards_state_round_trips():
    guards = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1], window=4)
    judges = np.arange(4.0).reshape(2, 2)
    guards.probes(np.array([[0.1], [0.3]]), 0, np.random.default_rng(0))
    guards.update(judges, *_verdicts([ALL, ALL], [((1, 1), (0, 0)), ((0, 0), (1, 1))]), first=2)
    assert len(guards) == 2
    again = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1], window=4)
    again.load_state_dict(guards.state_dict())
    np.testing.assert_array_equal(again.rows, guards.rows)
    assert again.sides == guards.sides and again.scores == guards.scores
    assert again.elected.keys() == guards.elected.keys()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(again.probes(np.array([[0.5]]), 0, rng), guards.probes(np.array([[0.5]]), 0, rng))
    fresh = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1])
    fresh.load_state_dict(None)
    assert len(fresh) == 0 and len(fresh.centres) == 0


def _guarded(tiny, **extra):
    return {**tiny, "learner.guards": 2, "learner.guard_every": 2, "learner.guard_step": 0.25, **extra}


def test_the_neighbours_are_run_beside_the_population_and_their_samples_enter_no_fitness(tiny):
    """On election generations the judges' fitness is read without the neighbours' samples (the
    system's agents of their trials stay: genuine samples like the others'); the models' is
    the population's."""
    from helpers import record_evaluations

    from turinglearn.core.fitness import discriminator_fitness, judgements

    learner = build(load_config("aggregation", _guarded(tiny, **{"learner.guard_every": 1})))
    shown, seen = record_shown(learner), record_evaluations(learner)
    checked = 0
    for _ in range(5):
        g = learner.step()
        assert 10 + 2 < len(shown[-1]) <= 10 + 2 * 4 * 2  # up to 4 parameters' two sides, 2 trials each
        assert g.model_fitness.shape == (10,)
        judged, owner = judgements(seen[-1].outputs[: len(g.discriminators)]), np.asarray(seen[-1].owner)
        genuine, keep = np.asarray(seen[-1].genuine), owner < 10
        expected = discriminator_fitness(judged[:, keep], genuine[keep])
        np.testing.assert_allclose(g.discriminator_fitness, expected)
        checked += not np.allclose(expected, discriminator_fitness(judged, genuine))  # the test can tell
    assert checked >= 1
    assert g.diagnostics["guards"] == len(learner.guards) >= 1
    assert 0.6 <= g.diagnostics["guard_accuracy"] <= 1


def test_extra_judge_steps_leave_the_neighbours_samples_out(tiny, monkeypatch):
    """With judge_steps > 1 the judges bred again on an election generation judge the
    generation's samples but the neighbours' (the population's and the system's agents of every
    trial), the same columns their parents' fitness read."""
    learner = build(load_config("aggregation", _guarded(tiny, **{"learner.guard_every": 1, "learner.judge_steps": 3})))
    seen, samples = [], type(learner.evaluator).samples
    judged, judge = [], type(learner.discriminator).judge

    def spy_samples(self, *args):
        seen.append(samples(self, *args))
        return seen[-1]

    def spy_judge(self, weights, x):
        judged.append(np.array(x))
        return judge(self, weights, x)

    monkeypatch.setattr(type(learner.evaluator), "samples", spy_samples)
    monkeypatch.setattr(type(learner.discriminator), "judge", spy_judge)
    for _ in range(3):
        judged.clear()
        learner.step()
        batch = seen[-1]
        ours = np.asarray(batch.owner) < 10  # the population's 10 models and the system; the neighbours' are >= 10
        assert (~ours).sum() >= 2 * 4  # at least one side's 2 trials of 4 replicas each
        first, *again = judged
        np.testing.assert_array_equal(first, batch.x)  # every judge of the generation saw everything
        assert again  # the extra steps judged the same samples less the neighbours'
        for x in again:
            np.testing.assert_array_equal(x, np.asarray(batch.x)[ours])


@pytest.mark.parametrize(
    "weight, vote, counting", [(0.25, "each", "votes"), (1.0, "each", "votes"), (0.5, "all", "votes"), (0.5, "all", "outputs")]
)
def test_the_guards_weigh_their_share_of_a_models_fitness(tiny, weight, vote, counting):
    """Every generation elects (guard_every = 1): the guards that judged, not those elected
    after, make the guards' share, also where an election changes their number. With
    guard_vote = 'all' they vote as one judge that takes a sample for genuine where every guard
    does, and whose P(genuine) is the least of theirs when the models count outputs."""
    from helpers import record_evaluations

    from turinglearn.core.fitness import judgements, model_fitness

    over = _guarded(tiny, **{
        "learner.guard_weight": weight, "learner.guard_every": 1, "learner.guard_step": 0.5,
        "learner.hall_of_fame": 2, "learner.hall_of_fame_every": 1, "learner.guard_vote": vote,
        "learner.model_fitness": counting, "seed": 1 if counting == "votes" else 3,  # seeds where the guards change
    })  # fmt: skip
    learner = build(load_config("aggregation", over))
    seen, counts, differs = record_evaluations(learner), set(), 0
    for _ in range(6):
        before = len(learner.guards)  # the guards that judge this generation
        g = learner.step()
        counts.add((before, len(learner.guards)))
        if not before:
            continue
        judged, owner = judgements(seen[-1].outputs), seen[-1].owner
        v = judged if counting == "votes" else seen[-1].outputs  # [J, S] what the models' fitness counts
        others = model_fitness(v[:-before], owner, 10)[:10]  # the population and the hall of fame, one vote each
        each = model_fitness(v[-before:], owner, 10)[:10]
        every = model_fitness(v[-before:].min(axis=0, keepdims=True), owner, 10)[:10]  # booleans: all
        by_guards = every if vote == "all" else each
        np.testing.assert_allclose(g.model_fitness, (1 - weight) * others + weight * by_guards)
        differs += not np.allclose(each, every)  # the two votes differ here: the test can tell them apart
        hall = judged[len(g.discriminators) : -before][:, (owner >= 0) & (owner < 10)]  # not the guards
        assert g.diagnostics["hall_of_fame_fooled"] == pytest.approx(hall.mean())
    assert any(a and a != b for a, b in counts)  # an election changed the number of guards that had judged
    assert differs >= 1


def test_a_run_with_guards_is_deterministic_and_resumes_bit_for_bit(tiny, tmp_path):
    from test_memory import _interrupted_and_resumed

    over = _guarded(tiny, generations=6)
    whole = turinglearn.learn("aggregation", seed=3, overrides=over)
    assert_same_run(whole, turinglearn.learn("aggregation", seed=3, overrides=over))
    assert np.isfinite(whole.history["guards"]).all() and whole.history["guards"].max() >= 1
    from turinglearn.app.printing import coevolution_line

    co = whole.summary()["coevolution"]  # the last quarter's median number of guards and accuracy
    assert co["guards"] == np.median(whole.history["guards"][-2:]) and 0.6 <= co["guard_accuracy"] <= 1
    assert f"; {co['guards']:.0f} guard" in coevolution_line(co) and f", {co['guard_accuracy']:.2f} accurate" in coevolution_line(co)
    assert ": 1 guard, 0.75 accurate on their sides;" in coevolution_line({"guards": 1.0, "guard_accuracy": 0.75})
    assert ": 0 guards; no drift" in coevolution_line({"guards": 0.0, "guard_accuracy": float("nan")})
    resumed = _interrupted_and_resumed(over, 3, 3, tmp_path)
    assert_same_run(resumed, whole)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("learner.guards", -1, "learner.guards"),
        ("learner.guards", 1, "learner.guards: is 1 trial per probe"),
        ("learner.guard_against", "truth", "learner.guard_against"),
        ("learner.guard_vote", "most", "learner.guard_vote"),
        ("learner.guard_step", 0.0, "learner.guard_step: 0.0 is not a fraction"),
        ("learner.guard_weight", 0.0, "learner.guard_weight: 0.0 is not a share"),
        ("learner.guard_every", 0, "learner.guard_every"),
    ],
)
def test_bad_guard_settings_name_the_key(tiny, key, value, words):
    with pytest.raises(ConfigError, match=words):
        load_config("aggregation", _guarded(tiny, **{key: value}))


def test_guards_need_a_box_one_population_and_evolved_judges(tiny):
    with pytest.raises(ConfigError, match=r"learner\.guards: .*models\.kind = 'reactive' or guards = 0"):
        build(load_config("aggregation-mlp", _guarded(tiny)))
    with pytest.raises(ConfigError, match=r"learner\.guards: .*islands"):
        load_config("aggregation", _guarded(tiny, **{"learner.islands": 2}))
    with pytest.raises(ConfigError, match=r"learner\.guards: .*trained classifier"):
        build(load_config("aggregation-gru", _guarded(tiny)))
    with pytest.raises(ConfigError, match=r"learner\.guards: .*learner.kind = 'metric-sse' has none"):
        build(load_config("aggregation", _guarded(tiny, **{"learner.kind": "metric-sse"})))
    from turinglearn.core.learner import TuringLearner

    made = build(load_config("aggregation", _guarded(tiny)))
    parts = (made.system, made.discriminator, made.model_optimizer, made.discriminator_optimizer)
    with pytest.raises(ValueError, match="guard_vote must be one of each, all, got 'most'"):
        TuringLearner(*parts, guards=made.guards, guard_vote="most")


def test_an_interrogated_system_elects_guards_whose_verdicts_weigh_their_share():
    from helpers import SMALL_INTERACTIVE, record_evaluations

    from turinglearn.core.fitness import judgements, model_fitness

    over = {**SMALL_INTERACTIVE, "learner.guards": 4, "learner.guard_every": 1, "learner.guard_step": 0.25}
    learner = build(load_config("stimulus-response", over))
    seen, weighed = record_evaluations(learner), 0
    for _ in range(10):
        before = len(learner.guards)
        g = learner.step()
        if before:  # the interrogators' verdicts, the guards' last
            judged, owner = judgements(seen[-1].outputs), seen[-1].owner
            others, by_guards = (model_fitness(v, owner, 8)[:8] for v in (judged[:-before], judged[-before:]))
            np.testing.assert_allclose(g.model_fitness, 0.5 * others + 0.5 * by_guards)
            weighed += 1
    assert weighed >= 1 and g.diagnostics["guard_accuracy"] >= 0.6


@pytest.mark.parametrize("against", ["system", "estimate"])
def test_against_the_estimate_a_judge_that_rejects_the_estimate_itself_guards_no_side(against):
    guards = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1], against=against)
    probes = guards.probes(np.zeros((3, 1)), 0, np.random.default_rng(0))
    lead = against == "estimate"
    np.testing.assert_allclose(probes[:, 0], [0.0, 0.0] * lead + [-0.2, -0.2, 0.2, 0.2])  # the estimate first
    owner = np.array([-1, -1, -1, -1, 0, 1, *range(2, 2 + len(probes))])
    judged = np.zeros((2, len(owner)), dtype=bool)
    judged[:, :4] = True  # both take the system's samples for genuine
    judged[1, 6 : 6 + 2 * lead] = True  # judge 1 takes the estimate's for genuine, judge 0 does not
    judged[1, 6 + 2 * lead + 2 :] = True  # judge 1 takes the upper side for genuine: it guards the lower
    guards.update(np.eye(2), judged, owner == -1, owner, first=2)
    if against == "system":  # judge 0 rejects everything not the system: it guards both sides
        assert {side: tuple(row) for side, (row, _) in guards.elected.items()} == {(0, -1): (1, 0), (0, 1): (1, 0)}
    else:  # judge 0 rejects the estimate too: only judge 1's side is guarded
        assert {side: tuple(row) for side, (row, _) in guards.elected.items()} == {(0, -1): (0, 1)}
    with pytest.raises(ValueError, match="against must be one of system, estimate"):
        Guards(trials=2, step=0.1, lower=LOWER, upper=UPPER, against="truth")
    with pytest.raises(ValueError, match="trials must be 2 or more"):
        Guards(trials=1, step=0.1, lower=LOWER, upper=UPPER)


def test_one_sample_of_the_system_is_read_by_both_halves():
    guards = Guards(trials=2, step=0.1, lower=LOWER[:1], upper=UPPER[:1])
    guards.probes(np.zeros((3, 1)), 0, np.random.default_rng(0))
    owner = np.array([-1, 0, 2, 3, 4, 5])
    judged = np.array([[True, True, False, False, True, True]])  # accepts the system, rejects the lower side
    guards.update(np.eye(1), judged, owner == -1, owner, first=2)
    assert list(guards.elected) == [(0, -1)] and guards.scores == [1.0]
