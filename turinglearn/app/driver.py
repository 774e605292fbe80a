"""The one run driver, for every kind of run: ``learn(...)`` in one call, :func:`run_experiment`
and :func:`resume` for run directories.

A run is an *experiment* (what its kind knows: :class:`~turinglearn.app.swarm_run.SwarmExperiment`
for evolutionary runs, :class:`~turinglearn.app.gan_run.GANExperiment` for GANs) driven through
named hooks: the metrics row, the progress bar, the kind's own hooks, the checkpointer (which
also stops the run on SIGINT/SIGTERM), then the caller's. At the end the experiment finishes
(evaluation, :class:`~turinglearn.app.results.LearnResult`), and the run directory gets its
outputs, then ``summary.json`` last.

>>> import turinglearn
>>> result = turinglearn.learn("aggregation", generations=200, seed=1)  # doctest: +SKIP
>>> result.inferred, result.abs_error                                   # doctest: +SKIP
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from turinglearn.app.hooks import Checkpointer, MetricsRecorder, ProgressBar, stop_on_signals
from turinglearn.app.results import LearnResult
from turinglearn.app.runs import RunDir
from turinglearn.config import Config, load_config, to_toml
from turinglearn.config.gan import GANConfig
from turinglearn.core.contracts import Generation, Hook
from turinglearn.errors import ConfigError, RunDirError, TuringLearnError


class Experiment(Protocol):
    """What the driver needs from a kind of run (see the module doc)."""

    config: Config | GANConfig
    learner: Any  # a GenerationLoop: .generation, .hooks, .run(n)
    generations: int  # the run's length
    columns: list[str]  # metrics.csv's
    lead: bool  # False: a torchrun process that neither writes nor shows anything
    snapshot_each_generation: bool  # see Checkpointer

    def headline(self, out) -> str: ...
    def hooks(self, run: RunDir | None) -> list[Hook]: ...
    def metrics_row(self, record: Generation) -> dict | None: ...
    def describe(self, record: Generation) -> str | None: ...
    def running(self): ...  # a context manager around the generations
    def state_dict(self, record: Generation) -> dict | None: ...
    def load_state_dict(self, state: dict) -> None: ...
    def finish(self, last: Generation | None, history: dict, seconds: float) -> LearnResult: ...
    def write_outputs(self, run: RunDir, result: LearnResult) -> None: ...


def experiment_for(config: Config | GANConfig, simulator=None) -> Experiment:
    """The experiment ``config`` describes, built (bad input fails here, before anything is written)."""
    if isinstance(config, GANConfig):
        if simulator is not None:
            raise ConfigError("a GAN learns from images (data); it takes no simulator", "data")
        from turinglearn.app.gan_run import GANExperiment

        return GANExperiment(config)
    from turinglearn.app.swarm_run import SwarmExperiment

    return SwarmExperiment(config, simulator)


def run_experiment(
    config: Config | GANConfig,
    out: str | Path | None = None,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    simulator=None,
    handle_signals: bool = False,
    log=None,
) -> LearnResult:
    """Run ``config`` to the end; with ``out``, write a run directory (see :mod:`turinglearn.app.runs`).

    The run directory gets a checkpoint every ``execution.checkpoint_every`` generations
    (:func:`resume` continues from it); ``handle_signals``: SIGINT/SIGTERM write a checkpoint
    and stop the run with :class:`~turinglearn.app.hooks.Interrupted` (the command line sets it).
    ``log`` is told the run's headline once it is built."""
    exp = experiment_for(config, simulator)  # before the run directory: bad input writes nothing
    if not exp.lead:  # under torchrun only the first process writes and shows
        out, progress, hooks = None, False, ()
    elif log is not None:
        log(f"turinglearn: {exp.headline(out)}")
    run = RunDir.create(out, to_toml(config)) if out is not None else None
    return _drive(exp, run, progress, hooks, handle_signals, state=None)


def resume(
    run_dir: str | Path,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    handle_signals: bool = False,
    overrides: Mapping[str, Any] | None = None,
    log=None,
) -> LearnResult:
    """Continue an unfinished run (of any kind) from its newest intact checkpoint (from the
    start if it has none); the result is exactly the one the uninterrupted run gives.
    ``overrides`` may change how it runs (``execution.*``), never what it computes."""
    from turinglearn.app import checkpoint
    from turinglearn.app.runs import CONFIG_FILE, read_status

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(
            f"{run_dir} is not a directory; give the run directory that `turinglearn run` wrote"
        )
    if read_status(run_dir).get("status") == "complete":
        raise RunDirError(
            f"{run_dir} is complete; nothing to resume (`turinglearn report {run_dir}` shows it)"
        )
    config = load_config(run_dir / CONFIG_FILE)
    for key in overrides or {}:
        if not key.startswith("execution.") or key == "execution.chunk_size":
            raise ConfigError("only execution settings (not chunk_size) can change when resuming", key)
    if overrides:
        config = config.replace(**overrides)
    exp = experiment_for(config)
    log = log or (lambda msg: print(msg, file=sys.stderr))
    found = checkpoint.latest(run_dir, warn=lambda m: log(f"turinglearn: {m}"))
    state = None
    if found is None:
        log(f"turinglearn: {run_dir} has no intact checkpoint; starting it again from generation 0")
    else:
        path, state = found
        log(f"turinglearn: resuming {run_dir} from {path.name} ({state['generation']} generations done)")
    run = RunDir.reopen(run_dir, None if state is None else state["history"])
    return _drive(exp, run, progress, hooks, handle_signals, state=state)


def _drive(exp: Experiment, run, progress, hooks, handle_signals, state) -> LearnResult:
    """Run ``exp`` from ``state`` (a checkpoint; ``None``: from the start) to its end through
    the named hooks, then finish it and its run directory."""
    history: dict[str, list[float]] = {c: [] for c in exp.columns}
    keeper = Checkpointer(
        run, exp, history, exp.config.execution.checkpoint_every, exp.config.execution.keep_checkpoints,
        exp.generations,
    )  # fmt: skip
    if state is not None:
        exp.load_state_dict(state)
        history.update({k: [float(x) for x in v] for k, v in state["history"].items()})
        keeper.resume_from(state)
    metrics = MetricsRecorder(exp.metrics_row, history, run)
    bar = ProgressBar(exp.generations, exp.describe, initial=exp.learner.generation) if progress else None
    exp.learner.hooks = [metrics, *([bar] if bar else []), *exp.hooks(run), keeper, *hooks]
    last = None
    try:
        with stop_on_signals(keeper, handle_signals):
            if exp.learner.generation < exp.generations:
                with exp.running():
                    last = exp.learner.run(exp.generations)
    except BaseException as e:
        _stopped(run, keeper, e)
        raise
    finally:
        if bar is not None:
            bar.close()
    result = exp.finish(last, history, keeper.elapsed())
    if run is not None:
        run.close()
        exp.write_outputs(run, result)
        run.write_summary(result.summary())  # last: its presence marks a complete run
        run.set_status("complete")
        result.run_dir = run.path
    return result


def _stopped(run: RunDir | None, keeper: Checkpointer, e: BaseException) -> None:
    """A run that ends early keeps what it did: the last finished generation's checkpoint, and
    run.json says why it stopped."""
    if run is None:
        return
    run.close()
    try:
        keeper.write()
        run.set_status(
            "interrupted" if isinstance(e, KeyboardInterrupt) else "failed",
            generations_done=max(keeper.written, 0),
            error=repr(e),
        )
    except TuringLearnError as write_error:  # e.g. the disk is full: report, keep e
        print(f"turinglearn: {write_error}", file=sys.stderr)


def learn(
    config: str | Path | Config | GANConfig | None = None,
    *,
    seed: int | None = None,
    generations: int | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    overrides: Mapping[str, Any] | None = None,
    hooks: Sequence[Hook] = (),
    simulator=None,
) -> LearnResult:
    """Run Turing Learning on a preset, a TOML file or a config (default: aggregation), in one
    call; a GAN preset or config (``gan-digits``, ...) runs the GAN the same way.

    ``overrides`` take dotted keys (``{"environment.steps": 100}``); ``seed`` and
    ``generations`` are shortcuts for the top-level keys. With ``out``, the run directory is
    written there; ``hooks`` are called with every :class:`~turinglearn.core.contracts.Generation`.
    ``simulator``: your own batched simulator instead of the config's environment (see
    :mod:`turinglearn.systems.interactive` for the contract an interrogable one follows).
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
