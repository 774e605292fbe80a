"""The one-call API: ``learn(...)`` builds the pieces from a config, runs, evaluates, reports.

>>> import turinglearn
>>> result = turinglearn.learn("aggregation", generations=200, seed=1)  # doctest: +SKIP
>>> result.inferred, result.abs_error                                   # doctest: +SKIP
"""


from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from turinglearn.app.build import build, evaluator_for
from turinglearn.app.hooks import Checkpointer, InterrogationRecorder, ProgressBar, stop_on_signals
from turinglearn.app.results import LearnResult, estimate, metrics_row
from turinglearn.app.runs import RunDir, metrics_columns
from turinglearn.config import Config, load_config, to_toml
from turinglearn.config.gan import GANConfig
from turinglearn.core.contracts import Generation, Hook
from turinglearn.core.evaluation import abs_error, model_c2st
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError, RunDirError, TuringLearnError
from turinglearn.execution.backends import make_backend
from turinglearn.families.policies import report, reported_family
from turinglearn.systems.interactive import InteractiveSystem


def run_experiment(
    config: Config,
    out: str | Path | None = None,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    simulator=None,
    handle_signals: bool = False,
) -> LearnResult:
    """Run ``config`` to the end; with ``out``, write a run directory (see :mod:`turinglearn.runs`).

    The run directory gets a checkpoint every ``execution.checkpoint_every`` generations
    (:func:`resume` continues from it); ``handle_signals``: SIGINT/SIGTERM write a checkpoint
    and stop the run with :class:`Interrupted` (the command line sets it).

    A GAN config (``learner.kind = "gan"``) runs :func:`turinglearn.gan.experiment.run_gan`."""
    if getattr(config.learner, "kind", None) == "gan":
        from turinglearn.app.gan_run import run_gan

        return run_gan(config, out=out, progress=progress, hooks=hooks)
    learner = build(config, simulator=simulator)  # before the run directory: bad input writes nothing
    run = RunDir.create(out, to_toml(config)) if out is not None else None
    return _drive(config, learner, run, progress, hooks, simulator, handle_signals, state=None)


def resume(
    run_dir: str | Path,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    handle_signals: bool = False,
    overrides: Mapping[str, Any] | None = None,
    log=None,
) -> LearnResult:
    """Continue an unfinished run from its newest intact checkpoint (from the start if it has
    none); the result is exactly the one the uninterrupted run gives. ``overrides`` may change
    how it runs (``execution.*``), never what it computes."""
    from turinglearn.app import checkpoint
    from turinglearn.app.runs import CONFIG_FILE, read_status

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(
            f"{run_dir} is not a directory; give the run directory that `turinglearn run` wrote"
        )
    status = read_status(run_dir).get("status")
    if status == "complete":
        raise RunDirError(
            f"{run_dir} is complete; nothing to resume (`turinglearn report {run_dir}` shows it)"
        )
    config = load_config(run_dir / CONFIG_FILE)
    if getattr(config.learner, "kind", None) == "gan":
        raise RunDirError(
            f"{run_dir} is a GAN run; `turinglearn resume` continues evolutionary runs. Continue a GAN "
            "from its checkpoint.pt in Python: GANLearner(data, config).load_checkpoint(path)"
        )
    for key in overrides or {}:
        if not key.startswith("execution.") or key == "execution.chunk_size":
            raise ConfigError("only execution settings (not chunk_size) can change when resuming", key)
    if overrides:
        config = config.replace(**overrides)
    learner = build(config)
    log = log or (lambda msg: print(msg, file=sys.stderr))
    found = checkpoint.latest(run_dir, warn=lambda m: log(f"turinglearn: {m}"))
    state = None
    if found is None:
        log(f"turinglearn: {run_dir} has no intact checkpoint; starting it again from generation 0")
    else:
        path, state = found
        log(f"turinglearn: resuming {run_dir} from {path.name} ({state['generation']} generations done)")
    run = RunDir.reopen(run_dir, None if state is None else state["history"])
    return _drive(config, learner, run, progress, hooks, None, handle_signals, state=state)


def _drive(config, learner, run, progress, hooks, simulator, handle_signals, state) -> LearnResult:
    family = learner.system.model_family
    shown = reported_family(family)  # policy families are reported as their effective controllers
    names = shown.names
    view = None if shown is family else (lambda theta: report(family, theta))
    history: dict[str, list[float]] = {c: [] for c in metrics_columns(names)}
    if state is not None:
        history.update({k: [float(x) for x in v] for k, v in state["history"].items()})

    def record_metrics(record: Generation) -> None:
        row = metrics_row(record, names, view)
        for k, v in row.items():
            history[k].append(float(v))
        if run is not None:
            run.append_metrics(row)

    start = 0 if state is None else int(state["generation"])
    bar = ProgressBar(config.generations, names, initial=start, view=view) if progress else None
    probes = None
    if isinstance(learner.system, InteractiveSystem) and not learner.system.passive:
        probes = InterrogationRecorder(learner.system, learner.discriminator, config.generations, config.seed)
    ex = config.execution
    keeper = Checkpointer(
        run, learner, history, probes, ex.checkpoint_every, ex.keep_checkpoints, config.generations
    )
    last = None
    if state is not None:
        learner.load_state_dict(state["learner"])
        if probes is not None and state["probes"] is not None:
            probes.load_state_dict(state["probes"])
        keeper.seconds_before = float(state["seconds"])
        keeper.written = start
        last = Generation(**state["last"])
    learner.hooks = [record_metrics, *([bar] if bar else []), *([probes] if probes else []), keeper, *hooks]
    backend = None
    try:
        with stop_on_signals(keeper, handle_signals):
            if learner.generation < config.generations:
                backend = make_backend(ex, log=lambda m: print(m, file=sys.stderr))
                learner.evaluator = evaluator_for(config, backend, simulator)
                last = learner.run(config.generations)
    except BaseException as e:
        if run is not None:
            run.close()
            try:
                keeper.write()  # the last finished generation: nothing done is lost
                run.set_status(
                    "interrupted" if isinstance(e, KeyboardInterrupt) else "failed",
                    generations_done=max(keeper.written, 0),
                    error=repr(e),
                )
            except TuringLearnError as write_error:  # e.g. the disk is full: report, keep e
                print(f"turinglearn: {write_error}", file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
        if backend is not None:
            backend.close()
    seconds = keeper.elapsed()

    values = last.models if view is None else view(last.models)  # [M, q]
    ev = config.evaluation
    inferred = estimate(history, names, ev.average_last, ev.average, ev.track)
    # the model that stands for the population: the estimate itself for parameter families; for
    # policies, the individual whose effective controller is nearest the estimate
    chosen = np.argmin(np.abs(values - inferred).sum(axis=1))
    model = inferred if view is None else last.models[chosen]
    truth = learner.system.truth
    c2st = None
    if config.evaluation.c2st_trials > 0:
        c2st = model_c2st(
            learner.system,
            model,
            stream(config.seed, "evaluation"),
            config.evaluation.c2st_trials,
            config.evaluation.c2st_folds,
            config.evaluation.c2st_noise,
        )
    result = LearnResult(
        config=config,
        names=tuple(names),
        inferred=inferred,
        best=values[int(np.argmax(last.model_fitness))],
        truth=None if truth is None else np.asarray(truth, float),
        abs_error=None if truth is None else abs_error(inferred, truth),
        c2st=c2st,
        history={k: np.asarray(v) for k, v in history.items()},
        models=last.models,
        model_fitness=last.model_fitness,
        discriminators=last.discriminators,
        discriminator_fitness=last.discriminator_fitness,
        seconds=seconds,
        run_dir=None if run is None else run.path,
        interrogations=None if probes is None else (probes.stimuli, probes.responses),
    )
    result.extra["learner"] = config.learner.kind
    result.extra["models_kind"] = config.models.kind
    result.extra["discriminators_kind"] = config.discriminators.kind
    if view is not None:
        result.extra["model"] = [float(v) for v in values[chosen]]  # the C2ST's model, reported
    if hasattr(family, "render"):
        result.extra["program"] = family.render(last.models[chosen])
    sim = learner.system.sim
    if hasattr(sim, "behaviour_metrics") and config.evaluation.c2st_trials > 0:
        # task-level behaviour of the inferred model, e.g. how well it clusters objects
        result.extra["behaviour"] = sim.behaviour_metrics(inferred, stream(config.seed, "evaluation", 2))
    if simulator is not None:
        result.extra["simulator"] = type(simulator).__name__
    if isinstance(learner.system, InteractiveSystem):
        result.extra["mode"] = "passive" if learner.system.passive else "interactive"
    if config.data:
        result.extra["data"] = config.data

    if run is not None:
        _finish_run(run, result, learner.system.sim.feature_names, (shown.lower, shown.upper))
    return result


def _finish_run(run: RunDir, result: LearnResult, feature_names: Sequence[str], bounds) -> None:
    from turinglearn.app.report import plot_fitness, plot_parameters

    run.close()
    run.write_populations(
        models=result.models,
        model_fitness=result.model_fitness,
        discriminators=result.discriminators,
        discriminator_fitness=result.discriminator_fitness,
    )
    plot_parameters(result.history, result.names, result.truth, run.path / "parameters.png", bounds)
    plot_fitness(result.history, run.path / "fitness.png")
    if result.interrogations is not None:
        from turinglearn.app.report import plot_interrogations

        stimuli, responses = result.interrogations
        run.write_array_file(
            "interrogations.npz",
            **{f"stimuli_{g}": v for g, v in stimuli.items()},
            **{f"responses_{g}": v for g, v in responses.items()},
        )
        plot_interrogations(stimuli, responses, run.path / "interrogation.png", feature_names)
    run.write_summary(result.summary())  # last: its presence marks a complete run
    run.set_status("complete")


def learn(
    config: str | Path | Config | None = None,
    *,
    seed: int | None = None,
    generations: int | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    overrides: Mapping[str, Any] | None = None,
    hooks: Sequence[Hook] = (),
    simulator=None,
) -> LearnResult:
    """Run Turing Learning on a preset, a TOML file or a :class:`Config` (default: aggregation), in one call.
    A GAN preset or config (``gan-digits``, ...) returns a :class:`turinglearn.gan.experiment.GANResult`.

    ``overrides`` take dotted keys (``{"environment.steps": 100}``); ``seed`` and
    ``generations`` are shortcuts for the top-level keys. With ``out``, the run directory is
    written there; ``hooks`` are called with every :class:`~turinglearn.learner.Generation`.
    ``simulator``: your own batched simulator instead of the config's environment (see
    :mod:`turinglearn.interactive` for the contract an interrogable one follows).
    """
    extra = dict(overrides or {})
    if seed is not None:
        extra["seed"] = seed
    if generations is not None:
        extra["generations"] = generations
    if config is None:  # the aggregation study, or the defaults for your own simulator
        config = "aggregation" if simulator is None else Config(name=type(simulator).__name__)
    if isinstance(config, (Config, GANConfig)):
        cfg = config.replace(**extra) if extra else config
    else:
        cfg = load_config(config, extra)
    return run_experiment(cfg, out=out, progress=progress, hooks=hooks, simulator=simulator)
