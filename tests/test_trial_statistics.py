"""benchmarks/trial_statistics.py: how far one trial's statistics move when one parameter moves."""

import importlib.util
from pathlib import Path

import numpy as np

from turinglearn.config import load_config

_spec = importlib.util.spec_from_file_location(
    "trial_statistics", Path(__file__).resolve().parents[1] / "benchmarks" / "trial_statistics.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_a_move_of_the_truth_moves_the_statistics_and_the_truth_itself_does_not(tiny):
    config = load_config("aggregation", {**tiny, "environment.steps": 100})
    rows = dict(bench.moves(config, step=0.5, trials=200, seed=0))
    # p* = (-0.7, -1, 1, -1): a move past a bound stops on it, at the truth
    moved = "truth, v_l0 -0.3, v_l0 +0.5, v_r0 +0, v_r0 +0.5, v_l1 -0.5, v_l1 +0, v_r1 +0, v_r1 +0.5"
    assert list(rows) == moved.split(", ")
    assert all(d.shape == (18,) for d in rows.values())
    biggest = {label: np.abs(d).max() for label, d in rows.items()}
    # the system's own model, moved nowhere, moves no statistic by much (sampling alone); a move of
    # the wheel speeds with nothing ahead (v_l0, v_r0) moves some by several spreads
    assert max(biggest[k] for k in ("truth", "v_r0 +0", "v_l1 +0", "v_r1 +0")) < 0.6, biggest
    assert min(biggest[k] for k in ("v_l0 -0.3", "v_l0 +0.5", "v_r0 +0.5")) > 3.0, biggest
    again = dict(bench.moves(config, step=0.5, trials=200, seed=0))
    np.testing.assert_array_equal(again["v_l0 +0.5"], rows["v_l0 +0.5"])  # the seed fixes the trials
