"""The examples of one's own system (issue 16): each passes the checker and, in its quick mode
(a few seconds), recovers its ground truth within a loose bound; ``benchmarks/own_systems.py``
checks the full settings (within 5 % of every range in at least 4 of 5 seeds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import load_example

from turinglearn.app.checks import inspect_environment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: quick mode, seed 0: every parameter's error as a fraction of its range stays below this
QUICK_BOUND = {"own_swarm": 0.2, "own_agent": 0.05, "own_gym_policy": 0.15}


@pytest.mark.parametrize("name", sorted(QUICK_BOUND))
def test_example_recovers_its_truth_quickly(name):
    module = load_example(name)
    result = module.run(seed=0, quick=True)
    width = module.FAMILY.upper - module.FAMILY.lower
    rel = np.asarray(result.abs_error) / width
    assert (rel < QUICK_BOUND[name]).all(), dict(zip(result.names, rel.round(3), strict=True))
    assert result.config.learner.hall_of_fame == 0  # the neutral preset, not the aggregation study's


@pytest.mark.parametrize("name", sorted(QUICK_BOUND))
def test_example_names_its_contract_and_passes_the_checker(name):
    module = load_example(name)
    assert "Contract: :class:`turinglearn.core.contracts." in module.__doc__
    sim = module.make_sim() if hasattr(module, "make_sim") else (
        module.DriftSwarm() if name == "own_swarm" else module.LeakyIntegrator()
    )  # fmt: skip
    report = inspect_environment(sim)
    assert (report.problems, report.warnings) == ([], [])


def test_the_gym_example_without_an_upright_start_has_no_signal():
    report = inspect_environment(load_example("own_gym_policy").make_sim(upright=False))
    (p,) = report.problems
    assert p.startswith("no signal:")


def test_an_example_runs_as_a_script():
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "own_agent.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "gain   inferred" in r.stdout and "% of its range" in r.stdout


def test_ones_own_swarm_runs_with_whole_swarm_judges():
    """Whole-swarm judges size a swarm from the contract's settings (n_agents + n_replicas), not
    from an attribute the built-in environments' configs have besides."""
    pytest.importorskip("torch")
    import turinglearn

    module = load_example("own_swarm")
    assert not hasattr(module.DriftSwarm().config, "n_robots")  # what the contract does not ask for
    over = {**turinglearn.WITHOUT_MEMORY, **module.QUICK, "generations": 2, "discriminators.kind": "swarm",
            "evaluation.intervals": "off"}  # fmt: skip
    result = turinglearn.learn("own-system", simulator=module.DriftSwarm(), overrides=over)
    assert len(result.history["generation"]) == 2 and np.isfinite(result.model_fitness).all()
