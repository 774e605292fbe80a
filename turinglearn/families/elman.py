"""Discriminator families, batched over a population of weight rows and a batch of samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.families._compiled import check_kernels, use_numba

#: what an Elman network's judgement reads: output 0 after the last step, or its mean over the steps
READOUTS = ("last", "mean")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # logistic, without overflow warnings


@dataclass(frozen=True)
class ElmanNetwork:
    """The Elman network of the papers: logistic units, hidden context, output after the last step
    (or its mean over the steps, ``readout``).

    With the defaults (2 inputs + bias, 5 hidden units with context, 1 output) a network has
    ``(2 + 1) * 5 + 5 * 5 + (5 + 1) * 1 = 46`` weights. A weight row is laid out as
    ``[W_in (F + 1, H) | W_ctx (H, H) | W_out (H + 1, O)]``, each row-major with the bias row
    last. The context (previous hidden state) starts at 0 for every sample.
    Extra outputs (``n_outputs > 1``) are for interrogators; output 0 is the judgement.

    ``dtype`` is the precision of the batched pass: float32 (default) is about twice as fast
    as float64 and agrees with it to ~1e-6, far below what the 0.5 threshold can resolve.

    ``readout``: the judgement is output 0 after the last step (``"last"``, the papers') or its
    mean over every step (``"mean"``): a trial's early events then count as much as its last
    ones, which a small network's context has forgotten by the end of a long trial.

    ``kernels``: ``"numba"`` (default) judges with one compiled kernel
    (:mod:`turinglearn.families.elman_kernels`, on every core), ``"numpy"`` with the numpy
    pass below (the readable reference; also used where Numba is not installed).
    """

    n_inputs: int = 2
    n_hidden: int = 5
    n_outputs: int = 1
    dtype: str = "float32"
    kernels: str = "numba"
    readout: str = "last"

    def __post_init__(self):
        check_kernels(self.kernels)
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {', '.join(READOUTS)}, got {self.readout!r}")

    @property
    def n_weights(self) -> int:
        f, h, o = self.n_inputs, self.n_hidden, self.n_outputs
        return (f + 1) * h + h * h + (h + 1) * o

    def unpack(self, w: np.ndarray):
        """w: [D, k] -> W_in [D, F, H], b_in [D, H], W_ctx [D, H, H], W_out [D, H, O], b_out [D, O]."""
        if w.ndim != 2 or w.shape[1] != self.n_weights:
            raise ValueError(f"weights must be [D, {self.n_weights}], got {w.shape}")
        f, h, o = self.n_inputs, self.n_hidden, self.n_outputs
        d = w.shape[0]
        a, b = (f + 1) * h, (f + 1) * h + h * h
        w_in = w[:, :a].reshape(d, f + 1, h)
        w_ctx = w[:, a:b].reshape(d, h, h)
        w_out = w[:, b:].reshape(d, h + 1, o)
        return w_in[:, :f], w_in[:, f], w_ctx, w_out[:, :h], w_out[:, h]

    def hidden_step(self, params, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """One recurrent step: x_t [S, F] (shared by all D) or [D, S, F], h [D, S, H] -> new h [D, S, H]."""
        w_in, b_in, w_ctx, _, _ = params
        pre = np.matmul(x_t, w_in) + b_in[:, None, :] + np.matmul(h, w_ctx)
        return _sigmoid(pre)

    def output(self, params, h: np.ndarray) -> np.ndarray:
        """h [D, S, H] -> outputs [D, S, O]."""
        _, _, _, w_out, b_out = params
        return _sigmoid(np.matmul(h, w_out) + b_out[:, None, :])

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, T, F] -> output 0 after the last step (or its mean over the steps,
        ``readout``): [D, S] in (0, 1)."""
        if x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ValueError(f"samples must be [S, T, {self.n_inputs}], got {x.shape}")
        params = self.unpack(np.asarray(w, dtype=self.dtype))
        x = np.asarray(x, dtype=self.dtype)
        if use_numba(self.kernels):
            from turinglearn.families import elman_kernels

            return elman_kernels.judge(params, x, self.readout == "mean")
        h = np.zeros((w.shape[0], x.shape[0], self.n_hidden), dtype=self.dtype)
        total = np.zeros((w.shape[0], x.shape[0]))
        for t in range(x.shape[1]):
            h = self.hidden_step(params, x[:, t], h)
            if self.readout == "mean":
                total += self.output(params, h)[..., 0]
        if self.readout == "mean":
            return total / x.shape[1]
        return self.output(params, h)[..., 0].astype(np.float64)
