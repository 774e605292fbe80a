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
    """The restart half-way (not the aggregation preset's when settled; restarts of their own
    ask for it), judging the panel's estimate (the preset's own is the window's)."""
    return {**tiny, "evaluation.estimate": "panel", "stopping.restart_when": "at", "stopping.restarts": 1,
            "evaluation.c2st_trials": 20}  # the restart's check reads a C2ST; tiny runs skip it otherwise


@pytest.fixture
def settings(tiny):
    # 10 generations, the check after 5 (restart_at 0.5); the estimate is then far from the truth
    return {**tiny, "generations": 10, "evaluation.panel_every": 2, "stopping.restart_above": 0.6}


def test_the_hook_checks_once_at_its_generation_and_renews_only_above():
    judged, renewed = [], []
    hook = Restart(
        4, 0.9, judge=lambda r, j: judged.append(r.generation) or 0.95, renew=lambda k: renewed.append(1)
    )
    for g in range(8):
        hook(type("R", (), {"generation": g})())
    assert judged == [3] and renewed == [1]  # after 4 generations, once
    assert hook.check == {"generation": 4, "accuracy": 0.95, "above": 0.9, "restarted": True}
    calm = Restart(4, 0.96, judge=lambda r, j: 0.95, renew=lambda k: renewed.append(2))
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
    monkeypatch.setattr("turinglearn.app.restart.renew", lambda exp, k: None)
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
        ({"stopping.restart_when": "converged"}, "restart_when.*'settled'"),
        ({"stopping.restarts": 0}, "restarts.*restart_above = 0 turns restarts off"),
        # the aggregation preset checks when settled, up to three restarts
        ({"stopping.restart_at": 0.3}, "restart_at.*leave restart_at at 0.5"),
        ({"stopping.restart_when": "at"}, "restarts.*set restarts = 1"),
    ],
)
def test_bad_restart_settings_are_refused(settings, match):
    with pytest.raises(ConfigError, match=match):
        load_config("aggregation", settings)


@pytest.mark.parametrize(
    "extra, why",
    [
        ({"learner.kind": "metric-histogram"}, "judges"),
        ({"models.kind": "mlp"}, "parameter vectors"),
        ({"evaluation.c2st_trials": 0}, "c2st_trials"),
        ({"learner.historical_averaging": 1.0}, "historical_averaging"),
    ],
)
def test_where_a_restart_cannot_judge_the_run_goes_on_without_and_says_why(
    tmp_path, tiny, extra, why, capsys
):
    """A preset that asks for it still runs with a metric baseline or a policy network, as
    without the setting, and says so."""
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


def test_a_run_with_the_window_estimate_restarts_on_its_window(tmp_path, settings):
    """Without a panel the check judges the window's estimate, and after the restart that
    estimate reads only the new search's generations."""
    from turinglearn.app.results import estimate

    # the check after 7 of 10 generations; the whole run's window would reach back to generation 5
    window = {**settings, "evaluation.estimate": "window", "evaluation.average_last": 10, "stopping.restart_at": 0.7}
    result = turinglearn.learn("aggregation", overrides=window)
    check = result.summary()["restart"]
    assert check["generation"] == 7 and check["restarted"] and result.summary()["estimate"] == "window"
    ev, names = result.config.evaluation, result.names
    new = {k: v[7:] for k, v in result.history.items()}  # the new search's three generations
    np.testing.assert_array_equal(result.inferred, estimate(new, names, 10, ev.average, ev.track))
    assert not np.array_equal(result.inferred, estimate(result.history, names, 10, ev.average, ev.track))
    np.testing.assert_array_equal(result.window_estimate(), result.inferred)  # a finished run reads the same
    with pytest.warns(FutureWarning, match=r"estimate\(\) is renamed window_estimate\(\)"):
        np.testing.assert_array_equal(result.estimate(), result.inferred)  # the old name, for a while


# --- stopping.restart_when = "settled": the check when the estimate first settles ------------


def checks(summary: dict) -> list[dict]:
    """Every check of a run, in order (summary.json's ``restart``: the latest, with the earlier ones)."""
    last = dict(summary["restart"])
    return [*last.pop("earlier", []), last]


@pytest.fixture
def settling(tiny):
    """A tiny run whose estimate settles within a few generations (a loose convergence rule),
    reporting the window's estimate, as the aggregation preset does."""
    return {
        **tiny, "evaluation.estimate": "window", "generations": 40, "stopping.converge": True, "stopping.patience": 3, "stopping.window": 2,
        "stopping.tolerance": 0.5, "evaluation.average_last": 2,
    }  # fmt: skip


def test_the_hook_checks_once_when_settled_and_restarts_only_above():
    judged, renewed, now = [], [], {"settled": False}
    hook = Restart(
        99, 0.9, judge=lambda r, j: judged.append(r.generation) or 0.95, renew=lambda k: renewed.append(1),
        settled=lambda: now["settled"], most=1,
    )  # fmt: skip
    assert hook.summary() == {"pending": "settled"} and hook.since == 0
    for g in range(8):
        now["settled"] = g == 5  # settled after six generations, not in the new search's first two
        hook(type("R", (), {"generation": g})())
    assert judged == [5] and renewed == [1]  # the first settled generation
    assert hook.check == {"generation": 6, "accuracy": 0.95, "above": 0.9, "restarted": True, "when": "settled"}
    assert hook.since == 6 and not hook.done  # the new search's metrics begin after six generations
    now["settled"] = True
    hook(type("R", (), {"generation": 9})())  # the new search settles: checked, but no restart is left
    assert judged == [5, 9] and renewed == [1] and hook.done and hook.since == 6
    assert hook.check["kept"] == "the one restart is spent" and not hook.check["restarted"]
    calm = Restart(99, 0.96, judge=lambda r, j: 0.95, renew=None, settled=lambda: True)
    calm(type("R", (), {"generation": 2})())
    assert calm.check["restarted"] is False and calm.since == 0


def test_a_search_that_settles_after_a_restart_is_checked_again_up_to_the_most_restarts():
    accuracies, renewed, indices = iter([0.95, 0.93, 0.91, 0.5]), [], []
    hook = Restart(
        99, 0.9, judge=lambda r, j: indices.append(j) or next(accuracies), renew=lambda k: renewed.append(k),
        settled=lambda: True, most=2,
    )  # fmt: skip
    for g in (3, 7, 12, 20):
        hook(type("R", (), {"generation": g})())
    # restarted after 4 and 8 generations (each from streams of its own: the k-th restart, the j-th
    # check); the third search is checked too, and kept: no restart is left
    assert renewed == [0, 1] and indices == [0, 1, 2] and hook.since == 8 and hook.done
    assert [c["generation"] for c in hook.checks] == [4, 8, 13]
    summary = hook.summary()
    assert summary["generation"] == 13 and summary["kept"] == "the 2 restarts are spent"
    assert summary["earlier"] == hook.checks[:2]
    back = Restart(99, 0.9, judge=None, renew=None, settled=lambda: True, most=2)
    back.load_state_dict(hook.state_dict())
    assert back.checks == hook.checks and back.done
    old = Restart(5, 0.9, judge=None, renew=None)
    old.load_state_dict({"check": dict(hook.checks[0])})  # a checkpoint of a version with one check
    assert old.check == hook.checks[0] and old.since == 4
    at = Restart(4, 0.9, judge=lambda r, j: 0.99, renew=lambda k: None, most=3)  # a set generation: once
    for g in range(10):
        at(type("R", (), {"generation": g})())
    assert len(at.checks) == 1
    late = Restart(
        99, 0.9, judge=lambda r, j: 0.99, renew=lambda k: renewed.append(k), settled=lambda: True, generations=21
    )  # fmt: skip
    late(type("R", (), {"generation": 10})())  # settled after 11 of 21 generations: a new search would have 10
    assert late.done and renewed == [0, 1]
    assert late.check["kept"] == "10 generations are left, fewer than this search took to settle (11)"
    room = Restart(99, 0.9, judge=lambda r, j: 0.99, renew=lambda k: None, settled=lambda: True, generations=22)
    room(type("R", (), {"generation": 10})())
    assert room.check["restarted"]  # 11 left: as many as the first search took


def test_a_run_that_settles_where_the_test_tells_it_apart_restarts_instead_of_stopping(settling):
    from turinglearn.app.results import estimate

    early = turinglearn.learn("aggregation", overrides=settling)
    settled_at = early.summary()["stopped"]["generation"]
    assert settled_at < 20
    asked = {**settling, "stopping.restart_above": 0.5, "stopping.restart_when": "settled"}
    result = turinglearn.learn("aggregation", overrides=asked)
    first, last = checks(result.summary())
    assert first["when"] == "settled" and first["generation"] == settled_at and first["restarted"]
    # the same run up to the check; then the rule waits for the new search to settle
    for key in ("v_l0_median", "model_fitness_mean"):
        np.testing.assert_array_equal(result.history[key][:settled_at], early.history[key][:settled_at])
    stopped = result.summary()["stopped"]["generation"]
    assert stopped >= settled_at + 3  # patience 3: at least as many generations of the new search
    # where it settles, the new search is checked too; told apart again, it is kept (one restart)
    assert last["generation"] == stopped and last["kept"] == "the one restart is spent"
    assert result.summary()["c2st"] > 0.5
    ev = result.config.evaluation
    new = {k: v[settled_at:] for k, v in result.history.items()}
    np.testing.assert_array_equal(result.inferred, estimate(new, result.names, 2, ev.average, ev.track))


def test_a_run_the_settled_check_passes_stops_where_it_would_without(settling, monkeypatch):
    monkeypatch.setattr("turinglearn.app.restart.accuracy_now", lambda exp, record, j: 0.55)
    early = turinglearn.learn("aggregation", overrides=settling)
    asked = {**settling, "stopping.restart_above": 0.6, "stopping.restart_when": "settled"}
    checked = turinglearn.learn("aggregation", overrides=asked)
    assert checked.summary()["restart"]["restarted"] is False
    assert checked.summary()["stopped"] == early.summary()["stopped"]
    np.testing.assert_array_equal(checked.inferred, early.inferred)
    np.testing.assert_array_equal(checked.models, early.models)


def test_the_settled_check_judges_from_its_own_streams(settling, monkeypatch):
    """The real check (the window's estimate and the held-out test), without the renewal: the
    run computes what it would without the setting."""
    monkeypatch.setattr("turinglearn.app.restart.renew", lambda exp, k: None)
    asked = {**settling, "generations": 12, "stopping.converge": False}
    plain = turinglearn.learn("aggregation", overrides=asked)
    checked = turinglearn.learn(
        "aggregation", overrides={**asked, "stopping.restart_above": 0.5, "stopping.restart_when": "settled"}
    )
    assert checked.summary()["restart"]["when"] == "settled"  # checked without converge stopping the run
    np.testing.assert_array_equal(checked.models, plain.models)
    np.testing.assert_array_equal(checked.discriminators, plain.discriminators)


@pytest.mark.parametrize("stop_at", [2, 6])  # before the check (after 4 generations); after it
def test_an_interrupted_run_resumes_to_the_same_settled_restart(tmp_path, settling, stop_at):
    from helpers import assert_same_run

    asked = {
        **settling, "stopping.restart_above": 0.5, "stopping.restart_when": "settled",
        "execution.checkpoint_every": 1,
    }  # fmt: skip
    reference = turinglearn.learn("aggregation", overrides=asked, out=tmp_path / "ref")
    first, stopped = checks(reference.summary())[0], reference.summary()["stopped"]["generation"]
    assert first["restarted"] and first["generation"] == 4 and stopped > 7  # stop_at 6 falls between

    def interrupt(record):
        if record.generation == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=asked, out=tmp_path / "run", hooks=[interrupt])
    assert_same_run(resume(tmp_path / "run", log=lambda m: None), reference)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=asked, out=tmp_path / "again", hooks=[interrupt])
    with pytest.raises(ConfigError, match="restart_when"):  # it changes what the run computes
        resume(tmp_path / "again", overrides={"stopping.restart_when": "at"}, log=lambda m: None)


def test_a_run_restarts_again_when_its_new_search_settles_where_the_test_tells_it_apart(settling, capsys):
    from turinglearn.app.printing import print_summary

    asked = {
        **settling, "stopping.restart_above": 0.5, "stopping.restart_when": "settled", "stopping.restarts": 2,
    }  # fmt: skip
    once = turinglearn.learn("aggregation", overrides={**asked, "stopping.restarts": 1})
    twice = turinglearn.learn("aggregation", overrides=asked)
    (a, kept), (b, c, last) = checks(once.summary()), checks(twice.summary())
    assert a == b and a["restarted"] and kept["generation"] == c["generation"] > a["generation"]
    assert kept["kept"] == "the one restart is spent" and c["restarted"]  # the second search: kept, or restarted
    assert last["kept"] == "the 2 restarts are spent" and last["generation"] > c["generation"]
    assert twice.summary()["stopped"]["generation"] == last["generation"]
    print_summary(twice.config, twice.summary())
    out = capsys.readouterr().out
    assert f"(earlier searches restarted after generation {a['generation']}, {c['generation']})" in out
    assert "but the 2 restarts are spent: the search is reported as it is" in out
    from turinglearn.app.report import restart_generations

    assert restart_generations(twice.summary()["restart"]) == [a["generation"], c["generation"]]
    assert restart_generations({"pending": "settled"}) == [] and restart_generations(None) == []


def test_the_closing_lines_say_the_check_came_when_the_estimate_settled(settling, capsys):
    from turinglearn.app.printing import print_summary

    asked = {**settling, "stopping.restart_above": 0.5, "stopping.restart_when": "settled"}
    result = turinglearn.learn("aggregation", overrides=asked)
    print_summary(result.config, result.summary())
    g = result.summary()["restart"]["generation"]
    assert f"restart: when the estimate settled, after generation {g} the held-out test's accuracy" in (
        capsys.readouterr().out
    )
    pending = turinglearn.learn("aggregation", overrides={**asked, "stopping.max_simulations": 1})
    assert pending.summary()["restart"] == {"pending": "settled"}
    print_summary(pending.config, pending.summary())
    assert "restart: not checked yet (when the estimate settles" in capsys.readouterr().out


def test_each_restart_draws_its_populations_from_streams_of_its_own(tiny):
    from turinglearn.app.restart import renew
    from turinglearn.app.swarm_run import SwarmExperiment

    exp = SwarmExperiment(load_config("aggregation", tiny))
    drawn = []
    for k in (0, 1, 0):
        renew(exp, k)
        drawn.append(exp.learner.model_optimizer.ask().copy())
    assert not np.array_equal(drawn[0], drawn[1])  # the second restart is not the first again
    np.testing.assert_array_equal(drawn[0], drawn[2])  # the first keeps its streams: old runs reproduce




def test_a_passive_studys_restart_check_runs_under_the_schedule_it_watched(monkeypatch):
    """As its intervals do: the check judged a passive study's estimate under random stimuli the
    study never applied, so a restart could be asked that no search could help."""
    from helpers import SMALL_INTERACTIVE

    import turinglearn.app.restart as restart

    seen = []
    real = restart.c2st_by_schedule

    def capture(system, theta, rng, trials, folds, noise, schedules, choice):
        seen.append((sorted(schedules or {}), choice))
        return real(system, theta, rng, trials, folds, noise, schedules, choice)

    monkeypatch.setattr(restart, "c2st_by_schedule", capture)
    settings = {**SMALL_INTERACTIVE, "learner.passive": True, "evaluation.c2st_trials": 20,
                "stopping.restart_above": 0.99, "stopping.restart_when": "at"}  # fmt: skip
    turinglearn.learn("sensor-identification", generations=4, overrides=settings)
    assert seen == [(["passive"], "passive")]
