"""Neural posterior estimation (sbi's NPE) on a :class:`~turinglearn.peers.problem.PeerProblem`.

One round: ``simulations`` parameter rows from the uniform prior on the box, one simulated set
each, a conditional density estimator (a masked autoregressive flow) trained on them, then
posterior samples given the observations. The estimator learns ``u``, the logit of each
parameter's position in its box (:meth:`PeerProblem.to_unbounded`), so no posterior mass lies
outside the prior.

What the estimator is conditioned on:

- ``embedding=True`` (``learner.kind = "npe"``): the observed set itself, x [n, T, F], through
  :class:`SetEmbedding`, trained with the flow: a 1-D convolution over time per individual,
  pooled over time, then the mean over individuals (so the order of the individuals does not
  matter), then a small MLP. No hand-made statistics.
- ``embedding=False`` (``"npe-summary"``): the metric baseline's summary of the set, its
  per-step speed histograms as cumulative distributions
  (:func:`turinglearn.peers.problem.cumulative_summary`, [F * 40]).

torch and sbi are imported when :func:`run_npe` runs.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import numpy as np

from turinglearn.peers.problem import PeerProblem, Posterior

#: the fewest simulated sets the density estimator is trained on (a tenth is held out for
#: validation, which stops the training)
MIN_SIMULATIONS = 50
#: posterior samples drawn for the estimate and the intervals
SAMPLES = 2000


def set_embedding(n_features: int, hidden: int = 32, out: int = 16):
    """A :class:`SetEmbedding` (built here so that torch is imported only when it is used)."""
    import torch
    from torch import nn

    class SetEmbedding(nn.Module):
        """x [B, n, T, F] -> [B, out], invariant to the order of the n individuals: per
        individual two strided 1-D convolutions over time (F -> hidden channels), the mean and
        maximum over time [B, n, 2 hidden]; the mean over individuals [B, 2 hidden]; an MLP."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv1d(n_features, hidden, kernel_size=5, stride=2, padding=2),
                nn.ReLU(),
                nn.Conv1d(hidden, hidden, kernel_size=5, stride=2, padding=2),
                nn.ReLU(),
            )
            self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))

        def forward(self, x):
            b, n, t, f = x.shape
            z = self.conv(x.reshape(b * n, t, f).transpose(1, 2))  # [B n, hidden, T']
            z = torch.cat([z.mean(dim=-1), z.amax(dim=-1)], dim=-1)  # [B n, 2 hidden]
            return self.head(z.reshape(b, n, -1).mean(dim=1))  # [B, out]

    return SetEmbedding()


@contextlib.contextmanager
def _threads(n: int):
    """torch on ``n`` threads inside, as many as before afterwards. The networks are small: one
    thread trains them faster than several (measured on a busy 2-core machine: 300 simulations
    took 175 s with torch's 2 threads)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _logistic_prior(d: int):
    """The uniform prior on the box, seen in u = logit coordinates: d independent standard
    logistic variables (a torch distribution)."""
    import torch
    from torch.distributions import Independent, SigmoidTransform, TransformedDistribution, Uniform

    base = Uniform(torch.zeros(d), torch.ones(d))
    return Independent(TransformedDistribution(base, [SigmoidTransform().inv]), 1)


def run_npe(
    problem: PeerProblem,
    simulations: int,
    rng: np.random.Generator,
    torch_seed: int,
    embedding: bool = True,
    samples: int = SAMPLES,
) -> Posterior:
    """Train NPE on ``simulations`` simulated sets and sample its posterior at the observations.

    rng: draws the prior's rows and runs the simulator; torch_seed: the network's
    initialisation, training batches and posterior sampling (torch's global generator is
    restored afterwards). Returns :class:`Posterior` with samples [samples, d] and their log
    posterior density (in the box's coordinates) as the score.
    """
    import torch
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn

    t0 = time.perf_counter()
    theta = problem.prior(rng, simulations)  # [N, d]
    if embedding:
        x = problem.simulate(theta, rng)  # [N, n, T, F]
        x_o = problem.observed[None]  # [1, n, T, F]
    else:
        x = problem.summaries(theta, rng).astype(np.float32)  # [N, F * bins]
        x_o = problem.observed_summary()[None].astype(np.float32)
    simulated = time.perf_counter() - t0
    u = problem.to_unbounded(theta).astype(np.float32)
    # sbi prints its convergence on stdout (not a log): kept off the run's output
    with (
        torch.random.fork_rng(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        _threads(1),
    ):
        warnings.filterwarnings("ignore", module="sbi")  # shapes and z-scoring notes, per call
        torch.manual_seed(torch_seed)
        if embedding:
            net = set_embedding(problem.observed.shape[-1])
            builder = posterior_nn(model="maf", embedding_net=net, z_score_x="none")
        else:
            # the histograms share one scale; one's own statistics each have theirs
            builder = posterior_nn(model="maf", z_score_x="structured" if problem.summary is None else "independent")
        inference = NPE(
            prior=_logistic_prior(problem.n_params), density_estimator=builder, show_progress_bars=False,
            tracker=_Quiet(),  # sbi's default tracker writes TensorBoard logs into ./sbi-logs
        )  # fmt: skip
        inference.append_simulations(torch.from_numpy(u), torch.from_numpy(np.ascontiguousarray(x)))
        estimator = inference.train(training_batch_size=min(200, max(10, simulations // 10)))
        posterior = inference.build_posterior(estimator)
        obs = torch.from_numpy(np.ascontiguousarray(x_o))
        draws = posterior.sample((samples,), x=obs, show_progress_bars=False)  # [S, d] in u
        log_u = posterior.log_prob(draws, x=obs).numpy().astype(float)  # [S]
    u_s = draws.numpy().astype(float)
    theta_s = problem.to_box(u_s)
    # density in the box: p(theta) = p(u) |du/dtheta|, du/dtheta = 1 / ((hi - lo) s (1 - s))
    s = 1.0 / (1.0 + np.exp(-u_s))
    log_jac = -np.log(problem.upper - problem.lower) - np.log(s) - np.log1p(-s)
    epochs = (inference.summary.get("epochs_trained") or [None])[-1]
    return Posterior(
        samples=theta_s,
        score=log_u + log_jac.sum(axis=1),
        simulations=simulations,
        trajectories=simulations * problem.cost,
        method="npe" if embedding else "npe-summary",
        details={
            "density_estimator": "maf",
            "conditioned_on": "learned embedding of the set of trajectories" if embedding else problem.summary_words,
            "epochs": epochs,
            "seconds_simulating": round(simulated, 3),
        },
    )  # fmt: skip


class _Quiet:
    """An sbi ``Tracker`` that keeps nothing (a run writes only into its run directory)."""

    log_dir = None

    def log_metric(self, name, value, step=None) -> None: ...

    def log_metrics(self, metrics, step=None) -> None: ...

    def log_params(self, params) -> None: ...

    def add_figure(self, name, figure, step=None) -> None: ...

    def flush(self) -> None: ...
