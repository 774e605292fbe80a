"""build: part of the former turinglearn.experiment."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from turinglearn.baselines.metric import MetricLearner
from turinglearn.config import Config, validate_environment
from turinglearn.core.contracts import Hook
from turinglearn.core.evaluator import ChunkedEvaluator
from turinglearn.core.learner import TuringLearner
from turinglearn.core.optimizers import SelfAdaptiveES
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError
from turinglearn.families.elman import ElmanNetwork
from turinglearn.systems.interactive import InteractiveSystem
from turinglearn.systems.swarm import SwarmSnapshotSystem, SwarmSystem


def require_module(module: str, extra: str, key: str, kind: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{kind!r} needs {module}: pip install 'turinglearn[{extra}]'", key)


def make_policy(models, n_states: int):
    """The policy family that ``models.kind`` names (not ``reactive``), over ``n_states`` sensor states."""
    from turinglearn.families.policies import GRUPolicy, MLPPolicy

    if models.kind == "mlp":
        return MLPPolicy(n_states, models.hidden, models.weight_bound)
    if models.kind == "gru":
        return GRUPolicy(n_states, models.hidden, models.weight_bound)
    require_module("deap", "gp", "models.kind", "gp")
    from turinglearn.families.gp import GPFamily

    return GPFamily(n_states, models.max_nodes)


def build_system(config: Config, simulator=None):
    """The system to learn and the discriminator family that judges it (``None`` for the
    metric-based learners), as ``config`` describes them. Worker processes call this too, to
    rebuild the system from the config instead of receiving it pickled."""
    from turinglearn.environments import sim_class

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
        from turinglearn.execution.torch_swarm import torch_system

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
        from turinglearn.families.policies import PolicySwarm

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
        from turinglearn.families.neural import GRUClassifier

        return system, GRUClassifier(n_inputs=len(sim.feature_names), n_hidden=dc.hidden)
    if dc.kind == "swarm":
        from turinglearn.families.neural import SwarmSetClassifier

        return system, SwarmSetClassifier(n_inputs=system.n_inputs, n_hidden=dc.hidden)
    discriminator = ElmanNetwork(
        n_inputs=len(sim.feature_names), n_hidden=config.discriminators.hidden, n_outputs=n_outputs
    )
    return system, discriminator


def _recorded_system(config: Config, sim):
    """Genuine samples from the recording ``config.data``, counterfeit ones from ``sim``."""
    from turinglearn.systems.recorded import RecordedSystem, read_recording

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


@dataclass(frozen=True)
class Recipe:
    """What a worker process calls to build ``config``'s system and discriminator family: the
    config travels (pickled), never a live simulator."""

    config: Config

    def __call__(self):
        return build_system(self.config)


def evaluator_for(config: Config, backend=None, simulator=None) -> ChunkedEvaluator:
    """The chunked evaluator of ``config`` on ``backend``; a simulator given as an object cannot
    be rebuilt in workers, so it has no recipe (and only local backends take it)."""
    recipe = None if simulator is not None else Recipe(config)
    return ChunkedEvaluator(config.execution.chunk_size, backend, recipe)


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
    evaluator = evaluator_for(config, backend, simulator)
    family, mc, dc = system.model_family, config.models, config.discriminators
    if mc.kind == "gp":
        from turinglearn.families.gp import GPOptimizer

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
        require_module("torch", "neural", "discriminators.kind", dc.kind)
        from turinglearn.families.neural import GradientTrainer

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
