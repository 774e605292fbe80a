"""The torch backend simulates and judges like the numpy one."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import turinglearn  # noqa: E402
from turinglearn.app.build import build  # noqa: E402
from turinglearn.config import load_config  # noqa: E402
from turinglearn.core.random import stream  # noqa: E402
from turinglearn.errors import ConfigError  # noqa: E402
from turinglearn.families.elman import ElmanNetwork  # noqa: E402


def test_torch_rollout_reproduces_the_numpy_simulator(tiny):
    from turinglearn.execution.torch_swarm import TorchAggregation

    cfg = load_config("aggregation", {**tiny, "environment.steps": 60, "environment.n_agents": 9})
    sim = build(cfg).system.sim
    rng = np.random.default_rng(5)
    theta = rng.uniform(-1, 1, (6, 4))
    theta[0] = sim.truth  # aggregating swarms: many collisions to resolve
    params = sim.swarm_params(theta)
    ref = sim.rollout(params, np.random.default_rng(1)).features
    got = TorchAggregation(sim, torch.device("cpu"), torch.float64).rollout(params, np.random.default_rng(1))
    np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("readout", ["last", "mean"])
def test_torch_elman_judges_like_numpy(readout):
    from turinglearn.execution.torch_swarm import TorchElman

    rng = np.random.default_rng(0)
    net = ElmanNetwork(readout=readout)
    w = rng.normal(size=(7, net.n_weights))
    x = rng.uniform(-1, 1, (11, 30, 2))
    ref = net.judge(w, x)
    got = TorchElman(device="cpu", readout=readout).judge(w, torch.as_tensor(x))
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_torch_run_recovers_like_the_numpy_run(tiny):
    """A whole generation loop on torch (CPU, float64) gives the numpy run's populations: the
    same placements, the same physics to rounding, the same judgements."""
    overrides = {**tiny, "generations": 4}
    here = turinglearn.learn("aggregation", overrides=overrides)
    on_torch = turinglearn.learn("aggregation", overrides={**overrides, "execution.array": "torch"})
    np.testing.assert_allclose(on_torch.models, here.models, atol=1e-9)
    np.testing.assert_array_equal(on_torch.model_fitness, here.model_fitness)


def test_torch_judges_take_extra_steps_on_device_samples_like_numpy(tiny):
    """learner.judge_steps on the torch backend: the generation's samples stay tensors and are
    judged again, giving the numpy run's judges."""
    overrides = {**tiny, "generations": 3, "learner.judge_steps": 2, "execution.chunk_size": 3}  # 4 chunks
    here = turinglearn.learn("aggregation", overrides=overrides)
    on_torch = turinglearn.learn("aggregation", overrides={**overrides, "execution.array": "torch"})
    np.testing.assert_allclose(on_torch.discriminators, here.discriminators, atol=1e-9)
    np.testing.assert_array_equal(on_torch.model_fitness, here.model_fitness)


def test_torch_metric_learner_and_stream_layout(tiny):
    cfg = load_config("aggregation", {**tiny, "learner.kind": "metric-sse", "execution.array": "torch"})
    learner = build(cfg)
    theta = learner.model_optimizer.ask()
    g, f = learner.system.trajectories(theta, stream(0, "simulation", 0))
    g2, f2 = build(cfg.replace(**{"execution.array": "numpy"})).system.trajectories(
        theta, stream(0, "simulation", 0)
    )
    np.testing.assert_allclose(f, f2, atol=1e-9)
    np.testing.assert_allclose(g, g2, atol=1e-9)


def test_torch_backend_errors_name_the_setting():
    with pytest.raises(
        ConfigError, match=r"execution.array: the torch backend simulates turinglearn/Aggregation-v0 only"
    ):
        build(load_config("object-clustering", {"execution.array": "torch"}))
    with pytest.raises(ConfigError, match=r"execution.device: 'cuda' asked for, but this torch has no CUDA"):
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
        build(load_config("aggregation", {"execution.array": "torch", "execution.device": "cuda"}))
    with pytest.raises(ConfigError, match=r"execution.device: device 'cuda' needs array = 'torch'"):
        load_config("aggregation", {"execution.device": "cuda"})
    with pytest.raises(ConfigError, match=r"execution.array: must be numpy or torch"):
        load_config("aggregation", {"execution.array": "jax"})


@pytest.mark.gpu
def test_cuda_rollout_matches_cpu_statistics(tiny):
    from turinglearn.execution.torch_swarm import TorchAggregation

    cfg = load_config("aggregation", tiny)
    sim = build(cfg).system.sim
    params = sim.swarm_params(np.tile(sim.truth, (64, 1)))
    cpu = TorchAggregation(sim, torch.device("cpu"), torch.float64).rollout(params, np.random.default_rng(0))
    gpu = TorchAggregation(sim, torch.device("cuda"), torch.float32).rollout(params, np.random.default_rng(0))
    assert abs(cpu.mean().item() - gpu.double().cpu().mean().item()) < 0.02


@pytest.mark.gpu
def test_cuda_judge_steps_run(tiny):
    """learner.judge_steps with samples on the GPU (torch.cat, not numpy, joins the chunks)."""
    result = turinglearn.learn(
        "aggregation",
        overrides={**tiny, "learner.judge_steps": 2, "execution.array": "torch", "execution.device": "cuda"},
    )
    assert result.discriminators.shape == (10, 46) and np.isfinite(result.model_fitness).all()
