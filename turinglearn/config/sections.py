"""Typed, validated experiment configs, read from TOML presets or files.

A config is a tree of frozen dataclasses. Every key can be overridden with a dotted name
(``models.population=50``, ``environment.truth=[0.1, -1, 1, -1]``); values are TOML. Errors name
the setting and the fix, and are raised before anything is written.
"""


from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from turinglearn.core.optimizers import ESConfig
from turinglearn.errors import ConfigError, check_at_least

if typing.TYPE_CHECKING:  # pragma: no cover
    from turinglearn.config.gan import GANConfig
from turinglearn.config.schema import (
    allow_infinity,
    build_dataclass,
    check_run_name,
    coerce,
    plain,
    set_dotted,
)

# the one float setting where infinity means something: no cap on the step sizes
# (docs/design.md, "Step sizes"; the swarm presets' discriminators: sigma_max = inf)
allow_infinity("models.sigma_max", "discriminators.sigma_max")


@dataclass(frozen=True)
class EnvironmentConfig:
    """Which environment, plus its own settings (validated by the environment's config class).

    id: a registered environment id (``turinglearn/Aggregation-v0``; ``module:Name-v0`` imports
    the module that registers it first);
    options: the environment's own settings. In TOML and ``--set`` they are keys of
    ``[environment]`` itself (``environment.steps = 100``), not a table of their own.
    """

    id: str = "turinglearn/Aggregation-v0"
    options: Mapping[str, Any] = field(default_factory=dict)




@dataclass(frozen=True)
class LearnerConfig:
    """Which learner, and how samples are made each generation.

    kind: ``turing`` (models against discriminators), or a metric-based baseline with the
    same models, optimiser and simulations: ``metric-sse`` (sum of squared errors of the speed
    time series) or ``metric-histogram`` (distance between per-step speed histograms);

    trials_per_model: trials of each model (per interrogator, when interrogating);
    genuine_per_trial: swarms: genuine agents per trial shown to the discriminators;
    genuine_trials: interactive systems: trials of the system each interrogator runs;
    passive: interactive systems: apply the environment's fixed stimulus schedule instead of
    letting the discriminators interrogate;
    hall_of_fame / hall_of_fame_every: archive the generation's best discriminator every so
    many generations, keep the last ``hall_of_fame``, and let them judge the models too
    (0: the papers' algorithm; see :class:`~turinglearn.core.learner.TuringLearner`).
    """

    kind: str = "turing"
    trials_per_model: int = 1
    genuine_per_trial: int = 1
    genuine_trials: int = 100
    passive: bool = False
    hall_of_fame: int = 20
    hall_of_fame_every: int = 10

    def __post_init__(self):
        if self.hall_of_fame < 0:
            raise ConfigError(f"must be 0 (none) or more, got {self.hall_of_fame}", "hall_of_fame")
        check_at_least(self, hall_of_fame_every=1)
        check_at_least(self, genuine_trials=1, trials_per_model=1, genuine_per_trial=1)




@dataclass(frozen=True)
class ModelConfig(ESConfig):
    """What a model is, and how the models evolve.

    kind: ``reactive`` (the environment's own controller parameters, e.g. the 4 wheel speeds
    of aggregation), or, for swarm environments, a policy in the replicas' place: ``mlp``
    (a neural policy), ``gru`` (a recurrent one) or ``gp`` (an evolved program per wheel; see
    :mod:`turinglearn.families.gp`). ``reactive``, ``mlp`` and ``gru`` evolve by the
    self-adaptive ES (the inherited settings); ``gp`` by DEAP's tree operators with the same
    ``population`` and ``parents``;
    hidden: tanh units of an ``mlp`` policy, GRU units of a ``gru`` policy;
    weight_bound: the policies' weights lie in ``[-weight_bound, weight_bound]``;
    max_nodes: at most this many nodes in each ``gp`` program;
    crossover: the probability of a subtree crossover per ``gp`` offspring.
    """

    kind: str = "reactive"
    hidden: int = 4
    weight_bound: float = 3.0
    max_nodes: int = 24
    crossover: float = 0.3

    def __post_init__(self):
        super().__post_init__()
        check_at_least(self, hidden=1, max_nodes=3)
        if not self.weight_bound > 0:
            raise ConfigError(f"must be positive, got {self.weight_bound}", "weight_bound")
        if not 0 <= self.crossover <= 1:
            raise ConfigError(f"must be a probability in [0, 1], got {self.crossover}", "crossover")




@dataclass(frozen=True)
class DiscriminatorConfig(ESConfig):
    """What a discriminator is, and how it learns.

    kind: ``elman`` (the papers' Elman networks, evolved by the ES settings inherited here);
    ``gru`` (one GRU classifier over an individual's trajectory) or ``swarm`` (one
    permutation-invariant DeepSets classifier over snapshots of whole swarms; see
    :class:`~turinglearn.systems.swarm.SwarmSnapshotSystem`): these two are trained by Adam on
    every generation's samples (need torch: ``pip install 'turinglearn[neural]'``); the ES
    settings do not apply to them;
    hidden: hidden units of the Elman network, the GRU or the DeepSets classifier;
    learning_rate: Adam's learning rate (``gru``, ``swarm``);
    train_steps: Adam steps per generation (``gru``, ``swarm``);
    kernels: how Elman networks judge: ``numba`` (the default: one compiled kernel on every
    core) or ``numpy`` (the readable reference path; the same judgements up to float32 rounding).
    """

    kind: str = "elman"
    hidden: int = 5
    learning_rate: float = 0.01
    train_steps: int = 5
    kernels: str = "numba"

    def __post_init__(self):
        super().__post_init__()
        check_at_least(self, hidden=1, train_steps=1)
        if self.kernels not in ("numba", "numpy"):
            raise ConfigError(f"must be numba or numpy, got {self.kernels!r}", "kernels")
        if not self.learning_rate > 0:
            raise ConfigError(f"must be positive, got {self.learning_rate}", "learning_rate")


AVERAGES = ("median", "mean")  # statistics over the window; numpy function names (app.results.estimate)
TRACKS = ("median", "best")  # which model of each generation the window follows (metrics.csv's NAME_<track>)


@dataclass(frozen=True)
class EvaluationConfig:
    """c2st_trials: fresh trials of the inferred model for the two-sample test (0 skips it);
    c2st_folds: cross-validation folds; c2st_noise: standard deviation of the tracking noise
    added to every observed feature of both classes before the classifier sees them. The
    simulations are deterministic given the sensor readings, so without noise any parameter
    difference, however small, is perfectly separable; with it, C2ST measures whether the
    behaviours differ at that tracking precision.

    average_last: the inferred model is the population median averaged over the last this many
    generations (at most the second half of the run, so a shortened run does not average in its
    first, random generations); 1, the default, takes the final generation's median. A
    coevolving population does not settle: its median wanders around the truth from generation
    to generation, and averaging the iterates (Polyak-Ruppert) damps that wander.
    average: how the window is averaged, per parameter: ``median`` (the default; a sweep of the
    population that lasts fewer than half the window, as when the discriminators briefly lose
    the trail, does not move it) or ``mean``.
    track: which model of each generation the window follows: ``median`` (the default; the
    population median, per parameter) or ``best`` (the generation's fittest model, the one that
    fooled the most judges). metrics.csv records both (``NAME_median``, ``NAME_best``), so a
    finished run can be re-estimated either way (:func:`turinglearn.app.results.estimate`).

    The held-out test's trust report (:mod:`turinglearn.core.trust`; docs/design.md, "The
    held-out test"): c2st_schedule: what drives both sides of an interactive system in the
    test: ``passive`` (the passive schedule), ``random`` (uniform stimuli every step),
    ``interrogators`` (the final interrogators, population plus hall of fame, closed loop),
    a path to a ``.npy`` file of shape [T, k] or [n, T, k] (a schedule of one's own), or
    ``auto`` (the default: every schedule that applies is run and the headline C2ST is the
    one under which the model is told apart best). Systems without stimuli have one test.
    intervals: ``fast`` (the default), ``thorough`` (twice the trials, finer search, more
    permutations) or ``off``: an interval for every parameter by inverting the fast test, and
    its power against moved parameters.
    level: the fast test's level (0.9): a model is rejected when its accuracy exceeds this
    quantile of the null distribution, so the intervals are ``level`` intervals.
    power_moves: the moves of each parameter, as fractions of its range, whose power is
    reported; the largest decides whether the test vouches for the parameter.
    pair: two parameter names: also map the test over a grid of that pair (pair_map.png)."""

    c2st_trials: int = 200
    c2st_folds: int = 5
    c2st_noise: float = 0.05
    average_last: int = 1
    average: str = "median"
    track: str = "median"
    c2st_schedule: str = "auto"
    intervals: str = "fast"
    level: float = 0.9
    power_moves: tuple[float, ...] = (0.05, 0.2)
    pair: tuple[str, ...] = ()

    def __post_init__(self):
        if self.average not in AVERAGES:
            raise ConfigError(f"must be one of {', '.join(AVERAGES)}, got {self.average!r}", "average")
        if self.track not in TRACKS:
            raise ConfigError(f"must be one of {', '.join(TRACKS)}, got {self.track!r}", "track")
        if not self.c2st_noise >= 0:
            raise ConfigError(f"must be 0 or more, got {self.c2st_noise}", "c2st_noise")
        if self.c2st_trials < 0:
            raise ConfigError(f"must be 0 (skip) or more, got {self.c2st_trials}", "c2st_trials")
        check_at_least(self, c2st_folds=2, average_last=1)
        from turinglearn.core.trust import INTERVALS, SCHEDULES

        if self.c2st_schedule not in SCHEDULES and not self.c2st_schedule.endswith(".npy"):
            raise ConfigError(
                f"must be one of {', '.join(SCHEDULES)} or a .npy file, got {self.c2st_schedule!r}",
                "c2st_schedule",
            )
        if self.intervals not in INTERVALS:
            raise ConfigError(f"must be one of {', '.join(INTERVALS)}, got {self.intervals!r}", "intervals")
        if not 0 < self.level < 1:
            raise ConfigError(f"must lie strictly between 0 and 1, got {self.level}", "level")
        if not self.power_moves or not all(0 < m <= 1 for m in self.power_moves):
            raise ConfigError(f"must be fractions of the range in (0, 1], got {self.power_moves}", "power_moves")
        if len(self.pair) not in (0, 2) or len(set(self.pair)) != len(self.pair):
            raise ConfigError(f"must name two different parameters (or none), got {list(self.pair)}", "pair")
        if 0 < self.c2st_trials < self.c2st_folds:  # each fold needs a sample of each class
            raise ConfigError(
                f"must be 0 (skip) or at least c2st_folds = {self.c2st_folds} (every fold of the two-sample "
                f"test needs a sample of each class), got {self.c2st_trials}",
                "c2st_trials",
            )


BACKENDS = ("inprocess", "processes", "dask")


@dataclass(frozen=True)
class ExecutionConfig:
    """Where a run's work is done, and how it is kept safe.

    backend: ``inprocess`` (default), ``processes`` (a local process pool) or ``dask`` (a
    ``dask.distributed`` cluster);
    workers: processes or Dask workers to start (0: one per CPU core);
    scheduler: the address of a running Dask scheduler (``tcp://HOST:8786``); empty to start a
    LocalCluster;
    chunk_size: models per unit of work. The batch is cut into chunks of this many models and
    each chunk draws from its own random stream, so the chunks, not the workers, fix the
    numbers: a run gives bit-identical results on every backend and worker count. Changing
    ``chunk_size`` changes the random numbers (not the algorithm);
    retries: times a chunk whose worker died, hung or failed is run again before the run stops;
    timeout: seconds after which a chunk is presumed hung (0: wait for ever);
    checkpoint_every: generations between checkpoints of a run directory (0: none);
    keep_checkpoints: how many of the newest checkpoints are kept;
    array: ``numpy`` (default) or ``torch``: simulate and judge with torch tensors (see
    :mod:`turinglearn.execution.torch_swarm`);
    device: where the torch tensors live: ``cpu``, ``cuda`` or ``cuda:N`` (anything but ``cpu``
    needs ``array = "torch"``);
    precision: ``float32`` or ``float64`` for the torch tensors; empty: float32 on CUDA,
    float64 on the CPU.
    """

    backend: str = "inprocess"
    workers: int = 0
    scheduler: str = ""
    chunk_size: int = 50
    retries: int = 2
    timeout: float = 0.0
    checkpoint_every: int = 50
    keep_checkpoints: int = 3
    array: str = "numpy"
    device: str = "cpu"
    precision: str = ""

    def __post_init__(self):
        if self.array not in ("numpy", "torch"):
            raise ConfigError(f"must be numpy or torch, got {self.array!r}", "array")
        if self.precision not in ("", "float32", "float64"):
            raise ConfigError(
                f"must be float32, float64 or empty (automatic), got {self.precision!r}", "precision"
            )
        if self.device != "cpu" and self.array != "torch":
            raise ConfigError(
                f"device {self.device!r} needs array = 'torch' (numpy runs on the CPU)", "device"
            )
        if self.backend not in BACKENDS:
            raise ConfigError(f"must be one of {', '.join(BACKENDS)}, got {self.backend!r}", "backend")
        if self.scheduler and self.backend != "dask":
            raise ConfigError(
                f"a scheduler address needs backend = 'dask', got backend = {self.backend!r}", "scheduler"
            )
        check_at_least(self, workers=0, chunk_size=1, retries=0, checkpoint_every=0, keep_checkpoints=1)
        if not self.timeout >= 0:
            raise ConfigError(f"must be 0 (no limit) or more seconds, got {self.timeout}", "timeout")


@dataclass(frozen=True)
class Config:
    """A whole experiment.

    name: the run's name (run directories are ``runs/NAME-sSEED-TIME``);
    seed: the one root of all randomness in the run;
    generations: how many generations the run lasts;
    data: a path to data the learner learns from; empty for none. Its meaning depends on
    the learner: for the simulated systems (``learner.kind = "turing"`` and the metric-based
    baselines) it is a recording of genuine trajectories (:mod:`turinglearn.systems.recorded`),
    which then replaces the simulated system as the source of genuine samples; a learner of
    images reads its image data from it.
    """

    name: str = "aggregation"
    seed: int = 0
    generations: int = 1000
    data: str = ""
    # the defaults: the aggregation study with one replica per trial and the final median;
    # every preset file starts from them (the aggregation preset steadies the estimate)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    models: ModelConfig = field(default_factory=lambda: ModelConfig(sigma_max=1.0))
    discriminators: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)

    def __post_init__(self):
        # validate the environment's own settings and store them resolved (defaults filled in)
        env_cfg = validate_environment(self.environment)
        options = plain(dataclasses.asdict(env_cfg))
        object.__setattr__(self, "environment", EnvironmentConfig(self.environment.id, options))
        check_at_least(self, generations=1)
        if self.seed < 0:
            raise ConfigError(f"must be a non-negative integer, got {self.seed}", "seed")
        check_run_name(self.name)
        self._check_swarm()

    def _check_swarm(self) -> None:
        """What a swarm system (turinglearn.systems.swarm) needs of its environment's settings,
        checked here so that it is a ConfigError before anything runs."""
        options = self.environment.options
        if isinstance(options.get("n_replicas"), int) and options["n_replicas"] < 1:
            raise ConfigError(
                f"must be at least 1: the models run as the replicas, got {options['n_replicas']}",
                "environment.n_replicas",
            )
        agents = options.get("n_agents")
        if not self.data and isinstance(agents, int) and self.learner.genuine_per_trial > agents:
            raise ConfigError(
                f"must be at most environment.n_agents = {agents}, got {self.learner.genuine_per_trial}",
                "learner.genuine_per_trial",
            )

    def to_dict(self) -> dict:
        """Plain nested dict, as written to ``config.toml`` (environment options inlined)."""
        out = plain(dataclasses.asdict(self))
        env = out.pop("environment")
        out["environment"] = {"id": env["id"], **env["options"]}
        return out

    def replace(self, **overrides: Any) -> Config:
        """A copy with dotted-key overrides applied and validated: ``cfg.replace(**{"models.population": 20})``."""
        data = self.to_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return from_dict(data)


def validate_environment(env: EnvironmentConfig):
    """The environment's own config object; unknown ids, modules that fail to import and bad
    options are ConfigErrors (:func:`turinglearn.environments.id_problem` says which)."""
    from turinglearn.environments import config_class, id_problem

    problem = id_problem(env.id)
    if problem is not None:
        raise ConfigError(problem, "environment.id")
    return build_dataclass(config_class(env.id), env.options, "environment.")


_SECTIONS = {
    "learner": LearnerConfig,
    "models": ModelConfig,
    "discriminators": DiscriminatorConfig,
    "evaluation": EvaluationConfig,
    "execution": ExecutionConfig,
}


def from_dict(data: Mapping[str, Any]) -> Config | GANConfig:
    """Validate a nested dict (as read from TOML) into a :class:`Config`, or a
    :class:`~turinglearn.config.gan.GANConfig` when ``learner.kind = "gan"``."""
    data = dict(data)
    learner = data.get("learner")
    if isinstance(learner, Mapping) and learner.get("kind") == "gan":
        from turinglearn.config.gan import gan_config_from_dict

        return gan_config_from_dict(data)
    top = {f.name for f in fields(Config)}
    for key in data:
        if key not in top:
            raise ConfigError(f"unknown setting; valid top-level keys are: {', '.join(sorted(top))}", key)
    kwargs: dict[str, Any] = {}
    for key in ("name", "seed", "generations", "data"):
        if key in data:
            kwargs[key] = coerce(data[key], typing.get_type_hints(Config)[key], key)
    env_table = dict(data.get("environment", {}))
    env = EnvironmentConfig(id=coerce(env_table.pop("id", EnvironmentConfig.id), str, "environment.id"))
    kwargs["environment"] = EnvironmentConfig(id=env.id, options=env_table)
    defaults = Config()
    for key, cls in _SECTIONS.items():
        if key in data:
            base = dataclasses.asdict(vars(defaults)[key])
            table = data[key]
            if not isinstance(table, Mapping):
                raise ConfigError(f"must be a table, e.g. [{key}]", key)
            kwargs[key] = build_dataclass(cls, {**base, **table}, f"{key}.")
    return Config(**kwargs)
