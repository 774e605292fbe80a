"""The panel: an estimate judged by every era's discriminators (turinglearn.core.panel)."""

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.panel import Panel, scores
from turinglearn.core.records import Generation
from turinglearn.errors import ConfigError


def test_scores_rank_the_candidate_judged_like_the_system_first():
    """Judges take the system for genuine at their own rates; candidate 1 is taken at the same
    rates, candidates 0 and 2 at rates moved by 0.3 for some judges: 1 scores lowest, near 0."""
    rng = np.random.default_rng(0)
    judges, per = 20, 200
    rates = rng.uniform(0.2, 0.8, judges)  # [J] P(genuine) of the system's samples
    moved = rates.copy()
    moved[:5] = np.clip(rates[:5] + 0.3, 0, 1)  # five judges see candidates 0 and 2 differently
    columns, candidate = [], []
    for c, r in enumerate((moved, rates, moved)):
        columns.append(rng.random((judges, per)) < r[:, None])
        candidate += [c] * per
    columns.append(rng.random((judges, 4 * per)) < rates[:, None])  # the system's samples
    candidate += [-1] * (4 * per)
    outputs = np.concatenate(columns, axis=1).astype(float)  # votes as outputs: 1 > 0.5 > 0
    candidate = np.array(candidate)
    s = scores(outputs, candidate < 0, candidate, 3)
    assert np.argmin(s) == 1
    assert abs(s[1]) < 0.005 and s[0] > 0.01 and s[2] > 0.01
    lonely = candidate.copy()
    lonely[np.flatnonzero(candidate == 2)[1:]] = 99  # candidate 2 keeps one sample
    with pytest.raises(ValueError, match="at least 2"):
        scores(outputs, candidate < 0, lonely, 3)


def record(g: int, models, discriminators, f_d) -> Generation:
    models = np.asarray(models, float)
    return Generation(g, models, np.arange(len(models), dtype=float), np.asarray(discriminators, float), np.asarray(f_d))


def test_the_panel_keeps_every_kth_generation_and_round_trips():
    panel = Panel(every=2, track="best")
    for g in range(5):
        panel(record(g, [[g, 0.0], [g, 1.0]], [[10 + g], [20 + g]], [0.9, 0.1]))
    assert panel.generations == [0, 2, 4]
    np.testing.assert_array_equal(np.asarray(panel.candidates), [[0, 1], [2, 1], [4, 1]])  # the fittest
    np.testing.assert_array_equal(np.asarray(panel.judges), [[10], [12], [14]])  # the fittest judge
    back = Panel(every=2, track="best")
    back.load_state_dict(panel.state_dict())
    assert back.generations == panel.generations
    np.testing.assert_array_equal(np.asarray(back.candidates), np.asarray(panel.candidates))
    median = Panel(every=3)
    median(record(0, [[0.0], [1.0], [5.0]], [[1.0]], [0.5]))
    np.testing.assert_array_equal(median.candidates[0], [1.0])
    with pytest.raises(ValueError, match="every"):
        Panel(every=0)


def test_judges_of_a_run_pick_the_truth_among_far_candidates():
    """Recovery: after 40 generations of aggregation, the panel of that run's judges (one every 4
    generations) ranks the true controller first among the truth and controllers 0.5-1 away."""
    cfg = load_config("aggregation", {"environment.steps": 80, "seed": 3})
    learner = build(cfg)
    panel = Panel(every=4)
    learner.hooks.append(panel)
    learner.run(40)
    truth = np.asarray(learner.system.truth, float)
    far = truth + np.array([[1.0, 0, 0, 0], [0, 0, -1.0, 0], [0, 0.5, 0, 0], [0.7, 0, -0.7, 0]])
    panel.candidates = [truth, *np.clip(far, -1, 1)]
    panel.generations = list(range(len(panel.candidates)))
    judges = panel.judges
    panel.judges = judges[: len(panel.candidates)]
    out = panel.estimate(learner.evaluator, learner.system, learner.discriminator, seed=7, trials=10, top=1)
    assert out["chosen"] == [0]
    np.testing.assert_array_equal(out["inferred"], truth)


def test_a_run_reports_the_panels_estimate(tmp_path, tiny):
    settings = {**tiny, "generations": 8, "evaluation.estimate": "panel", "evaluation.panel_every": 3}
    result = turinglearn.learn("aggregation", overrides=settings, out=tmp_path / "run")
    panel = result.summary()["panel"]
    assert panel["candidates"] == 4  # generations 0, 3 and 6 were kept; the last, 7, joins them
    assert sorted(panel["chosen_generations"]) == [0, 3, 6, 7]  # the top 5 of 4: all
    assert len(panel["window_estimate"]) == 4
    from turinglearn.app.printing import panel_line

    line = panel_line(panel)
    assert f"generations {', '.join(map(str, panel['chosen_generations']))} " in line
    assert "judges of 4 generations" in line and "the window's: (" in line


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"evaluation.estimate": "best"}, "estimate"),
        ({"evaluation.panel_trials": 1}, "panel_trials"),
        ({"evaluation.panel_top": 0}, "panel_top"),
    ],
)
def test_bad_panel_settings_are_refused(settings, match):
    with pytest.raises(ConfigError, match=match):
        load_config("aggregation", settings)


@pytest.mark.parametrize("extra", [{"learner.kind": "metric-histogram"}, {"models.kind": "mlp"}])
def test_without_judges_or_parameters_the_estimate_is_the_windows(tmp_path, tiny, extra):
    """The metric baselines have no judges and a policy network's weights no meaningful median:
    the panel does not apply, and the estimate is the window's, as without it."""
    settings = {**tiny, "generations": 4, "evaluation.average_last": 2, **extra}
    panel = turinglearn.learn("aggregation", overrides={**settings, "evaluation.estimate": "panel"}, out=tmp_path / "a")
    window = turinglearn.learn("aggregation", overrides={**settings, "evaluation.estimate": "window"}, out=tmp_path / "b")
    assert "panel" not in panel.summary()
    np.testing.assert_array_equal(panel.inferred, window.inferred)
