r"""Validating TOML tables into frozen config dataclasses: wrong keys, types and values are
:class:`~turinglearn.errors.ConfigError`\ s that name the setting."""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from turinglearn.errors import ConfigError


def plain(obj):
    if isinstance(obj, Mapping):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


# --- validation -------------------------------------------------------------------------------


def type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return f"a list of {type_name(typing.get_args(tp)[0])}s"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(tp, str(tp))


def coerce(value, tp, key: str):
    """Check a TOML value against a field type; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"must be {type_name(tp)}, got {value!r}", key)
        inner = typing.get_args(tp)[0]
        return tuple(coerce(v, inner, key) for v in value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"must be a number, got {value!r}", key)
        if math.isnan(value):
            raise ConfigError("must be a number, got nan", key)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"must be an integer, got {value!r}", key)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"must be true or false, got {value!r}", key)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"must be a string, got {value!r}", key)
        return value
    raise TypeError(f"unsupported config field type {tp}")  # pragma: no cover


def build_dataclass(cls, table: Mapping[str, Any], prefix: str = ""):
    """Build a config dataclass from a table, naming unknown keys, wrong types and bad values."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.init]
    if not isinstance(table, Mapping):
        raise ConfigError(f"must be a table of settings ({', '.join(names)}), got {table!r}", prefix or None)
    kwargs = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown setting; valid keys here are: {', '.join(names)}", dotted)
        kwargs[key] = coerce(value, hints[key], dotted)
    try:
        return cls(**kwargs)
    except ConfigError as e:
        key = f"{prefix}{e.key}" if e.key else prefix.rstrip(".") or None
        raise ConfigError(str(e).removeprefix(f"{e.key}: ") if e.key else str(e), key) from None




def set_dotted(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{'.'.join(parts[: i + 1])!r} is a value, not a table", key)
        node = child
    node[parts[-1]] = value
