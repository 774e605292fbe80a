r"""Validating TOML tables into frozen config dataclasses: wrong keys, types and values are
:class:`~turinglearn.errors.ConfigError`\ s that name the setting."""

from __future__ import annotations

import difflib
import math
import numbers
import re
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from turinglearn.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def plain(obj):
    if isinstance(obj, Mapping):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


# --- validation -------------------------------------------------------------------------------


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
_PLURALS = {int: "integers", float: "numbers", str: "strings", bool: "booleans (true or false)"}

#: dotted keys of the float settings where infinity is meaningful (``sigma_max = inf``: no cap);
#: every other float setting must be finite. Sections opt in with :func:`allow_infinity`.
_INFINITE: set[str] = set()

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def allow_infinity(*keys: str) -> None:
    """Let the float settings ``keys`` (dotted, e.g. ``"models.sigma_max"``) be ``inf``."""
    _INFINITE.update(keys)


def type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        inner = typing.get_args(tp)[0]
        return f"a list of {_PLURALS.get(inner, str(inner))}"
    return _NAMES.get(tp, str(tp))


def _is_array(value) -> bool:
    """A numpy array, without importing numpy where nothing has."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _got(value) -> str:
    """A bad value as an error shows it: an array by its shape, anything else in at most 80
    characters (a newcomer's recording given as data printed 1.8 kB)."""
    if _is_array(value) and value.size > 4:
        return f"an array of shape {tuple(value.shape)}"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def coerce(value, tp, key: str):
    """Check a TOML value against a field type; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"must be {type_name(tp)}, got {_got(value)}", key)
        inner = typing.get_args(tp)[0]
        return tuple(coerce(v, inner, key) for v in value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"must be a number, got {_got(value)}{_quoted(value, float) or _duration(value, key)}", key)
        if math.isnan(value):
            raise ConfigError("must be a number, got nan", key)
        if math.isinf(value) and key not in _INFINITE:
            raise ConfigError(f"must be a finite number, got {value}", key)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):  # numpy's integers are integers
            raise ConfigError(f"must be an integer, got {_got(value)}{_quoted(value, int)}", key)
        if not -(2**63) <= int(value) < 2**63:  # config.toml holds it: TOML's integers are 64-bit
            raise ConfigError(f"must fit in a signed 64-bit integer (-2**63 to 2**63 - 1, as TOML's), got {value}", key)
        return int(value)
    if tp is bool:
        if getattr(getattr(value, "dtype", None), "kind", None) == "b" and getattr(value, "ndim", 1) == 0:
            value = bool(value)  # numpy's booleans are booleans
        if not isinstance(value, bool):
            raise ConfigError(f"must be true or false, got {_got(value)}{_quoted(value, bool)}", key)
        return value
    if tp is str:
        if not isinstance(value, str):
            hint = (
                ": data is the path of a recording's file; save an array x [N, T, F] first, e.g. np.savez('rec.npz', "
                "individual=..., step=..., FEATURE=...) (docs/swarms.md, 'Learning from recorded observations')"
                if key.rsplit(".", 1)[-1] == "data" and _is_array(value)
                else ""
            )
            raise ConfigError(f"must be a string, got {_got(value)}{hint}", key)
        if _CONTROL.search(value):
            raise ConfigError(f"must not contain control characters, got {_got(value)}", key)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes of another encoding, as the shell passed them
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ConfigError(
                f"must be UTF-8 text, got '{shown}' (a byte that is not); config.toml keeps it as text: rename the "
                "file or give another value",
                key,
            ) from None
        return value
    if tp in (tuple, list):  # unparameterised: the TOML array as it is
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"must be a list, got {_got(value)}", key)
        return tuple(plain(value))
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # X | None: TOML has no None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return coerce(value, inner[0], key)
        if all(a in (int, float, bool, str) or typing.get_origin(a) in (tuple, list) for a in inner):
            for a in inner:  # X | tuple[X, ...]: the first that takes the value
                try:
                    return coerce(value, a, key)
                except ConfigError:
                    pass
            raise ConfigError(f"must be {' or '.join(type_name(a) for a in inner)}, got {_got(value)}", key)
    if tp is dict or typing.get_origin(tp) is dict:  # a table of named values (an environment's constructor's)
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise ConfigError(f"must be a table of named values, e.g. {{g = 9.81}}, got {_got(value)}", key)
        return plain(value)
    if tp in (typing.Any, object):
        return value
    # a settings class of one's own (an environment's config) with a type a TOML file cannot hold
    raise ConfigError(
        f"cannot be set from a config: its field is annotated {tp.__name__ if isinstance(tp, type) else tp}, not one of int, float, "
        "str, bool, tuple[float, ...] (annotate the field with one of them, e.g. truth: tuple[float, ...] = (0.5, 0.2))",
        key,
    )


def _quoted(value, tp) -> str:
    """A hint when ``value`` is a string that TOML would read as a valid ``tp`` without its
    quotes (a quoted number in a TOML file or in ``--set "key='0.6'"``), else ''."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    try:
        bare = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return ""
    if tp is bool:
        ok = isinstance(bare, bool)
    elif tp is int:
        ok = isinstance(bare, int) and not isinstance(bare, bool)
    else:  # a number: a finite one (an infinite value's own message comes once the quotes are gone)
        ok = isinstance(bare, (int, float)) and not isinstance(bare, bool) and math.isfinite(bare)
    return f" (a string: write it without quotes, {text})" if ok else ""


def _duration(value, key: str) -> str:
    """A hint when a budget in seconds (``stopping.max_time``, ``reserve``) was given as a duration."""
    if key not in ("stopping.max_time", "stopping.reserve") or not isinstance(value, str):
        return ""
    from turinglearn.config.stopping import parse_duration

    try:
        seconds = parse_duration(value)
    except ConfigError:
        return ""
    return f" (seconds: write {seconds:g}; durations such as 30m are for --max-time)"


def check_run_name(name: str, key: str = "name") -> None:
    """A run's name becomes a folder name (``runs/NAME-sSEED-TIME``): one plain path component."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or _CONTROL.search(name):
        raise ConfigError(
            f"must be a plain name for a folder (no '/', '\\', control characters, not '.' or '..'), got {name!r}",
            key,
        )
    if len(name.encode("utf-8")) > 120:
        raise ConfigError(f"must be at most 120 bytes long (it names a folder), got {len(name.encode())}", key)


def unknown(name: str, names, key: str, where: str = "here") -> ConfigError:
    """The error for a setting ``name`` (dotted ``key``) not among ``names``: the nearest name
    when one is close (a typo), then every valid one."""
    near = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    hint = f"did you mean {near[0]}? " if near else ""
    return ConfigError(f"unknown setting; {hint}valid keys {where} are: {', '.join(names)}", key)


def build_dataclass(cls, table: Mapping[str, Any], prefix: str = ""):
    """Build a config dataclass from a table, naming unknown keys, wrong types and bad values."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.init]
    if not isinstance(table, Mapping):
        raise ConfigError(f"must be a table of settings ({', '.join(names)}), got {_got(table)}", prefix or None)
    kwargs = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            raise unknown(key, names, dotted)
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
