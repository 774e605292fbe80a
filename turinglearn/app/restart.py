"""Restarts: a run that has searched in vain starts its search afresh (``stopping.restart_above``;
docs/concepts.md, "Restarts").

Coevolution can fail as a search: in one object-clustering run of ten the population never
comes near the truth, whichever fitness, and at the end the held-out test tells its estimate
from the system on 98-100 % of the trials, where runs on the truth score 0.5-0.9. As in the
restart strategies of evolution strategies (Auger & Hansen, 2005), such a run is better spent
on a fresh start than on more generations of populations that have lost their way. A search can
also settle in the wrong place (under another truth the aggregation preset's memory holds a
look-alike in some runs), and stopping there reports it. :class:`Restart` asks, at a set
generation (once) or each time a search settles (up to ``stopping.restarts`` restarts), how the
held-out test judges the estimate the run would report then; above the threshold both
populations are drawn anew and the archives emptied: the discriminators of the failed search are
part of its failure (with them kept, the new models of the one such run measured went straight
back to the wrong controller). The panel's
candidates and judges of every era stay, so the panel's estimate at the end weighs the
candidates from before the restart against those after it, with the judges of both searches.
"""

from __future__ import annotations

from collections.abc import Callable

from turinglearn.app.build import optimizers
from turinglearn.core.contracts import Generation
from turinglearn.core.evaluation import c2st_by_schedule
from turinglearn.core.learner import TuringLearner
from turinglearn.core.random import stream

#: why a run that asks for a restart has none, when it has no judges or no parameter estimate
NEEDS_JUDGES = (
    "a restart judges the run's estimate of the model parameters, which needs judges "
    '(learner.kind = "turing") and models that are parameter vectors'
)


class Restart:
    """Hook: after ``at`` generations (or, given ``settled``, at the first generation after which
    ``settled()`` says the estimate has settled), ``judge(record, j)`` gives the held-out test's
    accuracy on the estimate of that moment at the run's ``j``-th check (0.5: indistinguishable
    from the system; 1: told apart every time); above ``above``, ``renew(k)`` starts the search
    afresh for the ``k``-th time. ``checks`` (summary.json's ``restart``) say what the test found
    and whether the search started afresh. At a set generation the check is made once; when
    settled, each time a search settles until one passes. A search the test tells apart is kept
    (``"kept"`` says why) once ``most`` restarts have been made, or when fewer of the run's
    ``generations`` are left than it took to settle (a new search would have too few to settle)."""

    def __init__(
        self,
        at: int,
        above: float,
        judge: Callable[[Generation, int], float],
        renew: Callable[[int], None],
        settled: Callable[[], bool] | None = None,
        most: int = 1,
        generations: int | None = None,
    ):
        self.at, self.above, self.judge, self.renew, self.settled = at, above, judge, renew, settled
        self.most, self.generations = (most, generations) if settled is not None else (1, None)
        self.checks: list[dict] = []

    @property
    def check(self) -> dict | None:
        """The latest check (None before the first)."""
        return self.checks[-1] if self.checks else None

    @property
    def restarts(self) -> int:
        return sum(c["restarted"] for c in self.checks)

    @property
    def done(self) -> bool:
        """No more checks: the latest one did not restart the search (or it was made at a set generation)."""
        return bool(self.checks) and (self.settled is None or not self.checks[-1]["restarted"])

    def __call__(self, record: Generation) -> None:
        if self.done:
            return
        done = record.generation + 1
        if self.settled is None and done != self.at:
            return
        if self.settled is not None and not self.settled():
            return
        accuracy = float(self.judge(record, len(self.checks)))
        check = {"generation": done, "accuracy": accuracy, "above": self.above, "restarted": False}
        if accuracy > self.above:
            if self.restarts >= self.most:
                spent = "the one restart is" if self.most == 1 else f"the {self.most} restarts are"
                check["kept"] = f"{spent} spent"
            elif self.generations is not None and self.generations - done < done - self.since:
                check["kept"] = (
                    f"{self.generations - done} generations are left, fewer than this search took to settle "
                    f"({done - self.since})"
                )
            else:
                check["restarted"] = True
                self.renew(self.restarts)
        self.checks.append(check | ({"when": "settled"} if self.settled is not None else {}))

    @property
    def since(self) -> int:
        """The generations before the latest restart (0 without one): the convergence rule and
        the window's estimate read the metrics from there on."""
        return max((c["generation"] for c in self.checks if c["restarted"]), default=0)

    def summary(self) -> dict:
        """summary.json's ``restart``: the latest check (with the ``earlier`` ones, after a
        restart when settled), or ``{"pending": at}`` (``{"pending": "settled"}``) for a run
        stopped before it."""
        if not self.checks:
            return {"pending": "settled" if self.settled is not None else self.at}
        out = dict(self.checks[-1])
        if len(self.checks) > 1:
            out["earlier"] = [dict(c) for c in self.checks[:-1]]
        return out

    def state_dict(self) -> dict:
        return {"checks": [dict(c) for c in self.checks]}

    def load_state_dict(self, state: dict | None) -> None:
        state = state or {}
        if state.get("check") is not None:  # a checkpoint written before runs could restart twice
            state = {"checks": [state["check"]]}
        self.checks = [dict(c) for c in state.get("checks", [])]


def restart_for(exp) -> tuple[Restart | None, str | None]:
    """The restart's check of a :class:`~turinglearn.app.swarm_run.SwarmExperiment`
    (``stopping.restart_above``), or None and why not where the run cannot have one (it then goes
    on without; None, None where none was asked for)."""
    st, ev, learner = exp.config.stopping, exp.config.evaluation, exp.learner
    if not st.restart_above:
        return None, None
    at = max(1, round(st.restart_at * exp.generations))
    if not isinstance(learner, TuringLearner) or exp.view is not None:
        return None, NEEDS_JUDGES
    if ev.c2st_trials < 2 * ev.c2st_folds:
        return (
            None,
            f"a restart asks the held-out test, which needs evaluation.c2st_trials of at least {2 * ev.c2st_folds}",
        )
    if learner.history is not None:
        return None, "learner.historical_averaging would hold the new models where the old ones were"
    settled = None
    if st.restart_when == "settled":
        settled = exp.settled_now
    elif at >= exp.generations:
        return (
            None,
            f"stopping.restart_at leaves no generation after the check (after {at} of {exp.generations})",
        )
    judge = lambda record, j: accuracy_now(exp, record, j)  # noqa: E731
    return Restart(at, st.restart_above, judge, lambda k: renew(exp, k), settled, st.restarts, exp.generations), None


def keys(i: int, *base: int) -> tuple[int, ...]:
    """The restart stream's index of the ``i``-th check or restart (the first keeps the index it
    had when a run made one at most, so those runs draw the same numbers)."""
    return base if i == 0 else (*base, i)


def accuracy_now(exp, record: Generation, j: int = 0) -> float:
    """The held-out test's accuracy (its headline schedule; a passive study's, the passive
    schedule it watched) on the estimate the run would report
    after ``record`` (the panel's or the window's), at the run's ``j``-th check, from the
    restart's own random streams, so a run that is not restarted is the same run. In the run's
    evaluator (the same numbers on any backend)."""
    ev, seed, learner = exp.config.evaluation, exp.config.seed, exp.learner
    if exp.panel is not None:
        inferred = exp.panel.estimate(
            learner.evaluator, learner.system, learner.discriminator, int(stream(seed, "restart", *keys(j, 0)).integers(2**31)),
            ev.panel_trials, ev.panel_top, record,
        )["inferred"]  # fmt: skip
    else:
        inferred = exp.window_estimate(exp.history)
    schedules, choice = exp.schedules(record), ev.c2st_schedule
    if schedules and choice == "auto" and learner.system.passive:  # a passive study: the schedule it watched
        schedules, choice = {"passive": schedules["passive"]}, "passive"
    headline, by_schedule = c2st_by_schedule(
        learner.system, inferred, stream(seed, "restart", *keys(j, 1)), ev.c2st_trials, ev.c2st_folds, ev.c2st_noise,
        schedules, choice,
    )  # fmt: skip
    return by_schedule[headline]


def renew(exp, k: int = 0) -> None:
    """Both populations drawn anew (the ``k``-th time, from streams of its own) from their initial
    ranges and steps, the archives emptied (:meth:`~turinglearn.core.learner.TuringLearner.restart`);
    the panel keeps its candidates and judges."""
    c, learner = exp.config, exp.learner
    streams = stream(c.seed, "restart", *keys(k, 2)), stream(c.seed, "restart", *keys(k, 3))  # models', judges'
    learner.restart(*optimizers(c, learner.system, learner.discriminator, *streams))
