"""Stopping a run before its ``generations`` (the ``[stopping]`` section,
:class:`~turinglearn.config.stopping.StoppingConfig`): a hook, :class:`Stopper`, that after each
generation decides whether the run ends there and says why, by raising :class:`StopRun`; the
driver (:mod:`turinglearn.app.driver`) then finishes the run as usual.

- ``max_time`` and ``max_simulations`` are budgets of one session: a run they stop is
  checkpointed, evaluated and summarised, its status is ``stopped``, and ``turinglearn resume``
  continues it with a fresh budget.
- ``converge`` stops a run that has settled, and the run is complete: an evolutionary run
  whose estimate has stopped changing (:func:`settled`), a GAN whose image metric has stopped
  improving (:func:`stalled` on metrics.csv's :data:`IMAGE_METRIC`).

The rules read only the metrics so far and the clock, so a resumed run stops by convergence at
the generation the uninterrupted one does. Under torchrun the first process applies them and
every process learns its decision (``agree``), so that all stop at the same step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from turinglearn.config.stopping import StoppingConfig
from turinglearn.core.contracts import Generation

BUDGETS = ("max_time", "max_simulations")  # rules whose stop leaves a resumable run
RULES = (*BUDGETS, "converge")  # a decision shared between processes is its rule's place here, plus 1
#: the metrics.csv column a GAN's ``converge`` follows (lower is better; measured only then)
IMAGE_METRIC = "frechet_distance"


class StopRun(Exception):
    """Raised by :class:`Stopper` after the generation at which a rule fired (``rule``:
    ``max_time``, ``max_simulations`` or ``converge``; ``generation``: generations done)."""

    def __init__(self, rule: str, generation: int, why: str):
        self.rule, self.generation, self.why = rule, generation, why
        super().__init__(why)

    def record(self) -> dict:
        """summary.json's ``stopped``."""
        return {"rule": self.rule, "generation": self.generation}


class Stop(StopRun):
    """Raise from a hook (``learn(hooks=[...])``) to end the run after this generation on a rule
    of one's own, as the convergence rule ends it: the final evaluation and summary as for any
    run, status ``complete``, summary.json's ``stopped`` ``{"rule": "hook", "generation": ...}``
    and ``why`` in run.json (a single process: not under torchrun)."""

    def __init__(self, why: str = "a hook stopped the run"):
        super().__init__("hook", -1, why)  # the generation: the driver's, when it catches it


def simulations_per_generation(config, system=None) -> int:
    """Simulated trajectories one generation costs (``stopping.max_simulations``; the count is
    the config's docstring's). GANs: generated images."""
    from turinglearn.config.gan import GANConfig

    if isinstance(config, GANConfig):
        return config.learner.population * config.learner.batch * (config.learner.critic_steps + 1)
    from turinglearn.systems.interactive import InteractiveSystem
    from turinglearn.systems.recorded import RecordedSystem
    from turinglearn.systems.swarm import SwarmSystem

    models, learner = config.models.population, config.learner
    if isinstance(system, InteractiveSystem):
        judges = config.discriminators.population
        own = learner.critic_trials or learner.trials_per_model
        critic = 2 * models * own if learner.critic and not system.passive else 0
        return judges * (models * learner.trials_per_model + learner.genuine_trials) + critic  # + a critic's own
    if isinstance(system, RecordedSystem):
        return recorded_per_generation(config, system.sim)
    if isinstance(system, SwarmSystem):  # swarms of agents and replicas
        cfg = system.sim.config
        return models * learner.trials_per_model * (cfg.n_agents + cfg.n_replicas)
    return models * learner.trials_per_model  # a system of another kind: one trajectory per trial


#: the fast test's evaluations a parameter, about (its intervals' steps and bisections, the
#: powers; 11-25 measured with "fast" on aggregation and a slow swarm of one's own), by effort
EVALUATIONS_PER_PARAMETER = {"fast": 22, "thorough": 44}


def evaluation_trials(config, system, d: int) -> int:
    """About how many trials the final evaluation of a run of ``config`` on ``system`` (d
    parameters) simulates: the C2ST's under each schedule, the fast test's evaluations
    (:data:`EVALUATIONS_PER_PARAMETER`, and the choice of a schedule for an interrogated system)
    and the panel's candidates. Each trial is a pair (the system's and the model's); for
    :meth:`~turinglearn.app.swarm_run.SwarmExperiment.end_seconds`."""
    return _evaluation_plan(config, system, d)[0]


def _evaluation_plan(config, system, d: int) -> tuple[int, int, int, int]:
    """(trials, fast-test evaluations, trials a side of each, C2STs) of the final evaluation
    (:func:`evaluation_trials`)."""
    from turinglearn.core.contracts import PolicyFamily, Renders
    from turinglearn.systems.interactive import InteractiveSystem
    from turinglearn.systems.recorded import RecordedSystem

    ev = config.evaluation
    if ev.c2st_trials <= 0:
        return 0, 0, 0, 0
    schedules = 1
    if isinstance(system, InteractiveSystem):
        schedules = 2 + (not system.passive) + ev.c2st_schedule.endswith(".npy")
    filled = system.test_trials if isinstance(system, RecordedSystem) else (lambda n: n)  # a recording's cap
    trials = filled(ev.c2st_trials) * schedules
    # intervals and the panel for parameter rows only (a policy's or a program's genotype is not the model reported)
    rows = not isinstance(system.model_family, (PolicyFamily, Renders))
    evaluations, asked = 0, 0
    if ev.intervals != "off" and rows:
        asked = filled(evaluation_batch(config))
        evaluations = 2 + EVALUATIONS_PER_PARAMETER[ev.intervals] * d
        if schedules > 1 and ev.c2st_schedule == "auto" and not system.passive:
            evaluations += schedules * (1 + 2 * d)  # each schedule's calibration and powers, to choose one
        trials += evaluations * asked
    if ev.estimate == "panel" and rows and config.learner.kind == "turing":
        trials += -(-config.generations // ev.panel_every) * ev.panel_trials
    return trials, evaluations, asked, schedules


def evaluation_seconds(config, system, d: int) -> tuple[float, int, float] | None:
    """The final evaluation's foreseen seconds and trials: its trials at :func:`trial_seconds`
    each (in batches of :func:`evaluation_batch`), and each of the fast test's evaluations'
    statistics and classifier, and its permutation null's refits, and each C2ST's statistics, as
    :func:`fast_test_seconds` times them (on 300-step trials of 8 features they were a third of the
    evaluation, which 2 s for the classifiers had left out: a newcomer's budget ran 21 % over):
    (seconds, trials, a trial's seconds), or None where no trial is timed (programs)."""
    from turinglearn.core.trust import EFFORT

    trials, evaluations, asked, c2sts = _evaluation_plan(config, system, d)
    per = trial_seconds(system, most=evaluation_batch(config)) if trials else None
    if per is None:
        return None
    ev = config.evaluation
    seconds = per * trials + 2.0  # the C2STs' forests and the plots
    stats, fit = fast_test_seconds(system, max(asked, ev.c2st_trials), ev.c2st_folds)
    seconds += c2sts * stats
    if evaluations:
        seconds += evaluations * (stats + fit) + EFFORT[ev.intervals].permutations * fit
    return seconds, trials, per


def fast_test_seconds(system, trials: int, folds: int = 5) -> tuple[float, float]:
    """Seconds one fast-test evaluation of ``trials`` trials a side spends outside the
    simulator: (the trajectories' statistics, the classifier's cross-validation), timed on
    random trajectories of the system's shape."""
    from turinglearn.core.evaluation import trajectory_features
    from turinglearn.core.trust import lda_accuracy

    family = system.model_family
    theta = (np.asarray(family.lower, float) + np.asarray(family.upper, float))[None] / 2
    genuine, counterfeit = system.trajectories(theta, np.random.default_rng(0), 1)
    k = min(np.shape(genuine)[2], np.shape(counterfeit)[2])  # the samples a trial gives each side, as the test keeps
    steps, features = np.shape(counterfeit)[3:]
    rng = np.random.default_rng(0)
    n = 2 * max(1, trials) * k
    x = rng.normal(size=(n, steps, features))
    t0 = time.perf_counter()
    z = trajectory_features(x)
    stats = time.perf_counter() - t0
    y, fold = np.arange(n) % 2, rng.integers(0, folds, n)
    t0 = time.perf_counter()
    lda_accuracy(z, y, fold)
    return stats, time.perf_counter() - t0


def evaluation_batch(config) -> int:
    """The trials one call of the final evaluation asks for (a C2ST's, or the fast test's where
    it asks more): :func:`trial_seconds` times batches of that size for the evaluation, since a
    simulator stepped in a Python loop costs about as much a call for 200 trials as for 1,024,
    and a trial's time read at 1,024 foresaw a third of what the evaluation took (a newcomer's
    rate neurons, 300 steps)."""
    from turinglearn.core.trust import EFFORT, asked_trials

    ev = config.evaluation
    if ev.intervals == "off":
        return max(1, ev.c2st_trials)
    return max(1, ev.c2st_trials, asked_trials(ev.c2st_trials, ev.c2st_folds, EFFORT[ev.intervals]))


def trial_seconds(system, probe: int = 8, most: int = 1024) -> float | None:
    """Seconds one trial takes on ``system`` (the system's side and a model's, as
    ``system.trajectories`` draws them, in a batch): after a trial that warms it up (compiled
    kernels), ``probe`` trials at the box's centre, and while a batch takes under 0.25 s
    eight times as many (up to ``most``), so that a vectorised simulator's cost per trial is read
    where its calls' overhead no longer counts; with a generator of their own (the run's streams
    are not touched). None where the box's centre is no model (programs)."""
    family = system.model_family
    theta = (np.asarray(family.lower, float) + np.asarray(family.upper, float))[None] / 2  # the box's centre
    try:
        system.trajectories(theta, np.random.default_rng(0), 1)
    except Exception:  # a genotype that is not a parameter row: not foreseen
        return None
    while True:
        t0 = time.perf_counter()
        _, counterfeit = system.trajectories(theta, np.random.default_rng(0), probe)
        took = time.perf_counter() - t0
        if took >= 0.25 or probe >= most:  # per trial made (a recording makes no more than it fills)
            return took / max(1, np.shape(counterfeit)[1])
        probe = min(8 * probe, most)


def recorded_per_generation(config, sim) -> int:
    """Simulated trajectories one generation of a run from a recording costs (``data``; the
    genuine side comes from the file): models x trials x the individuals each trial simulates
    (:func:`~turinglearn.systems.recorded.individuals_per_trial`: every robot of the swarm, the
    places of the genuine agents included, since the model runs there too and they are
    simulated; one for an interactive simulator's passive trial). A peer's simulated set costs
    the same per individual (:class:`~turinglearn.peers.problem.PeerProblem`)."""
    from turinglearn.systems.recorded import individuals_per_trial

    return config.models.population * config.learner.trials_per_model * individuals_per_trial(sim)


def window_estimates(values: np.ndarray, window: int) -> np.ndarray:
    """[d, G] per-generation medians -> [d, G - window + 1]: each generation's window estimate
    (the median over the last ``window`` generations)."""
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=1)
    return np.median(view, axis=-1)


def converged(values: np.ndarray, ranges: np.ndarray, window: int, tolerance: float, patience: int) -> bool:
    """Whether the estimate has settled, given the population medians so far ``values`` [d, G]
    and each parameter's range [d]: over the last ``patience`` generations the window estimate
    moved less than ``tolerance`` x range (max - min, per parameter), and the medians of that
    span's first and second halves differ by less than ``tolerance`` x range. The second test
    keeps a sweep away from the truth, which the window's median does not follow at first, from
    stopping the run on the wrong side."""
    values = np.asarray(values, dtype=float)
    if values.shape[1] < window + patience - 1:
        return False
    scale = tolerance * np.asarray(ranges, dtype=float)
    est = window_estimates(values[:, -(window + patience - 1) :], window)  # [d, patience]
    if np.any(est.max(axis=1) - est.min(axis=1) >= scale):
        return False
    span = values[:, -patience:]
    half = patience // 2
    first, second = np.median(span[:, :half], axis=1), np.median(span[:, half:], axis=1)
    return bool(np.all(np.abs(first - second) < scale))


def stalled(values: Sequence[float], tolerance: float, patience: int) -> bool:
    """Whether a metric where lower is better (a GAN's :data:`IMAGE_METRIC`, one value per
    metrics row) has stopped improving: the best of its last ``patience`` values is not below
    the best of those before by more than ``tolerance`` x that best. Values that are not finite
    (rows without a measurement) are left out."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) <= patience:
        return False
    best_before, best_since = v[:-patience].min(), v[-patience:].min()
    return bool(best_since >= best_before * (1 - tolerance))


def window_of(generations: int, average_last: int) -> int:
    """The generations the estimate averages: the last ``average_last``, at most half the run."""
    return max(1, min(average_last, (generations + 1) // 2))


def estimate_of(values: np.ndarray, average_last: int = 1, average: str = "median") -> np.ndarray:
    """The run's window estimate (:func:`turinglearn.app.results.estimate`) on the tracked values
    themselves, ``values`` [d, G] -> [d]."""
    k = window_of(values.shape[1], average_last)
    statistic = {"median": np.median, "mean": np.mean}[average]  # AVERAGES
    return statistic(values[:, -k:], axis=1)


def settled(
    values: np.ndarray,
    ranges: np.ndarray,
    tolerance: float,
    patience: int,
    window: int,
    average_last: int = 1,
    average: str = "median",
) -> bool:
    """Whether the run's answer has stopped changing, given its tracked values so far ``values``
    [d, G] (``evaluation.track``'s column per parameter) and each parameter's range [d]:

    - the estimate the run would report had it stopped at each of the last ``patience``
      generations (:func:`estimate_of`: the ``average`` of the last
      ``average_last`` values, at most half the run) moved less than ``tolerance`` x range, and
    - the median of the last ``window`` values lies within ``tolerance`` x range of it: a
      recent sweep away, which a long average does not follow at once, keeps the run going.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[1] < max(patience, window):
        return False
    scale = tolerance * np.asarray(ranges, dtype=float)
    g = values.shape[1]
    now = estimate_of(values, average_last, average)
    if np.any(np.abs(np.median(values[:, -window:], axis=1) - now) >= scale):
        return False
    lo, hi = now.copy(), now.copy()
    for back in range(1, patience):  # newest first: a moving estimate is refused early
        e = estimate_of(values[:, : g - back], average_last, average)
        lo, hi = np.minimum(lo, e), np.maximum(hi, e)
        if np.any(hi - lo >= scale):
            return False
    return True


class Stopper:
    """Hook: applies ``settings`` after every generation of ``learner`` and raises
    :class:`StopRun` when a rule fires. ``per_generation``: simulations a generation costs;
    ``history``: the metrics so far (the driver's); ``names`` / ``ranges``: the reported
    parameters and their ranges (for ``converge``); ``track``: the column the estimate follows;
    ``metric``: instead of an estimate, the column whose stalling ``converge`` waits for (a
    GAN's :data:`IMAGE_METRIC`); ``ceiling``: the run's generations (no rule fires at the last
    one). Under torchrun: ``lead`` (only the first process applies the rules) and ``agree``,
    called every generation on every process with the rule that fired here (0: none, else its
    place in :data:`RULES` plus 1), returning the first process's. ``converge_after``: the
    generations before which ``converge`` does not fire (a restart's check comes first);
    ``since``: the first generation the rule reads (after a restart, the new search's);
    ``end_seconds``: what the final evaluation is expected to take, kept for the end under
    ``max_time`` where it exceeds the default reserve (a GAN's image metrics); ``start``: when the
    session began, by :attr:`clock` (default: now), so that ``max_time`` counts its setup too
    (a GAN's data and metrics networks: a budget of 12 s had ended at 19 s)."""

    clock = staticmethod(time.perf_counter)  # seconds (tests replace it)

    def __init__(
        self,
        settings: StoppingConfig,
        learner,
        per_generation: int = 0,
        history: Mapping[str, list] | None = None,
        names: Sequence[str] = (),
        ranges: Sequence[float] = (),
        track: str = "median",
        ceiling: int | None = None,
        metric: str | None = None,
        lead: bool = True,
        agree: Callable[[int], int] | None = None,
        average_last: int = 1,
        average: str = "median",
        converge_after: int = 0,
        since: Callable[[], int] = lambda: 0,
        end_seconds: Callable[[], float] = lambda: 0.0,
        start: float | None = None,
    ):
        self.end_seconds = end_seconds  # what the final evaluation is expected to take (max_time's reserve)
        self.average_last, self.average = average_last, average  # the estimate (evaluation.*)
        self.converge_after, self.since = converge_after, since
        self.settings, self.learner, self.per_generation = settings, learner, per_generation
        self.history, self.names, self.ranges, self.track = history, list(names), np.asarray(ranges), track
        self.metric, self.lead, self.agree = metric, lead, agree
        now = self.clock()
        self.t0 = now if start is None else start  # the session's start: its setup counts too
        self.t_generations = now  # the generations' start: a generation's time leaves the setup out
        self.start = learner.generation  # this session's first generation
        self.ceiling = ceiling  # the run's generations: it ends there anyway

    def __call__(self, record: Generation) -> None:
        done = self.learner.generation
        ran = done - self.start  # generations this session
        if ran <= 0 or (self.ceiling is not None and done >= self.ceiling):
            return  # the same on every process: all of them skip the agreement together
        stop = self.check(done, ran) if self.lead else None
        if self.agree is not None:
            code = self.agree(0 if stop is None else RULES.index(stop.rule) + 1)
            if stop is None and code:
                rule = RULES[code - 1]
                stop = StopRun(rule, done, f"the first process stopped the run by {rule}")
        if stop is not None:
            raise stop

    def check(self, done: int, ran: int) -> StopRun | None:
        """The rule that fires after generation ``done`` (``ran`` of them this session), if any:
        the convergence rule first, which does not depend on the session, so that a budget that
        runs out at the generation the estimate settles does not hide it (a resume of such a run
        ran a generation more than the run without a budget)."""
        settled_now = self._converged(done)
        if settled_now is not None:
            return settled_now
        s = self.settings
        if s.max_simulations and (ran + 1) * self.per_generation > s.max_simulations:
            return StopRun(
                "max_simulations", done,
                f"the budget of {s.max_simulations} simulations ({ran * self.per_generation} used; "
                f"{self.per_generation} a generation) is spent",
            )  # fmt: skip
        if s.max_time:
            now = self.clock()
            elapsed, mean = now - self.t0, (now - self.t_generations) / ran
            reserve = s.reserve or max(2 * mean, 0.05 * s.max_time, self.end_seconds())
            if elapsed + mean + reserve > s.max_time:
                return StopRun(
                    "max_time", done,
                    f"the time budget of {s.max_time:g} s would pass with the next generation "
                    f"({elapsed:.1f} s used, {mean:.2f} s a generation, {reserve:.1f} s kept for the end)",
                )  # fmt: skip
        return None

    def _converged(self, done: int) -> StopRun | None:
        """The convergence rule's stop after generation ``done``, if it fires."""
        s = self.settings
        if not s.converge or self.history is None or done <= self.converge_after:
            return None
        if self.metric is not None:
            values = self.history.get(self.metric, [])
            if stalled(values, s.tolerance, s.patience):
                return StopRun(
                    "converge", done,
                    f"{self.metric} stopped improving (not by more than {s.tolerance:g} of its best, "
                    f"{np.nanmin(values):.4g}, over the last {s.patience} measurements)",
                )  # fmt: skip
            return None
        start = self.since()
        columns = [self.history.get(f"{n}_{self.track}", [])[start:] for n in self.names]
        if columns and settled(
            np.array(columns, dtype=float), self.ranges, s.tolerance, s.patience, s.window,
            self.average_last, self.average,
        ):  # fmt: skip
            return StopRun(
                "converge", done,
                f"the estimate settled (within {s.tolerance:g} of each range over {s.patience} generations)",
            )  # fmt: skip
        return None
