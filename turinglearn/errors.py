"""Errors that name what is wrong and how to fix it."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


class TuringLearnError(Exception):
    """Base class of turinglearn's own errors."""


class ConfigError(TuringLearnError, ValueError):
    """A setting is missing, unknown, of the wrong type or out of range.

    ``key`` is the dotted name of the setting (``"models.population"``) when one is to blame.
    """

    def __init__(self, message: str, key: str | None = None):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class ContractViolation(TuringLearnError, ValueError):
    """Mid-run, a piece of one's own gave what its contract forbids: features that are not finite,
    a judge's output outside [0, 1], an optimiser's rows outside the bounds. The message names
    the piece, the generation and the fix; the run's checkpoints stay (a fault in its first
    generation leaves no run directory), and resuming repeats the fault until the piece is
    mended (``turinglearn check`` probes for most of them first)."""


class TuringLearnWarning(UserWarning):
    """Base class of turinglearn's own warnings: the run goes on, but something will mislead
    (the command line prints them as ``turinglearn: warning: ...``)."""


class RunDirError(TuringLearnError):
    """A run directory cannot be used (exists and is not a run, unreadable, not writable)."""


def positive_int(value) -> bool:
    """Whether ``value`` is a whole number of at least 1 (a Python or numpy integer, not a bool)."""
    from numbers import Integral

    return isinstance(value, Integral) and not isinstance(value, bool) and bool(value >= 1)


def check_at_least(config, **minimums) -> None:
    """Raise a :class:`ConfigError` naming the first field of ``config`` below its minimum:
    ``check_at_least(self, steps=1, n_replicas=0)``."""
    for key, minimum in minimums.items():
        value = vars(config)[key]  # a config dataclass's field
        if value < minimum:
            raise ConfigError(f"must be at least {minimum}, got {value}", key)


def check_none_or_more(config, *keys: str) -> None:
    """Raise a :class:`ConfigError` naming the first of ``keys`` that is negative, for settings
    where 0 means none (a budget, an archive): ``check_none_or_more(self, "max_time")``."""
    for key in keys:
        value = vars(config)[key]
        if value < 0:
            raise ConfigError(f"must be 0 (none) or more, got {value}", key)


def one_of(value: str, choices: tuple[str, ...], key: str) -> str:
    """``value`` if it is one of ``choices``, else a :class:`ConfigError` on ``key`` listing them."""
    if value not in choices:
        raise ConfigError(f"must be one of {', '.join(choices)}, got {value!r}", key)
    return value


class DataError(TuringLearnError):
    """Data cannot be used as given (missing or empty folder, unreadable file, inconsistent images)."""


def warn(message: str, category: type[Warning] = TuringLearnWarning) -> None:
    """Issue a warning that points at the first line outside turinglearn (the user's call of
    ``learn``, ``build`` or a checker), wherever in the package it was raised."""
    frame, level = sys._getframe(1), 2  # warnings.warn's stacklevel 2: the frame that called this
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
