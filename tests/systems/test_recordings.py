"""Recorded observations: the file schema and its validation, writing recordings from a simulator,
and learning from one as well as from the simulator."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import turinglearn
from turinglearn.app.cli import main
from turinglearn.app.recording import record
from turinglearn.config import load_config
from turinglearn.errors import ConfigError
from turinglearn.systems.recorded import read_recording, write_recording

NAMES = ("angle", "angular_velocity")


def _x(n=4, t=6, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, t, len(NAMES)))


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_round_trip(tmp_path, suffix):
    x = _x()
    path = write_recording(tmp_path / f"rec{suffix}", x, NAMES, truth=(10.0, 2.0))
    rec = read_recording(path, NAMES, steps=6)
    np.testing.assert_array_equal(rec.x, x)
    assert rec.feature_names == NAMES and rec.ids.tolist() == [0, 1, 2, 3]
    assert (rec.truth is not None) == (suffix == ".npz")
    # without feature names, the file's own (turinglearn.read_recording("rec.npz") asked for them)
    own = turinglearn.read_recording(path)
    assert own.feature_names == NAMES and np.array_equal(own.x, x)
    if suffix == ".csv":  # and its stimuli, where it carries them
        text = path.read_text().splitlines()
        stimulated = [text[0] + ",stimulus_0"] + [row + ",0.5" for row in text[1:]]
        (tmp_path / "stim.csv").write_text("\n".join(stimulated) + "\n")
        both = turinglearn.read_recording(tmp_path / "stim.csv")
        assert both.feature_names == NAMES and both.stimulus.shape == (4, 6, 1) and (both.stimulus == 0.5).all()


def test_rows_in_any_order_with_any_ids(tmp_path):
    x = _x(n=3, t=4)
    rows = [(10 * (i + 1), t, *map(float, x[i, t])) for i in range(3) for t in range(4)]
    rows = [rows[j] for j in np.random.default_rng(1).permutation(len(rows))]
    path = tmp_path / "rec.csv"
    path.write_text(
        "individual,step,angle,angular_velocity\n" + "\n".join(",".join(map(repr, r)) for r in rows)
    )
    rec = read_recording(path, NAMES, steps=4)
    assert rec.ids.tolist() == [10, 20, 30]
    np.testing.assert_array_equal(rec.x, x)


def _csv(tmp_path, header, rows, name="bad.csv"):
    path = tmp_path / name
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return path


GOOD = [(i, t, 0.1, -0.2) for i in range(2) for t in range(3)]


@pytest.mark.parametrize(
    "header, rows, steps, message",
    [
        (
            ("individual", "step", "angle"),
            [r[:3] for r in GOOD],
            3,
            r"lacks column\(s\) 'angular_velocity'.*has 1 feature column\(s\), the environment has 2",
        ),
        (
            ("individual", "step", "angle", "angular_velocity", "torque"),
            [(*r, 0) for r in GOOD],
            3,
            r"unexpected column\(s\) 'torque'.*has 3 feature column\(s\)",
        ),
        (
            ("id", "step", "angle", "angular_velocity"),
            GOOD,
            3,
            r"lacks column\(s\) 'individual'.*schema is: individual, step, angle, angular_velocity",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            [*GOOD[:4], (1, 1, "nan", 0.0), GOOD[5]],
            3,
            r"column 'angle' has nan at individual 1, step 1",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            GOOD[:-1],
            3,
            r"ragged: individual 1 has 2 steps, individual 0 has 3.*a track that stops because the trial ended .* is "
            r"not a gap: repeat its last row to the end",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            [*GOOD[:5], (1, 5, 0.1, 0.1)],
            3,
            r"individual 1 has steps \[0, 1, 5\].*every step 0 \.\. 2 exactly once \(steps \[2\] are missing",
        ),
        (  # every other frame dropped (an auditor's): the simulator's 4 steps named, not the file's 2
            ("individual", "step", "angle", "angular_velocity"),
            [(0, 0, 0.1, 0.1), (0, 2, 0.1, 0.1), (1, 0, 0.1, 0.1), (1, 2, 0.1, 0.1)],
            4,
            r"individual 0 has steps \[0, 2\].*every step 0 \.\. 3 exactly once \(steps \[1, 3\] are missing",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            GOOD,
            5,
            r"3 steps per individual; the simulator runs 5 \(its config.steps\). A step must last as long on both "
            r"sides: if the recording's frame rate differs from the simulator's step, resample the recording to it "
            r"first \(changing the steps instead fits the parameters to the wrong time scale\); if the tracks are "
            r"longer or shorter, make them agree: for a registered "
            r"environment with environment.steps = 3 \(--set environment.steps=3\), for a simulator object by "
            r"building it with 3 steps, or record tracks of at least 5 steps \(shorter ones cannot be used\)",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            GOOD,
            2,
            r"3 steps per individual; the simulator runs 2 .* or cut the recording's tracks into windows of 2 steps",
        ),
        (
            ("", "individual", "step", "angle", "angular_velocity"),  # pandas' to_csv without index=False
            [(i, *row) for i, row in enumerate(GOOD)],
            3,
            r"has unexpected column\(s\) '' \(a table's index: write it with index=False\)",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            [(0.5, 0, 0.1, 0.1)],
            1,
            r"column 'individual' must hold integers",
        ),
        (
            ("individual", "step", "angle", "angular_velocity"),
            [*GOOD[:5], (1, 2, 9.0, 0.0)],
            3,
            r"angle = 9 at individual 1, step 2 lies outside the declared range \[-6.28319, 6.28319\]",
        ),
    ],
)
def test_invalid_recordings_are_named(tmp_path, header, rows, steps, message):
    from turinglearn.environments.gym_tasks import PendulumPDSim

    path = _csv(tmp_path, header, rows)
    with pytest.raises(ConfigError, match=message) as e:
        read_recording(path, NAMES, steps=steps, feature_space=PendulumPDSim().feature_space)
    assert str(e.value).startswith("data: recording")


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_recording(tmp_path / "nope.npz", NAMES)
    (tmp_path / "rec.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"unknown file type '.txt'; use one of .csv, .npz, .parquet"):
        read_recording(tmp_path / "rec.txt", NAMES)
    np.savez(tmp_path / "rec.npz", individual=np.zeros((2, 2)), step=np.zeros(4))
    with pytest.raises(
        ConfigError, match="array 'individual' has shape \\(2, 2\\); every column must be 1-D"
    ) as e:
        read_recording(tmp_path / "rec.npz", NAMES)
    assert "From x [N, T, F]: id = np.repeat(np.arange(N), T), step = np.tile(np.arange(T), N)" in str(e.value)


def test_a_spreadsheets_exports_are_named_with_the_fix(tmp_path):
    """What a newcomer's exports did (a header forgotten, ';' between columns, animals named, an
    object column in an .npz) is named with the fix, not as a column named twice or a count of
    values."""
    rows = [",".join(str(v) for v in r) for r in GOOD]
    cases = {
        "no_header.csv": ("\n".join(rows), r"its first line is data \(0, 0, 0.1, -0.2\), not a header; add a first line"),
        "semicolon.csv": (
            "individual;step;angle;angular_velocity\n" + "\n".join(r.replace(",", ";") for r in rows),
            r"its columns are separated by ';', not commas; save it comma-separated",
        ),
        "named.csv": (
            "individual,step,angle,angular_velocity\n" + "\n".join("ant_" + r for r in rows),
            r"column 'individual': could not convert .*; number the individuals 0, 1, \.\.\. instead of naming them",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text + "\n")
        with pytest.raises(ConfigError, match=message):
            read_recording(tmp_path / name, NAMES, steps=3)
    x = _x()
    np.savez(tmp_path / "objects.npz", individual=np.repeat(np.arange(len(x)), 6), step=np.tile(np.arange(6), len(x)),
             angle=x[:, :, 0].ravel().astype(object), angular_velocity=x[:, :, 1].ravel())  # fmt: skip
    with pytest.raises(ConfigError, match=r"holds Python objects \(dtype object.*\.astype\(float\)"):
        read_recording(tmp_path / "objects.npz", NAMES, steps=6)


def test_a_recordings_truth_outside_the_bounds_is_warned_of(tmp_path):
    from turinglearn.app.build import make_simulator
    from turinglearn.systems.recorded import RecordedSystem

    cfg = load_config("pendulum-pd", {"environment.steps": 6})
    sim = make_simulator(cfg)
    path = write_recording(tmp_path / "rec.npz", _x(), NAMES, truth=[60.0, 2.0])
    with pytest.warns(UserWarning, match=r"truth lies outside the model family's bounds \(kp 60 not in \[0, "):
        RecordedSystem(sim, read_recording(path, NAMES, steps=6))


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    (tmp_path / "rec.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigError, match="needs pyarrow: pip install pyarrow"):
        read_recording(tmp_path / "rec.parquet", NAMES)


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    x = _x()
    rec = read_recording(write_recording(tmp_path / "rec.parquet", x, NAMES), NAMES, steps=6)
    np.testing.assert_array_equal(rec.x, x)


def test_record_writes_the_truths_behaviour(tmp_path):
    """A recording of the pendulum under the passive schedule is the simulator's passive trials."""
    cfg = load_config("pendulum-pd", {"environment.steps": 20})
    path = record(cfg, tmp_path / "pd.npz", trials=7, seed=3)
    rec = read_recording(path, NAMES, steps=20)
    assert rec.x.shape == (7, 20, 2)
    np.testing.assert_array_equal(rec.truth, [10.0, 2.0])
    again = read_recording(record(cfg, tmp_path / "pd2.npz", trials=7, seed=3), NAMES, steps=20)
    np.testing.assert_array_equal(rec.x, again.x)  # deterministic under a seed


def test_record_a_simulator_object_and_refuse_a_config_without_an_environment(tmp_path):
    """From Python a simulator object is recorded as learn takes it (record had no simulator=,
    and the own-system preset, which names no environment, silently recorded aggregation); a
    config whose environment id changes drops the old environment's settings."""
    from helpers import load_example

    module = load_example("own_swarm")
    path = record(out=tmp_path / "drift.npz", simulator=module.DriftSwarm(), trials=3, seed=1)
    rec = read_recording(path, module.DriftSwarm().feature_names, steps=40)
    assert rec.x.shape == (3 * 6, 40, 2)  # every robot of 3 swarms of 6 is an individual
    np.testing.assert_array_equal(rec.truth, module.DriftSwarm().truth)
    with pytest.raises(turinglearn.errors.TuringLearnError, match="own-system names no environment"):
        record("own-system", tmp_path / "agg.npz", trials=2)
    with pytest.raises(TypeError, match=r"pass a simulator as record\(out=..., simulator=DriftSwarm\(...\)\)"):
        record(module.DriftSwarm(), tmp_path / "x.npz")
    moved = load_config("own-system").replace(**{"environment.id": "turinglearn/PendulumPD-v0"})
    assert moved.environment.id == "turinglearn/PendulumPD-v0" and "init_side" not in moved.environment.options


def test_interactive_environment_needs_passive_learning(tmp_path, capsys):
    path = record(load_config("pendulum-pd", {"environment.steps": 20}), tmp_path / "pd.npz", trials=3)
    with pytest.raises(
        ConfigError, match=r"data: a recording cannot respond to interrogators.*learner.passive = true"
    ):
        turinglearn.build(load_config("pendulum-pd", {"environment.steps": 20, "data": str(path)}))
    # the command line's hint says so (it gave --set data= alone, which that error answers); check takes --passive
    assert main(["record", "pendulum-pd", "--out", str(tmp_path / "cli.npz"), "--trials", "3", "--set", "environment.steps=20"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"learn from it with --set data={tmp_path / 'cli.npz'} --passive")
    assert main(["check", "pendulum-pd", "--passive", "--set", f"data={path}", "--set", "environment.steps=20"]) == 0


def test_cli_record_then_learn_from_it(tmp_path, capsys):
    rec = tmp_path / "agg.csv"
    assert (
        main(["record", "aggregation", "--out", str(rec), "--trials", "3", "--set", "environment.steps=10"])
        == 0
    )
    # every robot of 3 swarms of the truth: the preset's 10 agents + 4 replicas each
    assert f"recorded {3 * (10 + 4)} individuals x 10 steps" in capsys.readouterr().out
    out = tmp_path / "run"
    small = [
        "models.population=6",
        "models.parents=3",
        "discriminators.population=6",
        "discriminators.parents=3",
    ]
    argv = [
        "run",
        "aggregation",
        "--generations",
        "2",
        "--out",
        str(out),
        "--quiet",
        "--set",
        f"data={json.dumps(str(rec))}",
    ]
    argv += ["--set", "environment.steps=10", "--set", "evaluation.c2st_trials=10"]
    for s in small:
        argv += ["--set", s]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"] == str(rec) and summary["truth"] is None  # a CSV carries no truth
    argv[argv.index(str(out))] = str(tmp_path / "run2")
    assert main([*argv, "--set", "environment.steps=12"]) == 2
    assert "has 10 steps per individual; the simulator runs 12 (its config.steps)" in capsys.readouterr().err
    # a recording too small for the test's trials: one line, as the errors are
    argv[argv.index(str(tmp_path / "run2"))] = str(tmp_path / "run3")
    import warnings

    shown = warnings.showwarning
    assert main([*argv, "--set", "evaluation.c2st_trials=20"]) == 0
    assert warnings.showwarning is shown  # the command line's one-line warnings end with it
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("turinglearn: warning: the recording") and "use 10 trials of the 20 asked, each individual once" in err[0]
    assert not any("Warning" in line for line in err)
    # turned into errors (python -W error::turinglearn.TuringLearnWarning), one line and exit 2
    argv[argv.index(str(tmp_path / "run3"))] = str(tmp_path / "run4")
    with warnings.catch_warnings():
        warnings.simplefilter("error", turinglearn.TuringLearnWarning)
        assert main([*argv, "--set", "evaluation.c2st_trials=20"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("turinglearn: error: the recording"), err
    assert not (tmp_path / "run4").exists()


SMALL_SWARM = {
    "environment.steps": 60,
    "environment.n_agents": 4,
    "models.population": 30,
    "models.parents": 15,
    "discriminators.population": 30,
    "discriminators.parents": 15,
    "evaluation.c2st_trials": 0,
}


def test_recorded_genuine_samples_look_like_the_simulators(tmp_path):
    """Held-out C2ST on a recording of aggregation: recorded individuals against the model
    swarms that the learner simulates are indistinguishable for the truth, separable for a
    wrong controller (as tests/core/test_learner.py checks for the simulator itself)."""
    from turinglearn.core.evaluation import model_c2st

    cfg = load_config("aggregation", SMALL_SWARM)
    path = record(cfg, tmp_path / "agg.npz", trials=40, seed=5)
    system = turinglearn.build(cfg.replace(data=str(path))).system
    truth = system.truth
    same = model_c2st(system, truth, np.random.default_rng(0), 100, 5, noise=0.05)
    wrong = model_c2st(system, truth + np.array([0.3, 0, 0, 0]), np.random.default_rng(0), 100, 5, noise=0.05)
    assert same < 0.65 and wrong > 0.9, (same, wrong)


def test_aggregation_from_a_recording_as_accurate_as_from_the_simulator(tmp_path):
    """Reduced aggregation (5 robots, 6 s trials, 30 + 30, 100 generations): learned from a
    recording the simulator wrote (30 swarms, every robot an individual), the controller ends
    as close to p* as learned from the simulator itself. Reduced runs are noisy either way; the
    full comparison over seeds is benchmarks/gym_recovery.py --part recording."""
    path = record(load_config("aggregation", SMALL_SWARM), tmp_path / "agg.npz", trials=30, seed=99)
    sim = turinglearn.learn("aggregation", seed=0, generations=100, overrides=SMALL_SWARM)
    rec = turinglearn.learn(
        "aggregation", seed=0, generations=100, overrides={**SMALL_SWARM, "data": str(path)}
    )
    np.testing.assert_array_equal(rec.truth, sim.truth)  # the .npz recording carries the truth
    first = np.abs(np.stack([rec.history[f"{n}_median"][0] for n in rec.names]) - rec.truth).mean()
    assert rec.abs_error.mean() < 0.15 < first, (rec.abs_error, first)
    assert rec.abs_error.mean() <= sim.abs_error.mean() + 0.05, (rec.abs_error, sim.abs_error)


def test_workers_rebuild_the_recorded_system_bit_identically(tmp_path, tiny):
    """Process workers read the recording themselves (from the config's data path): the run is
    the same as in-process, chunk for chunk; the metric-based baseline learns from it too."""
    from helpers import assert_same_run

    path = record(load_config("aggregation", {"environment.steps": 20}), tmp_path / "agg.npz", trials=4)
    overrides = {
        **tiny,
        "generations": 2,
        "environment.n_agents": 10,
        "execution.chunk_size": 4,
        "data": str(path),
    }
    here = turinglearn.learn("aggregation", overrides=overrides)
    pool = turinglearn.learn(
        "aggregation", overrides={**overrides, "execution.backend": "processes", "execution.workers": 2}
    )
    assert_same_run(here, pool)
    metric = turinglearn.learn("aggregation", overrides={**overrides, "learner.kind": "metric-sse"})
    assert metric.summary()["data"] == str(path)


def test_a_small_recordings_held_out_tests_draw_each_individual_once_and_warn(tmp_path):
    """A test drawing more trials than the recording has individuals would repeat them, and a
    repeated individual on both sides of a fold reads as a difference (at aggregation's truth,
    42 robots, 200 trials: C2ST 0.81, docs/small_recordings.json): the tests get one trial per
    individual instead, and the run says so."""
    import warnings

    from turinglearn.app.build import build
    from turinglearn.app.recording import record
    from turinglearn.config import load_config
    from turinglearn.core.assessment import assess
    from turinglearn.core.evaluation import model_c2st
    from turinglearn.core.trust import FastTest

    env = {"environment.steps": 10}
    rec = record(load_config("pendulum-pd", env), tmp_path / "rec.npz", trials=12, seed=1)
    settings = {**env, "data": str(rec), "learner.passive": True}
    with pytest.warns(UserWarning, match=r"has 12 individuals, too few for evaluation.c2st_trials = 200 .* use 12 trials of the 200 asked, each individual once") as caught:
        learner = build(load_config("pendulum-pd", settings))
    assert {w.filename for w in caught} == {__file__}  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build(load_config("pendulum-pd", {**settings, "evaluation.c2st_trials": 12}))
    system, truth = learner.system, np.asarray(learner.system.truth, float)
    recorded = system.recording.x.reshape(len(system.recording.x), -1)

    def drawn(genuine):  # the recorded index of every genuine trajectory drawn
        rows = genuine.reshape(len(genuine), -1)
        return [int(np.flatnonzero((recorded == r).all(axis=1))[0]) for r in rows]

    genuine, fake = system.trajectories(truth[None], np.random.default_rng(0), 200)
    assert genuine.shape[1] == fake.shape[1] == 12
    assert sorted(drawn(genuine[0, :, 0])) == list(range(12))  # every individual, once
    test = FastTest(system, 200, 0.0, system.model_family.lower, system.model_family.upper)
    summary = assess(test, truth, system.model_family.names)
    assert summary["test"]["trials"] == 12 and summary["test"]["trials_asked"] == 200  # the closing line says so
    assert 0.0 <= model_c2st(system, truth, np.random.default_rng(1), 200) <= 1.0
    # the thorough intervals' test asks for twice the trials: the run says so too
    with pytest.warns(UserWarning, match=r"use 12 trials of the 20 asked, each individual once, and see less \(record more individuals\)$"):
        build(load_config("pendulum-pd", {**settings, "evaluation.c2st_trials": 10, "evaluation.intervals": "thorough"}))
    # a generation's draws still repeat individuals across models when the file has too few
    twenty = np.tile(truth, (20, 1))
    generation = drawn(system.trajectories(twenty, np.random.default_rng(2))[0][:, 0, 0])
    rng = np.random.default_rng(2)
    system._counterfeit(twenty, rng, 1)  # the same random numbers up to the genuine draw
    assert generation == rng.choice(12, size=20, replace=True).tolist()  # with replacement, as before
    # a test of several models gets its trials for each, each individual once a model
    several = system.trajectories(np.tile(truth, (3, 1)), np.random.default_rng(3), 200)[0]
    assert several.shape[:2] == (3, 12) and all(sorted(drawn(m[:, 0])) == list(range(12)) for m in several)
    # below the tests' least trials, individuals repeat, and the warning says the test reads high
    tiny = record(load_config("pendulum-pd", env), tmp_path / "tiny.npz", trials=6, seed=1)
    with pytest.warns(UserWarning, match=r"draw individuals more than once in their 10 trials and read high \(record at least 10"):
        small = build(load_config("pendulum-pd", {**settings, "data": str(tiny)}))
    tiny_x = small.system.recording.x.reshape(6, -1)
    few = small.system.trajectories(truth[None], np.random.default_rng(0), 200)[0][0, :, 0].reshape(10, -1)
    counts = [int((few == r).all(axis=1).sum()) for r in tiny_x]
    assert sorted(counts) == [1, 1, 2, 2, 2, 2]  # every individual once before any twice
    # ... and where the test asks for no more than that floor, it still says so
    with pytest.warns(UserWarning, match=r"draw individuals more than once in their 10 trials"):
        build(load_config("pendulum-pd", {**settings, "data": str(tiny), "evaluation.c2st_trials": 10}))
    with pytest.raises(ConfigError, match=r"data: .* which fill 6 held-out test trials of 1 genuine each, fewer than evaluation.c2st_folds = 12; set evaluation.c2st_folds = 10"):
        build(load_config("pendulum-pd", {**settings, "data": str(tiny), "evaluation.c2st_folds": 12, "evaluation.c2st_trials": 24}))


def test_a_c2st_on_a_small_recording_says_it_is_mostly_chance(tmp_path):
    """A newcomer's 15-track recording printed C2ST 0.23-0.57 for estimates good and bad: the
    headline now gives its samples a side and the range chance alone spans."""
    import warnings

    import turinglearn
    from turinglearn.app.recording import record
    from turinglearn.app.trust_lines import few_samples
    from turinglearn.config import load_config

    env = {"environment.steps": 10}
    rec = record(load_config("pendulum-pd", env), tmp_path / "rec.npz", trials=12, seed=1)
    small = {"models.population": 6, "models.parents": 3, "discriminators.population": 6,
             "discriminators.parents": 3, "evaluation.intervals": "off"}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the recording's own warning, tested above
        result = turinglearn.learn(
            "pendulum-pd", generations=2, overrides={**env, **small, "data": str(rec), "learner.passive": True}
        )
    summary = result.summary()
    assert summary["c2st_samples"] == 12
    line = next(x for x in result.report().splitlines() if x.startswith("C2ST"))
    assert line.endswith(  # no intervals were asked for: no held-out test to point to
        "; 12 samples a side, too few to read: chance alone spans 0.33-0.67 (cross-validation on so few strays "
        "further)"
    )
    assert few_samples(12, tested=True).endswith("; read the held-out test below")
    assert few_samples(50) == few_samples(None) == ""  # a simulator's 200 trials: the line as it was
    # windows cut from 30 animals' tracks count as the animals (an ecologist's 85 windows read 0.38-0.61 by chance)
    assert few_samples(85, individuals=30).startswith(
        "; 30 individuals a side (85 windows), too few to read: chance alone spans 0.39-0.61"
    )
    assert few_samples(85, individuals=60) == ""


def test_policies_and_programs_learn_from_a_recording(tmp_path):
    """A newcomer's recorded swarm with program models failed with 'program rows must be [M, 96],
    got (30, 6, 96)', and the built-in recording was refused for its truth of 4 values (the
    programs' reported space): every simulated robot now runs the model, as with parameters."""
    from turinglearn.app.build import build
    from turinglearn.systems.recorded import simulate_models

    sim = build(load_config("aggregation", {"models.kind": "mlp", "environment.steps": 10})).system.sim
    still = np.zeros((3, sim.model_family.n_params))  # every weight 0: the wheels stand still
    feats = simulate_models(sim, still, np.random.default_rng(0))  # [3, N, T, F]
    assert feats.shape[:2] == (3, sim.config.n_agents + sim.config.n_replicas)
    assert np.abs(feats[..., 0]).max() == 0  # no robot ran the truth (it moves)
    rec = record(load_config("aggregation", {"environment.steps": 10}), tmp_path / "rec.npz", trials=3, seed=1)
    out = turinglearn.learn(
        "aggregation-gp", generations=2, overrides={"data": str(rec), "environment.steps": 10, "evaluation.c2st_trials": 10}
    )
    assert np.asarray(out.truth).shape == (4,) and np.isfinite(out.inferred).all()


def test_a_recordings_test_schedule_is_refused_for_what_it_is(tmp_path):
    """A newcomer's stimulus schedule for the held-out test of a recorded animal was refused with
    'this one takes no stimuli', though their simulator took them: the recording cannot."""
    rec = record(load_config("pendulum-pd", {"environment.steps": 10}), tmp_path / "rec.npz", trials=12, seed=1)
    settings = {"environment.steps": 10, "data": str(rec), "learner.passive": True, "evaluation.c2st_schedule": "random"}
    with pytest.raises(ConfigError, match=r"'random' drives an interactive system; a recording cannot be stimulated"):
        turinglearn.learn("pendulum-pd", generations=1, overrides=settings)


def _stimulated_recording(tmp_path, n=200, seed=1):
    """own_agent's leaky integrator recorded under a protocol that varied from trial to trial
    (ON/OFF blocks of 2-8 steps), written with and without the stimuli applied."""
    from helpers import load_example

    from turinglearn.systems.recording_files import write_recording

    module = load_example("own_agent")
    sim = module.LeakyIntegrator()
    rng = np.random.default_rng(seed)
    u = np.zeros((n, sim.config.steps, 1))
    for i in range(n):
        t = 0
        while t < sim.config.steps:
            length = rng.integers(2, 9)
            u[i, t : t + length, 0] = rng.integers(0, 2)
            t += length
    y, xs = sim.reset(rng, (n,)), []
    for t in range(sim.config.steps):
        y, f = sim.step(y, np.broadcast_to(sim.truth, (n, 2)), u[:, t], rng)
        xs.append(f)
    x = np.stack(xs, axis=1)
    paths = tmp_path / "with.npz", tmp_path / "without.npz"
    write_recording(paths[0], x, sim.feature_names, sim.truth, stimulus=u)
    write_recording(paths[1], x, sim.feature_names, sim.truth)
    return module, sim, paths


def test_a_recording_under_varied_stimuli_is_learned_under_them(tmp_path):
    """A newcomer's moths were filmed under light schedules that varied from trial to trial; the
    file had no place for them, and every simulated trial ran the passive schedule. With the
    stimuli applied recorded (stimulus_0), each simulated trial runs under its recorded twin's."""
    module, sim, (stimulated, bare) = _stimulated_recording(tmp_path)
    settings = {**module.SETTINGS, "learner.passive": True}
    got = turinglearn.learn(simulator=sim, overrides={**settings, "data": str(stimulated)})
    ranges = sim.model_family.upper - sim.model_family.lower
    assert (np.abs(got.inferred - sim.truth) / ranges).max() < 0.05, got.inferred  # (1.218, 0.300) against (1.2, 0.3)
    assert not got.summary()["test"]["rejected"]
    passive = turinglearn.learn(simulator=sim, overrides={**settings, "data": str(bare)})
    assert abs(passive.inferred[1] - sim.truth[1]) > 0.1 and passive.summary()["test"]["rejected"]
    # the rejection says where to look (it ran without a word of the missing stimuli)
    assert "the recording has no stimulus columns: its trials were compared" in passive.report()
    assert "no stimulus columns" not in got.report() and got.summary()["recording_stimuli"] is True


def test_each_simulated_trial_runs_under_its_twins_stimuli(tmp_path):
    """Paired exactly, in training and in the held-out tests: the stimulus the integrator reports
    as a feature is, in every simulated trial, the one its recorded twin received."""
    from turinglearn.systems.recorded import RecordedSystem, read_recording

    _, sim, (stimulated, _) = _stimulated_recording(tmp_path, n=30)
    rec = read_recording(stimulated, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    assert rec.stimulus.shape == (30, sim.config.steps, 1)
    system = RecordedSystem(sim, rec, trials_per_model=3)
    genuine, fake = system.trajectories(np.stack([sim.truth, sim.truth]), np.random.default_rng(0))
    # both samples show the stimuli after the features (the judges could not tell ON from OFF responses)
    assert system.feature_names == ("response", "stimulus", "stimulus_0")
    assert genuine.shape == fake.shape == (2, 3, 1, sim.config.steps, 3)
    np.testing.assert_array_equal(fake[..., 1], genuine[..., 1])
    np.testing.assert_array_equal(fake[..., 2], genuine[..., 1])  # this integrator reports its stimulus too
    genuine, fake = system.trajectories(np.stack([sim.truth]), np.random.default_rng(1), trials=20)
    np.testing.assert_array_equal(fake[..., 1], genuine[..., 1])
    assert len({tuple(u) for u in genuine[0, :, 0, :, 1]}) > 10  # and the protocols differ
    # with more recorded individuals a trial, only one could share a trial's stimuli
    with pytest.raises(ConfigError, match=r"must be 1 for a recording with the stimuli applied \(got 2\)"):
        RecordedSystem(sim, rec, genuine_per_trial=2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("outside", r"stimulus_0 = 2 at individual 0, step 0 \(row 0\) is not a stimulus inside the simulator's stimulus_space \[0, 1\]"),
        ("clash", r"the simulator's feature names \['stimulus_0'\] are the recording's stimulus columns"),
        ("swarm", r"has unexpected column\(s\) 'stimulus_0' \(stimuli applied: this simulator takes none; .*: it has 2 feature"),
        ("missing", r"stimulus_0 is missing \(NaN\) at individual 1, step 3 \(row 43\), in 1 individual\(s\) in all; drop those"),
    ],
)
def test_a_recordings_stimuli_must_fit_the_simulator(tmp_path, change, message):
    from turinglearn.systems.recording_files import read_recording, write_recording

    _, sim, _ = _stimulated_recording(tmp_path, n=4)
    x, u = np.zeros((4, sim.config.steps, 2)), np.zeros((4, sim.config.steps, 1))
    names, space = sim.feature_names, sim.stimulus_space
    if change == "outside":
        u[0, 0, 0] = 2.0
    elif change == "missing":
        u[1, 3, 0] = np.nan
    elif change == "clash":
        names = ("response", "stimulus_0")
    else:
        space = None  # a swarm takes no stimuli
    path = write_recording(tmp_path / "r.npz", x, names, stimulus=u)
    with pytest.raises(ConfigError, match=message):
        read_recording(path, names, sim.config.steps, None, space)


def test_record_writes_a_known_truth_under_protocols_of_ones_own(tmp_path):
    """To try a study under varied protocols on a system with a known truth first."""
    from turinglearn.systems.recording_files import read_recording

    _, sim, _ = _stimulated_recording(tmp_path, n=2)
    u = np.random.default_rng(0).integers(0, 2, (5, sim.config.steps, 1)).astype(float)
    path = record(out=tmp_path / "r.csv", simulator=sim, trials=5, schedules=u)
    rec = read_recording(path, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    np.testing.assert_array_equal(rec.stimulus, u)
    np.testing.assert_array_equal(rec.x[..., 1], u[..., 0])  # the integrator reports what it received
    with pytest.raises(ConfigError, match=r"schedules must be \[trials, T, k\] = \[5, 40, 1\] for this simulator"):
        record(out=tmp_path / "s.csv", simulator=sim, trials=5, schedules=u[:, :10])


def test_a_folder_of_files_is_one_recording(tmp_path):
    """A lab's export, one CSV a trial, was refused ('does not exist; give the path of a
    .csv/.npz/.parquet file'): a folder is read as one recording, its individuals numbered anew."""
    from turinglearn.systems.recording_files import read_recording, write_recording

    _, sim, _ = _stimulated_recording(tmp_path, n=2)
    rng = np.random.default_rng(0)
    x, u = rng.normal(size=(6, sim.config.steps, 2)) * 0.1, rng.integers(0, 2, (6, sim.config.steps, 1)).astype(float)
    folder = tmp_path / "trials"
    for i in range(3):  # every file's individuals are 0 and 1
        write_recording(folder / f"trial{i}.csv", x[2 * i : 2 * i + 2], sim.feature_names, stimulus=u[2 * i : 2 * i + 2])
    rec = read_recording(folder, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    np.testing.assert_allclose(rec.x, x)
    np.testing.assert_array_equal(rec.stimulus, u)
    assert rec.ids.tolist() == list(range(6))
    write_recording(folder / "trial3.csv", x[:2], sim.feature_names)  # without the stimuli applied
    with pytest.raises(ConfigError, match=r"trial3.csv has no stimulus columns, trial0.csv has: every file must carry"):
        read_recording(folder, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"holds no .csv/.npz/.parquet files"):
        read_recording(tmp_path / "empty", sim.feature_names)
    # a file naming its truth's parameters beside an older one with the same truth unnamed: one truth
    named = tmp_path / "named"
    write_recording(named / "a.npz", x[:2], sim.feature_names, truth=[1.2, 0.3], truth_names=("gain", "rate"))
    write_recording(named / "b.npz", x[2:4], sim.feature_names, truth=[1.2, 0.3])
    both = read_recording(named, sim.feature_names, sim.config.steps)
    assert both.truth.tolist() == [1.2, 0.3] and both.truth_names == ("gain", "rate")


def test_a_truth_of_another_models_parameters_is_not_scored(tmp_path):
    """A newcomer comparing two hypotheses fitted a run-and-tumble walker to a recording of a
    correlated random walk: the walk's truth (persistence 0.8, noise 0.3) was printed as the
    walker's (run_speed 0.8, tumble_rate 0.3) and its errors measured from it. A recording now
    names its truth's parameters; another model's are not scored against it."""
    from turinglearn.families.parametric import BoxFamily
    from turinglearn.systems.recorded import RecordedSystem, read_recording

    _, sim, _ = _stimulated_recording(tmp_path, n=2)
    path = record(out=tmp_path / "r.npz", simulator=sim, trials=3)
    rec = read_recording(path, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    assert rec.truth_names == ("gain", "rate")
    assert RecordedSystem(sim, rec).truth is not None  # its own model: scored

    class Other(type(sim)):  # another hypothesis with the same features
        model_family = BoxFamily(("tau", "k"), lower=(0.0, 0.05), upper=(2.0, 1.0))

    with pytest.warns(UserWarning, match=r"the recording's truth is of the parameters \(gain, rate\), not of this model family's \(tau, k\)"):
        assert RecordedSystem(Other(), rec).truth is None

    class Swapped(type(sim)):  # the same parameters in another order: the truth follows them
        model_family = BoxFamily(("rate", "gain"), lower=(0.05, 0.0), upper=(1.0, 2.0))

    assert RecordedSystem(Swapped(), rec).truth.tolist() == [rec.truth[1], rec.truth[0]]


class _Lamp:
    """A tadpole's speed under a heat lamp, v_off or v_on; the lamp is not among its features."""

    model_family = None
    truth = np.array([0.4, 1.0])
    feature_names = ("speed",)

    def __init__(self):
        import gymnasium as gym

        from turinglearn.families.parametric import BoxFamily

        self.model_family = BoxFamily(("v_off", "v_on"), (0.0, 0.0), (2.0, 2.0))
        self.stimulus_space = gym.spaces.Box(0.0, 1.0, (1,))
        self.config = type("C", (), {"steps": 30})()

    def passive_schedule(self):
        return np.zeros((30, 1))

    def reset(self, rng, shape):
        return np.zeros(shape)

    def step(self, y, params, stimulus, rng):
        on = stimulus[..., 0] > 0.5
        v = np.where(on, params[..., 1], params[..., 0])
        return y, (v * (1 + 0.2 * rng.normal(size=y.shape)))[..., None]


def test_the_judges_see_the_stimuli_a_recording_carries(tmp_path):
    """A newcomer's tadpoles: with the lamp recorded as a stimulus column but not among the
    features, a model with the lamp's two speeds exchanged looked like the animals (the speeds
    alone are alike) and was accepted in 3 of 3 seeds. Both samples now show the stimuli."""
    from turinglearn.core.evaluation import model_c2st
    from turinglearn.systems.recorded import RecordedSystem

    sim, rng = _Lamp(), np.random.default_rng(0)
    u = np.repeat(rng.integers(0, 2, (200, 6, 1)), 5, axis=1).astype(float)  # blocks of 5 steps
    y, xs = sim.reset(rng, (200,)), []
    for t in range(30):
        y, f = sim.step(y, np.broadcast_to(sim.truth, (200, 2)), u[:, t], rng)
        xs.append(f)
    path = write_recording(tmp_path / "lamp.npz", np.stack(xs, axis=1), sim.feature_names, sim.truth, stimulus=u)
    rec = read_recording(path, sim.feature_names, 30, None, sim.stimulus_space)
    system = RecordedSystem(sim, rec)
    truth = model_c2st(system, sim.truth, np.random.default_rng(1), 200)
    swapped = model_c2st(system, sim.truth[::-1], np.random.default_rng(1), 200)
    assert abs(truth - 0.5) < 0.1 and swapped > 0.75, (truth, swapped)
    # the same samples without the stimuli: the exchange is invisible (as it was)
    from turinglearn.core.evaluation import c2st

    genuine, fake = system.trajectories(sim.truth[::-1][None], np.random.default_rng(1), 200)
    blind = c2st(genuine[0, :, 0, :, :1], fake[0, :, 0, :, :1], 0, 5, np.arange(200), np.arange(200))
    assert blind < 0.62, blind


def test_a_share_of_the_recording_is_kept_for_the_held_out_tests(tmp_path):
    """Every recorded individual served learning and the tests alike (a newcomer read 'held-out'
    as held-out animals). data_holdout keeps a share, drawn from the seed, for the tests alone;
    read in windows, whole tracks."""
    from turinglearn.app.from_recording import held_out
    from turinglearn.systems.recorded import RecordedSystem

    module, sim, (stimulated, _) = _stimulated_recording(tmp_path)
    rec = read_recording(stimulated, sim.feature_names, sim.config.steps, None, sim.stimulus_space)
    mask = held_out(rec, 0.3, seed=0)
    assert mask.sum() == 60 and np.array_equal(mask, held_out(rec, 0.3, seed=0)) and not np.array_equal(mask, held_out(rec, 0.3, seed=1))
    system = RecordedSystem(sim, rec, held_out=mask)
    rng = np.random.default_rng(0)
    assert not mask[system._picked(rng, 2000)].any()  # learning never sees them
    assert mask[system._distinct_picked(rng, 60)].all() and system.fills == 60  # the tests see only them
    windows = type(rec)(rec.x, rec.ids, rec.feature_names, groups=np.repeat(np.arange(20), 10))
    tracks = held_out(windows, 0.3, seed=0)
    assert tracks.sum() == 60 and all(len(set(tracks[np.repeat(np.arange(20), 10) == g])) == 1 for g in range(20))
    got = turinglearn.learn(simulator=sim, overrides={**module.SETTINGS, "learner.passive": True, "data": str(stimulated), "data_holdout": 0.3})
    ranges = sim.model_family.upper - sim.model_family.lower
    assert (np.abs(got.inferred - sim.truth) / ranges).max() < 0.05, got.inferred
    assert got.summary()["recording_held_out"] == {"tests": 60, "learning": 140}
    assert "from the 60 recorded individuals kept out of learning" in got.report()
    with pytest.raises(ConfigError, match=r"data_holdout: is a share of the recording's individuals in \[0, 1\), got 1.0"):
        load_config("aggregation", {"data": str(stimulated), "data_holdout": 1.0})
