"""Restarts: a run that has searched in vain starts its search afresh (``stopping.restart_above``;
docs/concepts.md, "Restarts").

Coevolution can fail as a search: in one object-clustering run of ten the population never
comes near the truth, whichever fitness, and at the end the held-out test tells its estimate
from the system on 98-100 % of the trials, where runs on the truth score 0.5-0.9. As in the
restart strategies of evolution strategies (Auger & Hansen, 2005), such a run is better spent
on a fresh start than on more generations of populations that have lost their way.
:class:`Restart` asks, once, at a set generation, how the held-out test judges the estimate the
run would report then; above the threshold both populations are drawn anew and the archives
emptied: the discriminators of the failed search are part of its failure (with them kept, the
new models of the one such run measured went straight back to the wrong controller). The panel's
candidates and judges of every era stay, so the panel's estimate at the end weighs the
candidates from before the restart against those after it, with the judges of both searches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from turinglearn.core.contracts import Generation


class Restart:
    """Hook: after ``at`` generations, ``judge(record)`` gives the held-out test's accuracy on the
    estimate of that moment (0.5: indistinguishable from the system; 1: told apart every time);
    above ``above``, ``renew()`` starts the search afresh. ``check`` (summary.json's ``restart``)
    says what the test found and whether the search started afresh; None until then."""

    def __init__(
        self, at: int, above: float, judge: Callable[[Generation], float], renew: Callable[[], None]
    ):
        self.at, self.above, self.judge, self.renew = at, above, judge, renew
        self.check: dict | None = None

    def __call__(self, record: Generation) -> None:
        if record.generation + 1 != self.at or self.check is not None:
            return
        accuracy = float(self.judge(record))
        restarted = accuracy > self.above
        if restarted:
            self.renew()
        self.check = {
            "generation": self.at,
            "accuracy": accuracy,
            "above": self.above,
            "restarted": restarted,
        }

    def state_dict(self) -> dict:
        return {"check": None if self.check is None else dict(self.check)}

    def load_state_dict(self, state: dict | None) -> None:
        self.check = None if not state or state.get("check") is None else dict(state["check"])
        if self.check is not None:  # numbers, not numpy scalars, in summary.json
            self.check = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in self.check.items()}
