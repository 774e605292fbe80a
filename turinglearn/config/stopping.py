"""When a run stops before its ``generations`` (``[stopping]``, the same section and meaning in
every kind of run): budgets of time and simulations, and a convergence rule
(:mod:`turinglearn.app.stopping` applies them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from turinglearn.errors import ConfigError, check_at_least, check_none_or_more

#: when a restart's check is made (``stopping.restart_when``): at ``restart_at`` x generations,
#: or when the estimate first settles
RESTART_WHEN = ("at", "settled")

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``30m``, ``2h``, ``1d`` or ``1h30m`` (``--max-time``)."""
    t = text.strip().lower()
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd]?)", t)
    if not t or not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhd]?)", "", t).strip():
        raise ConfigError(f"must be a duration such as 90s, 30m or 2h, got {text!r}", "stopping.max_time")
    units = [u for _, u in parts]
    order = "dhms"
    if len(parts) > 1 and ("" in units or [order.index(u) for u in units] != sorted({order.index(u) for u in units})):
        # "1h30" is not 1 h 30 s, nor "5m5m" 10 min: a unit on every part, each once, largest first
        raise ConfigError(
            f"must give a unit to every part, each unit once, largest first (1h30m, 2d4h), got {text!r}",
            "stopping.max_time",
        )
    return sum(float(v) * _UNITS[u or "s"] for v, u in parts)


@dataclass(frozen=True)
class StoppingConfig:
    """When a run stops before ``generations``: budgets, convergence, and restarts.

    max_time: a wall-clock budget in seconds for this session of the run, counted from the
    session's start, its setup included (0: none; on the command line ``--max-time 90s``,
    ``30m``, ``2h``). The run stops after the generation at
    which the next one plus the final evaluation (``reserve``) would pass it, with a checkpoint
    and a complete summary; its status is ``stopped`` and ``turinglearn resume`` continues it
    with a fresh budget. Under torchrun the first process's clock decides, and every process
    stops at the same step.
    reserve: seconds kept for the final evaluation and the outputs under ``max_time``; 0 (the
    default) keeps the largest of two mean generations, 5% of ``max_time`` and the final
    evaluation's foreseen seconds, at most half of ``max_time``: a trial's time (a batch of 8 or
    more trials at the box's centre, timed once as the session starts, after a warm-up trial),
    times the trials the held-out tests run (``evaluation.c2st_trials`` under each
    schedule, and about 22 fast-test evaluations of them a parameter), plus 2 s. A run whose
    evaluation would take more than half the budget is warned of at its start, and ends late
    (a swarm of one's own at 8.5 ms a trial: 11,400 trials, foreseen 100 s, taken 150 s); lower
    ``evaluation.c2st_trials`` or set ``evaluation.intervals = "off"`` there. Aggregation's
    evaluation takes about 7 s on an idle 2-core machine.
    max_simulations: a budget of simulated trajectories for this session (0: none), stopped
    like ``max_time`` before the next generation would pass it (at least one generation runs).
    A generation counts: swarms, models x trials x robots of each trial (genuine ones
    included; from a recording too, where the model runs in the genuine agents' places);
    a recording of an interactive system, models x trials; interactive systems, interrogators
    x (models x trials + genuine trials), plus a critic's own 2 x models x trials; GANs, generated images (population x batch x
    (critic_steps + 1)). A peer (``learner.kind = "npe"``, ...) pays the same per individual.
    The learning loop's simulations are counted, not those of the panel estimate's fresh trials
    of its candidates, a restart's check or the held-out test at the end.
    converge: stop when the run has settled (docs/concepts.md, "When a run stops"); false by
    default, and ``generations`` stays the ceiling. Evolutionary runs: the estimate the run
    would report had it stopped at each of the last ``patience`` generations (``evaluation``'s
    ``track``, ``average`` and ``average_last``) moved less than ``tolerance`` (a fraction of
    each parameter's range), and the median of the last ``window`` tracked values agrees with
    it within ``tolerance``. The defaults (20, 0.01, 120) were chosen on aggregation (two
    truths) and stimulus-response runs of seeds 0-1 (``tolerance`` x range at most half the
    0.05 recovery bar) and measured on seeds 10-19 (docs/results.md, "Stopping early"). GANs:
    the image metric, metrics.csv's ``frechet_distance`` (of ``evaluation.samples`` generated
    images to the real ones, measured at every metrics row, i.e. every
    ``evaluation.log_every`` generations; lower is better), has not improved on its best before
    by more than ``tolerance`` (relative) in the last ``patience`` rows.
    window: the recent generations whose median must agree with the estimate (a sweep away
    keeps the run going; a GAN, which does not use it, refuses it).
    tolerance: how far (fraction of a parameter's range) the estimate may still move; for a
    GAN, the relative improvement of the image metric that still counts (0.02: 2%).
    patience: the generations over which it must have stayed within ``tolerance``; for a GAN,
    the metrics rows within which the image metric must improve (set it: a GAN preset logs a
    few dozen rows, e.g. ``stopping.patience = 5``).
    restart_above: a run that has searched in vain starts its search afresh (docs/concepts.md,
    "Restarts"; 0, the default: never). At the check (``restart_when``) the held-out test
    (``evaluation.c2st_trials``) judges the estimate the run would report then (the panel's or
    the window's; evolutionary runs with parameter models); when its classifier tells it from
    the system on more than ``restart_above`` of the trials, both populations are drawn anew from
    their initial ranges and steps and the archives (hall of fame, model memory, counterfeits'
    centres, guards) are emptied, while the panel keeps its candidates and judges of every era,
    so the estimate at the end may still come from before the restart. The threshold depends on
    when the check is made: half-way, 0.95 (near certainty; object clustering's runs that end on
    the truth score up to 0.99 there); when the estimate settles, 0.7 on aggregation (searches on
    the truth scored 0.475-0.593 there, a look-alike 0.810-1.0). Where the run cannot judge (no judges,
    policy models, no held-out test, historical averaging) it goes on without and says why.
    restart_at: the fraction of ``generations`` at which the check is made once with
    ``restart_when = "at"`` (0.5: half-way, the restarted models get as many generations as the
    first ones); ``converge`` waits for it.
    restart_when: ``"at"`` (the default): the check is made at ``restart_at``; ``"settled"``: when
    the estimate first settles by the convergence rule's test (``window``, ``tolerance``,
    ``patience``; whether or not ``converge`` stops the run, so also under ``--generations N``),
    so a run that settles where the held-out test tells it from the system restarts instead of
    stopping, and a run that settles on the truth stops as it would without the check. After a
    restart, the convergence rule and the window's estimate read only the generations since,
    and the new search is checked when it settles in turn.
    restarts: the most restarts a run makes with ``restart_when = "settled"`` (1; at a set
    generation the check is made once). A search the test tells apart after the last restart,
    or one that settles when fewer of the run's ``generations`` are left than it took to settle
    (a new search would have too few), is kept and reported as it is; its check in
    ``summary.json`` says why (``kept``)."""

    max_time: float = 0.0
    reserve: float = 0.0
    max_simulations: int = 0
    converge: bool = False
    window: int = 20
    tolerance: float = 0.01
    patience: int = 120
    restart_above: float = 0.0
    restart_at: float = 0.5
    restart_when: str = "at"
    restarts: int = 1

    def __post_init__(self):
        check_none_or_more(self, "max_time", "reserve", "max_simulations")
        if self.restart_above != 0 and not 0.5 <= self.restart_above < 1:
            raise ConfigError(
                f"must be 0 (never) or an accuracy in [0.5, 1), e.g. 0.95, got {self.restart_above}",
                "restart_above",
            )
        if not 0 < self.restart_at < 1:
            raise ConfigError(
                f"must be a fraction of the generations in (0, 1), got {self.restart_at}", "restart_at"
            )
        if self.restart_when not in RESTART_WHEN:
            raise ConfigError(
                f"must be one of {', '.join(map(repr, RESTART_WHEN))}, got {self.restart_when!r}",
                "restart_when",
            )
        if self.restart_when == "settled" and self.restart_at != 0.5:
            raise ConfigError(
                'is the generation of a check made at a set time; with restart_when = "settled" the check '
                'is made when the estimate settles: leave restart_at at 0.5, or set restart_when = "at"',
                "restart_at",
            )
        if self.restart_when == "at" and self.restarts != 1:
            raise ConfigError(
                'a check at a set generation (restart_when = "at") restarts once: set restarts = 1, or '
                'restart_when = "settled" (a check each time a search settles)',
                "restarts",
            )
        if not self.tolerance > 0:
            raise ConfigError(f"must be positive, got {self.tolerance}", "tolerance")
        check_at_least(self, window=1, patience=2)
        if self.restarts < 1:
            raise ConfigError(
                f"must be at least 1, got {self.restarts} (restart_above = 0 turns restarts off)", "restarts"
            )

    @property
    def active(self) -> bool:
        """Whether any rule can stop a run early."""
        return bool(self.max_time or self.max_simulations or self.converge)
