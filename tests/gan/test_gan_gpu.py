"""The GAN backend's CUDA paths (``python -m pytest -m gpu tests/gan/test_gan_gpu.py``): the captured
step computes the eager update, bf16 and population mode run, the default mode is the captured one."""

import numpy as np
import pytest
import torch

from turinglearn.config.gan import gan_config_from_dict
from turinglearn.gan.data import load_images
from turinglearn.gan.train import GANLearner

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def config(**learner):
    return gan_config_from_dict(
        {
            "learner": {"kind": "gan", "batch": 32, **learner},
            "models": {"latent": 32, "width": 16},
            "discriminators": {"width": 16},
            "evaluation": {"samples": 0},
            "execution": {"device": "cuda"},
        }
    )


@pytest.fixture(scope="module")
def data():
    return load_images("digits", size=32)


def params(learner):
    return [p.detach().clone() for m in learner.G + learner.D for p in m.state_dict().values()]


@pytest.mark.parametrize("population, replay", [(1, 0), (3, 0), (3, 96)])
def test_captured_step_computes_the_eager_update(data, population, replay):
    torch.backends.cudnn.deterministic = True  # the comparison needs the same kernels both ways
    same = {"precision": "fp32", "population": population, "replay": replay}
    eager = GANLearner(data, config(compile="none", **same))
    graph = GANLearner(data, config(compile="cudagraph", **same))
    assert graph.mode == "cudagraph"
    for _ in range(8):  # 3 warm-up steps, then captures and replays
        inputs = eager.sample_inputs()
        s_eager, s_graph = eager.train_step(*inputs), graph.train_step(*inputs)
        torch.testing.assert_close(s_graph, s_eager, rtol=1e-3, atol=1e-4)
    assert graph._graphs
    for p, q in zip(params(eager), params(graph), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-3, atol=1e-4)
    if replay:  # the captured step read and wrote the buffer as the eager one did
        torch.testing.assert_close(graph.replay.images, eager.replay.images, rtol=1e-3, atol=1e-4)


def test_default_is_captured_bf16_and_selection_keeps_graphs_valid(data):
    learner = GANLearner(data, config(population=2, select_every=5))
    assert learner.mode == "cudagraph" and learner.bf16
    assert learner.opt_g[0].param_groups[0]["fused"]
    learner.run(12)
    assert learner.last_selection is not None
    assert all(torch.isfinite(p).all() for m in learner.G + learner.D for p in m.parameters())
    assert learner.generate(8, 0).shape == (8, 1, 32, 32)


def test_compiled_cuda_step(data):
    learner = GANLearner(data, config(compile="compile"))
    record = learner.run(4)
    assert np.isfinite(record.losses["d"]).all() and np.isfinite(record.losses["g"]).all()
