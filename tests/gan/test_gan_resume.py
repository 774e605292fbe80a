"""A GAN run is driven like every other run: hooks receive Generation records, learn() returns a
LearnResult, and a run stopped by SIGINT, SIGTERM or kill -9 and continued with
``turinglearn resume`` ends with the very weights of an uninterrupted run (CPU, small)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import turinglearn
from turinglearn.app import checkpoint
from turinglearn.app.cli import main
from turinglearn.app.driver import run_experiment
from turinglearn.app.hooks import Interrupted
from turinglearn.app.runs import read_metrics
from turinglearn.config import load_config
from turinglearn.core.contracts import Generation

torch.set_num_threads(1)  # the subprocess runs with one thread too: the same kernels, the same bits

# two generators and two discriminators (pairing and selection are part of the state), tiny nets
SETTINGS = {
    "generations": 40,
    "learner.batch": 16,
    "learner.population": 2,
    "learner.select_every": 7,
    "models.latent": 16,
    "models.width": 8,
    "discriminators.width": 8,
    "evaluation.log_every": 5,
    "evaluation.grid_every": 20,
    "evaluation.samples": 200,
    "evaluation.classifier_epochs": 1,
    "execution.device": "cpu",
    "execution.checkpoint_every": 10,
}
TIMING = {"seconds", "images_per_second", "evaluation_seconds"}


def config():
    return load_config("gan-digits", SETTINGS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "ref"
    run_experiment(config(), out=out)
    return out


def signal_at(generation: int, signum: int):
    """A hook that sends this process ``signum`` once ``generation`` is done (as a batch
    system's time limit or Ctrl-C would, mid-run)."""

    def send(record):
        if record.generation == generation:
            os.kill(os.getpid(), signum)

    return send


def _flat(tree, prefix=""):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _flat(v, f"{prefix}{k}/")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _flat(v, f"{prefix}{i}/")
    else:
        yield prefix, tree


def assert_same_run(out: Path, ref: Path) -> None:
    """Bit-identical final weights and optimiser states, metrics and summary (timings aside)."""
    final = f"generation-{SETTINGS['generations']:06d}.npz"
    a = dict(_flat(checkpoint.load(out / "checkpoints" / final)["learner"]))
    b = dict(_flat(checkpoint.load(ref / "checkpoints" / final)["learner"]))
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k
    ma, mb = read_metrics(out), read_metrics(ref)
    assert ma.keys() == mb.keys()
    for k in ma.keys() - {"seconds"}:
        np.testing.assert_array_equal(ma[k], mb[k], err_msg=k)
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (out, ref))
    assert {k: v for k, v in sa.items() if k not in TIMING} == {
        k: v for k, v in sb.items() if k not in TIMING
    }
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


def test_hooks_receive_generations_and_learn_returns_a_learn_result():
    records = []
    result = turinglearn.learn(
        config().replace(generations=3, **{"evaluation.samples": 0}), hooks=[records.append]
    )
    assert isinstance(result, turinglearn.LearnResult)
    assert [r.generation for r in records] == [0, 1, 2] and all(isinstance(r, Generation) for r in records)
    assert records[-1].losses["d"].shape == (2,) and records[-1].model_fitness.shape == (2,)
    assert result.summary()["generations"] == 3 and result.history["generation"].tolist() == [2.0]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_checkpoints_the_current_generation_and_resume_ends_identically(tmp_path, reference, signum):
    out = tmp_path / "run"
    with pytest.raises(Interrupted) as stopped:
        run_experiment(config(), out=out, hooks=[signal_at(12, signum)], handle_signals=True)
    # 13 generations were done when the signal came; the run stops after the one under way
    assert stopped.value.signum == signum and stopped.value.generation == 14
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "interrupted" and status["generations_done"] == 14
    assert [p.name for p in checkpoint.checkpoints(out)] == ["generation-000010.npz", "generation-000014.npz"]
    assert not (out / "summary.json").exists()
    assert main(["resume", str(out), "--quiet"]) == 0
    assert_same_run(out, reference)


KILLED = """
import os, signal, sys
import torch
torch.set_num_threads(1)
from turinglearn.app.driver import run_experiment
from turinglearn.config import load_config

def die(record):
    if record.generation == 24:  # 25 done; the last periodic checkpoint holds 20
        os.kill(os.getpid(), signal.SIGKILL)

run_experiment(load_config("gan-digits", {settings!r}), out=sys.argv[1], hooks=[die])
"""


def test_killed_run_resumes_from_its_last_periodic_checkpoint(tmp_path, reference):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code = KILLED.format(settings=SETTINGS)
    done = subprocess.run([sys.executable, "-c", code, str(out)], env=env, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert checkpoint.checkpoints(out)[-1].name == "generation-000020.npz"
    assert len(read_metrics(out)["generation"]) == 5  # rows at 5, 10, ..., 25: the last one is redone
    assert main(["resume", str(out), "--quiet"]) == 0
    assert_same_run(out, reference)


def test_a_complete_gan_run_continued_ends_with_the_longer_runs_weights(tmp_path, reference):
    out = tmp_path / "run"
    run_experiment(config().replace(generations=20), out=out)  # 20: a metrics row there either way
    turinglearn.resume(out, generations=SETTINGS["generations"], log=lambda m: None)
    assert_same_run(out, reference)
    assert (out / "summary-20.json").is_file()
    # what the run computes cannot change; a GAN's refusal names no swarm settings (chunk_size, a restart's)
    with pytest.raises(turinglearn.ConfigError, match=r"models.lr: only execution and stopping settings can change when resuming$"):
        turinglearn.resume(out, generations=50, overrides={"models.lr": 0.001}, log=lambda m: None)


def test_turinglearn_sample_draws_the_generators_images(reference, tmp_path, capsys):
    """A newcomer had no command to draw images from a finished run: `turinglearn sample` draws
    them as load_generator's recipe does (docs/gan.md), the same for the same seed."""
    from turinglearn.app.sampling import sample_run
    from turinglearn.gan import load_generator

    g = load_generator(reference)
    z = torch.randn((40, g.latent), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want = torch.cat([g(chunk) for chunk in z.split(g.batch)]).numpy()  # 16, 16, 8
    got = sample_run(reference, 40, seed=3)["images"]
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(sample_run(reference, 40, seed=4)["images"], got)
    assert main(["sample", str(reference), "-n", "33", "--out", str(tmp_path / "grid.png")]) == 0  # a last batch of one
    assert capsys.readouterr().out == f"wrote {tmp_path / 'grid.png'}: 33 images [1, 8, 8] in [-1, 1]\n"
    assert main(["sample", str(reference), "-n", "4", "--out", str(tmp_path / "x.npy")]) == 0
    assert np.load(tmp_path / "x.npy").shape == (4, 1, 8, 8)
    assert main(["sample", str(reference), "--out", str(tmp_path / "x.npz")]) == 2
    assert "a GAN's samples are written as .png (a grid) or .npy" in capsys.readouterr().err


def test_report_of_a_read_only_gan_run_prints_its_summary(reference, capsys, monkeypatch):
    """A reviewer's read-only GAN run: 'cannot write fitness.png', and no summary."""
    import os as _os

    drawn = (reference / "fitness.png").stat().st_mtime_ns
    access = _os.access
    monkeypatch.setattr(_os, "access", lambda p, mode: False if Path(p) == reference else access(p, mode))
    assert main(["report", str(reference)]) == 0
    captured = capsys.readouterr()
    assert "is read-only: its plots are not redrawn" in captured.err and "frechet" in captured.out.lower()
    assert (reference / "fitness.png").stat().st_mtime_ns == drawn


def test_sweep_and_build_refuse_a_gan_in_one_line(tmp_path, capsys):
    """A newcomer's `turinglearn sweep gan-digits` and `turinglearn.build(gan config)` ended in
    AttributeErrors (and an empty sweep directory)."""
    assert main(["sweep", "gan-digits", "--seeds", "0-1", "--generations", "5", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gan-digits is a GAN: run its seeds one by one" in err
    assert not (tmp_path / "s").exists()
    with pytest.raises(turinglearn.ConfigError, match="build\\(\\) wires an evolutionary learner; a GAN's is"):
        turinglearn.build(config())


def test_a_frechet_distance_fitted_to_few_images_is_warned_of():
    """A newcomer's generator of grey noise read a Frechet ratio of 1.2 on 10 images."""
    from turinglearn.app.gan_run import GANExperiment
    from turinglearn.errors import TuringLearnWarning

    with pytest.warns(TuringLearnWarning, match=r"fits a Gaussian of 64 features to 100 images .* below about 128"):
        GANExperiment(config().replace(**{"evaluation.samples": 100}))
