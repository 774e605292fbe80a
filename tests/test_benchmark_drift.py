"""benchmarks/coevolution.py's drift reading (issue 23's measure) on made-up histories: from the
first generation within ``near``, and from the first that starts ``settle`` in a row within it,
read from the whole population's median or from the parents'."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_coevolution", Path(__file__).resolve().parents[1] / "benchmarks" / "coevolution.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _history(median, parents):
    return {"a_median": np.asarray(median, float), "a_parents": np.asarray(parents, float)}


def test_an_offspring_spike_moves_the_population_median_and_not_the_parents():
    # reaches the truth (0) at generation 3 (1-based: 4), holds it, and at generation 70 half the
    # population (the fresh offspring) lands on a bound for one generation
    median = np.r_[[0.9, 0.5, 0.2], np.full(100, 0.01)]
    median[70] = 0.4
    parents = median.copy()
    parents[70] = 0.02
    h = _history(median, parents)
    whole = bench.drift(h, ["a"], [0.0], near=0.05, settle=50)
    kept = bench.drift(h, ["a"], [0.0], near=0.05, settle=50, column="parents")
    assert whole["first_near"] == kept["first_near"] == 4
    assert whole["max_after"] == pytest.approx(0.4) and whole["generations_away"] == 1
    assert whole["settled_at"] == 4 and whole["max_after_settled"] == pytest.approx(0.4)
    assert kept["max_after"] == pytest.approx(0.02) and kept["generations_away"] == 0
    assert kept["max_after_settled"] == pytest.approx(0.02)


def test_an_overshoot_before_holding_counts_from_near_but_not_from_settled():
    parents = np.r_[[0.9, 0.04, 0.3, 0.2], np.full(60, -0.01)]
    kept = bench.drift(_history(parents, parents), ["a"], [0.0], near=0.05, settle=50, column="parents")
    assert kept["first_near"] == 2 and kept["max_after"] == pytest.approx(0.3) and kept["generations_away"] == 2
    assert kept["settled_at"] == 5 and kept["max_after_settled"] == pytest.approx(0.01)
    never = bench.drift(_history(np.full(60, 0.5), np.full(60, 0.5)), ["a"], [0.0], near=0.05)
    assert never["first_near"] is None and never["settled_at"] is None


def test_a_median_that_passes_the_truth_while_the_population_is_spread_has_not_gathered():
    # the median crosses the truth (0) at generation 2 (1-based) with quartiles +-0.4 around it,
    # overshoots to -0.2, then the population closes in (quartiles +-0.05) at generation 6 and a
    # later wander of 0.08 is all it does
    median = np.r_[[0.5, 0.03, -0.2, -0.1, 0.04, 0.01], np.full(20, 0.02)]
    median[15] = 0.08
    half = np.r_[[0.5, 0.4, 0.4, 0.3, 0.2, 0.05], np.full(20, 0.05)]
    h = {"a_median": median, "a_q25": median - half, "a_q75": median + half}
    read = bench.drift(h, ["a"], [0.0], near=0.05, settle=50)
    assert read["first_near"] == 2 and read["max_after"] == pytest.approx(0.2)
    assert read["gathered_at"] == 6 and read["max_after_gathered"] == pytest.approx(0.08)
    never = bench.drift({**h, "a_q75": median + 1.0}, ["a"], [0.0], near=0.05)
    assert never["gathered_at"] is None and never["max_after_gathered"] is None
    assert "gathered_at" not in bench.drift({"a_median": median}, ["a"], [0.0], near=0.05)
