"""The critic: a logistic classifier on a trial's statistics, fitted to recent generations'
samples, whose P(genuine) makes a share of the models' fitness."""

import numpy as np
import pytest
from helpers import Shifted, assert_same_run, record_evaluations, record_samples

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import WITHOUT_MEMORY, load_config
from turinglearn.core.critic import FeatureCritic
from turinglearn.errors import ConfigError


def _trials(rng, n, mean=0.0, sd=1.0, steps=30):
    """n trials [n, steps, 1] of white noise."""
    return mean + sd * rng.standard_normal((n, steps, 1))


def _generation(rng, critic, fake_mean=0.0, fake_sd=1.0, n=60):
    x = np.concatenate([_trials(rng, n), _trials(rng, n, fake_mean, fake_sd)])
    genuine = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    return critic.statistics(x), genuine


def _accuracy(critic, z, genuine):
    p = critic.judge(z)
    return ((p[genuine] > 0.5).mean() + (p[~genuine] <= 0.5).mean()) / 2


def test_it_says_half_before_it_is_fitted_and_tells_a_shifted_system_after():
    rng = np.random.default_rng(0)
    critic = FeatureCritic(window=3)
    z, _ = _generation(rng, critic, fake_mean=0.6)
    np.testing.assert_array_equal(critic.judge(z), 0.5)
    for _ in range(3):
        critic.learn(*_generation(rng, critic, fake_mean=0.6))
    assert _accuracy(critic, *_generation(rng, critic, fake_mean=0.6)) > 0.85  # out of sample
    same = FeatureCritic(window=3)
    for _ in range(3):
        same.learn(*_generation(rng, same))
    assert abs(_accuracy(same, *_generation(rng, same)) - 0.5) < 0.15  # nothing to tell apart


def test_its_squares_reject_both_sides_of_the_system():
    """Counterfeits too calm and too wild (spread 0.6 and 1.6 against 1) are told apart by one
    critic: a genuine region bounded on both sides, which a weight on each statistic alone
    (a half-space) cannot give."""
    rng = np.random.default_rng(1)
    critic = FeatureCritic(window=4)

    def both(n=60):
        x = np.concatenate([_trials(rng, 2 * n), _trials(rng, n, sd=0.6), _trials(rng, n, sd=1.6)])
        return critic.statistics(x), np.r_[np.ones(2 * n, bool), np.zeros(2 * n, bool)]

    for _ in range(4):
        critic.learn(*both())
    z, genuine = both()
    p = critic.judge(z)
    assert p[genuine].mean() > 0.6 > 0.4 > p[120:180].mean() and p[180:].mean() < 0.4


def test_it_remembers_a_difference_for_as_long_as_its_window_holds_one():
    """Once the counterfeits look like the system, the critic still gives the shift it was shown
    a lower P(genuine) than the system, until the window has let every shifted generation go;
    then it is the critic fitted to the generations in its window alone."""
    rng = np.random.default_rng(2)
    critic = FeatureCritic(window=5)
    for _ in range(5):
        critic.learn(*_generation(rng, critic, fake_sd=1.5))
    recent = []
    for _ in range(4):
        recent.append(_generation(rng, critic))  # the models now on the system
        critic.learn(*recent[-1])
        z, genuine = _generation(rng, critic, fake_sd=1.5)
        p = critic.judge(z)
        assert p[genuine].mean() - p[~genuine].mean() > 0.25
    recent.append(_generation(rng, critic))
    critic.learn(*recent[-1])
    assert len(critic.z) == len(critic.y) == 5
    fresh = FeatureCritic(window=5, steps=20)
    for z, genuine in recent:
        fresh.learn(z, genuine)
    z, _ = _generation(rng, critic, fake_sd=1.5)
    np.testing.assert_allclose(critic.judge(z), fresh.judge(z), atol=0.02)


def test_its_state_round_trips_and_a_fresh_one_forgets():
    rng = np.random.default_rng(3)
    critic = FeatureCritic(window=2)
    for _ in range(3):
        critic.learn(*_generation(rng, critic, fake_mean=0.2))
    again = FeatureCritic(window=2)
    again.load_state_dict(critic.state_dict())
    z, genuine = _generation(rng, critic, fake_mean=0.2)
    np.testing.assert_array_equal(again.judge(z), critic.judge(z))
    again.learn(z, genuine), critic.learn(z, genuine)
    np.testing.assert_array_equal(again.coef, critic.coef)
    again.load_state_dict(None)
    np.testing.assert_array_equal(again.judge(z), 0.5)
    with pytest.raises(ValueError, match=r"share of a model's fitness, in \(0, 1\]"):
        FeatureCritic(weight=0)


def test_a_learner_without_a_critic_refuses_a_state_with_one(tiny):
    """A newcomer loaded a critic's learner state into a learner built without one: the critic's
    state was dropped unsaid."""
    with_critic = build(load_config("aggregation", {**tiny, "learner.critic": 0.5}))
    with_critic.step()
    without = build(load_config("aggregation", tiny))
    with pytest.raises(ValueError, match="this state was saved by a learner with critic; build the learner"):
        without.load_state_dict(with_critic.state_dict())
    with pytest.raises(ValueError, match="this state was saved by a learner without critic"):
        with_critic.load_state_dict(without.state_dict())


def _toy(weight, seed=0, trials=None):
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES, TuringLearner
    from turinglearn.core.random import stream

    disc = ElmanNetwork(n_inputs=1, n_hidden=3)
    return TuringLearner(
        Shifted(),
        disc,
        SelfAdaptiveES(
            1,
            ESConfig(population=20, parents=10, sigma_init=0.5, sigma_max=0.5),
            stream(seed, "models"),
            [-1.0],
            [1.0],
        ),
        SelfAdaptiveES(disc.n_weights, ESConfig(population=20, parents=10), stream(seed, "discriminators")),
        seed=seed,
        critic=FeatureCritic(weight=weight, window=10, trials=trials),
    )


def test_its_own_trials_on_a_passive_system_are_refused():
    """A passive system's critic reads the generation's samples; trials of its own (an
    interrogated system's) would be ignored, so asking for them is an error."""
    with pytest.raises(ValueError, match=r"the critic's trials \(3\) are the trials it runs on an interrogated"):
        _toy(0.5, trials=3)


def test_the_critic_alone_recovers_a_toy_system():
    """With all of the models' fitness the critic's (weight 1), the toy system's mean (0.3) is
    recovered; the judges evolve beside it and count for nothing."""
    learner = _toy(1.0)
    last = learner.run(60)
    assert abs(last.median[0] - 0.3) < 0.05
    assert last.diagnostics["critic_accuracy"] < 0.65  # the models now look like the system to it


def test_its_verdicts_make_its_share_of_the_models_fitness(monkeypatch):
    """A model's fitness is (1 - w) its judges' share fooled + w the critic's mean P(genuine) on
    its samples, the critic fitted on the generations before only."""
    from turinglearn.core.fitness import judgements, model_fitness

    learner = _toy(0.25)
    batches = record_samples(learner, monkeypatch)
    for g in range(4):
        before = FeatureCritic(window=10)
        before.load_state_dict(
            learner.critic.state_dict()
        )  # the critic as it is before it sees the generation
        record = learner.step()
        batch = batches[-1]
        outputs = learner.discriminator.judge(record.discriminators, batch.x)
        judges = model_fitness(judgements(outputs), batch.owner, 20)
        p = before.judge(before.statistics(batch.x))
        expected = 0.75 * judges + 0.25 * model_fitness(p[None], batch.owner, 20)
        np.testing.assert_allclose(record.model_fitness, expected)
        if g == 0:
            np.testing.assert_allclose(record.model_fitness, 0.75 * judges + 0.125)  # unfitted: 0.5 each
            assert np.isnan(record.diagnostics["critic_accuracy"])
        else:
            assert not np.allclose(p, 0.5) and 0 <= record.diagnostics["critic_accuracy"] <= 1


def test_a_run_with_a_critic_is_deterministic_resumes_bit_for_bit_and_reports_it(tiny, tmp_path):
    from test_memory import _interrupted_and_resumed

    from turinglearn.app.printing import coevolution_line

    over = {**tiny, "generations": 6, "learner.critic": 0.5, "learner.critic_window": 3}
    whole = turinglearn.learn("aggregation", seed=3, overrides=over)
    assert_same_run(whole, turinglearn.learn("aggregation", seed=3, overrides=over))
    accuracy = whole.history["critic_accuracy"]
    assert np.isnan(accuracy[0]) and np.isfinite(accuracy[1:]).all()
    co = whole.summary()["coevolution"]
    assert co["critic_accuracy"] == np.median(accuracy[-2:])
    assert f"critic accuracy {co['critic_accuracy']:.2f} (last quarter" in coevolution_line(co)
    assert_same_run(_interrupted_and_resumed(over, 3, 3, tmp_path), whole)
    without = turinglearn.learn("aggregation", seed=3, overrides={**tiny, "generations": 2})
    assert (
        np.isnan(without.history["critic_accuracy"]).all()
        and without.summary()["coevolution"]["critic_accuracy"] is None
    )


def test_on_a_swarm_it_learns_the_system_and_the_population_only_and_is_all_of_a_fitness_of_one(tiny, monkeypatch):
    """On aggregation with recalled models and hard counterfeits judged beside the population,
    the critic learns the genuine samples and the population's (not the recalled models' nor the
    counterfeits'), and with critic = 1 a model's fitness is its mean P(genuine) alone."""
    over = {**tiny, "learner.critic": 1.0, "learner.model_memory": 4, "learner.model_memory_below": 1.0}
    learner = build(load_config("aggregation", {**over, "learner.counterfeits": 3}))
    seen, batches = record_evaluations(learner), record_samples(learner, monkeypatch)
    others = 0
    for _ in range(4):
        before = FeatureCritic(window=20)
        before.load_state_dict(learner.critic.state_dict())
        record = learner.step()
        owner, genuine = np.asarray(batches[-1].owner), np.asarray(batches[-1].genuine)
        ours = genuine | (owner < 10)  # the system's agents and the population's 10 models' replicas
        others += (~ours).sum()
        np.testing.assert_array_equal(learner.critic.y[-1], genuine[ours])
        p = before.judge(before.statistics(batches[-1].x))
        np.testing.assert_allclose(record.model_fitness, [p[owner == m].mean() for m in range(10)])
    assert others > 0 and not seen  # recalled models and counterfeits were judged; no evaluation in the evaluator


# --- an interrogated system: the critic runs trials of its own under the interrogators ----------

SMALL = {  # stimulus-response, small: 20 models, 20 interrogators, 20 genuine trials each; no memory
    **WITHOUT_MEMORY,
    "models.population": 20,
    "models.parents": 10,
    "discriminators.population": 20,
    "discriminators.parents": 10,
    "learner.genuine_trials": 20,
}


def test_interrogated_samples_pair_each_genuine_and_counterfeit_trial_under_one_interrogator():
    """Trial i of the system and trial i of a model face the same interrogator: with an agent
    that is never startled (its speed gain * light, no chance in it) and models equal to it,
    the two trials of a pair are the same trajectory, while the interrogators' differ."""
    from turinglearn.environments.stimulus_response import StimulusResponseConfig, StimulusResponseSim
    from turinglearn.families.elman import ElmanNetwork
    from turinglearn.systems.interactive import InteractiveSystem

    truth = (0.6, 0.0, 0.1, 0.2)  # startle_prob 0: deterministic
    system = InteractiveSystem(StimulusResponseSim(StimulusResponseConfig(steps=30, truth=truth)), trials_per_model=3)
    net = ElmanNetwork(n_inputs=2, n_outputs=2)
    weights = np.random.default_rng(0).normal(0.0, 3.0, size=(5, net.n_weights))
    theta = np.tile(truth, (4, 1))
    batch = system.interrogated_samples(theta, net, weights, np.random.default_rng(1))
    assert batch.x.shape == (24, 30, 2)
    np.testing.assert_array_equal(batch.owner, np.r_[np.full(12, -1), np.repeat(np.arange(4), 3)])
    np.testing.assert_array_equal(batch.genuine, batch.owner < 0)
    np.testing.assert_array_equal(batch.x[:12], batch.x[12:])  # each pair under one interrogator
    lights = batch.x[:12, :, 1]
    assert len({lights[i].tobytes() for i in range(5)}) == 5  # five interrogators, five schedules
    np.testing.assert_array_equal(lights[5:10], lights[:5])  # trial i under the (i % 5)-th
    # in an order drawn anew each time: two chunks of one trial each can meet different ones
    met = {
        system.interrogated_samples(theta[:1], net, weights, np.random.default_rng(s)).x[0, :, 1].tobytes()
        for s in range(20)
    }
    assert len(met) == 5
    watched = InteractiveSystem(system.sim, trials_per_model=3, passive=True)  # a passive one: its schedule
    lights = watched.interrogated_samples(theta, net, weights, np.random.default_rng(1)).x[:, :, 1]
    np.testing.assert_array_equal(lights, 0.5)


def _record_critic_trials(learner) -> list:
    """The batches of trials the learner's critic runs (``evaluator.interrogated``), one a
    generation, appended to the returned list as they are made."""
    own = []
    interrogated = learner.evaluator.interrogated

    def spy(*args):
        own.append(interrogated(*args))
        return own[-1]

    learner.evaluator.interrogated = spy
    return own


def test_on_an_interrogated_system_it_judges_trials_of_its_own_and_makes_its_share():
    """On stimulus-response the critic reads trials it runs under the generation's interrogators
    that vote on the models (with model_judges = "parents", the 10 the last selection kept; the
    judges' evaluation is unchanged): unfitted it gives 0.5 to every model; then its
    out-of-sample verdicts on its trials make half of each model's fitness."""
    from turinglearn.core.fitness import judgements, model_fitness
    from turinglearn.core.random import stream

    parents = {**SMALL, "learner.model_judges": "parents"}
    learner = build(load_config("stimulus-response", {**parents, "learner.critic": 0.5}))
    plain = build(load_config("stimulus-response", parents))
    own = _record_critic_trials(learner)
    seen = record_evaluations(learner)
    first, without = learner.step(), plain.step()
    np.testing.assert_allclose(first.model_fitness, 0.5 * without.model_fitness + 0.25)
    assert np.isnan(first.diagnostics["critic_accuracy"])
    np.testing.assert_array_equal(own[0].owner, np.r_[np.full(80, -1), np.repeat(np.arange(20), 4)])
    for _ in range(3):
        before = FeatureCritic()
        before.load_state_dict(learner.critic.state_dict())
        theta = learner.model_optimizer.ask()
        weights = learner.discriminator_optimizer.ask()
        record = learner.step()
        batch = own[-1]
        again = learner.system.interrogated_samples(
            theta, learner.discriminator, weights[:10], stream(0, "critic", record.generation, 0)
        )
        np.testing.assert_array_equal(batch.x, again.x)  # the generation's voters, the critic's stream
        p = before.judge(before.statistics(batch.x))
        critic = np.array([p[batch.owner == m].mean() for m in range(20)])
        ev = seen[-1]
        judges = model_fitness(judgements(ev.outputs[:10]), ev.owner, 20)  # the share of the 10 voters fooled
        np.testing.assert_allclose(record.model_fitness, 0.5 * judges + 0.5 * critic)
        assert not np.allclose(critic, 0.5) and 0 <= record.diagnostics["critic_accuracy"] <= 1


def test_its_own_trials_on_an_interrogated_system_are_critic_trials_of_each_model():
    """learner.critic_trials sets how many trials of each model (and of the system) the critic
    runs: 7 here beside the judges' 4, its verdict on a model the mean over its 7; the judges'
    evaluation and the critic's stream are unchanged, so the first fitness is that of a critic
    with 4 trials (unfitted: 0.5 for all)."""
    from turinglearn.core.random import stream

    over = {**SMALL, "learner.model_judges": "parents", "learner.critic": 0.5}
    learner = build(load_config("stimulus-response", {**over, "learner.critic_trials": 7}))
    four = build(load_config("stimulus-response", over))
    assert learner.critic.trials == 7 and four.critic.trials is None
    own = _record_critic_trials(learner)
    np.testing.assert_array_equal(learner.step().model_fitness, four.step().model_fitness)
    theta, weights = learner.model_optimizer.ask(), learner.discriminator_optimizer.ask()
    before = FeatureCritic()
    before.load_state_dict(learner.critic.state_dict())
    record = learner.step()
    batch = own[-1]
    np.testing.assert_array_equal(batch.owner, np.r_[np.full(140, -1), np.repeat(np.arange(20), 7)])
    again = learner.system.interrogated_samples(
        theta, learner.discriminator, weights[:10], stream(0, "critic", record.generation, 0), 7
    )
    np.testing.assert_array_equal(batch.x, again.x)
    p = before.judge(before.statistics(batch.x))
    critic = np.array([p[batch.owner == m].mean() for m in range(20)])
    assert not np.allclose(critic, 0.5)
    mixed = record.model_fitness - 0.5 * critic  # the judges' half, in steps of 1 / (10 voters x 4 trials)
    np.testing.assert_allclose(mixed * 2 * 40, np.round(mixed * 2 * 40), atol=1e-9)


def test_the_critic_alone_recovers_an_interrogated_agent():
    """With all of the models' fitness the critic's, the stimulus-response agent
    (0.6, 0.8, 0.1, 0.2) is recovered from trials under evolving interrogators, whose
    judgements count for nothing: its gain within 0.07, the rest (which one trial shows less
    of) within 0.15, as on 5 of seeds 0-5 (the sixth ends 0.32 off in ``startled_speed``: the
    critic alone, on 4 trials a model, is a weak judge of them). The first median is 0.47 off."""
    learner = build(load_config("stimulus-response", {**SMALL, "seed": 0, "learner.critic": 1.0}))
    medians = [learner.step().median for _ in range(150)]
    error = np.abs(np.median(medians[-50:], axis=0) - [0.6, 0.8, 0.1, 0.2])
    assert error[0] < 0.07 and error.max() < 0.15 < np.abs(medians[0] - [0.6, 0.8, 0.1, 0.2]).max()


def test_an_interrogated_run_with_a_critic_is_deterministic_and_resumes_bit_for_bit(tmp_path):
    from test_memory import _interrupted_and_resumed

    over = {**SMALL, "generations": 5, "learner.critic": 0.5, "learner.critic_window": 3, "evaluation.c2st_trials": 20}
    whole = turinglearn.learn("stimulus-response", seed=3, overrides=over)
    assert_same_run(whole, turinglearn.learn("stimulus-response", seed=3, overrides=over))
    assert np.isfinite(whole.history["critic_accuracy"][1:]).all()
    assert_same_run(_interrupted_and_resumed(over, 3, 2, tmp_path, "stimulus-response"), whole)


def test_beside_a_trained_classifier_its_share_mixes_with_the_classifiers_p_genuine(tiny):
    """With a gradient-trained discriminator (one classifier, whose mean P(genuine) is a model's
    fitness) the critic's verdicts make their share the same way: unfitted, 0.5 each."""
    pytest.importorskip("torch")
    over = {**tiny, "discriminators.kind": "gru"}
    plain = build(load_config("aggregation", over)).step()
    learner = build(load_config("aggregation", {**over, "learner.critic": 0.25}))
    first = learner.step()
    np.testing.assert_allclose(first.model_fitness, 0.75 * plain.model_fitness + 0.125)
    second = learner.step()
    assert 0 <= second.diagnostics["critic_accuracy"] <= 1 and len(learner.critic.z) == 2


def test_a_broken_trial_is_a_counterfeit_and_spoils_no_fit():
    """A trial whose statistics are not finite gets P(genuine) 0 and is left out of the fit; a
    torch tensor (samples kept on a device) is read like an array."""
    rng = np.random.default_rng(4)
    critic = FeatureCritic(window=2)
    z, genuine = _generation(rng, critic, fake_mean=0.6)
    z[-1, 0] = np.inf
    np.testing.assert_array_equal(critic.judge(z)[-1], 0.0)
    critic.learn(z, genuine)
    assert np.isfinite(critic.coef).all() and np.isfinite(critic.centre).all()
    p = critic.judge(z)
    assert p[-1] == 0.0 and np.isfinite(p).all() and p[:-1].std() > 0

    class OnDevice:  # what a CUDA tensor does: no __array__, but detach().cpu().numpy()
        def __init__(self, a):
            self.a = a

        def __array__(self, *args, **kwargs):
            raise TypeError("can't convert cuda tensor to numpy")

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    x = _trials(rng, 8)
    np.testing.assert_array_equal(critic.statistics(OnDevice(x)), critic.statistics(x))
    owner = np.r_[np.full(4, -1), np.arange(4)]
    got, _ = critic.criticise(OnDevice(x), owner < 0, owner, 4)
    assert got.shape == (4,) and np.isfinite(got).all()


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("learner.critic", 1.5, r"learner\.critic: 1\.5 is not a share of a model's fitness in \[0, 1\]"),
        ("learner.critic", -0.1, r"learner\.critic: -0\.1 is not a share"),
        ("learner.critic_window", 0, r"learner\.critic_window"),
        ("learner.model_fitness", "gap", r"learner\.critic: mixes a P\(genuine\) .* model_fitness = 'gap'"),
        ("learner.model_fitness", "matching", r"learner\.critic: mixes .* model_fitness = 'matching'"),
        ("learner.critic_trials", -1, r"learner\.critic_trials: must be at least 0, got -1"),
    ],
)
def test_bad_critic_settings_name_the_key(tiny, key, value, words):
    with pytest.raises(ConfigError, match=words):
        load_config("aggregation", {**tiny, "learner.critic": 0.5, key: value})


def test_a_critic_needs_its_samples_on_the_host(tiny):
    over = {**tiny, "learner.critic": 0.5, "execution.array": "torch", "execution.backend": "processes"}
    with pytest.raises(ConfigError, match=r"learner\.critic: .*stay on their device"):
        build(load_config("aggregation", over))
    pytest.importorskip("torch")
    with pytest.raises(ConfigError, match=r"learner\.critic: .*discriminators.kind = 'swarm' judges sets of robots"):
        build(load_config("aggregation", {**tiny, "learner.critic": 0.5, "discriminators.kind": "swarm"}))
    learner = build(load_config("stimulus-response", {"learner.critic": 0.5, "learner.passive": True}))
    assert learner.critic.weight == 0.5  # watched passively, its samples are the system's own
    with pytest.raises(ConfigError, match=r"learner\.critic_trials: are the trials a critic runs on an interrogated"):
        build(load_config("aggregation", {**tiny, "learner.critic": 0.5, "learner.critic_trials": 3}))


class Varied:
    """A toy system whose individuals differ: each sample's level ~ N(mu, spread) (0.3 and 0.2
    for the system), held over 10 steps with noise 0.05; ``per`` samples of each model and as
    many of the system a generation."""

    class family:
        n_params, names = 2, ("mu", "spread")
        lower, upper = np.array([-1.0, 0.0]), np.array([1.0, 0.6])

    model_family = family
    truth = np.array([0.3, 0.2])

    def __init__(self, per: int = 4):
        self.per = per

    def _draw(self, theta, rng):
        level = theta[:, 0] + theta[:, 1] * rng.standard_normal(len(theta))
        return level[:, None, None] + 0.05 * rng.standard_normal((len(theta), 10, 1))

    def samples(self, theta, rng):
        from turinglearn.core.contracts import SampleBatch

        m, k = len(theta), self.per
        g = self._draw(np.tile(self.truth, (m * k, 1)), rng)
        c = self._draw(np.repeat(theta, k, axis=0), rng)
        return SampleBatch(
            np.concatenate([g, c]),
            np.r_[np.ones(m * k, bool), np.zeros(m * k, bool)],
            np.r_[np.full(m * k, -1), np.repeat(np.arange(m), k)],
        )

    def evaluate(self, theta, discriminator, weights, rng, part=0, parts=1):
        from turinglearn.core.contracts import judge_samples

        return judge_samples(self.samples(theta, rng), discriminator, weights)

    def trajectories(self, theta, rng, trials=None):
        m, n = len(theta), trials or 1
        g = self._draw(np.tile(self.truth, (m * n, 1)), rng).reshape(m, n, 1, 10, 1)
        return g, self._draw(np.repeat(theta, n, axis=0), rng).reshape(m, n, 1, 10, 1)


def _varied(sets: bool, seed: int, per: int = 4):
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES, TuringLearner
    from turinglearn.core.random import stream

    disc = ElmanNetwork(n_inputs=1, n_hidden=3)
    fam = Varied.family
    return TuringLearner(
        Varied(per),
        disc,
        SelfAdaptiveES(
            2, ESConfig(population=30, parents=15, sigma_init=0.5, sigma_max=0.5), stream(seed, "models"), fam.lower, fam.upper
        ),
        SelfAdaptiveES(disc.n_weights, ESConfig(population=20, parents=10), stream(seed, "discriminators")),
        seed=seed,
        critic=FeatureCritic(weight=1.0, window=10, sets=sets),
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_judged_as_sets_a_spread_between_individuals_is_learned_where_samples_alone_lose_it(seed):
    """Judged one sample at a time, the models whose samples are all typical win: the toy's
    spread between individuals (0.2) ends at 0.00-0.05 (an ecologist's per-fish speed spread, 0.05
    for 0.25), and its level off by up to 0.11. Judged as sets (each model's four samples against
    four of the system's), both are learned."""
    alone = _varied(False, seed).run(80).median
    sets = _varied(True, seed).run(80).median
    assert alone[1] < 0.06, alone
    assert abs(sets[1] - 0.2) < 0.06 and abs(sets[0] - 0.3) < 0.08, sets


def test_sets_see_samples_that_agree_too_well():
    """A model whose four samples share one level, drawn as the system's individuals are: each
    sample alone is distributed as the system's, so a critic of samples tells nothing; as sets,
    their spread across the set (none) tells them apart."""
    from turinglearn.core.critic import as_sets

    rng = np.random.default_rng(0)

    def generation(critic, m=40, k=4):
        genuine = 0.5 * rng.standard_normal((m * k, 1, 1)) + 0.05 * rng.standard_normal((m * k, 20, 1))
        shared = np.repeat(0.5 * rng.standard_normal((m, 1, 1)), k, axis=0) + 0.05 * rng.standard_normal((m * k, 20, 1))
        owner = np.r_[np.full(m * k, -1), np.repeat(np.arange(m), k)]
        return np.concatenate([genuine, shared]), owner < 0, owner, m

    accuracy = {}
    for sets in (False, True):
        critic = FeatureCritic(window=5, sets=sets)
        for _ in range(6):
            critic.criticise(*generation(critic))
        accuracy[sets] = np.mean([critic.criticise(*generation(critic))[1] for _ in range(3)])
    assert abs(accuracy[False] - 0.5) < 0.08 and accuracy[True] > 0.8, accuracy
    # the rows: each model's set, then the system's samples k at a time in their order
    z = np.arange(10.0)[:, None] * np.ones((1, 2))
    genuine = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    owner = np.r_[np.full(5, -1), 0, 0, 1, 1, 1]
    rows, labels = as_sets(z, genuine, owner, 2)
    assert labels.tolist() == [False, False, True, True]  # 5 genuine samples, sets of 2: one left out
    np.testing.assert_allclose(rows[:, 0], [5.5, 7.5, 0.5, 2.5])  # the sets' means: k = 2 samples each
    np.testing.assert_allclose(rows[:, 2], [0.5, 0.5, 0.5, 0.5])  # their spreads (model 1's first two of three)
    with pytest.raises(ConfigError, match=r"learner\.critic_sets: judges a model's samples .* a model has 1"):
        as_sets(z, genuine, np.r_[np.full(5, -1), 0, 1, 1, 1, 1], 2)


def test_a_run_with_a_critic_of_sets_resumes_bit_for_bit_and_needs_two_samples_a_model(tiny, tmp_path):
    from test_memory import _interrupted_and_resumed

    over = {**tiny, "generations": 5, "learner.critic": 0.5, "learner.critic_window": 3, "learner.critic_sets": True}
    over["learner.trials_per_model"] = 2
    whole = turinglearn.learn("aggregation", seed=3, overrides=over)
    assert np.isfinite(whole.history["critic_accuracy"][1:]).all()
    assert_same_run(_interrupted_and_resumed(over, 3, 2, tmp_path), whole)
    one = {**over, "learner.trials_per_model": 1, "environment.n_replicas": 1, "generations": 1}
    with pytest.raises(ConfigError, match=r"learner\.critic_sets: .*trials_per_model x the swarm's 1 replicas gives 1"):
        turinglearn.learn("aggregation", seed=3, overrides=one)
    # a swarm's genuine sets come from the swarms of a model's set: as many agents as replicas (agents of
    # different swarms vary more than those of one, and a model equal to the truth was told apart at 0.91)
    mixed = {**one, "environment.n_replicas": 4, "learner.genuine_per_trial": 1}
    with pytest.raises(ConfigError, match=r"learner\.critic_sets: .*set learner\.genuine_per_trial = 4 \(the swarm's n_replicas\), got 1"):
        turinglearn.learn("aggregation", seed=3, overrides=mixed)
    with pytest.raises(ConfigError, match=r"learner\.critic_sets.*critic"):
        load_config("aggregation", {**tiny, "learner.critic_sets": True})


def test_a_passive_study_with_a_critic_of_sets_needs_two_trials_of_each_model():
    """A review: watched passively, one trial of each model a generation passed the check before
    the run and failed at the first generation."""
    over = {"learner.passive": True, "learner.critic": 0.5, "learner.critic_sets": True, "learner.trials_per_model": 1}
    with pytest.raises(ConfigError, match=r"learner\.critic_sets: .*trials_per_model gives 1"):
        build(load_config("stimulus-response", over))
    build(load_config("stimulus-response", {**over, "learner.trials_per_model": 2}))
