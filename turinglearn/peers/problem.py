"""What every peer learns from, and what it gives back (numpy only).

A :class:`PeerProblem` is a Turing Learning run's view of a recording, for a method that
simulates whole data sets: the observed set of ``n`` recorded individuals, the simulator that
makes a set of the same size for any parameter row, the model family's box as the prior, and
the price of one simulated set in simulated trajectories (the unit of
``stopping.max_simulations``). A :class:`Posterior` is what a peer answers: samples of the
parameters, their median (the estimate) and central intervals.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from turinglearn.core.contracts import PolicyFamily
from turinglearn.core.summaries import checked_statistics, histogram_summary, outside_the_bins
from turinglearn.errors import ConfigError, TuringLearnWarning
from turinglearn.systems.recorded import RecordedSystem, individuals_per_trial, simulate_models

#: simulated sets per call of the simulator (bounds the memory of one batch)
BATCH = 64


def cumulative_summary(x: np.ndarray) -> np.ndarray:
    """The metric baseline's summary of sets of trajectories x [B, n, T, F], as cumulative
    distributions: [B, F * bins], per feature the running sum of its per-step histogram
    (:func:`~turinglearn.core.summaries.histogram_summary`).

    The same numbers up to an invertible linear map, but distances between them grow with how
    far apart the speed distributions are (the L1 distance between two of them, times the bin
    width, is the Wasserstein-1 distance of each feature's distributions), where distances
    between histograms saturate as soon as two spiky distributions stop overlapping: measured
    on a 30-step aggregation swarm, the histograms' L1 distance was already 2.7 of its maximum 4
    at 0.1 from the truth in one wheel speed, and ABC-SMC on it did not move its threshold."""
    b, f = x.shape[0], x.shape[-1]
    return np.cumsum(histogram_summary(x).reshape(b, f, -1), axis=-1).reshape(b, -1)


#: simulated sets after which one's own statistics that never changed are warned of
CONSTANT_AFTER = 16


class PeerProblem:
    """The observations, the simulator and the prior of a peer.

    sim: the environment's batched simulator; observed: the recording's trajectories
    x_o [n, T, F]; family: the model family (its ``lower`` / ``upper`` [d] are the uniform
    prior's box); truth: [d] or None.

    One *simulation* makes a set shaped like the observations, [n, T, F]: ``swarms`` swarms
    in which every robot runs the parameter row (``robots`` individuals each, all observed; an
    interactive simulator: one trial under its passive schedule, ``robots = 1``), cut to the
    first ``n`` individuals. It costs ``cost = swarms * robots`` simulated trajectories.
    """

    def __init__(self, sim, observed: np.ndarray, family, truth: np.ndarray | None = None, summary=None):
        if isinstance(family, PolicyFamily):
            raise ConfigError(
                "the peers infer a parameter row in the family's box; a policy's weights are not one. "
                "Use models.kind = 'reactive'",
                "models.kind",
            )
        self.sim, self.family = sim, family
        self.observed = np.asarray(observed, dtype=np.float32)  # [n, T, F]
        self.truth = None if truth is None else np.asarray(truth, float)
        self.lower = np.asarray(family.lower, float)  # [d]
        self.upper = np.asarray(family.upper, float)  # [d]
        self.names = tuple(family.names)
        n = len(self.observed)
        self.robots = individuals_per_trial(sim)  # the unit Turing Learning's budget counts too
        self.swarms = math.ceil(n / self.robots)
        self.cost = self.swarms * self.robots
        self.summary = summary  # one's own statistics of sets [B, n, T, F] -> [B, k]; None: cumulative_summary
        # how messages name one's own function (a functools.partial or a callable object has no __qualname__)
        self.summary_name = getattr(summary, "__qualname__", type(summary).__name__) if summary is not None else None
        self._observed_summary = self._summarise(self.observed[None], checked=True)[0]
        self._seen: list | None = []  # one's own statistics of the first simulated sets (constant ones warned of)
        words = outside_the_bins(self.observed, sim.feature_names) if summary is None else None
        if words is not None:
            warnings.warn(words, TuringLearnWarning, stacklevel=2)

    def _summarise(self, x: np.ndarray, checked: bool = False) -> np.ndarray:
        """The statistics of sets x [B, n, T, F]: [B, k] (``checked``: the first call, on the
        observations, whose shape and values one's own function must get right)."""
        if self.summary is None:
            return cumulative_summary(x)
        return checked_statistics(
            self.summary, x, "learner.peer_summary", self.summary_name, "[B, n, T, F]", "set", wrap=checked,
            on="the recording" if checked else "",
        )  # fmt: skip

    @classmethod
    def from_system(cls, system, kind: str, summary=None) -> PeerProblem:
        """The problem of a :class:`~turinglearn.systems.recorded.RecordedSystem` (a run with
        ``data``); any other system is a ConfigError: the peers learn from a recording."""
        if not isinstance(system, RecordedSystem):
            raise ConfigError(
                f"learner.kind = {kind!r} learns from a recording of genuine trials: write one with "
                "`turinglearn record PRESET --out rec.npz --trials 10` and set data = 'rec.npz' (--set data=rec.npz)",
                "data",
            )
        # the individuals learning is shown (data_holdout keeps the rest for the held-out tests)
        return cls(system.sim, system.recording.x[system.learn_from], system.model_family, system.truth, summary)

    @property
    def n_params(self) -> int:
        return len(self.lower)

    def simulations(self, budget: int) -> int:
        """How many simulated sets a budget of ``budget`` trajectories pays for."""
        return int(budget) // self.cost

    def prior(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """k draws from the uniform prior on the box: [k, d]."""
        return rng.uniform(self.lower, self.upper, size=(k, self.n_params))

    def simulate(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Sets of trajectories for theta [B, d]: [B, n, T, F] float32, batch by batch."""
        theta = np.atleast_2d(np.asarray(theta, float))
        out = np.empty((len(theta), *self.observed.shape), dtype=np.float32)
        n = len(self.observed)
        for s in range(0, len(theta), BATCH):
            rows = theta[s : s + BATCH]
            feats = simulate_models(
                self.sim, np.repeat(rows, self.swarms, axis=0), rng
            )  # [b*swarms, r, T, F]
            out[s : s + len(rows)] = feats.reshape(len(rows), self.swarms * self.robots, *feats.shape[2:])[
                :, :n
            ]
        return out

    def summaries(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The summary of a simulated set per row of theta [B, d]: [B, k] (one's own statistics,
        else :func:`cumulative_summary`'s [B, F * bins])."""
        theta = np.atleast_2d(np.asarray(theta, float))
        out = np.concatenate(
            [self._summarise(self.simulate(theta[s : s + BATCH], rng)) for s in range(0, len(theta), BATCH)]
        )
        if self.summary is not None and self._seen is not None:  # one's own statistics: watch the first sets
            self._seen.extend(out[: CONSTANT_AFTER - len(self._seen)])
            if len(self._seen) >= CONSTANT_AFTER:
                self._warn_constant(np.asarray(self._seen))
                self._seen = None
        return out

    def _warn_constant(self, seen: np.ndarray) -> None:
        """A warning naming one's own statistics that took one value over the first
        ``CONSTANT_AFTER`` simulated sets [n, k]: they say nothing of the parameters, and the
        peers' scaling (NPE's z-score, ABC's median absolute deviation) divides by their spread."""
        still = np.flatnonzero(np.ptp(seen, axis=0) <= 1e-12 * np.maximum(np.abs(seen).max(axis=0), 1.0))
        if len(still):
            warnings.warn(
                f"{self.summary_name}(x): statistic(s) {still.tolist()} of {seen.shape[1]} took one value over the first "
                f"{len(seen)} simulated sets (parameters drawn across the box): they carry nothing about the parameters "
                "and have no spread to scale by; leave them out",
                TuringLearnWarning,
                stacklevel=2,
            )

    def observed_summary(self) -> np.ndarray:
        """The observations' summary: [k]."""
        return self._observed_summary

    @property
    def summary_words(self) -> str:
        """What the statistics are, for summary.json."""
        if self.summary is None:
            return "cumulative per-step histograms of each feature (the metric baseline's summary)"
        return f"{self.summary_name} (learner.peer_summary)"

    # the box <-> the real line: the density estimators work on u = logit of the position in the
    # box, so that no posterior mass falls outside the prior (sbi would otherwise reject and
    # resample such draws, without end when most of the mass leaks: the measurement)
    def to_unbounded(self, theta: np.ndarray) -> np.ndarray:
        """theta [..., d] in the box -> u [..., d] on the real line."""
        s = (np.asarray(theta, float) - self.lower) / (self.upper - self.lower)
        s = np.clip(s, 1e-6, 1 - 1e-6)
        return np.log(s) - np.log1p(-s)

    def to_box(self, u: np.ndarray) -> np.ndarray:
        """u [..., d] -> theta [..., d] in the box."""
        return self.lower + (self.upper - self.lower) / (1.0 + np.exp(-np.asarray(u, float)))


@dataclass
class Posterior:
    """What a peer found. samples: [S, d] in the box; score: [S] higher is more plausible (the
    log posterior density, or minus the ABC distance); simulations: simulated sets used;
    trajectories: their cost in simulated trajectories; method: the learner kind; details:
    method-specific facts for summary.json (JSON values)."""

    samples: np.ndarray
    score: np.ndarray
    simulations: int
    trajectories: int
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    weights: np.ndarray | None = None  # [S] (ABC: the particles' importance weights)

    def median(self) -> np.ndarray:
        """The estimate: the per-parameter (weighted) posterior median [d]."""
        return self.quantiles([0.5])[0]

    def quantiles(self, q) -> np.ndarray:
        """Per-parameter (weighted) quantiles: [len(q), d]."""
        q = np.asarray(q, float)
        if self.weights is None:
            return np.quantile(self.samples, q, axis=0)
        out = np.empty((len(q), self.samples.shape[1]))
        w = np.asarray(self.weights, float)
        for j in range(self.samples.shape[1]):
            order = np.argsort(self.samples[:, j])
            cdf = np.cumsum(w[order]) / w.sum()
            # the smallest sample whose cumulative weight reaches q
            out[:, j] = self.samples[order, j][np.minimum(np.searchsorted(cdf, q), len(cdf) - 1)]
        return out

    def intervals(self, names, lower, upper, level: float) -> dict:
        """summary.json's ``posterior_interval``: per parameter the central ``level`` interval
        {lo, hi, width (fraction of the range, as the held-out test's intervals)}."""
        lo, hi = self.quantiles([(1 - level) / 2, (1 + level) / 2])
        span = np.asarray(upper, float) - np.asarray(lower, float)
        return {
            n: {"lo": float(a), "hi": float(b), "width": float((b - a) / r)}
            for n, a, b, r in zip(names, lo, hi, span, strict=True)
        }

    def state(self) -> dict:
        """A checkpoint's copy (arrays and JSON values)."""
        return {
            "samples": self.samples, "score": self.score, "simulations": self.simulations,
            "trajectories": self.trajectories, "method": self.method, "details": self.details,
            "weights": self.weights,
        }  # fmt: skip
