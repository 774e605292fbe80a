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

from turinglearn.app.build import optimizers
from turinglearn.core.contracts import Generation
from turinglearn.core.evaluation import c2st_by_schedule
from turinglearn.core.random import stream

#: why a run that asks for a restart has none, when it has no panel
NEEDS_PANEL = (
    'a restart judges the panel\'s estimate, which needs evaluation.estimate = "panel", judges '
    '(learner.kind = "turing") and models that are parameter vectors'
)


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

    def summary(self) -> dict:
        """summary.json's ``restart``: the check, or ``{"pending": at}`` for a run stopped before it."""
        return dict(self.check) if self.check is not None else {"pending": self.at}

    def state_dict(self) -> dict:
        return {"check": None if self.check is None else dict(self.check)}

    def load_state_dict(self, state: dict | None) -> None:
        self.check = None if not state or state.get("check") is None else dict(state["check"])


def restart_for(exp) -> tuple[Restart | None, str | None]:
    """The restart's check of a :class:`~turinglearn.app.swarm_run.SwarmExperiment`
    (``stopping.restart_above``), or None and why not where the run cannot have one (it then goes
    on without; None, None where none was asked for)."""
    st, ev, learner = exp.config.stopping, exp.config.evaluation, exp.learner
    if not st.restart_above:
        return None, None
    at = max(1, round(st.restart_at * exp.generations))
    if exp.panel is None:
        return None, NEEDS_PANEL
    if ev.c2st_trials < 2 * ev.c2st_folds:
        return (
            None,
            f"a restart asks the held-out test, which needs evaluation.c2st_trials of at least {2 * ev.c2st_folds}",
        )
    if learner.history is not None:
        return None, "learner.historical_averaging would hold the new models where the old ones were"
    if at >= exp.generations:
        return (
            None,
            f"stopping.restart_at leaves no generation after the check (after {at} of {exp.generations})",
        )
    return Restart(at, st.restart_above, lambda record: accuracy_now(exp, record), lambda: renew(exp)), None


def accuracy_now(exp, record: Generation) -> float:
    """The held-out test's accuracy (its headline schedule) on the panel's estimate after
    ``record``, from the restart's own random streams, so a run that is not restarted is the
    same run. In the run's evaluator (the same numbers on any backend)."""
    ev, seed, learner = exp.config.evaluation, exp.config.seed, exp.learner
    out = exp.panel.estimate(
        learner.evaluator, learner.system, learner.discriminator, int(stream(seed, "restart", 0).integers(2**31)),
        ev.panel_trials, ev.panel_top, record,
    )  # fmt: skip
    headline, by_schedule = c2st_by_schedule(
        learner.system, out["inferred"], stream(seed, "restart", 1), ev.c2st_trials, ev.c2st_folds, ev.c2st_noise,
        exp.schedules(record), ev.c2st_schedule,
    )  # fmt: skip
    return by_schedule[headline]


def renew(exp) -> None:
    """Both populations drawn anew from their initial ranges and steps, the archives emptied
    (:meth:`~turinglearn.core.learner.TuringLearner.restart`); the panel keeps its candidates and judges."""
    c, learner = exp.config, exp.learner
    streams = stream(c.seed, "restart", 2), stream(c.seed, "restart", 3)  # the models', the judges'
    learner.restart(*optimizers(c, learner.system, learner.discriminator, *streams))
