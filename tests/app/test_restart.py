"""Restarts (stopping.restart_above): a run whose estimate the held-out test tells from the system
half-way starts both populations afresh; otherwise it is the same run."""

import json

import numpy as np
import pytest

import turinglearn
from turinglearn.app.driver import resume
from turinglearn.app.restart import Restart
from turinglearn.config import load_config
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError


def populations_at(generation: int, kept: dict):
    """A hook that keeps the models and discriminators evaluated at ``generation``."""

    def keep(record):
        if record.generation == generation:
            kept["models"], kept["judges"] = record.models.copy(), record.discriminators.copy()

    return keep


@pytest.fixture
def tiny(tiny):
    """A restart judges the panel's estimate: the aggregation preset's own is the window's."""
    return {**tiny, "evaluation.estimate": "panel"}


@pytest.fixture
def settings(tiny):
    # 10 generations, the check after 5 (restart_at 0.5); the estimate is then far from the truth
    return {**tiny, "generations": 10, "evaluation.panel_every": 2, "stopping.restart_above": 0.6}


def test_the_hook_checks_once_at_its_generation_and_renews_only_above():
    judged, renewed = [], []
    hook = Restart(
        4, 0.9, judge=lambda r: judged.append(r.generation) or 0.95, renew=lambda: renewed.append(1)
    )
    for g in range(8):
        hook(type("R", (), {"generation": g})())
    assert judged == [3] and renewed == [1]  # after 4 generations, once
    assert hook.check == {"generation": 4, "accuracy": 0.95, "above": 0.9, "restarted": True}
    calm = Restart(4, 0.96, judge=lambda r: 0.95, renew=lambda: renewed.append(2))
    calm(type("R", (), {"generation": 3})())
    assert renewed == [1] and calm.check["restarted"] is False  # 0.95 is not above 0.96
    back = Restart(4, 0.96, judge=None, renew=None)
    back.load_state_dict(calm.state_dict())
    assert back.check == calm.check


def test_a_run_told_apart_half_way_draws_its_models_anew(tmp_path, settings):
    kept = {}
    result = turinglearn.learn(
        "aggregation", overrides=settings, out=tmp_path / "r", hooks=[populations_at(5, kept)]
    )
    plain = turinglearn.learn(
        "aggregation", overrides={**settings, "stopping.restart_above": 0}, out=tmp_path / "p"
    )
    check = result.summary()["restart"]
    assert check["generation"] == 5 and check["restarted"] and check["accuracy"] > 0.6
    assert "restart" not in plain.summary()
    # the first five generations are the plain run's: the check draws from its own streams
    for key in ("v_l0_median", "v_r1_q25", "model_fitness_mean", "discriminator_fitness_max"):
        np.testing.assert_array_equal(result.history[key][:5], plain.history[key][:5], err_msg=key)
        assert not np.array_equal(result.history[key][5:], plain.history[key][5:]), key
    # generation 5's populations are fresh draws from their initial ranges (the restart's streams)
    assert kept["models"].shape == (result.config.models.population, 4)  # four wheel speeds in [-1, 1]
    fresh = stream(result.config.seed, "restart", 2).uniform(-1, 1, size=kept["models"].shape)
    np.testing.assert_array_equal(kept["models"], fresh)
    judges = stream(result.config.seed, "restart", 3).uniform(-1, 1, size=kept["judges"].shape)
    np.testing.assert_array_equal(kept["judges"], judges)
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["restart"] == check


def test_the_check_itself_leaves_the_run_as_it_was(tmp_path, settings, monkeypatch):
    """The real check (panel and held-out test), without the renewal: the same run as without
    the setting, so a run the check passes is the preset's run, generation for generation."""
    monkeypatch.setattr("turinglearn.app.restart.renew", lambda exp: None)
    checked = turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "c")
    plain = turinglearn.learn(
        "aggregation", overrides={**settings, "stopping.restart_above": 0}, out=tmp_path / "p"
    )
    assert checked.summary()["restart"]["generation"] == 5
    np.testing.assert_array_equal(checked.models, plain.models)
    np.testing.assert_array_equal(checked.discriminators, plain.discriminators)
    np.testing.assert_array_equal(checked.inferred, plain.inferred)
    for key in ("v_l0_median", "model_fitness_mean", "discriminator_fitness_max"):
        np.testing.assert_array_equal(checked.history[key], plain.history[key], err_msg=key)


@pytest.mark.parametrize(
    "stop_at, every",
    [(3, 2), (7, 2), (6, 5)],  # before the check; after it; from the checkpoint written at the check
)
def test_an_interrupted_run_resumes_to_the_same_restart(tmp_path, settings, stop_at, every):
    settings = {**settings, "execution.checkpoint_every": every}
    reference = turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "ref")

    def interrupt(record):
        if record.generation == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "run", hooks=[interrupt])
    result = resume(tmp_path / "run", log=lambda m: None)
    assert result.summary()["restart"] == reference.summary()["restart"]
    np.testing.assert_array_equal(result.models, reference.models)
    np.testing.assert_array_equal(result.inferred, reference.inferred)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "again", hooks=[interrupt])
    with pytest.raises(ConfigError, match="restart_above"):  # it changes what the run computes
        resume(tmp_path / "again", overrides={"stopping.restart_above": 0.9}, log=lambda m: None)


def test_the_convergence_rule_waits_for_the_check(tmp_path, tiny):
    """A run that settles before the check would stop there; with a restart it runs on past it."""
    settings = {
        **tiny, "generations": 40, "stopping.converge": True, "stopping.patience": 3, "stopping.window": 2,
        "stopping.tolerance": 0.5, "evaluation.average_last": 2,
    }  # fmt: skip
    early = turinglearn.learn("aggregation", overrides=settings)
    assert early.summary()["stopped"]["generation"] < 20
    waited = turinglearn.learn("aggregation", overrides={**settings, "stopping.restart_above": 0.99})
    assert waited.summary()["restart"]["generation"] == 20
    assert waited.summary()["stopped"]["generation"] > 20


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"stopping.restart_above": 0.3}, "restart_above"),
        ({"stopping.restart_above": 1.0}, "restart_above"),
        ({"stopping.restart_at": 1.0}, "restart_at"),
        ({"stopping.restart_at": 0}, "restart_at"),
    ],
)
def test_bad_restart_settings_are_refused(settings, match):
    with pytest.raises(ConfigError, match=match):
        load_config("aggregation", settings)


@pytest.mark.parametrize(
    "extra, why",
    [
        ({"evaluation.estimate": "window"}, "panel"),
        ({"learner.kind": "metric-histogram"}, "panel"),
        ({"models.kind": "mlp"}, "panel"),
        ({"evaluation.c2st_trials": 0}, "c2st_trials"),
        ({"learner.historical_averaging": 1.0}, "historical_averaging"),
    ],
)
def test_where_a_restart_cannot_judge_the_run_goes_on_without_and_says_why(
    tmp_path, tiny, extra, why, capsys
):
    """Like the panel it needs: a preset that asks for it still runs with a metric baseline or a
    policy network, as without the setting, and says so."""
    settings = {**tiny, "generations": 4, "evaluation.average_last": 2, **extra}
    asked = turinglearn.learn("aggregation", overrides={**settings, "stopping.restart_above": 0.95})
    plain = turinglearn.learn("aggregation", overrides=settings)
    assert why in asked.summary()["restart"]["skipped"] and "restart" not in plain.summary()
    np.testing.assert_array_equal(asked.models, plain.models)
    from turinglearn.app.printing import print_summary

    print_summary(asked.config, asked.summary())
    assert f"restart: none ({asked.summary()['restart']['skipped']})" in capsys.readouterr().out


def test_a_gan_refuses_a_restart():
    from turinglearn.app.driver import experiment_for

    config = load_config("gan-digits", {"stopping.restart_above": 0.95})
    with pytest.raises(ConfigError, match=r"stopping\.restart_above"):
        experiment_for(config)


def test_the_closing_lines_say_what_the_check_found(tmp_path, settings, capsys):
    from turinglearn.app.printing import print_summary

    result = turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "r")
    print_summary(result.config, result.summary())
    out = capsys.readouterr().out
    check = result.summary()["restart"]
    assert (
        f"restart: after generation 5 the held-out test's accuracy on the estimate was {check['accuracy']:.3f}"
        in out
    )
    assert "above 0.6: both populations started afresh" in out


def test_the_learner_restarts_with_fresh_optimisers_and_empty_archives(tiny):
    from turinglearn.app.build import build

    config = load_config(
        "aggregation",
        {
            **tiny,
            "learner.hall_of_fame": 3,
            "learner.hall_of_fame_every": 1,
            "learner.model_memory": 4,
            "learner.model_memory_below": 1.0,
            "learner.counterfeits": 2,
        },
    )
    learner = build(config)
    start = learner.model_optimizer.ask().copy()  # the models of generation 0
    learner.run(4)
    before = learner.model_optimizer.ask().copy()
    assert learner.archive is not None and len(learner.models_memory) > 0
    assert len(learner.counterfeits.centres) == 4
    fresh = build(config)  # a learner's optimisers as the run starts
    learner.restart(fresh.model_optimizer, fresh.discriminator_optimizer)
    assert (
        learner.archive is None and len(learner.models_memory) == 0 and len(learner.counterfeits.centres) == 0
    )
    assert learner.generation == 4
    np.testing.assert_array_equal(learner.model_optimizer.ask(), start)  # generation 0's models again
    assert not np.array_equal(learner.model_optimizer.ask(), before)
    record = learner.step()  # and it runs on from there
    assert record.generation == 4 and learner.archive is not None
    np.testing.assert_array_equal(record.models, start)
    averaged = build(load_config("aggregation", {**tiny, "learner.historical_averaging": 1.0}))
    with pytest.raises(ValueError, match="historical averaging"):
        averaged.restart(fresh.model_optimizer, fresh.discriminator_optimizer)


def test_a_run_stopped_before_the_check_says_it_is_pending_and_a_late_check_is_none(
    tmp_path, settings, capsys
):
    from turinglearn.app.printing import print_summary

    stopped = turinglearn.learn("aggregation", overrides={**settings, "stopping.max_simulations": 1})
    assert stopped.summary()["stopped"]["rule"] == "max_simulations"
    assert stopped.summary()["restart"] == {"pending": 5}
    print_summary(stopped.config, stopped.summary())
    assert "restart: not checked yet (after generation 5" in capsys.readouterr().out
    late = turinglearn.learn(
        "aggregation", overrides={**settings, "generations": 2, "stopping.restart_at": 0.9}
    )
    assert "restart_at leaves no generation after the check" in late.summary()["restart"]["skipped"]
