"""The one-call API: ``learn(...)`` builds the pieces from a config, runs, evaluates, reports.

>>> import turinglearn
>>> result = turinglearn.learn("aggregation", generations=200, seed=1)  # doctest: +SKIP
>>> result.inferred, result.abs_error                                   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, load_config, to_toml, validate_environment
from .core import stream
from .discriminators import ElmanNetwork
from .errors import ConfigError
from .evaluation import abs_error, model_c2st
from .gan.config import GANConfig
from .interactive import InteractiveSystem
from .learner import Generation, Hook, TuringLearner
from .metric import MetricLearner
from .optimizers import SelfAdaptiveES
from .runs import RunDir, metrics_columns
from .systems import SwarmSystem


def build(config: Config, hooks: Sequence[Hook] = (), simulator=None) -> TuringLearner | MetricLearner:
    """The composable pieces of an experiment, wired into a :class:`TuringLearner`.

    ``simulator`` replaces the environment the config names (its ``environment`` settings are
    then unused): any batched simulator that follows the swarm or the interrogation contract.
    """
    from .environments import sim_class

    if simulator is not None:
        sim = simulator
    else:
        sim = sim_class(config.environment.id)(validate_environment(config.environment))
    lc = config.learner
    if getattr(sim, "stimulus_space", None) is not None:
        system = InteractiveSystem(sim, lc.genuine_trials, lc.trials_per_model, passive=lc.passive)
        n_outputs = system.n_outputs
    else:
        system = SwarmSystem(sim, lc.trials_per_model, lc.genuine_per_trial)
        n_outputs = 1
    family = system.model_family
    models = SelfAdaptiveES(
        family.n_params, config.models, stream(config.seed, "models"), family.lower, family.upper
    )
    if lc.kind.startswith("metric-"):
        if not isinstance(system, SwarmSystem):
            raise ConfigError(
                f"learner.kind = {lc.kind!r} compares trajectories of a swarm; {config.environment.id} is "
                "interactive. Use learner.kind = 'turing' there",
                "learner.kind",
            )
        return MetricLearner(
            system, models, metric=lc.kind.removeprefix("metric-"), seed=config.seed, hooks=hooks
        )
    discriminator = ElmanNetwork(
        n_inputs=len(sim.feature_names), n_hidden=config.discriminators.hidden, n_outputs=n_outputs
    )
    discriminators = SelfAdaptiveES(
        discriminator.n_weights, config.discriminators, stream(config.seed, "discriminators")
    )
    return TuringLearner(
        system,
        discriminator,
        models,
        discriminators,
        seed=config.seed,
        hooks=hooks,
        hall_of_fame=lc.hall_of_fame,
        hall_of_fame_every=lc.hall_of_fame_every,
    )


def metrics_row(record: Generation, names: Sequence[str]) -> dict[str, float]:
    """One generation's row of metrics.csv (columns: :func:`turinglearn.runs.metrics_columns`)."""
    q25, med, q75 = np.quantile(record.models, [0.25, 0.5, 0.75], axis=0)
    best = record.best
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


class ProgressBar:
    """Hook: a tqdm bar with the generation, the models' median and the discriminators' mean fitness."""

    def __init__(self, total: int, names: Sequence[str], initial: int = 0):
        from tqdm.auto import tqdm

        self.names = names
        self.bar = tqdm(total=total, initial=initial, unit="gen", dynamic_ncols=True, desc="turinglearn")

    def __call__(self, record: Generation) -> None:
        med = ", ".join(f"{v:+.2f}" for v in record.median)
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


@dataclass
class LearnResult:
    """What a run found.

    inferred: population median of the final models [d]; best: the final model with the highest
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


def run_experiment(
    config: Config,
    out: str | Path | None = None,
    progress: bool = False,
    hooks: Sequence[Hook] = (),
    simulator=None,
) -> LearnResult:
    """Run ``config`` to the end; with ``out``, write a run directory (see :mod:`turinglearn.runs`).
    A GAN config (``learner.kind = "gan"``) runs :func:`turinglearn.gan.experiment.run_gan`."""
    if getattr(config.learner, "kind", None) == "gan":
        from .gan.experiment import run_gan

        return run_gan(config, out=out, progress=progress, hooks=hooks)
    learner = build(config, simulator=simulator)  # before the run directory: bad input writes nothing
    run = RunDir.create(out, to_toml(config)) if out is not None else None
    names = learner.system.model_family.names
    history: dict[str, list[float]] = {c: [] for c in metrics_columns(names)}

    def record_metrics(record: Generation) -> None:
        row = metrics_row(record, names)
        for k, v in row.items():
            history[k].append(float(v))
        if run is not None:
            run.append_metrics(row)

    bar = ProgressBar(config.generations, names) if progress else None
    probes = None
    if isinstance(learner.system, InteractiveSystem) and not learner.system.passive:
        probes = InterrogationRecorder(learner.system, learner.discriminator, config.generations, config.seed)
    learner.hooks = [record_metrics, *([bar] if bar else []), *([probes] if probes else []), *hooks]
    t0 = time.perf_counter()
    try:
        last = learner.run(config.generations)
    except BaseException as e:
        if run is not None:
            run.close()
            run.set_status(
                "interrupted" if isinstance(e, KeyboardInterrupt) else "failed",
                generations_done=learner.generation,
                error=repr(e),
            )
        raise
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0

    inferred = last.median
    truth = learner.system.truth
    c2st = None
    if config.evaluation.c2st_trials > 0:
        c2st = model_c2st(
            learner.system,
            inferred,
            stream(config.seed, "evaluation"),
            config.evaluation.c2st_trials,
            config.evaluation.c2st_folds,
            config.evaluation.c2st_noise,
        )
    result = LearnResult(
        config=config,
        names=tuple(names),
        inferred=inferred,
        best=last.best,
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
    sim = learner.system.sim
    if hasattr(sim, "behaviour_metrics") and config.evaluation.c2st_trials > 0:
        # task-level behaviour of the inferred model, e.g. how well it clusters objects
        result.extra["behaviour"] = sim.behaviour_metrics(inferred, stream(config.seed, "evaluation", 2))
    if simulator is not None:
        result.extra["simulator"] = type(simulator).__name__
    if isinstance(learner.system, InteractiveSystem):
        result.extra["mode"] = "passive" if learner.system.passive else "interactive"

    if run is not None:
        family = learner.system.model_family
        _finish_run(run, result, learner.system.sim.feature_names, (family.lower, family.upper))
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
