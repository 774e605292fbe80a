"""Batched physics of e-puck-like differential-drive robots on an unbounded plane.

Every function works on whole batches of episodes at once; shapes use ``B`` episodes and
``N`` robots per episode. The per-step, per-robot scalar twin of this module lives in
:mod:`turinglearn.environments.reference` and must agree with it (tests check this).

One control step (``DT`` = 0.1 s), in this order:

1. **sense**: robot ``i`` sees robot ``j`` when the ray from ``i``'s centre along its heading
   passes within ``j``'s body radius, ahead of ``i`` (``t = (p_j - p_i) . h_i > 0`` and the
   perpendicular distance ``|(p_j - p_i) x h_i| <= r``); the range is unlimited.
2. **act**: the controller turns the sensor state into normalised wheel speeds in [-1, 1].
3. **move**: Euler step of the unicycle, ``v = vmax (l + r) / 2``, ``w = vmax (r - l) / axle``:
   ``p += v dt (cos th, sin th)``, then ``th += w dt`` (wrapped to (-pi, pi]).
4. **resolve overlaps** to convergence: over-relaxed Jacobi passes; in each pass every pair
   closer than ``2 r - tol`` is pushed apart symmetrically along the line between centres
   (see :func:`resolve_overlaps`); passes repeat until no pair overlaps by more than ``tol``
   (``RESOLVE_TOL``; why: docs/design.md, "Collisions").
5. **observe**: an individual's features for the step are its linear speed (displacement
   along its previous heading, collisions included, divided by dt) and angular speed,
   normalised by ``vmax`` and ``2 vmax / axle`` so both lie in [-1, 1] unless pushed.
"""

from __future__ import annotations

import numpy as np

#: e-puck as modelled in Enki (docs/design.md, "Case studies"): metres, seconds.
ROBOT_RADIUS = 0.037
AXLE = 0.051
MAX_WHEEL_SPEED = 0.128
DT = 0.1
MAX_ANGULAR_SPEED = 2 * MAX_WHEEL_SPEED / AXLE

#: overlap tolerance of the collision resolution, metres (0.1 micrometre)
RESOLVE_TOL = 1e-7
#: over-relaxation of the pairwise pushes (1 = each pair pushed to just touching)
RESOLVE_RELAXATION = 1.5
#: passes after which resolution gives up (never reached in practice; tests check overlaps)
RESOLVE_MAX_PASSES = 10_000
#: over-relaxation of :func:`resolve_body_overlaps` after its first pass (which uses 1)
BODY_RELAXATION = 1.8
#: :func:`resolve_body_overlaps` looks at the pairs whose surfaces are within this margin (m)
RESOLVE_MARGIN = 0.1


def wrap_angle(theta: np.ndarray) -> np.ndarray:
    """Wrap angles to (-pi, pi]."""
    return np.pi - np.mod(np.pi - theta, 2 * np.pi)


def line_of_sight(
    pos: np.ndarray, heading: np.ndarray, target_pos: np.ndarray, target_radius: float
) -> np.ndarray:
    """Whether each robot sees any target ahead.

    pos: [B, N, 2], heading: [B, N], target_pos: [B, M, 2]; returns hits [B, N, M] (bool).
    A robot never sees itself: callers pass the robots themselves as targets and the
    zero-distance self pair is excluded by ``t > 0``.
    """
    d = target_pos[:, None, :, :] - pos[:, :, None, :]  # [B, N, M, 2]
    c, s = np.cos(heading)[:, :, None], np.sin(heading)[:, :, None]  # [B, N, 1]
    t = d[..., 0] * c + d[..., 1] * s  # distance along the ray      [B, N, M]
    perp = d[..., 1] * c - d[..., 0] * s  # signed distance across it [B, N, M]
    return (t > 0) & (np.abs(perp) <= target_radius)


def move(pos: np.ndarray, heading: np.ndarray, wheels: np.ndarray, cos=None, sin=None):
    """Unicycle Euler step. wheels: [B, N, 2] normalised (left, right); returns new pos, heading.

    ``cos``/``sin`` of ``heading`` may be passed when the caller already has them.
    """
    v = MAX_WHEEL_SPEED * (wheels[..., 0] + wheels[..., 1]) / 2  # [B, N] m/s
    w = MAX_WHEEL_SPEED * (wheels[..., 1] - wheels[..., 0]) / AXLE  # [B, N] rad/s
    c = np.cos(heading) if cos is None else cos
    s = np.sin(heading) if sin is None else sin
    step = np.stack([c, s], axis=-1) * (v * DT)[..., None]
    return pos + step, wrap_angle(heading + w * DT)


def resolve_overlaps(pos: np.ndarray, radius: float = ROBOT_RADIUS, tol: float = RESOLVE_TOL) -> np.ndarray:
    """Push overlapping discs apart until no pair overlaps by more than ``tol``.

    pos: [B, N, 2] (not modified); returns the resolved positions.

    Each pass is a Jacobi step over the pairs ``i < j`` (in ``numpy.triu_indices`` order) that
    overlap by more than ``tol``: both robots move apart along the line between their centres,
    each by ``RESOLVE_RELAXATION * (2 r - dist + tol) / 2``; all moves of a pass are summed and
    applied together. Over-relaxation (1.5) cuts the passes a dense cluster needs about
    fivefold. Only the overlapping pairs are touched, and passes after the first run only over
    the episodes that still overlap, so a batch costs little more than its worst episode.
    """
    pos = pos.copy()
    b, n, _ = pos.shape
    first, second = np.triu_indices(n, 1)  # the pairs, [P] each
    limit2 = (2 * radius - tol) ** 2
    active = np.arange(b)
    for _ in range(RESOLVE_MAX_PASSES):
        sub = pos[active]  # [b', N, 2]
        d = sub[:, first] - sub[:, second]  # p_i - p_j for every pair   [b', P, 2]
        dist2 = d[..., 0] ** 2 + d[..., 1] ** 2  # [b', P]
        ep, pair = np.nonzero(dist2 < limit2)  # overlapping (episode, pair), [H] each
        if len(ep) == 0:
            return pos
        dist = np.sqrt(dist2[ep, pair])  # [H]
        dd = d[ep, pair]  # [H, 2]
        gap = 2 * radius - dist + tol  # overlap to remove, from the true distance   [H]
        coincident = dist < 1e-12
        if coincident.any():  # separate coincident centres along x: unit direction (1, 0)
            dd[coincident] = (1.0, 0.0)
            dist = np.where(coincident, 1.0, dist)
        move_ = dd * (RESOLVE_RELAXATION * gap / (2 * dist))[:, None]  # [H, 2]
        m = len(active)
        on_i, on_j = ep * n + first[pair], ep * n + second[pair]  # flat robot index, [H] each
        disp = np.empty((m * n, 2))
        for k in range(2):
            disp[:, k] = np.bincount(on_i, move_[:, k], m * n) - np.bincount(on_j, move_[:, k], m * n)
        pos[active] = sub + disp.reshape(m, n, 2)
        active = active[np.unique(ep)]
    return pos  # pragma: no cover - tests assert that overlaps never survive


def random_placement(rng: np.random.Generator, n_episodes: int, n_robots: int, side: float, resolve=None):
    """Robots uniform in a ``side`` x ``side`` square centred on the origin, headings uniform,
    overlaps resolved (by ``resolve``, :func:`resolve_overlaps` unless given). Returns pos
    [B, N, 2], heading [B, N]."""
    pos = rng.uniform(-side / 2, side / 2, size=(n_episodes, n_robots, 2))
    heading = rng.uniform(-np.pi, np.pi, size=(n_episodes, n_robots))
    return (resolve or resolve_overlaps)(pos), heading


def observe(old_pos: np.ndarray, old_heading: np.ndarray, pos: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Normalised (linear, angular) speed of each robot over the step: [B, N, 2]."""
    disp = pos - old_pos
    lin = (disp[..., 0] * np.cos(old_heading) + disp[..., 1] * np.sin(old_heading)) / DT
    ang = wrap_angle(heading - old_heading) / DT
    return np.stack([lin / MAX_WHEEL_SPEED, ang / MAX_ANGULAR_SPEED], axis=-1)


def pairwise_min_distance(pos: np.ndarray) -> float:
    """Smallest centre distance between two robots of the same episode (pos: [B, N, 2])."""
    d = pos[:, :, None, :] - pos[:, None, :, :]
    dist = np.sqrt((d**2).sum(-1))
    n = pos.shape[1]
    dist[:, np.arange(n), np.arange(n)] = np.inf
    return float(dist.min())


# --- bodies of several kinds (robots and passive objects) -------------------------------------
#
# The functions below generalise the robot-only ones above to discs of different radii and
# masses, as used by the object-clustering environment; those above stay as they are.


def ray_hit_distance(
    pos: np.ndarray, heading: np.ndarray, target_pos: np.ndarray, target_radius: np.ndarray | float
) -> np.ndarray:
    """Distance along each robot's ray to where it enters each target disc; ``inf`` if missed.

    pos: [B, N, 2], heading: [B, N], target_pos: [B, M, 2], target_radius: [M] or a scalar;
    returns [B, N, M]. A target is on the ray when its centre is ahead (``t > 0``, as in
    :func:`line_of_sight`) and within its radius of the ray (``|perp| <= r``); the ray enters it
    at ``t - sqrt(r^2 - perp^2)``, which orders the targets on one ray by nearness. A robot
    never sees itself (its own centre has ``t = 0``).
    """
    d = target_pos[:, None, :, :] - pos[:, :, None, :]  # [B, N, M, 2]
    c, s = np.cos(heading)[:, :, None], np.sin(heading)[:, :, None]  # [B, N, 1]
    t = d[..., 0] * c + d[..., 1] * s  # along the ray   [B, N, M]
    perp = d[..., 1] * c - d[..., 0] * s  # across it   [B, N, M]
    r = np.asarray(target_radius, dtype=float)
    half_chord2 = r * r - perp * perp  # [B, N, M]
    hit = (t > 0) & (np.abs(perp) <= r)
    return np.where(hit, t - np.sqrt(np.where(hit, half_chord2, 0.0)), np.inf)


def resolve_body_overlaps(
    pos: np.ndarray, radius: np.ndarray, mobility: np.ndarray, tol: float = RESOLVE_TOL
) -> np.ndarray:
    """Push overlapping discs of different radii and masses apart until none overlaps by more than ``tol``.

    pos: [B, N, 2] (not modified); radius: [N]; mobility: [N] inverse masses (> 0). Returns the
    resolved positions [B, N, 2].

    Jacobi passes as in :func:`resolve_overlaps`: each pass pushes apart every pair ``i < j``
    (in ``numpy.triu_indices`` order) closer than ``r_i + r_j - tol``, sums the pushes per body
    (first those it gets as body ``i`` of a pair, then, subtracted, those as body ``j``) and
    applies them together; passes repeat until no pair overlaps. What differs:

    - the push is shared in inverse proportion to mass: with ``gap = r_i + r_j - dist + tol``,
      body ``i`` moves by ``(p_i - p_j) * (gap / dist * relax * s_i)`` and ``j`` by minus
      ``(p_i - p_j) * (gap / dist * relax * s_j)``, ``s_i = m_i / (m_i + m_j)`` for
      mobilities ``m``. A light object yields to a robot, and a robot pushing it slows down;
    - the first pass is not over-relaxed (``relax = 1``), so a lone contact ends just touching,
      as after a perfectly inelastic push (a robot and an object of a quarter of its mass then
      move on together at 80% of the robot's speed); later passes, which settle chains and
      clusters of contacts, use ``relax = BODY_RELAXATION``.

    Coincident centres (``dist < 1e-12``) use ``p_i - p_j = (1, 0)`` and ``dist = 1``.

    Passes look only at the pairs of a Verlet list: those whose surfaces were within
    ``RESOLVE_MARGIN`` of touching when the list was built. The list is rebuilt from all pairs
    once some body may have moved more than half the margin since, so no overlapping pair is
    missed and every pass pushes exactly the pairs that a pass over all pairs would push.
    """
    b, n, _ = pos.shape
    radius = np.asarray(radius, dtype=float)
    mobility = np.asarray(mobility, dtype=float)
    first, second = np.triu_indices(n, 1)  # the pairs, [P] each
    contact = radius[first] + radius[second]  # [P]
    limit2 = (contact - tol) ** 2  # [P]
    near2 = (contact + RESOLVE_MARGIN) ** 2  # [P]
    share_first = mobility[first] / (mobility[first] + mobility[second])  # [P]
    share_second = mobility[second] / (mobility[first] + mobility[second])  # [P]
    x, y = pos[..., 0].ravel(), pos[..., 1].ravel()  # copies, flat body index e * N + i   [B * N]
    size = b * n
    budget = -1.0  # how far any body may still move before the list must be rebuilt (m)
    relax = 1.0
    for _ in range(RESOLVE_MAX_PASSES):
        if budget < 0:  # (re)build the Verlet list, sorted by (episode, pair)
            xs, ys = x.reshape(b, n), y.reshape(b, n)
            dx, dy = xs[:, first] - xs[:, second], ys[:, first] - ys[:, second]  # [B, P]
            dist2 = dx * dx + dy * dy
            if not (dist2 < limit2).any():
                break
            ep, pair = np.nonzero(dist2 < near2)  # [C] each
            on_i, on_j = ep * n + first[pair], ep * n + second[pair]  # flat body index, [C] each
            c_contact, c_limit2 = contact[pair], limit2[pair]  # [C]
            c_share_i, c_share_j = share_first[pair], share_second[pair]  # [C]
            budget = RESOLVE_MARGIN / 2
        dx, dy = x[on_i] - x[on_j], y[on_i] - y[on_j]  # p_i - p_j   [C]
        dist2 = dx * dx + dy * dy
        (hit,) = np.nonzero(dist2 < c_limit2)  # the overlapping pairs, [H]
        if len(hit) == 0:
            break
        dx, dy = dx[hit], dy[hit]  # [H]
        dist = np.sqrt(dist2[hit])  # [H]
        gap = c_contact[hit] - dist + tol  # overlap to remove, from the true distance   [H]
        if dist.min() < 1e-12:  # coincident centres: direction (1, 0)
            coincident = dist < 1e-12
            dx[coincident], dy[coincident] = 1.0, 0.0
            dist = np.where(coincident, 1.0, dist)
        f = gap / dist * relax
        f_i, f_j = f * c_share_i[hit], f * c_share_j[hit]  # [H]
        o_i, o_j = on_i[hit], on_j[hit]  # [H]
        move_x = np.bincount(o_i, dx * f_i, size) - np.bincount(o_j, dx * f_j, size)  # [B * N]
        move_y = np.bincount(o_i, dy * f_i, size) - np.bincount(o_j, dy * f_j, size)  # [B * N]
        x += move_x
        y += move_y
        relax = BODY_RELAXATION
        # a body moved at most sqrt(2) times its largest coordinate change
        budget -= 1.5 * max(np.abs(move_x).max(), np.abs(move_y).max())
    return np.stack([x.reshape(b, n), y.reshape(b, n)], axis=-1)


def min_surface_gap(pos: np.ndarray, radius: np.ndarray) -> float:
    """Smallest ``dist - r_i - r_j`` over the pairs of bodies of the same episode (pos: [B, N, 2], radius: [N])."""
    radius = np.asarray(radius, dtype=float)
    d = pos[:, :, None, :] - pos[:, None, :, :]
    gap = np.sqrt((d**2).sum(-1)) - (radius[:, None] + radius[None, :])
    n = pos.shape[1]
    gap[:, np.arange(n), np.arange(n)] = np.inf
    return float(gap.min())
