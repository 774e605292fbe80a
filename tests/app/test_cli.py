import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TINY

from turinglearn.app.cli import main

TINY_ARGS = [
    "--generations",
    "2",
    "--set",
    "environment.n_agents=4",
    "--set",
    "environment.steps=15",
    "--set",
    "models.population=8",
    "--set",
    "models.parents=4",
    "--set",
    "discriminators.population=8",
    "--set",
    "discriminators.parents=4",
    "--set",
    "evaluation.c2st_trials=10",
    "--quiet",
]


def test_run_then_report(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", "aggregation", "--out", str(out), "--seed", "5", *TINY_ARGS]) == 0
    printed = capsys.readouterr().out
    assert "v_l0" in printed and "C2ST" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["generations"] == 2
    # the generations' seconds leave out the final evaluation; the last line gives the whole run's
    whole = re.search(r"^results: .*; (\d+\.\d) s in all$", printed, re.M)
    assert whole and float(whole.group(1)) >= summary["seconds"]
    (out / "parameters.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "parameters.png").stat().st_size > 1000
    assert "parameters.png" in capsys.readouterr().out
    # several runs: their table over the runs, as a sweep's (report took one folder)
    other = tmp_path / "other"
    assert main(["run", "aggregation", "--out", str(other), "--seed", "6", *TINY_ARGS]) == 0
    (tmp_path / "unfinished").mkdir()
    (tmp_path / "unfinished" / "run.json").write_text('{"format": 1, "status": "interrupted"}')
    capsys.readouterr()
    assert main(["report", str(out), str(other), str(tmp_path / "unfinished")]) == 0
    printed = capsys.readouterr().out
    assert f"left out: {tmp_path / 'unfinished'} (interrupted, no summary.json)" in printed
    assert "### aggregation\n" in printed and "### aggregation: estimates over seeds" in printed
    assert re.search(r"^\| turing \| v_l0 \| ", printed, re.M)
    # another truth is another table, and a seed given twice is named
    truth = "environment.truth=[0.5, -0.5, 0.5, -0.5]"
    third = tmp_path / "third"
    assert main(["run", "aggregation", "--out", str(third), "--seed", "6", *TINY_ARGS, "--set", truth]) == 0
    # shown progress: the bar, then a line while the held-out tests run (it had sat at 100 % for a minute, silent)
    shown = [a for a in TINY_ARGS if a != "--quiet"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["run", "aggregation", "--out", str(tmp_path / "shown"), "--seed", "6", *shown]) == 0
    assert "turinglearn: the final evaluation (held-out tests, power, intervals)..." in capsys.readouterr().err
    capsys.readouterr()
    assert main(["report", str(out), str(other), str(third), str(other)]) == 0
    printed = capsys.readouterr().out
    assert "### aggregation, truth (0.5, -0.5, 0.5, -0.5)\n" in printed and "### aggregation, truth (-0.7, -1, 1, -1)\n" in printed
    assert "note: 2 runs of aggregation, truth (-0.7, -1, 1, -1), turing share seed 6" in printed


def test_envs_and_presets(capsys):
    assert main(["envs"]) == 0
    assert "turinglearn/Aggregation-v0" in capsys.readouterr().out
    assert main(["presets"]) == 0
    assert "aggregation" in capsys.readouterr().out


def test_a_preset_printed_is_its_file_and_loads_as_it(tmp_path, capsys):
    from turinglearn.config import load_config

    assert main(["presets", "own-system"]) == 0
    copy = tmp_path / "my.toml"
    copy.write_text(capsys.readouterr().out)
    assert load_config(str(copy)) == load_config("own-system")
    assert main(["presets", "own-sistem"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("turinglearn: error: unknown preset 'own-sistem'; available presets: ") and "own-system" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "nope"], "unknown preset 'nope'"),
        (["run", "aggregation", "--set", "models.population=abc"], "models.population: must be an integer"),
        (["run", "aggregation", "--set", "foo.bar=1"], "foo: unknown setting; valid keys at the top level"),
        (["run", "aggregation", "--set", "learner.guard_vot='all'"], "learner.guard_vot: unknown setting; did you mean guard_vote?"),
        (["run", "aggregation", "--set", "seeed=1"], "seeed: unknown setting; did you mean seed?"),
        (["run", "gan-digits", "--set", "generatons=3"], "generatons: unknown setting; did you mean generations?"),
        (["run", "aggregation", "--set", "environment.truth=[1.5, 0, 0, 0]"], "environment.truth"),
        (["run", "aggregation", "--set", "environment.id=turinglearn/Nope-v0"], "unknown environment id"),
        (["run", "aggregation", "--set", "environment.n_agents=-1"], "environment.n_agents"),
        (["run", "aggregation", "--generations", "0"], "generations: must be at least 1"),
        (["run", "own-system"], "own-system names no environment, so the default, turinglearn/Aggregation-v0, would run"),
        (["sweep", "own-system", "--seeds", "2"], "own-system names no environment"),
        (["benchmark", "--tasks", "own-system"], "own-system names no environment"),
        (["benchmark", "peers", "--tasks", "own-system"], "own-system names no environment"),
        # a flag and a --set of its setting that disagree (the flag won, silently)
        (["run", "gan-digits", "--device", "cpu", "--set", "execution.device='cuda'"],
         '--device cpu and --set execution.device="cuda" disagree: give one of them'),
        (["run", "aggregation", "--generations", "3", "--set", "generations=5"], "--generations 3 and --set generations=5"),
        (["sweep", "aggregation", "--seeds", "2", "--max-simulations", "100", "--set", "stopping.max_simulations=50"],
         "--max-simulations 100 and --set stopping.max_simulations=50 disagree"),
        (["run", "stimulus-response", "--passive", "--set", "learner.passive=false"], "--passive and --set learner.passive=false"),
        (["run", "aggregation", "--scheduler", "tcp://host:1", "--set", "execution.backend='processes'"],
         '--scheduler tcp://host:1 (the dask backend) and --set execution.backend="processes" disagree'),
        # an auditor's tracebacks: a byte that is not UTF-8 (as a shell passes it), a size past the memory, a GAN recorded
        (["run", "aggregation", "--set", 'name="n\udcff"'], "name: must be UTF-8 text, got 'n\\xff'"),
        (["record", "gan-digits", "--trials", "2"], "gan-digits is a GAN config: a recording holds a system's"),
        (["record", "gan-folder"], "gan-folder is a GAN config: a recording holds a system's"),
        (["benchmark", "--tasks", "gan-digits"], "--tasks: gan-digits is a GAN; the benchmark compares"),
        (["benchmark", "--tasks", "stimulus-response"], "'metric-sse' compares trajectories of a swarm"),
        # settings of the other kind of system, which ran as the plain run
        (["run", "aggregation", "--passive"], "learner.passive: watches an interactive system without its interrogators"),
        (["run", "aggregation", "--set", "learner.genuine_trials=7"], "learner.genuine_trials: is the trials of an interactive"),
        (["run", "stimulus-response", "--set", "learner.genuine_per_trial=3"], "learner.genuine_per_trial: is the genuine agents"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragment, capsys, tmp_path):
    out = tmp_path / "never"
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("turinglearn: error:") and fragment in err[0]
    assert not out.exists()


def test_settings_past_the_memory_end_in_one_line(capsys, tmp_path):
    """An auditor's environment.steps=1e9 ended in numpy's _ArrayMemoryError traceback."""
    out = tmp_path / "never"
    # 10^13 steps: past any address space, whatever the host's overcommit
    assert main(["run", "aggregation", "--generations", "1", "--set", "environment.steps=10000000000000", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("turinglearn: error: out of memory (Unable to allocate") and len(err) == 2
    assert "lower environment.steps, the populations" in err[-1] and not out.exists()


def test_settings_of_the_other_kind_of_system_are_refused_for_new_runs_only(tmp_path, monkeypatch):
    """A run the previous version made with genuine_trials = 7 on a swarm resumes (it was refused:
    and resume refuses to change learner settings), and a recording of an interactive system
    reads genuine_per_trial (it was refused as a swarm's setting)."""
    import turinglearn
    from turinglearn.app import driver
    from turinglearn.app.hooks import Interrupted

    settings = {**TINY, "generations": 3, "execution.checkpoint_every": 1, "learner.genuine_trials": 7}
    with pytest.raises(turinglearn.ConfigError, match=r"learner\.genuine_trials: is the trials of an interactive"):
        turinglearn.learn("aggregation", overrides=settings)

    def stop_at_one(record):
        if record.generation == 1:
            raise Interrupted(2, 2)

    monkeypatch.setattr(driver, "check_new_run", lambda *a: None)  # as the previous version made it
    with pytest.raises(Interrupted):
        turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "old", hooks=[stop_at_one])
    monkeypatch.undo()
    assert turinglearn.resume(tmp_path / "old", log=lambda m: None).summary()["generations"] == 3
    monkeypatch.chdir(tmp_path)
    interactive = {k: v for k, v in TINY.items() if k != "environment.n_agents"}
    turinglearn.record(turinglearn.load_config("stimulus-response", interactive), out="sr.npz", trials=12)
    recorded = {**interactive, "data": "sr.npz", "learner.passive": True, "learner.genuine_per_trial": 4, "generations": 1}
    turinglearn.learn("stimulus-response", overrides=recorded)


def test_gap_fitness_with_one_sample_of_each_model_stops_at_the_first_generation(capsys, tmp_path):
    """Found when the first generation is judged (one replica, one trial: one sample of each
    model): the run's header, then one line of error, exit 2, and no run directory left."""
    out = tmp_path / "never"
    over = ["--set", "learner.model_fitness='gap'", "--set", "environment.n_replicas=1", "--set", "learner.critic=0"]
    assert main(["run", "aggregation", *TINY_ARGS, *over, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("turinglearn: error: learner.model_fitness: 'gap' needs two samples of each model")
    assert len(err) == 2 and not out.exists()


def test_a_byte_order_mark_and_a_dangling_link_are_named(tmp_path, capsys):
    """An auditor's config saved with a BOM read 'Invalid statement (at line 1, column 1)'; --out a
    dangling link 'File exists'."""
    bom = tmp_path / "bom.toml"
    bom.write_bytes('\ufeffname = "x"\n'.encode())
    assert main(["run", str(bom)]) == 2
    assert "begins with a byte-order mark (U+FEFF), which TOML does not allow" in capsys.readouterr().err
    (tmp_path / "link").symlink_to(tmp_path / "nowhere" / "x")
    assert main(["run", "aggregation", *TINY_ARGS, "--out", str(tmp_path / "link")]) == 2
    assert f"is a link to {tmp_path / 'nowhere' / 'x'}, which does not exist" in capsys.readouterr().err


def test_malformed_toml(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nseed = [1,\n')
    assert main(["run", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_out_dir_that_is_not_a_run_is_refused_and_untouched(tmp_path, capsys):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["run", "aggregation", "--out", str(other), *TINY_ARGS]) == 2
    assert "not a turinglearn run" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_existing_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "aggregation", "--out", str(out), *TINY_ARGS]) == 0
    before = (out / "summary.json").read_bytes()
    assert main(["run", "aggregation", "--out", str(out), *TINY_ARGS]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert (out / "summary.json").read_bytes() == before


def test_report_of_a_read_only_run_prints_its_summary(tmp_path, capsys, monkeypatch):
    """An auditor's archived run (chattr +i): report stopped at 'cannot write parameters.png' and
    printed nothing; resume's lock error said nothing of what to do."""
    import os as _os

    out = tmp_path / "run"
    assert main(["run", "aggregation", "--out", str(out), *TINY_ARGS, "--quiet"]) == 0
    capsys.readouterr()
    drawn = (out / "parameters.png").stat().st_mtime_ns
    access = _os.access
    monkeypatch.setattr(_os, "access", lambda p, mode: False if Path(p) == out else access(p, mode))
    assert main(["report", str(out)]) == 0
    captured = capsys.readouterr()
    assert "is read-only: its plots are not redrawn" in captured.err and "C2ST" in captured.out
    assert (out / "parameters.png").stat().st_mtime_ns == drawn


def test_report_on_a_non_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a readable turinglearn run" in capsys.readouterr().err
    (tmp_path / "run.json").write_text("[]")  # JSON, but not a status (an AttributeError in report and resume)
    for command in ("report", "resume"):
        assert main([command, str(tmp_path)]) == 2
        assert "not a readable turinglearn run (run.json holds a list, not a run's status)" in capsys.readouterr().err
    (tmp_path / "run.json").write_text('{"format": 2, "status": "running"}')  # a newer version's: resumed unsaid
    assert main(["resume", str(tmp_path)]) == 2
    assert "was written in run format 2; this turinglearn reads format 1" in capsys.readouterr().err


def test_console_script_and_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "turinglearn", "run", "nope"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown preset" in r.stderr
    r = subprocess.run([sys.executable, "-m", "turinglearn", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "run" in r.stdout


def test_import_is_light():
    code = "import sys, turinglearn; print(any(m.split('.')[0] in {'torch', 'sklearn', 'matplotlib'} for m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


def test_parse_seeds():
    from turinglearn.app.cli import parse_seeds
    from turinglearn.errors import TuringLearnError

    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("10") == list(range(10))  # a count: `benchmark swarm --seeds 10`
    assert parse_seeds("12-14") == [12, 13, 14]
    assert parse_seeds("1,4,7") == [1, 4, 7]
    assert parse_seeds("0-1,5") == [0, 1, 5]
    assert parse_seeds("5,") == [5]
    for bad in ("a-b", "", "-1", "0", ",", "3-1"):
        with pytest.raises(TuringLearnError):
            parse_seeds(bad)


def test_benchmark_swarm_writes_table_and_plot(tmp_path, capsys):
    small = [a for a in TINY_ARGS if a not in ("--generations", "2", "--quiet")]
    out = tmp_path / "bench"
    rc = main(
        [
            "benchmark",
            "swarm",
            "--seeds",
            "0-1",
            "--tasks",
            "aggregation",
            "--jobs",
            "1",
            "--out",
            str(out),
            "--set",
            "generations=2",
            *small,
        ]
    )
    assert rc == 0
    results = json.loads((out / "results.json").read_text())
    assert sorted({(r["learner"], r["seed"]) for r in results}) == [
        (k, s) for k in ("metric-histogram", "metric-sse", "turing") for s in (0, 1)
    ]
    table = (out / "table.md").read_text()
    assert "| turing |" in table and "paired seeds" in table
    assert (out / "errors.png").stat().st_size > 1000

    # Run again into the same directory with one more seed: the finished runs are kept
    # (same numbers), only the missing ones are run.
    before = {(r["learner"], r["seed"]): r["abs_error"] for r in results}
    capsys.readouterr()
    argv = ["benchmark", "swarm", "--seeds", "0-2", "--tasks", "aggregation", "--jobs", "1"]
    assert main([*argv, "--out", str(out), "--set", "generations=2", *small]) == 0
    assert "6 already done" in capsys.readouterr().out
    again = json.loads((out / "results.json").read_text())
    assert len(again) == 9
    assert {(r["learner"], r["seed"]): r["abs_error"] for r in again if r["seed"] < 2} == before


def test_benchmark_validates_settings_before_running(tmp_path, capsys):
    assert (
        main(
            [
                "benchmark",
                "swarm",
                "--tasks",
                "aggregation",
                "--set",
                "models.popul=3",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 2
    )
    assert "models.popul" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_report_redraws_interrogation_plot_and_files_are_readable(tmp_path, capsys):
    import stat

    import turinglearn

    small = {
        "generations": 3,
        "environment.steps": 10,
        "models.population": 6,
        "models.parents": 3,
        "discriminators.population": 6,
        "discriminators.parents": 3,
        "learner.genuine_trials": 4,
        "evaluation.c2st_trials": 10,
    }
    out = tmp_path / "sr"
    turinglearn.learn("stimulus-response", overrides=small, out=out)
    assert (out / "summary.json").stat().st_mode & stat.S_IRGRP  # not 0600
    (out / "interrogation.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "interrogation.png").stat().st_size > 1000


def test_plots_leave_the_callers_matplotlib_backend_alone(tmp_path):
    # a notebook's inline backend must survive learn(out=...) and `turinglearn report`
    import matplotlib
    import numpy as np

    from turinglearn.app.report import plot_fitness

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        g = np.arange(3.0)
        metrics = {
            "generation": g,
            **{f"{w}_fitness_{s}": g / 3 for w in ("model", "discriminator") for s in ("mean", "max")},
        }
        plot_fitness(metrics, tmp_path / "fitness.png")
        assert (tmp_path / "fitness.png").read_bytes()[:4] == b"\x89PNG"
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_a_reader_that_goes_away_ends_the_command_quietly():
    import subprocess
    import sys

    p = subprocess.Popen(
        [sys.executable, "-m", "turinglearn", "presets", "own-system"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p.stdout.close()  # as `| head -0` would, before anything is read
    err = p.stderr.read().decode()
    assert p.wait() == 1 and err == ""


def test_a_config_that_names_no_environment_is_refused_by_record_and_by_learn(tmp_path, capsys):
    """The own-system preset (and a copy of it) names no environment: run, sweep (above), record
    and learn() without a simulator would all have used aggregation under its name."""
    import turinglearn
    from turinglearn.errors import TuringLearnError

    assert main(["record", "own-system", "--out", str(tmp_path / "r.npz")]) == 2
    assert "own-system names no environment" in capsys.readouterr().err
    assert not (tmp_path / "r.npz").exists()
    with pytest.raises(TuringLearnError, match="own-system names no environment"):
        turinglearn.learn("own-system", generations=1)
    # naming it in an override, by its key or as a whole table, is enough
    from turinglearn.app.preflight import check_names_an_environment
    from turinglearn.config import load_config

    for given in (["environment.id=turinglearn/Aggregation-v0"], ['environment={id="turinglearn/Aggregation-v0"}'],
                  {"environment": {"id": "turinglearn/Aggregation-v0"}}):  # fmt: skip
        check_names_an_environment("own-system", given, load_config("own-system", given))
    with pytest.raises(TuringLearnError, match="own-system names no environment"):
        check_names_an_environment("own-system", {"environment.steps": 30}, load_config("own-system"))


def test_report_reads_a_finished_run_without_the_users_module(tmp_path, monkeypatch, capsys):
    """A Gym-v0 run names its policy as 'module:function'; report redraws and prints the
    finished run from its own files (it imported the module, and failed from another folder),
    and the error where a module is needed says where to run from."""
    import turinglearn

    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "mypolicy.py").write_text(
        "import numpy as np\n"
        "def pd(params, obs):\n"
        "    angle = np.arctan2(obs[..., 1], obs[..., 0])\n"
        "    return np.clip(-params[..., :1] * angle[..., None] - params[..., 1:] * obs[..., 2:], -2, 2)\n"
    )
    monkeypatch.chdir(lab)
    over = {"environment.id": "turinglearn/Gym-v0", "environment.policy": "mypolicy:pd", "environment.steps": 20,
            "environment.push": 1.0, "models.population": 10, "models.parents": 5, "discriminators.population": 10,
            "discriminators.parents": 5, "learner.genuine_trials": 10, "evaluation.c2st_trials": 20,
            "evaluation.intervals": "off"}  # fmt: skip
    turinglearn.learn("own-system", generations=2, overrides=over, out=lab / "run", check=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "mypolicy")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(lab)])
    assert main(["report", str(lab / "run")]) == 0
    assert "kp" in capsys.readouterr().out
    assert main(["check", str(lab / "run" / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert "cannot load 'mypolicy:pd'" in err and "run from the folder that holds mypolicy.py, or put that folder on PYTHONPATH" in err


def test_read_run_gives_python_what_report_prints(tmp_path, capsys, tiny):
    """From Python a finished run is read back from its files (there was no documented way but
    the command line): its summary, metrics and status, and report() is what `turinglearn
    report` prints of it."""
    import turinglearn

    result = turinglearn.learn("aggregation", overrides=tiny, out=tmp_path / "run")
    record = turinglearn.read_run(tmp_path / "run")
    assert record.summary["inferred"] == [float(v) for v in result.inferred] and record.status["status"] == "complete"
    assert list(record.history["generation"]) == [0, 1, 2]
    assert main(["report", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    assert record.report() and record.report() in printed
    with pytest.raises(turinglearn.errors.RunDirError, match="is not a directory"):
        turinglearn.read_run(tmp_path / "nothing")


def test_a_simulator_that_raises_when_built_is_one_line_naming_where(tmp_path, monkeypatch, capsys):
    (tmp_path / "badsim.py").write_text(
        "from dataclasses import dataclass\n"
        "from turinglearn.environments import register\n"
        "@dataclass(frozen=True)\n"
        "class Cfg:\n"
        "    n_agents: int = 3\n"
        "    n_replicas: int = 1\n"
        "    steps: int = 5\n"
        "class Bad:\n"
        "    def __init__(self, config=None):\n"
        "        raise ValueError('boom')\n"
        "register('badsim:Bad-v0', sim='badsim:Bad', config='badsim:Cfg')\n"
        "from turinglearn.families.parametric import BoxFamily\n"
        "class Reversed(Bad):\n"
        "    def __init__(self, config=None):\n"
        "        self.model_family = BoxFamily(('a',), lower=(1.0,), upper=(0.0,))\n"
        "register('badsim:Reversed-v0', sim='badsim:Reversed', config='badsim:Cfg')\n"
    )
    (tmp_path / "bad.toml").write_text('[environment]\nid = "badsim:Bad-v0"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", "bad.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "building Bad of 'badsim:Bad-v0' raised ValueError: boom (at " in err
    assert "badsim.py:10, in __init__" in err
    # raised in the library's code, called from one's own: the line of one's own (it named parametric.py)
    (tmp_path / "reversed.toml").write_text('[environment]\nid = "badsim:Reversed-v0"\n')
    assert main(["check", "reversed.toml"]) == 2
    err = capsys.readouterr().err
    assert "every lower bound must be below its upper bound" in err and "badsim.py:15, in __init__" in err
    (tmp_path / "case.toml").write_text('[environment]\nid = "badsim:Bad-V0"\n')
    assert main(["check", "case.toml"]) == 2
    assert "did you mean 'badsim:Bad-v0'? (ids are case-sensitive)" in capsys.readouterr().err


def test_ctrl_c_before_a_run_began_offers_no_resume(tmp_path, capsys):
    """Ctrl-C while a GAN run was still being built printed 'continue with: turinglearn resume
    runs/int', which failed: no directory had been written."""
    from turinglearn.app.cli import _interrupted

    assert _interrupted(KeyboardInterrupt(), tmp_path / "never") == 130
    assert capsys.readouterr().err == "turinglearn: interrupted before the run began; nothing was written\n"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    _interrupted(KeyboardInterrupt(), tmp_path / "run")
    assert f"continue with: turinglearn resume {tmp_path / 'run'}" in capsys.readouterr().err


def test_an_option_is_spelled_out_not_guessed_from_a_prefix(capsys):
    """A psychologist's `--gen 1` ran one generation: a typo that is a prefix of an option."""
    with pytest.raises(SystemExit) as stop:
        main(["run", "stimulus-response", "--gen", "1"])
    assert stop.value.code == 2 and "unrecognized arguments: --gen 1" in capsys.readouterr().err
