"""Where configs come from: presets, TOML files, ``--set key=value`` overrides; and back to TOML."""


from __future__ import annotations

import sys
import typing
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from turinglearn.errors import ConfigError

if typing.TYPE_CHECKING:  # pragma: no cover
    from turinglearn.config.gan import GANConfig
from turinglearn.config.gan import check_gan_stopping_in_use
from turinglearn.config.learner import check_settings_in_use, memory_hint
from turinglearn.config.schema import set_dotted
from turinglearn.config.sections import Config, EnvironmentConfig, check_sections_in_use, from_dict

# --- sources: presets, files, overrides -------------------------------------------------------


def presets() -> list[str]:
    """Names of the built-in presets."""
    root = resources.files("turinglearn.presets")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _parse_toml(text: str, where: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where} is not valid TOML ({e}); fix the file's syntax") from None


#: config files that are pipes, as read: a second read of one would find it empty
_PIPED: dict[str, str] = {}


def read_source(preset_or_file: str | Path) -> dict:
    """The raw table of a preset name or a TOML file path."""
    path = Path(preset_or_file)
    if path.suffix == ".toml" or path.exists():
        if path.is_dir():
            raise ConfigError(f"config file {str(path)!r} is a directory; give a TOML file or a preset name")
        if not path.exists():
            raise ConfigError(
                f"config file {str(path)!r} does not exist; give a TOML file or one of the presets: "
                f"{', '.join(presets())}"
            )
        try:
            text = _PIPED[str(path)] if str(path) in _PIPED else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read config file {str(path)!r}: {e}") from None
        if not path.is_file():  # a pipe (turinglearn run <(...)): read once, kept for the next reader
            _PIPED[str(path)] = text
        if text.startswith("\ufeff"):  # a byte-order mark some editors write: TOML has none
            raise ConfigError(
                f"config file {str(path)!r} begins with a byte-order mark (U+FEFF), which TOML does not allow; save it "
                "as UTF-8 without BOM"
            )
        return _parse_toml(text, f"config file {str(path)!r}")
    name = str(preset_or_file)
    if name not in presets():
        raise ConfigError(
            f"unknown preset {name!r}; available presets: {', '.join(presets())}, or a path to a .toml file"
        )
    return _parse_toml(preset_text(name), f"preset {name!r}")


def preset_text(name: str) -> str:
    """The TOML file of the built-in preset ``name`` (one of :func:`presets`), as shipped."""
    return resources.files("turinglearn.presets").joinpath(f"{name}.toml").read_text(encoding="utf-8")


def parse_override(item: str) -> tuple[str, Any]:
    """``"a.b=VALUE"`` -> ``("a.b", value)``; VALUE is TOML, or a bare string if it is not."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set needs KEY=VALUE (e.g. models.population=50), got {item!r}")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def load_config(
    preset_or_file: str | Path = "aggregation",
    overrides: Iterable[str] | Mapping[str, Any] = (),
    *,
    strict: bool = True,
) -> Config | GANConfig:
    """Read a preset or TOML file, apply overrides (``"key=value"`` strings or a mapping).

    strict: also refuse a setting that changes nothing: a ``[learner]`` one of a feature that is
    off (:func:`~turinglearn.config.learner.check_settings_in_use`), a ``[models]`` one its kind
    does not read and workers in process (:func:`~turinglearn.config.sections.check_sections_in_use`), a GAN's ``[stopping]``
    one of the evolutionary rules; False reads a run's own ``config.toml`` as it was written, to
    resume or report it."""
    data = read_source(preset_or_file)
    items = list(overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides))
    env = data.get("environment")
    new_id = dict(items).get("environment.id")
    if new_id is not None and isinstance(env, dict) and env.get("id", EnvironmentConfig.id) != new_id:
        data["environment"] = {}  # another environment starts from its own defaults, as Config.replace does
    for key, value in items:
        set_dotted(data, key, value)
    try:
        config = from_dict(data)
        if strict and isinstance(config, Config):
            check_settings_in_use(config.learner)
            check_sections_in_use(config)
        elif strict:
            check_gan_stopping_in_use(config)
    except ConfigError as e:
        learner = data.get("learner")
        raise memory_hint(e, learner if isinstance(learner, dict) else {}) from None
    return config


def to_toml(config: Config | GANConfig, simulator=None) -> str:
    """The config as TOML text (a run's ``config.toml``). With ``simulator``, an object given
    to :func:`~turinglearn.app.driver.learn` in place of the config's environment, the
    environment table names that object as ``object:module:Class`` (its qualified name): rerunning the file is then
    refused with a message saying how to make the simulator rebuildable, never run with the
    environment the config happened to carry."""
    import tomli_w

    return tomli_w.dumps(with_simulator(config, simulator).to_dict())


def with_simulator(config: Config | GANConfig, simulator=None) -> Config | GANConfig:
    """``config`` with its environment table naming ``simulator``, the object that ran in its
    place: id ``object:module:Class`` and, as options, the object's own settings (its
    ``config``'s fields that TOML can write: steps, agents, replicas...) with its parameters'
    names, bounds and truth, its features' names (and a GymSim's gymnasium id), so a result and a run's
    ``config.toml`` describe the system that ran, not the environment the config carried, and
    :func:`~turinglearn.app.driver.resume` can tell another object from it.
    Without a simulator (or for a GAN), ``config`` itself."""
    if simulator is None or not isinstance(config, Config):
        return config
    import copy
    import dataclasses

    from turinglearn.config.sections import EnvironmentConfig
    from turinglearn.environments import OBJECT_PREFIX

    cls = type(simulator)
    own = simulator.config if "config" in dir(simulator) else None
    if dataclasses.is_dataclass(own) and not isinstance(own, type):
        try:
            settings = dataclasses.asdict(own)  # slotted ones too; nested ones become tables, dropped below
        except Exception:  # a field that cannot be copied: the settings go unrecorded
            settings = {}
    else:
        settings = dict(vars(own)) if own is not None and "__dict__" in dir(own) else {}
    family = simulator.model_family if "model_family" in dir(simulator) else None
    if family is not None and "names" in dir(family):  # what the run learned: the parameters, their box, the truth
        settings["parameters"] = list(family.names)
        if family.lower is not None:
            settings["lower"], settings["upper"] = family.lower, family.upper
    truth = simulator.truth if "truth" in dir(simulator) else None
    if truth is not None:
        settings["truth"] = truth
    if "feature_names" in dir(simulator):  # what its samples hold: a rerun with other features is refused
        settings["feature_names"] = [str(f) for f in simulator.feature_names]
    if "env_id" in dir(simulator):  # a GymSim: the gymnasium environment it wraps
        settings["gym_id"] = simulator.env_id
    options = {k: _toml_value(v) for k, v in settings.items() if not k.startswith("_")}
    options = {k: v for k, v in options.items() if v is not None}
    env = EnvironmentConfig(id=f"{OBJECT_PREFIX}{cls.__module__}:{cls.__qualname__}", options=options)
    # not through Config's validation, which refuses an object id (no file can rebuild the object):
    # this config describes a run, and running it again is refused with that message
    named = copy.copy(config)
    object.__setattr__(named, "environment", env)
    return named


def _toml_value(value):
    """A setting as TOML writes it (numbers, strings, booleans, lists of them), or None."""
    import numbers

    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        items = [_toml_value(v) for v in list(value)]
        return items if all(v is not None for v in items) else None
    return None
