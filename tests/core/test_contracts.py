"""Every built-in class satisfies the contract it implements (runtime Protocol checks), and the
contracts' own descriptions are what the checkers report."""

import numpy as np
import pytest

from turinglearn.app.build import build_system, make_simulator
from turinglearn.app.recording import record
from turinglearn.config import Config, EnvironmentConfig, load_config
from turinglearn.core import contracts as c
from turinglearn.core.optimizers import ESConfig, SelfAdaptiveES
from turinglearn.execution.backends import InProcess, Processes
from turinglearn.families.elman import ElmanNetwork
from turinglearn.families.parametric import BoxFamily, ReactiveController
from turinglearn.families.policies import GRUPolicy, MLPPolicy, PolicySwarm

SIMULATORS = {
    "turinglearn/Aggregation-v0": c.SwarmSimulator,
    "turinglearn/ObjectClustering-v0": c.SwarmSimulator,
    "turinglearn/HiddenSwitching-v0": c.SwarmSimulator,
    "turinglearn/StimulusResponse-v0": c.InteractiveSimulator,
    "turinglearn/SensorIdentification-v0": c.InteractiveSimulator,
    "turinglearn/PendulumPD-v0": c.InteractiveSimulator,
    "turinglearn/CartPoleLinear-v0": c.InteractiveSimulator,
}


@pytest.mark.parametrize("env_id", sorted(SIMULATORS))
def test_builtin_simulators_fit_their_contract(env_id):
    sim = make_simulator(Config(environment=EnvironmentConfig(env_id)))
    contract = SIMULATORS[env_id]
    assert isinstance(sim, contract)
    assert c.is_interactive(sim) == (contract is c.InteractiveSimulator)
    assert isinstance(sim.model_family, c.ModelFamily)


def test_model_families_and_policies():
    for family in (ReactiveController(n_states=2), BoxFamily(("a", "b"), (0, 0), (1, 1))):
        assert isinstance(family, c.ModelFamily) and not isinstance(family, c.PolicyFamily)
    for policy in (MLPPolicy(2), GRUPolicy(2)):
        assert isinstance(policy, c.PolicyFamily)
        assert isinstance(policy.start(np.zeros((3, policy.n_params))), c.PolicyRun)
    sim = make_simulator(load_config("aggregation"))
    wrapped = PolicySwarm(sim, MLPPolicy(2))
    assert isinstance(wrapped, c.SwarmSimulator)
    assert isinstance(make_simulator(load_config("object-clustering")), c.BehaviourMetrics)


def test_gp_programs_are_a_policy_family_that_renders():
    pytest.importorskip("deap")
    from turinglearn.families.gp import GPFamily, GPOptimizer

    family = GPFamily(2)
    assert isinstance(family, c.PolicyFamily) and isinstance(family, c.Renders)
    assert isinstance(GPOptimizer(family, 6, 3, np.random.default_rng(0)), c.Optimizer)


def test_discriminators_and_optimizers():
    elman = ElmanNetwork(n_inputs=2, n_hidden=5, n_outputs=2)
    assert isinstance(elman, c.Interrogator)
    es = SelfAdaptiveES(4, ESConfig(), np.random.default_rng(0))
    assert isinstance(es, c.Optimizer) and not isinstance(es, c.SampleTrainer)
    pytest.importorskip("torch")
    from turinglearn.families.neural import GradientTrainer, GRUClassifier, SwarmSetClassifier

    for disc in (GRUClassifier(n_inputs=2, n_hidden=3), SwarmSetClassifier(n_inputs=8, n_hidden=3)):
        assert isinstance(disc, c.DiscriminatorFamily) and not isinstance(disc, c.Interrogator)
    trainer = GradientTrainer(GRUClassifier(n_inputs=2, n_hidden=3), np.random.default_rng(0))
    assert isinstance(trainer, c.SampleTrainer)


@pytest.mark.parametrize(
    ("preset", "overrides", "passive"),
    [
        ("aggregation", {}, True),
        ("aggregation", {"discriminators.kind": "swarm"}, True),
        ("stimulus-response", {}, False),
        ("stimulus-response", {"learner.passive": True}, True),
        ("pendulum-pd", {}, False),
    ],
)
def test_builtin_systems_fit_the_system_contract(preset, overrides, passive):
    if overrides:
        pytest.importorskip("torch")
    system, discriminator = build_system(load_config(preset, overrides))
    assert isinstance(system, c.System)
    assert isinstance(system, c.PassiveSystem) == passive
    assert isinstance(discriminator, c.DiscriminatorFamily)


def test_recorded_and_torch_systems_fit_the_system_contract(tmp_path):
    path = record(load_config("aggregation", {"environment.steps": 20}), tmp_path / "r.npz", trials=2)
    system, _ = build_system(load_config("aggregation", {"environment.steps": 20, "data": str(path)}))
    assert isinstance(system, c.PassiveSystem)
    pytest.importorskip("torch")
    system, judge = build_system(load_config("aggregation", {"execution.array": "torch"}))
    assert isinstance(system, c.PassiveSystem) and isinstance(judge, c.DiscriminatorFamily)


def test_backends_fit_the_backend_contract():
    assert isinstance(InProcess(), c.Backend)
    pool = Processes(workers=1)
    try:
        assert isinstance(pool, c.Backend) and not pool.local
    finally:
        pool.close()


def test_members_read_the_contract_itself():
    attrs, methods = c.members(c.Interrogator)
    # inherited from DiscriminatorFamily, then its own
    assert list(attrs) == ["n_weights", "n_inputs", "n_outputs", "n_hidden", "dtype"]
    assert list(methods) == ["judge", "unpack", "hidden_step", "output"]
    assert methods["hidden_step"].startswith("(net, x, h): x: [D, S, F]")
    assert "robots per swarm that run the model" in c.members(c.SwarmConfig)[0]["n_replicas"]


def test_a_swarm_without_stimulus_space_is_still_a_swarm():
    class MySwarm:  # a user's simulator need not declare stimulus_space = None
        pass

    class MyAgent:
        stimulus_space = object()

    assert not c.is_interactive(MySwarm()) and c.is_interactive(MyAgent())
    assert c.feature_space(MySwarm()) is None
