"""The statistics of the checker's comparisons in distribution (:mod:`turinglearn.app.probes`):
where a stochastic simulator's trials (swarms) cannot be compared with runs of their own rows
draw for draw, their replicates are compared cell by cell (every step and feature) with those
of the rows they should follow."""

from __future__ import annotations

import numpy as np

#: replicates of each trial (swarm) when the draws depend on the parameter values; a trial's
#: replicates are not those of its own row when some cell is further than chance allows at
#: FALSE_ALARM over all cells and another row fits them BETTER times as well (:func:`misrouted`)
REPLICATES = 64
FALSE_ALARM = 1e-3
BETTER = 4.0


def distance(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """How far the replicates got [R, ...] lie from the replicates ref [R', ...] of a row: per
    cell, the squared difference of their means in units of its sampling variance (a chi-square
    of one degree of freedom when both are samples of one distribution). A cell constant over
    both sets of replicates (a feature the noise never reaches, such as a stimulus) is 0 where
    the two constants agree and infinite where they differ."""
    scale = np.maximum(np.abs(ref).max(axis=0), np.abs(got).max(axis=0))
    var = ref.var(axis=0) / len(ref) + got.var(axis=0) / len(got)
    diff = got.mean(axis=0) - ref.mean(axis=0)
    still = var <= (1e-12 * np.maximum(scale, 1e-300)) ** 2
    out = np.where(still, 0.0, diff**2 / np.where(still, 1.0, var))
    return np.where(still & (np.abs(diff) > 1e-9 * np.maximum(scale, 1e-300)), np.inf, out).ravel()


def effect_in_distribution(truth_reps: np.ndarray, model_reps: np.ndarray) -> np.ndarray:
    """:func:`effect` for runs that do not share their noise draw for draw (a step whose draws
    depend on the parameter values): the root mean square over cells of the difference of the
    replicates' means [R, ..., F] (axis 0), less what sampling alone gives it, in units of the
    truth's spread, per feature [F]."""
    f = truth_reps.shape[-1]
    diff = (model_reps.mean(axis=0) - truth_reps.mean(axis=0)).reshape(-1, f)
    chance = (model_reps.var(axis=0) / len(model_reps) + truth_reps.var(axis=0) / len(truth_reps)).reshape(-1, f)
    diff2 = np.maximum((diff**2 - chance).mean(axis=0), 0.0)
    spread = truth_reps.reshape(-1, f).std(axis=0)
    return np.where(diff2 > 0, np.sqrt(diff2) / np.maximum(spread, 1e-300), 0.0)


def unchanged(moved: np.ndarray, truth: np.ndarray, far: np.ndarray) -> bool:
    """In distribution over replicates [R, ...]: features of a row moved to the distant model
    that stay those of the truth where the distant model's own are clearly not (as a robot or
    replica that runs another's row)."""
    z_moved, z_far = distance(moved, truth), distance(far, truth)
    return (
        beyond_chance(z_far)
        and not beyond_chance(z_moved)
        and float(z_far.mean()) > BETTER * max(float(z_moved.mean()), 1.0)
    )


def beyond_chance(z2: np.ndarray) -> bool:
    """Whether some cell's distance is further than chance allows between samples of one
    distribution (at ``FALSE_ALARM`` over all the cells, Bonferroni)."""
    from scipy.stats import chi2

    return bool(z2.size) and float(z2.max()) > chi2.isf(FALSE_ALARM / z2.size, 1)


def misrouted(z2, labels) -> list[int]:
    """The trials j whose replicates are not those of their own row, from the cells' squared
    standardised distances z2[j][i] of trial j from row ``labels[i]``: some cell too far for
    chance (the Bonferroni bound of ``FALSE_ALARM`` over the cells) and another row fitting the
    trial ``BETTER`` times as well on average (as a trial that reads another's row does)."""
    bad = []
    for j, row in enumerate(z2):
        own = row[j]
        if not beyond_chance(own):
            continue
        others = [z.mean() for i, z in enumerate(row) if labels[i] != labels[j]]
        if others and min(others) * BETTER < own.mean():
            bad.append(j)
    return bad


#: trials of the truth in each of two calls compared over their first ``SHARING_STEPS``
#: distinguishable steps (:func:`alike_within_calls`), and the random splits that calibrate it
SHARING_TRIALS = 32
SHARING_STEPS = 5
SHARING_PERMUTATIONS = 3000


def alike_within_calls(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[int, float, float, float] | None:
    """Whether the trials of one call are nearer one another than to those of another call (two
    seeds): ``a`` and ``b`` [S, T, ...], trials of one row. Over the first ``SHARING_STEPS``
    steps the two calls tell apart, every cell is ranked over both calls' trials, and the trials'
    mean rank distance within a call is compared with ``SHARING_PERMUTATIONS`` random splits of
    the trials into two: exact for independent trials whatever the distribution (heavy tails,
    rare events). Returns (the first such step, the distance within, the distance between, p)
    where p is below ``FALSE_ALARM`` (a start or noise drawn once a call and broadcast), else None
    (None too where the seed changes nothing: a deterministic system's equal trials are right)."""
    from scipy.stats import rankdata

    s = len(a)
    differ = np.flatnonzero(~np.isclose(a, b, rtol=1e-7, atol=1e-10).reshape(s, a.shape[1], -1).all(axis=(0, 2)))
    if not len(differ):
        return None
    t = int(differ[0])
    cells = np.concatenate([a, b])[:, t : t + SHARING_STEPS].reshape(2 * s, -1)
    ranks = rankdata(cells, axis=0) / len(cells)  # [2S, cells], ties averaged
    dist = np.abs(ranks[:, None, :] - ranks[None, :, :]).mean(axis=-1)  # [2S, 2S]

    def within(groups: np.ndarray) -> np.ndarray:  # groups [P, 2S] bool -> mean distance within the two halves
        g = groups.astype(float)
        same = np.einsum("pi,ij,pj->p", g, dist, g) + np.einsum("pi,ij,pj->p", 1 - g, dist, 1 - g)
        return same / (2 * s * (s - 1))

    observed = float(within(np.repeat([True, False], s)[None])[0])
    rng = np.random.default_rng(seed)
    splits = np.argsort(rng.random((SHARING_PERMUTATIONS, 2 * s)), axis=1) < s
    p = (1 + int((within(splits) <= observed).sum())) / (SHARING_PERMUTATIONS + 1)
    return None if p >= FALSE_ALARM else (t, observed, float(dist[:s, s:].mean()), p)


def calls_alike(run, seed: int) -> tuple[int, float, float, float] | str | None:
    """The independence of trials within a call, for ``run(s)``: trials [S, T, ...] of one row
    under seed s (None where the simulator failed). ``"unseeded"`` where the trials differ within
    a call but not between the calls of two seeds (randomness not from the generator); else
    :func:`alike_within_calls`' finding where it holds in these draws and again in others (at
    ``FALSE_ALARM`` a correct simulator would be refused one time in a thousand); else None."""
    a, b = run(seed + 7), run(seed + 8)
    if a is None or b is None:
        return None
    same = lambda x, y: bool(np.allclose(x, y, rtol=1e-7, atol=1e-10))  # noqa: E731 (probes.same_features)
    if same(a, b) and not same(a, a[:1]):
        return "unseeded"
    found = alike_within_calls(a, b, seed + 9)
    if found is None:
        return None
    c, e = run(seed + 17), run(seed + 18)
    return None if c is None or e is None or alike_within_calls(c, e, seed + 19) is None else found
