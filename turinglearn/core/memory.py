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
