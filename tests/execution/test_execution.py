"""Backends, chunks, faults: a run's numbers do not depend on where its work runs."""

import json

import numpy as np
import pytest
from helpers import assert_same_run, same_summary

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.evaluator import ChunkedEvaluator, chunk_slices, merge
from turinglearn.errors import ConfigError, TuringLearnError
from turinglearn.execution.backends import Processes, WorkerError


@pytest.fixture
def chunked(tiny):
    # 10 models in chunks of 4: three chunks, the last one short
    return {**tiny, "execution.chunk_size": 4}


def test_chunk_slices_cover_the_batch_in_order():
    assert chunk_slices(10, 4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert chunk_slices(10, None) == [slice(0, 10)]
    assert chunk_slices(3, 50) == [slice(0, 3)]


def test_merge_makes_model_indices_global():
    from turinglearn.core.contracts import Evaluation

    a = Evaluation(np.zeros((2, 3)), np.array([True, False, False]), np.array([-1, 0, 1]))
    b = Evaluation(np.ones((2, 2)), np.array([True, False]), np.array([-1, 0]))
    m = merge([a, b], [0, 2])
    np.testing.assert_array_equal(m.owner, [-1, 0, 1, -1, 2])
    assert m.outputs.shape == (2, 5)


def test_chunks_change_numbers_not_the_algorithm(tiny):
    """Chunking is part of the config: one chunk and three chunks are different random draws."""
    one = turinglearn.learn("aggregation", overrides={**tiny, "generations": 8})
    three = turinglearn.learn("aggregation", overrides={**tiny, "generations": 8, "execution.chunk_size": 4})
    assert not np.array_equal(one.models, three.models)


# stimulus-response is slow (15 s); interactive systems in workers stay in the default run through
# tests/environments/test_gym.py::test_gym_tasks_run_bit_identically_in_worker_processes
@pytest.mark.parametrize("preset", ["aggregation", pytest.param("stimulus-response", marks=pytest.mark.slow)])
def test_processes_give_bit_identical_results(chunked, preset):
    overrides = {**chunked, "generations": 2}
    if preset == "stimulus-response":
        overrides = {k: v for k, v in overrides.items() if not k.startswith("environment.")} | {
            "environment.steps": 20,
            "learner.genuine_trials": 7,
        }
    here = turinglearn.learn(preset, overrides=overrides)
    pool = turinglearn.learn(
        preset, overrides={**overrides, "execution.backend": "processes", "execution.workers": 2}
    )
    assert_same_run(here, pool)


def test_an_interrogated_critics_trials_run_bit_identically_in_worker_processes():
    """The critic's trials of an interrogated system (evaluator.interrogated) run chunk by chunk
    in workers, on the critic's own stream, as they would here."""
    small = {
        "generations": 3, "environment.steps": 20, "learner.genuine_trials": 7, "learner.critic": 0.5,
        "models.population": 10, "models.parents": 5, "discriminators.population": 6,
        "discriminators.parents": 3, "execution.chunk_size": 4, "evaluation.c2st_trials": 10,
    }  # fmt: skip
    here = turinglearn.learn("stimulus-response", overrides=small)
    pool = turinglearn.learn(
        "stimulus-response", overrides={**small, "execution.backend": "processes", "execution.workers": 2}
    )
    assert_same_run(here, pool)
    assert np.isfinite(here.history["critic_accuracy"][1:]).all()


@pytest.mark.parametrize("workers", [pytest.param(1, marks=pytest.mark.slow), 2])  # 1: slow, 2 covers it
def test_dask_local_cluster_gives_bit_identical_results(chunked, workers):
    pytest.importorskip("dask.distributed")
    here = turinglearn.learn("aggregation", overrides=chunked)
    dask = turinglearn.learn(
        "aggregation",
        overrides={**chunked, "execution.backend": "dask", "execution.workers": workers},
    )
    assert_same_run(here, dask)


def test_metric_learner_is_chunked_identically(chunked):
    overrides = {**chunked, "learner.kind": "metric-sse", "generations": 2}
    here = turinglearn.learn("aggregation", overrides=overrides)
    pool = turinglearn.learn(
        "aggregation", overrides={**overrides, "execution.backend": "processes", "execution.workers": 2}
    )
    np.testing.assert_array_equal(here.models, pool.models)
    np.testing.assert_array_equal(here.model_fitness, pool.model_fitness)


def _faulty(tiny, tmp_path, fault: str, **execution) -> dict:
    from faulty_env import ID

    return {
        **tiny,
        "generations": 2,
        "environment.id": ID,
        "environment.fault": fault,
        "environment.fault_file": str(tmp_path / "fault-happened"),
        "execution.chunk_size": 4,
        "execution.backend": "processes",
        "execution.workers": 2,
        **{f"execution.{k}": v for k, v in execution.items()},
    }


@pytest.fixture
def parent_pid(monkeypatch):
    import os

    monkeypatch.setenv("FAULTY_ENV_PARENT", str(os.getpid()))  # faults happen in workers only


def test_worker_killed_mid_generation_does_not_change_the_result(tiny, tmp_path, parent_pid, capsys):
    from faulty_env import ID

    clean = turinglearn.learn(
        "aggregation", overrides={**tiny, "generations": 2, "environment.id": ID, "execution.chunk_size": 4}
    )
    faulty = turinglearn.learn("aggregation", overrides=_faulty(tiny, tmp_path, "die"))
    assert (tmp_path / "fault-happened").read_text() == "die"  # the fault did happen
    assert "a worker process died" in capsys.readouterr().err
    np.testing.assert_array_equal(clean.models, faulty.models)
    np.testing.assert_array_equal(clean.discriminator_fitness, faulty.discriminator_fitness)


def test_hung_worker_is_replaced_after_the_timeout(tiny, tmp_path, parent_pid, capsys):
    from faulty_env import ID

    clean = turinglearn.learn(
        "aggregation", overrides={**tiny, "generations": 2, "environment.id": ID, "execution.chunk_size": 4}
    )
    hung = turinglearn.learn("aggregation", overrides=_faulty(tiny, tmp_path, "hang", timeout=5.0))
    assert (tmp_path / "fault-happened").exists()
    assert "no result within 5 s" in capsys.readouterr().err
    np.testing.assert_array_equal(clean.models, hung.models)


@pytest.mark.slow
def test_a_hung_dask_worker_is_restarted_after_the_timeout(tiny, tmp_path, parent_pid, capsys):
    """A cancelled task does not free a Dask worker stuck in it: every retry went to the stuck
    worker and the run stopped after 3 (a newcomer's); the worker is now restarted, as the
    processes backend kills its own. About 20 s; the processes path runs in the default suite."""
    pytest.importorskip("dask.distributed")
    from faulty_env import ID

    clean = turinglearn.learn(
        "aggregation", overrides={**tiny, "generations": 2, "environment.id": ID, "execution.chunk_size": 4}
    )
    hung = turinglearn.learn(
        "aggregation", overrides={**_faulty(tiny, tmp_path, "hang", timeout=5.0), "execution.backend": "dask"}
    )
    assert (tmp_path / "fault-happened").exists()
    assert "no result within 5 s" in capsys.readouterr().err
    np.testing.assert_array_equal(clean.models, hung.models)


def test_retries_are_bounded(tiny, tmp_path, parent_pid):
    with pytest.raises(WorkerError, match=r"chunk \d+ failed 1 times \(a worker process died\)"):
        turinglearn.learn("aggregation", overrides=_faulty(tiny, tmp_path, "die", retries=0))


def test_exceptions_in_a_chunk_are_raised_not_retried(tmp_path):
    with Processes(workers=1, retries=3) as backend, pytest.raises(ValueError, match="bad chunk"):
        backend.map(_raise_value_error, [str(tmp_path / "calls")])
    assert (tmp_path / "calls").read_text() == "x"  # ran once, in the worker


def _raise_value_error(path):
    with open(path, "a") as f:
        f.write("x")
    raise ValueError("bad chunk")


def test_object_simulators_stay_in_process(tiny):
    cfg = load_config("aggregation", tiny)
    sim = build(cfg).system.sim
    with pytest.raises(TuringLearnError, match="cannot be rebuilt in worker processes"):
        ChunkedEvaluator(4, Processes(workers=1), recipe=None)
    with pytest.raises(TuringLearnError, match="register it"):
        turinglearn.learn(simulator=sim, overrides={"generations": 1, "execution.backend": "processes"})


def test_execution_settings_are_validated():
    with pytest.raises(ConfigError, match=r"execution.backend: must be one of inprocess, processes, dask"):
        load_config("aggregation", {"execution.backend": "mpi"})
    with pytest.raises(ConfigError, match=r"execution.scheduler: a scheduler address needs backend = 'dask'"):
        load_config("aggregation", {"execution.scheduler": "tcp://x:8786"})
    with pytest.raises(ConfigError, match=r"execution.chunk_size: must be at least 1"):
        load_config("aggregation", {"execution.chunk_size": 0})
    with pytest.raises(ConfigError, match=r"execution.workers: 2 workers change nothing with backend = 'inprocess'"):
        load_config("aggregation", {"execution.workers": 2})  # a newcomer's --workers 2 ran in process, silently
    with pytest.raises(ConfigError, match=r"execution.timeout"):
        load_config("aggregation", {"execution.timeout": -1})


def test_unknown_module_environment_is_a_config_error():
    with pytest.raises(ConfigError, match=r"environment.id: unknown environment id 'nosuchmodule:X-v0'"):
        load_config("aggregation", {"environment.id": "nosuchmodule:X-v0"})


def test_cli_run_with_processes_backend(tmp_path, tiny, capsys):
    from turinglearn.app.cli import main

    sets = [a for k, v in tiny.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "run"
    rc = main(
        [
            "run",
            "aggregation",
            *sets,
            "--out",
            str(out),
            "--quiet",
            "--backend",
            "processes",
            "--workers",
            "2",
        ]
    )
    assert rc == 0
    # 10 models, one chunk: a newcomer's second worker idled unsaid
    assert "10 models in chunks of 50: 1 chunk(s) a generation for 2 workers, the others idle" in capsys.readouterr().err
    cfg = (out / "config.toml").read_text()
    assert 'backend = "processes"' in cfg
    here = turinglearn.learn("aggregation", overrides=tiny)
    same_summary(json.loads((out / "summary.json").read_text()), here.summary())


@pytest.mark.slow
def test_sweep_runs_seeds_on_a_pool_and_finishes_an_interrupted_sweep(tmp_path, tiny, capsys):
    """Two pools of worker processes, the second resuming; the default run has the one-pool
    version below."""
    from turinglearn.app.cli import main

    tiny["evaluation.c2st_trials"] = 0  # the C2ST would take most of each tiny run's time
    sets = [a for k, v in tiny.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        "aggregation",
        "--seeds",
        "0-2",
        *sets,
        "--out",
        str(out),
        "--backend",
        "processes",
        "--workers",
        "2",
    ]
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["seed"] for r in results] == [0, 1, 2]
    # each seed's run is the run `turinglearn run --seed S` makes
    alone = turinglearn.learn("aggregation", overrides={**tiny, "seed": 1})
    assert results[1]["inferred"] == alone.summary()["inferred"]
    assert "| turing |" in (out / "table.md").read_text()
    # a sweep rerun keeps finished seeds (same numbers), and runs the missing ones
    (out / "seed-2" / "summary.json").unlink()
    (out / "seed-2" / "run.json").write_text('{"format": 1, "status": "running"}')
    assert main([*argv[:3], "0-3", *argv[4:]]) == 0
    again = json.loads((out / "results.json").read_text())
    assert [r["seed"] for r in again] == [0, 1, 2, 3]
    assert [r["inferred"] for r in again[:3]] == [r["inferred"] for r in results]


def test_sweep_runs_seeds_on_a_pool_and_a_rerun_finishes_it(tmp_path, tiny, capsys):
    """One pool: seeds 0-1 on two worker processes. Then, seed 1's run cut short and seed 2 added,
    a rerun (in process) keeps seed 0, finishes seed 1 and runs seed 2."""
    from turinglearn.app.cli import main

    tiny["evaluation.c2st_trials"] = 0  # the C2ST would take most of each tiny run's time
    sets = [a for k, v in tiny.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "sweep"
    sweep = ["sweep", "aggregation", *sets, "--out", str(out), "--seeds"]
    assert main([*sweep, "0-1", "--backend", "processes", "--workers", "2"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["seed"] for r in results] == [0, 1]
    # each seed's run is the run `turinglearn run --seed S` makes
    alone = turinglearn.learn("aggregation", overrides={**tiny, "seed": 1})
    assert results[1]["inferred"] == alone.summary()["inferred"]
    assert "| turing |" in (out / "table.md").read_text()
    (out / "seed-1" / "summary.json").unlink()
    (out / "seed-1" / "run.json").write_text('{"format": 1, "status": "running"}')
    assert main([*sweep, "0-2", "--backend", "inprocess"]) == 0
    again = json.loads((out / "results.json").read_text())
    assert [r["seed"] for r in again] == [0, 1, 2]
    assert [r["inferred"] for r in again[:2]] == [r["inferred"] for r in results]


def test_sweep_rejects_bad_settings_before_running(tmp_path, capsys):
    from turinglearn.app.cli import main

    assert (
        main(
            [
                "sweep",
                "aggregation",
                "--seeds",
                "0-1",
                "--set",
                "models.population=0",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 2
    )
    assert "models.population: must be at least" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_a_worker_that_cannot_import_the_users_module_says_how_to_start_it(monkeypatch, tmp_path):
    """A newcomer's Dask workers, started in another folder, failed with a bare KeyError of the
    id; the lookup now gives the id's own problem and, in a worker, how to start workers."""
    from turinglearn.environments import config_class, sim_class

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"no module 'nowhere_sim' in the current directory") as e:
        sim_class("nowhere_sim:Sim-v0")
    assert "in a worker process" not in str(e.value)
    monkeypatch.setenv("TURINGLEARN_WORKER", "1")
    with pytest.raises(ConfigError, match=r"\(in a worker process, pid \d+: start Dask workers in the folder that holds nowhere_sim.py"):
        config_class("nowhere_sim:Sim-v0")


def test_a_simulator_registered_by_the_running_script_stays_in_process(tiny):
    """An id of __main__ (a script or notebook registering its own simulator) is not there in a
    spawned worker: refused before any work, naming the fix."""
    from turinglearn.app.build import evaluator_for
    from turinglearn.environments import ENVIRONMENTS, register

    register("__main__:TinyAggregation-v0", sim=ENVIRONMENTS["turinglearn/Aggregation-v0"].sim,
             config=ENVIRONMENTS["turinglearn/Aggregation-v0"].config)  # fmt: skip
    try:
        cfg = load_config("aggregation", {**tiny, "environment.id": "__main__:TinyAggregation-v0"})
        with Processes(workers=1) as backend, pytest.raises(ConfigError, match=r"registered by the script being run"):
            evaluator_for(cfg, backend)
    finally:
        del ENVIRONMENTS["__main__:TinyAggregation-v0"]


def _die(_):
    import os

    os._exit(3)


def test_workers_that_never_returned_a_chunk_point_at_the_scripts_main_guard():
    """A script without `if __name__ == "__main__":` (its spawned workers start runs of their
    own and die) was told to check the workers' memory."""
    with Processes(workers=1, retries=0) as backend, pytest.raises(WorkerError) as e:
        backend.map(_die, [0])
    assert 'No worker has returned a chunk: if a script starts this run, it must do so under `if __name__ == "__main__":`' in str(e.value)
