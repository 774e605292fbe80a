"""Gradient-trained discriminators: numpy judges equal their torch twins, the swarm classifier
ignores the robots' order, training learns, checkpoints continue exactly, config errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from turinglearn.app import checkpoint  # noqa: E402
from turinglearn.app.build import build  # noqa: E402
from turinglearn.config import load_config  # noqa: E402
from turinglearn.environments.aggregation import AggregationSim  # noqa: E402
from turinglearn.errors import ConfigError  # noqa: E402
from turinglearn.families.neural import GradientTrainer, GRUClassifier, SwarmSetClassifier  # noqa: E402
from turinglearn.systems.swarm import SwarmSnapshotSystem, snapshots  # noqa: E402


def torch_judge(trainer, x):
    with torch.no_grad():
        return torch.sigmoid(trainer.module(torch.as_tensor(x, dtype=torch.float32))).numpy()


@pytest.mark.parametrize(
    "family, shape",
    [(GRUClassifier(n_inputs=2, n_hidden=6), (12, 30, 2)), (SwarmSetClassifier(5, 7), (12, 9, 5))],
)
def test_batched_numpy_judge_equals_the_torch_twin(family, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    trainers = [GradientTrainer(family, np.random.default_rng(s)) for s in range(3)]
    w = np.concatenate([t.ask() for t in trainers])  # [3, k]: judged in one batched pass
    out = family.judge(w, x)
    assert out.shape == (3, shape[0])
    for d, t in enumerate(trainers):
        np.testing.assert_allclose(out[d], torch_judge(t, x), atol=2e-6)


def test_swarm_classifier_is_invariant_to_the_robots_order():
    family = SwarmSetClassifier(n_inputs=4, n_hidden=8)
    trainer = GradientTrainer(family, np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=(6, 11, 4))  # [S, N robots, F]
    perm = np.random.default_rng(3).permutation(11)
    w = trainer.ask()
    np.testing.assert_allclose(family.judge(w, x[:, perm]), family.judge(w, x), atol=1e-6)
    np.testing.assert_allclose(torch_judge(trainer, x[:, perm]), torch_judge(trainer, x), atol=1e-6)
    changed = x.copy()
    changed[:, 0] += 1.0  # one robot moved: the judgement does change
    assert np.abs(family.judge(w, changed) - family.judge(w, x)).max() > 1e-4


def test_snapshots_permute_with_the_robots():
    sim = AggregationSim(n_agents=6, steps=20)
    run = sim.rollout(sim.swarm_params(np.tile(sim.truth, (3, 1))), np.random.default_rng(0), record=True)
    x = snapshots(run.pos, run.features, times=4)  # [B, N, 16]
    perm = np.random.default_rng(1).permutation(7)
    np.testing.assert_allclose(
        snapshots(run.pos[:, :, perm], run.features[:, perm], 4), x[:, perm], atol=1e-12
    )
    assert x.shape == (3, 7, 16)


def test_snapshot_system_labels_whole_swarms():
    system = SwarmSnapshotSystem(AggregationSim(n_agents=4, steps=10), trials_per_model=2)
    batch = system.samples(np.tile(system.truth, (3, 1)), np.random.default_rng(0))
    assert batch.x.shape == (12, 5, system.n_inputs)
    assert batch.genuine.sum() == 6 and list(batch.owner[:6]) == [0, 0, 1, 1, 2, 2]


def test_training_separates_genuine_from_counterfeit():
    family = GRUClassifier(n_inputs=2, n_hidden=6)
    trainer = GradientTrainer(family, np.random.default_rng(0), learning_rate=0.05, steps=40)
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.3, size=(40, 20, 2))
    genuine = np.arange(40) < 20
    x[genuine, :, 0] += 0.5
    before = family.judge(trainer.ask(), x)[0]
    trainer.train(x, genuine)
    after = family.judge(trainer.ask(), x)[0]
    accuracy = lambda p: ((p > 0.5) == genuine).mean()  # noqa: E731
    assert accuracy(after) >= 0.95 and accuracy(after) > accuracy(before)


def test_trainer_state_round_trips_through_a_checkpoint(tmp_path):
    family = GRUClassifier(n_inputs=2, n_hidden=4)
    rng = np.random.default_rng(0)
    x, genuine = rng.normal(size=(10, 8, 2)), np.arange(10) < 5
    a = GradientTrainer(family, np.random.default_rng(1))
    a.train(x, genuine)
    checkpoint.save(tmp_path, 1, {"d": a.state_dict()})
    b = GradientTrainer(family, np.random.default_rng(2))
    b.load_state_dict(checkpoint.load(checkpoint.checkpoints(tmp_path)[-1])["d"])
    a.train(x, genuine)
    b.train(x, genuine)  # Adam's moments came along: the same step
    np.testing.assert_array_equal(a.ask(), b.ask())


@pytest.mark.parametrize("kind", ["gru", "swarm"])
def test_learner_with_a_trained_discriminator_resumes_exactly(tmp_path, tiny, kind):
    cfg = load_config("aggregation", {**tiny, "discriminators.kind": kind, "learner.hall_of_fame_every": 1})
    a = build(cfg)
    for _ in range(3):
        last_a = a.step()
    b = build(cfg)
    b.step()
    state = b.state_dict()
    assert "adam" in state["discriminators"] and state["archive"]["rows"].shape[0] == 1
    checkpoint.save(tmp_path, 1, state)
    c = build(cfg)
    c.load_state_dict(checkpoint.load(checkpoint.checkpoints(tmp_path)[-1]))
    c.step()
    last_c = c.step()
    np.testing.assert_array_equal(last_a.models, last_c.models)
    np.testing.assert_array_equal(last_a.model_fitness, last_c.model_fitness)
    np.testing.assert_array_equal(last_a.discriminators, last_c.discriminators)
    # one classifier; the models' fitness is its (and the archive's) mean P(genuine), not a vote
    assert last_a.discriminators.shape[0] == 1
    assert len(np.unique(last_a.model_fitness)) > 2


def test_discriminator_kind_config_errors_are_one_line():
    with pytest.raises(
        ConfigError, match=r"^discriminators.kind: must be one of elman, features, quadratic-features, band-features, gru, swarm, got 'cnn'$"
    ):
        build(load_config("aggregation", {"discriminators.kind": "cnn"}))
    with pytest.raises(ConfigError, match=r"^discriminators.learning_rate: must be positive"):
        load_config("aggregation", {"discriminators.learning_rate": -1})
    with pytest.raises(ConfigError, match=r"^discriminators.train_steps: must be at least 1"):
        load_config("aggregation", {"discriminators.train_steps": 0})
    cfg = load_config("sensor-identification", {"discriminators.kind": "gru"})
    with pytest.raises(
        ConfigError,
        match=r"^discriminators.kind: 'gru' judges passive samples.*'elman', watch it passively .*recording",
    ):
        build(cfg)


#: the hybrid (evolved models against one gradient-trained GRU) on a reduced aggregation
HYBRID = {
    "environment.n_agents": 6,
    "discriminators.learning_rate": 0.02,
    "discriminators.train_steps": 3,
    "evaluation.c2st_trials": 0,
}


@pytest.mark.slow
def test_evolved_models_against_a_trained_gru_recover_aggregation():
    """The hybrid on a reduced aggregation (6 agents, 10 s trials, 30 models, 150 generations):
    every parameter of the population median within 0.05 of p*. Full runs: benchmarks/neural.py.
    The default run has the short version below."""
    import turinglearn

    over = {**HYBRID, "environment.steps": 100, "models.population": 30, "models.parents": 15}
    result = turinglearn.learn("aggregation-gru", seed=2, generations=150, overrides=over)
    assert result.abs_error.max() <= 0.05, result.inferred
    assert result.discriminators.shape[0] == 1


def test_evolved_models_against_a_trained_gru_close_in_on_aggregation():
    """The same hybrid, short (6 s trials, 20 models, 120 generations), on seeds 0-2: the
    median's error, averaged over the three runs, shrinks at least twofold, every run's shrinks,
    and one run ends with every parameter within 0.15 of p*. A single short run is not a claim:
    which seeds close in depends on the CPU's floating-point kernels (seeds 0 and 2 within 0.14
    under torch's AVX2 and AVX-512 kernels, seeds 1 and 2 under its scalar ones)."""
    import turinglearn

    over = {**HYBRID, "environment.steps": 60, "models.population": 20, "models.parents": 10}
    first, last, worst = [], [], []
    for seed in range(3):
        result = turinglearn.learn("aggregation-gru", seed=seed, generations=120, overrides=over)
        h = result.history
        err = np.abs(np.stack([h[f"{n}_median"] for n in result.names], 1) - result.truth)  # [G, 4]
        first.append(err[:10].mean())
        last.append(err[-20:].mean())
        worst.append(result.abs_error.max())
        assert result.discriminators.shape[0] == 1
    first, last = np.array(first), np.array(last)
    assert last.mean() < first.mean() / 2 and (last < first).all(), (first, last)
    assert min(worst) < 0.15, worst


def test_worker_processes_give_bit_identical_results_with_programs_and_a_trained_gru(tiny):
    """Samples for the trained classifier and GP program rows travel through spawned workers."""
    pytest.importorskip("deap")
    import turinglearn

    over = {
        **tiny,
        "generations": 2,
        "execution.chunk_size": 4,
        "models.kind": "gp",
        "discriminators.kind": "gru",
        "evaluation.c2st_trials": 10,  # the held-out C2ST of the program too
    }
    here = turinglearn.learn("aggregation", overrides=over)
    pool = turinglearn.learn(
        "aggregation", overrides={**over, "execution.backend": "processes", "execution.workers": 2}
    )
    np.testing.assert_array_equal(here.models, pool.models)
    np.testing.assert_array_equal(here.discriminators, pool.discriminators)
    np.testing.assert_array_equal(here.model_fitness, pool.model_fitness)
    assert here.extra["program"] == pool.extra["program"] and here.c2st == pool.c2st and here.c2st is not None


@pytest.mark.parametrize("source", ["recording", "live"])
def test_a_trained_judge_learns_a_watched_interactive_system(source, tmp_path):
    """An interactive system watched under its passive schedule, live or from a recording, can
    be judged by a GRU (interrogating takes Elman networks): the samples are passive trials, and
    after training the judge tells the truth's trials from those of a model far from it, in two
    of three trainings (one in three stalls near chance, which one depends on the CPU's kernels)."""
    from turinglearn.app.recording import record

    watch = {"environment.passive_period": 20, "learner.passive": True, "environment.steps": 60}
    small = {"models.population": 6, "models.parents": 3, "evaluation.c2st_trials": 0}
    if source == "recording":
        path = record(load_config("stimulus-response", watch), tmp_path / "sr.npz", trials=30, seed=0)
        small["data"] = str(path)
    cfg = load_config(
        "stimulus-response",
        {**watch, **small, "discriminators.kind": "gru", "discriminators.train_steps": 20,
         "learner.model_judges": "all", "learner.judge_fitness": "accuracy"},
    )
    far = np.array([0.6, 0.1, 0.9, 0.9])  # the same gain; rarely startled, fast, recovering soon
    told = []
    for stream in range(3):  # trained three times, on three streams of samples: a training can stall
        learner = build(cfg)
        g = learner.step()  # the whole loop: passive samples, judged, then taught
        assert g.model_fitness.shape == (6,) and g.discriminators.shape[0] == 1
        truth = np.asarray(learner.system.truth, float)
        rng = np.random.default_rng(stream)
        trainer = learner.discriminator_optimizer
        for _ in range(30):
            batch = learner.system.samples(np.repeat(far[None], 10, axis=0), rng)  # 40 trials a side
            trainer.train(batch.x, batch.genuine)
        fresh = learner.system.samples(np.stack([truth, far]), rng)
        p = learner.discriminator.judge(trainer.ask(), fresh.x)[0]  # [S] P(genuine)
        told.append(p[fresh.owner == 0].mean() - p[fresh.owner == 1].mean())
        if sum(t > 0.2 for t in told) == 2:  # two of three told apart: the third training is not needed
            break
    assert sum(t > 0.2 for t in told) == 2, told  # two of (at most) three


def test_a_watched_system_gives_each_models_trials_and_as_many_of_the_system():
    from turinglearn.app.build import make_simulator
    from turinglearn.core.contracts import PassiveSystem
    from turinglearn.systems.interactive import InteractiveSystem, WatchedSystem

    sim = make_simulator(load_config("stimulus-response"))
    assert not isinstance(InteractiveSystem(sim, 4, 1), PassiveSystem)  # judged inside its loop
    watched = WatchedSystem(sim, 4, 3)
    assert isinstance(watched, PassiveSystem) and watched.passive
    batch = watched.samples(np.zeros((2, 4)), np.random.default_rng(0))
    assert batch.x.shape[0] == 12 and batch.genuine.sum() == 6  # 3 trials a model, as many of the system
    assert list(batch.owner) == [-1] * 6 + [0, 0, 0, 1, 1, 1]
