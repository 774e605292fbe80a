"""Scalar reference implementation of the object-clustering environment (the test oracle).

The batched code in :mod:`.object_clustering` and :func:`._swarm.ray_hit_distance` /
:func:`._swarm.resolve_body_overlaps` must agree with this module. It is deliberately plain:
one episode at a time, one step at a time, one robot, body or pair of bodies at a time, in
Python floats with :mod:`math`; numpy only converts inputs and outputs. It shares the physical
constants with :mod:`._swarm` but none of its functions; the robots' own motion and the
observed features come from the aggregation oracle (:mod:`.reference`), which is checked
against the batched code on its own.

Bodies are listed robots first, then objects; robots have radius ``ROBOT_RADIUS`` and mass 1,
objects ``object_radius`` and ``object_mass``. One control step:

1. sense: for robot ``i``, every other body ``j`` whose centre lies ahead (``t > 0`` along the
   heading) and within its radius ``r_j`` of the ray (``|perp| <= r_j``) is on the ray, entered
   at ``t - sqrt(r_j^2 - perp^2)``; the reading is the type of the body entered first
   (0 nothing, 1 object, 2 robot; on a tie the body listed first);
2. act: the controller row gives the wheel speeds for that reading, clipped to [-1, 1];
3. move: Euler step of each robot's unicycle; objects do not move by themselves;
4. resolve overlaps: Jacobi passes over all pairs ``i < j`` of bodies closer than
   ``r_i + r_j - tol``, until none is. A pair's push is shared by inverse mass: with
   ``gap = r_i + r_j - dist + tol`` and ``s_i = w_i / (w_i + w_j)`` for inverse masses ``w``,
   body ``i`` moves by ``(p_i - p_j) * (gap / dist * relax * s_i)`` and ``j`` by minus
   ``(p_i - p_j) * (gap / dist * relax * s_j)``, where ``relax`` is 1 in the first pass and
   ``BODY_RELAXATION`` in later ones. Pushes are summed per body in pair order, first as body
   ``i`` of a pair, then (subtracted) as body ``j``, as the batched code sums them;
5. observe: every robot's normalised (linear, angular) speed over the step.
"""

from __future__ import annotations

import math

import numpy as np

from ._swarm import BODY_RELAXATION, RESOLVE_MAX_PASSES, RESOLVE_TOL, ROBOT_RADIUS
from .reference import COINCIDENT, reference_move, reference_observe, reference_wheels

NOTHING, OBJECT, ROBOT = 0, 1, 2


def reference_sense(pos: list, heading: list, object_pos: list, object_radius: float) -> list[int]:
    """Sensor reading (0 nothing, 1 object, 2 robot) of every robot of one episode."""
    bodies = [(float(x), float(y), ROBOT_RADIUS, ROBOT) for x, y in pos]
    bodies += [(float(x), float(y), float(object_radius), OBJECT) for x, y in object_pos]
    readings = []
    for i, (xi, yi) in enumerate(pos):
        c, s = math.cos(heading[i]), math.sin(heading[i])
        nearest, reading = math.inf, NOTHING
        for j, (xj, yj, r, kind) in enumerate(bodies):
            if j == i:
                continue
            dx, dy = xj - xi, yj - yi
            along = dx * c + dy * s
            across = dy * c - dx * s
            if along > 0 and abs(across) <= r:
                entry = along - math.sqrt(r * r - across * across)
                if entry < nearest:
                    nearest, reading = entry, kind
        readings.append(reading)
    return readings


def reference_resolve(bodies: list, radii: list, masses: list, tol: float = RESOLVE_TOL) -> list:
    """Push the overlapping bodies of one episode apart; bodies: list of (x, y). Returns a new list."""
    pos = [(float(x), float(y)) for x, y in bodies]
    radii = [float(r) for r in radii]
    inverse = [1.0 / float(m) for m in masses]
    n = len(pos)
    relax = 1.0  # the first pass moves a lone contact to just touching; later ones over-relax
    for _ in range(RESOLVE_MAX_PASSES):
        pushed_first = [[0.0, 0.0] for _ in range(n)]  # sum of pushes as body i of a pair
        pushed_second = [[0.0, 0.0] for _ in range(n)]  # sum of pushes as body j of a pair
        any_overlap = False
        for i in range(n):
            for j in range(i + 1, n):
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                dist2 = dx * dx + dy * dy
                if not dist2 < (radii[i] + radii[j] - tol) ** 2:
                    continue
                any_overlap = True
                dist = math.sqrt(dist2)
                gap = radii[i] + radii[j] - dist + tol
                if dist < COINCIDENT:  # no direction between them: (1, 0) with unit length
                    dx, dy, dist = 1.0, 0.0, 1.0
                share_i = inverse[i] / (inverse[i] + inverse[j])
                share_j = inverse[j] / (inverse[i] + inverse[j])
                f_i, f_j = gap / dist * relax * share_i, gap / dist * relax * share_j
                pushed_first[i][0] += dx * f_i
                pushed_first[i][1] += dy * f_i
                pushed_second[j][0] += dx * f_j
                pushed_second[j][1] += dy * f_j
        if not any_overlap:
            return pos
        pos = [
            (x + (pushed_first[i][0] - pushed_second[i][0]), y + (pushed_first[i][1] - pushed_second[i][1]))
            for i, (x, y) in enumerate(pos)
        ]
        relax = BODY_RELAXATION
    return pos


def reference_step(pos, heading, object_pos, params, object_radius: float, object_mass: float):
    """One control step of one episode.

    pos: N robot (x, y); heading: N angles; object_pos: M object (x, y); params: N controller
    rows of 6 values. Returns (pos, heading, object_pos, features): lists of N (x, y), N angles,
    M (x, y) and N (linear, angular).
    """
    pos = [(float(x), float(y)) for x, y in pos]
    heading = [float(th) for th in heading]
    object_pos = [(float(x), float(y)) for x, y in object_pos]
    for row in params:
        if len(row) != 6:
            raise ValueError(f"controller rows need 6 values, got {len(row)}")
    readings = reference_sense(pos, heading, object_pos, object_radius)
    moved_pos, moved_heading = [], []
    for (x, y), theta, row, reading in zip(pos, heading, params, readings, strict=True):
        left, right = reference_wheels(row, reading)
        x, y, theta = reference_move(x, y, theta, left, right)
        moved_pos.append((x, y))
        moved_heading.append(theta)
    n, m = len(pos), len(object_pos)
    radii = [ROBOT_RADIUS] * n + [object_radius] * m
    masses = [1.0] * n + [object_mass] * m
    bodies = reference_resolve(moved_pos + object_pos, radii, masses)
    new_pos, new_objects = bodies[:n], bodies[n:]
    return new_pos, moved_heading, new_objects, reference_observe(pos, heading, new_pos, moved_heading)


def reference_rollout(
    pos0, heading0, object_pos0, params, steps: int, object_radius: float, object_mass: float, *, record=False
):
    """Run one episode for ``steps`` steps from pos0 [N, 2], heading0 [N], object_pos0 [M, 2]
    with params [N, 6].

    Returns features [N, T, 2] (numpy); with ``record=True`` also robot positions [T + 1, N, 2],
    headings [T + 1, N] and object positions [T + 1, M, 2].
    """
    pos = [(float(x), float(y)) for x, y in np.asarray(pos0, dtype=float)]
    heading = [float(th) for th in np.asarray(heading0, dtype=float)]
    objects = [(float(x), float(y)) for x, y in np.asarray(object_pos0, dtype=float).reshape(-1, 2)]
    rows = [[float(v) for v in row] for row in np.asarray(params, dtype=float)]
    features, positions, headings, object_positions = [], [pos], [heading], [objects]
    for _ in range(steps):
        pos, heading, objects, step_features = reference_step(
            pos, heading, objects, rows, object_radius, object_mass
        )
        features.append(step_features)
        positions.append(pos)
        headings.append(heading)
        object_positions.append(objects)
    features_array = np.array(features, dtype=float).reshape(steps, len(pos), 2).transpose(1, 0, 2)
    if record:
        return (
            features_array,
            np.array(positions, dtype=float),
            np.array(headings, dtype=float),
            np.array(object_positions, dtype=float).reshape(steps + 1, len(objects), 2),
        )
    return features_array


def reference_largest_cluster(object_pos, object_radius: float, link_gap: float) -> float:
    """Fraction of one episode's objects in its largest cluster (objects linked when their
    surfaces are at most ``link_gap`` apart), by a plain flood fill."""
    pts = [(float(x), float(y)) for x, y in np.asarray(object_pos, dtype=float).reshape(-1, 2)]
    if not pts:
        return math.nan
    reach2 = (2 * object_radius + link_gap) ** 2
    label = [-1] * len(pts)
    sizes = []
    for start in range(len(pts)):
        if label[start] >= 0:
            continue
        label[start] = len(sizes)
        stack, size = [start], 0
        while stack:
            k = stack.pop()
            size += 1
            for j, (x, y) in enumerate(pts):
                dx, dy = x - pts[k][0], y - pts[k][1]
                if label[j] < 0 and dx * dx + dy * dy <= reach2:
                    label[j] = label[start]
                    stack.append(j)
        sizes.append(size)
    return max(sizes) / len(pts)
