"""Bounded archives, the coevolution's memory (docs/design.md, "Memory").

Two-population coevolution forgets: once the models sit on the truth, the discriminators
cannot tell them from the system, their selection turns neutral and they lose what they once
detected; the models can then drift away unpunished (disengagement). An :class:`Archive`
keeps rows that one population has to keep facing:

- the discriminators' hall of fame (Rosin & Belew, 1997): the best discriminator of every
  ``hall_of_fame_every``-th generation, which judges the models too;
- the model memory: models that the judges of their time rejected (a test once solved, as in
  de Jong's MaxSolve archive), which the discriminators must keep rejecting.

:class:`HistoricalAverage` remembers where the models have been instead: historical averaging
(Salimans et al., 2016) penalises a model's distance from the running average of the
population's past medians, so a jump away from a settled estimate costs fitness even while the
judges of the moment cannot tell the difference.

``keep = "recent"`` holds the last ``size`` rows offered; ``"history"`` a uniform sample of
all rows ever offered (reservoir sampling, Vitter's algorithm R), so what was learned early
in the run stays in the archive however long the run goes on.
"""

from __future__ import annotations

import numpy as np

KEEPS = ("recent", "history")
#: what a guard must accept besides rejecting its side (:class:`Guards`)
GUARD_AGAINST = ("system", "estimate")
#: how the guards' verdicts on a sample combine into a model's fitness (TuringLearner's guard_vote)
GUARD_VOTES = ("each", "all")


class Archive:
    """Up to ``size`` rows [n, k] of one population, kept by ``keep`` (``recent`` or ``history``)."""

    def __init__(self, size: int, keep: str = "recent"):
        if keep not in KEEPS:
            raise ValueError(f"keep must be one of {', '.join(KEEPS)}, got {keep!r}")
        self.size, self.keep = size, keep
        self.rows: np.ndarray | None = None  # [n <= size, k]
        self.offered = 0  # rows offered so far (the reservoir's count)

    def __len__(self) -> int:
        return 0 if self.rows is None else len(self.rows)

    def offer(self, row: np.ndarray, rng: np.random.Generator) -> None:
        """Consider one row [k] for the archive (``rng`` decides a ``history`` archive's place)."""
        row = np.asarray(row)[None]
        self.offered += 1
        if self.rows is None:
            self.rows = row.copy()
        elif len(self.rows) < self.size:
            self.rows = np.concatenate([self.rows, row])
        elif self.keep == "recent":
            self.rows = np.concatenate([self.rows[1:], row])
        else:  # algorithm R: the n-th row replaces a random one with probability size / n
            j = int(rng.integers(self.offered))
            if j < self.size:
                self.rows = self.rows.copy()
                self.rows[j] = row[0]

    def sample(self, k: int, rng: np.random.Generator) -> np.ndarray | None:
        """``min(k, len)`` distinct rows drawn at random [k', ...] (None when empty)."""
        if self.rows is None or k <= 0:
            return None
        if k >= len(self.rows):
            return self.rows
        return self.rows[np.sort(rng.choice(len(self.rows), size=k, replace=False))]

    def state_dict(self) -> dict:
        return {"rows": self.rows, "offered": self.offered}

    def load_state_dict(self, state) -> None:
        """``state``: :meth:`state_dict`'s, or a bare array of rows (checkpoints of older runs)."""
        if state is None or not isinstance(state, dict):
            rows = None if state is None else np.array(state)
            state = {"rows": rows, "offered": 0 if rows is None else len(rows)}
        self.rows = None if state["rows"] is None else np.array(state["rows"])
        self.offered = int(state["offered"])


class NearCounterfeits:
    """Hard counterfeits: models one step away from the remembered estimate, which the
    discriminators must tell from the system (hard negatives, as in contrastive learning).

    Once the models sit on the truth, their samples teach the discriminators nothing and the
    discriminators' selection turns neutral; near counterfeits keep a signal that rewards
    telling the estimate from its neighbours, so a model that drifts a step or more from it
    meets judges that can still see the difference. ``make`` returns ``count`` rows [count, d],
    each the centre with one parameter (drawn at random) moved by ``step`` times its range
    ``upper - lower``, up or down at random (the other way at a bound). The centre is the
    median of the population medians of the last ``window`` generations: a memory of where
    the population has been, so a sudden swing of the whole population does not carry the
    counterfeits with it.
    """

    def __init__(self, count: int, step: float, lower, upper, window: int = 20):
        self.count, self.step = count, step
        self.lower, self.upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.centres = Archive(window, "recent")  # [w, d] the last population medians

    def make(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """theta [M, d] this generation's models -> [count, d] counterfeits."""
        self.centres.offer(np.median(theta, axis=0), rng)
        centre = np.median(self.centres.rows, axis=0)
        which = rng.integers(len(centre), size=self.count)
        sign = rng.choice((-1.0, 1.0), size=self.count)
        lo, hi = self.lower[which], self.upper[which]
        moved = centre[which] + sign * self.step * (hi - lo)
        moved = np.where((moved < lo) | (moved > hi), centre[which] - sign * self.step * (hi - lo), moved)
        rows = np.repeat(centre[None], self.count, axis=0)
        rows[np.arange(self.count), which] = np.clip(moved, lo, hi)
        return rows

    def state_dict(self) -> dict:
        return self.centres.state_dict()

    def load_state_dict(self, state) -> None:
        self.centres.load_state_dict(state)


class HistoricalAverage:
    """Historical averaging (Salimans et al., 2016, "Improved techniques for training GANs",
    section 3.3) for a population of models: a penalty on each model's squared distance from
    where the population has been.

    ``penalty(theta)`` returns ``weight * sum_i ((theta_i - centre_i) / scale_i) ** 2`` per
    model [M], then moves the centre towards this generation's population median by ``1 /
    horizon`` (an exponential average over about ``horizon`` generations; the first median
    starts it). Subtracted from the models' fitness (a fraction of judges fooled, in [0, 1]),
    a jump of the whole range in one parameter costs ``weight``; a model that stays with the
    population pays almost nothing, so selection among look-alikes that the judges cannot tell
    apart favours the one where the population has been. scale: [d] each parameter's range.

    settle: with ``settle > 0`` the penalty is 0 until the population has settled, i.e. its
    median stayed within ``settle`` (a fraction of each range) of the average for ``horizon``
    generations in a row; from then on it applies for the rest of the run (``settled``). A
    penalty from the start also holds the population where it first went, and keeps it from
    the jumps that reach the truth (on aggregation under p*, weight 1 never got there).
    """

    def __init__(self, weight: float, horizon: int, scale, settle: float = 0.0):
        self.weight, self.horizon, self.settle = float(weight), int(horizon), float(settle)
        self.scale = np.asarray(scale, dtype=float)
        self.centre: np.ndarray | None = None  # [d] the running average of past medians
        self.calm = 0  # generations in a row the median stayed within settle of the centre
        # the generation the population was found settled (the penalty applies from the next;
        # 0 with settle = 0, the penalty applying from the first)
        self.settled: int | None = None if settle > 0 else 0
        self.seen = 0  # generations seen

    def penalty(self, theta: np.ndarray) -> np.ndarray:
        """theta [M, d] this generation's models -> [M] penalties (then the centre moves)."""
        median = np.median(theta, axis=0)
        if self.centre is None:
            self.centre = median
        out = self.weight * (((theta - self.centre) / self.scale) ** 2).sum(axis=1)
        if self.settled is None:
            self.calm = self.calm + 1 if np.all(np.abs(median - self.centre) <= self.settle * self.scale) else 0
            self.settled = self.seen if self.calm >= self.horizon else None
            out = np.zeros_like(out)
        self.seen += 1
        self.centre = self.centre + (median - self.centre) / self.horizon
        return out

    @property
    def began(self) -> int | None:
        """The first generation the penalty applied to (0 with ``settle = 0``), or None."""
        if self.settle <= 0:
            return 0
        return None if self.settled is None else self.settled + 1

    def state_dict(self) -> dict:
        return {"centre": self.centre, "calm": self.calm, "settled": self.settled, "seen": self.seen}

    def load_state_dict(self, state) -> None:
        state = state or {}
        centre = state.get("centre")
        self.centre = None if centre is None else np.array(centre, dtype=float)
        self.calm, self.seen = int(state.get("calm", 0)), int(state.get("seen", 0))
        settled = state.get("settled", None if self.settle > 0 else 0)
        self.settled = None if settled is None else int(settled)


class Guards:
    """A Pareto archive of judges that guard the estimate on every side (de Jong's MaxSolve,
    2004, with the neighbours of the estimate as the objectives).

    The hall of fame keeps each era's best judge, a judge of the models of its time: once the
    models sit on the truth, no judge stands out, and the judges that told the estimate from
    a step away on one side are lost as soon as no model stands there. The guards keep them.
    Every ``every`` generations the remembered estimate ``c`` (the median of the population
    medians of the last ``window`` generations) is moved by ``step`` times one parameter's
    range ``upper - lower``, up and down, one probe for each side of each parameter inside
    the box [P <= 2d]; each probe is run ``trials`` times beside the population
    (:meth:`probes`). Every candidate judge (the current population, the hall of fame and the
    guards themselves) is scored on each probe by its accuracy (sensitivity on the system's
    samples + specificity on the probe's, over 2). For each probe, the three candidates most
    accurate on half the samples challenge the probe's guard on the other half, and the best guards
    the side if its accuracy there is at least ``accuracy`` (:meth:`update`): at most ``P``
    distinct judges, each the best found at telling the system from one neighbour of the
    estimate, on samples that did not elect it. Scored again on fresh samples at every round,
    a guard stays while no challenger does better on its side, and goes when its side can no
    longer be told from the system (the estimate moved, or the parameter does not show).

    against: ``"system"``: a guard's accuracy counts the system's samples it accepts;
    ``"estimate"``: the estimate itself is run ``trials`` times too, and the accuracy counts the
    smaller of the shares of the system's and of the estimate's samples it accepts, so that a
    judge that rejects the estimate as a whole (it sees the estimate off the truth in some
    parameter) does not guard every side of it.

    The guards judge the models beside the other judges (:class:`~turinglearn.core.learner.
    TuringLearner`'s ``guards``), so a model that moves a step off the estimate on a guarded
    side is rejected by the guard of that side even when the judges of the moment can no
    longer tell it apart. A probe on the truth's side, closer to it than the estimate, is
    told from the system only by a judge that also tells the estimate from it: a guard does
    not hold the models away from the truth, it holds them away from what is not the system.
    """

    def __init__(
        self, trials: int, step: float, lower, upper, every: int = 10, window: int = 200, accuracy: float = 0.6,
        against: str = "system",
    ):  # fmt: skip
        if against not in GUARD_AGAINST:
            raise ValueError(f"against must be one of {', '.join(GUARD_AGAINST)}, got {against!r}")
        if trials < 2:
            raise ValueError(f"trials must be 2 or more (half elect, half check), got {trials}")
        self.trials, self.step, self.every, self.accuracy = int(trials), float(step), int(every), float(accuracy)
        self.against = against
        self.challengers = 3  # the candidates best on the electing half that go on to the check
        self.lower, self.upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.centres = Archive(window, "recent")  # [w, d] the last population medians
        self.rows: np.ndarray | None = None  # [G, k] the guards
        self.sides: list[tuple[int, int]] = []  # [G] (parameter, -1 or +1): the first side each guards
        self.scores: list[float] = []  # [G] each guard's accuracy on that side at the last round
        self.pending: list[tuple[int, int]] = []  # the sides of the probes shown this generation
        self.elected: dict[tuple[int, int], tuple[np.ndarray, float]] = {}  # side -> (its guard [k], accuracy)

    def __len__(self) -> int:
        return 0 if self.rows is None else len(self.rows)

    def probes(self, theta: np.ndarray, generation: int, rng: np.random.Generator) -> np.ndarray | None:
        """theta [M, d] this generation's models -> the probes to run beside them
        [P * trials, d] (each probe's ``trials`` rows together, probe by probe), or None
        between rounds. Remembers the population median either way."""
        self.centres.offer(np.median(theta, axis=0), rng)
        self.pending = []
        if generation % self.every:
            return None
        centre = np.median(self.centres.rows, axis=0)
        rows = [centre] if self.against == "estimate" else []  # the estimate itself first, to be accepted
        for i in range(len(centre)):
            for sign in (-1, 1):
                moved = centre[i] + sign * self.step * (self.upper[i] - self.lower[i])
                if self.lower[i] <= moved <= self.upper[i]:  # no side to guard beyond the box
                    row = centre.copy()
                    row[i] = moved
                    rows.append(row)
                    self.pending.append((i, sign))
        return np.repeat(np.array(rows), self.trials, axis=0) if rows else None

    def update(self, judges: np.ndarray, judged: np.ndarray, genuine: np.ndarray, owner: np.ndarray, first: int) -> None:
        """Elect the guards from the candidates ``judges`` [J, k] (the guards among them) by their
        verdicts ``judged`` [J, S] (True: genuine) on the samples, where ``owner`` [S] >=
        ``first`` are the probes' (``trials`` agents per probe, in :meth:`probes`' order) and
        ``genuine`` [S] the system's. Does nothing between rounds.

        Half the samples elect, half check, so that the luck of the best of many candidates on
        a few samples does not make a guard: for each side, the three candidates most accurate
        on the first half of the probe's trials and of the system's samples (the challengers)
        and the side's guard (the incumbent) are scored on the second half; the best there (the
        incumbent among equals) guards the side if that accuracy is at least ``accuracy``, which
        is the score kept."""
        if not self.pending:
            return
        genuine, owner = np.asarray(genuine, dtype=bool), np.asarray(owner)
        on = np.flatnonzero(genuine)
        halves = [np.zeros(len(owner), dtype=bool) for _ in range(2)]  # the system's samples, alternately
        halves[0][on[::2]], halves[1][on[1::2]] = True, True
        if len(on) < 2:  # one sample of the system: both halves read it
            halves = [genuine, genuine]
        probe = np.where(owner >= first, (owner - first) // self.trials, -1)  # [S] each sample's probe, -1 none
        late = (owner - first) % self.trials >= self.trials // 2  # [S] a probe's checking trials (the later t - t // 2)
        lead = int(self.against == "estimate")  # probe 0 is then the estimate itself

        def accuracy(half: int) -> np.ndarray:  # [J, P] on one half of the samples
            mine = late if half else ~late
            sensitivity = judged[:, halves[half]].mean(axis=1)  # the system's samples taken for genuine
            if lead:  # and the estimate's, the smaller: a guard tells its side, not the estimate, apart
                sensitivity = np.minimum(sensitivity, judged[:, (probe == 0) & mine].mean(axis=1))
            return np.stack(
                [
                    (sensitivity + 1.0 - judged[:, (probe == p + lead) & mine].mean(axis=1)) / 2
                    for p in range(len(self.pending))
                ],
                axis=1,
            )

        elect, check = accuracy(0), accuracy(1)
        index = {np.ascontiguousarray(row).tobytes(): j for j, row in enumerate(judges)}
        tie = elect.mean(axis=1) * 1e-6  # among equals, the one best on every side
        elected = {}
        for p, side in enumerate(self.pending):
            challengers = np.argsort(-(elect[:, p] + tie), kind="stable")[: self.challengers]
            incumbent = index.get(self.elected[side][0].tobytes(), -1) if side in self.elected else -1
            contenders = ([incumbent] if incumbent >= 0 else []) + [int(c) for c in challengers if c != incumbent]
            j = contenders[int(np.argmax(check[contenders, p]))]  # the first of equals: the incumbent
            if check[j, p] >= self.accuracy:  # else no candidate tells this side from the system
                elected[side] = (np.ascontiguousarray(judges[j]), float(check[j, p]))
        self._keep(elected)
        self.pending = []

    def _keep(self, elected: dict) -> None:
        """elected: side -> (judge [k], its accuracy on the side); one row a judge, whatever the
        number of sides it guards (``sides`` and ``scores`` name its first)."""
        self.elected = elected
        rows, sides, scores, seen = [], [], [], set()
        for side, (row, score) in elected.items():
            if row.tobytes() not in seen:
                seen.add(row.tobytes())
                rows.append(row)
                sides.append(side)
                scores.append(score)
        self.rows = np.array(rows) if rows else None
        self.sides, self.scores = sides, scores

    def state_dict(self) -> dict:
        sides = list(self.elected)
        return {
            "sides": np.array(sides, dtype=int).reshape(-1, 2),
            "guards": np.array([self.elected[side][0] for side in sides]) if sides else None,
            "scores": np.array([self.elected[side][1] for side in sides], dtype=float),
            "centres": self.centres.state_dict(),
        }

    def load_state_dict(self, state) -> None:
        state = state or {}
        sides = [(int(i), int(sign)) for i, sign in np.asarray(state.get("sides", np.zeros((0, 2))))]
        guards, scores = state.get("guards"), state.get("scores", ())
        self._keep({side: (np.ascontiguousarray(guards[n], dtype=float), float(scores[n])) for n, side in enumerate(sides)})
        self.centres.load_state_dict(state.get("centres"))
        self.pending = []
