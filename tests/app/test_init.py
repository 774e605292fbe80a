"""`turinglearn init ROUTE NAME` writes a system of one's own that passes the checker and runs
from its folder with the config written beside it."""

import json

import pytest

import turinglearn
from turinglearn.app.cli import main

TINY = [
    "--generations", "3",
    "--set", "models.population=8", "--set", "models.parents=4",
    "--set", "discriminators.population=8", "--set", "discriminators.parents=4",
    "--set", "evaluation.c2st_trials=10",
    "--set", "evaluation.c2st_folds=2", "--quiet",
]  # fmt: skip


@pytest.mark.parametrize(
    ("route", "name"), [("swarm", "init_swarm"), ("agent", "init_agent"), ("gym", "init_gym")]
)
def test_init_writes_a_system_that_checks_and_runs(route, name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["init", route, name]) == 0
    assert (tmp_path / f"{name}.py").exists() and (tmp_path / f"{name}.toml").exists()
    cls = "".join(p.capitalize() for p in name.split("_"))
    report = turinglearn.check_environment(f"{name}:{cls}-v0")
    assert not report.problems and not report.warnings
    trials = [] if route == "swarm" else ["--set", "learner.genuine_trials=4"]  # a swarm has none: refused there
    assert main(["run", f"{name}.toml", "--out", "run", *TINY, *trials]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["name"] == name and len(summary["inferred"]) == 2
    # never overwrites
    assert main(["init", route, name]) == 2
    assert "already exist" in capsys.readouterr().err


def test_init_refuses_a_name_that_is_not_a_module(tmp_path, capsys):
    assert main(["init", "swarm", "my-swarm", "--dir", str(tmp_path)]) == 2
    assert "module name" in capsys.readouterr().err


def test_a_system_without_a_truth_is_told_how_to_give_one(tmp_path, monkeypatch, capsys):
    """A biologist's simulator of real data has no truth: `record` crashed inside its rollout,
    and `check` advised a setting (environment.truth) that its settings class does not have."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["init", "swarm", "no_truth"]) == 0
    source = tmp_path / "no_truth.py"
    source.write_text(source.read_text().replace("truth = np.array([0.2, 0.05])", "truth = None"))
    for command in (["record", "no_truth.toml", "--out", "rec.npz"], ["check", "no_truth.toml"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "no_truth:NoTruth-v0 has no truth" in err and "give the simulator a truth inside the bounds" in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "rec.npz").exists()
    from turinglearn.app.preflight import truth_advice
    from turinglearn.config import load_config

    assert truth_advice(load_config("aggregation")).startswith("set environment.truth")  # its settings have one
