"""The peers (turinglearn.peers) recover an easy truth, and a peer's run writes a run's summary.

An easy problem: a 30-step aggregation swarm of 8 robots whose controller is interior to the
box, one recorded trial (8 individuals). The recoveries by NPE are slow (-m slow: the density
estimator trains for 25-40 s on a busy 2-core machine); ABC-SMC's (4 s) and the run through
the command line are in the default run."""

import json

import numpy as np
import pytest

pytest.importorskip("sbi")
pytest.importorskip("pyabc")

from turinglearn.app.build import make_simulator
from turinglearn.app.cli import main
from turinglearn.config import load_config
from turinglearn.core.random import stream
from turinglearn.peers.abc_smc import run_abc_smc
from turinglearn.peers.npe import run_npe
from turinglearn.peers.problem import PeerProblem
from turinglearn.systems.recorded import simulate_models

TRUTH = np.array([0.5, -0.3, 0.5, -0.3])  # the sensor's two states drive the same interior speeds
STEPS = 30
SMALL = ["--set", "environment.n_agents=4", "--set", f"environment.steps={STEPS}", "--quiet"]


@pytest.fixture(scope="module")
def problem():
    cfg = load_config(
        "aggregation",
        {"environment.steps": STEPS, "environment.n_agents": 4, "environment.truth": TRUTH.tolist()},
    )
    sim = make_simulator(cfg)
    observed = simulate_models(sim, TRUTH[None], stream(0, "recording"))[0]  # [8, T, F]
    return PeerProblem(sim, observed, sim.model_family, TRUTH)


def _recovered(post, problem):
    """The posterior median near the truth where the recording shows it best (sensor state 0,
    most steps), within half the prior centre's summed error overall, and every 90 % interval
    covering the truth."""
    err = np.abs(post.median() - TRUTH)
    assert err[:2].max() < 0.2, err
    assert err.sum() < 0.5 * np.abs(TRUTH).sum(), err  # the box's centre scores 1.6
    iv = post.intervals(problem.names, problem.lower, problem.upper, 0.9)
    assert all(iv[n]["lo"] <= t <= iv[n]["hi"] for n, t in zip(problem.names, TRUTH, strict=True)), iv


def test_abc_smc_recovers_an_easy_truth_within_its_budget(problem):
    post = run_abc_smc(problem, 500, np.random.default_rng(2), 3)
    assert post.simulations <= 500 and post.trajectories == post.simulations * problem.cost
    _recovered(post, problem)


def test_abc_smc_works_in_any_units(problem):
    """A newcomer's parameters in SI units beside others of order 1 (a radius in [5e-7, 6e-6] m,
    a rotational diffusion in [0.01, 1]) made pyABC's weights underflow ('The population total
    weight nan is not normalized'): it searches the unit box, so the same problem with two
    parameters in millionths gives the same posterior, scaled."""
    from turinglearn.families.parametric import BoxFamily

    scale = np.array([1e-6, 1.0, 1e-6, 1.0])

    class Mixed:  # the aggregation swarm with two of its wheel speeds in millionths
        def __init__(self, sim):
            self.sim = sim
            self.model_family = BoxFamily(sim.model_family.names, lower=tuple(-scale), upper=tuple(scale))

        def __getattr__(self, name):
            return getattr(self.sim, name)

        def rollout(self, params, rng, **kw):
            return self.sim.rollout(np.asarray(params) / scale, rng, **kw)

    sim = Mixed(problem.sim)
    mixed = PeerProblem(sim, problem.observed, sim.model_family, TRUTH * scale)
    post = run_abc_smc(mixed, 300, np.random.default_rng(2), 3)
    base = run_abc_smc(problem, 300, np.random.default_rng(2), 3)
    np.testing.assert_allclose(post.median() / scale, base.median(), atol=1e-6)


@pytest.mark.slow
def test_npe_on_summaries_recovers_an_easy_truth(problem, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    post = run_npe(problem, 500, np.random.default_rng(2), 3, embedding=False)
    assert post.samples.shape == (2000, 4) and post.simulations == 500
    _recovered(post, problem)
    assert list(tmp_path.iterdir()) == []  # nothing written outside the run (sbi's logs, say)


@pytest.mark.slow
def test_npe_with_a_learned_embedding_recovers_an_easy_truth(problem):
    post = run_npe(problem, 500, np.random.default_rng(2), 3, embedding=True)
    _recovered(post, problem)


def test_the_embedding_ignores_the_order_of_individuals():
    import torch

    from turinglearn.peers.npe import set_embedding

    torch.manual_seed(0)
    net = set_embedding(2)
    x = torch.randn(3, 5, 30, 2)  # [B, n, T, F]
    out = net(x)
    assert out.shape == (3, 16)
    torch.testing.assert_close(net(x[:, torch.randperm(5)]), out)
    assert not torch.allclose(net(x.flip(2)), out)  # but it sees time


def test_a_peer_run_writes_the_summary_of_a_run(tmp_path, capsys):
    rec = tmp_path / "rec.npz"
    truth = f"environment.truth={TRUTH.tolist()}"
    assert (
        main(["record", "aggregation", "--out", str(rec), "--trials", "1", *SMALL[:4], "--set", truth]) == 0
    )
    out = tmp_path / "run"
    args = [*SMALL, "--set", truth, "--set", f"data={rec}", "--set", "learner.kind=abc-smc"]
    args += ["--set", "stopping.max_simulations=1600", "--set", "evaluation.c2st_trials=10"]
    assert main(["run", "aggregation", *args, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"seed 0, abc-smc with a budget of 1600 trajectories -> {out}" in printed.err  # not "N generations"
    assert "posterior 90 % interval: v_l0 [" in printed.out
    s = json.loads((out / "summary.json").read_text())
    assert s["learner"] == "abc-smc" and s["generations"] == 1
    assert "unsettled" not in s and "did not settle" not in printed.out  # one round: no convergence rule to fire
    assert s["truth"] == TRUTH.tolist() and len(s["inferred"]) == len(s["abs_error"]) == 4
    np.testing.assert_allclose(s["abs_error"], np.abs(np.array(s["inferred"]) - TRUTH))
    assert set(s["interval"]) == set(s["posterior_interval"]) == {"v_l0", "v_r0", "v_l1", "v_r1"}
    for iv in s["posterior_interval"].values():
        assert iv["lo"] <= iv["hi"] and iv["width"] == pytest.approx((iv["hi"] - iv["lo"]) / 2)
    post = s["posterior"]
    # 8 trajectories a simulation (one swarm of 8 robots, as recorded): 1600 pay for 200
    assert post["trajectories_per_simulation"] == 8 and post["simulations"] <= 200
    assert post["trajectories"] == 8 * post["simulations"] <= 1600 and post["level"] == 0.9
    rows = (out / "metrics.csv").read_text().splitlines()
    assert len(rows) == 2  # the header and the one step
    with np.load(out / "populations.npz") as z:  # the particles with their importance weights (they were lost)
        assert z["model_weights"].shape == (len(z["models"]),) and z["model_weights"].sum() == pytest.approx(1.0)
    # the same seed, the same posterior
    again = tmp_path / "again"
    assert main(["run", "aggregation", *args, "--out", str(again)]) == 0
    assert json.loads((again / "summary.json").read_text())["inferred"] == s["inferred"]


def _stats(x):
    """A user's statistics of sets x [B, n, T, F]: per feature, five quantiles of its values
    pooled over individuals and steps, and the mean step-to-step change: [B, 6 F]."""
    pooled = x.reshape(len(x), -1, x.shape[-1])  # [B, n T, F]
    quantiles = np.quantile(pooled, [0.1, 0.25, 0.5, 0.75, 0.9], axis=1)  # [5, B, F]
    change = np.abs(np.diff(x, axis=2)).mean(axis=(1, 2))  # [B, F]
    return np.concatenate([*quantiles, change], axis=1)


def test_abc_smc_on_ones_own_statistics_recovers_the_truth(problem):
    """An sbi user could not give the peers statistics of their own (the histograms pooled over
    time hid their neuron's spike timing): learner.peer_summary names them, each weighed by
    its spread (their scales differ)."""
    own = PeerProblem(problem.sim, problem.observed, problem.family, TRUTH, summary=_stats)
    assert own.observed_summary().shape == (6 * problem.observed.shape[-1],)
    post = run_abc_smc(own, 500, np.random.default_rng(2), 3, population=40)
    assert post.details["population"] == 40 and "_stats, each scaled by its median absolute" in post.details["distance"]
    _recovered(post, own)


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        (lambda x: x.mean(axis=(1, 2)).ravel(), r"returned shape \(\d+,\) for x of shape \(1, 8, 30, \d\): it returns \[B, k\]"),
        (lambda x: np.full((len(x), 2), np.nan), "returned NaN or infinite statistics .*the recording's"),
        (lambda x: x.no_such_method(), "failed on the recording, x of shape"),
    ],
)
def test_ones_own_statistics_that_break_their_contract_are_named(problem, summary, message):
    from turinglearn.errors import ConfigError

    with pytest.raises(ConfigError, match=f"learner.peer_summary: .*{message}"):
        PeerProblem(problem.sim, problem.observed, problem.family, TRUTH, summary=summary)


def test_features_beyond_the_histograms_range_are_warned_of(problem):
    """An sbi user's input current (2.0) fell into the histograms' last bin at every step, and
    nothing said so."""
    from turinglearn.errors import TuringLearnWarning

    loud = problem.observed.copy()
    loud[..., 1] *= 10  # the second feature in other units
    with pytest.warns(TuringLearnWarning, match=rf"feature\(s\) {problem.sim.feature_names[1]} \(\d+ %\) lie outside"):
        PeerProblem(problem.sim, loud, problem.family, TRUTH)
    PeerProblem(problem.sim, loud, problem.family, TRUTH, summary=_stats)  # one's own statistics: no bins


def test_ones_own_statistics_that_never_change_are_warned_of(problem):
    """A constant statistic of one's own said nothing, and the peers scale by its spread (0)."""
    import warnings

    from turinglearn.errors import TuringLearnWarning

    with_constant = lambda x: np.concatenate([_stats(x), np.ones((len(x), 2))], axis=1)  # noqa: E731
    own = PeerProblem(problem.sim, problem.observed, problem.family, TRUTH, summary=with_constant)
    theta = own.prior(np.random.default_rng(0), 20)
    k = 6 * problem.observed.shape[-1]
    with pytest.warns(TuringLearnWarning, match=rf"statistic\(s\) \[{k}, {k + 1}\] of {k + 2} took one value over the first 16"):
        own.summaries(theta, np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only, and none for statistics that change
        own.summaries(theta[:2], np.random.default_rng(1))
        PeerProblem(problem.sim, problem.observed, problem.family, TRUTH, summary=_stats).summaries(
            theta, np.random.default_rng(1)
        )
