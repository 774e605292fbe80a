"""The aggregation swarm's whole rollout as one compiled kernel (Numba).

The physics is :mod:`turinglearn.environments._swarm`'s, step for step and in the same order
(sense, act, move, resolve overlaps by Jacobi passes to ``RESOLVE_TOL``, observe), written per
swarm and per robot instead of as batched array operations; that module stays the readable
numpy path and :mod:`turinglearn.environments.reference` the scalar oracle. Each swarm is
simulated on its own from start to end, so the kernel splits the batch across threads
(:func:`turinglearn.families._compiled.split`) and the result does not depend on their number.

The arithmetic follows the numpy path operation for operation (same formulas, same pair order
of the collision passes, displacements summed per robot in the same order, no fused
multiply-adds), so the two paths agree to the last bit wherever the C library's ``cos``/``sin``
agree with numpy's (they do on the development machine: a preset run is the same on both paths);
where they differ by an ulp, the chaotic contacts of a dense cluster later amplify it, so the two
paths then agree in distribution, not trajectory by trajectory.
"""

from __future__ import annotations

import math

import numpy as np

from turinglearn.families._compiled import jit, split

from . import _swarm

#: the physical constants, passed to the kernels (a compiled kernel freezes the globals it reads)
_CONSTANTS = (
    _swarm.ROBOT_RADIUS,
    _swarm.RESOLVE_TOL,
    _swarm.RESOLVE_RELAXATION,
    float(_swarm.RESOLVE_MAX_PASSES),
    _swarm.DT,
    _swarm.MAX_WHEEL_SPEED,
    _swarm.AXLE,
    _swarm.MAX_ANGULAR_SPEED,
)


@jit
def _wrap(theta):
    """numpy's ``pi - mod(pi - theta, 2 pi)`` for one float (``np.mod``: fmod, then the sign of 2 pi)."""
    two_pi = 2 * np.pi
    m = np.fmod(np.pi - theta, two_pi)
    if m < 0.0:
        m += two_pi
    elif m == 0.0:
        m = 0.0  # +0, as numpy's mod gives
    return np.pi - m


@jit
def _resolve(x, y, consts, push_x, push_y, pull_x, pull_y):
    """:func:`_swarm.resolve_overlaps` on one swarm (x, y [N], changed in place); returns the passes."""
    radius, tol, relax, max_passes = consts[0], consts[1], consts[2], int(consts[3])
    n = x.shape[0]
    limit2 = (2 * radius - tol) ** 2
    for p in range(max_passes):
        push_x[:], push_y[:], pull_x[:], pull_y[:] = 0.0, 0.0, 0.0, 0.0
        hit = False
        for i in range(n):  # the pairs i < j in numpy.triu_indices order
            for j in range(i + 1, n):
                dx, dy = x[i] - x[j], y[i] - y[j]
                dist2 = dx**2 + dy**2
                if dist2 < limit2:
                    hit = True
                    dist = math.sqrt(dist2)
                    gap = 2 * radius - dist + tol
                    if dist < 1e-12:  # coincident centres: unit direction (1, 0)
                        dx, dy, dist = 1.0, 0.0, 1.0
                    f = relax * gap / (2 * dist)
                    push_x[i] += dx * f
                    push_y[i] += dy * f
                    pull_x[j] += dx * f
                    pull_y[j] += dy * f
        if not hit:
            return p
        for i in range(n):
            x[i] += push_x[i] - pull_x[i]
            y[i] += push_y[i] - pull_y[i]
    return max_passes


@jit
def _resolve_range(pos, consts, lo, hi):
    """:func:`_swarm.resolve_overlaps` on swarms ``lo .. hi - 1`` of pos [B, N, 2], in place."""
    n = pos.shape[1]
    x, y = np.empty(n), np.empty(n)
    acc = np.empty((4, n))
    for b in range(lo, hi):
        x[:], y[:] = pos[b, :, 0], pos[b, :, 1]
        _resolve(x, y, consts, acc[0], acc[1], acc[2], acc[3])
        pos[b, :, 0], pos[b, :, 1] = x, y


@jit
def _rollout_range(pos0, heading0, params, consts, feats, pos_rec, head_rec, record, lo, hi):
    """Swarms ``lo .. hi - 1`` for ``T`` steps from pos0 [B, N, 2], heading0 [B, N].

    params [B, N, 4]: (v_l0, v_r0, v_l1, v_r1) per robot; writes feats [B, N, T, 2] and, when
    ``record``, pos_rec [B, T + 1, N, 2], head_rec [B, T + 1, N].
    """
    radius, dt, vmax, axle, wmax = consts[0], consts[4], consts[5], consts[6], consts[7]
    n, t_max = feats.shape[1], feats.shape[2]
    x, y, th = np.empty(n), np.empty(n), np.empty(n)
    old_x, old_y, old_th = np.empty(n), np.empty(n), np.empty(n)
    c, s = np.empty(n), np.empty(n)
    seen = np.empty(n, dtype=np.intp)
    acc = np.empty((4, n))
    for b in range(lo, hi):
        x[:], y[:], th[:] = pos0[b, :, 0], pos0[b, :, 1], heading0[b]
        if record:
            pos_rec[b, 0], head_rec[b, 0] = pos0[b], heading0[b]
        for t in range(t_max):
            for i in range(n):
                c[i], s[i] = math.cos(th[i]), math.sin(th[i])
            # sense: is any other robot's body on the ray straight ahead?
            for i in range(n):
                seen[i] = 0
                for j in range(n):
                    dx, dy = x[j] - x[i], y[j] - y[i]
                    along = dx * c[i] + dy * s[i]
                    across = dy * c[i] - dx * s[i]
                    if along > 0 and abs(across) <= radius:
                        seen[i] = 1
                        break
            # act and move
            for i in range(n):
                left = min(max(params[b, i, 2 * seen[i]], -1.0), 1.0)
                right = min(max(params[b, i, 2 * seen[i] + 1], -1.0), 1.0)
                v = vmax * (left + right) / 2
                w = vmax * (right - left) / axle
                old_x[i], old_y[i], old_th[i] = x[i], y[i], th[i]
                x[i] += c[i] * (v * dt)
                y[i] += s[i] * (v * dt)
                th[i] = _wrap(th[i] + w * dt)
            _resolve(x, y, consts, acc[0], acc[1], acc[2], acc[3])
            # observe: linear speed along the old heading, angular speed
            for i in range(n):
                lin = ((x[i] - old_x[i]) * c[i] + (y[i] - old_y[i]) * s[i]) / dt
                feats[b, i, t, 0] = lin / vmax
                feats[b, i, t, 1] = _wrap(th[i] - old_th[i]) / dt / wmax
            if record:
                for i in range(n):
                    pos_rec[b, t + 1, i, 0], pos_rec[b, t + 1, i, 1] = x[i], y[i]
                    head_rec[b, t + 1, i] = th[i]


def resolve_overlaps(pos: np.ndarray) -> np.ndarray:
    """:func:`_swarm.resolve_overlaps` (robots of radius ``ROBOT_RADIUS``, tolerance ``RESOLVE_TOL``)."""
    pos = np.array(pos, dtype=float, order="C")
    split(_resolve_range, pos.shape[0], pos, _CONSTANTS, min_items=8)
    return pos


def rollout(pos: np.ndarray, heading: np.ndarray, params: np.ndarray, steps: int, record: bool):
    """Run every swarm: (features [B, N, T, 2], pos [B, T + 1, N, 2] | None, heading [B, T + 1, N] | None)."""
    b, n = heading.shape
    c = np.ascontiguousarray
    feats = np.empty((b, n, steps, 2))
    shape = (b, steps + 1) if record else (0, 0)
    pos_rec, head_rec = np.empty((*shape, n, 2)), np.empty((*shape, n))
    args = (c(pos, float), c(heading, float), c(params, float), _CONSTANTS, feats, pos_rec, head_rec, record)
    split(_rollout_range, b, *args, min_items=4)
    return feats, (pos_rec if record else None), (head_rec if record else None)
