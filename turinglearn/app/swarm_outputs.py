"""What a finished evolutionary run (:class:`~turinglearn.app.swarm_run.SwarmExperiment`) adds
to its summary beside the estimate, and the files it writes."""

from __future__ import annotations

from pathlib import Path

from turinglearn.app.results import SwarmResult
from turinglearn.app.runs import RunDir, path_read
from turinglearn.core.contracts import BehaviourMetrics, Generation, Renders, is_interactive
from turinglearn.core.learner import TuringLearner
from turinglearn.core.random import stream
from turinglearn.peers.learner import PeerLearner
from turinglearn.systems.interactive import InteractiveSystem
from turinglearn.systems.recorded import RecordedSystem


def summary_facts(exp, last: Generation, values, chosen: int, inferred) -> dict:
    """summary.json's facts of a finished run beside its estimate: what learned and judged,
    the bounds and features `turinglearn report` draws with, the model the C2ST judged (policies
    and programs), task behaviour, a peer's posterior, what a recording carried and how it was
    cut, the simulator object, interrogated or passive, the data."""
    config, family, system = exp.config, exp.learner.system.model_family, exp.learner.system
    extra = {
        "learner": config.learner.kind,
        "models_kind": config.models.kind,
        # null for a learner without discriminators (a metric baseline, a peer)
        "discriminators_kind": config.discriminators.kind if isinstance(exp.learner, TuringLearner) else None,
        # what `turinglearn report` draws with where the simulator cannot be rebuilt (an object)
        "bounds": {"lower": [float(v) for v in exp.shown.lower], "upper": [float(v) for v in exp.shown.upper]},
        "features": [str(f) for f in system.sim.feature_names],
    }
    if exp.view is not None:
        extra["model"] = [float(v) for v in values[chosen]]  # the C2ST's model, reported
        extra["model_row"] = int(chosen)  # its genotype: this row of populations.npz's models
    if isinstance(family, Renders):
        extra["program"] = family.render(last.models[chosen])
    if isinstance(system.sim, BehaviourMetrics) and config.evaluation.c2st_trials > 0:
        # task-level behaviour of the inferred model, e.g. how well it clusters objects
        behaviour = system.sim.behaviour_metrics(inferred, stream(config.seed, "evaluation", 2))
        if behaviour is not None:  # a policy swarm over a simulator without such measures
            extra["behaviour"] = behaviour
    if isinstance(exp.learner, PeerLearner):  # its posterior intervals and budget
        extra.update(exp.learner.report())
    if isinstance(system, RecordedSystem) and is_interactive(system.sim):  # under the stimuli it recorded?
        extra["recording_stimuli"] = system.recording.stimulus is not None
    if isinstance(system, RecordedSystem) and len(system.test_on) < len(system.recording.x):  # data_holdout
        extra["recording_held_out"] = {"tests": len(system.test_on), "learning": len(system.learn_from)}
    if isinstance(system, RecordedSystem) and system.recording.windows is not None:  # data_windows: what it kept
        extra["recording_windows"] = {
            **system.recording.windows, "steps": int(system.sim.config.steps), "folds": config.evaluation.c2st_folds,
        }  # fmt: skip
    if exp.simulator is not None:
        extra["simulator"] = type(exp.simulator).__name__
    if isinstance(system, InteractiveSystem):
        extra["mode"] = "passive" if system.passive else "interactive"
    if config.data:  # the file read, wherever the session ran (a resume reads a relative one where the run began)
        extra["data"] = path_read(config.data)
    return extra


def write_outputs(exp, run: RunDir, result: SwarmResult) -> None:
    """A finished run's files: populations.npz, parameters.png, fitness.png, coevolution.png
    (two populations) and, interrogated, interrogations.npz with interrogation.png."""
    from turinglearn.app.report import (
        plot_fitness,
        plot_interrogations,
        plot_pair_map,
        plot_parameters,
        restart_generations,
    )

    weights = {}
    if isinstance(exp.learner, PeerLearner) and exp.learner.posterior.weights is not None:
        weights["model_weights"] = exp.learner.posterior.weights  # ABC's particles carry importance weights
    run.write_populations(
        models=result.models,
        model_fitness=result.model_fitness,
        discriminators=result.discriminators,
        discriminator_fitness=result.discriminator_fitness,
        **weights,
    )
    bounds = (exp.shown.lower, exp.shown.upper)
    intervals = result.trust.get("interval")
    plot_parameters(
        result.history, result.names, result.truth, run.path / "parameters.png", bounds, intervals,
        result.extra.get("stopped"), restart_generations(result.extra.get("restart")),
    )  # fmt: skip
    if "pair_map" in result.trust:
        plot_pair_map(result.trust["pair_map"], result.inferred, result.names, result.truth, run.path)
    plot_fitness(result.history, run.path / "fitness.png")
    if "coevolution" in result.extra:
        from turinglearn.app.coevolution import plot_coevolution

        co = result.extra["coevolution"]
        plot_coevolution(
            result.history, result.names, result.truth, co["drift"], run.path / "coevolution.png",
            began=co.get("history_began"), drift_of=co.get("drift_of"), bounds=bounds,
        )  # fmt: skip
    if result.interrogations is not None:
        stimuli, responses = result.interrogations
        run.write_array_file(
            "interrogations.npz",
            **{f"stimuli_{g}": v for g, v in stimuli.items()},
            **{f"responses_{g}": v for g, v in responses.items()},
        )
        path = Path(run.path) / "interrogation.png"
        plot_interrogations(stimuli, responses, path, exp.learner.system.sim.feature_names)
