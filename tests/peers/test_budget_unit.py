"""One unit for every budget from a recording: a simulated individual trajectory.

The simulator is wrapped to count the individuals it actually simulates. One generation of
Turing Learning (and of a metric baseline) from a recording must cost what
``simulations_per_generation`` charges ``stopping.max_simulations`` for it, and one simulated
set of a peer what ``PeerProblem.cost`` charges: so a budget of N trajectories buys each
learner N simulated individuals. numpy only (no sbi, pyABC or torch needed)."""

import numpy as np
import pytest

from turinglearn.app.build import build, make_simulator
from turinglearn.app.recording import record
from turinglearn.app.stopping import simulations_per_generation
from turinglearn.config import load_config
from turinglearn.peers.problem import PeerProblem

SWARM = (
    "aggregation",
    {
        "environment.n_agents": 3,
        "environment.n_replicas": 2,
        "environment.steps": 10,
        "learner.genuine_per_trial": 2,
    },
)
PASSIVE = ("stimulus-response", {"environment.steps": 10, "learner.passive": True})
SMALL = {
    "models.population": 6,
    "models.parents": 3,
    "discriminators.population": 4,
    "discriminators.parents": 2,
    "learner.trials_per_model": 2,
}


def _counting(monkeypatch, sim) -> list[int]:
    """Count the individuals ``sim`` simulates from now on: swarms x robots of every rollout
    (swarms), or the trials of every reset (interactive)."""
    count = [0]
    cls = type(sim)
    if hasattr(cls, "rollout"):
        real = cls.rollout

        def rollout(self, params, rng, **kw):
            count[0] += int(np.prod(np.shape(params)[:-1]))  # [swarms, robots, d]
            return real(self, params, rng, **kw)

        monkeypatch.setattr(cls, "rollout", rollout)
    else:
        real = cls.reset

        def reset(self, rng, shape):
            count[0] += int(np.prod(shape))
            return real(self, rng, shape)

        monkeypatch.setattr(cls, "reset", reset)
    return count


@pytest.mark.parametrize("task", [SWARM, PASSIVE], ids=["swarm", "interactive"])
@pytest.mark.parametrize("kind", ["turing", "metric-sse"])
@pytest.mark.parametrize("samples", ["replicas", "all"])  # judged robots; every one is simulated
def test_a_generation_from_a_recording_costs_what_the_budget_charges(
    task, kind, samples, tmp_path, monkeypatch
):
    preset, env = task
    if kind != "turing" and preset == PASSIVE[0]:
        pytest.skip("the metric baselines compare swarms' trajectories only")
    if samples == "all" and preset == PASSIVE[0]:
        pytest.skip("an interactive simulator's passive trial is one individual either way")
    rec = record(load_config(preset, env), tmp_path / "rec.npz", trials=2, seed=1)
    settings = {**env, **SMALL, "data": str(rec), "learner.kind": kind, "learner.recorded_samples": samples}
    config = load_config(preset, settings)
    sim = make_simulator(config)
    learner = build(config, simulator=sim)
    count = _counting(monkeypatch, sim)
    learner.step()
    assert count[0] > 0 and count[0] == simulations_per_generation(config, learner.system)


@pytest.mark.parametrize("task", [SWARM, PASSIVE], ids=["swarm", "interactive"])
def test_a_peer_set_costs_what_the_budget_charges_and_per_individual_as_much(task, tmp_path, monkeypatch):
    preset, env = task
    rec = record(load_config(preset, env), tmp_path / "rec.npz", trials=3, seed=1)
    config = load_config(preset, {**env, **SMALL, "data": str(rec)})
    sim = make_simulator(config)
    system = build(config, simulator=sim).system
    problem = PeerProblem.from_system(system, "abc-smc")
    count = _counting(monkeypatch, sim)
    problem.simulate(problem.prior(np.random.default_rng(0), 5), np.random.default_rng(1))
    assert count[0] == 5 * problem.cost
    # a set is the recording's individuals, each one trajectory of the simulator
    assert problem.cost == len(system.recording.x)
    # and a Turing Learning trial costs the same per individual it simulates
    per_trial = simulations_per_generation(config, system) / (6 * 2)  # models x trials
    assert per_trial == problem.robots
