"""Can the result be trusted? The held-out test under several stimulus schedules, its power
for every parameter, and an interval for every parameter by test inversion.

The *fast test* (docs/design.md, "The held-out test"): samples of the system and of a model
from ``system.trajectories`` with the run's trial budget and tracking noise, summarised per
trajectory by :func:`~turinglearn.core.evaluation.trajectory_features`, told apart by a
shrinkage linear discriminant (numpy, a few milliseconds) under cross-validation whose folds
keep each trial's samples together. Its statistic is the cross-validated accuracy.

- **Null distribution**: the same accuracy after the labels were shuffled within each trial
  (a genuine and a counterfeit sample of one trial are exchangeable when the model is the
  system); the test rejects a model when its accuracy exceeds the null's ``level`` quantile.
- **Power** (:meth:`FastTest.power`): the accuracy between the fitted model and the same
  model with one parameter moved by a fraction of its range, each drawn from its own trials,
  and the chance ``Phi((accuracy - threshold) / null sd)`` that the test would reject it.
- **Interval** (:meth:`FastTest.interval`): the values of one parameter, the others held at
  the estimate, that the test does not reject, found by stepping out from the estimate and
  bisecting the first rejection on each side. Every evaluation uses the same random numbers
  (common random numbers), so the accuracy is a smooth function of the value. When the
  estimate itself is rejected (another parameter is off), the threshold is raised by the
  estimate's excess over the null median, and the interval says so.
- **Trade-offs** (:meth:`FastTest.tradeoffs`): an interval is a slice, so where two
  parameters trade off (a ridge of models the test accepts, running across both axes) each
  slice is narrow and understates what the data allow. A thin ridge through the estimate runs
  along a diagonal of the plane scaled by the two slices' half-widths, whatever its angle, so
  the test is asked at the estimate moved ``TRADEOFF_REACH`` times each slice's half-width in
  both parameters at once, along both diagonals and both ways: a point it accepts there lies
  outside the ellipse of slices the intervals imply (a radius of ``TRADEOFF_REACH`` x sqrt 2 of
  it) and on a ridge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from turinglearn.core.evaluation import trajectory_features

SCHEDULES = ("auto", "passive", "random", "interrogators")
INTERVALS = ("fast", "thorough", "off")
#: fraction of its range a parameter's interval may cover and still be "identified"
IDENTIFIED_WIDTH = 0.5
#: a widened acceptance threshold above this accepts everything: no interval is reported
SATURATED = 0.9
#: power at the largest move above which the held-out test "vouches for" a parameter
VOUCH_POWER = 0.8
#: a power's first draw settles it when its accuracy lies this many null sds from the threshold
#: (its power then below 0.001 or above 0.999); nearer, further draws are averaged
POWER_CLEAR = 3.0
#: how many slice half-widths the trade-off probe moves both parameters of a pair at once
TRADEOFF_REACH = 4.0
#: where the box leaves less room than that, the first probe goes as far as it allows, from this
TRADEOFF_MIN_REACH = 2.0
#: pairs probed for trade-offs at most (those of the first 8 parameters)
TRADEOFF_PAIRS = 28


@dataclass(frozen=True)
class Effort:
    """How hard the fast test works: label permutations for the null, step-out fractions of
    the range, bisections after the first rejection (at least ``bisections``; more, up to
    ``max_bisections``, while the bracket of an interval's end is wider than ``precision`` x
    its distance from the estimate, so a narrow interval is as precise, relative to its width,
    as a wide one), grid points per axis of a pair map, and the most independent draws whose
    accuracies are averaged for a power (:meth:`FastTest.power`; with one draw, a parameter moved
    5 % read powers from 0.33 to 0.98 over 8 seeds of tests/core/test_trust.py's agent, with
    four 0.73 to 0.95)."""

    permutations: int
    steps: tuple[float, ...]
    bisections: int
    grid: int
    trials_factor: float = 1.0
    precision: float = 0.25
    max_bisections: int = 8
    power_draws: int = 4


EFFORT = {
    "fast": Effort(60, (0.05, 0.15, 0.35, 0.7, 1.0), 2, 9),
    "thorough": Effort(200, (0.025, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0), 4, 15, 2.0, power_draws=8),
}


def lda_accuracy(x: np.ndarray, y: np.ndarray, fold: np.ndarray, shrink: float = 0.1) -> float:
    """Cross-validated accuracy of a shrinkage linear discriminant: x [S, p] features, y [S]
    labels (0/1), fold [S] the fold of every sample. Features are standardised on each
    training split; the pooled covariance is shrunk towards the identity by ``shrink``."""
    correct = 0
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-9
        z, zt = (x[tr] - mu) / sd, (x[te] - mu) / sd
        yt = y[tr]
        m0, m1 = z[yt == 0].mean(0), z[yt == 1].mean(0)
        zc = z - np.where(yt[:, None] == 1, m1, m0)
        cov = (1 - shrink) * (zc.T @ zc) / max(1, len(z) - 2) + shrink * np.eye(z.shape[1])
        w = np.linalg.solve(cov, m1 - m0)
        correct += int(((zt @ w - w @ (m0 + m1) / 2 > 0) == (y[te] == 1)).sum())
    return correct / len(y)


def asked_trials(trials: int, folds: int, effort: Effort) -> int:
    """The trials a fast test of ``trials`` (``evaluation.c2st_trials``) asks the system for:
    its effort's share, and a sample in each fold."""
    return max(folds, round(trials * effort.trials_factor))


def same_trials(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two runs' trials are the same draw for draw: a model that changes nothing (run
    with the same random numbers as another) gives the other's trials."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


@dataclass
class FastTest:
    """The fast held-out test of ``system`` at a fixed budget (see the module docstring).

    trials: trials per evaluation (after the first, those the system gave: a recording gives
    at most one per individual); noise: tracking noise (std) added to every feature;
    schedule: passed to ``system.trajectories`` (interactive systems), None for others;
    level: the test's acceptance level (0.9: a model as good as the system is accepted 90 %
    of the time); lower / upper: the parameters' bounds [d]; seed: fixes every evaluation's
    random numbers (common random numbers)."""

    system: object
    trials: int
    noise: float
    lower: np.ndarray
    upper: np.ndarray
    level: float = 0.9
    schedule: object = None
    folds: int = 5
    seed: int = 0
    effort: Effort = field(default_factory=lambda: EFFORT["fast"])
    evaluations: int = 0
    slices: dict = field(default_factory=dict)  # j -> [(value, accuracy)] seen by interval()

    def __post_init__(self):
        self.lower, self.upper = np.asarray(self.lower, float), np.asarray(self.upper, float)
        self.trials = asked_trials(self.trials, self.folds, self.effort)
        self.asked = self.trials  # a recording may give fewer (self.trials after the first draw)

    def _run(self, theta: np.ndarray, seed: int):
        """(genuine [trials, k, T, F], counterfeit [trials, k, T, F]) of model theta [d], with noise."""
        rng = np.random.default_rng(seed)
        kw = {} if self.schedule is None else {"schedule": self.schedule}
        g, c = self.system.trajectories(np.asarray(theta, float)[None], rng, self.trials, **kw)
        self.evaluations += 1
        g, c = np.asarray(g[0], float), np.asarray(c[0], float)
        self.trials = len(g)  # a recording gives no more trials than it fills (at least 10)
        k = min(g.shape[1], c.shape[1])
        pick = np.argsort(rng.random(g.shape[:2]), axis=1)[:, :k]  # k distinct genuine agents per trial
        g, c = g[np.arange(len(g))[:, None], pick], c[:, :k]
        if self.noise > 0:
            g = g + rng.normal(0.0, self.noise, g.shape)
            c = c + rng.normal(0.0, self.noise, c.shape)
        return g, c

    def _dataset(self, a: np.ndarray, b: np.ndarray):
        """Features [2 n k, p], labels and folds (by trial) of a [n, k, T, F] against b."""
        n, k = a.shape[:2]
        x = trajectory_features(np.concatenate([a.reshape(-1, *a.shape[2:]), b.reshape(-1, *b.shape[2:])]))
        y = np.repeat([0, 1], n * k)
        trial = np.tile(np.repeat(np.arange(n), k), 2)
        fold = np.random.default_rng(self.seed).permutation(n)[trial] % self.folds
        return x, y, fold, trial

    def accuracy(self, theta: np.ndarray) -> float:
        """The test's statistic for model theta [d] against the system (common random numbers)."""
        x, y, fold, _ = self._dataset(*self._run(theta, self.seed))
        return lda_accuracy(x, y, fold)

    def calibrate(self, theta: np.ndarray) -> dict:
        """The null distribution at theta: accuracy with labels shuffled within every trial.
        Sets and returns {accuracy, threshold, null_median, null_sd}."""
        self.slices = {}  # a new estimate: the slices of another one say nothing of it
        x, y, fold, trial = self._dataset(*self._run(theta, self.seed))
        acc = lda_accuracy(x, y, fold)
        rng = np.random.default_rng(self.seed + 1)
        order = np.argsort(trial, kind="stable")  # samples grouped by trial, 2k each
        per = len(y) // (trial.max() + 1)
        null = []
        for _ in range(self.effort.permutations):
            shuffled = np.argsort(rng.random((len(y) // per, per)), axis=1)  # within each trial
            yp = np.empty_like(y)
            yp[order] = y[order].reshape(-1, per)[np.arange(len(y) // per)[:, None], shuffled].ravel()
            null.append(lda_accuracy(x, yp, fold))
        null = np.asarray(null)
        self.threshold = float(np.quantile(null, self.level))
        self.null_median, self.null_sd = float(np.median(null)), float(max(null.std(), 1e-3))
        self.at_estimate = acc
        return {
            "accuracy": acc,
            "threshold": self.threshold,
            "null_median": self.null_median,
            "null_sd": self.null_sd,
            "rejected": bool(acc > self.threshold),
        }

    def power(self, theta: np.ndarray, moves=(0.05, 0.2)) -> list[dict]:
        """Per parameter of theta [d]: for each move (a fraction of the range) and direction
        that stays in bounds, the accuracy between theta and theta with that parameter moved
        (independent trials, each side at the test's own budget) and the estimated power
        ``Phi((acc - threshold) / null_sd)``: [{"5%": {power (the weaker direction's), values,
        accuracy}, ...}] per parameter. One draw's accuracy is as noisy as the null's, so where
        it lies within ``POWER_CLEAR`` null sds of the threshold, the mean of up to
        ``effort.power_draws`` independent draws is used. A move not clearly seen whose trials
        are the fitted model's draw for draw changes nothing: its power is the test's
        false rejection rate, ``1 - level`` (``no_effect``: so in every direction)."""
        theta = np.asarray(theta, float)
        bases: list[np.ndarray] = []  # the fitted model's trials, draw r at seed + 2 + 2r

        def base(r: int) -> np.ndarray:
            while len(bases) <= r:
                bases.append(self._run(theta, self.seed + 2 + 2 * len(bases))[1])
            return bases[r]

        out = []
        for j in range(len(theta)):
            width = self.upper[j] - self.lower[j]
            entry = {}
            for move in moves:
                room = {+1: self.upper[j] - theta[j], -1: theta[j] - self.lower[j]}
                signs = [s for s in (-1, +1) if room[s] >= move * width - 1e-12]
                signs = signs or [max(room, key=room.get)]
                rows = []
                for s in signs:
                    moved = theta.copy()
                    moved[j] = np.clip(theta[j] + s * move * width, self.lower[j], self.upper[j])
                    accs: list[float] = []
                    no_effect = False
                    while len(accs) < self.effort.power_draws and (
                        not accs or abs(np.mean(accs) - self.threshold) < POWER_CLEAR * self.null_sd
                    ):
                        r = len(accs)
                        other = self._run(moved, self.seed + 3 + 2 * r)[1]
                        accs.append(lda_accuracy(*self._dataset(base(r), other)[:3]))
                        if r == 0 and accs[0] < self.threshold + POWER_CLEAR * self.null_sd:  # not clearly seen:
                            # does the move change anything at all?
                            no_effect = same_trials(self._run(moved, self.seed + 2)[1], base(0))
                            if no_effect:
                                break
                    acc = float(np.mean(accs))
                    # a move whose trials are the fitted model's draw for draw changes nothing: the test's false alarms
                    p = 1 - self.level if no_effect else _normal_cdf((acc - self.threshold) / self.null_sd)
                    rows.append((float(moved[j]), acc, p, no_effect))
                entry[f"{round(100 * move, 3):g}%"] = {
                    "power": min(r[2] for r in rows),  # the weaker direction's
                    "values": [r[0] for r in rows],
                    "accuracy": [r[1] for r in rows],
                    **({"no_effect": True} if all(r[3] for r in rows) else {}),
                }
            out.append(entry)
        return out

    def _accepts(self, theta: np.ndarray, threshold: float, j: int | None = None) -> bool:
        acc = self.accuracy(theta)
        if j is not None:  # a point of parameter j's slice, kept for :meth:`eases`
            self.slices.setdefault(j, []).append((float(theta[j]), acc))
        return acc <= threshold

    def eases(self, theta: np.ndarray, names, most: int = 3) -> list[dict]:
        """Where the estimate theta [d] was rejected: the parameters that, moved alone, lower
        the accuracy most, where that is at least a null sd below the estimate's: [{parameter,
        value, accuracy, accepted (below the test's own threshold)}], lowest first, at most
        ``most``. Read from the slices :meth:`interval` drew and from moves of a quarter and a
        half of its first step-out fraction each way (an estimate off by less than a slice's
        first step), and, for a parameter without a slice (the estimate too far off for
        intervals), from moves of the first three step-out fractions each way. Candidates, not a
        culprit: one parameter may make up for another's error along a ridge; none listed: no
        single parameter's move helps."""
        theta = np.asarray(theta, float)
        first = self.effort.steps[0]
        for j in range(len(theta)):
            width = self.upper[j] - self.lower[j]
            # small moves for an estimate off by less than a slice's first step; larger ones where no slice was drawn
            fractions = (first / 4, first / 2) + (() if j in self.slices else tuple(self.effort.steps[:3]))
            for f in fractions:
                for sign in (-1, +1):
                    v = float(np.clip(theta[j] + sign * f * width, self.lower[j], self.upper[j]))
                    if v != theta[j] and v not in (p[0] for p in self.slices.get(j, [])):
                        probe = theta.copy()
                        probe[j] = v
                        self._accepts(probe, 1.0, j)
        rows = []
        for j, points in self.slices.items():
            v, acc = min(points, key=lambda p: p[1])
            if acc <= self.at_estimate - self.null_sd:
                rows.append({"parameter": names[j], "value": v, "accuracy": acc, "accepted": bool(acc <= self.threshold)})
        return sorted(rows, key=lambda r: r["accuracy"])[:most]

    def interval(self, theta: np.ndarray, j: int) -> dict:
        """The values of parameter j the test does not reject, the others held at theta [d]:
        {lo, hi, width (fraction of the range), adjusted (the estimate itself was rejected)};
        lo, hi and width are None when the estimate is so far off that the widened threshold
        exceeds ``SATURATED``. Needs :meth:`calibrate` at theta first."""
        theta = np.asarray(theta, float)
        lo_b, hi_b, e = self.lower[j], self.upper[j], theta[j]
        width = hi_b - lo_b
        adjusted = self.at_estimate > self.threshold
        thr = self._threshold_used()
        if thr > SATURATED:  # the estimate is far off: every value would pass the widened test
            return {"lo": None, "hi": None, "width": None, "adjusted": True}
        ends = []
        for s in (-1, +1):
            inside, outside = e, None
            for f in self.effort.steps:
                v = float(np.clip(e + s * f * width, lo_b, hi_b))
                if v == inside:
                    break
                probe = theta.copy()
                probe[j] = v
                if self._accepts(probe, thr, j):
                    inside = v
                    if v in (lo_b, hi_b):
                        break
                else:
                    outside = v
                    break
            if outside is not None:
                for k in range(self.effort.max_bisections):
                    bracket = abs(outside - inside)
                    if k >= self.effort.bisections and bracket <= self.effort.precision * abs(inside - e):
                        break
                    mid = (inside + outside) / 2
                    probe = theta.copy()
                    probe[j] = mid
                    inside, outside = (mid, outside) if self._accepts(probe, thr, j) else (inside, mid)
                inside = (inside + outside) / 2  # the boundary's best guess
            ends.append(float(inside))
        lo, hi = ends
        return {
            "lo": lo,
            "hi": hi,
            "width": (hi - lo) / width if width > 0 else 0.0,
            "adjusted": bool(adjusted),
        }

    def _threshold_used(self) -> float:
        """The acceptance threshold of the intervals: the test's, raised by the estimate's excess
        over the null median when the estimate itself was rejected."""
        if self.at_estimate > self.threshold:
            return self.threshold + max(0.0, self.at_estimate - self.null_median)
        return self.threshold

    def tradeoffs(self, theta: np.ndarray, intervals: list[dict]) -> list[dict]:
        """The pairs of parameters of theta [d] along which the test accepts models outside what
        their intervals (slices, from :meth:`interval`) imply. For each pair, from the middle of
        the two slices' crossings, both parameters move along a diagonal scaled by the slices'
        half-widths h (the same way, then opposite ways), ``TRADEOFF_REACH`` x h first; where the
        test accepts, the move doubles until it rejects or meets a bound. Returns per pair found
        {pair (i, j), together ("same" or "opposite"), lo, hi (the hull of each parameter over
        its slice and the accepted moves) and evaluations}. Needs :meth:`calibrate` first."""
        theta = np.asarray(theta, float)
        thr = self._threshold_used()
        drawn = [k for k, iv in enumerate(intervals) if iv.get("width") is not None and iv["width"] < 1.0]
        pairs = [(i, j) for a, i in enumerate(drawn) for j in drawn[a + 1 :]][:TRADEOFF_PAIRS]
        found = []
        for i, j in pairs:
            ij = [i, j]
            lo = np.array([intervals[k]["lo"] for k in ij])
            hi = np.array([intervals[k]["hi"] for k in ij])
            half = (hi - lo) / 2
            if (half <= 0).any():
                continue
            centre = (theta[ij] + (lo + hi) / 2) / 2
            box_lo, box_hi = self.lower[ij], self.upper[ij]
            for together in ("same", "opposite"):
                step = half * (1.0 if together == "same" else np.array([1.0, -1.0]))
                reached = []
                for way in (+1, -1):
                    room = np.where(way * step > 0, box_hi - centre, centre - box_lo) / np.abs(step)
                    # the first probe: REACH half-widths out, or as far as the box allows from
                    # TRADEOFF_MIN_REACH (a wide slice near a bound, the likeliest to hide a ridge)
                    r_max, last = float(room.min()), 0.0
                    r = min(TRADEOFF_REACH, r_max) if r_max >= TRADEOFF_MIN_REACH else np.inf
                    while r <= r_max + 1e-12 and last < r_max:
                        probe = theta.copy()
                        probe[ij] = np.clip(centre + way * r * step, box_lo, box_hi)
                        if self.accuracy(probe) > thr:
                            break
                        last, r = r, min(2 * r, r_max) if r < r_max else np.inf
                    if last > 0:
                        reached.append(centre + way * last * step)
                if reached:
                    pts = np.vstack([*reached, lo, hi])
                    found.append({
                        "pair": (i, j), "together": together,
                        "lo": pts.min(axis=0).tolist(), "hi": pts.max(axis=0).tolist(),
                    })  # fmt: skip
                    break
        return found

    def pair_map(self, theta: np.ndarray, i: int, j: int) -> dict:
        """The test's accuracy over a grid of parameters i and j (the others at theta):
        {x, y (grid values), accuracy [len(y), len(x)], threshold, and, where the estimate was
        rejected, widened: the raised threshold its intervals use}."""
        theta = np.asarray(theta, float)
        xs = np.linspace(self.lower[i], self.upper[i], self.effort.grid)
        ys = np.linspace(self.lower[j], self.upper[j], self.effort.grid)
        acc = np.empty((len(ys), len(xs)))
        for b, vy in enumerate(ys):
            for a, vx in enumerate(xs):
                probe = theta.copy()
                probe[i], probe[j] = vx, vy
                acc[b, a] = self.accuracy(probe)
        out = {"x": xs.tolist(), "y": ys.tolist(), "accuracy": acc.tolist(), "threshold": self.threshold}
        if self._threshold_used() > self.threshold:
            out["widened"] = self._threshold_used()
        return out


def assess(
    test: FastTest,
    theta: np.ndarray,
    names,
    moves=(0.05, 0.2),
    pair: tuple[str, str] | tuple = (),
) -> dict:
    """Everything the summary reports about trust in theta [d]: the test's calibration,
    ``power``, ``interval`` and the ``identified`` / ``vouched`` flags per parameter (by name;
    both None where no interval could be drawn: the estimate is far from the system), the
    ``tradeoffs`` found (:meth:`FastTest.tradeoffs`; each parameter's widest one also as its
    interval's ``ridge``: {with, lo, hi, width}), and a ``pair_map`` when ``pair`` names two
    parameters. A parameter is identified when its slice and every ridge across it cover at
    most ``IDENTIFIED_WIDTH`` of its range."""
    names = list(names)
    cal = test.calibrate(theta)
    power = test.power(theta, moves)
    top = f"{round(100 * max(moves), 3):g}%"
    intervals = [test.interval(theta, j) for j in range(len(theta))]
    found = test.tradeoffs(theta, intervals) if all(iv["width"] is not None for iv in intervals) else None
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
            "classifier": "shrinkage LDA on trajectory summary features, folds by trial",
        },
        "power": dict(zip(names, power, strict=True)),
        "interval": {n: {k: v for k, v in iv.items()} for n, iv in zip(names, intervals, strict=True)},
        # identified: pinned down by its slice, and by every ridge found across it
        "identified": {
            n: None
            if iv["width"] is None
            else bool(max(iv["width"], iv.get("ridge", {}).get("width", 0.0)) <= IDENTIFIED_WIDTH)
            for n, iv in zip(names, intervals, strict=True)
        },
        # nothing is vouched for where the estimate is too far off for an interval (identified None)
        "vouched": {
            n: None if iv["width"] is None else bool(p[top]["power"] >= VOUCH_POWER)
            for n, p, iv in zip(names, power, intervals, strict=True)
        },
    }
    if cal["rejected"]:
        out["test"]["eases"] = test.eases(theta, names)
    if found is not None:
        out["tradeoffs"] = [
            {"pair": [names[t["pair"][0]], names[t["pair"][1]]], "together": t["together"], "lo": t["lo"], "hi": t["hi"]}
            for t in found
        ]
    if pair:
        i, j = names.index(pair[0]), names.index(pair[1])
        out["pair_map"] = {"parameters": list(pair), **test.pair_map(theta, i, j)}
    out["test"]["evaluations"] = test.evaluations
    if test.trials < test.asked:  # a recording's individuals filled fewer trials than asked for
        out["test"]["trials_asked"] = test.asked
    return out
