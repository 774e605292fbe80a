"""Building an experiment from its config: the simulator, the system, the families and
optimisers the config's ``kind`` settings name (:mod:`turinglearn.app.registry`), wired into a
learner.

>>> learner = build(load_config("aggregation", {"generations": 10}))  # doctest: +SKIP
>>> record = learner.step()                                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from turinglearn.app.registry import DISCRIMINATORS, LEARNERS, MODELS, require_module
from turinglearn.config import Config, validate_environment
from turinglearn.config.learner import memory_hint
from turinglearn.core.contracts import Hook, SampleTrainer, is_interactive
from turinglearn.core.evaluator import ChunkedEvaluator
from turinglearn.core.optimizers import SelfAdaptiveES
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError, warn
from turinglearn.families.parametric import ReactiveController
from turinglearn.systems.interactive import InteractiveSystem, WatchedSystem
from turinglearn.systems.swarm import SwarmSnapshotSystem, SwarmSystem


def make_simulator(config: Config):
    """The batched simulator of ``config``'s environment id, with its validated settings."""
    from turinglearn.environments import sim_class

    cls, settings = sim_class(config.environment.id), validate_environment(config.environment)
    try:
        return cls(settings)
    except ConfigError:
        raise
    except Exception as e:  # a simulator of one's own failing in its constructor: say where, in one line
        if config.environment.id.startswith("turinglearn/"):
            raise
        import os
        import traceback
        from pathlib import Path

        import turinglearn

        frames = traceback.extract_tb(e.__traceback__)
        import sysconfig

        # the last line of one's own code: not the library's, nor an installed package's or Python's
        others = (str(Path(turinglearn.__file__).parent) + os.sep, sysconfig.get_paths()["stdlib"] + os.sep, "site-packages")
        frame = next((f for f in reversed(frames) if not any(o in f.filename for o in others)), frames[-1])
        raise ConfigError(
            f"building {cls.__name__} of {config.environment.id!r} raised {type(e).__name__}: {e} (at "
            f"{frame.filename}:{frame.lineno}, in {frame.name}; settings {dict(config.environment.options)})",
            "environment",
        ) from e


def build_system(config: Config, simulator=None):
    """The system to learn and the discriminator family that judges it (``None`` for learners
    without discriminators), as ``config`` describes them. Worker processes call this too (via
    :class:`Recipe`), to rebuild the system from the config instead of receiving it pickled."""
    sim = simulator if simulator is not None else make_simulator(config)
    lc, mc, dc = config.learner, config.models, config.discriminators
    learner, model, judge = LEARNERS[lc.kind], MODELS[mc.kind], DISCRIMINATORS[dc.kind]
    if config.execution.array == "torch":
        return _torch_system(config, sim, learner.discriminators)
    interactive = is_interactive(sim)
    where = type(sim).__name__ if simulator is not None else config.environment.id
    if model.policy is not None:
        if interactive or not isinstance(sim.model_family, ReactiveController):
            raise ConfigError(
                f"{mc.kind!r} runs a policy in the place of a swarm's reactive controller; {where} has none (a swarm "
                "whose model_family is ReactiveController(n_states=S), wheel speeds per sensor state, with reset, "
                "sense and step: docs/own-system.md, 'Policy and program models'). Use models.kind = 'reactive'",
                "models.kind",
            )
        if model.requires:
            require_module(*model.requires, "models.kind", mc.kind)
        from turinglearn.families.policies import PolicySwarm

        sim = PolicySwarm(sim, model.policy(mc, sim.model_family.n_states))
    if interactive and not judge.interrogates and not (config.data or config.learner.passive):
        raise ConfigError(
            f"{dc.kind!r} judges passive samples; {where} is interrogated. Use discriminators.kind = 'elman', "
            "watch it passively (learner.passive = true) or learn from a recording of it (data = FILE)",
            "discriminators.kind",
        )
    if config.data and judge.judges == "swarms":
        raise ConfigError(
            "a recording holds individuals' trajectories, not whole swarms; use discriminators.kind = "
            "'elman' or 'gru' with data",
            "discriminators.kind",
        )
    if interactive and not learner.interactive:
        raise ConfigError(
            f"learner.kind = {lc.kind!r} compares trajectories of a swarm; {where} is "
            "interactive. Use learner.kind = 'turing' there",
            "learner.kind",
        )
    system = _system(config, sim, interactive, judge.judges)
    if not learner.discriminators:
        return system, None
    n_outputs = system.n_outputs if isinstance(system, InteractiveSystem) else 1
    from turinglearn.systems.recorded import RecordedSystem

    seen = system.feature_names if isinstance(system, RecordedSystem) else sim.feature_names  # with stimuli recorded
    return system, judge.family(system, dc, len(seen), n_outputs)


def _system(config: Config, sim, interactive: bool, judges: str):
    """Where the genuine samples come from: a recording, the interrogated agent, or the swarm
    (individuals' trajectories, or whole swarms for discriminators of collective behaviour)."""
    lc = config.learner
    if config.data:
        from turinglearn.app.from_recording import recorded_system

        return recorded_system(config, sim)
    if interactive:
        if lc.passive:  # watched: its samples can also be judged outside the loop
            return WatchedSystem(sim, lc.genuine_trials, lc.trials_per_model)
        return InteractiveSystem(sim, lc.genuine_trials, lc.trials_per_model)
    if judges == "swarms":
        return SwarmSnapshotSystem(sim, lc.trials_per_model)
    return SwarmSystem(sim, lc.trials_per_model, lc.genuine_per_trial)


def _torch_system(config: Config, sim, with_discriminators: bool):
    mc, dc = config.models, config.discriminators
    if mc.kind != "reactive" or dc.kind != "elman" or config.data:
        raise ConfigError(
            "the torch backend simulates reactive models against Elman discriminators, without "
            f"recordings; got models.kind = {mc.kind!r}, discriminators.kind = {dc.kind!r}"
            + (f", data = {config.data!r}" if config.data else ""),
            "execution.array",
        )
    from turinglearn.execution.torch_swarm import torch_system

    system, discriminator = torch_system(sim, config.learner, config.execution, dc.hidden, dc.readout)
    return system, (discriminator if with_discriminators else None)


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
    if recipe is not None and backend is not None and not backend.local and config.environment.id.startswith("__main__:"):
        raise ConfigError(
            f"{config.environment.id} is registered by the script being run (__main__), which worker processes do "
            "not run: move the simulator and its register(...) into a module of its own (mysim.py, id "
            "'mysim:Name-v0'), or use execution.backend = 'inprocess'",
            "environment.id",
        )
    return ChunkedEvaluator(config.execution.chunk_size, backend, recipe)


@dataclass(frozen=True)
class Parts:
    """What a :class:`~turinglearn.app.registry.LearnerKind` wires together: the system, the
    discriminator family (None without discriminators), both optimisers, hooks, evaluator."""

    config: Config
    system: Any
    discriminator: Any
    models: Any
    discriminators: Any
    hooks: Sequence[Hook]
    evaluator: ChunkedEvaluator


def optimizers(config: Config, system, discriminator, models_rng, judges_rng) -> tuple:
    """The models' and the discriminators' optimisers as a run starts (the discriminators' None
    without a discriminator family), drawing from ``models_rng`` and ``judges_rng``: the run's
    streams, or a restart's (:mod:`turinglearn.app.restart`)."""
    mc, dc, k = config.models, config.discriminators, (config.learner.islands, config.learner.migrate_every)
    if k[0] > 1:
        _check_islands(config, discriminator is not None)
    models = _islands(MODELS[mc.kind].optimizer, system.model_family, mc, models_rng, k, "models")
    if discriminator is None:  # the judges' settings that presets carry (hall of fame, the memory:
        # judge_fitness, judge_steps, model_judges, critic) are not read, as [discriminators] is not,
        # so learner.kind can swap a preset's discriminators for a metric; guards no preset has
        if config.learner.guards:
            raise ConfigError(
                f"elects guards among the discriminators; learner.kind = {config.learner.kind!r} has none. "
                "Use learner.kind = 'turing' or guards = 0",
                "learner.guards",
            )
        return models, None
    judge = DISCRIMINATORS[dc.kind]
    if judge.requires:
        require_module(*judge.requires, "discriminators.kind", dc.kind)
    judges = _islands(judge.optimizer, discriminator, dc, judges_rng, k, "discriminators")
    if config.learner.judge_steps > 1:
        _check_judge_steps(config, system, judges)
    interrogated = isinstance(system, InteractiveSystem) and not system.passive
    if config.learner.critic_sets:
        _check_critic_sets(config, system, interrogated)
    if config.learner.critic and not interrogated:  # an interrogated system runs trials for it
        if config.learner.critic_trials:
            raise ConfigError(
                "are the trials a critic runs on an interrogated system; on a passive one it reads the "
                "generation's samples. Use critic_trials = 0 (or learner.trials_per_model for more samples)",
                "learner.critic_trials",
            )
        _check_samples_return(config, system, "is fitted to a generation's samples", "critic = 0", "learner.critic")
        if judge.judges == "swarms":
            raise ConfigError(
                f"reads a trial's trajectory step by step; discriminators.kind = {dc.kind!r} judges sets of "
                "robots, whose order means nothing. Use discriminators.kind = 'elman' (or another kind that "
                "judges trajectories), or critic = 0",
                "learner.critic",
            )
    if config.learner.guards and isinstance(judges, SampleTrainer):
        raise ConfigError(
            f"elects guards among evolved discriminators; discriminators.kind = {dc.kind!r} is one "
            "trained classifier. Use discriminators.kind = 'elman' (or another evolved kind), or guards = 0",
            "learner.guards",
        )
    if config.learner.model_judges == "parents" and not isinstance(judges, SelfAdaptiveES):
        how = (
            "one trained classifier judges"
            if isinstance(judges, SampleTrainer)
            else f"its judges are evolved by {type(judges).__name__}, whose parents the learner cannot read"
        )
        raise ConfigError(
            f"takes the discriminators kept by a SelfAdaptiveES's selection (its first rows); discriminators.kind = "
            f"{dc.kind!r} is not evolved by one ({how}). Use discriminators.kind = 'elman' "
            "or 'features', 'quadratic-features' or 'band-features', or model_judges = 'all'",
            "learner.model_judges",
        )
    if config.learner.judge_fitness != "accuracy" and isinstance(judges, SampleTrainer):
        raise ConfigError(
            f"is what an evolved discriminator's selection counts; discriminators.kind = {dc.kind!r} is one "
            "classifier trained on its own loss. Use discriminators.kind = 'elman' (or another evolved kind), "
            "or judge_fitness = 'accuracy'",
            "learner.judge_fitness",
        )
    return models, judges


def _check_judge_steps(config: Config, system, judges) -> None:
    """What learner.judge_steps > 1 needs: evolved discriminators, and samples that do not
    depend on them (they are judged again)."""
    from turinglearn.core.contracts import SampleTrainer

    if isinstance(judges, SampleTrainer):
        raise ConfigError(
            f"evolves the discriminators several times a generation; discriminators.kind = "
            f"{config.discriminators.kind!r} is trained by gradients (set its train_steps instead). "
            "Use discriminators.kind = 'elman' or judge_steps = 1",
            "learner.judge_steps",
        )
    _check_samples_return(config, system, "judges a generation's samples again", "judge_steps = 1", "learner.judge_steps")


def _check_critic_sets(config: Config, system, interrogated: bool) -> None:
    """What ``learner.critic_sets`` needs, before the run: at least 2 samples of each model a
    generation, and on a swarm as many of the system's agents from the same swarms
    (``genuine_per_trial`` = the replicas), so that a genuine set shares its swarms' conditions as
    a model's set does (agents of different swarms vary more than the agents of one: a model equal
    to the truth was told apart at 0.91)."""
    lc = config.learner
    if interrogated:
        k, what = lc.critic_trials or lc.trials_per_model, "critic_trials (or trials_per_model)"
    elif isinstance(system, SwarmSystem):
        r = system.sim.config.n_replicas
        k, what = lc.trials_per_model * r, f"trials_per_model x the swarm's {r} replicas"
        if k >= 2 and lc.genuine_per_trial != r:
            raise ConfigError(
                f"judges each model's samples (its {r} replicas in each of its trials) against as many of the system's "
                f"agents from the same swarms; set learner.genuine_per_trial = {r} (the swarm's n_replicas), got "
                f"{lc.genuine_per_trial}",
                "learner.critic_sets",
            )
    elif isinstance(system, WatchedSystem):  # watched passively: its trials of each model a generation
        k, what = lc.trials_per_model, "trials_per_model"
    else:
        return  # a recording's samples: counted as the run draws them
    if k < 2:
        raise ConfigError(
            f"judges a model's samples of a generation as a set; {what} gives {k}: raise it to 2 or more, or set "
            "critic_sets = false",
            "learner.critic_sets",
        )


def _check_samples_return(config: Config, system, what: str, off: str, key: str) -> None:
    """What a setting that reads a generation's samples in the learner needs: samples that do
    not depend on the judges, brought back from where they were run."""
    from turinglearn.core.contracts import PassiveSystem

    if not isinstance(system, PassiveSystem):
        raise ConfigError(
            f"{what}; an interrogated system's samples depend on the judges. Watch it passively "
            f"(learner.passive = true) or set {off}",
            key,
        )
    if config.execution.array == "torch" and config.execution.backend != "inprocess":
        raise ConfigError(
            f"brings a generation's samples back ({what}); the torch backend's stay on their device. "
            f"Use execution.backend = 'inprocess' with array = 'torch', or {off}",
            key,
        )


def _check_islands(config: Config, judged: bool) -> None:
    """What islands (learner.islands > 1) need of the config: Turing Learning with
    discriminators, and the fittest model of a generation not tracked (each island's is chosen
    by other judges)."""
    lc = config.learner
    if lc.kind != "turing" or not judged:
        raise ConfigError(
            f"islands judge each island's models by its own discriminators; learner.kind = {lc.kind!r} has "
            "none. Use learner.kind = 'turing' or islands = 1",
            "learner.islands",
        )
    if config.evaluation.track == "best":
        raise ConfigError(
            "the fittest model of a generation is chosen by one island's judges, not all: with islands set "
            "evaluation.track = 'median'",
            "learner.islands",
        )


def _islands(make, family, section, rng, islands: tuple[int, int], name: str):
    """``make(family, section, rng)``, or with ``k > 1`` islands (``islands``: learner.islands and
    migrate_every) of ``k`` such optimisers of ``population / k`` individuals each, drawing from
    ``k`` streams spawned from ``rng``."""
    k, every = islands
    if k == 1:
        return make(family, section, rng)
    from dataclasses import replace

    from turinglearn.core.optimizers import Islands, Migrating

    if not isinstance(make(family, section, np.random.default_rng(0)), Migrating):  # before the sizes
        raise ConfigError(
            f"{name}.kind = {section.kind!r} does not migrate between islands; islands need the ES's populations "
            "(models.kind reactive, mlp or gru; discriminators.kind elman)",
            "learner.islands",
        )
    for key, size in (("population", section.population), ("parents", section.parents)):
        if size % k:
            raise ConfigError(
                f"{name}.{key} = {size} does not split into {k} islands: make it a multiple "
                f"of learner.islands",
                "learner.islands",
            )
    if section.parents // k < 2:
        raise ConfigError(
            f"{name}.parents = {section.parents} leaves {section.parents // k} parent an island; a migrant takes "
            f"an island's worst parent's place, so give each island 2 at least ({2 * k})",
            "learner.islands",
        )
    one = replace(section, population=section.population // k, parents=section.parents // k)
    parts = [make(family, one, r) for r in rng.spawn(k)]
    return Islands(parts, every)


def build(config: Config, hooks: Sequence[Hook] = (), simulator=None, backend=None):
    """The composable pieces of an experiment, wired into the learner ``learner.kind`` names
    (a :class:`~turinglearn.core.learner.TuringLearner`, or a
    :class:`~turinglearn.baselines.metric.MetricLearner` for the metric-based baselines).

    ``simulator`` replaces the environment the config names (its ``environment`` settings are
    then unused): any batched simulator that follows the swarm or the interactive contract
    (:mod:`turinglearn.core.contracts`). ``backend``: where the chunks of every generation run
    (default in-process; see :mod:`turinglearn.execution.backends`).

    The learner is the generation loop alone: ``learner.run(n)`` gives the generations
    :func:`~turinglearn.learn` gives with the same config and seed, but not what the run adds
    around them (a restart's check, ``stopping.restart_above``; the panel's estimate,
    ``evaluation.estimate = "panel"``; the final held-out tests, intervals and summary): a
    config that sets the first two is warned of. For those, step through ``learn(hooks=[...])``
    (a hook sees every generation; raising :class:`~turinglearn.app.stopping.Stop` in one ends
    the run on a rule of one's own, with its evaluation).

    >>> from turinglearn import build, load_config
    >>> small = {"models.population": 10, "models.parents": 5, "stopping.restart_above": 0}
    >>> learner = build(load_config("aggregation", small))
    >>> record = learner.step()  # one generation: record.models [10, 4]
    """
    from turinglearn.config.gan import GANConfig

    if isinstance(config, GANConfig):
        raise ConfigError(
            "build() wires an evolutionary learner; a GAN's is turinglearn.gan.train.GANLearner, which "
            "learn(config) runs (a hook sees every step)",
            "learner",
        )
    learner = learner_of(config, hooks, simulator, backend)
    from turinglearn.core.contracts import PolicyFamily, Renders

    rows = config.learner.kind == "turing" and not isinstance(learner.system.model_family, (PolicyFamily, Renders))
    around = [k for k, on in (  # where learn() would run them (app.restart.restart_for, the panel's test)
        ("stopping.restart_above", config.stopping.restart_above > 0 and not config.learner.historical_averaging),
        ('evaluation.estimate = "panel"', config.evaluation.estimate == "panel"),
    ) if on and rows]  # fmt: skip
    if around:
        warn(
            f"build() gives the generation loop without what learn() runs around it ({', '.join(around)}): a "
            "restart and the panel change learn()'s run and estimate; step through learn(hooks=[...]) for them "
            "(raise turinglearn.Stop in a hook to end the run on a rule of your own)"
        )
    return learner


def learner_of(config: Config, hooks: Sequence[Hook] = (), simulator=None, backend=None):
    """:func:`build` without its warning: the learner that :func:`~turinglearn.learn` runs inside
    its experiment, which adds the restart and the panel itself."""
    system, discriminator = build_system(config, simulator)
    try:
        models, discriminators = optimizers(
            config, system, discriminator, stream(config.seed, "models"), stream(config.seed, "discriminators")
        )
    except ConfigError as e:
        raise memory_hint(e, vars(config.learner)) from None
    parts = Parts(
        config,
        system,
        discriminator,
        models,
        discriminators,
        hooks,
        evaluator_for(config, backend, simulator),
    )
    return LEARNERS[config.learner.kind].build(parts)
