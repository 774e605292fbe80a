"""The panel: an estimate judged by every era's discriminators (turinglearn.core.panel)."""

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.panel import Panel, scores
from turinglearn.core.records import Generation
from turinglearn.errors import ConfigError


def synthetic(rng, rates_by_candidate, trials: int, per_trial: int, system: np.ndarray, shared: float = 0.0):
    """Votes of J judges: candidate c's trials take genuine at rates_by_candidate[c] [J], each
    trial shifted by a common draw of spread ``shared`` (replicas sharing a trial); then the
    system's samples at ``system`` [J]. Returns outputs, genuine, candidate, trial."""
    cols, candidate, trial = [], [], []
    for c, r in enumerate(rates_by_candidate):
        for t in range(trials):
            p = np.clip(r + shared * rng.standard_normal(len(r)), 0, 1)  # this trial's rates
            cols.append(rng.random((len(r), per_trial)) < p[:, None])
            candidate += [c] * per_trial
            trial += [c * trials + t] * per_trial
    cols.append(rng.random((len(system), 4000)) < system[:, None])
    candidate += [-1] * 4000
    trial += [-1] * 4000
    candidate = np.array(candidate)
    return np.concatenate(cols, axis=1).astype(float), candidate < 0, candidate, np.array(trial)


def test_scores_rank_the_candidate_judged_like_the_system_first():
    """Judges take the system for genuine at their own rates; candidate 1 is taken at the same
    rates, candidates 0 and 2 at rates moved by 0.3 for five judges: 1 scores lowest, near 0."""
    rng = np.random.default_rng(0)
    rates = rng.uniform(0.2, 0.8, 20)
    moved = rates.copy()
    moved[:5] = np.clip(rates[:5] + 0.3, 0, 1)
    s = scores(*synthetic(rng, [moved, rates, moved], 50, 4, rates))
    assert np.argmin(s) == 1
    assert abs(s[1]) < 0.005 and s[0] > 0.01 and s[2] > 0.01
    outputs, genuine, candidate, trial = synthetic(rng, [rates, rates], 1, 4, rates)
    with pytest.raises(ValueError, match="at least 2"):  # one trial each: no noise to remove
        scores(outputs, genuine, candidate, trial)


@pytest.mark.parametrize("shared", [0.0, 0.3])
def test_a_candidate_like_the_system_scores_zero_on_average(shared):
    """Few trials each (10), replicas sharing a trial (4 a trial, and with ``shared`` a common
    shift of the rates per trial): the squared noise of the candidate's share is of order
    p (1 - p) / 40 = 0.006 (more with the shift); the correction removes it, so over 200 draws the mean score of a
    candidate like the system is 0 within 0.002 (uncorrected: 0.006 and 0.012; corrected per
    sample rather than per trial: 0.006 with the shared shift), and
    below 0 about as often as above."""
    rng = np.random.default_rng(1)
    rates = rng.uniform(0.3, 0.7, 10)
    draws = np.array([scores(*synthetic(rng, [rates], 10, 4, rates, shared))[0] for _ in range(200)])
    assert abs(draws.mean()) < 0.002
    assert 0.3 < (draws < 0).mean() < 0.7


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
    """Recovery: five judges of a run of aggregation (the fittest of generations 0, 4, 8, 12 and
    16, one per candidate as the panel keeps them) rank the true controller first among the
    truth and four controllers 0.5-1 away."""
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


def test_a_run_reports_the_panels_estimate_and_evolves_as_without_it(tmp_path, tiny):
    settings = {**tiny, "generations": 8, "evaluation.panel_every": 3, "evaluation.track": "median"}
    result = turinglearn.learn(
        "aggregation", overrides={**settings, "evaluation.estimate": "panel", "evaluation.panel_top": 1},
        out=tmp_path / "panel",
    )
    panel = result.summary()["panel"]
    assert result.summary()["estimate"] == "panel"
    assert panel["candidates"] == 4  # generations 0, 3 and 6 were kept; the last, 7, joins them
    (chosen,) = panel["chosen_generations"]
    assert chosen in (0, 3, 6, 7)
    medians = np.array([result.history[f"{n}_median"][chosen] for n in result.names])
    np.testing.assert_allclose(result.inferred, medians)  # the one best candidate itself
    window = turinglearn.learn("aggregation", overrides={**settings, "evaluation.estimate": "window"}, out=tmp_path / "w")
    np.testing.assert_array_equal(window.models, result.models)  # observation only: the same run
    np.testing.assert_array_equal(window.discriminators, result.discriminators)
    np.testing.assert_allclose(panel["window_estimate"], window.inferred)
    from turinglearn.app.printing import panel_line

    line = panel_line(panel)
    assert f"generations {chosen} " in line and "judges of 4 generations" in line and "the window's: (" in line


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
def test_without_judges_or_parameters_the_estimate_is_the_windows(tmp_path, tiny, extra, capsys):
    """The metric baselines have no judges and a policy network's weights no meaningful median:
    the panel does not apply, and the estimate is the window's, as without it."""
    settings = {**tiny, "generations": 4, "evaluation.average_last": 2, **extra}
    panel = turinglearn.learn("aggregation", overrides={**settings, "evaluation.estimate": "panel"}, out=tmp_path / "a")
    window = turinglearn.learn("aggregation", overrides={**settings, "evaluation.estimate": "window"}, out=tmp_path / "b")
    assert "panel" not in panel.summary() and panel.summary()["estimate"] == "window"
    np.testing.assert_array_equal(panel.inferred, window.inferred)
    from turinglearn.app.printing import PANEL_FELL_BACK, print_summary

    print_summary(panel.config, panel.summary())  # the run's closing lines say so
    print_summary(window.config, window.summary())  # and say nothing where the window was asked for
    assert capsys.readouterr().out.count(PANEL_FELL_BACK) == 1
