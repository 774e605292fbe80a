"""What is checked of a run's config and its environment before the run starts: a config that
names no environment, ``environment.*`` overrides beside a simulator object that would reach
nothing, and the checker on a system of one's own (:mod:`turinglearn.app.checks`)."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from turinglearn.config import Config
from turinglearn.config.gan import GANConfig
from turinglearn.errors import ConfigError, TuringLearnError


def check_environment_overrides(simulator, overrides: Mapping[str, Any]) -> None:
    """A simulator object is built with its own settings, so an ``environment.*`` override
    beside it reaches nothing: refused unless it repeats the object's own value (as settings
    shared with preset runs, or an ``environment.n_agents`` that the config's checks read, do)."""
    own = simulator.config
    name = type(simulator).__name__
    for key, value in overrides.items():
        if key != "environment" and not key.startswith("environment."):
            continue
        field_ = key.removeprefix("environment.")
        if key == "environment" or field_ == "id":
            raise ConfigError(f"names an environment, which the simulator object {name} replaces; leave it out", key)
        if field_ not in dir(own):
            raise ConfigError(f"reaches nothing: {name}'s config has no {field_!r}; leave it out of overrides", key)
        mine = attrgetter(field_)(own)
        if np.asarray(mine).tolist() != np.asarray(value).tolist():
            raise ConfigError(
                f"= {value!r} reaches nothing beside the simulator object {name}, built with {field_} = {mine!r}; "
                "set it on the object (build it with that setting) and leave it out of overrides",
                key,
            )


def check_names_an_environment(source, overrides, config) -> None:
    """Refuse a config whose source names no ``[environment] id``: it would run the default,
    aggregation, which is what a copy of the ``own-system`` preset (made for a system of one's
    own) did without a word. ``overrides``: dotted keys, or ``KEY=VALUE`` strings; one that sets
    ``environment.id`` names it. A simulator object given to :func:`learn` takes the
    environment's place, so it is not asked there."""
    from turinglearn.config import read_source

    if not isinstance(config, Config) or isinstance(source, (Config, GANConfig)):
        return
    env = read_source(source).get("environment")
    if isinstance(env, dict) and "id" in env:
        return
    from turinglearn.config import parse_override

    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    if any(k == "environment.id" or (k == "environment" and isinstance(v, Mapping) and "id" in v) for k, v in pairs):
        return
    raise TuringLearnError(
        f"{source} names no environment, so the default, {config.environment.id}, would run: add [environment] "
        "id = 'module:Name-v0' for a system of your own (docs/own-system.md), or set "
        "environment.id=turinglearn/Aggregation-v0 to run aggregation"
    )


def is_own_environment(env_id: str) -> bool:
    """Whether ``env_id`` runs the user's code: an id a module of one's own registers
    (``"module:Name-v0"``), or ``turinglearn/Gym-v0`` with its policy; the built-in case studies
    are tested and not checked again at every run."""
    return env_id == "turinglearn/Gym-v0" or not env_id.startswith("turinglearn/")


def check_own_environment(config) -> None:
    """Check the simulator of ``config`` before a run when it is the user's own
    (:func:`is_own_environment`): a broken contract raises
    :class:`~turinglearn.app.checks.ContractError` (one line a problem) instead of training on
    wrong samples; warnings are issued. A simulator without a truth run on recorded data is not
    checked: the checker probes around the truth."""
    if not isinstance(config, Config) or not is_own_environment(config.environment.id):
        return
    from turinglearn.app.build import make_simulator
    from turinglearn.app.checks import check_environment

    sim = make_simulator(config)
    if config.data and "truth" in dir(sim) and sim.truth is None:
        return
    check_environment(sim, noise=config.evaluation.c2st_noise, policy=uses_policy(config), passive=config.learner.passive)


def check_new_run(config, simulator=None) -> None:
    """What a new run (not a resume) of ``config`` (on ``simulator``, where given) must hold
    beyond its settings' own checks: no setting of the other kind of system
    (:func:`~turinglearn.config.learner.check_kind_settings`), and a system to learn from, a
    truth or a recording (--no-check too)."""
    if not isinstance(config, Config):
        return
    from turinglearn.app.build import make_simulator
    from turinglearn.config.learner import check_kind_settings
    from turinglearn.core.contracts import is_interactive

    sim = simulator if simulator is not None else make_simulator(config)
    where = type(simulator).__name__ if simulator is not None else config.environment.id
    check_kind_settings(config.learner, is_interactive(sim), bool(config.data), where)
    if not config.data and "truth" in dir(sim) and sim.truth is None:
        raise ConfigError(
            f"{where} has no truth, and the config gives no recording: there is no system to learn from; give "
            "the recording of the system (data = FILE), or the simulator a truth to study it",
            "data",
        )
    if config.evaluation.statistics and config.evaluation.c2st_trials and config.evaluation.intervals != "off":
        check_statistics(config.evaluation.statistics, sim)


def check_statistics(path: str, sim) -> None:
    """``evaluation.statistics`` loads and gives one finite row a trajectory on a small batch of
    random trajectories of the simulator's features (before the run, not after its generations)."""
    from turinglearn.core.trust import own_statistics
    from turinglearn.environments.gym_wrapper import load_object

    x = np.random.default_rng(0).normal(size=(4, sim.config.steps, len(sim.feature_names)))  # both contracts' T
    own_statistics(load_object(path, "evaluation.statistics"), x, path)


def check_own_in_one_line(config, source, skip: str = "") -> None:
    """:func:`check_own_environment`, its problems in one :class:`TuringLearnError` line (the
    command line's): what the checker found, ``turinglearn check SOURCE`` to see them listed, and
    ``skip``, how to skip the check where the command can."""
    from turinglearn.app.checks import ContractError

    try:
        check_own_environment(config)
    except ContractError as e:
        raise TuringLearnError(
            f"{config.environment.id} does not fit its contract: {'; '.join(e.problems)} (turinglearn check "
            f"{source} lists them{'; ' + skip if skip else ''})"
        ) from None


def truth_advice(config) -> str:
    """How to give ``config``'s environment a truth: its setting where the environment's
    settings class has one, else the simulator's own attribute."""
    from dataclasses import fields, is_dataclass

    from turinglearn.environments import config_class

    cls = config_class(config.environment.id)
    if is_dataclass(cls) and "truth" in {f.name for f in fields(cls)}:
        return "set environment.truth to a value inside the bounds (--set 'environment.truth=[...]')"
    return (
        "give the simulator a truth inside the bounds (its attribute truth, [d]; or a truth field of its "
        "settings class, then environment.truth in the config)"
    )


def uses_policy(config) -> bool:
    """Whether ``config``'s models are policies run through the simulator's reset, sense and
    step (``models.kind`` ``mlp``, ``gru``, ``gp``), which the checker then probes too."""
    from turinglearn.app.registry import MODELS

    return config.models.kind in MODELS and MODELS[config.models.kind].policy is not None


def refuse_simulator_as_config(config, call: str) -> None:
    """A simulator (object or class) given where a preset, file or Config goes, as ``call``'s
    first argument: a TypeError naming ``simulator=`` (a raw pathlib TypeError otherwise).
    ``call``: how the right call reads, with ``{name}`` for the simulator's class."""
    if config is None or isinstance(config, (str, Path, Config, GANConfig)):
        return
    if "rollout" in dir(config) or "step" in dir(config):
        name = config.__name__ if isinstance(config, type) else type(config).__name__
        head = call.split("(", 1)[0]
        raise TypeError(
            f"{head}'s first argument is a preset, a file or a Config; pass a simulator as {call.format(name=name)}"
        )
