"""A GAN's convergence rule (stopping.converge): it stops when the image metric, metrics.csv's
frechet_distance, measured at every metrics row, stops improving; tiny CPU runs on 256 of the
digits saved without their labels (the metric's features are then an untrained network's: no
classifier to train); resume honours the rule."""

import json

import numpy as np
import pytest

from turinglearn.app.runs import read_metrics
from turinglearn.app.stopping import IMAGE_METRIC
from turinglearn.config import load_config
from turinglearn.errors import ConfigError

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny networks: one thread is the fastest on a busy machine

GAN = {
    "generations": 12,
    "learner.batch": 16,
    "models.latent": 16,
    "models.width": 8,
    "discriminators.width": 8,
    "evaluation.log_every": 2,
    "evaluation.grid_every": 0,
    "evaluation.samples": 64,
    "evaluation.classifier_epochs": 1,
    "execution.device": "cpu",
    "execution.checkpoint_every": 4,
}


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """256 digits as a .npy file (floats in [0, 1], no labels)."""
    from sklearn.datasets import load_digits

    path = tmp_path_factory.mktemp("data") / "digits.npy"
    np.save(path, load_digits().images[:256] / 16.0)
    return str(path)


def plain(data, overrides=None):
    return load_config("gan-digits", {**GAN, "data": data, **(overrides or {})})


def converging(data, overrides=None, **stopping):
    """The tiny GAN config with ``stopping.converge`` and ``stopping``'s settings."""
    settings = {"stopping.converge": True, **{f"stopping.{k}": v for k, v in stopping.items()}}
    return plain(data, {**(overrides or {}), **settings})


def test_the_image_metric_stalling_stops_the_run_as_complete(tmp_path, digits):
    from turinglearn.app.driver import run_experiment

    out = tmp_path / "gan"
    # any change counts as stalled: the rule fires at the first row with more than 2 before it
    result = run_experiment(converging(digits, patience=2, tolerance=10.0), out=out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"] == {"rule": "converge", "generation": 6}  # rows at 2, 4, 6
    assert summary["generations"] == 6
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    metrics = read_metrics(out)
    assert list(metrics["generation"]) == [1, 3, 5]  # metrics.csv counts from 0
    assert np.all(np.isfinite(metrics[IMAGE_METRIC])) and np.all(metrics[IMAGE_METRIC] > 0)
    assert (out / "samples" / "generation-000006.png").is_file()  # named by the generations done
    assert result.summary()["frechet_distance"] > 0  # the final evaluation still runs


def test_measuring_the_metric_leaves_the_training_as_it_was(tmp_path, digits):
    from turinglearn.app.driver import run_experiment

    unmeasured = run_experiment(plain(digits, {"generations": 6}), out=tmp_path / "plain")
    measured = run_experiment(converging(digits, {"generations": 6}, patience=50), out=tmp_path / "measured")
    assert "stopped" not in measured.summary()  # the rule never had enough rows
    a, b = read_metrics(tmp_path / "plain"), read_metrics(tmp_path / "measured")
    assert IMAGE_METRIC not in a and IMAGE_METRIC in b  # measured only for the rule
    for k in ("loss_d", "loss_g", "model_fitness_mean", "discriminator_fitness_mean"):
        np.testing.assert_array_equal(a[k], b[k])
    # the final evaluation, in the features the rows used, is the plain run's
    for k in ("frechet_distance", "frechet_distance_real", "c2st"):
        assert unmeasured.summary()[k] == measured.summary()[k]


def test_the_metric_follows_the_generator(digits):
    """A generator that is the real data's shuffle scores near the real halves' own distance,
    and far below one that makes noise."""
    from turinglearn.app.gan_run import GANExperiment

    exp = GANExperiment(converging(digits, {"evaluation.samples": 100}, patience=2))
    real = exp.learner.data
    rng = torch.Generator().manual_seed(0)
    noise = lambda n, g: torch.rand((n, *real.shape[1:]), generator=rng) * 2 - 1  # noqa: E731
    copies = lambda n, g: real[torch.randperm(len(real), generator=rng)[:n]]  # noqa: E731
    exp.learner.generate = noise
    bad = exp.measure()
    exp.learner.generate = copies
    good = exp.measure()
    assert good < bad / 5


def test_converge_needs_the_image_metric(digits):
    from turinglearn.app.gan_run import GANExperiment

    with pytest.raises(ConfigError, match=r"stopping\.converge: .*evaluation\.samples above 0"):
        GANExperiment(converging(digits, {"evaluation.samples": 0}))


@pytest.mark.parametrize("key, value", [("window", 5), ("restart_at", 0.3), ("restart_when", "settled")])
def test_stopping_settings_a_gan_does_not_read_are_refused(key, value):
    """A GAN's convergence rule reads its image metric's rows; stopping.window was accepted and
    changed nothing, as were the restart's settings but restart_above."""
    from turinglearn.config import load_config

    with pytest.raises(ConfigError, match=rf"stopping\.{key}: a GAN does not use it: .*; leave it out"):
        load_config("gan-digits", {f"stopping.{key}": value})
    assert vars(load_config("gan-digits", {f"stopping.{key}": value}, strict=False).stopping)[key] == value  # an older run's


def test_a_history_without_the_metric_cannot_converge_on_it(digits):
    """Metrics rows that lack the metric (a run that did not measure it, its rows not padded
    for the column): one line saying so; padded rows (NaN) count as unmeasured."""
    from types import SimpleNamespace

    from turinglearn.app.driver import _stopper

    config = converging(digits)
    exp = SimpleNamespace(config=config, learner=SimpleNamespace(generation=4), generations=12,
                          distributed=False, lead=True, converge_after=0, end_seconds=lambda: 0.0, started=None)  # fmt: skip
    history = {"generation": [1.0, 3.0], IMAGE_METRIC: []}  # rows from before, none measured
    with pytest.raises(ConfigError, match=r"stopping\.converge: this GAN run was started without it"):
        _stopper(exp, history)
    history[IMAGE_METRIC] = [np.nan, np.nan]  # as resume pads a column the checkpoint lacks
    assert _stopper(exp, history).metric == IMAGE_METRIC


def test_a_resumed_run_keeps_measuring_its_metric_without_converge(tmp_path, digits):
    """Resuming without converge a run that measured the metric: its metrics.csv keeps the column."""
    from turinglearn.app import checkpoint
    from turinglearn.app.driver import run_experiment
    from turinglearn.app.gan_run import GANExperiment

    out = tmp_path / "gan"
    run_experiment(converging(digits, {"generations": 4}, patience=50), out=out)
    _, state = checkpoint.latest(out)
    exp = GANExperiment(plain(digits, {"generations": 8}))
    assert IMAGE_METRIC not in exp.columns
    exp.load_state_dict(state)
    assert IMAGE_METRIC in exp.columns


def test_resume_stops_by_the_image_metric_where_the_uninterrupted_run_does(tmp_path, digits, monkeypatch):
    import itertools

    from turinglearn.app.driver import resume, run_experiment
    from turinglearn.app.stopping import Stopper

    rule = {"patience": 2, "tolerance": 10.0}  # fires at the third row: generation 6
    whole = run_experiment(converging(digits, **rule), out=tmp_path / "whole")
    assert whole.summary()["stopped"] == {"rule": "converge", "generation": 6}
    ticks = itertools.count()
    monkeypatch.setattr(Stopper, "clock", staticmethod(lambda: float(next(ticks))))
    out = tmp_path / "run"
    # one second a generation, 2 s kept for the end: a budget of 6.5 s stops after 4
    budget = {"stopping.max_time": 6.5, "execution.checkpoint_every": 1}
    run_experiment(converging(digits, budget, **rule), out=out)
    assert json.loads((out / "run.json").read_text())["stopped"] == {"rule": "max_time", "generation": 3}  # a tick of setup counted
    result = resume(out, overrides={"stopping.max_time": 0}, log=lambda m: None)  # the rows before count
    assert result.summary()["stopped"] == {"rule": "converge", "generation": 6}
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    a, b = read_metrics(out), read_metrics(tmp_path / "whole")
    for k in ("loss_d", "loss_g", IMAGE_METRIC):
        np.testing.assert_array_equal(a[k], b[k])


def test_converge_can_be_turned_on_when_resuming(tmp_path, digits, monkeypatch):
    """A GAN run started without converge, resumed with it: it measures from then on (the rows
    before are NaN) and the rule counts only the measured rows."""
    import itertools

    from turinglearn.app.driver import resume, run_experiment
    from turinglearn.app.stopping import Stopper

    ticks = itertools.count()
    monkeypatch.setattr(Stopper, "clock", staticmethod(lambda: float(next(ticks))))
    out = tmp_path / "run"
    run_experiment(plain(digits, {"stopping.max_time": 7.5, "execution.checkpoint_every": 1}), out=out)
    assert json.loads((out / "run.json").read_text())["stopped"]["generation"] == 4  # 7.5 s: a tick of setup, 4 of generations, 2 kept
    settings = {"stopping.converge": True, "stopping.patience": 2, "stopping.tolerance": 10.0}
    result = resume(out, overrides={**settings, "stopping.max_time": 0}, log=lambda m: None)
    # measured at 6, 8 and 10: the third measured row is the first with more than 2 before it
    assert result.summary()["stopped"] == {"rule": "converge", "generation": 10}
    measured = read_metrics(out)[IMAGE_METRIC]
    assert np.isnan(measured[:2]).all() and np.isfinite(measured[2:]).all() and len(measured) == 5
