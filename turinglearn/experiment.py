"""The one-call API: ``learn(...)`` builds the pieces from a config, runs, evaluates, reports.

>>> import turinglearn
>>> result = turinglearn.learn("aggregation", generations=200, seed=1)  # doctest: +SKIP
>>> result.inferred, result.abs_error                                   # doctest: +SKIP
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import AVERAGES, TRACKS, Config, load_config, to_toml, validate_environment
from .core import stream
from .discriminators import ElmanNetwork
from .errors import ConfigError, RunDirError, TuringLearnError
from .evaluation import abs_error, model_c2st
from .execution import ChunkedEvaluator, make_backend
from .gan.config import GANConfig
from .interactive import InteractiveSystem
from .learner import Generation, Hook, TuringLearner
from .metric import MetricLearner
from .optimizers import SelfAdaptiveES
from .policies import report, reported_family
from .runs import RunDir, metrics_columns
from .systems import SwarmSnapshotSystem, SwarmSystem


def _require(module: str, extra: str, key: str, kind: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{kind!r} needs {module}: pip install 'turinglearn[{extra}]'", key)


def make_policy(models, n_states: int):
    """The policy family that ``models.kind`` names (not ``reactive``), over ``n_states`` sensor states."""
    from .policies import GRUPolicy, MLPPolicy

    if models.kind == "mlp":
        return MLPPolicy(n_states, models.hidden, models.weight_bound)
    if models.kind == "gru":
        return GRUPolicy(n_states, models.hidden, models.weight_bound)
    _require("deap", "gp", "models.kind", "gp")
    from .gp import GPFamily

    return GPFamily(n_states, models.max_nodes)


def build_system(config: Config, simulator=None):
    """The system to learn and the discriminator family that judges it (``None`` for the
    metric-based learners), as ``config`` describes them. Worker processes call this too, to
    rebuild the system from the config instead of receiving it pickled."""
    from .environments import sim_class

    if simulator is not None:
        sim = simulator
    else:
        sim = sim_class(config.environment.id)(validate_environment(config.environment))
    lc, mc, dc = config.learner, config.models, config.discriminators
    if config.execution.array == "torch":
        if mc.kind != "reactive" or dc.kind != "elman" or config.data:
            raise ConfigError(
                "the torch backend simulates reactive models against Elman discriminators, without "
                f"recordings; got models.kind = {mc.kind!r}, discriminators.kind = {dc.kind!r}"
                + (f", data = {config.data!r}" if config.data else ""),
                "execution.array",
            )
        from .torch_backend import torch_system

        system, discriminator = torch_system(sim, lc, config.execution, dc.hidden)
        return system, (None if lc.kind.startswith("metric-") else discriminator)
    interactive = getattr(sim, "stimulus_space", None) is not None
    where = type(sim).__name__ if simulator is not None else config.environment.id
    if mc.kind != "reactive":
        if interactive or not hasattr(getattr(sim, "model_family", None), "n_states"):
            raise ConfigError(
                f"{mc.kind!r} runs a policy in the place of a swarm's reactive controller; {where} has none. "
                "Use models.kind = 'reactive'",
                "models.kind",
            )
        from .policies import PolicySwarm

        sim = PolicySwarm(sim, make_policy(mc, sim.model_family.n_states))
    if dc.kind != "elman" and interactive:
        raise ConfigError(
            f"{dc.kind!r} judges passive samples; {where} is interrogated. Use discriminators.kind = 'elman'",
            "discriminators.kind",
        )
    if config.data and dc.kind == "swarm":
        raise ConfigError(
            "a recording holds individuals' trajectories, not whole swarms; use discriminators.kind = "
            "'elman' or 'gru' with data",
            "discriminators.kind",
        )
    if config.data:
        system = _recorded_system(config, sim)
        n_outputs = 1
    elif interactive:
        system = InteractiveSystem(sim, lc.genuine_trials, lc.trials_per_model, passive=lc.passive)
        n_outputs = system.n_outputs
    elif dc.kind == "swarm":
        system = SwarmSnapshotSystem(sim, lc.trials_per_model)
    else:
        system = SwarmSystem(sim, lc.trials_per_model, lc.genuine_per_trial)
        n_outputs = 1
    if lc.kind.startswith("metric-"):
        if isinstance(system, InteractiveSystem):
            raise ConfigError(
                f"learner.kind = {lc.kind!r} compares trajectories of a swarm; {config.environment.id} is "
                "interactive. Use learner.kind = 'turing' there",
                "learner.kind",
            )
        return system, None
    if dc.kind == "gru":
        from .neural import GRUClassifier

        return system, GRUClassifier(n_inputs=len(sim.feature_names), n_hidden=dc.hidden)
    if dc.kind == "swarm":
        from .neural import SwarmSetClassifier

        return system, SwarmSetClassifier(n_inputs=system.n_inputs, n_hidden=dc.hidden)
    discriminator = ElmanNetwork(
        n_inputs=len(sim.feature_names), n_hidden=config.discriminators.hidden, n_outputs=n_outputs
    )
    return system, discriminator


def _recorded_system(config: Config, sim):
    """Genuine samples from the recording ``config.data``, counterfeit ones from ``sim``."""
    from .recordings import RecordedSystem, read_recording

    if getattr(sim, "stimulus_space", None) is not None and not config.learner.passive:
        raise ConfigError(
            "a recording cannot respond to interrogators; learn from it passively: "
            "set learner.passive = true (--passive)",
            "data",
        )
    rec = read_recording(
        config.data, sim.feature_names, sim.config.steps, getattr(sim, "feature_space", None)
    )
    lc = config.learner
    return RecordedSystem(sim, rec, lc.trials_per_model, lc.genuine_per_trial)


def build(
    config: Config, hooks: Sequence[Hook] = (), simulator=None, backend=None
) -> TuringLearner | MetricLearner:
    """The composable pieces of an experiment, wired into a :class:`TuringLearner` (or a
    :class:`~turinglearn.metric.MetricLearner` for the metric-based baselines).

    ``simulator`` replaces the environment the config names (its ``environment`` settings are
    then unused): any batched simulator that follows the swarm or the interrogation contract.
    ``backend``: where the chunks of every generation run (default in-process; see
    :mod:`turinglearn.execution`).
    """
    system, discriminator = build_system(config, simulator)
    evaluator = ChunkedEvaluator(
        config.execution.chunk_size, backend, None if simulator is not None else config
    )
    family, mc, dc = system.model_family, config.models, config.discriminators
    if mc.kind == "gp":
        from .gp import GPOptimizer

        models = GPOptimizer(family, mc.population, mc.parents, stream(config.seed, "models"), mc.crossover)
    else:
        models = SelfAdaptiveES(
            family.n_params, mc, stream(config.seed, "models"), family.lower, family.upper
        )
    if discriminator is None:
        metric = config.learner.kind.removeprefix("metric-")
        return MetricLearner(
            system, models, metric=metric, seed=config.seed, hooks=hooks, evaluator=evaluator
        )
    if dc.kind == "elman":
        discriminators = SelfAdaptiveES(discriminator.n_weights, dc, stream(config.seed, "discriminators"))
    else:
        _require("torch", "neural", "discriminators.kind", dc.kind)
        from .neural import GradientTrainer

        discriminators = GradientTrainer(
            discriminator, stream(config.seed, "discriminators"), dc.learning_rate, dc.train_steps
        )
    return TuringLearner(
        system,
        discriminator,
        models,
        discriminators,
        seed=config.seed,
        hooks=hooks,
        hall_of_fame=config.learner.hall_of_fame,
        hall_of_fame_every=config.learner.hall_of_fame_every,
        evaluator=evaluator,
    )


def metrics_row(record: Generation, names: Sequence[str], view=None) -> dict[str, float]:
    """One generation's row of metrics.csv (columns: :func:`turinglearn.runs.metrics_columns`).

    view: maps the models [M, d] to the reported values [M, len(names)] (policy families: their
    effective controllers, :func:`turinglearn.policies.report`); default: the parameters."""
    values = record.models if view is None else view(record.models)
    q25, med, q75 = np.quantile(values, [0.25, 0.5, 0.75], axis=0)
    best = values[int(np.argmax(record.model_fitness))]
    row: dict[str, float] = {"generation": record.generation, "seconds": record.seconds}
    for i, n in enumerate(names):
        row.update({f"{n}_median": med[i], f"{n}_q25": q25[i], f"{n}_q75": q75[i], f"{n}_best": best[i]})
    f_d = record.discriminator_fitness  # empty for metric-based learners
    row.update(
        model_fitness_mean=record.model_fitness.mean(),
        model_fitness_max=record.model_fitness.max(),
        discriminator_fitness_mean=f_d.mean() if f_d.size else float("nan"),
        discriminator_fitness_max=f_d.max() if f_d.size else float("nan"),
    )
    return row


def estimate(
    history: dict,
    names: Sequence[str],
    average_last: int = 1,
    average: str = "median",
    track: str = "median",
) -> np.ndarray:
    """The inferred model [d]: the population median (``track = "median"``, metrics.csv's
    ``NAME_median`` columns) or each generation's fittest model (``"best"``, ``NAME_best``)
    averaged (``average``: ``median`` or ``mean``, per parameter) over the last ``average_last``
    generations of ``history``, but never over more than the second half of the run (a
    shortened run must not average its first, random generations into the estimate)."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {', '.join(AVERAGES)}, got {average!r}")
    if track not in TRACKS:
        raise ValueError(f"track must be one of {', '.join(TRACKS)}, got {track!r}")
    values = np.array([history[f"{n}_{track}"] for n in names], dtype=float)  # [d, G]
    k = max(1, min(average_last, (values.shape[1] + 1) // 2))
    return getattr(np, average)(values[:, -k:], axis=1)  # AVERAGES are numpy's own names


class ProgressBar:
    """Hook: a tqdm bar with the generation, the models' median and the discriminators' mean fitness."""

    def __init__(self, total: int, names: Sequence[str], initial: int = 0, view=None):
        from tqdm.auto import tqdm

        self.names, self.view = names, view
        self.bar = tqdm(total=total, initial=initial, unit="gen", dynamic_ncols=True, desc="turinglearn")

    def __call__(self, record: Generation) -> None:
        median = record.median if self.view is None else np.median(self.view(record.models), axis=0)
        med = ", ".join(f"{v:+.2f}" for v in median)
        f_d = record.discriminator_fitness  # empty for metric-based learners
        extra = (
            f" D-fitness={f_d.mean():.2f}" if f_d.size else f" best fitness={record.model_fitness.max():.3g}"
        )
        self.bar.set_postfix_str(f"median=({med}){extra}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class InterrogationRecorder:
    """Hook: at a few generations, what the best interrogator does to the genuine system in one
    trial (its stimuli [T, k] and the system's response [T, F]), for the interrogation plot."""

    def __init__(
        self, system: InteractiveSystem, discriminator, generations: int, seed: int, points: int = 5
    ):
        self.system, self.discriminator, self.seed = system, discriminator, seed
        self.at = sorted({round(i * (generations - 1) / (points - 1)) for i in range(points)})
        self.stimuli: dict[int, np.ndarray] = {}
        self.responses: dict[int, np.ndarray] = {}

    def __call__(self, record: Generation) -> None:
        if record.generation not in self.at:
            return
        best = record.discriminators[int(np.argmax(record.discriminator_fitness))]
        rng = stream(self.seed, "evaluation", 1, record.generation)
        run = self.system.run(self.system.truth[None], self.discriminator, best[None], rng, record=True)
        self.stimuli[record.generation] = run.stimuli[0, :, 0]  # [T, k]
        self.responses[record.generation] = run.features[0, :, 0]  # [T, F]

    def state_dict(self) -> dict:
        return {
            "stimuli": {str(g): v for g, v in self.stimuli.items()},
            "responses": {str(g): v for g, v in self.responses.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.stimuli = {int(g): np.asarray(v) for g, v in state["stimuli"].items()}
        self.responses = {int(g): np.asarray(v) for g, v in state["responses"].items()}


@dataclass
class LearnResult:
    """What a run found.

    inferred: population median of the final models [d] (or its median or mean over the last
    ``evaluation.average_last`` generations; with ``evaluation.track = "best"``, of each
    generation's fittest model instead of the population median); best: the final model with the highest
    fitness [d]; truth / abs_error: [d] where the truth is known; c2st: held-out classifier
    accuracy between genuine and inferred-model trajectories (0.5 = indistinguishable);
    history: metrics.csv's columns over generations; models / discriminators: final evaluated
    populations [M, d] / [D, k] with their fitness.
    """

    config: Config
    names: tuple[str, ...]
    inferred: np.ndarray
    best: np.ndarray
    truth: np.ndarray | None
    abs_error: np.ndarray | None
    c2st: float | None
    history: dict[str, np.ndarray]
    models: np.ndarray
    model_fitness: np.ndarray
    discriminators: np.ndarray
    discriminator_fitness: np.ndarray
    seconds: float
    run_dir: Path | None = None
    interrogations: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def estimate(self, track: str | None = None) -> np.ndarray:
        """The run's estimate [d] following ``track`` (default: the config's ``evaluation.track``)
        over the config's window: :func:`estimate` on ``history``, so a finished run can be read
        either way without running it again."""
        ev = self.config.evaluation
        return estimate(self.history, self.names, ev.average_last, ev.average, track or ev.track)

    def summary(self) -> dict[str, Any]:
        """The run's summary.json (the schema every preset writes)."""
        as_list = lambda a: None if a is None else [float(v) for v in a]  # noqa: E731
        return {
            "name": self.config.name,
            "environment": self.extra.get("simulator", self.config.environment.id),
            "seed": self.config.seed,
            "parameters": list(self.names),
            "truth": as_list(self.truth),
            "inferred": as_list(self.inferred),
            "best": as_list(self.best),
            "abs_error": as_list(self.abs_error),
            "max_abs_error": None if self.abs_error is None else float(np.max(self.abs_error)),
            "c2st": self.c2st,
            "generations": len(self.history.get("generation", [])),
            "seconds": round(self.seconds, 3),
            "seconds_per_generation": round(
                self.seconds / max(1, len(self.history.get("generation", []))), 5
            ),
            **self.extra,
        }


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM) after a checkpoint was written."""

    def __init__(self, signum: int, generation: int):
        import signal as _signal

        self.signum, self.generation = signum, generation
        super().__init__(f"{_signal.Signals(signum).name} at generation {generation}")


class Checkpointer:
    """Hook: keeps the state of the last finished generation, writes it every ``every``
    generations and at the last one, and on request (a signal) writes it and stops the run.

    The state is what :func:`resume` needs to continue exactly: the learner's
    ``state_dict()``, the last evaluated generation, the metrics so far and the state of the
    interrogation recorder.
    """

    def __init__(self, run: RunDir | None, learner, history, probes, every: int, keep: int, total: int):
        self.run, self.learner, self.history, self.probes = run, learner, history, probes
        self.every, self.keep, self.total = every, keep, total
        self.snapshot: dict | None = None
        self.written = -1
        self.stop_signal: int | None = None
        self.seconds_before = 0.0
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return self.seconds_before + time.perf_counter() - self.t0

    def __call__(self, record: Generation) -> None:
        done = self.learner.generation
        self.snapshot = {
            "generation": done,
            "learner": self.learner.state_dict(),
            "last": {
                "generation": record.generation,
                "models": record.models,
                "model_fitness": record.model_fitness,
                "discriminators": record.discriminators,
                "discriminator_fitness": record.discriminator_fitness,
                "seconds": record.seconds,
            },
            "rows": len(self.history["generation"]),
            "probes": None if self.probes is None else self.probes.state_dict(),
            "seconds": self.elapsed(),
        }
        if self.run is not None and self.every and (done % self.every == 0 or done == self.total):
            self.write()
        if self.stop_signal is not None:
            self.write()
            raise Interrupted(self.stop_signal, done)

    def write(self) -> None:
        """Write the last finished generation's checkpoint (if it is not written yet)."""
        from . import checkpoint

        if self.run is None or self.snapshot is None or self.snapshot["generation"] == self.written:
            return
        state = dict(self.snapshot)
        rows = state.pop("rows")
        state["history"] = {k: np.asarray(v[:rows], dtype=float) for k, v in self.history.items()}
        checkpoint.save(self.run.path, state["generation"], state, self.keep)
        self.written = state["generation"]


@contextmanager
def _stop_on_signals(checkpointer: Checkpointer, enabled: bool):
    """SIGINT and SIGTERM ask the run to stop after the current generation (checkpoint
    written); a second SIGINT stops at once."""
    import signal

    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum, frame):
        if checkpointer.stop_signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        checkpointer.stop_signal = signum
        print(
            f"\nturinglearn: {signal.Signals(signum).name}: stopping after this generation "
            "(again Ctrl-C to stop at once)",
            file=sys.stderr,
        )

    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


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
        from .gan.experiment import run_gan

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
    from . import checkpoint
    from .runs import CONFIG_FILE, read_status

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
        with _stop_on_signals(keeper, handle_signals):
            if learner.generation < config.generations:
                backend = make_backend(ex, log=lambda m: print(m, file=sys.stderr))
                learner.evaluator = ChunkedEvaluator(
                    ex.chunk_size, backend, None if simulator is not None else config
                )
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
    from .report import plot_fitness, plot_parameters

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
        from .report import plot_interrogations

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
