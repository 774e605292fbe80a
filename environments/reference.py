"""Scalar reference implementation of the aggregation physics and of the Elman discriminator.

This module is the **test oracle** for the batched code in :mod:`._swarm`,
:mod:`.aggregation` and :mod:`turinglearn.families.elman`, and the **speed baseline** for the
benchmarks. It is deliberately simple: one episode at a time, one step at a time, one robot
(or one pair of robots) at a time, in plain Python floats with :mod:`math`. numpy appears only
to convert inputs and outputs. It shares the physical constants with :mod:`._swarm` but none of
its functions, so that a mistake in the batched code cannot hide in both.

One control step, exactly as documented in :mod:`._swarm`:

1. sense: robot ``i`` reads 1 when some other robot's centre lies ahead of it (positive
   distance along the heading) within one body radius of the ray along its heading;
2. act: the controller row gives the wheel speeds ``(left, right)`` for that reading, clipped
   to [-1, 1];
3. move: Euler step of the unicycle (position first, along the old heading; then the heading,
   wrapped to (-pi, pi]);
4. resolve overlaps: over-relaxed Jacobi passes over the pairs ``i < j``, until no pair is
   closer than ``2 r - tol``;
5. observe: linear speed (displacement along the old heading / dt / vmax) and angular speed
   (wrapped heading change / dt / (2 vmax / axle)).

The pushes of a resolution pass are summed per robot in pair order, first the pushes a robot
gets as the first robot of a pair, then (subtracted) those it gets as the second robot, which
is the order in which the batched code sums them; so both agree to the last bit or nearly.
"""

from __future__ import annotations

import math

import numpy as np

from ._swarm import (
    AXLE,
    DT,
    MAX_ANGULAR_SPEED,
    MAX_WHEEL_SPEED,
    RESOLVE_MAX_PASSES,
    RESOLVE_RELAXATION,
    RESOLVE_TOL,
    ROBOT_RADIUS,
)

#: centres closer than this count as coincident: robot i of the pair is pushed along +x, j along -x
COINCIDENT = 1e-12


def reference_wrap(theta: float) -> float:
    """Wrap an angle to (-pi, pi]."""
    return math.pi - (math.pi - theta) % (2 * math.pi)


def reference_sense(pos: list, heading: list) -> list[int]:
    """Sensor reading (0 or 1) of every robot of one episode."""
    readings = []
    for i, (xi, yi) in enumerate(pos):
        c, s = math.cos(heading[i]), math.sin(heading[i])
        seen = 0
        for j, (xj, yj) in enumerate(pos):
            if j == i:
                continue
            dx, dy = xj - xi, yj - yi
            along = dx * c + dy * s
            across = dy * c - dx * s
            if along > 0 and abs(across) <= ROBOT_RADIUS:
                seen = 1
                break
        readings.append(seen)
    return readings


def reference_wheels(params_row, reading: int) -> tuple[float, float]:
    """The (left, right) wheel speeds a controller row gives for a sensor reading, clipped."""
    left, right = float(params_row[2 * reading]), float(params_row[2 * reading + 1])
    return min(max(left, -1.0), 1.0), min(max(right, -1.0), 1.0)


def reference_move(x: float, y: float, theta: float, left: float, right: float):
    """One Euler step of one robot: returns (x, y, theta)."""
    v = MAX_WHEEL_SPEED * (left + right) / 2
    w = MAX_WHEEL_SPEED * (right - left) / AXLE
    x = x + math.cos(theta) * (v * DT)
    y = y + math.sin(theta) * (v * DT)
    return x, y, reference_wrap(theta + w * DT)


def reference_resolve(pos: list, radius: float = ROBOT_RADIUS, tol: float = RESOLVE_TOL) -> list:
    """Push the overlapping robots of one episode apart; pos: list of (x, y). Returns a new list."""
    pos = [(float(x), float(y)) for x, y in pos]
    n = len(pos)
    limit2 = (2 * radius - tol) ** 2
    for _ in range(RESOLVE_MAX_PASSES):
        pushed_first = [[0.0, 0.0] for _ in range(n)]  # sum of pushes as robot i of a pair
        pushed_second = [[0.0, 0.0] for _ in range(n)]  # sum of pushes as robot j of a pair
        any_overlap = False
        for i in range(n):
            for j in range(i + 1, n):
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                dist2 = dx * dx + dy * dy
                if not dist2 < limit2:
                    continue
                any_overlap = True
                dist = math.sqrt(dist2)
                if dist < COINCIDENT:  # no direction between them: push along x
                    push = (RESOLVE_RELAXATION * (2 * radius - dist + tol) / 2, 0.0)
                else:  # along the unit vector (dx, dy) / dist
                    factor = RESOLVE_RELAXATION * (2 * radius - dist + tol) / (2 * dist)
                    push = (dx * factor, dy * factor)
                for k in range(2):
                    pushed_first[i][k] += push[k]
                    pushed_second[j][k] += push[k]
        if not any_overlap:
            return pos
        pos = [
            (x + (pushed_first[i][0] - pushed_second[i][0]), y + (pushed_first[i][1] - pushed_second[i][1]))
            for i, (x, y) in enumerate(pos)
        ]
    return pos


def reference_observe(old_pos, old_heading, pos, heading) -> list[tuple[float, float]]:
    """Normalised (linear, angular) speed of every robot over one step."""
    features = []
    for (x0, y0), th0, (x1, y1), th1 in zip(old_pos, old_heading, pos, heading, strict=True):
        linear = ((x1 - x0) * math.cos(th0) + (y1 - y0) * math.sin(th0)) / DT
        angular = reference_wrap(th1 - th0) / DT
        features.append((linear / MAX_WHEEL_SPEED, angular / MAX_ANGULAR_SPEED))
    return features


def reference_step(pos, heading, params, n_states: int = 2):
    """One control step of one episode.

    pos: N (x, y) pairs; heading: N angles; params: N controller rows of ``2 * n_states`` values.
    Returns (pos, heading, features): lists of N (x, y), N angles, N (linear, angular).
    """
    pos = [(float(x), float(y)) for x, y in pos]
    heading = [float(th) for th in heading]
    for row in params:
        if len(row) != 2 * n_states:
            raise ValueError(f"controller rows need {2 * n_states} values, got {len(row)}")
    readings = reference_sense(pos, heading)
    moved_pos, moved_heading = [], []
    for (x, y), theta, row, reading in zip(pos, heading, params, readings, strict=True):
        left, right = reference_wheels(row, reading)
        x, y, theta = reference_move(x, y, theta, left, right)
        moved_pos.append((x, y))
        moved_heading.append(theta)
    new_pos = reference_resolve(moved_pos)
    return new_pos, moved_heading, reference_observe(pos, heading, new_pos, moved_heading)


def reference_rollout(pos0, heading0, params, steps: int, *, record: bool = False):
    """Run one episode for ``steps`` steps from pos0 [N, 2], heading0 [N] with params [N, 2 S].

    Returns features [N, T, 2] (numpy); with ``record=True`` also positions [T + 1, N, 2] and
    headings [T + 1, N].
    """
    pos = [(float(x), float(y)) for x, y in np.asarray(pos0, dtype=float)]
    heading = [float(th) for th in np.asarray(heading0, dtype=float)]
    rows = [[float(v) for v in row] for row in np.asarray(params, dtype=float)]
    n_states = len(rows[0]) // 2
    features, positions, headings = [], [pos], [heading]
    for _ in range(steps):
        pos, heading, step_features = reference_step(pos, heading, rows, n_states)
        features.append(step_features)
        positions.append(pos)
        headings.append(heading)
    features_array = np.array(features, dtype=float).reshape(steps, len(pos), 2).transpose(1, 0, 2)
    if record:
        return features_array, np.array(positions, dtype=float), np.array(headings, dtype=float)
    return features_array


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def reference_unpack(w_row, n_inputs: int, n_hidden: int):
    """One weight row as nested lists: (w_in [F][H], b_in [H], w_ctx [H][H], w_out [H][O], b_out [O]).

    Layout as :class:`turinglearn.families.elman.ElmanNetwork`: ``W_in`` (F + 1) x H, ``W_ctx``
    H x H, ``W_out`` (H + 1) x O, each row-major with the bias row last.
    """
    w = [float(v) for v in np.asarray(w_row, dtype=float).ravel()]
    f, h = n_inputs, n_hidden
    n_fixed = (f + 1) * h + h * h
    n_outputs, rest = divmod(len(w) - n_fixed, h + 1)
    if n_outputs < 1 or rest:
        raise ValueError(f"a weight row of length {len(w)} does not fit {f} inputs and {h} hidden units")
    rows = [w[i * h : (i + 1) * h] for i in range(f + 1)]
    ctx = [w[(f + 1) * h + j * h : (f + 1) * h + (j + 1) * h] for j in range(h)]
    out = [w[n_fixed + k * n_outputs : n_fixed + (k + 1) * n_outputs] for k in range(h + 1)]
    return rows[:f], rows[f], ctx, out[:h], out[h]


def reference_outputs(net, hidden: list[float]) -> list[float]:
    """All outputs of one interrogator for a hidden state."""
    _, _, _, w_out, b_out = net
    outputs = []
    for o, bias in enumerate(b_out):
        z = bias
        for k, value in enumerate(hidden):
            z += value * w_out[k][o]
        outputs.append(_logistic(z))
    return outputs


def reference_interrogator_step(net, context: list[float], x: list[float]) -> tuple[list[float], list[float]]:
    """One step of one interrogator: features x [F] and the context -> (hidden [H], outputs [O])."""
    w_in, b_in, w_ctx, _, _ = net
    if len(x) != len(w_in):
        raise ValueError(f"each step needs {len(w_in)} features, got {len(x)}")
    hidden = []
    for k, bias in enumerate(b_in):
        z = bias
        for i, value in enumerate(x):
            z += value * w_in[i][k]
        for j, value in enumerate(context):
            z += value * w_ctx[j][k]
        hidden.append(_logistic(z))
    return hidden, reference_outputs(net, hidden)


def reference_elman_judge(w_row, sample, n_inputs: int = 2, n_hidden: int = 5) -> float:
    """Output 0 of one Elman network (one weight row) after the last step of one sample [T, F].

    Weight layout as :class:`turinglearn.families.elman.ElmanNetwork` (see
    :func:`reference_unpack`); ``W_ctx[j][k]`` takes the previous hidden unit j to hidden unit
    k. Every unit is logistic and the context starts at 0.
    """
    net = reference_unpack(w_row, n_inputs, n_hidden)
    context = [0.0] * n_hidden
    for x_t in np.asarray(sample, dtype=float):
        context, _ = reference_interrogator_step(net, context, [float(v) for v in x_t])
    return reference_outputs(net, context)[0]
