"""Which simulated robots are counterfeit samples when learning a swarm from a recording
(``learner.recorded_samples``).

From a recording a swarm environment simulates swarms made only of the model, every robot of
them charged to the budget. ``replicas`` judges only the ``n_replicas`` robots a live swarm
would give the model; ``all`` judges every robot, each a sample owned by its model, and a
model's fitness averages over all of them. A stub simulator writes each robot's model and
index into its trajectory, so the tests can see which robot became which sample."""

from types import SimpleNamespace

import numpy as np
import pytest

from turinglearn.core.fitness import judgements, model_fitness
from turinglearn.systems.recorded import RecordedSystem, Recording

AGENTS, REPLICAS, STEPS = 3, 2, 4
ROBOTS = AGENTS + REPLICAS


class TaggingSwarm:
    """A swarm whose robot ``n`` of swarm ``b`` records (its parameter row's first value, n)
    at every step: features [B, N, T, 2]."""

    feature_names = ("model", "robot")
    model_family = SimpleNamespace(n_params=1, names=("p",))
    truth = np.array([-1.0])
    config = SimpleNamespace(n_agents=AGENTS, n_replicas=REPLICAS, steps=STEPS)

    def rollout(self, params, rng, record=False):
        b, n, _ = params.shape
        model = np.broadcast_to(params[:, :, :1, None], (b, n, STEPS, 1))
        robot = np.broadcast_to(np.arange(n, dtype=float)[None, :, None, None], (b, n, STEPS, 1))
        return SimpleNamespace(features=np.concatenate([model, robot], axis=-1))


class RobotBelowModel:
    """One judge: 'genuine' when the robot's index is below its model's value, so a model's
    fitness is the share of its judged robots with an index below it."""

    n_inputs, n_weights = 2, 1

    def judge(self, w, x):
        return (x[:, 0, 1] < x[:, 0, 0]).astype(float)[None].repeat(len(w), axis=0)


def _system(recorded_samples: str, trials: int = 2) -> RecordedSystem:
    # a recording whose individuals carry model -1, robot -1: told apart from any counterfeit
    rec = Recording(np.full((7, STEPS, 2), -1.0), np.arange(7), TaggingSwarm.feature_names, None)
    return RecordedSystem(TaggingSwarm(), rec, trials, genuine_per_trial=3, recorded_samples=recorded_samples)


THETA = np.array([[0.5], [2.5], [4.5], [9.0]])  # model m: robots below it are judged genuine


@pytest.mark.parametrize("trials", [1, 3])
def test_every_robot_of_a_recorded_swarm_is_a_counterfeit_sample_of_its_model(trials):
    batch = _system("all", trials).samples(THETA, np.random.default_rng(0))
    fake = ~batch.genuine
    # every robot of every trial of every model, owned by the model it ran
    assert fake.sum() == len(THETA) * trials * ROBOTS
    np.testing.assert_array_equal(batch.x[fake, 0, 0], THETA[batch.owner[fake], 0])
    for m in range(len(THETA)):
        robots = batch.x[fake & (batch.owner == m), 0, 1]
        np.testing.assert_array_equal(np.sort(robots), np.repeat(np.arange(ROBOTS), trials))
    # the genuine side is drawn as before: genuine_per_trial recorded individuals per model trial
    assert batch.genuine.sum() == len(THETA) * trials * 3
    assert (batch.owner[batch.genuine] == -1).all() and (batch.x[batch.genuine] == -1).all()


def test_replicas_keeps_only_the_replica_robots():
    batch = _system("replicas").samples(THETA, np.random.default_rng(0))
    fake = ~batch.genuine
    assert fake.sum() == len(THETA) * 2 * REPLICAS
    assert set(batch.x[fake, 0, 1]) == set(range(AGENTS, ROBOTS))


@pytest.mark.parametrize(
    "recorded_samples, judged",
    [("all", np.arange(ROBOTS)), ("replicas", np.arange(AGENTS, ROBOTS))],
)
def test_a_models_fitness_averages_over_every_judged_robot(recorded_samples, judged):
    system = _system(recorded_samples)
    ev = system.evaluate(THETA, RobotBelowModel(), np.zeros((3, 1)), np.random.default_rng(1))
    fitness = model_fitness(judgements(ev.outputs), ev.owner, len(THETA))
    expected = [(judged < m).mean() for m in THETA[:, 0]]  # e.g. 'all': 1/5, 3/5, 5/5, 5/5
    np.testing.assert_allclose(fitness, expected)


def test_trajectories_give_the_same_robots_as_the_samples():
    """The held-out test, C2ST and the metric baselines see what the discriminators judge."""
    for setting, robots in (("all", ROBOTS), ("replicas", REPLICAS)):
        genuine, fake = _system(setting).trajectories(THETA, np.random.default_rng(0), trials=3)
        assert fake.shape == (len(THETA), 3, robots, STEPS, 2)
        assert genuine.shape == (len(THETA), 3, 3, STEPS, 2)


def test_unknown_setting_is_refused():
    from turinglearn.config import load_config
    from turinglearn.errors import ConfigError

    with pytest.raises(ConfigError, match=r"learner\.recorded_samples: must be one of replicas, all"):
        load_config("aggregation", {"learner.recorded_samples": "everyone"})
    with pytest.raises(ValueError, match="recorded_samples must be one of"):
        _system("agents")


def test_the_setting_reaches_the_recorded_system(tmp_path):
    """Through the config: a small aggregation run from a recording judges every robot."""
    import turinglearn
    from turinglearn.app.recording import record
    from turinglearn.config import load_config

    env = {"environment.n_agents": 3, "environment.n_replicas": 2, "environment.steps": 10}
    small = {"models.population": 4, "models.parents": 2, "learner.genuine_per_trial": 2}
    path = record(load_config("aggregation", {**env, **small}), tmp_path / "rec.npz", trials=2, seed=1)
    for setting, robots in (("all", 5), ("replicas", 2)):
        cfg = load_config(
            "aggregation", {**env, **small, "data": str(path), "learner.recorded_samples": setting}
        )
        system = turinglearn.build(cfg).system
        assert system.recorded_samples == setting
        batch = system.samples(np.zeros((4, 4)), np.random.default_rng(0))
        assert (~batch.genuine).sum() == 4 * robots and batch.genuine.sum() == 4 * 2
