"""stopping.max_time under torchrun: the first process's clock decides, and every process stops
at the same step (two CPU processes over gloo, a tiny GAN)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")

# Each process runs a GAN whose Stopper reads a clock of its own: the first process's advances a
# second a reading, the other's stands still (on its own it would never stop; if it did not follow
# the first, it would wait in the next step's gradient all-reduce for a partner that has left).
SCRIPT = textwrap.dedent(
    """
    import itertools, json, os, sys

    import torch

    torch.set_num_threads(1)
    from turinglearn.app.driver import run_experiment
    from turinglearn.app.stopping import Stopper
    from turinglearn.config import load_config

    rank = int(os.environ["RANK"])
    ticks = itertools.count()
    Stopper.clock = staticmethod((lambda: float(next(ticks))) if rank == 0 else (lambda: 0.0))
    config = load_config("gan-digits", {
        "generations": 12, "learner.batch": 16, "models.latent": 16, "models.width": 8,
        "discriminators.width": 8, "evaluation.log_every": 4, "evaluation.grid_every": 0,
        "evaluation.samples": 0, "execution.device": "cpu", "execution.checkpoint_every": 5,
        "stopping.max_time": 10,
    })
    result = run_experiment(config, out=sys.argv[1])
    print("RESULT", json.dumps({"rank": rank, "done": result.learner.generation,
                                "stopped": result.extra.get("stopped")}))
    """
)


def _torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


def test_max_time_stops_every_process_at_the_first_ones_step(tmp_path):
    script, out = tmp_path / "job.py", tmp_path / "run"
    script.write_text(SCRIPT)
    cmd = [*_torchrun(), "--standalone", "--nproc_per_node", "2", str(script), str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    results = sorted(
        (json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("RESULT")),
        key=lambda r: r["rank"],
    )
    # a second of setup and one a generation on the first process's clock, 2 s kept for the end: 7 of 12
    stop = {"rule": "max_time", "generation": 7}
    assert results == [{"rank": 0, "done": 7, "stopped": stop}, {"rank": 1, "done": 7, "stopped": stop}]
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "stopped" and status["stopped"] == stop and "time budget" in status["reason"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicas_in_sync"] is True and summary["processes"] == 2
    assert summary["generations"] == 7
    assert (out / "checkpoints" / "generation-000007.npz").is_file()
