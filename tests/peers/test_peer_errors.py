"""Bad input for the peers (turinglearn.peers): one line naming the fix, exit 2, nothing written.
These run without sbi or pyABC: every check comes before a peer imports them."""

import importlib.util

import numpy as np
import pytest

from turinglearn.app.cli import main
from turinglearn.systems.recording_files import write_recording

#: a 16-individual recording of a tiny aggregation swarm (2 trials of 4 + 4 robots, 15 steps)
SMALL = ["--set", "environment.n_agents=4", "--set", "environment.steps=15", "--quiet"]


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "rec.npz"
    assert main(["record", "aggregation", "--out", str(path), "--trials", "2", *SMALL[:4]]) == 0
    return path


def _one_line_error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    err = [line for line in lines if not line.startswith("turinglearn: warning:")]  # the small recording's
    assert len(err) == 1 and err[0].startswith("turinglearn: error:"), err
    return err[0]


@pytest.mark.parametrize("kind", ["npe", "npe-summary", "abc-smc"])
def test_missing_extra_names_the_install(kind, recording, tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    gone = {"sbi", "pyabc", "torch"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in gone else real(name, *a)
    )
    out = tmp_path / "never"
    args = ["run", "aggregation", *SMALL, "--set", f"data={recording}", "--set", f"learner.kind={kind}"]
    assert main([*args, "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert "learner.kind" in line and "pip install 'turinglearn[peers]'" in line
    assert not out.exists()


def test_budget_too_small_for_the_density_estimator(recording, tmp_path, capsys):
    out = tmp_path / "never"
    # 16 trajectories a simulation (the recording's 16 individuals: 2 swarms of 8): 800 pay for 50
    args = ["run", "aggregation", *SMALL, "--set", f"data={recording}", "--set", "learner.kind=npe"]
    assert main([*args, "--set", "stopping.max_simulations=799", "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert (
        "stopping.max_simulations" in line
        and "at least 50 simulations" in line
        and "800 trajectories" in line
    )
    assert not out.exists()
    assert main([*args, "--set", "learner.kind=abc-smc", "--set", "stopping.max_simulations=1000"]) == 2
    assert "at least 100 simulations" in _one_line_error(capsys)


def test_a_peer_needs_a_recording(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", "aggregation", *SMALL, "--set", "learner.kind=npe-summary", "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("turinglearn: error: data:") and "turinglearn record" in line
    assert not out.exists()


def test_a_recording_without_the_features_a_peer_needs(tmp_path, capsys):
    bad = tmp_path / "speeds_only.npz"
    write_recording(bad, np.zeros((8, 15, 1)), ["linear_speed"])  # no angular_speed column
    out = tmp_path / "never"
    args = ["run", "aggregation", *SMALL, "--set", f"data={bad}", "--set", "learner.kind=abc-smc"]
    assert main([*args, "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert "lacks column(s) 'angular_speed'" in line
    assert not out.exists()


def test_ones_own_statistics_and_particles_are_named_where_they_cannot_apply(recording, tmp_path, capsys, monkeypatch):
    """learner.peer_summary and learner.peer_population (an sbi user's statistics, ABC's
    particles) belong to the peers that read them; a module that is not there, or more particles
    than the budget can fill, is one line before anything runs."""
    out = tmp_path / "never"
    base = ["run", "aggregation", *SMALL, "--set", f"data={recording}", "--out", str(out)]
    cases = [
        (["learner.peer_summary=mystats:stats"], "learner.peer_summary: the statistics of npe-summary and abc-smc; learner.kind = 'turing'"),
        (["learner.kind=npe", "learner.peer_population=40"], "learner.peer_population: abc-smc's particles; learner.kind = 'npe'"),
        (["learner.kind=abc-smc", "learner.peer_summary=stats"], "must be 'module:function'"),
        (["learner.kind=abc-smc", "learner.peer_summary=no_such_stats_module:stats"], "cannot load 'no_such_stats_module:stats'"),
        (["learner.kind=abc-smc", "learner.peer_population=80", "stopping.max_simulations=2400"],
         "learner.peer_population: 80 particles a generation need at least 160 simulations"),
    ]  # fmt: skip
    for sets, fragment in cases:
        assert main([*base, *(a for s in sets for a in ("--set", s))]) == 2, sets
        assert fragment in _one_line_error(capsys), sets
        assert not out.exists()
    (tmp_path / "flatstats.py").write_text("def stats(x):\n    return x.mean(axis=(1, 2, 3))\n")
    monkeypatch.chdir(tmp_path)
    args = [*base, "--set", "learner.kind=abc-smc", "--set", "learner.peer_summary=flatstats:stats"]
    assert main(args) == 2
    assert "learner.peer_summary: stats(x) returned shape (1,) for x of shape (1, 16, 15, 2): it returns [B, k]" in _one_line_error(capsys)
