"""benchmarks/judge_boundary.py: how often a checkpoint's judges take steps from the truth for genuine."""

import importlib.util
from pathlib import Path

import numpy as np

import turinglearn

_spec = importlib.util.spec_from_file_location(
    "judge_boundary", Path(__file__).resolve().parents[1] / "benchmarks" / "judge_boundary.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_steps_from_the_truth_are_judged_by_the_current_judges_the_hall_of_fame_and_the_guards(tmp_path, tiny):
    over = {
        **tiny, "execution.checkpoint_every": 1, "learner.hall_of_fame_every": 1, "evaluation.c2st_trials": 0,
        "learner.guards": 2, "learner.guard_every": 2, "learner.guard_step": 0.25,
    }  # fmt: skip
    turinglearn.learn("aggregation", seed=2, overrides=over, out=tmp_path / "run")
    rows = bench.boundary(tmp_path / "run", generation=3, step=0.2, copies=4, seed=0)
    # p* = (-0.7, -1, 1, -1): a step past a bound is left out
    assert [r["model"] for r in rows] == ["truth", "v_l0 -0.2", "v_l0 +0.2", "v_r0 +0.2", "v_l1 -0.2", "v_r1 +0.2"]
    for r in rows:
        values = [r[f"{g}_{s}"] for g in bench.GROUPS for s in ("model", "system")]
        assert all(0 <= v <= 1 for v in values)
        for s in ("model", "system"):  # every guard must say genuine: no more often than the guards' mean
            assert r[f"guards-all_{s}"] <= r[f"guards_{s}"]
    assert any(r["guards-all_system"] < r["guards_system"] for r in rows)  # with more than one guard, less
    # the same seed gives the same figures, and the steps are not all judged like the truth
    again = bench.boundary(tmp_path / "run", generation=3, step=0.2, copies=4, seed=0)
    assert [r["current_model"] for r in again] == [r["current_model"] for r in rows]
    assert not np.allclose([r["current_model"] for r in rows], rows[0]["current_model"])


def test_the_fitness_of_models_that_differ_agrees_between_evaluations_and_of_equal_ones_does_not(tmp_path, tiny):
    over = {**tiny, "execution.checkpoint_every": 1, "evaluation.c2st_trials": 0, "learner.guards": 2, "learner.guard_every": 2}
    turinglearn.learn("aggregation", seed=2, overrides=over, out=tmp_path / "run")
    truth, far = np.array([-0.7, -1.0, 1.0, -1.0]), np.array([1.0, 1.0, -1.0, 1.0])
    two = np.repeat([truth, far], 20, axis=0)  # two kinds of model: the fitness follows the kind
    r = bench.reliability(tmp_path / "run", 3, repeats=3, seed=0, theta=two)
    assert r["whole"] > 0.8 and set(r["follows"]) == {"v_l0", "v_r0", "v_l1", "v_r1"}
    np.testing.assert_equal(bench.reliability(tmp_path / "run", 3, repeats=3, seed=0, theta=two), r)  # the seed decides
    same = bench.reliability(tmp_path / "run", 3, repeats=3, seed=0, theta=np.repeat([truth], 40, axis=0))
    assert abs(same["whole"]) < 0.4 and same["near_models"] == 40  # equal models: only the trials' luck differs
