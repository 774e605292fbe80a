"""A run made with a simulator object (``learn(simulator=...)``): its ``config.toml`` names the
object's class and settings instead of an environment id, and is read back beside an object of
the same class and settings (:func:`config_with_simulator`), to rerun or resume it."""

from __future__ import annotations

from pathlib import Path

from turinglearn.app.checkpoint import same_value
from turinglearn.config import Config
from turinglearn.errors import ConfigError, TuringLearnError


def names_an_object(config) -> bool:
    """Whether ``config`` is a TOML file whose environment is a simulator object's
    (``learn(simulator=...)`` wrote it)."""
    from turinglearn.config import read_source
    from turinglearn.environments import OBJECT_PREFIX

    if not isinstance(config, (str, Path)) or not str(config).endswith(".toml") or not Path(config).is_file():
        return False
    try:
        env = read_source(Path(config)).get("environment") or {}
    except TuringLearnError:
        return False  # load_config says what is wrong with it
    return isinstance(env, dict) and str(env.get("id", "")).startswith(OBJECT_PREFIX)


def config_with_simulator(path: Path, simulator) -> Config:
    """A run's config.toml, written by ``learn(simulator=...)``, for ``simulator``: its
    environment table must name the object's class and hold the object's settings; the rest is
    the config the run ran (its environment table was the object's, which replaced it)."""
    from turinglearn.config import from_dict, read_source
    from turinglearn.config.load import with_simulator
    from turinglearn.environments import OBJECT_PREFIX

    data = read_source(path)
    env = data.pop("environment", None) or {}
    named = with_simulator(from_dict(data), simulator).environment
    if env.get("id") != named.id:
        raise ConfigError(
            f"{path} ran {env.get('id', 'an environment id')!r}, not a simulator object of class "
            f"{type(simulator).__qualname__} ({named.id!r}): "
            + ("resume(run_dir) without simulator=" if not str(env.get("id", "")).startswith(OBJECT_PREFIX) else
               "give an object of the class the run was made with"),
            "environment.id",
        )
    ran = {k: v for k, v in env.items() if k != "id"}
    later = ("feature_names",)  # recorded since: a run written before has none to compare
    differ = sorted(
        k for k in set(ran) | set(named.options)
        if not same_value(ran.get(k), named.options.get(k)) and (k in ran or k not in later)
    )  # fmt: skip
    if ran and differ:  # a run written before its object's settings were recorded has none to compare
        shown = "; ".join(f"{k} = {named.options.get(k)!r}, the run's is {ran.get(k)!r}" for k in differ[:5])
        raise ConfigError(f"the simulator's settings differ from the run's: {shown}; build it as the run's was", "environment")
    return from_dict(data)
