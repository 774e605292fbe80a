"""A discriminator family on whole-trajectory summary statistics: evolved logistic classifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.core.evaluation import trajectory_features
from turinglearn.families.elman import _sigmoid

#: the summary statistics :func:`~turinglearn.core.evaluation.trajectory_features` gives per feature
STATISTICS = 9


@dataclass(frozen=True)
class FeatureJudge:
    """A logistic classifier on the summary statistics of a whole trajectory, the ones the
    held-out test's classifier reads (:func:`~turinglearn.core.evaluation.trajectory_features`:
    per input feature its mean, standard deviation, 10/50/90 % quantiles, lag-1 autocorrelation,
    mean absolute change between steps, and fractions of steps above +0.5 and below -0.5).

    A weight row is ``[w (9 F) | bias]``: ``n_weights = 9 F + 1`` (19 for the swarms' 2 inputs);
    the output is ``sigmoid(w . features + bias)``, > 0.5 meaning genuine. Evolved by the ES like
    the Elman networks, it sees the whole trial at once instead of reading it step by step, and
    judges a batch at the cost of computing its statistics once. It cannot interrogate: it
    judges passive samples only.

    A linear judge's genuine region is a half-space: what it rejects on one side of the system
    it accepts beyond it on the other. ``quadratic=True`` adds a weight per statistic's square,
    ``[w (9 F) | u (9 F) | bias]`` (``n_weights = 18 F + 1``) and ``sigmoid(w . z + u . z^2 +
    bias)``, whose genuine region can be bounded on both sides (an ellipsoid's when ``u < 0``).
    """

    n_inputs: int
    quadratic: bool = False

    @property
    def n_weights(self) -> int:
        return STATISTICS * self.n_inputs * (2 if self.quadratic else 1) + 1

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, n_weights], x: [S, T, F] -> outputs [D, S] in [0, 1]."""
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[1] != self.n_weights:
            raise ValueError(f"weights must have shape (D, {self.n_weights}), got {w.shape}")
        x = np.asarray(x, dtype=float)
        if x.ndim != 3 or x.shape[2] != self.n_inputs or x.shape[1] < 2:
            raise ValueError(f"samples must have shape (S, T >= 2, {self.n_inputs}), got {x.shape}")
        z = trajectory_features(x)  # [S, 9 F]
        if self.quadratic:
            z = np.concatenate([z, z * z], axis=1)  # [S, 18 F]
        return _sigmoid(w[:, :-1] @ z.T + w[:, -1:])
