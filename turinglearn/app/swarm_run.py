"""An evolutionary run (swarms, interrogated systems, recordings, metric baselines) as the one
run driver (:mod:`turinglearn.app.driver`) sees it: :class:`SwarmExperiment`."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

import numpy as np

from turinglearn.app.build import evaluator_for, learner_of
from turinglearn.app.checkpoint import same_value
from turinglearn.app.hooks import InterrogationRecorder
from turinglearn.app.own_kinds import check_own_kinds
from turinglearn.app.restart import restart_for
from turinglearn.app.results import SwarmResult, estimate, metrics_row, since
from turinglearn.app.runs import RunDir, as_columns, metrics_columns
from turinglearn.app.stopping import evaluation_seconds, settled, simulations_per_generation
from turinglearn.config import Config
from turinglearn.core.assessment import assess
from turinglearn.core.contracts import Generation, Renders
from turinglearn.core.evaluation import abs_error, c2st_by_schedule
from turinglearn.core.evaluator import ChunkedEvaluator
from turinglearn.core.learner import TuringLearner
from turinglearn.core.panel import Panel
from turinglearn.core.random import stream
from turinglearn.core.trust import EFFORT, FastTest
from turinglearn.errors import ConfigError, warn
from turinglearn.execution.backends import make_backend
from turinglearn.families.policies import report, reported_family
from turinglearn.peers.learner import PeerLearner
from turinglearn.systems.interactive import InteractiveSystem, Interrogators
from turinglearn.systems.recorded import RecordedSystem


class SwarmExperiment:
    """A :class:`~turinglearn.core.learner.TuringLearner` (or metric learner) built from
    ``config``, with what its run reports: metrics rows of the model parameters (policy
    families: of their effective controllers), the interrogation record of interactive
    systems, and at the end the estimate, its error and C2ST (:class:`SwarmResult`)."""

    started: float | None = None  # when the session began (the driver sets it)
    snapshot_each_generation = True  # the state is small: keep every generation's
    lead = True
    distributed = False

    def __init__(self, config: Config, simulator=None):
        self.config, self.simulator = config, simulator
        self.learner = learner_of(config, simulator=simulator)
        check_own_kinds(config, self.learner)  # a registered discriminator or optimiser of one's own
        self.trust_seconds: float | None = None  # time the trust report took (not in summary.json)
        # a learner that sets its own length (a peer, turinglearn.peers: one step) overrides the config's
        peer = isinstance(self.learner, PeerLearner)  # one round of simulation-based inference
        self.generations = self.learner.generations if peer else config.generations
        family = self.learner.system.model_family
        self.shown = reported_family(family)  # policy families are reported as their effective controllers
        self.names = self.shown.names
        self.ranges = np.asarray(self.shown.upper, float) - np.asarray(self.shown.lower, float)  # [d]
        self.view = None if self.shown is family else (lambda theta: report(family, theta))
        self.columns = metrics_columns(self.names)
        system = self.learner.system
        self.probes = None
        if isinstance(system, InteractiveSystem) and not system.passive:
            self.probes = InterrogationRecorder(
                system, self.learner.discriminator, config.generations, config.seed
            )
        self.last: Generation | None = None  # restored from a checkpoint
        self._end_estimate: float | None = None  # the final evaluation's seconds (end_seconds)
        self._inert: bool | None = None  # whether the stimulus changes nothing (_inert_stimulus)
        self._check_evaluation()
        # the estimate judged by every era's judges (core.panel), where there are judges and the
        # candidates are parameters; elsewhere (metric baselines, policy networks) the window's
        ev = config.evaluation
        applies = ev.estimate == "panel" and isinstance(self.learner, TuringLearner) and self.view is None
        self.panel = Panel(ev.panel_every, ev.track) if applies else None
        self.history: dict | None = None  # the metrics so far (the driver's, given to hooks())
        self.restart, self.restart_skipped = restart_for(self)  # stopping.restart_above (app.restart)
        # the convergence rule waits for a restart's check made at a set generation (app.driver)
        wait = self.restart is not None and self.restart.settled is None
        self.converge_after = self.restart.at if wait else 0

    @property
    def estimate_from(self) -> int:
        """The first generation whose metrics the window's estimate and the convergence rule
        read: 0, or the generation a restart started the search afresh."""
        return 0 if self.restart is None else self.restart.since

    def window_estimate(self, history: dict) -> np.ndarray:
        """The window's estimate [d] from ``history``'s generations since :attr:`estimate_from`."""
        ev = self.config.evaluation
        return estimate(since(history, self.estimate_from), self.names, ev.average_last, ev.average, ev.track)

    def settled_now(self) -> bool:
        """Whether the estimate has settled by the convergence rule's test (``[stopping]``'s
        ``window``, ``tolerance`` and ``patience``) on the generations since :attr:`estimate_from`
        (a peer's one round: its posterior, nothing to settle)."""
        if isinstance(self.learner, PeerLearner):
            return True
        st, ev, start = self.config.stopping, self.config.evaluation, self.estimate_from
        values = np.array([self.history[f"{n}_{ev.track}"][start:] for n in self.names], dtype=float)
        return settled(values, self.ranges, st.tolerance, st.patience, st.window, ev.average_last, ev.average)

    def _check_evaluation(self) -> None:
        """Settings of the held-out test that only this system can judge, before the run."""
        ev, system = self.config.evaluation, self.learner.system
        interactive = isinstance(system, InteractiveSystem)
        if ev.c2st_schedule not in ("auto", "passive") and not interactive:
            recorded = isinstance(system, RecordedSystem)
            raise ConfigError(
                f"{ev.c2st_schedule!r} drives an interactive system; "
                + ("a recording cannot be stimulated anew: its tests run the simulator under the stimuli it "
                   "recorded, or the passive schedule " if recorded else "this one takes no stimuli ")
                + "(use 'auto' or 'passive')",
                "evaluation.c2st_schedule",
            )  # fmt: skip
        if ev.c2st_schedule == "interrogators" and system.passive:
            raise ConfigError(
                "a passive run has no interrogators; use 'auto', 'passive', 'random' or a .npy schedule",
                "evaluation.c2st_schedule",
            )
        if ev.c2st_schedule.endswith(".npy"):
            try:
                schedule = np.load(ev.c2st_schedule)
            except OSError as e:
                raise ConfigError(f"cannot read the schedule: {e}", "evaluation.c2st_schedule") from None
            system.user_schedule(schedule)  # the shape and the stimulus space
        unknown = [n for n in ev.pair if n not in self.names]
        if unknown:
            raise ConfigError(
                f"unknown parameter(s) {unknown}; the parameters are {list(self.names)}", "evaluation.pair"
            )

    def _inert_stimulus(self) -> bool:
        """Whether the system's stimulus changes nothing (a system without one, given a space to fit
        the interactive contract): probed once, on the simulator."""
        if self._inert is None:
            from turinglearn.app.interactive_probes import stimulus_changes_nothing

            try:
                self._inert = stimulus_changes_nothing(self.learner.system.sim, self.config.seed)
            except (AttributeError, TypeError, ValueError):  # a space or simulator the probe cannot drive (its
                self._inert = False  # step's own errors are caught by the probe): every schedule, as before
        return self._inert

    def schedules(self, last: Generation) -> dict | None:
        """The held-out test's schedules that apply (name -> what drives both sides), in the
        order they are run; None for a system without stimuli. "random" comes first, so its
        figure is the one runs before schedules were a setting reported."""
        system, ev = self.learner.system, self.config.evaluation
        if not isinstance(system, InteractiveSystem):
            return None
        if ev.c2st_schedule == "auto" and self._inert_stimulus():  # every schedule the same test: the
            return {"passive": "passive"}  # headline would be the larger of two noises (one named is run as asked)
        schedules = {"random": "random", "passive": "passive"}
        if not system.passive:
            judges = last.discriminators
            archive = self.learner.archive if isinstance(self.learner, TuringLearner) else None
            if archive is not None:
                judges = np.concatenate([judges, archive])
            schedules["interrogators"] = Interrogators(self.learner.discriminator, judges)
        if ev.c2st_schedule.endswith(".npy"):
            schedules[ev.c2st_schedule] = np.load(ev.c2st_schedule)
        return schedules

    def headline(self, out) -> str:
        c = self.config
        if isinstance(self.learner, PeerLearner):  # one round of simulations and a fit, not generations
            budget = self.learner.budget  # stopping.max_simulations, or the method's own default
            return f"{c.name} on {c.environment.id}, seed {c.seed}, {c.learner.kind} with a budget of {budget} trajectories -> {out}"
        upto = "at most " if c.stopping.converge else ""  # it stops when the estimate has settled
        return f"{c.name} on {c.environment.id}, seed {c.seed}, {upto}{c.generations} generations -> {out}"

    def hooks(self, run: RunDir | None, history: dict) -> list:
        self.history = history
        return [hook for hook in (self.probes, self.panel, self.restart) if hook is not None]

    def metrics_row(self, record: Generation) -> dict:
        return metrics_row(record, self.names, self.view)

    def describe(self, record: Generation) -> str:
        """The progress bar's words: the models' median and the discriminators' mean fitness."""
        median = record.median if self.view is None else np.median(self.view(record.models), axis=0)
        med = ", ".join(f"{v:+.2f}" for v in median)
        f_d = record.discriminator_fitness  # empty for metric-based learners
        extra = (
            f" D-fitness={f_d.mean():.2f}" if f_d.size else f" best fitness={record.model_fitness.max():.3g}"
        )
        return f"median=({med}){extra}"

    @contextmanager
    def running(self):
        """Around the generations: the backend the chunks run on."""
        backend = make_backend(self.config.execution, log=lambda m: print(m, file=sys.stderr))
        population, size = self.config.models.population, self.config.execution.chunk_size
        chunks = -(-population // (size or population))
        if not backend.local and chunks < backend.workers:  # a newcomer's 2 workers ran as fast as none
            print(
                f"turinglearn: {population} models in chunks of {size or population}: {chunks} chunk(s) a generation "
                f"for {backend.workers} workers, the others idle; a smaller execution.chunk_size shares the work "
                "(it changes the run's random numbers)",
                file=sys.stderr,
            )
        try:
            self.learner.evaluator = evaluator_for(self.config, backend, self.simulator)
            yield
        finally:
            backend.close()

    def _family(self) -> dict:
        """The model family the run searches (names, bounds) and the truth: a checkpoint keeps them,
        so a resume whose simulator module changed them since is refused."""
        system = self.learner.system
        fam, truth = system.model_family, system.truth if "truth" in dir(system) else None
        d = fam.n_params
        return {
            "names": list(fam.names),
            "lower": np.broadcast_to(np.asarray(fam.lower, float), (d,)).tolist(),
            "upper": np.broadcast_to(np.asarray(fam.upper, float), (d,)).tolist(),
            "truth": None if truth is None else np.asarray(truth, float).tolist(),
        }

    def state_dict(self, record: Generation) -> dict:
        return {
            "family": self._family(),
            "learner": self.learner.state_dict(),
            "last": record.state(),
            "probes": None if self.probes is None else self.probes.state_dict(),
            "panel": None if self.panel is None else self.panel.state_dict(),
            "restart": None if self.restart is None else self.restart.state_dict(),
            "samples_show": list(self._samples_show()),
        }

    def _samples_show(self) -> tuple[str, ...]:
        """What a sample shows the judges per step: the features (a recording's: its stimuli too)."""
        system = self.learner.system
        return tuple(system.feature_names if isinstance(system, RecordedSystem) else system.sim.feature_names)

    def load_state_dict(self, state: dict) -> None:
        shown, now_shown = state.get("samples_show"), list(self._samples_show())
        system = self.learner.system
        judges = isinstance(self.learner, TuringLearner)  # a peer or a metric baseline has none to rebuild
        if judges and isinstance(system, RecordedSystem) and system.recording.stimulus is not None and shown != now_shown:
            raise ConfigError(  # judges built for the features alone cannot read the stimuli beside them
                f"the run's judges read {', '.join(shown or system.sim.feature_names)}; this version shows them the "
                f"recording's stimuli too ({', '.join(now_shown)}): its checkpoints cannot resume; start the run again",
                "data",
            )
        ran, now = state.get("family"), self._family()  # checkpoints before it kept none
        differ = [k for k in now if ran is not None and not same_value(ran[k], now[k])]
        if differ:
            shown = "; ".join(f"{k} = {now[k]}, the run's is {ran[k]}" for k in differ)
            recorded = isinstance(self.learner.system, RecordedSystem)
            why = (
                "the recording's truth changed since the run began; give the run's recording"
                if differ == ["truth"] and recorded
                else "the simulator's module changed since the run began; restore it"
            )
            raise ConfigError(
                f"the model family differs from the run's: {shown} ({why} to resume, or start a new run)",
                "data" if differ == ["truth"] and recorded else "environment",
            )
        self.learner.load_state_dict(state["learner"])
        if self.probes is not None and state["probes"] is not None:
            self.probes.load_state_dict(state["probes"])
        if self.panel is not None:
            self.panel.load_state_dict(state.get("panel"))
        if self.restart is not None:
            self.restart.load_state_dict(state.get("restart"))
        self.last = Generation(**state["last"])

    def finish(self, last: Generation | None, history: dict, seconds: float) -> SwarmResult:
        """The estimate (the panel's or the window's), its error against the truth, and the C2ST
        of the model that stands for the population."""
        last = last or self.last
        config, system, view = self.config, self.learner.system, self.view
        values = last.models if view is None else view(last.models)  # [M, q]
        ev = config.evaluation
        how = "window"  # summary.json's estimate: which estimate `inferred` is
        if isinstance(self.learner, PeerLearner) and self.learner.inferred is not None:  # posterior median
            inferred, how = self.learner.inferred, "posterior"
        else:
            inferred = self.window_estimate(history)
        panel = None
        if self.panel is not None:
            window = inferred
            inferred, panel = self._panel(last)
            panel["window_estimate"], how = [float(v) for v in window], "panel"
        # the model that stands for the population: the estimate itself for parameter families;
        # for policies, the individual whose effective controller is nearest the estimate
        chosen = np.argmin(np.abs(values - inferred).sum(axis=1))
        model = inferred if view is None else last.models[chosen]
        truth = None if system.truth is None else np.asarray(system.truth, float)
        c2st, held_out = None, {}
        if ev.c2st_trials > 0:
            rng = stream(config.seed, "evaluation")
            schedules = self.schedules(last)
            headline, by_schedule = c2st_by_schedule(
                system, model, rng, ev.c2st_trials, ev.c2st_folds, ev.c2st_noise, schedules, ev.c2st_schedule
            )
            c2st = by_schedule[headline]
            # samples a side: a trial's genuine individual against as many of its replicas (a
            # recording gives a test no more trials than it fills)
            sides = system.test_trials(ev.c2st_trials) if isinstance(system, RecordedSystem) else ev.c2st_trials
            held_out = {"c2st_schedule": headline, "c2st_by_schedule": by_schedule, "c2st_samples": int(sides)}
            if schedules and len(by_schedule) > 1:  # why the headline's schedule: the closing lines say it
                held_out["c2st_schedule_reason"] = "tells apart best" if ev.c2st_schedule == "auto" else "chosen"
            if ev.intervals != "off" and view is None and not isinstance(system.model_family, Renders):
                t0, name, reason = time.perf_counter(), headline, "the headline's"
                if schedules and ev.c2st_schedule == "auto" and system.passive:
                    # a passive study's intervals say what its observations pin down: under the
                    # schedule it watched, not under stimuli it never applied
                    name, reason = "passive", "watched"
                elif schedules and ev.c2st_schedule == "auto":  # the intervals use the most powerful schedule
                    name, reason = self._most_powerful(inferred, schedules), "most power"
                held_out.update(self._trust(inferred, None if schedules is None else schedules[name], name))
                if schedules:  # a system with stimuli: why this schedule
                    held_out["test"]["schedule_reason"] = reason
                with_spread(held_out["interval"], since(history, self.estimate_from), self.names, ev, self.ranges)
                # on the result (SwarmResult.trust_seconds), not in summary.json, whose keys must
                # match between identical runs
                self.trust_seconds = time.perf_counter() - t0
            elif ev.intervals != "off":  # the table says why its interval column is empty
                held_out["intervals_not_computed"] = (
                    "the models are policies or programs, whose genotypes are not the controller the table reports; "
                    "judge them by the C2ST and parameters.png"
                )
        result = SwarmResult(
            config=config,
            names=tuple(self.names),
            inferred=inferred,
            best=values[int(np.argmax(last.model_fitness))],
            truth=truth,
            abs_error=None if truth is None else abs_error(inferred, truth),
            c2st=c2st,
            history=as_columns(history),
            models=last.models,
            model_fitness=last.model_fitness,
            discriminators=last.discriminators,
            discriminator_fitness=last.discriminator_fitness,
            seconds=seconds,
            interrogations=None if self.probes is None else (self.probes.stimuli, self.probes.responses),
        )
        result.extra.update(self._extra(last, values, chosen, inferred))
        if config.learner.kind == "turing":  # two populations: how they kept each other engaged
            result.extra["coevolution"] = self._coevolution(history)
        result.extra["estimate"] = how
        if not isinstance(self.learner, PeerLearner):  # a peer's are its posterior's (summary.json's posterior)
            # simulated trajectories spent learning, stopping.max_simulations' unit (the held-out tests' not counted)
            result.extra["simulations"] = len(history.get("generation", [])) * self.simulations_per_generation()
        if panel is not None:
            result.extra["panel"] = panel
        if self.restart is not None:
            result.extra["restart"] = self.restart.summary()
        elif self.restart_skipped:
            result.extra["restart"] = {"skipped": self.restart_skipped}
        result.trust.update(held_out)
        result.trust_seconds, result.estimate_from = self.trust_seconds, self.estimate_from
        return result

    def _panel(self, last: Generation) -> tuple[np.ndarray, dict]:
        """The panel's estimate (:mod:`turinglearn.core.panel`; the last generation is a
        candidate whatever its number) and summary.json's ``panel``."""
        ev = self.config.evaluation
        seed = int(stream(self.config.seed, "evaluation", 5).integers(2**31))
        # here, in the run's chunks (the same numbers as on any backend, which is closed by now)
        evaluator = ChunkedEvaluator(self.learner.evaluator.chunk_size)
        out = self.panel.estimate(
            evaluator, self.learner.system, self.learner.discriminator, seed, ev.panel_trials,
            ev.panel_top, last,
        )  # fmt: skip
        return out["inferred"], {
            "candidates": len(out["scores"]),
            "chosen_generations": [int(g) for g in out["chosen"]],
            "best_score": float(np.min(out["scores"])),
        }

    def _test(self, schedule, effort: str) -> FastTest:
        config, system = self.config, self.learner.system
        ev, family = config.evaluation, system.model_family
        seed = int(stream(config.seed, "evaluation", 3).integers(2**31))
        statistics = None
        if ev.statistics:
            from turinglearn.environments.gym_wrapper import load_object

            statistics = load_object(ev.statistics, "evaluation.statistics")
        return FastTest(
            system, ev.c2st_trials, ev.c2st_noise, family.lower, family.upper, ev.level,
            schedule, ev.c2st_folds, seed, EFFORT[effort], statistics=statistics, statistics_name=ev.statistics,
        )  # fmt: skip

    def _most_powerful(self, inferred: np.ndarray, schedules: dict) -> str:
        """With ``c2st_schedule = "auto"``: the schedule whose fast test separates the largest
        moves of the parameters best (mean power), so that a well-fitted model's intervals are
        not drawn under a schedule that cannot see its parameters (measured: under the passive
        schedule, three of stimulus-response's four parameters are invisible)."""
        moves = (max(self.config.evaluation.power_moves),)
        best, score = None, -1.0
        for name, schedule in schedules.items():
            test = self._test(schedule, "fast")
            test.calibrate(inferred)
            power = np.mean([next(iter(p.values()))["power"] for p in test.power(inferred, moves)])
            if power > score + 1e-9:
                best, score = name, power
        return best

    def _trust(self, inferred: np.ndarray, schedule, name: str) -> dict:
        """Power, intervals and flags of the fast held-out test at the estimate
        (:func:`turinglearn.core.assessment.assess`), with the seconds they took."""
        ev = self.config.evaluation
        test = self._test(schedule, ev.intervals)
        out = assess(test, inferred, self.names, ev.power_moves, ev.pair, features=self._samples_show())
        out["test"]["schedule"] = name
        if out.get("spread"):  # whether the critic already judged sets, for the line's advice
            out["spread"]["critic_sets"] = bool(self.config.learner.critic and self.config.learner.critic_sets)
        return out

    def end_seconds(self) -> float:
        """The final evaluation's expected seconds, for ``stopping.max_time``'s reserve (a slow
        simulator of one's own spent 175 s on it after a budget of 45 s): its trials and the fast
        test's statistics and classifiers, as
        :func:`~turinglearn.app.stopping.evaluation_seconds` times them; warned of when it is more
        than half the budget, and kept within half of it. Measured once, as the generations
        begin (the driver asks when it builds the stopping rules; its seconds count in the
        budget); 0 for models that are not parameter rows (programs), which the default reserve
        covers."""
        budget = self.config.stopping.max_time
        if self._end_estimate is None:
            end = evaluation_seconds(self.config, self.learner.system, len(self.names))
            self._end_estimate, trials = end[:2] if end is not None else (0.0, 0)
            if not self.config.stopping.reserve and budget and self._end_estimate > budget / 2:
                warn(
                    f"the final evaluation takes about {self._end_estimate:.0f} s ({trials} trials of the held-out "
                    f"tests), more than half the time budget of {budget:g} s: the run will end late; lower "
                    'evaluation.c2st_trials, set evaluation.intervals = "off", or raise --max-time'
                )
        return min(self._end_estimate, budget / 2) if budget else self._end_estimate

    def simulations_per_generation(self) -> int:
        """Simulated trajectories one generation costs (``stopping.max_simulations``)."""
        return simulations_per_generation(self.config, self.learner.system)

    def _coevolution(self, history: dict) -> dict:
        """summary.json's ``coevolution``: drift events of the parents' median (the population's
        where the run has none; ``drift_of`` says which), settled by the ``[stopping]`` rule's
        settings, then gone, and the engagement digest."""
        from turinglearn.app.coevolution import drift_events, drift_track, engagement_summary

        st = self.config.stopping
        track = drift_track(history, self.names)
        events = drift_events(history, self.names, self.ranges, track, st.window, st.tolerance, st.patience)
        out = {"drift": [e.record() for e in events], "drift_of": track, **engagement_summary(history)}
        if self.learner.history is not None:  # exact, where metrics.csv may not (a resumed older run)
            out["history_began"] = self.learner.history.began
        return out

    def _extra(self, last: Generation, values, chosen: int, inferred) -> dict:
        from turinglearn.app.swarm_outputs import summary_facts

        return summary_facts(self, last, values, chosen, inferred)

    def write_outputs(self, run: RunDir, result: SwarmResult) -> None:
        """populations.npz, parameters.png, fitness.png, coevolution.png (two populations) and,
        interrogated, interrogations.npz with interrogation.png."""
        from turinglearn.app.swarm_outputs import write_outputs

        write_outputs(self, run, result)


def with_spread(intervals: dict, history: dict, names, ev, ranges) -> None:
    """Each parameter's interval (``intervals[name]``, the held-out test's slice through the
    estimate) also covers the estimate's own spread: the central ``ev.level`` range of the
    tracked values over the window the estimate averages (``evaluation``'s ``track`` and
    ``average_last``). The test is a slice at the estimate, and on a swarm it can be sharper
    than the estimate is steady: a slice at an estimate 0.02 off missed the truth in a third
    of held-out aggregation runs, the spread covers that wander. Both parts are kept: ``test``
    and ``spread`` ([lo, hi] each); ``lo`` / ``hi`` / ``width`` are their hull, and also span the
    parameter's widest ``ridge`` where the test found one (what the printed table, the plot and
    summary.json all show: a newcomer's thermostat whose gain traded off with its set point
    held the truth in 18 of 18 such intervals, in 11 without the ridge). An interval the test
    could not draw (the estimate far off) stays None; ``ranges`` [d]: each parameter's."""
    from turinglearn.app.stopping import window_of

    values = np.array([history[f"{n}_{ev.track}"] for n in names], dtype=float)  # [d, G]
    k = window_of(values.shape[1], ev.average_last)
    tail = (1 - ev.level) / 2
    lo, hi = np.quantile(values[:, -k:], [tail, 1 - tail], axis=1)
    for j, n in enumerate(names):
        iv = intervals[n]
        if iv["lo"] is None:
            continue
        iv.setdefault("test", [iv["lo"], iv["hi"]])  # the test's slice (kept already where a mirror widened it)
        iv["spread"] = [float(lo[j]), float(hi[j])]
        iv["lo"], iv["hi"] = min(iv["lo"], float(lo[j])), max(iv["hi"], float(hi[j]))
        if iv.get("ridge"):
            iv["lo"], iv["hi"] = min(iv["lo"], iv["ridge"]["lo"]), max(iv["hi"], iv["ridge"]["hi"])
        iv["width"] = (iv["hi"] - iv["lo"]) / ranges[j] if ranges[j] > 0 else 0.0
