"""An evolutionary run (swarms, interrogated systems, recordings, metric baselines) as the one
run driver (:mod:`turinglearn.app.driver`) sees it: :class:`SwarmExperiment`."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from turinglearn.app.build import build, evaluator_for
from turinglearn.app.hooks import InterrogationRecorder
from turinglearn.app.results import SwarmResult, estimate, metrics_row
from turinglearn.app.runs import RunDir, metrics_columns
from turinglearn.config import Config
from turinglearn.core.contracts import BehaviourMetrics, Generation, Renders
from turinglearn.core.evaluation import abs_error, model_c2st
from turinglearn.core.random import stream
from turinglearn.execution.backends import make_backend
from turinglearn.families.policies import report, reported_family
from turinglearn.systems.interactive import InteractiveSystem


class SwarmExperiment:
    """A :class:`~turinglearn.core.learner.TuringLearner` (or metric learner) built from
    ``config``, with what its run reports: metrics rows of the model parameters (policy
    families: of their effective controllers), the interrogation record of interactive
    systems, and at the end the estimate, its error and C2ST (:class:`SwarmResult`)."""

    snapshot_each_generation = True  # the state is small: keep every generation's
    lead = True

    def __init__(self, config: Config, simulator=None):
        self.config, self.simulator = config, simulator
        self.learner = build(config, simulator=simulator)
        self.generations = config.generations
        family = self.learner.system.model_family
        self.shown = reported_family(family)  # policy families are reported as their effective controllers
        self.names = self.shown.names
        self.view = None if self.shown is family else (lambda theta: report(family, theta))
        self.columns = metrics_columns(self.names)
        system = self.learner.system
        self.probes = None
        if isinstance(system, InteractiveSystem) and not system.passive:
            self.probes = InterrogationRecorder(
                system, self.learner.discriminator, config.generations, config.seed
            )
        self.last: Generation | None = None  # restored from a checkpoint

    def headline(self, out) -> str:
        c = self.config
        return f"{c.name} on {c.environment.id}, seed {c.seed}, {c.generations} generations -> {out}"

    def hooks(self, run: RunDir | None) -> list:
        return [] if self.probes is None else [self.probes]

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
        try:
            self.learner.evaluator = evaluator_for(self.config, backend, self.simulator)
            yield
        finally:
            backend.close()

    def state_dict(self, record: Generation) -> dict:
        return {
            "learner": self.learner.state_dict(),
            "last": record.state(),
            "probes": None if self.probes is None else self.probes.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.learner.load_state_dict(state["learner"])
        if self.probes is not None and state["probes"] is not None:
            self.probes.load_state_dict(state["probes"])
        self.last = Generation(**state["last"])

    def finish(self, last: Generation | None, history: dict, seconds: float) -> SwarmResult:
        """The estimate over the run's window, its error against the truth, and the C2ST of the
        model that stands for the population."""
        last = last or self.last
        config, system, view = self.config, self.learner.system, self.view
        values = last.models if view is None else view(last.models)  # [M, q]
        ev = config.evaluation
        inferred = estimate(history, self.names, ev.average_last, ev.average, ev.track)
        # the model that stands for the population: the estimate itself for parameter families;
        # for policies, the individual whose effective controller is nearest the estimate
        chosen = np.argmin(np.abs(values - inferred).sum(axis=1))
        model = inferred if view is None else last.models[chosen]
        truth = None if system.truth is None else np.asarray(system.truth, float)
        c2st = None
        if ev.c2st_trials > 0:
            rng = stream(config.seed, "evaluation")
            c2st = model_c2st(system, model, rng, ev.c2st_trials, ev.c2st_folds, ev.c2st_noise)
        result = SwarmResult(
            config=config,
            names=tuple(self.names),
            inferred=inferred,
            best=values[int(np.argmax(last.model_fitness))],
            truth=truth,
            abs_error=None if truth is None else abs_error(inferred, truth),
            c2st=c2st,
            history={k: np.asarray(v) for k, v in history.items()},
            models=last.models,
            model_fitness=last.model_fitness,
            discriminators=last.discriminators,
            discriminator_fitness=last.discriminator_fitness,
            seconds=seconds,
            interrogations=None if self.probes is None else (self.probes.stimuli, self.probes.responses),
        )
        result.extra.update(self._extra(last, values, chosen, inferred))
        return result

    def _extra(self, last: Generation, values, chosen: int, inferred) -> dict:
        config, family, system = self.config, self.learner.system.model_family, self.learner.system
        extra = {
            "learner": config.learner.kind,
            "models_kind": config.models.kind,
            "discriminators_kind": config.discriminators.kind,
        }
        if self.view is not None:
            extra["model"] = [float(v) for v in values[chosen]]  # the C2ST's model, reported
        if isinstance(family, Renders):
            extra["program"] = family.render(last.models[chosen])
        if isinstance(system.sim, BehaviourMetrics) and config.evaluation.c2st_trials > 0:
            # task-level behaviour of the inferred model, e.g. how well it clusters objects
            behaviour = system.sim.behaviour_metrics(inferred, stream(config.seed, "evaluation", 2))
            if behaviour is not None:  # a policy swarm over a simulator without such measures
                extra["behaviour"] = behaviour
        if self.simulator is not None:
            extra["simulator"] = type(self.simulator).__name__
        if isinstance(system, InteractiveSystem):
            extra["mode"] = "passive" if system.passive else "interactive"
        if config.data:
            extra["data"] = config.data
        return extra

    def write_outputs(self, run: RunDir, result: SwarmResult) -> None:
        """populations.npz, parameters.png, fitness.png and, interrogated, interrogations.npz
        with interrogation.png."""
        from turinglearn.app.report import plot_fitness, plot_interrogations, plot_parameters

        run.write_populations(
            models=result.models,
            model_fitness=result.model_fitness,
            discriminators=result.discriminators,
            discriminator_fitness=result.discriminator_fitness,
        )
        bounds = (self.shown.lower, self.shown.upper)
        plot_parameters(result.history, result.names, result.truth, run.path / "parameters.png", bounds)
        plot_fitness(result.history, run.path / "fitness.png")
        if result.interrogations is not None:
            stimuli, responses = result.interrogations
            run.write_array_file(
                "interrogations.npz",
                **{f"stimuli_{g}": v for g, v in stimuli.items()},
                **{f"responses_{g}": v for g, v in responses.items()},
            )
            path = Path(run.path) / "interrogation.png"
            plot_interrogations(stimuli, responses, path, self.learner.system.sim.feature_names)
