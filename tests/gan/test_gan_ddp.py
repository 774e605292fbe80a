"""Multi-process GAN training with torchrun: DistributedDataParallel over gloo, two CPU processes."""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("torch")


def _torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


def test_torchrun_two_processes_train_one_gan(tmp_path):
    out = tmp_path / "run"
    cmd = [
        *_torchrun(),
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "turinglearn",
        "run",
        "gan-digits",
        "--device",
        "cpu",
        "--set",
        "generations=6",
        "--set",
        "evaluation.samples=0",
        "--set",
        "evaluation.grid_every=0",
        "--out",
        str(out),
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2
    # each process drew its own batches, yet DDP's averaged gradients kept the weights identical
    assert summary["replicas_in_sync"] is True
    assert summary["images_per_second"] > 0
    assert (out / "checkpoints" / "generation-000006.npz").is_file()


def test_population_mode_is_refused_under_torchrun(monkeypatch):
    from turinglearn.errors import ConfigError
    from turinglearn.gan.parallel import Distributed

    monkeypatch.setattr(Distributed, "from_env", classmethod(lambda cls: Distributed(0, 2, 0)))
    monkeypatch.setattr("turinglearn.gan.train.init_distributed", lambda device: Distributed(0, 2, 0))
    from turinglearn.app.gan_run import load_data
    from turinglearn.config import load_config
    from turinglearn.gan.train import GANLearner

    cfg = load_config("gan-digits", {"learner.population": 2, "execution.device": "cpu"})
    with pytest.raises(ConfigError, match=r"learner.population: population mode runs in one process"):
        GANLearner(load_data(cfg), cfg)
