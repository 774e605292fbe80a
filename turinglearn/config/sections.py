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
from turinglearn.errors import ConfigError, check_at_least, one_of, positive_int
from turinglearn.families._compiled import check_kernels
from turinglearn.families.elman import READOUTS

if typing.TYPE_CHECKING:  # pragma: no cover
    from turinglearn.config.gan import GANConfig
from turinglearn.config.learner import LearnerConfig
from turinglearn.config.run import EvaluationConfig, ExecutionConfig
from turinglearn.config.schema import (
    allow_infinity,
    build_dataclass,
    check_run_name,
    coerce,
    plain,
    set_dotted,
    unknown,
)
from turinglearn.config.stopping import StoppingConfig

# the one float setting where infinity means something: no cap on the step sizes
# (docs/design.md, "Step sizes"; the swarm presets' discriminators: sigma_max = inf)
allow_infinity("models.sigma_max", "discriminators.sigma_max")
#: a Config's models differ from ModelConfig's own defaults in these
IN_A_CONFIG = {"sigma_max": 1.0}
#: the own-system preset's step sizes, in each parameter's range (accepted where a kind does not read them)
RANGE_STEPS = {"sigma_scale": "range", "sigma_init": 0.5, "sigma_min": 0.005, "sigma_max": 0.5}


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
        if self.kind == "gp" and self.recombination != "discrete":
            raise ConfigError(
                "averages the ES's parameter vectors; gp programs breed by subtree crossover "
                "(models.crossover): leave recombination = 'discrete'",
                "recombination",
            )


@dataclass(frozen=True)
class DiscriminatorConfig(ESConfig):
    """What a discriminator is, and how it learns.

    kind: ``elman`` (the papers' Elman networks, evolved by the ES settings inherited here);
    ``features`` (a logistic classifier on a whole trajectory's summary statistics, the held-out
    test's features, evolved the same way; passive samples only, ``hidden`` unused; see
    :class:`~turinglearn.families.features.FeatureJudge`); ``quadratic-features`` (the same
    with a weight on each statistic's square, so its genuine region can be bounded on both sides);
    ``band-features`` (genuine within a band around a centre on each statistic, the centres and
    precisions evolved);
    ``gru`` (one GRU classifier over an individual's trajectory) or ``swarm`` (one
    permutation-invariant DeepSets classifier over snapshots of whole swarms; see
    :class:`~turinglearn.systems.swarm.SwarmSnapshotSystem`): these two are trained by Adam on
    every generation's samples (need torch: ``pip install 'turinglearn[neural]'``); the ES
    settings do not apply to them;
    hidden: hidden units of the Elman network, the GRU or the DeepSets classifier;
    learning_rate: Adam's learning rate (``gru``, ``swarm``);
    train_steps: Adam steps per generation (``gru``, ``swarm``);
    kernels: how Elman networks judge: ``numba`` (the default: one compiled kernel on every
    core) or ``numpy`` (the readable reference path; the same judgements up to float32 rounding);
    readout: what an Elman network's judgement reads: ``last`` (the papers: its output after
    the last step) or ``mean`` (the output's mean over every step, so that what happened early
    in a long trial counts as much as its end; see
    :class:`~turinglearn.families.elman.ElmanNetwork`).
    """

    kind: str = "elman"
    hidden: int = 5
    learning_rate: float = 0.01
    train_steps: int = 5
    kernels: str = "numba"
    readout: str = "last"

    def __post_init__(self):
        super().__post_init__()
        check_at_least(self, hidden=1, train_steps=1)
        check_kernels(self.kernels)
        one_of(self.readout, READOUTS, "readout")
        if self.bounds != "clip":
            raise ConfigError("applies to the models' bounds; a discriminator's weights have none", "bounds")
        if self.sigma_scale != "absolute":
            raise ConfigError(
                "measures step sizes in each parameter's range; a discriminator's weights have none: leave it "
                "'absolute'",
                "sigma_scale",
            )
        if self.threshold:
            raise ConfigError("applies to the models' selection; leave discriminators.threshold = 0", "threshold")
        if self.readout != "last" and self.kind != "elman":
            raise ConfigError(
                f"reads an Elman network's outputs; a {self.kind!r} discriminator judges a whole trajectory "
                "already: leave readout = 'last' or use kind = 'elman'",
                "readout",
            )
        if not self.learning_rate > 0:
            raise ConfigError(f"must be positive, got {self.learning_rate}", "learning_rate")


@dataclass(frozen=True)
class Config:
    """A whole experiment.

    name: the run's name (run directories are ``runs/NAME-sSEED-TIME``);
    seed: the one root of all randomness in the run;
    generations: how many generations the run lasts (the ceiling when ``stopping.converge`` is
    on; ``turinglearn run --generations N`` runs exactly N, with converge off);
    data: a path to data the learner learns from; empty for none. Its meaning depends on
    the learner: for the simulated systems (``learner.kind = "turing"`` and the metric-based
    baselines) it is a recording of genuine trajectories (:mod:`turinglearn.systems.recorded`),
    which then replaces the simulated system as the source of genuine samples; a learner of
    images reads its image data from it. A relative path is read from the directory the command
    runs in (not the config file's); a run keeps it as given and reads it, on resume and when its
    config.toml is run again, from the directory the run began in (the file's SHA-256 in its
    checkpoints: a resume refuses one whose contents changed).
    data_windows: a recording's tracks may be of any length and have gaps (missing rows, NaN):
    every stretch of steps with every value present is cut into windows of the simulator's
    ``steps``, each an individual of the recording, and an individual's windows stay on one
    side of the held-out tests' folds (false: every individual has exactly ``steps`` steps).
    data_holdout: the share of a recording's individuals (with ``data_windows``, of the tracks the
    windows came from) kept out of learning for the held-out tests, drawn from the seed (0: every
    individual serves both, the papers' way; e.g. 0.3).
    """

    name: str = "aggregation"
    seed: int = 0
    generations: int = 1000
    data: str = ""
    data_windows: bool = False
    data_holdout: float = 0.0
    # the defaults: the aggregation study with one replica per trial and the final median;
    # every preset file starts from them (the aggregation preset steadies the estimate)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    models: ModelConfig = field(default_factory=lambda: ModelConfig(**IN_A_CONFIG))
    discriminators: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    stopping: StoppingConfig = field(default_factory=StoppingConfig)

    def __post_init__(self):
        # validate the environment's own settings and store them resolved (defaults filled in)
        env_cfg = validate_environment(self.environment)
        options = plain(dataclasses.asdict(env_cfg))
        object.__setattr__(self, "environment", EnvironmentConfig(self.environment.id, options))
        check_at_least(self, generations=1)
        if self.seed < 0:
            raise ConfigError(f"must be a non-negative integer, got {self.seed}", "seed")
        check_run_name(self.name)
        if self.data_windows and not self.data:
            raise ConfigError("cuts a recording into windows; set data to the recording too", "data_windows")
        if not 0 <= self.data_holdout < 1:
            raise ConfigError(f"is a share of the recording's individuals in [0, 1), got {self.data_holdout}", "data_holdout")
        if self.data_holdout and not self.data:
            raise ConfigError("keeps a recording's individuals for the held-out tests; set data too", "data_holdout")
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
        """A copy with dotted-key overrides applied and validated: ``cfg.replace(**{"models.population": 20})``.
        A new ``environment.id`` starts that environment from its own defaults (the old one's
        settings are dropped; ``environment.*`` overrides beside it apply), as in a config file."""
        data = self.to_dict()
        new_id = overrides.get("environment.id")
        if new_id is not None and new_id != self.environment.id:
            data["environment"] = {"id": new_id}
        from turinglearn.environments import OBJECT_PREFIX

        kept = self.environment if new_id is None and self.environment.id.startswith(OBJECT_PREFIX) else None
        if kept is not None:  # a simulator object's (a result's config): no file can rebuild it, so it is set aside
            touched = [k for k in overrides if k == "environment" or k.startswith("environment.")]
            if touched:
                raise ConfigError(
                    f"this config's environment is a simulator object's ({kept.id}): build the object with the "
                    "settings you want instead",
                    touched[0],
                )
            del data["environment"]
        for key, value in overrides.items():
            set_dotted(data, key, value)
        out = from_dict(data)
        if kept is not None:
            object.__setattr__(out, "environment", kept)  # as turinglearn.config.load.with_simulator does
        return out


def _settings_without_an_id(table: Mapping[str, Any]) -> None:
    """An [environment] table of settings that the default environment does not have, and no
    id: the user's own system's id was left out (its settings were refused as the default's)."""
    from turinglearn.environments import config_class

    names = {f.name for f in fields(config_class(EnvironmentConfig.id))}
    foreign = [k for k in table if k not in names]
    if foreign:
        raise ConfigError(
            f"[environment] sets {', '.join(map(repr, foreign))} but names no id, so the default environment, "
            f"{EnvironmentConfig.id}, which has no such setting, would run: add id = \"module:Name-v0\" for a "
            "system of your own (docs/own-system.md), or the id of the environment these settings belong to",
            "environment.id",
        )


def check_sections_in_use(config: Config) -> None:
    """A ``[models]`` setting its kind does not read (``hidden`` with ``reactive`` models,
    ``max_nodes`` with ``mlp``, the ES's step sizes with ``gp``), or ``execution.workers`` with
    the in-process backend, changes nothing: named rather than ignored. Asked by
    :func:`~turinglearn.config.load_config` (strict), as
    :func:`~turinglearn.config.learner.check_settings_in_use` is, not of a run's own config.toml."""
    ex = config.execution
    if ex.workers and ex.backend == "inprocess":
        raise ConfigError(
            f"{ex.workers} workers change nothing with backend = 'inprocess', which runs here: set backend = "
            "'processes' or 'dask' (--backend), or leave workers out",
            "execution.workers",
        )
    models = config.models
    unread = {
        "reactive": ("hidden", "weight_bound", "max_nodes", "crossover"),
        "mlp": ("max_nodes", "crossover"),
        "gru": ("max_nodes", "crossover"),
        "gp": (
            "hidden", "weight_bound", "sigma_init", "sigma_min", "sigma_max", "sigma_scale", "init_low", "init_high",
            "bounds",
        ),
    }.get(models.kind, ())  # fmt: skip
    default = {f.name: f.default for f in fields(ModelConfig)}
    for key in unread:
        if vars(models)[key] not in (default[key], IN_A_CONFIG.get(key, default[key]), RANGE_STEPS.get(key, default[key])):
            uses = {
                "hidden": "mlp and gru policies", "weight_bound": "mlp and gru policies",
                "max_nodes": "gp programs", "crossover": "gp programs",
            }.get(key, "the ES's parameter vectors (gp programs evolve by DEAP's tree operators)")  # fmt: skip
            raise ConfigError(
                f"{vars(models)[key]!r} changes nothing for models.kind = {models.kind!r}: it is for {uses}; set it "
                f"back to its default {default[key]!r} or leave it out",
                f"models.{key}",
            )


def validate_environment(env: EnvironmentConfig):
    """The environment's own config object; unknown ids, modules that fail to import and bad
    options are ConfigErrors (:func:`turinglearn.environments.id_problem` says which)."""
    from turinglearn.environments import config_class, id_problem

    problem = id_problem(env.id)
    if problem is not None:
        raise ConfigError(problem, "environment.id")
    built = build_dataclass(config_class(env.id), env.options, "environment.")
    # the contract's trial length (a field or a property), which an environment's own config class may leave unchecked
    steps = built.steps if "steps" in dir(built) else 1
    if not positive_int(steps):
        raise ConfigError(f"must be a positive whole number of steps a trial, got {steps!r}", "environment.steps")
    return built


_SECTIONS = {
    "learner": LearnerConfig,
    "models": ModelConfig,
    "discriminators": DiscriminatorConfig,
    "evaluation": EvaluationConfig,
    "execution": ExecutionConfig,
    "stopping": StoppingConfig,
}


#: top-level tables only a GAN config has (turinglearn.config.gan.GANConfig)
GAN_ONLY = ("images",)


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
            _in_another_table(key, key)
            if key in GAN_ONLY:  # a GAN's table in a file that does not say it is one
                raise ConfigError(
                    "is a GAN's setting; a GAN config says so with [learner] kind = \"gan\" (see the gan-folder "
                    "preset: turinglearn presets gan-folder)",
                    key,
                )
            raise unknown(key, sorted(top), key, "at the top level")
    kwargs: dict[str, Any] = {}
    for key in ("name", "seed", "generations", "data", "data_windows", "data_holdout"):
        if key in data:
            kwargs[key] = coerce(data[key], typing.get_type_hints(Config)[key], key)
    env_table = dict(data.get("environment", {}))
    if env_table and "id" not in env_table:
        _settings_without_an_id(env_table)
    env = EnvironmentConfig(id=coerce(env_table.pop("id", EnvironmentConfig.id), str, "environment.id"))
    kwargs["environment"] = EnvironmentConfig(id=env.id, options=env_table)
    defaults = Config()
    for key, cls in _SECTIONS.items():
        if key in data:
            base = dataclasses.asdict(vars(defaults)[key])
            table = data[key]
            if not isinstance(table, Mapping):
                raise ConfigError(f"must be a table, e.g. [{key}]", key)
            for name in table:
                if name not in base:
                    _in_another_table(name, f"{key}.{name}")
            kwargs[key] = build_dataclass(cls, {**base, **table}, f"{key}.")
    return Config(**kwargs)


def _in_another_table(name: str, key: str) -> None:
    """Raise when the setting ``name``, unknown where it stands (dotted ``key``), is one of
    another section's: a line below the wrong ``[header]`` (a TOML table runs to the next one)."""
    owners = [section for section, cls in _SECTIONS.items() if name in {f.name for f in fields(cls)}]
    if owners and key != f"{owners[0]}.{name}":
        where = " or ".join(f"{o}.{name}" for o in owners)
        raise ConfigError(
            f"unknown setting here; did you mean {where}? (in a TOML file, move the line under "
            f"[{owners[0]}]: a table runs until the next [header])",
            key,
        )
