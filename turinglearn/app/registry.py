"""What the ``kind`` settings of a config name: tables from kinds to builders.

``models.kind``, ``discriminators.kind`` and ``learner.kind`` each look their kind up in a
:class:`Registry`; :mod:`turinglearn.app.build` wires what they build into a learner. A
package of your own adds a kind with ``register``::

    from turinglearn.app.registry import DISCRIMINATORS, DiscriminatorKind

    DISCRIMINATORS.register("mypackage.judges:cnn", DiscriminatorKind(family=..., optimizer=...))

Name such a kind ``"module:name"`` and register it in that module: a config that names it then
works everywhere, also in worker processes, which import the module to find it (the same rule
as environment ids, :func:`turinglearn.environments.register`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import numpy as np

from turinglearn.errors import ConfigError, warn

T = TypeVar("T")


class Registry(Generic[T]):
    """Kinds to entries; looking up a kind nobody registered is a :class:`ConfigError` on ``key``."""

    def __init__(self, key: str):
        self.key = key  # the config setting that names a kind, e.g. "models.kind"
        self._entries: dict[str, T] = {}
        self._builtin: dict[str, T] = {}  # what this module registers, for builtin_kind

    def register(self, kind: str, entry: T) -> T:
        own = self._builtin.get(kind)
        if own is not None and self._entries.get(kind) is own and entry is not own:  # the first replacement
            warn(f"{self.key} = {kind!r} is a built-in kind; registering another in its place replaces it "
                 "for every config in this process (choose another name to keep both)")
        self._entries[kind] = entry
        return entry

    def seal(self) -> None:
        """The kinds registered so far are the library's own."""
        self._builtin = dict(self._entries)

    def builtin_kind(self, kind: str) -> bool:
        """Whether ``kind`` is the library's own (not replaced): one's own are checked before a run."""
        return kind in self._builtin and self._entries.get(kind) is self._builtin[kind]

    def __getitem__(self, kind: str) -> T:
        if kind not in self._entries and ":" in kind:
            try:
                importlib.import_module(kind.split(":", 1)[0])
            except ImportError as e:
                raise ConfigError(
                    f"{kind!r} names a module that cannot be imported ({e})", self.key
                ) from None
        if kind not in self._entries:
            raise ConfigError(f"must be one of {', '.join(self._entries)}, got {kind!r}", self.key)
        return self._entries[kind]

    def __contains__(self, kind: str) -> bool:
        return kind in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)


def require_module(module: str, extra: str, key: str, kind: str) -> None:
    """A ConfigError naming the extra to install when ``module`` is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{kind!r} needs {module}: pip install 'turinglearn[{extra}]'", key)


@dataclass(frozen=True)
class ModelKind:
    """A kind of model (``models.kind``).

    policy: ``(models config, n_states) -> PolicyFamily`` that runs in the place of a swarm's
    reactive controller, or None for the simulator's own parameters; optimizer: ``(family,
    models config, rng) -> Optimizer`` over the family's genotypes; requires: ``(module,
    extra)`` that must be installed.
    """

    optimizer: Callable[[Any, Any, np.random.Generator], Any]
    policy: Callable[[Any, int], Any] | None = None
    requires: tuple[str, str] | None = None


@dataclass(frozen=True)
class DiscriminatorKind:
    """A kind of discriminator (``discriminators.kind``).

    family: ``(system, discriminators config, n_inputs, n_outputs) -> DiscriminatorFamily``;
    optimizer: ``(family, discriminators config, rng) -> Optimizer`` (a
    :class:`~turinglearn.core.contracts.SampleTrainer` for gradient-trained ones);
    judges: ``"individuals"`` (one trajectory per sample) or ``"swarms"`` (a whole swarm per
    sample); interrogates: whether it can act on an interactive system (recurrent, with
    stimulus outputs).
    """

    family: Callable[[Any, Any, int, int], Any]
    optimizer: Callable[[Any, Any, np.random.Generator], Any]
    judges: str = "individuals"
    interrogates: bool = False
    requires: tuple[str, str] | None = None


@dataclass(frozen=True)
class LearnerKind:
    """A kind of learner (``learner.kind``): ``build(parts) -> learner`` with ``parts`` a
    :class:`turinglearn.app.build.Parts`; discriminators: whether it uses them (the metric
    baselines do not); interactive: whether it can learn an interactive system."""

    build: Callable[[Any], Any]
    discriminators: bool = True
    interactive: bool = True


MODELS: Registry[ModelKind] = Registry("models.kind")
DISCRIMINATORS: Registry[DiscriminatorKind] = Registry("discriminators.kind")
LEARNERS: Registry[LearnerKind] = Registry("learner.kind")


# --- the built-in kinds ---------------------------------------------------------------------------


def _es_models(family, models, rng):
    from dataclasses import fields, replace

    from turinglearn.core.optimizers import ESConfig, SelfAdaptiveES

    if "reported" in dir(family) and models.sigma_scale == "range":
        # a policy's weights have no units to measure steps in: they step as on a range of 2, the
        # papers' (the own-system preset's 0.5 / 0.005 / 0.5 are the policy presets' 1 / 0.01 / 1)
        models = replace(
            models, sigma_scale="absolute", sigma_init=2 * models.sigma_init, sigma_min=2 * models.sigma_min,
            sigma_max=2 * models.sigma_max,
        )  # fmt: skip

    if family.lower is not None:  # the first population is uniform over the family's own bounds
        default = {f.name: f.default for f in fields(ESConfig)}
        for key in ("init_low", "init_high"):
            if vars(models)[key] != default[key]:
                raise ConfigError(
                    f"{vars(models)[key]!r} changes nothing: the model family has bounds, and the first population "
                    "is drawn uniformly within them; leave it out (it is for families without bounds)",
                    f"models.{key}",
                )
        _warn_units(family, models)
    return SelfAdaptiveES(family.n_params, models, rng, family.lower, family.upper)


def _warn_units(family, models) -> None:
    """Absolute step sizes over parameters whose ranges lie ``UNITS_APART`` apart: one step size
    suits none of them (a newcomer's speed in cm/s beside gains of 0-4 needed rescaling by hand)."""
    from turinglearn.families.parametric import UNITS_APART, ranges_apart

    if models.sigma_scale != "absolute" or family.lower is None or family.upper is None:
        return
    apart = ranges_apart(family.lower, family.upper)
    if apart <= UNITS_APART:
        return
    ranges = np.broadcast_to(np.asarray(family.upper, float) - np.asarray(family.lower, float), (family.n_params,))
    wide, narrow = int(np.argmax(ranges)), int(np.argmin(ranges))
    warn(
        f"the parameters' ranges lie {apart:.0f}x apart ({family.names[wide]} spans "
        f"{ranges[wide]:g}, {family.names[narrow]} {ranges[narrow]:g}) and the step sizes are in their own units "
        f"(models.sigma_init = {models.sigma_init:g} for every one): set models.sigma_scale = \"range\" to make "
        "sigma_init, sigma_min and sigma_max fractions of each range (the own-system preset's: 0.5, 0.005 and 0.5)"
    )


def _gp_models(family, models, rng):
    from turinglearn.families.gp import GPOptimizer

    return GPOptimizer(
        family, models.population, models.parents, rng, models.crossover, threshold=models.threshold
    )


def _mlp(models, n_states: int):
    from turinglearn.families.policies import MLPPolicy

    return MLPPolicy(n_states, models.hidden, models.weight_bound)


def _gru(models, n_states: int):
    from turinglearn.families.policies import GRUPolicy

    return GRUPolicy(n_states, models.hidden, models.weight_bound)


def _gp(models, n_states: int):
    from turinglearn.families.gp import GPFamily

    return GPFamily(n_states, models.max_nodes)


MODELS.register("reactive", ModelKind(optimizer=_es_models))
MODELS.register("mlp", ModelKind(optimizer=_es_models, policy=_mlp))
MODELS.register("gru", ModelKind(optimizer=_es_models, policy=_gru))
MODELS.register("gp", ModelKind(optimizer=_gp_models, policy=_gp, requires=("deap", "gp")))


def _elman(system, discriminators, n_inputs: int, n_outputs: int):
    from turinglearn.families.elman import ElmanNetwork

    return ElmanNetwork(
        n_inputs=n_inputs,
        n_hidden=discriminators.hidden,
        n_outputs=n_outputs,
        kernels=discriminators.kernels,
        readout=discriminators.readout,
    )


def _features(system, discriminators, n_inputs: int, n_outputs: int, form: str = "linear"):
    from turinglearn.families.features import FeatureJudge

    return FeatureJudge(n_inputs=n_inputs, form=form)


def _es_discriminators(family, discriminators, rng):
    from turinglearn.core.optimizers import SelfAdaptiveES

    return SelfAdaptiveES(family.n_weights, discriminators, rng)


def _gru_classifier(system, discriminators, n_inputs: int, n_outputs: int):
    from turinglearn.families.neural import GRUClassifier

    return GRUClassifier(n_inputs=n_inputs, n_hidden=discriminators.hidden)


def _swarm_classifier(system, discriminators, n_inputs: int, n_outputs: int):
    from turinglearn.families.neural import SwarmSetClassifier

    return SwarmSetClassifier(n_inputs=system.n_inputs, n_hidden=discriminators.hidden)


def _gradient_trainer(family, discriminators, rng):
    from turinglearn.families.neural import GradientTrainer

    return GradientTrainer(family, rng, discriminators.learning_rate, discriminators.train_steps)


DISCRIMINATORS.register("elman", DiscriminatorKind(_elman, _es_discriminators, interrogates=True))
DISCRIMINATORS.register("features", DiscriminatorKind(_features, _es_discriminators))
DISCRIMINATORS.register("quadratic-features", DiscriminatorKind(partial(_features, form="quadratic"), _es_discriminators))
DISCRIMINATORS.register("band-features", DiscriminatorKind(partial(_features, form="band"), _es_discriminators))
DISCRIMINATORS.register(
    "gru", DiscriminatorKind(_gru_classifier, _gradient_trainer, requires=("torch", "neural"))
)
DISCRIMINATORS.register(
    "swarm",
    DiscriminatorKind(_swarm_classifier, _gradient_trainer, judges="swarms", requires=("torch", "neural")),
)


def _turing(parts):
    from turinglearn.core.learner import TuringLearner

    lc = parts.config.learner
    return TuringLearner(
        parts.system,
        parts.discriminator,
        parts.models,
        parts.discriminators,
        seed=parts.config.seed,
        hooks=parts.hooks,
        hall_of_fame=lc.hall_of_fame,
        hall_of_fame_every=lc.hall_of_fame_every,
        evaluator=parts.evaluator,
        hall_of_fame_keep=lc.hall_of_fame_keep,
        model_memory=lc.model_memory,
        model_memory_judged=lc.model_memory_judged,
        model_memory_keep=lc.model_memory_keep,
        model_memory_below=lc.model_memory_below,
        model_memory_share=None if lc.model_memory_share == -1 else lc.model_memory_share,
        counterfeits=_counterfeits(parts) if lc.counterfeits else None,
        hall_of_fame_weight=None if lc.hall_of_fame_weight == -1 else lc.hall_of_fame_weight,
        history=_history(parts) if lc.historical_averaging else None,
        model_fitness=lc.model_fitness,
        islands=lc.islands,
        judge_fitness=lc.judge_fitness,
        judge_steps=lc.judge_steps,
        model_judges=lc.model_judges,
        guards=_guards(parts) if lc.guards else None,
        guard_weight=lc.guard_weight,
        guard_vote=lc.guard_vote,
        critic=_critic(lc) if lc.critic else None,
    )


def _critic(lc):
    """learner.critic's classifier on a trial's statistics."""
    from turinglearn.core.critic import FeatureCritic

    return FeatureCritic(lc.critic, lc.critic_window, trials=lc.critic_trials or None, sets=lc.critic_sets)


def _guards(parts):
    """learner.guards' archive of judges, the estimate's neighbours in the model family's box."""
    from turinglearn.core.memory import Guards

    lower, upper = _box(parts, "steps to the estimate's neighbours by a fraction of each parameter's range", "guards")
    lc = parts.config.learner
    return Guards(lc.guards, lc.guard_step, lower, upper, lc.guard_every, lc.guard_window, against=lc.guard_against)


def _box(parts, what: str, key: str, policies: bool = False):
    """The model family's box (lower [d], upper [d]); a ConfigError naming learner.``key`` for
    families without one (programs; policies too unless ``policies``: their weights' bounds
    are not a parameter's range)."""
    from turinglearn.families.policies import PolicyFamily

    family = parts.system.model_family
    # probe: program families (GP) have no bounds at all, policies' are their weights' init box
    lower, upper = (np.asarray(getattr(family, a, np.nan), dtype=float) for a in ("lower", "upper"))
    if (isinstance(family, PolicyFamily) and not policies) or not np.all(np.isfinite(upper - lower)):
        none = "programs" if policies else "policies, programs"
        raise ConfigError(
            f"{what}; this model family has none ({none}). Use models.kind = 'reactive' or {key} = 0",
            f"learner.{key}",
        )
    return lower, upper


def _history(parts):
    """learner.historical_averaging's penalty, distances in units of each parameter's range."""
    from turinglearn.core.memory import HistoricalAverage

    lower, upper = _box(
        parts, "measures distances in units of each parameter's range", "historical_averaging", policies=True
    )
    lc = parts.config.learner
    return HistoricalAverage(lc.historical_averaging, lc.historical_horizon, upper - lower, lc.historical_settle)


def _counterfeits(parts):
    """learner.counterfeits' hard counterfeits in the model family's box."""
    from turinglearn.core.memory import NearCounterfeits

    lower, upper = _box(parts, "moves one parameter of the estimate by a step of its range", "counterfeits")
    lc = parts.config.learner
    return NearCounterfeits(lc.counterfeits, lc.counterfeit_step, lower, upper, lc.counterfeit_window)


def _metric(metric: str):
    def build(parts):
        from turinglearn.baselines.metric import MetricLearner

        return MetricLearner(
            parts.system, parts.models, metric=metric, seed=parts.config.seed, hooks=parts.hooks,
            evaluator=parts.evaluator,
        )  # fmt: skip

    return build


LEARNERS.register("turing", LearnerKind(_turing))
LEARNERS.register("metric-sse", LearnerKind(_metric("sse"), discriminators=False, interactive=False))
LEARNERS.register(
    "metric-histogram", LearnerKind(_metric("histogram"), discriminators=False, interactive=False)
)


def _peer(kind: str):
    """A peer of simulation-based inference (:mod:`turinglearn.peers`) on the config's recording,
    with ``stopping.max_simulations`` trajectories, or, when that is 0, what the Turing Learning
    run of the same config would simulate in its ``generations``."""

    def build(parts):
        from turinglearn.app.stopping import simulations_per_generation
        from turinglearn.peers.learner import PeerLearner

        config = parts.config
        budget = config.stopping.max_simulations or config.generations * simulations_per_generation(
            config, parts.system
        )
        lc = config.learner
        summary = None
        if lc.peer_summary:  # one's own statistics, "module:function"
            from turinglearn.environments.gym_wrapper import load_object

            summary = load_object(lc.peer_summary, "learner.peer_summary")
        return PeerLearner(
            parts.system, kind, budget, seed=config.seed, level=config.evaluation.level, hooks=parts.hooks,
            summary=summary, population=lc.peer_population,
        )  # fmt: skip

    return build


for _kind in ("npe", "npe-summary", "abc-smc"):  # turinglearn.peers.KINDS; pip install 'turinglearn[peers]'
    LEARNERS.register(_kind, LearnerKind(_peer(_kind), discriminators=False))

for _registry in (MODELS, DISCRIMINATORS, LEARNERS):
    _registry.seal()  # the library's own kinds: one's own are checked before a run (app.build)
