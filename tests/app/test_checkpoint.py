"""Checkpoints and resume: an interrupted run ends exactly as an uninterrupted one."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import interrupt_at, load_example

import turinglearn
from turinglearn.app import checkpoint
from turinglearn.app.checkpoint import CheckpointError
from turinglearn.app.driver import resume
from turinglearn.app.runs import read_metrics
from turinglearn.errors import ConfigError, RunDirError

TIME_KEYS = {"seconds", "seconds_per_generation"}


def strip_time(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in TIME_KEYS}


def metrics_without_time(run_dir: Path) -> dict:
    return {k: v for k, v in read_metrics(run_dir).items() if k != "seconds"}


def assert_same_metrics(a: Path, b: Path) -> None:
    ma, mb = metrics_without_time(a), metrics_without_time(b)
    assert ma.keys() == mb.keys()
    for k in ma:
        np.testing.assert_array_equal(ma[k], mb[k], err_msg=k)


@pytest.fixture
def settings(tiny):
    return {**tiny, "generations": 9, "execution.checkpoint_every": 2}


@pytest.fixture
def reference(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("ref") / "run"
    turinglearn.learn("aggregation", overrides=settings, out=out)
    return out


def test_state_round_trips_exactly(tmp_path):
    rng = np.random.default_rng(3)
    state = {
        "generation": 7,
        "nested": {"x": rng.random((3, 2)), "none": None, "ints": [1, 2**70], "f32": np.ones(2, np.float32)},
        "rng": rng.bit_generator.state,
    }
    path = checkpoint.save(tmp_path, 7, state)
    back = checkpoint.load(path)
    np.testing.assert_array_equal(back["nested"]["x"], state["nested"]["x"])
    assert back["nested"]["f32"].dtype == np.float32
    assert back["nested"]["ints"] == [1, 2**70] and back["nested"]["none"] is None
    assert back["rng"] == state["rng"]


def test_damaged_checkpoints_are_rejected_and_the_previous_one_used(tmp_path):
    for g in (2, 4, 6):
        checkpoint.save(tmp_path, g, {"generation": g, "x": np.arange(1000.0) * g})
    files = checkpoint.checkpoints(tmp_path)
    assert [f.name for f in files] == [f"generation-00000{g}.npz" for g in (2, 4, 6)]
    files[2].write_bytes(files[2].read_bytes()[:500])  # truncated
    raw = bytearray(files[1].read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte
    files[1].write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="damaged"):
        checkpoint.load(files[2])
    with pytest.raises(CheckpointError, match="damaged"):
        checkpoint.load(files[1])
    warnings = []
    path, state = checkpoint.latest(tmp_path, warn=warnings.append)
    assert path == files[0] and state["generation"] == 2
    assert len(warnings) == 2 and all("using the previous checkpoint" in w for w in warnings)


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    for g in range(1, 6):
        checkpoint.save(tmp_path, g, {"generation": g}, keep=2)
    assert [p.name for p in checkpoint.checkpoints(tmp_path)] == [
        "generation-000004.npz",
        "generation-000005.npz",
    ]


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, settings, reference):
    out = tmp_path / "run"

    stop = interrupt_at(4)  # mid-way between checkpoints (2, 4, 6, ...)

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=out, hooks=[stop])
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    # the last finished generation (5 done) was checkpointed on the way out
    assert checkpoint.checkpoints(out)[-1].name == "generation-000005.npz"
    result = resume(out, log=lambda m: None)
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    assert strip_time(result.summary()) == strip_time(json.loads((reference / "summary.json").read_text()))
    assert_same_metrics(out, reference)
    a, b = np.load(out / "populations.npz"), np.load(reference / "populations.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])


def test_a_run_of_a_simulator_object_resumes_with_that_object(tmp_path):
    """A run made with learn(simulator=...) names the object in config.toml and its result's
    config, with the object's settings (the result used to show the aggregation study's
    environment); resume(run_dir, simulator=...) continues it to the uninterrupted result, and
    refuses an object built with other settings, or none."""
    module = load_example("own_swarm")
    over = {**module.QUICK, "generations": 6, "execution.checkpoint_every": 2, "evaluation.intervals": "off",
            "evaluation.c2st_trials": 0}  # fmt: skip
    whole = turinglearn.learn(simulator=module.DriftSwarm(), seed=1, overrides=over)
    env = whole.config.environment
    assert env.id.endswith(":DriftSwarm") and env.options == {
        "n_agents": 5, "n_replicas": 1, "steps": 40, "parameters": ["gain", "noise"], "lower": [0.0, 0.0],
        "upper": [0.5, 0.2], "truth": [0.2, 0.05], "feature_names": ["speed", "distance"],
    }  # fmt: skip
    assert whole.config.replace(**{"models.population": 12, "models.parents": 6}).environment == env
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn(simulator=module.DriftSwarm(), seed=1, overrides=over, out=out, hooks=[interrupt_at(3)])
    with pytest.raises(ConfigError, match=r"turinglearn.resume\(run_dir, simulator=...\)"):
        resume(out, log=lambda m: None)
    other = module.DriftSwarm(module.DriftConfig(steps=30))
    with pytest.raises(ConfigError, match="steps = 30, the run's is 40"):
        resume(out, log=lambda m: None, simulator=other)
    moved = module.DriftSwarm()
    moved.truth = np.array([0.3, 0.05])  # another system with the same settings
    with pytest.raises(ConfigError, match=r"truth = \[0.3, 0.05\], the run's is \[0.2, 0.05\]"):
        resume(out, log=lambda m: None, simulator=moved)
    resumed = turinglearn.resume(
        out, log=lambda m: None, simulator=module.DriftSwarm(), settings={"stopping.max_time": 3600.0}
    )
    assert np.array_equal(resumed.inferred, whole.inferred)
    assert resumed.config.environment == env


def test_interactive_run_resumes_with_its_interrogation_record(tmp_path, tiny):
    settings = {
        "generations": 6,
        "environment.steps": 20,
        "learner.genuine_trials": 6,
        "models.population": 6,
        "models.parents": 3,
        "discriminators.population": 6,
        "discriminators.parents": 3,
        "evaluation.c2st_trials": 10,
        "execution.checkpoint_every": 2,
    }
    ref = tmp_path / "ref"
    full = turinglearn.learn("stimulus-response", overrides=settings, out=ref)
    out = tmp_path / "run"

    stop = interrupt_at(3)

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("stimulus-response", overrides=settings, out=out, hooks=[stop])
    again = resume(out, log=lambda m: None)
    assert strip_time(again.summary()) == strip_time(full.summary())
    a, b = np.load(out / "interrogations.npz"), np.load(ref / "interrogations.npz")
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])


def test_resume_skips_a_truncated_checkpoint(tmp_path, settings, reference):
    out = tmp_path / "run"

    stop = interrupt_at(6)

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=out, hooks=[stop])
    newest = checkpoint.checkpoints(out)[-1]
    newest.write_bytes(newest.read_bytes()[:-100])
    messages = []
    result = resume(out, log=messages.append)
    assert any(newest.name in m and "damaged" in m for m in messages)
    assert any("resuming" in m and "generation-000006" in m for m in messages)
    assert strip_time(result.summary()) == strip_time(json.loads((reference / "summary.json").read_text()))
    assert_same_metrics(out, reference)


def test_resume_refuses_complete_runs_and_result_changing_settings(tmp_path, reference, settings):
    with pytest.raises(RunDirError, match=r"is complete \(9 generations") as err:
        resume(reference)
    assert f"continue it to N generations in all: `turinglearn resume {reference} --generations N` (the convergence rule is then off)" in str(
        err.value
    )
    out = tmp_path / "run"

    stop = interrupt_at(2)

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=out, hooks=[stop])
    with pytest.raises(ConfigError, match="only execution settings"):
        resume(out, overrides={"models.population": 20})
    with pytest.raises(RunDirError, match="not a directory"):
        resume(tmp_path / "nothing")


# --- a complete run continued to more generations ------------------------------------------


def test_a_complete_run_continued_ends_as_a_run_of_that_many_generations(tmp_path, reference, settings):
    import shutil

    longer = tmp_path / "longer"
    shutil.copytree(reference, longer)
    before = json.loads((reference / "summary.json").read_text())
    messages = []
    result = resume(longer, generations=13, log=messages.append)
    # as `turinglearn run --generations 13` runs it: the convergence rule off
    over = {**settings, "generations": 13, "stopping.converge": False}
    fresh = turinglearn.learn("aggregation", overrides=over, out=tmp_path / "fresh")
    assert result.summary()["generations"] == 13
    assert strip_time(result.summary()) == strip_time(fresh.summary())
    assert_same_metrics(longer, tmp_path / "fresh")
    # the 9 generations' result stays beside; config.toml reruns the longer run
    assert json.loads((longer / "summary-9.json").read_text()) == before
    again = turinglearn.learn(longer / "config.toml", out=tmp_path / "again")
    assert strip_time(again.summary()) == strip_time(fresh.summary())
    assert turinglearn.load_config(longer / "config.toml").stopping.converge is False
    assert any("resuming" in m and "9 generations done" in m for m in messages)
    sessions = json.loads((longer / "run.json").read_text())["sessions"]
    assert sessions[-1]["changed"]["generations"] == 13 and sessions[-1]["from_generation"] == 9


def test_a_run_the_convergence_rule_stopped_continues_without_it(tmp_path, tiny):
    converging = {
        **tiny, "generations": 10, "stopping.converge": True, "stopping.window": 2, "stopping.patience": 2,
        "stopping.tolerance": 10.0,  # settled at once: stops after 2 generations
    }  # fmt: skip
    out = tmp_path / "run"
    assert turinglearn.learn("aggregation", overrides=converging, out=out).summary()["stopped"]["generation"] == 2
    assert checkpoint.checkpoints(out)[-1].name == "generation-000002.npz"  # written where it stopped
    result = resume(out, generations=5, log=lambda m: None)
    fresh = turinglearn.learn(
        "aggregation", overrides={**converging, "generations": 5, "stopping.converge": False}, out=tmp_path / "fresh"
    )
    assert "stopped" not in result.summary()
    assert strip_time(result.summary()) == strip_time(fresh.summary())
    assert_same_metrics(out, tmp_path / "fresh")


def test_continuing_is_refused_where_the_longer_run_would_differ(tmp_path, reference):
    with pytest.raises(ConfigError, match="the run has done 9 generations; give more than that"):
        resume(reference, generations=9)
    for bad in (True, 12.5, 0):
        with pytest.raises(ConfigError, match="whole number of generations"):
            resume(reference, generations=bad)
    with pytest.raises(ConfigError, match="--generations N"):  # not through --set
        resume(reference, settings={"generations": 12}, log=lambda m: None)
    done = {"generations_done": 100}
    at_half = turinglearn.load_config("aggregation", {"stopping.restart_when": "at", "stopping.restarts": 1})
    with pytest.raises(ConfigError, match=r"restart_at = 0\.5 of its generations, where a run of 300"):
        checkpoint.longer(at_half, done, None, 300, {})
    settled = turinglearn.load_config("aggregation")  # restart when settled, up to 3 restarts
    check = {"generation": 80, "accuracy": 0.9, "above": 0.7}
    kept = {"restart": {"checks": [{**check, "restarted": True}, {**check, "generation": 95, "restarted": False}]}}
    with pytest.raises(ConfigError, match="check at generation 95 kept its search because too few"):
        checkpoint.longer(settled, done, kept, 300, {})
    passed = {"restart": {"checks": [{**check, "restarted": True}, {**check, "accuracy": 0.6, "restarted": False}]}}
    assert checkpoint.longer(settled, done, passed, 300, {"execution.workers": 2}) == {
        "stopping.converge": False, "execution.workers": 2, "generations": 300,
    }  # fmt: skip
    assert checkpoint.longer(settled, done, None, 300, {"stopping.converge": True})["stopping.converge"] is True
    peer = turinglearn.load_config("aggregation", {"learner.kind": "abc-smc", "stopping.restart_above": 0})
    with pytest.raises(ConfigError, match="ends with its simulation budget"):
        checkpoint.longer(peer, {}, None, 300, {})


def test_the_command_line_continues_a_complete_run(tmp_path, tiny, capsys):
    from turinglearn.app.cli import main

    sets = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    out = tmp_path / "run"
    assert main(["run", "aggregation", "--generations", "3", "--out", str(out), "--quiet", *sets]) == 0
    assert main(["resume", str(out), "--generations", "5", "--quiet"]) == 0
    assert "5 generations in" in capsys.readouterr().out
    assert json.loads((out / "run.json").read_text())["generations_done"] == 5
    assert main(["resume", str(out), "--set", "generations=7"]) == 2
    assert "is the run's length: continue it to N generations in all with `turinglearn resume RUN --generations N`" in capsys.readouterr().err


def test_full_disk_is_reported_and_written_files_survive(tmp_path, settings, monkeypatch):
    import errno

    import turinglearn.app.runs as runs

    out = tmp_path / "run"
    real_fsync = os.fsync
    state = {"calls": 0}

    def fsync(fd):
        # the disk fills up once the first checkpoint is on it
        if (out / "checkpoints").is_dir() and list((out / "checkpoints").glob("*.npz")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        state["calls"] += 1
        return real_fsync(fd)

    monkeypatch.setattr(runs.os, "fsync", fsync)
    with pytest.raises(RunDirError, match=r"No space left on device.*files already written are intact"):
        turinglearn.learn("aggregation", overrides=settings, out=out)
    monkeypatch.setattr(runs.os, "fsync", real_fsync)
    files = checkpoint.checkpoints(out)
    assert [f.name for f in files] == ["generation-000002.npz"]
    assert checkpoint.load(files[0])["generation"] == 2
    assert not list(out.rglob("*.tmp"))  # no half-written files left behind
    assert len(read_metrics(out)["generation"]) >= 2


# --- the command line, in a separate process -------------------------------------------------


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "turinglearn", *args]


def _sets(settings: dict) -> list[str]:
    return [a for k, v in settings.items() for a in ("--set", f"{k}={v}")]


def _wait_for_checkpoint(out: Path, proc, at_least: int, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        files = checkpoint.checkpoints(out)
        if files and int(files[-1].stem.split("-")[1]) >= at_least:
            return
        assert proc.poll() is None, "the run ended before it could be stopped"
        time.sleep(0.01)
    raise AssertionError("no checkpoint appeared")


@pytest.fixture
def long_settings(tiny):
    # long enough (about 4 s) to be stopped in the middle
    return {**tiny, "generations": 150, "execution.checkpoint_every": 5}


@pytest.fixture
def long_reference(tmp_path_factory, long_settings):
    out = tmp_path_factory.mktemp("ref") / "run"
    turinglearn.learn("aggregation", overrides=long_settings, out=out)
    return json.loads((out / "summary.json").read_text()), out


# SIGKILL is slow (17 s); SIGTERM keeps the CLI path in the default run, and
# tests/gan/test_gan_resume.py kills a run with -9
@pytest.mark.parametrize("how", [pytest.param("SIGKILL", marks=pytest.mark.slow), "SIGTERM"])
def test_killed_cli_run_resumes_to_the_same_summary(tmp_path, long_settings, long_reference, how):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        _cli("run", "aggregation", *_sets(long_settings), "--out", str(out), "--quiet"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_checkpoint(out, proc, at_least=10)
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    assert not (out / "summary.json").exists()
    if how == "SIGTERM":
        assert proc.returncode == 128 + signal.SIGTERM
        assert "stopped by SIGTERM" in err and f"turinglearn resume {out}" in err
        assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    else:
        assert proc.returncode == -signal.SIGKILL
        assert json.loads((out / "run.json").read_text())["status"] == "running"
    done = subprocess.run(_cli("resume", str(out), "--quiet"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr
    summary, ref_dir = long_reference
    assert strip_time(json.loads((out / "summary.json").read_text())) == strip_time(summary)
    assert_same_metrics(out, ref_dir)


def test_a_sweep_stopped_by_sigterm_checkpoints_its_run_and_continues(tmp_path, long_settings, long_reference):
    """A newcomer's sweep died at once on SIGTERM (Slurm's time limit), its run left 'running' and
    the generations since the last checkpoint lost; it now stops as `turinglearn run` does."""
    out = tmp_path / "sweep"
    argv = _cli("sweep", "aggregation", "--seeds", "0,", *_sets(long_settings), "--out", str(out))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(out / "seed-0", proc, at_least=10)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "the sweep was stopped by SIGTERM; its runs keep their checkpoints: rerun the same command" in err
    assert json.loads((out / "seed-0" / "run.json").read_text())["status"] == "interrupted"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary, ref_dir = long_reference
    assert strip_time(json.loads((out / "seed-0" / "summary.json").read_text())) == strip_time(summary)
    assert_same_metrics(out / "seed-0", ref_dir)


def test_a_python_run_stopped_by_sigterm_checkpoints_and_continues(tmp_path, long_settings, long_reference):
    """A newcomer's learn(out=...) script died at once on SIGTERM, its run left 'running' and the
    generations since the last checkpoint lost (the command line stopped cleanly); learn() now
    handles SIGTERM while its handler is the default."""
    out = tmp_path / "run"
    script = f"import turinglearn\nturinglearn.learn('aggregation', overrides={long_settings!r}, out={str(out)!r})\n"
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(out, proc, at_least=10)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert "SIGTERM: stopping after this generation" in err and "Interrupted: SIGTERM at generation" in err
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    turinglearn.resume(out)
    summary, ref_dir = long_reference
    assert strip_time(json.loads((out / "summary.json").read_text())) == strip_time(summary)
    assert_same_metrics(out, ref_dir)


@pytest.mark.parametrize(
    "preset, extra",
    [
        ("aggregation", {"models.kind": "gp"}),
        ("aggregation", {"models.kind": "mlp"}),
        ("aggregation", {"discriminators.kind": "gru"}),
        ("aggregation", {"learner.kind": "metric-histogram"}),
        ("aggregation", {"evaluation.estimate": "panel", "evaluation.panel_every": 2}),
        ("aggregation", {"learner.judge_steps": 3, "learner.judge_fitness": "shared-geometric"}),
        ("pendulum-pd", {"environment.steps": 20, "learner.genuine_trials": 6}),
    ],
)
def test_every_learner_kind_resumes_exactly(tmp_path, tiny, preset, extra):
    """Programs, neural policies, trained classifiers, metric learners and gym systems all keep
    their whole state in the checkpoint."""
    if preset != "aggregation":
        tiny = {k: v for k, v in tiny.items() if not k.startswith("environment.")}
    settings = {**tiny, "generations": 6, "execution.checkpoint_every": 2, **extra}
    ref = turinglearn.learn(preset, overrides=settings, out=tmp_path / "ref")

    stop = interrupt_at(3)

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn(preset, overrides=settings, out=tmp_path / "run", hooks=[stop])
    again = resume(tmp_path / "run", log=lambda m: None)
    assert strip_time(again.summary()) == strip_time(ref.summary())


def test_a_gan_run_resumes_like_every_other_run(tmp_path):
    """The same driver, checkpoints and resume for a GAN (signals and kill -9: tests/gan/test_gan_resume.py)."""
    pytest.importorskip("torch")
    settings = {
        "generations": 6,
        "learner.batch": 8,
        "models.width": 8,
        "discriminators.width": 8,
        "evaluation.samples": 0,
        "execution.device": "cpu",
        "execution.checkpoint_every": 2,
    }
    ref = turinglearn.learn("gan-digits", overrides=settings, out=tmp_path / "ref")
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("gan-digits", overrides=settings, out=out, hooks=[interrupt_at(2)])
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert checkpoint.checkpoints(out)[-1].name == "generation-000003.npz"
    again = resume(out, log=lambda m: None)
    assert type(again) is type(ref)
    time_keys = TIME_KEYS | {"images_per_second"}
    assert {k: v for k, v in again.summary().items() if k not in time_keys} == {
        k: v for k, v in ref.summary().items() if k not in time_keys
    }
    assert_same_metrics(out, tmp_path / "ref")
    a, b = (
        checkpoint.load(checkpoint.checkpoints(out)[-1]),
        checkpoint.load(checkpoint.checkpoints(tmp_path / "ref")[-1]),
    )
    for p, q in zip(
        a["learner"]["generators"][0].values(), b["learner"]["generators"][0].values(), strict=True
    ):
        np.testing.assert_array_equal(p, q)


def test_resume_refuses_a_module_whose_bounds_changed(tmp_path):
    """A newcomer widened a bound in their registered simulator's module between two jobs of one
    run: the resume went on silently under the new bounds (its intervals halved); a setting they
    added to its settings class, at a default, was refused."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}

    def cli(*args):
        return subprocess.run(_cli(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert cli("init", "swarm", "mysys").returncode == 0
    cheap = ["--set", "evaluation.intervals=off", "--set", "evaluation.c2st_trials=0"]  # what is tested is the resume
    first = cli("run", "mysys.toml", "--set", "generations=30", *cheap, "--max-simulations", "3000", "--out", "r", "--quiet")
    assert "stopped by max_simulations" in first.stderr, first.stderr
    module = tmp_path / "mysys.py"
    module.write_text(module.read_text().replace("upper=(0.5, 0.2)", "upper=(0.6, 0.2)"))
    again = cli("resume", "r", "--quiet")
    assert again.returncode == 2
    assert "the model family differs from the run's: upper = [0.6, 0.2], the run's is [0.5, 0.2]" in again.stderr
    # a setting added to the module's settings since: its default is what the run did (it was refused)
    text = module.read_text().replace("upper=(0.6, 0.2)", "upper=(0.5, 0.2)")
    module.write_text(text.replace("    steps: int = 40", "    steps: int = 40\n    friction: float = 0.6"))
    again = cli("resume", "r", "--quiet", "--max-simulations", "3000")  # accepted: it goes on (a budget ends it soon)
    assert again.returncode == 0 and "stopped by max_simulations" in again.stderr, again.stderr


def test_run_json_keeps_each_session_and_report_says_who_made_the_run(tmp_path, settings, capsys):
    """An auditor found nothing in a run directory that says which turinglearn, Python and
    packages made it, on which host and when, or that a resume changed its settings (its
    config.toml then reran to another result). run.json keeps a record of every session."""
    from importlib import metadata

    from turinglearn.app.cli import main

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=out, hooks=[interrupt_at(4)])
    first = json.loads((out / "run.json").read_text())["sessions"]
    assert len(first) == 1 and first[0]["turinglearn"] == turinglearn.__version__
    assert first[0]["packages"]["numpy"] == metadata.version("numpy") and first[0]["python"].count(".") == 2
    assert {"started", "host", "argv", "platform", "threads", "commit"} <= set(first[0])
    # a killed run (its lock's process gone) reads as killed, with how to continue it
    status = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**status, "status": "running"}))
    assert main(["report", str(out)]) == 0
    assert f"run status: running, but no process writes it (it was killed); continue with: turinglearn resume {out}" in capsys.readouterr().out
    resume(out, log=lambda m: None, settings={"stopping.max_time": 3600.0})
    sessions = json.loads((out / "run.json").read_text())["sessions"]
    assert sessions[0] == first[0] and sessions[1]["from_generation"] == 5  # the checkpoint written on the way out
    assert sessions[1]["changed"] == {"stopping.max_time": 3600.0} and sessions[1]["changed_for_the_rest"] == ["stopping.max_time"]
    assert main(["report", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("made by"))
    assert f"made by turinglearn {turinglearn.__version__}" in line
    assert line.endswith("; resumed 1 time (from generation 5; changed stopping.max_time) (run.json: sessions)")
    assert sessions[1]["status"] == "complete" and sessions[0]["status"] == "interrupted" and sessions[0]["generations_done"] == 5
    # a session with other code, on another host: said (a run continued elsewhere promises other numbers)
    status = json.loads((out / "run.json").read_text())
    status["sessions"][1].update(turinglearn="9.9.9", host="other-node", packages={**sessions[1]["packages"], "numpy": "0.0"})
    (out / "run.json").write_text(json.dumps(status))
    assert main(["report", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("made by"))
    assert f"sessions differ in turinglearn: {turinglearn.__version__} / 9.9.9" in line and "sessions differ in numpy" in line
    assert "other-node" in line


def test_a_run_of_a_relative_recording_resumes_from_another_directory(tmp_path, tiny, monkeypatch, capsys):
    """A newcomer's batch job resumed from another directory: `data` is kept in config.toml as
    given, relative to where the run began, and the resume failed (changing it is refused)."""
    began = tmp_path / "study"
    (began / "data").mkdir(parents=True)
    monkeypatch.chdir(began)
    settings = {**tiny, "generations": 4, "execution.checkpoint_every": 1, "data": "data/rec.npz"}
    turinglearn.record(turinglearn.load_config("aggregation", tiny), out="data/rec.npz", trials=6)
    reference = turinglearn.learn("aggregation", overrides=settings)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=began / "run", hooks=[interrupt_at(1)])
    monkeypatch.chdir(tmp_path)  # elsewhere: data/rec.npz is not here
    with pytest.raises(KeyboardInterrupt):  # twice: the second session's checkpoints hold the path it read
        resume(began / "run", log=lambda m: None, hooks=[interrupt_at(2)])
    # elsewhere, with another data/rec.npz: the run began's is read all the same (an auditor's resume read the
    # file of the directory it resumed in)
    (tmp_path / "data").mkdir()
    turinglearn.record(turinglearn.load_config("aggregation", tiny), out="data/rec.npz", trials=6, seed=9)
    messages = []
    result = resume(began / "run", log=messages.append)
    assert any(f"data 'data/rec.npz' read from the directory the run began in, {began}" in m for m in messages)
    np.testing.assert_array_equal(result.inferred, reference.inferred)
    assert 'data = "data/rec.npz"' in (began / "run" / "config.toml").read_text()
    assert result.summary()["data"] == reference.summary()["data"] == str(began / "data" / "rec.npz")
    # the run's config.toml run again from here reads the same file (it had read this directory's)
    again = turinglearn.learn(str(began / "run" / "config.toml"), out=tmp_path / "again")
    np.testing.assert_array_equal(again.inferred, reference.inferred)
    other = turinglearn.learn(str(began / "run" / "config.toml"), overrides={"data": "data/rec.npz"})
    assert other.summary()["data"] == str(tmp_path / "data" / "rec.npz")  # given: read from here
    # the notice is on standard error, once: under torchrun only the first process says it (every rank had)
    from turinglearn.app.resuming import paths_of_a_run

    config_toml = began / "run" / "config.toml"
    capsys.readouterr()
    for rank, said in (("0", 1), ("1", 0)):
        monkeypatch.setenv("RANK", rank)
        read = paths_of_a_run(turinglearn.load_config(str(config_toml)), config_toml)
        assert read.data == str(began / "data" / "rec.npz")
        assert capsys.readouterr().err.count("read from the directory the run began in") == said


@pytest.mark.slow  # about 10 s (three sessions of an interactive run); the recording's test reads data the same way
def test_a_relative_schedule_is_read_where_the_run_began(tmp_path, tiny, monkeypatch):
    """An auditor's resume from another directory failed on a relative evaluation.c2st_schedule
    (a .npy), which, unlike data, was not looked for where the run began."""
    began = tmp_path / "study"
    began.mkdir()
    monkeypatch.chdir(began)
    np.save("sched.npy", np.linspace(0, 1, 20)[:, None])
    settings = {k: v for k, v in tiny.items() if k != "environment.n_agents"}
    settings.update({"generations": 3, "execution.checkpoint_every": 1, "evaluation.c2st_schedule": "sched.npy",
                     "evaluation.c2st_trials": 10})  # fmt: skip
    reference = turinglearn.learn("stimulus-response", overrides=settings)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("stimulus-response", overrides=settings, out=began / "run", hooks=[interrupt_at(1)])
    monkeypatch.chdir(tmp_path)
    result = resume(began / "run", log=lambda m: None)
    assert result.summary()["c2st"] == reference.summary()["c2st"] is not None
    np.testing.assert_array_equal(result.inferred, reference.inferred)


def test_a_resume_refuses_a_file_whose_contents_changed(tmp_path, tiny, monkeypatch):
    """The recording (or a .npy schedule) a run read is kept as a digest in its checkpoints: a file
    of the same name with other contents is refused on resume, not learned from."""
    monkeypatch.chdir(tmp_path)
    settings = {**tiny, "generations": 4, "execution.checkpoint_every": 1, "data": "rec.npz"}
    turinglearn.record(turinglearn.load_config("aggregation", tiny), out="rec.npz", trials=6)
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "run", hooks=[interrupt_at(1)])
    (tmp_path / "rec.npz").unlink()
    turinglearn.record(turinglearn.load_config("aggregation", tiny), out="rec.npz", trials=6, seed=9)
    with pytest.raises(ConfigError, match=r"^data: rec.npz is not what the run began with: its contents differ"):
        resume(tmp_path / "run", log=lambda m: None)
    (tmp_path / "rec.npz").unlink()  # a moved project: said where it was looked for
    monkeypatch.chdir(tmp_path / "run")
    with pytest.raises(ConfigError, match=r"^data: 'rec.npz' is neither in the directory the run began in, .*, nor here"):
        resume(tmp_path / "run", log=lambda m: None)

