"""A discriminator family on whole-trajectory summary statistics: evolved logistic classifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.core.evaluation import STATISTIC_NAMES, trajectory_features
from turinglearn.families.elman import _sigmoid

#: the summary statistics :func:`~turinglearn.core.evaluation.trajectory_features` gives per feature
STATISTICS = len(STATISTIC_NAMES)
#: how :class:`FeatureJudge` weighs them
FORMS = ("linear", "quadratic", "band")


@dataclass(frozen=True)
class FeatureJudge:
    """A logistic classifier on the summary statistics of a whole trajectory, the ones the
    held-out test's classifier reads (:func:`~turinglearn.core.evaluation.trajectory_features`:
    per input feature its mean, standard deviation, 10/50/90 % quantiles, lag-1 autocorrelation,
    mean absolute change between steps, and fractions of steps above +0.5 and below -0.5).

    Its output is in [0, 1], > 0.5 meaning genuine. Evolved by the ES like the Elman networks, it
    sees the whole trial at once instead of reading it step by step, and judges a batch at the
    cost of computing its statistics once. It cannot interrogate: it judges passive samples only.

    ``form`` is how the statistics ``z`` are weighed:

    - ``"linear"``: ``[w (9 F) | bias]`` (19 weights for the swarms' 2 inputs), ``sigmoid(w . z +
      bias)``. Its genuine region is a half-space: what it rejects on one side of the system it
      accepts beyond it on the other.
    - ``"quadratic"``: ``[w (9 F) | u (9 F) | bias]`` (``18 F + 1``), ``sigmoid(w . z + u . z^2 +
      bias)``, whose genuine region can be bounded on both sides (an ellipsoid's when ``u < 0``);
      its centre ``-w / 2u`` moves only when ``w`` and ``u`` move together.
    - ``"band"``: ``[c (9 F) | p (9 F) | bias]`` (``18 F + 1``), ``sigmoid(bias - mean((p (z -
      c))^2))`` over the ``K = 9 F`` statistics: genuine (for ``bias > 0``) inside an
      axis-aligned ellipsoid around the centre ``c``, of half-width ``sqrt(K bias) / |p|`` on each
      statistic (``p = 0`` ignores it). These are the quadratic judges with ``u = -p^2 / K <= 0``,
      ``w = 2 p^2 c / K`` and bias ``bias - sum(p^2 c^2) / K``, weighed so that one mutation
      moves a centre or a precision alone. The mean, not the sum: with the ES's initial weights
      in [-1, 1] a sum over 18 statistics is typically 2 to 3, every judge rejects every sample,
      and the shared fitness gives no judge credit to select on (on object clustering's tuning
      seed 0 no judge had any in 1,000 generations).
    """

    n_inputs: int
    form: str = "linear"

    def __post_init__(self):
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(FORMS)}, got {self.form!r}")

    @property
    def n_weights(self) -> int:
        return STATISTICS * self.n_inputs * (1 if self.form == "linear" else 2) + 1

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, n_weights], x: [S, T, F] -> outputs [D, S] in [0, 1]."""
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[1] != self.n_weights:
            raise ValueError(f"weights must have shape (D, {self.n_weights}), got {w.shape}")
        x = np.asarray(x, dtype=float)
        if x.ndim != 3 or x.shape[2] != self.n_inputs or x.shape[1] < 2:
            raise ValueError(f"samples must have shape (S, T >= 2, {self.n_inputs}), got {x.shape}")
        z = trajectory_features(x)  # [S, K], K = 9 F
        if self.form == "band":
            k = z.shape[1]
            c, p = w[:, :k], w[:, k : 2 * k]  # [D, K] each
            # sum_k (p (z - c))^2 = (p^2) . z^2 - 2 (p^2 c) . z + (p^2) . c^2, as matrix products
            p2 = p * p
            d2 = p2 @ (z * z).T - 2.0 * (p2 * c) @ z.T + (p2 * c * c).sum(axis=1, keepdims=True)
            return _sigmoid(w[:, -1:] - d2 / k)
        if self.form == "quadratic":
            z = np.concatenate([z, z * z], axis=1)  # [S, 18 F]
        return _sigmoid(w[:, :-1] @ z.T + w[:, -1:])
