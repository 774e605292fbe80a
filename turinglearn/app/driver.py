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

from turinglearn.app.hooks import (
    Checkpointer,
    Interrupted,
    MetricsRecorder,
    ProgressBar,
    stop_on_signals,
)
from turinglearn.app.object_runs import config_with_simulator, names_an_object
from turinglearn.app.preflight import (
    check_environment_overrides,
    check_names_an_environment,
    check_new_run,
    check_own_environment,
    refuse_simulator_as_config,
    uses_policy,
)
from turinglearn.app.results import LearnResult
from turinglearn.app.resuming import (
    budget_words,
    changed_settings,
    data_where_it_ran,
    first_directory,
    paths_of_a_run,
    with_columns,
)
from turinglearn.app.runs import RunDir
from turinglearn.app.stopping import BUDGETS, Stopper, StopRun
from turinglearn.config import Config, load_config, to_toml
from turinglearn.config.gan import GANConfig
from turinglearn.config.load import with_simulator
from turinglearn.core.contracts import Generation, Hook, check_instance
from turinglearn.errors import ConfigError, RunDirError, TuringLearnError


class Experiment(Protocol):
    """What the driver needs from a kind of run (see the module doc)."""

    config: Config | GANConfig
    learner: Any  # a GenerationLoop: .generation, .hooks, .run(n)
    generations: int  # the run's length
    columns: list[str]  # metrics.csv's
    lead: bool  # False: a torchrun process that neither writes nor shows anything
    distributed: bool  # one of several torchrun processes
    snapshot_each_generation: bool  # see Checkpointer
    converge_after: int  # generations before which the convergence rule waits (a restart's check)
    estimate_from: int  # the first generation the convergence rule reads (after a restart, the new search's)
    started: float | None  # when the session began, by Stopper.clock (max_time counts from there)

    def headline(self, out) -> str: ...
    def simulations_per_generation(self) -> int: ...  # stopping.max_simulations' unit
    def end_seconds(self) -> float: ...  # the final evaluation's expected seconds (stopping.max_time keeps them)
    def settled_now(self) -> bool: ...  # whether the estimate has settled (said of a run a budget stopped)
    def hooks(self, run: RunDir | None, history: dict) -> list[Hook]: ...  # history: the metrics so far
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
    handle_signals: bool | None = None,
    log=None,
) -> LearnResult:
    """Run ``config`` to the end; with ``out``, write a run directory (see :mod:`turinglearn.app.runs`).

    The run directory gets a checkpoint every ``execution.checkpoint_every`` generations
    (:func:`resume` continues from it); ``handle_signals``: SIGINT/SIGTERM write a checkpoint
    and stop the run with :class:`~turinglearn.app.hooks.Interrupted` (the command line sets it);
    None: SIGTERM alone does, where its handler is the default (it would kill the process).
    ``log`` is told the run's headline once it is built."""
    from turinglearn.families._compiled import threads

    threads()  # a bad TURINGLEARN_THREADS is named before anything runs
    started = Stopper.clock()
    check_new_run(config, simulator)
    exp = experiment_for(config, simulator)  # before the run directory: bad input writes nothing
    exp.started = started
    if not exp.lead:  # under torchrun only the first process writes and shows
        out, progress, hooks = None, False, ()
    elif log is not None:
        log(f"turinglearn: {exp.headline(out)}")
    say = log or (lambda msg: print(msg, file=sys.stderr))
    run = RunDir.create(out, to_toml(config, simulator), log=say) if out is not None else None
    return _named(_drive(exp, run, progress, hooks, handle_signals, state=None, fresh=True), simulator)


def resume(
    run_dir: str | Path,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    handle_signals: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    log=None,
    settings: Mapping[str, Any] | None = None,
    simulator=None,
    generations: int | None = None,
) -> LearnResult:
    """Continue an unfinished run (of any kind) from its newest intact checkpoint (from the
    start if it has none); the result is exactly the one the uninterrupted run gives.
    ``generations``: run on until that many generations are done in all, a complete run too
    (the convergence rule off for the rest, unless ``settings`` set it): the result is the one a
    run of that many generations from the start gives, and its ``config.toml`` says so (refused
    for a run with a restart, whose check falls at a share of the run, and for a peer's).
    ``overrides`` (dotted key -> value) change how this session runs and when it stops; ``settings``
    the same for the rest of the run: they are written into its ``config.toml``. Both may hold
    execution and stopping settings only, never what the run computes (``execution.chunk_size``,
    the restart's), as :func:`~turinglearn.app.checkpoint.resumable` says. ``simulator``: for a
    run made with ``learn(simulator=...)``, an object of the same class built with the same
    settings (its ``config``), the same parameters, bounds and truth (and, for a GymSim, the
    same gymnasium id), as ``config.toml`` records them; refused otherwise."""
    import tomli_w

    from turinglearn.app import checkpoint
    from turinglearn.app.runlock import RunLock
    from turinglearn.app.runs import CONFIG_FILE, atomic_write, keep_summary, read_status, remove_temporaries
    from turinglearn.config import from_dict
    from turinglearn.families._compiled import threads

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(
            f"{run_dir} is not a directory; give the run directory that `turinglearn run` wrote"
        )
    threads()  # a bad TURINGLEARN_THREADS is named before anything runs
    started = Stopper.clock()
    if generations is None and "generations" in (settings or {}):  # the run's length: --generations N
        raise ConfigError(checkpoint.refusal("generations", None), "generations")
    log = log or (lambda msg: print(msg, file=sys.stderr))
    read_status(run_dir)  # a readable run before anything else
    lock = RunLock(run_dir, log).acquire()  # one writer at a time
    remove_temporaries(run_dir)  # a killed writer's half-written files
    try:
        status = read_status(run_dir)
        if status.get("status") == "complete" and generations is None:
            try:  # a GAN never converges: no advice to turn its rule off
                gan = isinstance(load_config(run_dir / CONFIG_FILE, strict=False), GANConfig)
            except TuringLearnError:
                gan = False
            raise RunDirError(
                f"{run_dir} is complete ({status.get('generations_done', '?')} generations; `turinglearn report "
                f"{run_dir}` shows it); to search longer, continue it to N generations in all: `turinglearn resume "
                f"{run_dir} --generations N`" + ("" if gan else " (the convergence rule is then off)")
            )
        if simulator is None:
            config = load_config(run_dir / CONFIG_FILE, strict=False)  # as written, maybe by an older version
        else:
            config = config_with_simulator(run_dir / CONFIG_FILE, simulator)
        found = checkpoint.latest(run_dir, warn=lambda m: log(f"turinglearn: {m}"))
        state = None if found is None else found[1]
        if generations is not None:
            settings = checkpoint.longer(config, status, state, generations, settings or {})
            if state is not None:  # the rule that ended it is off for the rest: the run goes on
                state.pop("stopped", None)
        elif (ran := checkpoint.saved_generations(state)) is not None and ran != config.generations:
            # config.toml's generations changed since the checkpoint: an extension that stopped before
            # its first checkpoint (or one's own edit), continued as such
            checkpoint.longer(config, status, state, config.generations, {})
            generations = config.generations
        for key in overrides or {}:
            if (why := checkpoint.refusal(key, config)) is not None:
                raise ConfigError(why, key)
        for key in settings or {}:
            if (why := checkpoint.refusal(key, config)) is not None and not (key == "generations" and generations):
                raise ConfigError(why, key)
        changed = changed_settings(run_dir / CONFIG_FILE, settings) if settings else None
        if changed is not None:  # a simulator object's environment table stays the object's
            config = from_dict({k: v for k, v in changed.items() if simulator is None or k != "environment"})
        if overrides:
            config = config.replace(**overrides)
        if found is not None:
            path = found[0]
            # a simulator object stands for the environment table: its settings were compared above
            skip = ("generations",) * (generations is not None) + ("environment.",) * (simulator is not None)
            checkpoint.check_fingerprint(state, config, path.name, skip=skip, began=first_directory(status))
        config = data_where_it_ran(config, status, log)
        if state is not None:
            checkpoint.check_inputs(state, config, first_directory(status))
        exp = experiment_for(config, simulator)
        exp.started = started
        if generations is not None and status.get("status") == "complete":  # its result stays beside
            keep_summary(run_dir, int(status.get("generations_done", 0)))
        if changed is not None:  # only once the run has been rebuilt with them
            atomic_write(run_dir / CONFIG_FILE, tomli_w.dumps(changed))
        if found is None:
            log(f"turinglearn: {run_dir} has no intact checkpoint; starting it again from generation 0")
        else:
            log(
                f"turinglearn: resuming {run_dir} from {path.name} ({state['generation']} generations done)"
                + budget_words(config)
            )
            state["history"] = with_columns(state["history"], exp.columns)
        asked = {**(settings or {}), **(overrides or {})}  # what this session changed, in run.json's sessions
        session = {
            "from_generation": 0 if state is None else int(state["generation"]),
            "changed": {k: checkpoint.plain_value(v) for k, v in asked.items()},
            "changed_for_the_rest": sorted(settings or {}),  # written into config.toml; the others this session's
        }
        run = RunDir.reopen(run_dir, None if state is None else state["history"], lock, session)
    except BaseException:
        lock.release()
        raise
    return _named(_drive(exp, run, progress, hooks, handle_signals, state=state), simulator)


def _named(result: LearnResult, simulator) -> LearnResult:
    """``result`` with its config naming ``simulator``, the object that ran (as config.toml does)."""
    if simulator is not None and isinstance(result.config, Config):
        result.config = with_simulator(result.config, simulator)
    return result


def _drive(exp: Experiment, run, progress, hooks, handle_signals, state, fresh=False) -> LearnResult:
    """Run ``exp`` from ``state`` (a checkpoint; ``None``: from the start) to its end through
    the named hooks, then finish it and its run directory (unlocked at the end, however it ends).
    A ``fresh`` run (just created) that fails before its first generation is done is removed."""
    try:
        return _drive_locked(exp, run, progress, hooks, handle_signals, state, fresh)
    finally:
        if run is not None:
            run.release()


def _drive_locked(exp: Experiment, run, progress, hooks, handle_signals, state, fresh) -> LearnResult:
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
    exp.learner.hooks = [metrics, *([bar] if bar else []), *exp.hooks(run, history), keeper, *hooks]
    last = stop = None
    ended = (state or {}).get("stopped")  # a rule ended the run there before its evaluation was interrupted
    if ended is not None and ended["rule"] == "converge" and not exp.config.stopping.converge:
        ended = None  # resumed with the rule turned off: on to the ceiling
    if ended is not None and ended["rule"] not in BUDGETS:
        stop = StopRun(ended["rule"], int(ended["generation"]), ended.get("why", ""))
    try:
        stopper = _stopper(exp, history)  # last: every other hook has seen the generation
        exp.learner.hooks += [stopper] if stopper is not None else []
        with stop_on_signals(keeper, handle_signals):
            try:
                if exp.learner.generation < exp.generations and stop is None:
                    with exp.running():
                        try:
                            last = exp.learner.run(exp.generations)
                        except StopRun as e:  # a stopping rule (or a hook's Stop) fired: the run ends here, cleanly
                            if e.rule == "hook" and exp.distributed:  # the other processes would go on alone
                                raise TuringLearnError(
                                    "turinglearn.Stop cannot end a torchrun run: only the first process runs hooks; "
                                    "use stopping.max_time, max_simulations or converge, which every process follows"
                                ) from None
                            stop, last = e, keeper.record
                            stop.generation = keeper.done if stop.generation < 0 else stop.generation
            finally:
                if bar is not None:
                    bar.close()
            keeper.finishing = True  # a signal from now on stops at once (the checkpoint is written)
            if keeper.stop_signal is not None:
                raise Interrupted(keeper.stop_signal, max(keeper.done, 0))
            budget = stop is not None and stop.rule in BUDGETS
            if stop is not None and ended is None:  # resume finishes from here (continues: with --generations)
                keeper.write(stopped=None if stop.rule in BUDGETS else {**stop.record(), "why": stop.why})
            evaluates = not isinstance(exp.config, Config) or exp.config.evaluation.c2st_trials  # a GAN's metrics too
            if bar is not None and evaluates:  # the bar stood at its end while the held-out tests ran, silent
                print("turinglearn: the final evaluation (held-out tests, power, intervals)...", file=sys.stderr, flush=True)
            result = exp.finish(last, history, keeper.elapsed())
            if stop is not None:
                result.extra["stopped"] = stop.record()
                if budget and not exp.settled_now():  # cut short while still moving
                    result.extra["unsettled"] = True
            elif (  # the convergence rule was asked for and never fired (a peer's one round has none)
                isinstance(exp.config, Config) and exp.config.stopping.converge and exp.generations == exp.config.generations
                and exp.learner.generation >= exp.generations
            ):  # fmt: skip
                result.extra["unsettled"] = True
            if run is not None:
                run.close()
                exp.write_outputs(run, result)
                run.write_summary(result.summary())  # last: its presence marks a finished run
                if budget:  # finished for this session; `turinglearn resume` continues it
                    run.set_status(
                        "stopped", generations_done=stop.generation, stopped=stop.record(), reason=stop.why
                    )
                elif stop is not None:  # complete, ended by its convergence rule: run.json says so as for a budget
                    run.set_status("complete", generations_done=stop.generation, stopped=stop.record(), reason=stop.why)
                else:
                    run.set_status("complete", generations_done=exp.learner.generation)
                result.run_dir = run.path
    except BaseException as e:
        if run is not None and fresh and keeper.done < 0 and not isinstance(e, KeyboardInterrupt):
            run.discard()  # failed before any work (e.g. an unreachable scheduler): --out is free again
        else:
            _stopped(run, keeper, e)
        raise
    return result


def _stopper(exp: Experiment, history: dict) -> Stopper | None:
    """The hook that applies the config's ``[stopping]`` rules (``None`` when it sets none).
    Under torchrun the first process applies them and tells the others (a flag broadcast every
    generation), so that every process stops at the same step."""
    settings = exp.config.stopping
    if not settings.active:
        return None
    per_generation = 0
    if settings.max_simulations:
        per_generation = exp.simulations_per_generation()
    if settings.max_time and exp.lead:
        exp.end_seconds()  # timed now, once (its seconds count in the budget, as the setup's do)
    names, ranges, track, metric, averaging = (), (), "median", None, (1, "median")
    if settings.converge and isinstance(exp.config, GANConfig):  # the image metric's stalling
        from turinglearn.app.stopping import IMAGE_METRIC as metric

        if len(history.get(metric, ())) != len(history.get("generation", ())):
            raise ConfigError(
                f"this GAN run was started without it, and its metrics.csv has no {metric} to follow; "
                "resume it without converge (or with a budget: --max-time, --max-simulations)",
                "stopping.converge",
            )
    elif settings.converge:  # evolutionary runs: the estimate settling
        names, ranges = exp.names, exp.ranges  # evolutionary runs: each reported parameter's range
        ev = exp.config.evaluation
        track, averaging = ev.track, (ev.average_last, ev.average)  # the rule follows the run's estimate
    agree = None
    if exp.distributed:
        from turinglearn.gan.parallel import RankZeroDecides

        agree = RankZeroDecides()  # every process builds it here, at the same point
    return Stopper(
        settings, exp.learner, per_generation, history, names, ranges, track, exp.generations,
        metric=metric, lead=exp.lead, agree=agree, average_last=averaging[0], average=averaging[1],
        converge_after=exp.converge_after, since=lambda: exp.estimate_from, end_seconds=exp.end_seconds,
        start=exp.started,
    )  # fmt: skip


def _stopped(run: RunDir | None, keeper: Checkpointer, e: BaseException) -> None:
    """A run that ends early keeps what it did: the last finished generation's checkpoint, and
    run.json says why it stopped."""
    if run is None:
        return
    run.close()
    status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
    try:
        keeper.write()
    except TuringLearnError as write_error:  # e.g. the disk is full: report (once), keep e
        if str(write_error) != str(e):
            print(f"turinglearn: {write_error}", file=sys.stderr)
    try:
        run.set_status(status, generations_done=max(keeper.written, 0), error=_why(e))
    except TuringLearnError as write_error:
        if str(write_error) != str(e):
            print(f"turinglearn: {write_error}", file=sys.stderr)


def _why(e: BaseException) -> str:
    """run.json's one line on why a run stopped."""
    if isinstance(e, TuringLearnError):
        return str(e)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


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
    check: bool = True,
) -> LearnResult:
    """Run Turing Learning on a preset, a TOML file or a config in one call (default: the
    aggregation study; with a ``simulator`` of your own, the neutral ``own-system`` preset,
    docs/own-system.md); a GAN preset or config (``gan-digits``, ...) runs the GAN the same way.

    ``overrides`` take dotted keys (``{"environment.steps": 100}``); ``seed`` and
    ``generations`` are shortcuts for the top-level keys (without ``seed``, the config's: 0 in
    every preset, so two calls give the same run; pass ``seed=k`` for independent replicates;
    ``generations`` runs exactly that many: it turns a preset's ``stopping.converge`` off unless ``overrides`` set it). With ``out``, the run directory is
    written there; ``hooks`` are called with every :class:`~turinglearn.core.contracts.Generation`.
    ``simulator``: your own batched simulator instead of the config's environment (a
    :class:`~turinglearn.core.contracts.SwarmSimulator` or
    :class:`~turinglearn.core.contracts.InteractiveSimulator`), built with its own settings (an
    ``environment.*`` override that differs from the object's is refused); the run's ``config.toml`` then
    names the object and its settings: ``learn("DIR/config.toml", simulator=obj)`` reruns it with an
    object of the same class and settings (one whose settings differ is refused), while the command
    line refuses the file with a message (register the simulator as an environment id to make a
    run rerunnable from its file alone). A simulator, or an
    environment id of one's own (``"module:Name-v0"``, ``turinglearn/Gym-v0``), is checked first
    (:func:`~turinglearn.app.checks.check_environment`, a fraction of a second, its own random
    numbers): a broken contract raises :class:`~turinglearn.app.checks.ContractError` listing
    every problem instead of running on wrong samples; ``check=False`` skips that. A simulator
    without a truth run on recorded data (``data``) is not checked: the checker probes around
    the truth (give it one inside the bounds to check it).
    """
    refuse_simulator_as_config(config, "learn(simulator={name}(...))")
    extra = dict(overrides or {})
    if simulator is not None:
        check_instance(simulator)
        check_environment_overrides(simulator, extra)
    if seed is not None:
        extra["seed"] = seed
    if generations is not None:  # exactly that many: a preset's convergence rule is off
        extra["generations"] = generations
        extra.setdefault("stopping.converge", False)
    if config is None:  # the case study, or for a system of one's own the neutral preset
        if simulator is None:
            config = "aggregation"
        else:
            config = load_config("own-system", {"name": type(simulator).__name__})
    if isinstance(config, (Config, GANConfig)):
        cfg = config.replace(**extra) if extra else config
    elif simulator is not None and names_an_object(config):  # a run's config.toml, made with this object's class
        cfg = config_with_simulator(Path(config), simulator)
        cfg = cfg.replace(**extra) if extra else cfg
    else:
        cfg = paths_of_a_run(load_config(config, extra), config, extra)
        if simulator is None:
            check_names_an_environment(config, extra, cfg)
    if simulator is None and check:
        check_own_environment(cfg)
    # a GAN takes no simulator (its own error says so); the checker probes around the truth,
    # which a simulator of recorded data need not have
    untrue = "truth" in dir(simulator) and simulator.truth is None
    if simulator is not None and check and isinstance(cfg, Config) and not (cfg.data and untrue):
        from turinglearn.app.checks import check_environment

        check_environment(  # raises ContractError, one line a problem
            simulator, noise=cfg.evaluation.c2st_noise, policy=uses_policy(cfg)
        )
    return run_experiment(cfg, out=out, progress=progress, hooks=hooks, simulator=simulator)
