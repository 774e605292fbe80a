"""Issue 20: ways to lose a run or see a traceback, each reproduced, each one line and exit 2 now,
with nothing already written lost."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import turinglearn
from turinglearn.app import checkpoint
from turinglearn.app.cli import main
from turinglearn.app.driver import resume
from turinglearn.app.runs import read_metrics
from turinglearn.errors import ConfigError, RunDirError

SETTINGS = {  # tiny runs (about 0.02 s per generation)
    "environment.n_agents": 4,
    "environment.steps": 20,
    "models.population": 10,
    "models.parents": 5,
    "discriminators.population": 10,
    "discriminators.parents": 5,
    "evaluation.c2st_trials": 20,
    "generations": 9,
    "execution.checkpoint_every": 2,
}


def cli_sets(settings: dict) -> list[str]:
    return [a for k, v in settings.items() if k != "generations" for a in ("--set", f"{k}={v}")]


def one_line_error(capsys, fragment: str) -> str:
    """stderr holds one line of error (besides a run's headline) and no traceback."""
    err = [line for line in capsys.readouterr().err.strip().splitlines() if " generations -> " not in line]
    assert len(err) == 1, err
    assert err[0].startswith("turinglearn: error:") and fragment in err[0], err[0]
    return err[0]


def status(run: Path) -> dict:
    return json.loads((run / "run.json").read_text())


# --- 1. a write to metrics.csv fails (full disk, permissions) ---------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EPERM])
def test_failing_metrics_write_keeps_the_last_whole_generation(tmp_path, monkeypatch, capsys, code):
    """A writer that fails at generation 5 (half a row already written, as a full disk does):
    one line, exit 2, a whole metrics.csv, the checkpoint of generation 5 and run.json saying why."""
    import turinglearn.app.runs as runs

    out = tmp_path / "run"
    real_open = open

    class Failing:
        """metrics.csv's file: takes 4 rows, then writes 10 bytes of the next and fails."""

        def __init__(self, f):
            self.f, self.rows = f, 0

        def write(self, data):
            self.rows += 1
            if self.rows > 5:
                self.f.write(bytes(data[:10]))
                raise OSError(code, os.strerror(code))
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

    def fake_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return Failing(f) if str(file).endswith("metrics.csv") and "b" in mode else f

    monkeypatch.setattr(runs, "open", fake_open, raising=False)
    args = ["run", "aggregation", "--out", str(out), "--generations", "9", *cli_sets(SETTINGS), "--quiet"]
    assert main(args) == 2
    line = one_line_error(capsys, "cannot append to")
    assert os.strerror(code) in line
    monkeypatch.undo()
    metrics = read_metrics(out)
    assert metrics["generation"].tolist() == [0, 1, 2, 3, 4]  # whole rows, no partial one
    assert (out / "metrics.csv").read_bytes().endswith(b"\r\n")
    files = checkpoint.checkpoints(out)
    assert checkpoint.load(files[-1])["generation"] == 5  # the last whole generation
    st = status(out)
    assert st["status"] == "failed" and "cannot append" in st["error"] and st["generations_done"] == 5
    again = resume(out, log=lambda m: None)  # and it continues from there to the end
    ref = turinglearn.learn("aggregation", overrides=SETTINGS, out=tmp_path / "ref")
    assert again.summary()["inferred"] == ref.summary()["inferred"]


def test_full_disk_message_is_printed_once(tmp_path, monkeypatch, capsys):
    """Every write fails once the first checkpoint is on disk: the one-line error, not twice."""
    import turinglearn.app.runs as runs

    out = tmp_path / "run"
    real_fsync = os.fsync

    def fsync(fd):
        # once a checkpoint is on disk, no new file gets a block (a file rewritten in place does)
        if list((out / "checkpoints").glob("*.npz")) and os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(runs.os, "fsync", fsync)
    assert main(["run", "aggregation", "--out", str(out), *cli_sets(SETTINGS), "--quiet"]) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if " generations -> " not in line]
    assert len(err) == 1 and "No space left on device" in err[0], err
    monkeypatch.undo()
    assert status(out)["status"] == "failed"  # run.json rewritten in place when no new file fits
    assert [f.name for f in checkpoint.checkpoints(out)] == ["generation-000002.npz"]


def test_close_never_raises(tmp_path):
    from turinglearn.app.runs import RunDir

    run = RunDir(tmp_path)
    run.append_metrics({"generation": 0, "seconds": 1.0})

    class Broken:
        def fileno(self):
            raise OSError(errno.EIO, "I/O error")

        def close(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    run._metrics = Broken()
    run.close()  # nothing raised
    assert run._metrics is None


# --- 2. one writer per run directory ----------------------------------------------------------


def _interrupted_run(tmp_path: Path, settings=SETTINGS) -> Path:
    out = tmp_path / "run"

    def stop(record):
        if record.generation == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=settings, out=out, hooks=[stop])
    return out


def test_two_resumes_at_once_one_is_refused(tmp_path):
    out = _interrupted_run(tmp_path)
    cmd = [sys.executable, "-m", "turinglearn", "resume", str(out), "--quiet"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert "is being written by process" in refused and len(refused.strip().splitlines()) == 1
    assert read_metrics(out)["generation"].tolist() == list(range(9))  # 9 rows, not 15
    assert not (out / "run.lock").exists()


def test_live_lock_refuses_and_stale_lock_is_taken_over(tmp_path, capsys):
    out = _interrupted_run(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / "run.lock").write_text(json.dumps({"pid": sleeper.pid}))
        assert main(["resume", str(out), "--quiet"]) == 2
        one_line_error(capsys, f"is being written by process {sleeper.pid}")
    finally:
        sleeper.kill()
        sleeper.wait()
    # the holder is gone: its lock is stale, taken over with a message, and the run completes
    assert main(["resume", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"locked by process {sleeper.pid}, which is no longer running; taking over" in err
    assert status(out)["status"] == "complete" and not (out / "run.lock").exists()


def test_a_lock_from_another_host_says_how_to_take_it_and_half_written_files_go(tmp_path, capsys):
    """A requeued job on another node could never resume past a killed job's lock, and nothing
    said how; files a kill -9 left half-written stayed in checkpoints/ for good."""
    out = _interrupted_run(tmp_path)
    (out / "run.lock").write_text(json.dumps({"pid": 12345, "host": "node017"}))
    assert main(["resume", str(out), "--quiet"]) == 2
    one_line_error(capsys, f"on node017 (its lock run.lock); wait for it to finish, or stop it first; if it is not running any more (its node failed, its job was killed), delete {out / 'run.lock'}")
    (out / "run.lock").unlink()
    left = [out / "checkpoints" / ".generation-000016.npz.hyxz7op9.tmp", out / ".summary.json.abc.tmp"]
    for f in left:
        f.write_bytes(b"half")
    assert main(["resume", str(out), "--quiet"]) == 0
    assert not any(f.exists() for f in left)


def test_lock_of_a_reused_pid_is_stale(tmp_path):
    from turinglearn.app.runlock import RunLock

    (tmp_path / "run.lock").write_text(json.dumps({"pid": os.getpid(), "started": "0"}))
    said = []
    with RunLock(tmp_path, said.append):
        assert json.loads((tmp_path / "run.lock").read_text())["pid"] == os.getpid()
    assert said and not (tmp_path / "run.lock").exists()
    with RunLock(tmp_path), pytest.raises(RunDirError, match="is being written by process"):
        RunLock(tmp_path).acquire()  # held in this very process: still refused


# --- 3. settings that fail after all training --------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        (["--set", "evaluation.c2st_trials=1"], "evaluation.c2st_trials"),
        (["--set", "evaluation.c2st_trials=3", "--set", "evaluation.c2st_folds=5"], "evaluation.c2st_trials"),
        (["--set", "environment.n_replicas=0"], "environment.n_replicas"),
        (["--set", "learner.genuine_per_trial=5"], "learner.genuine_per_trial"),
    ],
)
def test_settings_that_cannot_finish_are_refused_before_the_first_generation(tmp_path, capsys, setting, key):
    out = tmp_path / "run"
    assert main(["run", "aggregation", "--out", str(out), *cli_sets(SETTINGS), *setting]) == 2
    one_line_error(capsys, key)
    assert not out.exists()


def test_gan_with_one_image_is_refused_before_training(tmp_path, capsys):
    pytest.importorskip("torch")
    one = tmp_path / "one_image.npy"
    np.save(one, np.zeros((1, 8, 8), np.uint8))
    out = tmp_path / "run"
    args = ["run", "gan-folder", "--set", f"data={json.dumps(str(one))}", "--out", str(out), "--device", "cpu"]
    assert main([*args, "--generations", "2"]) == 2
    one_line_error(capsys, "holds 1 image(s); the image metrics")
    assert not out.exists()


def test_a_failure_in_the_final_evaluation_marks_the_run_failed(tmp_path, monkeypatch):
    from turinglearn.app.swarm_run import SwarmExperiment

    def broken(self, *args, **kwargs):
        raise ValueError("the two-sample test broke")

    monkeypatch.setattr(SwarmExperiment, "finish", broken)
    out = tmp_path / "run"
    with pytest.raises(ValueError):
        turinglearn.learn("aggregation", overrides=SETTINGS, out=out)
    st = status(out)
    assert st["status"] == "failed" and "the two-sample test broke" in st["error"]
    assert st["generations_done"] == 9
    monkeypatch.undo()
    assert resume(out, log=lambda m: None).c2st is not None  # resumes into the evaluation alone


# --- 5. infinity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "setting"),
    [
        ("aggregation", "environment.init_side=inf"),
        ("aggregation-mlp", "models.weight_bound=inf"),
        ("aggregation", "evaluation.c2st_noise=inf"),
        ("aggregation", "models.sigma_init=-inf"),
        ("aggregation", "environment.truth=[0.1, inf, 0, 0]"),
    ],
)
def test_infinite_settings_are_refused(tmp_path, capsys, preset, setting):
    out = tmp_path / "run"
    assert main(["run", preset, "--out", str(out), "--set", setting]) == 2
    one_line_error(capsys, f"{setting.split('=')[0]}: must be a finite number")
    assert not out.exists()


def test_infinity_where_it_means_no_cap():
    cfg = turinglearn.load_config("aggregation", {"models.sigma_max": float("inf")})
    assert cfg.models.sigma_max == float("inf") and cfg.discriminators.sigma_max == float("inf")


# --- 6. turinglearn record ------------------------------------------------------------------------


def test_record_file_system_errors_are_one_line(tmp_path, capsys):
    small = ["--set", "environment.steps=10", "--set", "environment.n_agents=4", "--trials", "2"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    (tmp_path / "existing_dir.npz").mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    cases = [
        (afile / "x.npz", "afile"),
        (tmp_path / "existing_dir.npz", "is a directory"),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((ro / "x.npz", "Permission denied"))
    for out, fragment in cases:
        assert main(["record", "aggregation", "--out", str(out), *small]) == 2
        one_line_error(capsys, fragment)
    good = tmp_path / "rec.npz"
    assert main(["record", "aggregation", "--out", str(good), *small]) == 0
    before = good.read_bytes()
    capsys.readouterr()
    assert main(["record", "aggregation", "--out", str(good), *small, "--seed", "4"]) == 2
    one_line_error(capsys, "exists; choose another file, or replace it with --overwrite")
    assert good.read_bytes() == before
    assert main(["record", "aggregation", "--out", str(good), *small, "--seed", "4", "--overwrite"]) == 0
    assert good.read_bytes() != before
    assert not list(tmp_path.glob(".*.tmp"))


# --- 7. run names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ['"a\\u0000b"', '"../../x"', '"a/b"', '".."', '""'])
def test_run_names_are_one_folder_name(tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "aggregation", "--set", f"name={name}", *cli_sets(SETTINGS)]) == 2
    one_line_error(capsys, "name:")
    assert list(tmp_path.iterdir()) == []


# --- 8. config.toml edited before resume ----------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("[models]\npopulation = 10", "[models]\npopulation = 12"), "models.population"),
        (("seed = 0", "seed = 7"), "seed"),
        (("chunk_size = 50", "chunk_size = 5"), "execution.chunk_size"),
    ],
)
def test_resume_refuses_an_edit_that_changes_the_run(tmp_path, capsys, edit, key):
    out = _interrupted_run(tmp_path)
    text = (out / "config.toml").read_text()
    assert edit[0] in text
    (out / "config.toml").write_text(text.replace(edit[0], edit[1]))
    before = (out / "metrics.csv").read_bytes()
    assert main(["resume", str(out), "--quiet"]) == 2
    line = one_line_error(capsys, "config.toml differs from the settings of generation-000004.npz")
    assert key in line
    assert (out / "metrics.csv").read_bytes() == before and status(out)["status"] == "interrupted"


def test_resume_accepts_an_edit_of_how_it_runs(tmp_path):
    out = _interrupted_run(tmp_path)
    text = (out / "config.toml").read_text()
    (out / "config.toml").write_text(text.replace("workers = 0", "workers = 3").replace("retries = 2", "retries = 5"))
    ref = turinglearn.learn("aggregation", overrides=SETTINGS, out=tmp_path / "ref")
    again = resume(out, log=lambda m: None)
    assert again.summary()["inferred"] == ref.summary()["inferred"]


def test_resume_set_changes_how_it_runs_for_the_rest_of_the_run(tmp_path, capsys):
    out = _interrupted_run(tmp_path)
    assert main(["resume", str(out), "--quiet", "--set", "execution.workers=3", "--set", "execution.retries=5"]) == 0
    capsys.readouterr()
    written = turinglearn.load_config(out / "config.toml", strict=False)
    assert written.execution.workers == 3 and written.execution.retries == 5
    ref = turinglearn.learn("aggregation", overrides=SETTINGS, out=tmp_path / "ref")
    assert json.loads((out / "summary.json").read_text())["inferred"] == ref.summary()["inferred"]


def test_resume_set_applies_to_the_session_it_starts(tmp_path, capsys):
    out = _interrupted_run(tmp_path)
    assert main(["resume", str(out), "--quiet", "--set", "stopping.max_simulations=1"]) == 0
    assert "stopped by max_simulations" in capsys.readouterr().err
    assert status(out)["stopped"]["rule"] == "max_simulations"
    assert turinglearn.load_config(out / "config.toml", strict=False).stopping.max_simulations == 1


def test_resume_set_refuses_the_convergence_rule_where_it_times_the_restart(tmp_path, capsys):
    out = _interrupted_run(tmp_path)  # the aggregation preset: its restart is checked when the estimate settles
    before = (out / "config.toml").read_bytes()
    assert main(["resume", str(out), "--quiet", "--set", "stopping.patience=6"]) == 2
    one_line_error(capsys, "stopping.patience: tells when this run's restart is checked")
    (out / "config.toml").write_text(before.decode().replace("patience = 120", "patience = 6"))
    assert main(["resume", str(out), "--quiet"]) == 2
    assert "stopping.patience = 6, the run's is 120" in one_line_error(capsys, "config.toml differs")
    quiet = _interrupted_run(tmp_path / "off", {**SETTINGS, "stopping.restart_above": 0})
    assert main(["resume", str(quiet), "--quiet", "--set", "stopping.patience=6"]) == 0


def test_resume_set_leaves_the_config_as_it_was_when_the_run_cannot_be_rebuilt(tmp_path, capsys):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    out = _interrupted_run(tmp_path)
    before = (out / "config.toml").read_bytes()
    assert main(["resume", str(out), "--quiet", "--set", "execution.array=torch", "--set", "execution.device=cuda"]) == 2
    one_line_error(capsys, "cuda")
    assert (out / "config.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("models.population=12", "models.population: only execution settings"),
        ("stopping.restart_above=0.5", "stopping.restart_above: only execution settings"),
        ("execution.retries=abc", "execution.retries: must be an integer"),
    ],
)
def test_resume_set_refuses_what_changes_the_run_and_bad_values(tmp_path, capsys, setting, fragment):
    out = _interrupted_run(tmp_path)
    before = {name: (out / name).read_bytes() for name in ("config.toml", "metrics.csv")}
    assert main(["resume", str(out), "--quiet", "--set", setting]) == 2
    one_line_error(capsys, fragment)
    assert {name: (out / name).read_bytes() for name in before} == before
    assert status(out)["status"] == "interrupted"


def test_checkpoints_record_their_settings(tmp_path):
    out = _interrupted_run(tmp_path)
    state = checkpoint.load(checkpoint.checkpoints(out)[-1])
    settings = state["fingerprint"]["settings"]
    assert settings["models.population"] == 10 and settings["execution.chunk_size"] == 50
    assert "execution.workers" not in settings
    with pytest.raises(ConfigError, match="seed = 3, the run's is 0"):
        checkpoint.check_fingerprint(state, turinglearn.load_config("aggregation", {**SETTINGS, "seed": 3}), "x")


# --- 9. a damaged metrics.csv ------------------------------------------------------------------


def test_report_on_a_damaged_metrics_file(tmp_path, capsys):
    out = tmp_path / "run"
    turinglearn.learn("aggregation", overrides={**SETTINGS, "generations": 3}, out=out)
    lines = (out / "metrics.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[3] = "abc"
    (out / "metrics.csv").write_text("\n".join([*lines[:2], ",".join(cells), *lines[3:]]) + "\n")
    assert main(["report", str(out)]) == 2
    one_line_error(capsys, "metrics.csv is damaged: line 3, column")
    (out / "metrics.csv").write_bytes(b"generation,seconds\n0,1\n1,\x00\n")
    assert main(["report", str(out)]) == 2
    one_line_error(capsys, "metrics.csv is damaged")
    # a damaged summary.json: the plots are still drawn from metrics.csv, then the one-line error
    (out / "metrics.csv").write_text("\n".join(lines) + "\n")
    (out / "summary.json").write_text('{"inferred": [0.1, ')
    (out / "parameters.png").unlink()
    assert main(["report", str(out)]) == 2
    one_line_error(capsys, "summary.json is damaged")
    assert (out / "parameters.png").is_file()
    (out / "summary.json").write_text("3")
    assert main(["report", str(out)]) == 2
    one_line_error(capsys, "summary.json is damaged (a JSON int, not an object)")


def test_a_row_cut_short_at_the_end_is_dropped(tmp_path):
    (tmp_path / "metrics.csv").write_text("generation,seconds\n0,1.5\n1,2.5\n2,")
    assert read_metrics(tmp_path)["generation"].tolist() == [0, 1]


# --- 10. orphaned workers -------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_pool_workers_end_when_the_run_is_killed(tmp_path):
    out = tmp_path / "run"
    settings = {**SETTINGS, "generations": 400, "execution.chunk_size": 5}
    cmd = [sys.executable, "-m", "turinglearn", "run", "aggregation", *cli_sets(settings), "--generations", "400"]
    proc = subprocess.Popen(
        [*cmd, "--out", str(out), "--quiet", "--backend", "processes", "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.monotonic()
    while not checkpoint.checkpoints(out):  # workers started and working
        assert proc.poll() is None and time.monotonic() - t0 < 60
        time.sleep(0.05)
    children = _children(proc.pid)
    assert len(children) >= 2  # the workers (and the resource tracker)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and any(Path(f"/proc/{c}").exists() for c in children):
        for c in children:  # reap zombies of processes that were reparented to this one
            try:
                os.waitpid(c, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.1)
    alive = [c for c in children if Path(f"/proc/{c}/stat").exists() and " Z " not in Path(f"/proc/{c}/stat").read_text()]
    for c in alive:  # do not leave them behind if the test fails
        os.kill(c, signal.SIGKILL)
    assert alive == []


# --- smaller ----------------------------------------------------------------------------------------


def test_a_run_that_fails_at_its_start_leaves_out_free(tmp_path, monkeypatch, capsys):
    """e.g. an unreachable --scheduler: the same --out can be used again."""
    import turinglearn.app.swarm_run as swarm_run
    from turinglearn.execution.backends import WorkerError

    def unreachable(*args, **kwargs):
        raise WorkerError("cannot reach the Dask scheduler at 'tcp://nowhere:8786'")

    monkeypatch.setattr(swarm_run, "make_backend", unreachable)
    out = tmp_path / "run"
    args = ["run", "aggregation", "--out", str(out), "--generations", "9", *cli_sets(SETTINGS), "--quiet"]
    assert main(args) == 2
    one_line_error(capsys, "cannot reach the Dask scheduler")
    assert not out.exists()
    monkeypatch.undo()
    assert main(args) == 0


def test_sigterm_during_the_final_evaluation_is_a_stop(tmp_path):
    """The signal arrives while the C2ST runs: message, status interrupted, resume finishes it."""
    out = tmp_path / "run"
    code = (
        "import os, signal, sys\n"
        "from turinglearn.app.swarm_run import SwarmExperiment as S\n"
        "real = S.finish\n"
        "def finish(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*a, **k)\n"
        "S.finish = finish\n"
        "from turinglearn.app.cli import main\n"
        f"sys.exit(main(['run', 'aggregation', '--out', {str(out)!r}, '--generations', '9', '--quiet', "
        f"*{cli_sets(SETTINGS)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "stopped by SIGTERM after 9 generations" in done.stderr
    assert status(out)["status"] == "interrupted" and not (out / "summary.json").exists()
    assert resume(out, log=lambda m: None).c2st is not None
    assert status(out)["status"] == "complete"


def test_toml_directory_is_named_as_one(tmp_path, capsys):
    (tmp_path / "cfg.toml").mkdir()
    assert main(["run", str(tmp_path / "cfg.toml")]) == 2
    one_line_error(capsys, "is a directory")


def test_list_type_names_read_well():
    with pytest.raises(ConfigError, match="must be a list of numbers"):
        turinglearn.load_config("aggregation", {"environment.truth": 3})


def test_rows_appended_to_an_older_runs_metrics_keep_its_columns(tmp_path):
    """A run resumed from an older version's checkpoint appends to a metrics.csv whose header
    lacks a newer column (or has one this version no longer writes): the file stays readable."""
    from turinglearn.app.runs import RunDir

    (tmp_path / "metrics.csv").write_text("generation,seconds,gone\n0,1.0,3.0\n")
    run = RunDir(tmp_path)
    run.append_metrics({"generation": 1, "seconds": 2.0, "history_penalty": 0.5})
    run.close()
    cols = read_metrics(tmp_path)
    assert list(cols) == ["generation", "seconds", "gone"]
    np.testing.assert_array_equal(cols["seconds"], [1.0, 2.0])
    assert cols["gone"][0] == 3.0 and np.isnan(cols["gone"][1])


def test_the_history_stays_rectangular_when_columns_come_and_go(tmp_path):
    """A checkpoint's history with a column this version no longer writes, and rows with a
    column the checkpoint lacks: every column keeps one value a generation (NaN where unknown),
    so the next checkpoint and resume see a rectangle."""
    from turinglearn.app.hooks import MetricsRecorder

    history = {"generation": [0.0, 1.0], "gone": [3.0, 4.0]}
    MetricsRecorder(lambda r: {"generation": 2, "new": 0.5}, history, None)(None)
    assert {k: len(v) for k, v in history.items()} == {"generation": 3, "gone": 3, "new": 3}
    assert np.isnan(history["gone"][2]) and np.isnan(history["new"][:2]).all() and history["new"][2] == 0.5


def test_a_checkpoint_from_before_a_setting_existed_resumes_with_its_default(tmp_path):
    out = _interrupted_run(tmp_path)
    state = checkpoint.load(checkpoint.checkpoints(out)[-1])
    settings = dict(state["fingerprint"]["settings"])
    del settings["learner.model_fitness"]  # as written by a version without the setting
    old = {**state, "fingerprint": {"digest": "older", "settings": settings}}
    checkpoint.check_fingerprint(old, turinglearn.load_config("aggregation", SETTINGS), "x")  # the default: accepted
    changed = turinglearn.load_config("aggregation", {**SETTINGS, "learner.model_fitness": "outputs"})
    with pytest.raises(ConfigError, match=r'learner\.model_fitness = "outputs", the run.s is \(absent\)'):
        checkpoint.check_fingerprint(old, changed, "x")
