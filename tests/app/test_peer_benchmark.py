"""``turinglearn benchmark peers`` on a tiny grid: one small swarm task (3 robots, 15 steps),
budgets of a few hundred trajectories, one seed, K = 1; and bad input, refused with one line
and exit 2 before anything is written."""

import importlib.util
import json

import pytest

import turinglearn.app.driver as driver
from turinglearn.app.cli import main

#: a tiny aggregation-interior: 2 agents + 1 replica (3 individuals a trial), 10 models
SMALL = {
    "environment.n_agents": 2,
    "environment.n_replicas": 1,
    "environment.steps": 15,
    "learner.genuine_per_trial": 1,
    "models.population": 10,
    "models.parents": 5,
    "discriminators.population": 10,
    "discriminators.parents": 5,
    "evaluation.c2st_trials": 20,
    "evaluation.intervals": "off",
}
#: the task's own settings scoped to it (TASK:KEY=VALUE), the others for every run
SETS = [
    x
    for k, v in SMALL.items()
    for x in ("--set", f"{'aggregation-interior:' * k.startswith('environment')}{k}={json.dumps(v)}")
]
LEARNERS = ["turing", "abc-smc", "metric-sse"]


def _args(out, learners=LEARNERS, budgets="300", extra=()):
    return [
        "benchmark", "peers", "--tasks", "aggregation-interior", "--learners", *learners,
        "--budgets", budgets, "--recordings", "1", "--seeds", "0,", "--jobs", "1", "--out", str(out),
        *SETS, *extra,
    ]  # fmt: skip


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("turinglearn: error:"), err
    return err[0]


def test_a_grid_runs_resumes_and_skips_what_is_done(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyabc")
    out = tmp_path / "bench"
    real, calls = driver.learn, []

    def interrupted(preset, overrides):  # the second cell is interrupted mid-run
        calls.append(overrides["learner.kind"])
        if overrides["learner.kind"] == "abc-smc":
            raise KeyboardInterrupt
        return real(preset, overrides=overrides)

    monkeypatch.setattr(driver, "learn", interrupted)
    assert main(_args(out)) == 130
    assert "rerun the same command" in capsys.readouterr().err
    runs = out / "runs" / "aggregation-interior"
    assert calls == ["turing", "abc-smc"]
    assert sorted(p.relative_to(runs).as_posix() for p in runs.rglob("*")) == [
        "turing",
        "turing/k1-b300-s0.json",
    ]  # nothing of the interrupted cell, not even a temporary file
    first = (runs / "turing" / "k1-b300-s0.json").read_text()
    recording = out / "recordings" / "aggregation-interior-k1-s0.npz"
    made = recording.stat().st_mtime_ns

    # the rerun runs the interrupted cell and the one never started, and keeps the finished one
    calls.clear()
    monkeypatch.setattr(
        driver,
        "learn",
        lambda preset, overrides: (
            calls.append(overrides["learner.kind"]) or real(preset, overrides=overrides)
        ),
    )
    assert main(_args(out)) == 0
    printed = capsys.readouterr().out
    assert "2 runs to do of 3 (1 already done)" in printed and calls == ["abc-smc", "metric-sse"]
    assert (runs / "turing" / "k1-b300-s0.json").read_text() == first
    assert recording.stat().st_mtime_ns == made  # one recording, written once, for everyone

    rows = {r["learner"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
    assert set(rows) == set(LEARNERS)
    for r in rows.values():
        assert r["k"] == 1 and r["budget"] == 300 and r["seed"] == 0
        assert r["truth"] == [0.3, 0.9, -0.4, 0.5] and len(r["estimate"]) == 4
        assert r["summed_error"] == pytest.approx(
            sum(abs(e - t) for e, t in zip(r["estimate"], r["truth"], strict=True))
        )
        assert 0 < r["trajectories"] <= 300 and r["wall_seconds"] > 0
    # 3 individuals a trial, 10 models: 30 trajectories a generation, 10 generations
    assert rows["turing"]["generations"] == 10 and rows["turing"]["trajectories"] == 300
    assert rows["abc-smc"]["trajectories"] % 3 == 0  # whole sets of the recording's 3 individuals
    assert len(rows["abc-smc"]["posterior_holds"]) == 4 and rows["turing"]["posterior_holds"] is None
    table = (out / "table.md").read_text()
    for learner in LEARNERS:
        assert f"| 1 | 300 | {learner} | 1 of 1 | {rows[learner]['summed_error']:.3f} " in table
    best = min(LEARNERS, key=lambda k: rows[k]["summed_error"])
    assert f"| 1 | 300 | {best} (" in table
    other = min(["abc-smc", "metric-sse"], key=lambda k: rows[k]["summed_error"])
    wins = rows["turing"]["summed_error"] <= rows[other]["summed_error"]
    assert (
        f"| aggregation-interior | 1 | 300 | {rows['turing']['summed_error']:.3f} | {other} "
        f"({rows[other]['summed_error']:.3f}) | {'turing' if wins else 'none'} |"
    ) in table
    assert f"- turing: {int(wins)} of 1 tasks" in table
    assert (out / "accuracy-aggregation-interior.png").stat().st_size > 1000

    # a third time: nothing to do
    calls.clear()
    assert main(_args(out)) == 0
    assert "0 runs to do of 3 (3 already done)" in capsys.readouterr().out and calls == []
    assert (out / "table.md").read_text() == table
    # one learner alone into the same directory: the table still covers every run in it
    assert main(_args(out, learners=["metric-sse"])) == 0
    capsys.readouterr()
    assert (out / "table.md").read_text() == table
    assert "| turing | 1 of 1 |" in table and f"| 10 | {rows['turing']['trajectories']} |" in table  # its generations

    # other settings in the same directory are refused
    assert main(_args(out, extra=["--set", "evaluation.c2st_trials=21"])) == 2
    assert "other settings" in _one_line_error(capsys)


def test_a_variant_runs_beside_its_learner_with_its_own_settings(tmp_path, capsys, monkeypatch):
    out = tmp_path / "bench"
    seen = []
    real = driver.learn
    monkeypatch.setattr(
        driver, "learn", lambda preset, overrides: seen.append(dict(overrides)) or real(preset, overrides=overrides)
    )
    variant = ["--set", "small:models.population=6", "--set", "small:models.parents=3"]
    assert main(_args(out, ["turing"])) == 0
    # a variant with settings of its own joins the directory later
    assert main(_args(out, ["turing", "small=turing"], extra=variant)) == 0
    assert "1 runs to do of 2 (1 already done)" in capsys.readouterr().out
    rows = {r["learner"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
    table = (out / "table.md").read_text()
    assert main(_args(out, ["turing"])) == 0  # and leaves it alone when not asked for
    assert "0 runs to do of 1" in capsys.readouterr().out
    by_population = {o["models.population"]: o for o in seen}
    assert sorted(by_population) == [6, 10] and all(o["learner.kind"] == "turing" for o in seen)
    # 3 individuals a trial: 30 trajectories a generation with 10 models, 18 with 6
    assert rows["turing"]["generations"] == 10 and rows["small"]["generations"] == 300 // 18
    assert (out / "runs" / "aggregation-interior" / "small" / "k1-b300-s0.json").is_file()
    assert "| 1 | 300 | small | 1 of 1 |" in table
    capsys.readouterr()
    # a name means one learner in a directory, with its settings
    assert main(_args(out, ["turing", "small=metric-sse"], extra=variant)) == 2
    assert "other settings" in _one_line_error(capsys)
    assert main(_args(out, ["turing", "small=turing"], extra=variant[:2])) == 2
    assert "other settings" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "learners, budgets, expected",
    [
        (["turing", "nope"], "300", "unknown learner 'nope'"),
        (["turing", "small=nope"], "300", "unknown learner 'nope'"),
        (["turing", "turing=metric-sse"], "300", "each name once"),
        (["a:b=turing"], "300", "without ':', '/' or '@'"),
        (["a@b=turing"], "300", "without ':', '/' or '@'"),
        # 100 sets of the recording's 3 individuals
        (["turing", "abc-smc"], "299", "abc-smc on aggregation-interior needs at least 300 trajectories"),
        # one generation: 10 models x 1 trial x 3 individuals
        (["turing"], "29,300", "turing on aggregation-interior needs at least 30 trajectories"),
        (["turing"], "0", "--budgets '0'"),
    ],
)
def test_bad_input_is_one_line_before_any_work(learners, budgets, expected, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(_args(out, learners, budgets)) == 2
    assert expected in _one_line_error(capsys)
    assert not out.exists()


def test_a_missing_extra_names_the_install(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in {"sbi", "pyabc"} else real(name, *a)
    )
    out = tmp_path / "never"
    assert main(_args(out, ["turing", "npe-summary"])) == 2
    assert "pip install 'turinglearn[peers]'" in _one_line_error(capsys)
    assert not out.exists()


def test_the_default_grid_is_valid(tmp_path):
    pytest.importorskip("sbi")
    pytest.importorskip("pyabc")
    from turinglearn.app.peer_benchmark import DEFAULTS, LEARNERS, default_tasks, parse_counts, plan

    counts = {k: parse_counts(DEFAULTS[k], k) for k in ("budgets", "recordings")}
    grid = plan(tmp_path / "b", None, LEARNERS, seeds=range(5), **counts)  # raises if any budget is too small
    assert list(grid.tasks) == default_tasks() and len(grid.cells()) > 0
    assert not (tmp_path / "b").exists()


def test_the_swarm_suite_is_still_the_default():
    from turinglearn.app.cli_args import parser

    args = parser().parse_args(["benchmark", "--seeds", "2"])
    assert args.suite == "swarm" and args.seeds == "2"
    assert parser().parse_args(["benchmark", "peers"]).suite == "peers"


def test_a_learner_on_one_task_has_settings_of_its_own(tmp_path):
    """``LEARNER@TASK:KEY`` reaches that learner's runs on that task and no other run; a scope
    that names no learner and task of the grid is refused before any work."""
    from turinglearn.app.peer_benchmark import Cell, plan
    from turinglearn.errors import ConfigError

    base = {f"{'aggregation-interior:' * k.startswith('environment')}{k}": v for k, v in SMALL.items()}
    scoped = {**base, "small@aggregation-interior:environment.steps": 12}
    p = plan(tmp_path / "b", ["aggregation-interior"], ["turing", "small=turing"], [300], [1], [0], scoped)
    small, turing = (p.settings(Cell("aggregation-interior", n, 300, 1, 0)) for n in ("small", "turing"))
    assert small["environment.steps"] == 12 and turing["environment.steps"] == 15
    assert p.task_settings("aggregation-interior")["environment.steps"] == 15  # the recording's
    for who in ("nobody@aggregation-interior", "small@nowhere"):
        with pytest.raises(ConfigError, match="LEARNER@TASK"):
            plan(tmp_path / "c", ["aggregation-interior"], ["turing", "small=turing"], [300], [1], [0],
                 {**base, f"{who}:environment.steps": 12})  # fmt: skip
    with pytest.raises(ConfigError, match="unknown setting"):  # checked against the task's system
        plan(tmp_path / "d", ["aggregation-interior"], ["turing", "small=turing"], [300], [1], [0],
             {**base, "small@aggregation-interior:environment.passive_period": 3})  # fmt: skip


def test_settings_for_a_learner_that_does_not_run_on_a_task_are_refused(tmp_path):
    from turinglearn.app.peer_benchmark import plan
    from turinglearn.errors import ConfigError

    sets = {"metric-sse@stimulus-response:environment.steps": 12}
    with pytest.raises(ConfigError, match="metric-sse does not run on stimulus-response"):
        plan(tmp_path / "b", ["stimulus-response"], ["turing", "metric-sse"], [20000], [1], [0], sets)


def test_a_variant_with_settings_on_one_task_joins_a_directory(tmp_path, capsys):
    """A variant whose only settings are ``LEARNER@TASK`` keys joins a directory that ran
    without it, and the directory's own grid reruns without it."""
    out = tmp_path / "bench"
    assert main(_args(out, ["turing"])) == 0
    own = ["--set", "small@aggregation-interior:models.population=6",
           "--set", "small@aggregation-interior:models.parents=3"]  # fmt: skip
    assert main(_args(out, ["turing", "small=turing"], extra=own)) == 0
    assert "1 runs to do of 2 (1 already done)" in capsys.readouterr().out
    assert main(_args(out, ["turing"])) == 0
    assert "0 runs to do of 1" in capsys.readouterr().out
    meta = json.loads((out / "benchmark.json").read_text())
    assert meta["overrides"]["small@aggregation-interior:models.population"] == 6


def test_a_config_file_of_ones_own_is_a_task(tmp_path, capsys):
    """A newcomer's own system had no documented way into the benchmark: --tasks takes a config
    file, named by its stem, as the scope of its --set."""
    from turinglearn.app.peer_benchmark import plan
    from turinglearn.app.peer_benchmark_dir import check_directory
    from turinglearn.app.runs import write_json
    from turinglearn.errors import ConfigError

    assert main(["presets", "aggregation"]) == 0
    mine = tmp_path / "mine.toml"
    mine.write_text(capsys.readouterr().out)
    sets = {f"{'mine:' * k.startswith('environment')}{k}": v for k, v in SMALL.items()}
    p = plan(tmp_path / "b", [str(mine)], ["metric-sse"], [300], [1], [0], sets)
    assert p.tasks == {"mine": (str(mine), {})} and p.task_settings("mine")["environment.n_agents"] == 2
    assert main(["benchmark", "peers", "--tasks", str(tmp_path / "none.toml"), "--out", str(tmp_path / "c")]) == 2
    assert "--tasks: no config file" in _one_line_error(capsys)
    # the file edited, the directory planned for it is refused (its recordings are of the old truth)
    p.meta = check_directory(p.out, p.tasks, p.kinds, p.overrides)
    (p.out).mkdir()
    write_json(p.out / "benchmark.json", p.meta)
    mine.write_text(mine.read_text().replace("truth = [-0.7, -1.0, 1.0, -1.0]", "truth = [-0.6, -1.0, 1.0, -1.0]"))
    with pytest.raises(ConfigError, match=r"the config file of task 'mine' .* changed since the benchmark there"):
        plan(tmp_path / "b", [str(mine)], ["metric-sse"], [300], [1], [0], sets)


def test_a_task_of_parameters_in_units_far_apart_is_read_in_each_range():
    """A newcomer's colloids in SI units: the summed error of a speed in m/s and a rotational
    diffusion in rad^2/s was the diffusion's alone, and the table ranked the learners by it."""
    from turinglearn.app.peer_benchmark_report import units_note

    bounds = {"lower": [1e-6, 0.01], "upper": [6e-5, 1.0]}
    rows = [
        {"learner": "turing", "names": ["v", "D_r"], "bounds": bounds, "range_error": 0.078},
        {"learner": "npe-summary", "names": ["v", "D_r"], "bounds": bounds, "range_error": 0.047},
    ]
    (line, _) = units_note(rows)
    assert line.startswith("The parameters' ranges lie 16780x apart, so the summed error is mostly D_r's")
    assert line.endswith("turing 0.078, npe-summary 0.047.")
    assert units_note([{**r, "bounds": {"lower": [0, 0], "upper": [1, 2]}} for r in rows]) == []
