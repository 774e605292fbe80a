"""Tiny neural networks in numpy, batched over a population of flat weight rows.

Each network's flat weight row is laid out exactly as ``torch.nn.utils.parameters_to_vector``
lays out the equivalent torch module (:func:`torch_mlp`, :func:`torch_gru_cell`), so a row can
be trained by torch and run here (or the reverse); the tests check that both agree. numpy runs
these nets faster than torch at this size (a few units, hundreds of rows) and keeps torch out
of the simulation and of worker processes.

Shapes: ``P`` weight rows, ``...`` any batch axes after them, ``I`` inputs, ``H`` hidden units.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # logistic, without overflow warnings


def split(w: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Cut rows w [P, k] into arrays [P, *shape] in order (k must be their total size)."""
    sizes = [int(np.prod(s)) for s in shapes]
    if w.ndim != 2 or w.shape[1] != sum(sizes):
        raise ValueError(f"weights must be [P, {sum(sizes)}], got {w.shape}")
    out, at = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        out.append(w[:, at : at + size].reshape(w.shape[0], *shape))
        at += size
    return out


# --- MLP: Linear(I, H) -> tanh -> Linear(H, O) --------------------------------------------------


def mlp_shapes(n_in: int, n_hidden: int, n_out: int) -> list[tuple[int, ...]]:
    """torch order: weight1 [H, I], bias1 [H], weight2 [O, H], bias2 [O]."""
    return [(n_hidden, n_in), (n_hidden,), (n_out, n_hidden), (n_out,)]


def mlp(params: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """params from :func:`split` with :func:`mlp_shapes`; x [P, B, I] -> [P, B, O] (linear output)."""
    w1, b1, w2, b2 = params
    h = np.tanh(np.matmul(x, w1.transpose(0, 2, 1)) + b1[:, None, :])  # [P, B, H]
    return np.matmul(h, w2.transpose(0, 2, 1)) + b2[:, None, :]  # [P, B, O]


# --- GRU cell (torch.nn.GRUCell), gates ordered (reset, update, new) ---------------------------


def gru_shapes(n_in: int, n_hidden: int) -> list[tuple[int, ...]]:
    """torch order: weight_ih [3H, I], weight_hh [3H, H], bias_ih [3H], bias_hh [3H]."""
    return [(3 * n_hidden, n_in), (3 * n_hidden, n_hidden), (3 * n_hidden,), (3 * n_hidden,)]


def gru_prepare(params: list[np.ndarray]) -> list[np.ndarray]:
    """Transposed weights for :func:`gru_step`: W_ih^T [P, I, 3H], W_hh^T [P, H, 3H], biases [P, 1, 3H]."""
    w_ih, w_hh, b_ih, b_hh = params
    return [w_ih.transpose(0, 2, 1), w_hh.transpose(0, 2, 1), b_ih[:, None, :], b_hh[:, None, :]]


def gru_input(prepared: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The input half of the gates, for a whole sequence at once: x [P or 1, B, ..., I] -> [P, B, ..., 3H]."""
    w_ih, _, b_ih, _ = prepared
    shape = x.shape
    gi = np.matmul(x.reshape(shape[0], -1, shape[-1]), w_ih) + b_ih  # [P, B*..., 3H]
    return gi.reshape(gi.shape[0], *shape[1:-1], gi.shape[-1])


def gru_step(prepared: list[np.ndarray], gi: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One step: gi = :func:`gru_input` of x_t [P, B, 3H], h [P, B, H] -> new h [P, B, H]."""
    _, w_hh, _, b_hh = prepared
    n_h = h.shape[-1]
    gh = np.matmul(h, w_hh) + b_hh  # [P, B, 3H]
    r = sigmoid(gi[..., :n_h] + gh[..., :n_h])
    z = sigmoid(gi[..., n_h : 2 * n_h] + gh[..., n_h : 2 * n_h])
    n = np.tanh(gi[..., 2 * n_h :] + r * gh[..., 2 * n_h :])
    return (1.0 - z) * n + z * h


# --- torch twins (torch imported only here) ----------------------------------------------------


def torch_mlp(n_in: int, n_hidden: int, n_out: int, clip: bool = False):
    """The torch module whose flat parameters match :func:`mlp_shapes` (Hardtanh output when ``clip``)."""
    import torch

    layers = [torch.nn.Linear(n_in, n_hidden), torch.nn.Tanh(), torch.nn.Linear(n_hidden, n_out)]
    if clip:
        layers.append(torch.nn.Hardtanh())
    return torch.nn.Sequential(*layers).double()


def torch_gru_cell(n_in: int, n_hidden: int):
    """The torch GRU cell whose flat parameters match :func:`gru_shapes`."""
    import torch

    return torch.nn.GRUCell(n_in, n_hidden).double()


def load_flat(module, row: np.ndarray) -> None:
    """Copy a flat weight row [k] into ``module``'s parameters (torch's order)."""
    import torch

    dtype = next(module.parameters()).dtype
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(
            torch.as_tensor(np.asarray(row), dtype=dtype), module.parameters()
        )


def flat(module) -> np.ndarray:
    """``module``'s parameters as one flat float64 row [k]."""
    import torch

    return torch.nn.utils.parameters_to_vector(module.parameters()).detach().double().numpy().copy()
