"""Stopping rules ([stopping], turinglearn.app.stopping): budgets of time and simulations stop a
run cleanly and resumably, the convergence rule fires on a settled estimate and not during a
sweep, and a run without them runs exactly its generations."""

import itertools
import json
import re

import numpy as np
import pytest

import turinglearn
from turinglearn.app import checkpoint
from turinglearn.app.cli import main
from turinglearn.app.driver import resume
from turinglearn.app.runs import read_metrics
from turinglearn.app.stopping import Stopper, StopRun, converged, simulations_per_generation, stalled
from turinglearn.config import WITHOUT_MEMORY, load_config
from turinglearn.config.stopping import parse_duration
from turinglearn.errors import ConfigError

TIME_KEYS = {"seconds", "seconds_per_generation", "evaluation_seconds", "trust_seconds"}


def strip_time(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in TIME_KEYS}


@pytest.fixture
def tiny(tiny):
    return {**tiny, "evaluation.intervals": "off", "evaluation.c2st_trials": 10}


@pytest.fixture
def ticking(monkeypatch):
    """A clock that advances one second every time it is read (once per generation)."""
    ticks = itertools.count()
    monkeypatch.setattr(Stopper, "clock", staticmethod(lambda: float(next(ticks))))
    # the final evaluation foreseen at nothing: these tests count generations of one tick
    monkeypatch.setattr("turinglearn.app.swarm_run.evaluation_seconds", lambda *a: (0.0, 0, 0.0))


def status(run) -> dict:
    return json.loads((run / "run.json").read_text())


# --- the convergence rule, on synthetic histories ---------------------------------------------


def settled(g: int, seed: int = 0) -> np.ndarray:
    """Two parameters (range 1) wandering a little around 0.3 and -0.2: [2, g]."""
    rng = np.random.default_rng(seed)
    return np.array([[0.3], [-0.2]]) + 0.004 * rng.standard_normal((2, g))


def test_convergence_fires_on_a_settled_history():
    assert converged(settled(100), np.ones(2), window=20, tolerance=0.02, patience=40)


def test_convergence_needs_a_window_and_patience_of_history():
    assert not converged(settled(58), np.ones(2), window=20, tolerance=0.02, patience=40)
    assert converged(settled(59), np.ones(2), window=20, tolerance=0.02, patience=40)


@pytest.mark.parametrize("sweep", [12, 25, 45])
def test_convergence_does_not_fire_during_a_sweep_away(sweep):
    values = settled(100)
    values[0, -sweep:] += 0.4  # the population has swept away for the last `sweep` generations
    assert not converged(values, np.ones(2), window=20, tolerance=0.02, patience=40)


def test_convergence_fires_again_once_the_sweep_is_over_and_settled():
    values = settled(200)
    values[0, 80:100] += 0.4
    assert converged(values, np.ones(2), window=20, tolerance=0.02, patience=40)
    assert not converged(values[:, :110], np.ones(2), window=20, tolerance=0.02, patience=40)


def test_convergence_tolerance_is_in_units_of_each_range():
    values = settled(100) * 10  # wander 0.04 on a range of 1: too much; on a range of 10: settled
    assert not converged(values, np.ones(2), window=20, tolerance=0.02, patience=40)
    assert converged(values, np.full(2, 10.0), window=20, tolerance=0.02, patience=40)


# --- a GAN's rule: its image metric stalling (lower is better) -----------------------------------


def test_stalled_fires_when_the_best_stops_falling():
    falling = [10.0, 8.0, 6.5, 5.0, 4.2, 3.9, 3.5]
    assert not stalled(falling, tolerance=0.02, patience=3)
    flat = [*falling, 3.6, 3.45, 3.5]  # best 3.45 in the last 3 vs 3.5 before: 1.4 %, not 2 %
    assert stalled(flat, tolerance=0.02, patience=3)
    assert not stalled(flat, tolerance=0.01, patience=3)
    worse = [*falling, 4.0, 4.5, 5.0]  # a GAN getting worse stops too
    assert stalled(worse, tolerance=0.02, patience=3)


def test_stalled_needs_more_than_patience_measurements_and_skips_missing_ones():
    assert not stalled([5.0, 5.0, 5.0], tolerance=0.02, patience=3)
    assert stalled([5.0, 5.0, 5.0, 5.0], tolerance=0.02, patience=3)
    # rows from before the metric was measured (NaN) do not count
    assert not stalled([np.nan, np.nan, 5.0, 5.0, 5.0], tolerance=0.02, patience=3)


# --- settings -----------------------------------------------------------------------------------


def test_durations_and_settings():
    assert [parse_duration(t) for t in ("90s", "30m", "2h", "45", "1h30m")] == [90, 1800, 7200, 45, 5400]
    with pytest.raises(ConfigError, match=r"stopping\.max_time"):
        parse_duration("2 hours")
    for ambiguous in ("1h30", "30 30", "5m5m", "30m1h"):  # a newcomer's 1h30 ran for 1 h 30 s
        with pytest.raises(ConfigError, match=r"a unit to every part, each unit once, largest first"):
            parse_duration(ambiguous)
    assert parse_duration("2d4h") == 2 * 86400 + 4 * 3600
    with pytest.raises(ConfigError, match=r"stopping\.patience"):
        load_config("aggregation", ["stopping.patience=1"])
    assert load_config("gan-digits", ["stopping.converge=true"]).stopping.converge  # the image metric's rule
    assert load_config("gan-digits").stopping == load_config("own-system").stopping  # one section


def test_a_hook_ends_a_run_on_a_rule_of_its_own(tmp_path, tiny):
    """A newcomer stepping by hand found no supported way to stop on their own rule and still
    get the estimate, its interval and the test (KeyboardInterrupt gives no result)."""
    seen = []

    def my_rule(record):
        seen.append(float(record.model_fitness.max()))
        if record.generation == 3:
            raise turinglearn.Stop("my rule: four generations are enough")

    over = {**tiny, "generations": 20, "stopping.converge": False}
    result = turinglearn.learn("aggregation", overrides=over, hooks=[my_rule], out=tmp_path / "r")
    assert len(seen) == 4 and result.summary()["generations"] == 4 and result.c2st is not None
    assert result.summary()["stopped"] == {"rule": "hook", "generation": 4}
    st = status(tmp_path / "r")
    assert st["status"] == "complete" and st["reason"] == "my rule: four generations are enough"
    assert "stopped by a hook (turinglearn.Stop) after 4 generations; run.json says why" in result.report()
    # the same generations as a run of four
    four = turinglearn.learn("aggregation", overrides={**over, "generations": 4})
    np.testing.assert_array_equal(result.inferred, four.inferred)


def test_build_gives_the_generations_learn_gives_and_warns_of_what_it_leaves_out(tiny):
    from turinglearn import build
    from turinglearn.errors import TuringLearnWarning

    over = {**tiny, "generations": 4, "stopping.converge": False, "stopping.restart_above": 0}
    learner = build(load_config("aggregation", over))
    last = learner.run(4)
    records = []
    turinglearn.learn("aggregation", overrides=over, hooks=[records.append])
    np.testing.assert_array_equal(last.models, records[-1].models)
    np.testing.assert_array_equal(last.discriminators, records[-1].discriminators)
    with pytest.warns(TuringLearnWarning, match=r"without what learn\(\) runs around it \(stopping.restart_above"):
        build(load_config("aggregation", {**tiny, "stopping.restart_above": 0.7}))


def test_a_run_a_budget_stopped_before_it_settled_says_so(tmp_path, tiny):
    """A newcomer's run stopped by --max-simulations after 10 generations, 27 % of a range off,
    read 'no drift from a settled estimate' and nothing else about settling."""
    from turinglearn.app.build import build

    config = load_config("aggregation", {**tiny, "generations": 50})
    per = simulations_per_generation(config, build(config).system)
    over = {**tiny, "generations": 50, "stopping.max_simulations": 3 * per}
    result = turinglearn.learn("aggregation", overrides=over, out=tmp_path / "r")
    assert result.summary()["stopped"]["rule"] == "max_simulations" and result.summary()["unsettled"] is True
    assert "the estimate had not settled when the budget stopped the run after 3 generations" in result.report()
    settled = {**over, "stopping.tolerance": 10.0, "stopping.window": 2, "stopping.patience": 2}  # anything settles
    assert "unsettled" not in turinglearn.learn("aggregation", overrides=settled).summary()


@pytest.mark.parametrize("preset", ["aggregation", "aggregation-gp"])
def test_a_time_budget_changes_nothing_but_when_a_run_stops(preset, tiny):
    """The final evaluation's timing under --max-time (the clock not patched) draws none of the
    run's numbers; a program family, whose box corner is no genotype, failed there."""
    over = {**tiny, "generations": 3, "stopping.converge": False}
    timed = turinglearn.learn(preset, overrides={**over, "stopping.max_time": 600})
    free = turinglearn.learn(preset, overrides=over)
    assert "stopped" not in timed.summary()
    assert strip_time(timed.summary()) == strip_time(free.summary())


def test_the_final_evaluation_is_foreseen_under_a_time_budget():
    """A newcomer's slow swarm (8.5 ms a trial) spent 175 s on the final evaluation after a
    budget of 45 s, kept in reserve as two generations' time."""
    import time

    from helpers import load_example

    from turinglearn.app.cost import cost_line
    from turinglearn.app.stopping import evaluation_trials
    from turinglearn.app.swarm_run import SwarmExperiment
    from turinglearn.errors import TuringLearnWarning

    drift = load_example("own_swarm").DriftSwarm

    class Slow(drift):  # 1 ms a swarm
        def rollout(self, params, rng, *, record=False):
            time.sleep(0.001 * len(params))
            return super().rollout(params, rng, record=record)

    over = {"evaluation.c2st_trials": 100, "evaluation.intervals": "fast", "generations": 50}
    config = load_config("own-system", over)
    sim = Slow()
    assert evaluation_trials(config, sim, 2) == 100 + (2 + 22 * 2) * 100  # the C2ST's, the fast test's
    assert evaluation_trials(config.replace(**{"evaluation.intervals": "off"}), sim, 2) == 100
    assert evaluation_trials(config.replace(**{"evaluation.c2st_trials": 0}), sim, 2) == 0
    panel = config.replace(**{"evaluation.estimate": "panel", "evaluation.panel_every": 10})
    assert evaluation_trials(panel, sim, 2) == 4700 + 5 * panel.evaluation.panel_trials
    exp = SwarmExperiment(config.replace(**{"stopping.max_time": 8}), simulator=sim)
    with pytest.warns(TuringLearnWarning, match=r"the final evaluation takes about \d+ s \(4700 trials"):
        assert exp.end_seconds() == 4  # at most half the budget
    assert 4.7 < exp._end_estimate < 30  # 1 ms a trial (more beside other work), the tests' statistics, and 2 s
    exp = SwarmExperiment(config.replace(**{"stopping.max_time": 600}), simulator=sim)
    assert 4.7 < exp.end_seconds() < 30  # within half the budget: as foreseen, no warning
    # what `turinglearn check` prints: a generation timed (100 models x 1 trial: at least 0.1 s), 50 generations
    line = cost_line(config, exp.learner.system, 2, simulator=sim)
    found = re.match(
        r"cost, foreseen: a generation about ([\d.]+) s \(its generations 2 and 3, in one process\), 50 generations "
        r"about ([\d.]+) s; a trial of the system and a model ([\d.]+) ms, the final evaluation about ([\d.]+) s "
        r"\(4,700 trials and their tests\)$",
        line,
    )
    generation, run, ms, end = (float(x) for x in found.groups())
    assert 1.0 <= ms < 5 and 0.1 <= generation < 10 and run == pytest.approx(50 * generation, rel=0.1)
    # the trials' time, and the fast test's 46 evaluations' statistics and classifiers beside them
    assert 4700 * ms / 1000 + 2 < end < 4700 * ms / 1000 + 2 + 46 * 0.5
    converging = config.replace(**{"stopping.converge": True})
    line = cost_line(converging, exp.learner.system, 2, simulator=sim)
    assert re.search(r"50 generations about [\d.]+ s \(at most: stopping.converge may end it sooner\);", line)
    # a peer's one step is its whole inference: not run to time it (a reviewer's check took three)
    peer = config.replace(**{"learner.kind": "abc-smc", "stopping.max_simulations": 400000})
    assert cost_line(peer, exp.learner.system, 2, simulator=sim).startswith(
        "cost, foreseen: learner.kind = 'abc-smc' infers in one step, within stopping.max_simulations (400,000 simulations); "
        "a trial of the system and a model"
    )


# --- runs ---------------------------------------------------------------------------------------


def test_max_time_stops_resumably_and_resume_ends_as_the_uninterrupted_run(tmp_path, tiny, ticking):
    settings = {**tiny, "generations": 12, "execution.checkpoint_every": 5}
    reference = tmp_path / "ref"
    turinglearn.learn("aggregation", overrides=settings, out=reference)
    out = tmp_path / "run"
    # one second a generation after a second of setup, 2 s kept for the end: the 8th generation
    # would end past 10 s
    result = turinglearn.learn("aggregation", overrides={**settings, "stopping.max_time": 10}, out=out)
    assert result.summary()["stopped"] == {"rule": "max_time", "generation": 7}
    assert json.loads((out / "summary.json").read_text())["stopped"]["generation"] == 7
    st = status(out)
    assert st["status"] == "stopped" and st["generations_done"] == 7 and st["stopped"]["rule"] == "max_time"
    assert checkpoint.checkpoints(out)[-1].name == "generation-000007.npz"
    assert len(read_metrics(out)["generation"]) == 7
    # a fresh budget: 5 more generations reach the ceiling, where no rule fires
    result = resume(out, log=lambda m: None)
    assert status(out)["status"] == "complete"
    assert strip_time(result.summary()) == strip_time(json.loads((reference / "summary.json").read_text()))
    a, b = read_metrics(out), read_metrics(reference)
    for k in a:
        if k != "seconds":
            np.testing.assert_array_equal(a[k], b[k])


def test_max_simulations_stops_at_the_count(tmp_path, tiny):
    config = load_config("aggregation", tiny)
    from turinglearn.app.build import build

    per = simulations_per_generation(config, build(config).system)
    env = config.environment.options
    assert per == 10 * 1 * (env["n_agents"] + env["n_replicas"])  # models x trials x robots
    out = tmp_path / "run"
    result = turinglearn.learn(
        "aggregation", overrides={**tiny, "generations": 10, "stopping.max_simulations": 3 * per + 1}, out=out
    )
    assert result.summary()["stopped"] == {"rule": "max_simulations", "generation": 3}
    assert status(out)["status"] == "stopped"
    assert result.summary()["simulations"] == 3 * per  # what it spent, in the budget's unit (an sbi user's count)


def test_an_interrogated_systems_count_includes_a_critics_own_trials():
    from turinglearn.app.build import build

    over = {"models.population": 10, "models.parents": 5, "discriminators.population": 6, "discriminators.parents": 3}
    over.update({**WITHOUT_MEMORY, "learner.genuine_trials": 5})
    plain = load_config("stimulus-response", over)
    assert simulations_per_generation(plain, build(plain).system) == 6 * (10 * 4 + 5)
    critic = load_config("stimulus-response", {**over, "learner.critic": 0.5})
    assert simulations_per_generation(critic, build(critic).system) == 6 * (10 * 4 + 5) + 2 * 10 * 4
    more = load_config("stimulus-response", {**over, "learner.critic": 0.5, "learner.critic_trials": 9})
    assert simulations_per_generation(more, build(more).system) == 6 * (10 * 4 + 5) + 2 * 10 * 9


def test_convergence_stops_a_run_as_complete(tmp_path, tiny):
    out = tmp_path / "run"
    overrides = {
        **tiny,
        "generations": 10,
        "stopping.converge": True,
        "stopping.window": 2,
        "stopping.patience": 2,
        "stopping.tolerance": 10.0,  # anything counts as settled: fires as soon as it can,
    }  # after max(window, patience) = 2 generations
    result = turinglearn.learn("aggregation", overrides=overrides, out=out)
    assert result.summary()["stopped"] == {"rule": "converge", "generation": 2}
    assert status(out)["status"] == "complete"
    # run.json says why, as for a budget (a newcomer found the rule only in summary.json)
    assert status(out)["stopped"] == {"rule": "converge", "generation": 2} and "settled" in status(out)["reason"]
    assert (out / "parameters.png").is_file()
    with pytest.raises(Exception, match="complete"):
        resume(out, log=lambda m: None)


def test_convergence_at_the_generation_a_budget_runs_out_ends_the_run(tmp_path, tiny):
    """A newcomer's --max-time ran out at the generation the estimate settled: the budget's stop
    hid the rule's, and the resume ran a generation more than the run without a budget."""
    from turinglearn.app.build import build

    overrides = {**tiny, "generations": 10, "stopping.converge": True, "stopping.window": 2, "stopping.patience": 2,
                 "stopping.tolerance": 10.0}  # fmt: skip  # settles after 2 generations
    per = simulations_per_generation(load_config("aggregation", overrides), build(load_config("aggregation", overrides)).system)
    result = turinglearn.learn("aggregation", overrides={**overrides, "stopping.max_simulations": 2 * per}, out=tmp_path / "r")
    assert result.summary()["stopped"] == {"rule": "converge", "generation": 2}
    assert status(tmp_path / "r")["status"] == "complete"


@pytest.mark.parametrize("rule", ["converge", "hook"])
def test_a_run_interrupted_in_its_evaluation_after_a_rule_ended_it_resumes_to_the_same_end(tmp_path, tiny, monkeypatch, rule):
    """An auditor's Ctrl-C in the final evaluation of a run its convergence rule had stopped at
    generation 8: the resume ran a ninth generation and ended elsewhere (the checkpoint did not
    say the run had ended); a hook's Stop likewise."""
    from helpers import assert_same_run

    from turinglearn import Stop
    from turinglearn.app import swarm_run

    overrides = {**tiny, "generations": 10, "stopping.converge": rule == "converge", "stopping.window": 2,
                 "stopping.patience": 2, "stopping.tolerance": 10.0, "execution.checkpoint_every": 2}  # fmt: skip

    def at_three(record):
        if record.generation == 3 and rule == "hook":
            raise Stop("three is enough")

    reference = turinglearn.learn("aggregation", overrides=overrides, hooks=[at_three], out=tmp_path / "ref")
    finish = swarm_run.SwarmExperiment.finish

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while the held-out tests run

    monkeypatch.setattr(swarm_run.SwarmExperiment, "finish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=overrides, hooks=[at_three], out=tmp_path / "run")
    monkeypatch.setattr(swarm_run.SwarmExperiment, "finish", finish)
    (tmp_path / "copy").mkdir()
    for f in (tmp_path / "run").iterdir():  # the same interrupted run, to resume another way below
        if f.is_file():
            (tmp_path / "copy" / f.name).write_bytes(f.read_bytes())
    (tmp_path / "copy" / "checkpoints").mkdir()
    for f in (tmp_path / "run" / "checkpoints").iterdir():
        (tmp_path / "copy" / "checkpoints" / f.name).write_bytes(f.read_bytes())
    resumed = resume(tmp_path / "run", log=lambda m: None)
    assert resumed.summary()["stopped"] == reference.summary()["stopped"] == {"rule": rule, "generation": 2 if rule == "converge" else 4}
    assert_same_run(resumed, reference)
    assert status(tmp_path / "run")["status"] == "complete"
    if rule == "converge":  # resumed with the rule off (docs/index.md): on to the ceiling, as before
        on = resume(tmp_path / "copy", log=lambda m: None, overrides={"stopping.converge": False})
        assert on.summary()["generations"] == 10 and "stopped" not in on.summary()


def test_a_run_that_reaches_its_ceiling_unsettled_says_so(tmp_path, tiny, capsys):
    sets = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    # the aggregation preset converges; 3 generations are too few to settle
    assert main(["run", "aggregation", "--set", "generations=3", "--out", str(tmp_path / "r"), "--quiet", *sets]) == 0
    assert "the estimate did not settle within the 3 generations" in capsys.readouterr().out
    # and so do the report and Python's result, which said nothing (a newcomer's learn(...).report())
    assert "did not settle within the 3 generations" in turinglearn.read_run(tmp_path / "r").report()
    assert main(["run", "aggregation", "--generations", "3", "--out", str(tmp_path / "n"), "--quiet", *sets]) == 0
    assert "did not settle" not in capsys.readouterr().out  # --generations N asks for exactly N


def test_generations_runs_exactly_n_without_stopping_settings(tmp_path, tiny, capsys):
    out = tmp_path / "run"
    sets = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    assert main(["run", "aggregation", "--generations", "4", "--out", str(out), "--quiet", *sets]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] == 4 and "stopped" not in summary
    assert status(out)["status"] == "complete"


def test_cli_max_time_and_resume(tmp_path, tiny, ticking, capsys):
    out = tmp_path / "run"
    sets = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    args = ["run", "aggregation", "--generations", "12", "--out", str(out), "--quiet", "--max-time", "10s"]
    assert main([*args, *sets]) == 0
    assert "turinglearn resume" in capsys.readouterr().err
    assert status(out)["stopped"] == {"rule": "max_time", "generation": 7}  # a second of setup counted
    assert main(["resume", str(out), "--quiet", "--max-time", "1h"]) == 0
    assert "generations done); budget this session: 3600 s" in capsys.readouterr().err
    assert status(out)["status"] == "complete"
    assert json.loads((out / "summary.json").read_text())["generations"] == 12


GAN = {
    "generations": 12,
    "learner.batch": 16,
    "learner.population": 2,
    "models.latent": 16,
    "models.width": 8,
    "discriminators.width": 8,
    "evaluation.log_every": 4,
    "evaluation.grid_every": 0,
    "evaluation.samples": 0,  # no image metrics: the test is about stopping
    "evaluation.classifier_epochs": 1,
    "execution.device": "cpu",
    "execution.checkpoint_every": 5,
}


def test_gan_max_time_stops_at_a_step_and_resume_finishes_it(tmp_path, ticking):
    pytest.importorskip("torch")
    from turinglearn.app.driver import run_experiment

    config = load_config("gan-digits", {**GAN, "stopping.max_time": 10})
    assert simulations_per_generation(config) == 2 * 16 * (config.learner.critic_steps + 1)  # images
    out = tmp_path / "gan"
    result = run_experiment(config, out=out)
    assert result.summary()["stopped"] == {"rule": "max_time", "generation": 7}  # a second of setup counted
    assert status(out)["status"] == "stopped"
    assert checkpoint.checkpoints(out)[-1].name == "generation-000007.npz"
    resume(out, log=lambda m: None)
    assert status(out)["status"] == "complete"
    assert checkpoint.checkpoints(out)[-1].name == "generation-000012.npz"


# --- torchrun: the first process decides for all (tests/app/test_stopping_torchrun.py runs two) ---


class Clockwork:
    """A learner that has done ``generation`` generations (what the Stopper reads of it)."""

    def __init__(self, generation: int = 0):
        self.generation = generation


def test_the_first_process_decides_and_the_others_follow(ticking):
    settings = load_config("gan-digits", {**GAN, "stopping.max_time": 10}).stopping
    told = []

    def agree(code):
        told.append(code)
        return code

    learner = Clockwork()
    first = Stopper(settings, learner, ceiling=12, agree=agree)
    with pytest.raises(StopRun) as fired:
        for learner.generation in range(1, 12):
            first(None)
    assert fired.value.record() == {"rule": "max_time", "generation": 8}
    assert told == [0] * 7 + [1]  # max_time is rule 1; nothing fired before
    # another process neither reads its clock nor applies a rule: it stops when told, at that step
    learner = Clockwork()
    other = Stopper(
        settings, learner, ceiling=12, lead=False, agree=lambda code: 0 if learner.generation < 5 else 3
    )
    for learner.generation in range(1, 5):
        other(None)
    learner.generation = 5
    with pytest.raises(StopRun) as fired:
        other(None)
    assert fired.value.record() == {"rule": "converge", "generation": 5}


def test_max_time_counts_the_sessions_setup(ticking):
    """A GAN newcomer's --max-time 12s took 19.4 s: the clock started after the data, the networks
    and the metrics' classifier were set up."""
    settings = load_config("gan-digits", {**GAN, "stopping.max_time": 10}).stopping
    learner = Clockwork()
    started = Stopper.clock()  # tick 0: the session begins; its setup takes three ticks
    for _ in range(3):
        Stopper.clock()
    stopper = Stopper(settings, learner, ceiling=12, start=started)  # tick 4
    with pytest.raises(StopRun) as fired:
        for learner.generation in range(1, 12):
            stopper(None)
    # a second a generation (the setup not counted in it, which had stopped the run after one), 4 s
    # of setup: 2 s kept for the end, the 4th generation's end at 8 s, the 5th would pass 10 s
    assert fired.value.record()["generation"] == 4  # 8 with the clock started after the setup
    assert "1.00 s a generation" in fired.value.why


def test_max_time_keeps_what_the_final_evaluation_is_expected_to_take(ticking, tmp_path, recwarn):
    """A GAN's image metrics overran --max-time (30 s asked, 94 s taken at 64x64 on a CPU): the
    experiment's estimate of the end is kept beside the default reserve, up to half the budget."""
    pytest.importorskip("torch")
    from turinglearn.app.gan_run import GANExperiment

    settings = load_config("gan-digits", {**GAN, "stopping.max_time": 10}).stopping
    learner = Clockwork()
    stopper = Stopper(settings, learner, ceiling=12, end_seconds=lambda: 5.0)
    with pytest.raises(StopRun) as fired:
        for learner.generation in range(1, 12):
            stopper(None)
    assert fired.value.record() == {"rule": "max_time", "generation": 5}  # 8 with the default reserve alone
    assert "5.0 s kept for the end" in fired.value.why
    config = load_config("gan-digits", {**GAN, "stopping.max_time": 4, "evaluation.samples": 300})
    exp = GANExperiment(config)
    assert exp.side_seconds == 0.0  # measured before the clock started: not taken off the training time
    assert 0 < exp.end_seconds() <= 2.0  # half the budget at most
    assert exp.end_seconds() == exp.end_seconds()  # measured once
    if exp._end_estimate > 2.0:
        assert "more than half the time budget of 4 s: the run will end late" in str(recwarn.pop().message)


def test_a_torchrun_stopper_broadcasts_over_its_own_group(tmp_path):
    """_stopper under torchrun: a RankZeroDecides built on every process (here a job of one)."""
    pytest.importorskip("torch")
    from types import SimpleNamespace

    import torch.distributed as dist

    from turinglearn.app.driver import _stopper
    from turinglearn.gan.parallel import RankZeroDecides

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        config = load_config("gan-digits", {**GAN, "stopping.max_time": 60})
        exp = SimpleNamespace(
            config=config, learner=Clockwork(), generations=12, distributed=True, lead=True, converge_after=0,
            end_seconds=lambda: 0.0, started=None,
        )
        stopper = _stopper(exp, {})
        assert isinstance(stopper.agree, RankZeroDecides)
        assert [stopper.agree(c) for c in (0, 2)] == [0, 2]
    finally:
        dist.destroy_process_group()
    exp.distributed = False
    assert _stopper(exp, {}).agree is None


# --- resume honours every rule ------------------------------------------------------------------


def test_max_time_says_why_in_run_json(tmp_path, tiny, ticking):
    out = tmp_path / "run"
    overrides = {**tiny, "generations": 12, "stopping.max_time": 10}
    turinglearn.learn("aggregation", overrides=overrides, out=out)
    st = status(out)
    assert st["status"] == "stopped" and st["generations_done"] == 7
    # a second of setup, one second a generation: the eighth would end at 9 s with 2 s kept for
    # the end, within one generation of the limit
    assert "time budget of 10 s" in st["reason"] and "1.00 s a generation" in st["reason"]
    assert (out / "summary.json").is_file()  # a stopped run is summarised
    resume(out, overrides={"stopping.max_time": 0}, log=lambda m: None)
    assert status(out)["status"] == "complete"


def test_max_simulations_gives_every_resumed_session_a_fresh_budget(tmp_path, tiny):
    config = load_config("aggregation", tiny)
    from turinglearn.app.build import build

    per = simulations_per_generation(config, build(config).system)
    settings = {**tiny, "generations": 8, "execution.checkpoint_every": 2}
    reference = turinglearn.learn("aggregation", overrides=settings)
    out = tmp_path / "run"
    result = turinglearn.learn(
        "aggregation", overrides={**settings, "stopping.max_simulations": 3 * per}, out=out
    )
    sessions = [result.summary()["stopped"]["generation"]]
    while status(out)["status"] == "stopped":
        assert (out / "summary.json").is_file()  # a stopped session is summarised ...
        summarised = []  # ... and while the run goes on again it has no summary
        watch = lambda g, seen=summarised: seen.append((out / "summary.json").exists())  # noqa: E731
        result = resume(out, hooks=[watch], log=lambda m: None)  # its budget again, from now
        assert summarised and not any(summarised)
        sessions.append(result.summary().get("stopped", {}).get("generation"))
    assert sessions == [3, 6, None]  # 3 generations a session; the last reaches the ceiling of 8
    assert status(out)["status"] == "complete"
    assert strip_time(result.summary()) == strip_time(reference.summary())


def test_resume_stops_by_convergence_where_the_uninterrupted_run_does(tmp_path, tiny):
    converge = {
        **tiny,
        "generations": 10,
        "execution.checkpoint_every": 1,
        "stopping.converge": True,
        "stopping.window": 3,
        "stopping.patience": 5,
        "stopping.tolerance": 10.0,  # fires as soon as it can: after max(window, patience) = 5
    }
    whole = turinglearn.learn("aggregation", overrides=converge)
    assert whole.summary()["stopped"] == {"rule": "converge", "generation": 5}
    out = tmp_path / "run"
    config = load_config("aggregation", {**converge, "stopping.max_simulations": 1})
    turinglearn.learn(config, out=out)  # a budget of one generation
    assert status(out)["stopped"] == {"rule": "max_simulations", "generation": 1}
    # resumed without the budget: the rule reads the metrics from before the stop too
    result = resume(out, overrides={"stopping.max_simulations": 0}, log=lambda m: None)
    assert result.summary()["stopped"] == {"rule": "converge", "generation": 5}
    assert status(out)["status"] == "complete" and (out / "summary.json").is_file()
    assert strip_time(result.summary()) == strip_time(whole.summary())


# --- sweeps ---------------------------------------------------------------------------------------


def test_sweep_gives_each_run_the_budget_and_a_rerun_continues_them(tmp_path, tiny, capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    sweep_help = " ".join(capsys.readouterr().out.split())
    assert "--max-time DURATION" in sweep_help and "--max-simulations N" in sweep_help
    assert sweep_help.count("each run of the sweep gets this budget") == 2
    config = load_config("aggregation", tiny)
    from turinglearn.app.build import build

    per = simulations_per_generation(config, build(config).system)
    out = tmp_path / "sweep"
    sets = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    args = ["sweep", "aggregation", "--seeds", "0,1", "--generations", "5", "--out", str(out), *sets]
    assert main([*args, "--max-simulations", str(3 * per)]) == 0
    assert "2 of 2 runs (seeds 0, 1) were stopped by a budget" in capsys.readouterr().out
    for seed in (0, 1):
        assert status(out / f"seed-{seed}")["stopped"] == {"rule": "max_simulations", "generation": 3}
    # a restart's setting shapes the run: the sweep passes one that differs from the runs' (refused)
    assert main([*args, "--set", "stopping.restart_above=0.9"]) == 2
    assert "stopping.restart_above" in capsys.readouterr().err
    assert main(args) == 0  # continued, each with its own budget again: 2 more generations reach 5
    assert "stopped by a budget" not in capsys.readouterr().out
    for seed in (0, 1):
        assert status(out / f"seed-{seed}")["status"] == "complete"
        assert json.loads((out / f"seed-{seed}" / "summary.json").read_text())["generations"] == 5
    rows = json.loads((out / "results.json").read_text())
    assert [r["stopped"] for r in rows] == [None, None]
    # rerun into the same directory with other settings: refused before any work (an auditor's rerun with
    # --generations 5 for 3, or another preset, tabled the old runs beside the new as if alike)
    longer = [*args[:5], "6", *args[6:]]
    assert main(longer) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "seed-0 holds a run of other settings than this sweep's (generations = 6, the run's 5)" in err
    assert not (out / "seed-2").exists()
    assert main(["sweep", "stimulus-response", "--seeds", "0,", "--out", str(out)]) == 2
    assert "holds a run of other settings" in capsys.readouterr().err


def _noisy(n, target, start=-1.0, ramp=100, seed=0, noise=0.004):
    rng = np.random.default_rng(seed)
    x = np.full(n, float(target))
    x[:ramp] = np.linspace(start, target, ramp)
    return x + noise * rng.standard_normal(n)


def test_settled_waits_for_the_reported_estimate_to_stop_moving():
    from turinglearn.app.stopping import settled

    values = np.array([_noisy(600, 0.3), _noisy(600, -0.5, seed=1)])  # on target from generation 100
    rule = dict(tolerance=0.01, patience=120, window=20, average_last=200)
    fired = next(g for g in range(20, 601) if settled(values[:, :g], np.full(2, 2.0), **rule))
    # on target from generation 100, and the estimate must then hold for the patience (120);
    # the median of the last 200 (at most half the run) outvotes the ramp's values well before
    # the ramp leaves its window
    assert 100 + 120 <= fired <= 300
    assert not settled(values[:, : fired - 1], np.full(2, 2.0), **rule)


def test_a_recent_sweep_keeps_a_settled_run_going():
    from turinglearn.app.stopping import settled

    values = np.array([_noisy(700, 0.3)])
    rule = dict(tolerance=0.01, patience=120, window=20, average_last=200)
    assert settled(values[:, :600], np.full(1, 2.0), **rule)
    swept = values.copy()
    swept[0, 585:600] = -0.2  # 15 generations away: the long average has not moved
    assert not settled(swept[:, :600], np.full(1, 2.0), **rule)
    # the same sweep 100 generations ago moved the estimate by too little to matter: it has settled
    early = values.copy()
    early[0, 485:500] = -0.2
    assert settled(early[:, :600], np.full(1, 2.0), **rule)


def test_generations_n_runs_exactly_n_though_the_preset_converges(tmp_path, tiny, capsys):
    assert load_config("aggregation").stopping.converge  # the preset stops on convergence
    eager = {**tiny, "stopping.window": 2, "stopping.patience": 2, "stopping.tolerance": 10.0}
    sets = [x for k, v in eager.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    out = tmp_path / "cli"
    assert main(["run", "aggregation", "--generations", "4", "--out", str(out), "--quiet", *sets]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] == 4 and "stopped" not in summary
    r = turinglearn.learn("aggregation", generations=4, overrides=eager)
    assert len(r.history["generation"]) == 4
    # ... unless the convergence rule is asked for explicitly
    asked = turinglearn.learn(
        "aggregation", generations=4, overrides={**eager, "stopping.converge": True}, out=tmp_path / "asked"
    )
    assert asked.summary()["stopped"] == {"rule": "converge", "generation": 2}
    capsys.readouterr()
    assert main(["report", str(tmp_path / "asked")]) == 0  # report says why it ended, as the run did
    assert "\nstopped by converge after 2 generations\n" in capsys.readouterr().out
