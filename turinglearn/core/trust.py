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

What the report makes of them (identified, vouched for, trade-offs, eases, a pair map):
:mod:`turinglearn.core.assessment`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from turinglearn.core.evaluation import trajectory_features

SCHEDULES = ("auto", "passive", "random", "interrogators")
INTERVALS = ("fast", "thorough", "off")
#: a widened acceptance threshold above this accepts everything: no interval is reported
SATURATED = 0.9
#: a power's first draw settles it when its accuracy lies this many null sds from the threshold
#: (its power then below 0.001 or above 0.999); nearer, further draws are averaged
POWER_CLEAR = 3.0


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


def own_statistics(statistics, x: np.ndarray, name: str = "statistics") -> np.ndarray:
    """``statistics(x)`` for x [S, T, F] (``evaluation.statistics``, its ``"module:function"`` as
    ``name``), checked: [S, K] finite numbers, else a ConfigError naming the setting."""
    from turinglearn.core.summaries import checked_statistics

    return checked_statistics(statistics, x, "evaluation.statistics", name, "[S, T, F]", "trajectory")


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
    groups: np.ndarray | None = field(default=None, repr=False)  # the last draw's windows' individuals [n, k]
    statistics: object = None  # x [S, T, F] -> [S, K]: what the classifier reads (None: trajectory_features)
    statistics_name: str = "statistics"  # its "module:function", for messages
    drawn: tuple | None = field(default=None, repr=False)  # calibrate's (theta, genuine, counterfeit) trials

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
        windows = getattr(self.system, "test_groups", None)  # a recording's windows: the individual of each
        self.groups = None if windows is None else windows[0][np.arange(len(g))[:, None], pick]  # [n, k]
        g, c = g[np.arange(len(g))[:, None], pick], c[:, :k]
        if self.noise > 0:
            g = g + rng.normal(0.0, self.noise, g.shape)
            c = c + rng.normal(0.0, self.noise, c.shape)
        return g, c

    def _dataset(self, a: np.ndarray, b: np.ndarray):
        """Features [2 n k, p], labels and folds (by trial; a recording read in windows: a
        genuine sample by the individual its window came from, a counterfeit by its trial's
        first one, so that no individual's windows lie on both sides) of a [n, k, T, F] against b."""
        n, k = a.shape[:2]
        x = self._statistics(np.concatenate([a.reshape(-1, *a.shape[2:]), b.reshape(-1, *b.shape[2:])]))
        y = np.repeat([0, 1], n * k)
        trial = np.tile(np.repeat(np.arange(n), k), 2)
        groups = self.groups
        if groups is not None and len(np.unique(groups)) >= 2:
            ids, who = np.unique(groups, return_inverse=True)
            who = who.reshape(n, k)
            # a fold per individual (fewer individuals than folds: one each)
            of = np.random.default_rng(self.seed).permutation(len(ids)) % min(self.folds, len(ids))
            fold = np.concatenate([of[who].ravel(), np.repeat(of[who[:, 0]], k)])
        else:
            fold = np.random.default_rng(self.seed).permutation(n)[trial] % self.folds
        return x, y, fold, trial

    def _statistics(self, x: np.ndarray) -> np.ndarray:
        """x [S, T, F] -> [S, K]: the built-in statistics, or ``statistics`` (:func:`own_statistics`)."""
        if self.statistics is None:
            return trajectory_features(x)
        return own_statistics(self.statistics, x, self.statistics_name)

    def accuracy(self, theta: np.ndarray) -> float:
        """The test's statistic for model theta [d] against the system (common random numbers)."""
        x, y, fold, _ = self._dataset(*self._run(theta, self.seed))
        return lda_accuracy(x, y, fold)

    def calibrate(self, theta: np.ndarray) -> dict:
        """The null distribution at theta: accuracy with labels shuffled within every trial.
        Sets and returns {accuracy, threshold, null_median, null_sd}."""
        self.slices = {}  # a new estimate: the slices of another one say nothing of it
        g, c = self._run(theta, self.seed)
        self.drawn = (np.array(theta, float), g, c)  # the estimate's trials, which the spread check reads again
        x, y, fold, trial = self._dataset(g, c)
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
        false rejection rate, ``1 - level`` (``no_effect``: so in every direction; ``unchanged``: the
        moved values where so in one direction only, as a parameter rounded to integers in ``step``
        shows a move that stays within one integer)."""
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
                    **(
                        {"no_effect": True}
                        if all(r[3] for r in rows)
                        # one way only: a step (a parameter rounded to integers moved within one)
                        else {"unchanged": [r[0] for r in rows if r[3]]} if any(r[3] for r in rows) else {}
                    ),
                }
            out.append(entry)
        return out

    def accepts(self, theta: np.ndarray, threshold: float, j: int | None = None) -> bool:
        """Whether the test accepts model theta [d] at ``threshold``; with j, the point joins
        parameter j's slice (``slices``, read by :func:`~turinglearn.core.assessment.eases`)."""
        acc = self.accuracy(theta)
        if j is not None:
            self.slices.setdefault(j, []).append((float(theta[j]), acc))
        return acc <= threshold

    def interval(self, theta: np.ndarray, j: int) -> dict:
        """The values of parameter j the test does not reject, the others held at theta [d]:
        {lo, hi, width (fraction of the range), adjusted (the estimate itself was rejected)};
        lo, hi and width are None when the estimate is so far off that the widened threshold
        exceeds ``SATURATED``. Needs :meth:`calibrate` at theta first."""
        theta = np.asarray(theta, float)
        lo_b, hi_b, e = self.lower[j], self.upper[j], theta[j]
        width = hi_b - lo_b
        adjusted = self.at_estimate > self.threshold
        thr = self.threshold_used()
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
                if self.accepts(probe, thr, j):
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
                    inside, outside = (mid, outside) if self.accepts(probe, thr, j) else (inside, mid)
                inside = (inside + outside) / 2  # the boundary's best guess
            ends.append(float(inside))
        lo, hi = ends
        return {
            "lo": lo,
            "hi": hi,
            "width": (hi - lo) / width if width > 0 else 0.0,
            "adjusted": bool(adjusted),
        }

    def threshold_used(self) -> float:
        """The acceptance threshold of the intervals: the test's, raised by the estimate's excess
        over the null median when the estimate itself was rejected."""
        if self.at_estimate > self.threshold:
            return self.threshold + max(0.0, self.at_estimate - self.null_median)
        return self.threshold
