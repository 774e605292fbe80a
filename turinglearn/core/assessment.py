"""What the summary makes of the held-out test (:mod:`turinglearn.core.trust`): which parameters
are identified and vouched for, the trade-offs between pairs, which parameters could ease a
rejected estimate, and a map of the test over a pair.

- **Trade-offs** (:func:`tradeoffs`): an interval is a slice, so where two
  parameters trade off (a ridge of models the test accepts, running across both axes) each
  slice is narrow and understates what the data allow. A thin ridge through the estimate runs
  along a diagonal of the plane scaled by the two slices' half-widths, whatever its angle, so
  the test is asked at the estimate moved ``TRADEOFF_REACH`` times each slice's half-width in
  both parameters at once, along both diagonals and both ways: a point it accepts there lies
  outside the ellipse of slices the intervals imply (a radius of ``TRADEOFF_REACH`` x sqrt 2 of
  it) and on a ridge. A ridge that bends (a product of the two is a curve) leaves the diagonal
  before that distance, so the probe starts at half of it and follows a ridge found where it bends.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.trust import FastTest

#: fraction of its range a parameter's interval may cover and still be "identified"
IDENTIFIED_WIDTH = 0.5
#: power at the largest move above which the held-out test "vouches for" a parameter
VOUCH_POWER = 0.8
#: how many slice half-widths the trade-off probe moves both parameters of a pair at once
TRADEOFF_REACH = 4.0
#: where the box leaves less room than that, the first probe goes as far as it allows, from this
TRADEOFF_MIN_REACH = 2.0
#: trade-offs are looked for between every pair of the first this many parameters whose slices
#: were drawn (28 pairs; the first 28 pairs in order had been probed, of 16 parameters those of
#: the first two with every other); summary.json's ``tradeoffs_among`` names them where fewer than all
TRADEOFF_PARAMETERS = 8
#: steps a ridge found is followed out, each way (8 left a statistician's gain x scale = 1, across the whole
#: box, at [0.77, 1.75]: "identified"; 16 reach [0.57, 2.0], at about 1.5 times the evaluations)
TRADEOFF_FOLLOW = 16
#: a ratio of the estimate's to the system's spread of a trial statistic below this (or above its
#: inverse), and clear of chance, is reported (:func:`spread`)
SPREAD_RATIO = 0.75
#: bootstrap draws of :func:`spread`
SPREAD_DRAWS = 400


def eases(test: FastTest, theta: np.ndarray, names, most: int = 3) -> list[dict]:
    """Where the estimate theta [d] was rejected: the parameters that, moved alone, lower
    the accuracy most, where that is at least a null sd below the estimate's: [{parameter,
    value, accuracy, accepted (below the test's own threshold)}], lowest first, at most
    ``most``. Read from the slices :meth:`FastTest.interval` drew and from moves of a quarter and a
    half of its first step-out fraction each way (an estimate off by less than a slice's
    first step), and, for a parameter without a slice (the estimate too far off for
    intervals), from moves of the first three step-out fractions each way. Candidates, not a
    culprit: one parameter may make up for another's error along a ridge; none listed: no
    single parameter's move helps."""
    theta = np.asarray(theta, float)
    first = test.effort.steps[0]
    for j in range(len(theta)):
        width = test.upper[j] - test.lower[j]
        # small moves for an estimate off by less than a slice's first step; larger ones where no slice was drawn
        fractions = (first / 4, first / 2) + (() if j in test.slices else tuple(test.effort.steps[:3]))
        for f in fractions:
            for sign in (-1, +1):
                v = float(np.clip(theta[j] + sign * f * width, test.lower[j], test.upper[j]))
                if v != theta[j] and v not in (p[0] for p in test.slices.get(j, [])):
                    probe = theta.copy()
                    probe[j] = v
                    test.accepts(probe, 1.0, j)
    rows = []
    for j, points in test.slices.items():
        v, acc = min(points, key=lambda p: p[1])
        if acc <= test.at_estimate - test.null_sd:
            rows.append({"parameter": names[j], "value": v, "accuracy": acc, "accepted": bool(acc <= test.threshold)})
    return sorted(rows, key=lambda r: r["accuracy"])[:most]


def tradeoff_candidates(intervals: list[dict]) -> list[int]:
    """The parameters whose pairs :func:`tradeoffs` probes: the first ``TRADEOFF_PARAMETERS``
    whose slice was drawn and covers less than the whole range."""
    drawn = [k for k, iv in enumerate(intervals) if iv.get("width") is not None and iv["width"] < 1.0]
    return drawn[:TRADEOFF_PARAMETERS]


def tradeoffs(test: FastTest, theta: np.ndarray, intervals: list[dict]) -> list[dict]:
    """The pairs of parameters of theta [d] along which the test accepts models outside what
    their intervals (slices, from :meth:`FastTest.interval`) imply. For each pair, from the middle of
    the two slices' crossings, both parameters move along a diagonal scaled by the slices'
    half-widths h (the same way, then opposite ways), half of ``TRADEOFF_REACH`` x h first (a
    curved ridge, such as a product of the two, leaves the diagonal before the whole reach), then
    the whole reach; from the furthest point the test accepts, the ridge is followed
    (:func:`_follow`) until the test rejects. A pair is reported where the test accepts a point
    that moves one of the two at least as far as the first whole-reach probe (``TRADEOFF_REACH``
    half-widths, or as far as the box allows from ``TRADEOFF_MIN_REACH``). Returns per pair found {pair (i, j),
    together ("same" or "opposite"), lo, hi (the hull of each parameter over its slice and the
    accepted points)}. Needs :meth:`FastTest.calibrate` first."""
    theta = np.asarray(theta, float)
    thr = test.threshold_used()
    drawn = tradeoff_candidates(intervals)
    pairs = [(i, j) for a, i in enumerate(drawn) for j in drawn[a + 1 :]]
    found = []
    for i, j in pairs:
        ij = [i, j]
        lo = np.array([intervals[k]["lo"] for k in ij])
        hi = np.array([intervals[k]["hi"] for k in ij])
        half = (hi - lo) / 2
        if (half <= 0).any():
            continue
        centre = (theta[ij] + (lo + hi) / 2) / 2
        box = ((test.lower[ij] - centre) / half, (test.upper[ij] - centre) / half)  # in half-widths from the centre

        seen: dict[tuple, bool] = {}  # a point clipped to the box may be asked again

        def accepts(z: np.ndarray, ij=ij, centre=centre, half=half, seen=seen) -> bool:  # z: half-widths from the centre
            key = tuple(np.round(z, 9))
            if key not in seen:
                probe = theta.copy()
                probe[ij] = centre + z * half
                seen[key] = test.accuracy(probe) <= thr
            return seen[key]

        for together in ("same", "opposite"):
            diagonal = np.array([1.0, 1.0 if together == "same" else -1.0])
            reached = []
            for way in (+1, -1):
                d = way * diagonal
                room = float(np.min(np.where(d > 0, box[1], -box[0])))  # how far the diagonal stays in the box
                # the first probe: REACH half-widths out, or as far as the box allows from
                # TRADEOFF_MIN_REACH (a wide slice near a bound, the likeliest to hide a ridge)
                if room < TRADEOFF_MIN_REACH:
                    continue
                r = min(TRADEOFF_REACH, room)
                if not accepts(r / 2 * d):  # no ridge along this diagonal, straight or bent: one evaluation
                    continue
                start = r * d if accepts(r * d) else r / 2 * d
                points = _follow(accepts, start, box)
                if max(np.abs(z).max() for z in points) >= r - 1e-9:  # as far out as the first probe
                    reached += [centre + z * half for z in points]
            if reached:
                pts = np.vstack([*reached, lo, hi])
                found.append({
                    "pair": (i, j), "together": together,
                    "lo": pts.min(axis=0).tolist(), "hi": pts.max(axis=0).tolist(),
                })  # fmt: skip
                break
    return found


def mirrors(test: FastTest, theta: np.ndarray, intervals: list[dict]) -> None:
    """Each parameter's two mirror images of the estimate, the others at theta [d]: ``-e`` (a
    parameter that acts through its magnitude or its square) and the bound-centre reflection
    ``lower + upper - e``, where they lie in the bounds and outside its interval: one the test
    accepts there is kept as the interval's ``elsewhere`` (a list), and ``lo`` / ``hi`` / ``width``
    span it and as much again beyond it as the slice's half-width, so the parameter is not
    identified (a statistician's bias, seen only as |bias|, read "identified" at -0.6 with the
    truth at +0.6 and its interval [-0.63, -0.59]). The slice steps out from the estimate and ends
    at the first rejection, so a second region elsewhere is found only so; a narrow one away from
    both mirrors is not (a pair map or runs over seeds show it). A mirror the test accepts just
    past the slice's end (an estimate near the middle of its range or near 0: within the slice's
    half-width of it, or with the point halfway to it accepted too) is where the slice goes on, not
    a second region: the slice is widened to it and the parameter may still be identified (an
    epidemiologist's reporting rate, 0.588 in [0.2, 1], read NOT IDENTIFIED for its mirror 0.612,
    inside the interval shown). Four evaluations of the test a parameter at most."""
    thr = test.threshold_used()
    for j, iv in enumerate(intervals):
        if iv["lo"] is None:
            continue
        lo_b, hi_b, e = test.lower[j], test.upper[j], float(theta[j])
        half = (iv["hi"] - iv["lo"]) / 2
        found, joined = [], []
        for v in sorted({-e, lo_b + hi_b - e}):
            if not lo_b <= v <= hi_b or iv["lo"] <= v <= iv["hi"]:
                continue
            probe = np.asarray(theta, float).copy()
            probe[j] = v
            if not test.accepts(probe, thr, j):
                continue
            edge = iv["hi"] if v > iv["hi"] else iv["lo"]
            probe[j] = (v + edge) / 2
            if abs(v - edge) <= half or test.accepts(probe, thr, j):
                joined.append(float(v))  # the slice goes on to it
            else:
                found.append(float(v))
        if joined:
            iv["joined"] = joined
            iv["lo"], iv["hi"] = float(min(iv["lo"], *joined)), float(max(iv["hi"], *joined))
            iv["width"] = (iv["hi"] - iv["lo"]) / (hi_b - lo_b) if hi_b > lo_b else 0.0
        if found:
            iv["elsewhere"], iv["test"] = found, [iv["lo"], iv["hi"]]  # the slice (on to a mirror it reaches), before
            # the mirrors elsewhere widen it
            iv["lo"] = float(max(lo_b, min(iv["lo"], *(v - half for v in found))))
            iv["hi"] = float(min(hi_b, max(iv["hi"], *(v + half for v in found))))
            iv["width"] = (iv["hi"] - iv["lo"]) / (hi_b - lo_b) if hi_b > lo_b else 0.0


def spread(test: FastTest, theta: np.ndarray, features=None) -> dict | None:
    """Whether the estimate's trials vary as the system's do: each statistic the test reads, its
    standard deviation over the trials of model theta [d] against the system's (the calibration's
    draw again, common random numbers), with a bootstrap over trials (a trial's samples and its
    twin resampled together). The held-out test's linear classifier cannot see a difference of
    spread alone (a model whose every trial is typical is accepted), and judges that read one trial
    at a time reward such a model: an epidemic whose size varies by chance was learned with half
    its spread, and biased parameters, the test accepting. Returns None, or the statistic whose
    ratio lies furthest beyond ``SPREAD_RATIO`` (or its inverse) with its bootstrap interval clear
    of 1 at a level of 5 % shared over the statistics: {statistic, ratio, interval (90 %),
    spread_model, spread_system, of (how many statistics so differ), statistics (how many)}.
    ``features``: the names of the trial's features, for the built-in statistics' names."""
    with np.errstate(all="ignore"):  # a statistic that is not finite (a constant's autocorrelation) is left out
        return _spread(test, theta, features)


def _spread(test: FastTest, theta: np.ndarray, features) -> dict | None:
    from scipy.stats import norm

    from turinglearn.core.evaluation import trajectory_feature_names

    if test.drawn is not None and np.array_equal(test.drawn[0], np.asarray(theta, float)):
        g, c = test.drawn[1:]  # the calibration's trials of the estimate: no more simulation
    else:
        g, c = test._run(theta, test.seed)  # [n, k, T, F] each
    n, k = g.shape[:2]
    if n < 10 or test.groups is not None:  # too few trials; or a recording's windows, several of an
        return None  # individual (their trials are not independent, and a model's starts where no window does)
    z = test._statistics(np.concatenate([g.reshape(-1, *g.shape[2:]), c.reshape(-1, *c.shape[2:])]))
    zg, zc = z[: n * k].reshape(n, k, -1), z[n * k :].reshape(n, k, -1)
    names = (
        trajectory_feature_names(features)
        if test.statistics is None and features is not None and len(trajectory_feature_names(features)) == z.shape[1]
        else [f"statistic {i}" for i in range(z.shape[1])]
    )

    def sds(w, a):  # trial weights [m, n] (how often each trial is drawn), a [n, k, K] -> sds [m, K]
        centred = a - a.reshape(-1, a.shape[-1]).mean(axis=0)  # for the sums' precision
        s1, s2, count = w @ centred.sum(axis=1), w @ (centred**2).sum(axis=1), w.sum(axis=1, keepdims=True) * k
        return np.sqrt(np.maximum(s2 - s1**2 / count, 0.0) / (count - 1))

    ones = np.ones((1, n))
    s_model, s_system = sds(ones, zc)[0], sds(ones, zg)[0]
    draws = np.random.default_rng(test.seed + 7).integers(0, n, size=(SPREAD_DRAWS, n))
    w = np.zeros((SPREAD_DRAWS, n))
    np.add.at(w, (np.arange(SPREAD_DRAWS)[:, None], draws), 1.0)
    r = np.log(s_model) - np.log(s_system)
    rb = np.log(sds(w, zc)) - np.log(sds(w, zg))  # [draws, K]
    still = np.flatnonzero((s_model == 0) & (s_system > 0) & np.isfinite(s_system))
    if still.size:  # the model's trials do not vary at all in a statistic where the system's do: by chance,
        # all N model samples take the one value with probability (1 - p)^N, p the system's share off it
        flat_g, flat_c = zg.reshape(-1, zg.shape[-1]), zc.reshape(-1, zc.shape[-1])
        off = (np.abs(flat_g[:, still] - flat_c[0, still]) > 1e-12).mean(axis=0)
        chance = (1 - off) ** len(flat_c)
        clear = still[chance < 0.05 / max(1, int(np.isfinite(s_system).sum()))]
        if clear.size:  # (an event in one trial of the system's 200 is not: 0.995^200 = 0.37)
            j = int(clear[0])
            return {"statistic": names[j], "ratio": 0.0, "interval": [0.0, 0.0], "spread_model": 0.0,
                    "spread_system": float(s_system[j]), "of": int(clear.size),
                    "statistics": int(np.isfinite(s_system).sum())}  # fmt: skip
    usable = np.isfinite(r) & np.isfinite(rb).all(axis=0) & (s_system > 0)
    if not usable.any():
        return None
    se = rb.std(axis=0, ddof=1)
    crit = float(norm.ppf(1 - 0.05 / (2 * usable.sum())))
    zscore = np.where(usable & (se > 0), np.abs(r) / se, 0.0)
    beyond = usable & (np.abs(r) > -np.log(SPREAD_RATIO)) & (zscore > crit)
    if not beyond.any():
        return None
    j = int(np.argmax(np.where(beyond, np.abs(r), -np.inf)))
    lo, hi = np.quantile(rb[:, j], [0.05, 0.95])
    return {"statistic": names[j], "ratio": float(np.exp(r[j])), "interval": [float(np.exp(lo)), float(np.exp(hi))],
            "spread_model": float(s_model[j]), "spread_system": float(s_system[j]), "of": int(beyond.sum()),
            "statistics": int(usable.sum())}  # fmt: skip


def _follow(accepts, start: np.ndarray, box, steps: int = TRADEOFF_FOLLOW) -> list[np.ndarray]:
    """The points of a ridge the test accepts, followed out from ``start`` (accepted; coordinates
    in slice half-widths from the centre, ``box`` (lower [2], upper [2]) in the same units): each
    step goes on the way the last one went, doubling while the test accepts; where it rejects,
    the step is tried a quarter and a half of its length to either side (the ridge bends), then
    at half its length; steps are clipped into the box, so a ridge that meets a bound is followed
    along it; the ridge ends where no step of at least a half-width is accepted, or where a step
    no longer moves. At most ``steps`` steps, each a few evaluations of the test."""
    points, prev, cur = [start], np.zeros(2), start
    length = float(np.linalg.norm(start))
    for _ in range(steps):
        heading = (cur - prev) / np.linalg.norm(cur - prev)
        side = np.array([-heading[1], heading[0]])
        nxt = None
        while nxt is None and length >= 1.0:
            for off in (0.0, 0.25, -0.25, 0.5, -0.5):
                z = np.clip(cur + length * (heading + off * side), box[0], box[1])
                if np.linalg.norm(z - cur) > 1e-9 and accepts(z):
                    nxt = z
                    break
            else:
                length /= 2
        if nxt is None:
            break
        prev, cur = cur, nxt
        points.append(cur)
        length *= 2
    return points


def pair_map(test: FastTest, theta: np.ndarray, i: int, j: int) -> dict:
    """The test's accuracy over a grid of parameters i and j (the others at theta):
    {x, y (grid values), accuracy [len(y), len(x)], threshold, and, where the estimate was
    rejected, widened: the raised threshold its intervals use}."""
    theta = np.asarray(theta, float)
    xs = np.linspace(test.lower[i], test.upper[i], test.effort.grid)
    ys = np.linspace(test.lower[j], test.upper[j], test.effort.grid)
    acc = np.empty((len(ys), len(xs)))
    for b, vy in enumerate(ys):
        for a, vx in enumerate(xs):
            probe = theta.copy()
            probe[i], probe[j] = vx, vy
            acc[b, a] = test.accuracy(probe)
    out = {"x": xs.tolist(), "y": ys.tolist(), "accuracy": acc.tolist(), "threshold": test.threshold}
    if test.threshold_used() > test.threshold:
        out["widened"] = test.threshold_used()
    return out



def assess(
    test: FastTest,
    theta: np.ndarray,
    names,
    moves=(0.05, 0.2),
    pair: tuple[str, str] | tuple = (),
    features=None,
) -> dict:
    """Everything the summary reports about trust in theta [d]: the test's calibration,
    ``power``, ``interval`` and the ``identified`` / ``vouched`` flags per parameter (by name;
    both None where no interval could be drawn: the estimate is far from the system), the
    ``tradeoffs`` found (:func:`tradeoffs`; each parameter's widest one also as its
    interval's ``ridge``: {with, lo, hi, width}), and a ``pair_map`` when ``pair`` names two
    parameters. A parameter is identified when its slice, every ridge across it and its mirrors
    (:func:`mirrors`) cover at most ``IDENTIFIED_WIDTH`` of its range and the test vouches for it
    (its power at the largest move at least ``VOUCH_POWER``)."""
    names = list(names)
    cal = test.calibrate(theta)
    dispersion = spread(test, theta, features)
    power = test.power(theta, moves)
    top = f"{round(100 * max(moves), 3):g}%"
    intervals = [test.interval(theta, j) for j in range(len(theta))]
    found = tradeoffs(test, theta, intervals) if all(iv["width"] is not None for iv in intervals) else None
    among = tradeoff_candidates(intervals)  # as probed, before the mirrors widen any slice
    unprobed = sum(iv["width"] is not None and iv["width"] < 1.0 for iv in intervals) > len(among)
    mirrors(test, theta, intervals)  # after the trade-offs, which start from each slice's own half-width
    for t in found or []:  # each parameter's widest ridge beside its slice
        for side, k in enumerate(t["pair"]):
            width = (t["hi"][side] - t["lo"][side]) / (test.upper[k] - test.lower[k])
            if width > intervals[k].get("ridge", {}).get("width", -1.0):
                other = names[t["pair"][1 - side]]
                intervals[k]["ridge"] = {"with": other, "lo": t["lo"][side], "hi": t["hi"][side], "width": width}
    out = {
        "test": {
            **cal,
            "level": test.level,
            "trials": test.trials,
            "classifier": "shrinkage LDA on "
            + ("trajectory summary features" if test.statistics is None else f"{test.statistics_name} (evaluation.statistics)")
            + ", folds by trial",
        },
        "power": dict(zip(names, power, strict=True)),
        "interval": {n: {k: v for k, v in iv.items()} for n, iv in zip(names, intervals, strict=True)},
        # identified: pinned down by its slice, by every ridge found across it and by its mirrors, and seen by
        # the test (a narrow slice of a parameter the test barely sees is chance's: its first false alarm ended it)
        "identified": {
            n: None
            if iv["width"] is None
            else bool(max(iv["width"], iv.get("ridge", {}).get("width", 0.0)) <= IDENTIFIED_WIDTH)
            and bool(p[top]["power"] >= VOUCH_POWER)
            and not iv.get("elsewhere")  # a mirror image accepted too, however near
            for n, p, iv in zip(names, power, intervals, strict=True)
        },
        # nothing is vouched for where the estimate is too far off for an interval (identified None)
        "vouched": {
            n: None if iv["width"] is None else bool(p[top]["power"] >= VOUCH_POWER)
            for n, p, iv in zip(names, power, intervals, strict=True)
        },
    }
    if dispersion is not None:
        out["spread"] = dispersion
    if cal["rejected"]:
        out["test"]["eases"] = eases(test, theta, names)
    if found is not None:
        if unprobed:  # more parameters than are probed: said
            out["tradeoffs_among"] = [names[k] for k in among]
        out["tradeoffs"] = [
            {"pair": [names[t["pair"][0]], names[t["pair"][1]]], "together": t["together"], "lo": t["lo"], "hi": t["hi"]}
            for t in found
        ]
    if pair:
        i, j = names.index(pair[0]), names.index(pair[1])
        out["pair_map"] = {"parameters": list(pair), **pair_map(test, theta, i, j)}
    out["test"]["evaluations"] = test.evaluations
    if test.trials < test.asked:  # a recording's individuals filled fewer trials than asked for
        out["test"]["trials_asked"] = test.asked
    return out
