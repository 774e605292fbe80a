"""Neural policies as models: batched numpy equals torch per model; swarm integration; config."""

import subprocess
import sys

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.environments.aggregation import AggregationSim
from turinglearn.errors import ConfigError
from turinglearn.families.policies import GRUPolicy, MLPPolicy, PolicySwarm


def test_batched_mlp_policy_equals_torch_per_model():
    torch = pytest.importorskip("torch")
    family = MLPPolicy(n_states=3, hidden=5)
    rng = np.random.default_rng(0)
    theta = rng.uniform(-3, 3, (6, family.n_params))
    sensor = rng.integers(0, 3, (6, 4))  # [B swarms, R replicas]
    wheels = family.start(theta).act(sensor)  # [B, R, 2]
    for b in range(6):
        net = family.torch_module(theta[b])
        x = torch.nn.functional.one_hot(torch.as_tensor(sensor[b]), 3).double()
        np.testing.assert_allclose(wheels[b], net(x).detach().numpy(), rtol=1e-12, atol=1e-12)
    assert wheels.min() >= -1 and wheels.max() <= 1 and (np.abs(wheels) == 1).any()  # clipped, reached


def test_batched_gru_policy_equals_torch_per_model_over_time():
    torch = pytest.importorskip("torch")
    family = GRUPolicy(hidden=3)
    rng = np.random.default_rng(1)
    theta = rng.uniform(-3, 3, (4, family.n_params))
    sensors = rng.integers(0, 2, (12, 4, 2))  # [T, B, R]
    run = family.start(theta)
    wheels = np.stack([run.act(s) for s in sensors])  # [T, B, R, 2]
    for b in range(4):
        cell, head = family.torch_modules(theta[b])
        h = torch.zeros(2, 3, dtype=torch.float64)
        for t in range(12):
            h = cell(torch.nn.functional.one_hot(torch.as_tensor(sensors[t, b]), 2).double(), h)
            np.testing.assert_allclose(wheels[t, b], head(h).detach().numpy(), rtol=1e-10, atol=1e-12)
    # memory: the same reading gives different wheels at different times
    assert not np.allclose(wheels[0], wheels[-1])


def test_reported_controller_is_the_policys_response_to_each_sensor_state():
    family = MLPPolicy()
    theta = np.random.default_rng(2).uniform(-3, 3, (5, family.n_params))
    table = family.report(theta).reshape(5, 2, 2)  # [M, state, wheel]
    for s in (0, 1):
        np.testing.assert_allclose(table[:, s], family.start(theta).act(np.full((5, 1), s))[:, 0], atol=1e-12)


def test_policy_replicas_move_as_the_reactive_controller_they_amount_to():
    """An MLP replica and a reactive replica with its effective controller share one trial."""
    sim = AggregationSim(n_agents=5, steps=40)
    family = MLPPolicy()
    theta = np.random.default_rng(3).uniform(-3, 3, (4, family.n_params))
    a = PolicySwarm(sim, family).rollout(theta, np.random.default_rng(9)).features
    b = sim.rollout(sim.swarm_params(family.report(theta)), np.random.default_rng(9)).features
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_mlp_run_is_deterministic_and_reports_the_effective_controller(tiny):
    over = {**tiny, "models.kind": "mlp"}
    a = turinglearn.learn("aggregation", seed=1, overrides=over)
    b = turinglearn.learn("aggregation", seed=1, overrides=over)
    np.testing.assert_array_equal(a.models, b.models)
    assert a.models.shape == (10, MLPPolicy().n_params)
    assert a.names == ("v_l0", "v_r0", "v_l1", "v_r1") and len(a.inferred) == 4
    assert np.all(np.abs(a.inferred) <= 1) and a.abs_error is not None
    assert set(a.history) >= {"v_l0_median", "v_r1_q75"}


def test_model_kind_config_errors_are_one_line():
    with pytest.raises(ConfigError, match=r"^models.kind: must be one of reactive, mlp, gru, gp, got 'cnn'$"):
        build(load_config("aggregation", {"models.kind": "cnn"}))
    with pytest.raises(ConfigError, match=r"^models.hidden: must be at least 1"):
        load_config("aggregation", {"models.hidden": 0})
    with pytest.raises(ConfigError, match=r"^models.weight_bound: must be positive"):
        load_config("aggregation", {"models.weight_bound": 0})
    cfg = load_config("stimulus-response", {"models.kind": "mlp"})
    with pytest.raises(
        ConfigError, match=r"^models.kind: 'mlp' runs a policy .*Use models.kind = 'reactive'$"
    ):
        build(cfg)


def test_importing_turinglearn_loads_neither_torch_nor_deap():
    code = (
        "import sys, turinglearn; from turinglearn.families import policies, gp, neural; from turinglearn.app import driver; "
        "print('torch' in sys.modules, 'deap' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize(
    "preset, key, value, uses",
    [
        ("aggregation", "models.hidden", 8, "mlp and gru policies"),
        ("aggregation-mlp", "models.max_nodes", 30, "gp programs"),
        ("aggregation-gp", "models.sigma_init", 0.4, "the ES's parameter vectors"),
    ],
)
def test_a_model_setting_its_kind_does_not_read_is_refused(preset, key, value, uses):
    """A newcomer's models.hidden with reactive models, max_nodes with mlp and sigma_init with gp
    were accepted and changed nothing."""
    with pytest.raises(ConfigError, match=rf"^{key}: {value} changes nothing for models.kind = .*: it is for {uses}"):
        load_config(preset, {key: value})
    load_config(preset)  # as shipped: every setting read
    # a run's own config.toml, maybe written before the refusal, is read as written (resume, report)
    assert vars(load_config(preset, {key: value}, strict=False).models)[key.split(".")[1]] == value
