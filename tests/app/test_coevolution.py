"""Diagnostics of the coevolution (turinglearn.app.coevolution): drift events found by the
convergence rule, the engagement digest, and the plot, on synthetic histories whose events are
known."""

import json
import time

import numpy as np
import pytest

from turinglearn.app.coevolution import (
    DriftEvent,
    _candidates,
    drift_events,
    engagement_summary,
    plot_coevolution,
)
from turinglearn.app.stopping import converged
from turinglearn.config.stopping import StoppingConfig

# the rule as these histories were drawn for (not the defaults, which are tuned on runs)
RULE = StoppingConfig(window=20, tolerance=0.02, patience=40)
RANGES = np.array([2.0, 2.0])  # parameters in [-1, 1]


def _drift(*args, **kwargs):
    return drift_events(*args, **{"window": RULE.window, "tolerance": RULE.tolerance, "patience": RULE.patience, **kwargs})


def history_of(a, b=None, **extra):
    """A metrics history of parameters a (and b): median, quartiles 0.05 either side, best."""
    cols = {"a": np.asarray(a, dtype=float)}
    if b is not None:
        cols["b"] = np.asarray(b, dtype=float)
    n = len(cols["a"])
    h = {"generation": np.arange(n)}
    for name, v in cols.items():
        h |= {f"{name}_median": v, f"{name}_q25": v - 0.05, f"{name}_q75": v + 0.05, f"{name}_best": v}
    return h | extra


def wobble(n, phase=0.0):
    return 0.003 * np.sin(0.7 * np.arange(n) + phase)  # far below the rule's tolerance (0.04)


def approach(n, start, target, ramp=60):
    """From ``start`` to ``target`` over ``ramp`` generations, then ``target`` with a wobble."""
    x = np.full(n, float(target))
    x[:ramp] = np.linspace(start, target, ramp)
    return x + wobble(n)


def first_settled(values, start=0, away_from=None, span=None):
    """The reference: the first column from ``start`` at which the rule itself holds (asked at
    every generation), optionally with its window estimate away from ``away_from``."""
    w = RULE.window
    for i in range(start, values.shape[1]):
        if not converged(values[:, : i + 1], RANGES, w, RULE.tolerance, RULE.patience):
            continue
        if away_from is None or np.any(
            np.abs(np.median(values[:, i - w + 1 : i + 1], axis=1) - away_from) > span
        ):
            return i
    return None


def test_a_sweep_away_and_back_is_one_event_with_its_generations():
    n = 600
    a = approach(n, -1.0, 0.3)
    down = 0.3 - 0.03 * np.arange(15)  # generations 300..314: to -0.12
    up = -0.12 + 0.03 * np.arange(1, 15)  # 315..328: back to 0.3
    a[300:329] = np.concatenate([down, up]) + wobble(n)[300:329]
    b = approach(n, 1.0, 0.9)
    h = history_of(a, b)
    events = _drift(h, ["a", "b"], RANGES)
    settled = first_settled(np.array([a, b]))
    assert settled is not None and settled < 300
    assert len(events) == 1, events
    e = events[0]
    assert e.settled == settled
    assert e.estimate == pytest.approx([0.3, 0.9], abs=0.004)
    # leave = 5 x 0.02 x range 2 = 0.2: first beyond at 0.3 - 7 x 0.03 = 0.09; back within at 0.12
    assert (e.left, e.farthest, e.returned, e.resettled) == (307, 314, 322, None)
    assert e.parameters == ("a",)
    assert e.distance == pytest.approx(0.42 / 2, abs=0.004)
    assert e.distances == {"a": pytest.approx(0.42, abs=0.008)}
    json.dumps(e.record())  # summary.json-ready


def test_settling_and_staying_has_no_event_and_short_runs_none_at_all():
    n = 500
    h = history_of(approach(n, -1.0, 0.3), approach(n, 1.0, -0.6))
    assert first_settled(np.array([h["a_median"], h["b_median"]])) is not None  # it did settle
    assert _drift(h, ["a", "b"], RANGES) == []
    short = {k: v[:30] for k, v in h.items()}  # fewer than window + patience - 1 generations
    assert _drift(short, ["a", "b"], RANGES) == []


def test_drift_to_elsewhere_ends_where_it_settles_there():
    """Object clustering, seed 5: on the truth, then off to another value for good."""
    n = 700
    a = approach(n, 0.5, 0.1)
    a[350:] = np.linspace(0.1, 0.9, 20).tolist() + [0.9] * (n - 370)
    a[350:] += wobble(n - 350)
    h = history_of(a)
    values = np.array([a])
    settled = first_settled(values)
    events = _drift(h, ["a"], RANGES[:1])
    assert len(events) == 1, events
    e = events[0]
    anchor = np.median(values[:, settled - RULE.window + 1 : settled + 1], axis=1)
    elsewhere = first_settled(values, start=e.left + 1, away_from=anchor, span=0.1 * RANGES[:1])
    assert (e.settled, e.returned, e.resettled) == (settled, None, elsewhere)
    assert e.left == 350 + 5  # 0.1 + 6 x 0.8 / 19 = 0.35 > 0.1 + 0.2 (5: 0.31)
    assert e.distance == pytest.approx(0.4, abs=0.005)


def test_two_sweeps_each_after_it_settled_again_and_leave_and_track_options():
    n = 900
    a = approach(n, -1.0, 0.3)
    for start in (300, 600):
        a[start : start + 40] = -0.1 + wobble(40)
    h = history_of(a)
    events = _drift(h, ["a"], RANGES[:1])
    assert [(e.left, e.returned) for e in events] == [(300, 340), (600, 640)]
    assert events[1].settled > 340 and events[1].settled == first_settled(np.array([a]), start=340)
    assert _drift(h, ["a"], RANGES[:1], leave=0.25) == []  # 0.4 away is 0.2 of the range
    with pytest.raises(KeyError, match="a_nope"):
        _drift(h, ["a"], RANGES[:1], track="nope")


def test_the_filter_never_hides_a_generation_at_which_the_rule_holds():
    rng = np.random.default_rng(0)
    w, tol, p = 10, 0.05, 12
    for trial in range(4):
        steps = rng.normal(0, 0.01, (3, 400)) * (rng.random((3, 400)) < 0.3)
        values = np.cumsum(steps, axis=1) + rng.normal(0, 0.002 * trial, (3, 400))
        cand, _ = _candidates(values, np.ones(3), w, tol, p)
        held = [i for i in range(400) if converged(values[:, : i + 1], np.ones(3), w, tol, p)]
        assert held and set(held) <= set(cand.tolist())


def test_fast_on_a_thousand_generations_of_six_parameters():
    rng = np.random.default_rng(1)
    n, d = 1000, 6
    values = np.array([approach(n, rng.uniform(-1, 1), t) for t in rng.uniform(-0.5, 0.5, d)])
    for start in range(200, 1000, 150):  # sweeps of a parameter, some back, some not
        values[start % d, start : start + 60] += 0.5
    values += rng.normal(0, 0.004, values.shape)
    names = [f"p{i}" for i in range(d)]
    h = history_of(values[0]) | {f"{nm}_median": v for nm, v in zip(names, values, strict=True)}
    events = _drift(h, names, np.full(d, 2.0))
    assert events
    best = min(_timed(lambda: _drift(h, names, np.full(d, 2.0))) for _ in range(5))
    assert best < 0.2, f"{best * 1000:.0f} ms"  # ~10 ms unloaded; slack for a busy machine


def _timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def test_engagement_summary_without_the_columns_is_nones():
    h = history_of(approach(100, 0, 0.2))
    s = engagement_summary(h)
    for key in (
        "judges_best_vs_models",
        "judges_best_vs_memory",
        "hall_of_fame_fooled",
        "disengaged_fraction",
        "disengaged_spells",
        "fitness_lag1",
    ):
        assert s[key] is None
    assert engagement_summary({}) == s
    nans = h | {"judges_best_vs_models": [float("nan")] * 100, "judges_best_vs_memory": [None] * 100}
    assert engagement_summary(nans) == s
    json.dumps(s)


def test_engagement_summary_of_known_spells():
    n = 400
    models = np.full(n, 0.8)
    models[100:130] = 0.5  # a long spell of disengagement
    models[200:205] = 0.52  # a short one
    models[320:] = 0.7  # most of the last quarter
    models[360] = np.nan  # a generation without a measure
    h = history_of(np.zeros(n), judges_best_vs_models=models, judges_best_vs_memory=[np.nan] * n)
    h["generation"] = np.arange(n) + 1000  # a run's generations, not row numbers
    s = engagement_summary(h)
    assert s["judges_best_vs_models"] == pytest.approx(0.7)
    assert s["judges_best_vs_memory"] is None and s["hall_of_fame_fooled"] is None
    assert s["disengaged_fraction"] == pytest.approx(35 / 399)
    assert s["disengaged_spells"] == [[1100, 1129]]
    assert engagement_summary(h, spell=5)["disengaged_spells"] == [[1100, 1129], [1200, 1204]]
    json.dumps(s)


def test_a_judges_bias_that_flips_every_generation_is_named_in_the_summary_and_the_closing_line():
    from turinglearn.app.printing import coevolution_line

    n, rng = 400, np.random.default_rng(0)
    noise = rng.normal(0, 0.02, n)
    flipping = 0.5 + 0.12 * (-1.0) ** np.arange(n) + noise  # up, down, up...: the judges' bias cycling
    drifting = 0.5 + 0.1 * np.sin(np.arange(n) / 15) + noise  # slow moves
    cycled = engagement_summary(history_of(np.zeros(n), model_fitness_mean=flipping))
    calm = engagement_summary(history_of(np.zeros(n), model_fitness_mean=drifting))
    assert cycled["fitness_lag1"] < -0.8 and calm["fitness_lag1"] > 0.5
    assert "flips every generation" in coevolution_line(cycled)
    assert "flips" not in coevolution_line(calm)
    # judges at chance are disengaged only while the models differ: the line says both readings
    line = coevolution_line({"disengaged_fraction": 0.7, "disengaged_threshold": 0.55})
    assert "no judge above 0.55 in 70 % of generations (disengaged, or nothing left" in line
    assert "a judge above 0.55 in every generation" in coevolution_line({"disengaged_fraction": 0.0})
    # only the last quarter counts: a cycle that ended early is not reported
    early = np.concatenate([flipping[:300], drifting[300:]])
    assert engagement_summary(history_of(np.zeros(n), model_fitness_mean=early))["fitness_lag1"] > 0.5
    # too short, flat or absent: no figure
    for h in (
        history_of(np.zeros(20), model_fitness_mean=flipping[:20]),
        history_of(np.zeros(n), model_fitness_mean=np.full(n, 0.5)),
        history_of(np.zeros(n)),
        history_of(np.zeros(40), model_fitness_mean=[1.0] * 39 + [0.9]),  # one change, at the end
    ):
        assert engagement_summary(h)["fitness_lag1"] is None
    json.dumps(cycled)


def test_plot_is_a_png_written_whole(tmp_path):
    n = 600
    a = approach(n, -1.0, 0.3)
    a[300:340] = -0.1
    h = history_of(a, approach(n, 1.0, 0.9))
    h |= {
        "judges_best_vs_models": np.linspace(0.9, 0.6, n),
        "judges_best_vs_memory": np.full(n, np.nan),
        "hall_of_fame_fooled": np.linspace(0.1, 0.4, n),
    }
    events = _drift(h, ["a", "b"], RANGES)
    assert events and isinstance(events[0], DriftEvent)
    out = plot_coevolution(h, ["a", "b"], [0.3, 0.9], events, tmp_path / "coevolution.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bare = {k: v for k, v in h.items() if not k.startswith(("judges", "hall"))}
    again = plot_coevolution(bare, ["a", "b"], None, [e.record() for e in events], tmp_path / "b.png")
    assert again.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png", "coevolution.png"]  # no temp files
    # ranges 50 times apart: each parameter drawn in its range (a newcomer's time constants in [10, 100] had
    # flattened twelve others onto 0); ranges alike: drawn as they are
    from matplotlib.figure import Figure

    drawn = {}
    real = Figure.subplots

    def keep(self, *a, **k):
        axes = real(self, *a, **k)
        drawn["top"] = axes[0]
        return axes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "subplots", keep)
        plot_coevolution(h, ["a", "b"], [0.3, 0.9], events, tmp_path / "c.png", bounds=([-1.0, 0.0], [1.0, 100.0]))
        lines = drawn["top"].get_lines()
        assert np.allclose(lines[0].get_ydata(), (np.asarray(h["a_median"]) + 1) / 2)
        assert any(np.allclose(ln.get_ydata(), 0.9 / 100) for ln in lines)  # b's truth, in its range
        assert drawn["top"].get_ylabel().startswith("median, in its range")
        plot_coevolution(h, ["a", "b"], [0.3, 0.9], events, tmp_path / "d.png", bounds=([-1.0, 0.0], [1.0, 1.0]))
        assert np.allclose(drawn["top"].get_lines()[0].get_ydata(), h["a_median"])


def test_a_run_reports_its_coevolution_and_draws_it(tiny, tmp_path, capsys):
    import json

    import turinglearn
    from turinglearn.app.printing import print_table

    turinglearn.learn("aggregation", seed=1, overrides=tiny, out=tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    co = summary["coevolution"]
    assert co["drift"] == [] and 0.5 <= co["judges_best_vs_models"] <= 1.0
    assert co["drift_of"] == "parents"  # the evolution strategy names the parents it kept
    assert (tmp_path / "r" / "coevolution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print_table(summary)
    assert "coevolution: best judge vs models" in capsys.readouterr().out
    # a learner without discriminators has no coevolution to report
    turinglearn.learn("aggregation", seed=1, overrides={**tiny, "learner.kind": "metric-sse"}, out=tmp_path / "m")
    assert "coevolution" not in json.loads((tmp_path / "m" / "summary.json").read_text())
    assert not (tmp_path / "m" / "coevolution.png").exists()


def test_drift_is_read_from_the_parents_median_where_the_run_has_it():
    from turinglearn.app.coevolution import drift_track

    n = 600
    a = approach(n, -1.0, 0.3)
    straying = a.copy()
    straying[400:403] = -0.5  # three generations of offspring pull the population median away
    h = history_of(straying, approach(n, 1.0, 0.9), a_parents=a, b_parents=approach(n, 1.0, 0.9))
    assert drift_track(h, ["a", "b"]) == "parents"
    assert _drift(h, ["a", "b"], RANGES, track="parents") == []
    assert [e.left for e in _drift(h, ["a", "b"], RANGES, track="median")] == [400]
    # one parameter without it, or a gap (rows written before an older run was resumed): the population's
    assert drift_track({k: v for k, v in h.items() if k != "b_parents"}, ["a", "b"]) == "median"
    gap = dict(h, a_parents=np.where(np.arange(n) < 5, np.nan, a))
    assert drift_track(gap, ["a", "b"]) == "median"
    assert drift_track(h, []) == "median"


def test_a_runs_summary_reads_its_drift_from_the_parents_median_and_says_so():
    from types import SimpleNamespace

    from turinglearn.app.coevolution import drift_track
    from turinglearn.app.printing import coevolution_line
    from turinglearn.app.swarm_run import SwarmExperiment

    n = 600
    a, b = approach(n, -1.0, 0.3), approach(n, 1.0, 0.9)
    straying = a.copy()
    straying[400:403] = -0.5  # offspring, not parents
    h = history_of(straying, b, a_parents=a, b_parents=b)
    run = SimpleNamespace(config=SimpleNamespace(stopping=RULE), names=["a", "b"], ranges=RANGES,
                          learner=SimpleNamespace(history=None))  # fmt: skip
    co = SwarmExperiment._coevolution(run, h)
    assert co["drift_of"] == "parents" and co["drift"] == []
    assert "no drift from a settled estimate (the parents' median)" in coevolution_line(co)
    older = {k: v for k, v in h.items() if not k.endswith("_parents")}
    co = SwarmExperiment._coevolution(run, older)
    assert co["drift_of"] == "median" and [e["left"] for e in co["drift"]] == [400]
    assert "drift of a (the population median) at generation 400" in coevolution_line(co)
    assert '"When a run will not stay on what it found" (a critic, learner.critic = 0.5' in coevolution_line(co)
    assert "When a run will not" not in coevolution_line({**co, "critic_accuracy": 0.6})  # already there
    assert "When a run will not" not in coevolution_line({**co, "drift": []})  # nothing to mend
    # metrics.csv read back as text: a gap ('') where an older run's rows had no parents
    text = {k: [str(x) for x in v] for k, v in h.items()}
    assert drift_track(text, ["a", "b"]) == "parents"
    text["a_parents"][3] = ""
    assert drift_track(text, np.array(["a", "b"])) == "median"
