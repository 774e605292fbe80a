"""`turinglearn sample` / sample_run: trials of a finished run's inferred model beside the
system's, as its held-out test draws them (a GAN's images: tests/gan/test_gan_resume.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import build_system, make_simulator
from turinglearn.app.cli import main
from turinglearn.app.sampling import sample_run
from turinglearn.config import load_config
from turinglearn.errors import TuringLearnError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from helpers import TINY

    base = tmp_path_factory.mktemp("runs")
    turinglearn.learn("aggregation", generations=2, overrides=TINY, out=base / "agg")
    interactive = {k: v for k, v in TINY.items() if k != "environment.n_agents"}
    turinglearn.learn("stimulus-response", generations=2, overrides=interactive, out=base / "sr")
    return base


def test_the_inferred_models_trials_are_those_the_system_draws_for_it(runs):
    inferred = np.asarray(json.loads((runs / "agg" / "summary.json").read_text())["inferred"])
    got = sample_run(runs / "agg", 6, seed=2)
    config = load_config(str(runs / "agg" / "config.toml"))
    system, _ = build_system(config, make_simulator(config))
    genuine, counterfeit = system.trajectories(inferred[None], np.random.default_rng(2), 6)
    np.testing.assert_array_equal(got["genuine"], genuine[0])
    np.testing.assert_array_equal(got["counterfeit"], counterfeit[0])
    np.testing.assert_array_equal(got["theta"], inferred)
    assert got["genuine"].shape[0] == 6 and got["feature_names"].tolist() == ["linear_speed", "angular_speed"]
    again = sample_run(runs / "agg", 6, seed=2)
    np.testing.assert_array_equal(again["counterfeit"], got["counterfeit"])


def test_an_interactive_runs_trials_under_a_schedule(runs, tmp_path, capsys):
    random = sample_run(runs / "sr", 5, seed=0)
    passive = sample_run(runs / "sr", 5, seed=0, schedule="passive")
    assert random["schedule"] == "random" and passive["schedule"] == "passive"
    assert random["genuine"].shape == passive["genuine"].shape == (5, 1, 20, 2)
    assert not np.array_equal(random["genuine"], passive["genuine"])
    out = tmp_path / "s.npz"
    assert main(["sample", str(runs / "sr"), "-n", "5", "--schedule", "passive", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: genuine [5, 1, 20, 2] and counterfeit [5, 1, 20, 2]")
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["counterfeit"], passive["counterfeit"])
    # a run that learned passively is sampled under its passive schedule unless told (random stimuli had been the default)
    config = load_config(str(runs / "sr" / "config.toml"))
    watched = runs / "sr-passive"
    watched.mkdir()
    for f in ("config.toml", "summary.json", "run.json"):
        (watched / f).write_bytes((runs / "sr" / f).read_bytes())
    (watched / "config.toml").write_text((runs / "sr" / "config.toml").read_text().replace("passive = false", "passive = true"))
    assert load_config(str(watched / "config.toml")).learner.passive and not config.learner.passive
    default = sample_run(watched, 5, seed=0)
    assert default["schedule"] == "passive"
    np.testing.assert_array_equal(default["genuine"], passive["genuine"])
    assert sample_run(watched, 5, seed=0, schedule="random")["schedule"] == "random"


def test_what_cannot_be_sampled_is_said_in_one_line(runs, tmp_path, capsys):
    cases = [
        (["sample", str(runs / "agg"), "--schedule", "passive"], "a schedule drives an interactive system's stimuli"),
        (["sample", str(tmp_path / "nowhere")], "is not a directory"),
        (["sample", str(runs / "agg"), "-n", "0"], "must be a whole number of at least 1"),
        (["sample", str(runs / "agg"), "--out", str(tmp_path / "x.png")], "trials are written as .npz"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.toml").write_text((runs / "agg" / "config.toml").read_text())
    (unfinished / "run.json").write_text((runs / "agg" / "run.json").read_text())
    assert main(["sample", str(unfinished)]) == 2
    assert "has no summary.json: the run is not finished" in capsys.readouterr().err


def test_a_simulator_objects_run_is_sampled_given_the_object(tmp_path):
    """An ecologist's sample_run of a run made on a simulator object: its config.toml cannot
    rebuild the object, and sample_run took none (resume does)."""
    from helpers import TINY, load_example

    drift = load_example("own_swarm")
    sim = drift.DriftSwarm(drift.DriftConfig(n_agents=3, n_replicas=1, steps=15))
    small = {k: v for k, v in TINY.items() if not k.startswith("environment.")}
    turinglearn.learn(simulator=sim, generations=2, overrides=small, out=tmp_path / "obj", check=False)
    with pytest.raises(TuringLearnError, match=r"sample_run\(.*simulator=YourSimulator"):
        sample_run(tmp_path / "obj", 3)
    got = sample_run(tmp_path / "obj", 3, simulator=sim)
    assert got["genuine"].shape == (3, 3, 15, 2) and got["counterfeit"].shape == (3, 1, 15, 2)


def test_a_simulator_without_a_truth_and_no_recording_is_refused(tmp_path):
    """An ecologist's run with no truth and no data, --no-check, reported an estimate of nothing."""
    from helpers import TINY, load_example

    drift = load_example("own_swarm")

    class Untrue(drift.DriftSwarm):
        truth = None

    small = {k: v for k, v in TINY.items() if not k.startswith("environment.")}
    with pytest.raises(turinglearn.ConfigError, match=r"^data: Untrue has no truth, and the config gives no recording"):
        turinglearn.learn(simulator=Untrue(), generations=1, overrides=small, check=False)
