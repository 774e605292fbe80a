"""What a resume adds to a run it continues (:func:`~turinglearn.app.driver.resume`): the
settings it writes into ``config.toml``, the columns of metrics a newer version records, the
recording a run reads from the directory it began in, and the words of its first line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def data_where_it_ran(config, status: Mapping, log):
    """``config`` with its ``data``, a path relative to the directory the run began in (its first
    session's), read from there when it is not found from here (a resume from elsewhere, a batch
    job started in another directory, failed on it; config.toml keeps the path as it was given)."""
    data = config.data  # a swarm's recording or a GAN's images
    if not data or data in ("digits", "mnist") or Path(data).is_absolute() or Path(data).exists():
        return config  # none, a GAN's named images, or found
    began = first_directory(status)
    if not began or not (Path(began) / data).exists():
        return config  # the loader names what is missing
    log(f"turinglearn: data {data!r} read from the directory the run began in, {began}")
    return config.replace(data=str(Path(began) / data))


def budget_words(config) -> str:
    """'; budget this session: ...' when the resumed session has a budget (the run's own, from its
    config.toml, unless --max-time or --max-simulations gave another), else ''."""
    st = config.stopping
    parts = [f"{st.max_time:g} s"] if st.max_time else []
    parts += [f"{st.max_simulations} simulations"] if st.max_simulations else []
    if not parts:
        return ""
    return f"; budget this session: {' and '.join(parts)} (--max-time, --max-simulations: another; 0: none)"


def changed_settings(path: Path, settings: Mapping[str, Any]) -> dict:
    """The run's config file ``path`` as a table, with ``settings`` (dotted key -> value) set."""
    from turinglearn.config import read_source
    from turinglearn.config.schema import set_dotted

    data = read_source(path)
    for key, value in settings.items():
        set_dotted(data, key, value)
    return data


def with_columns(history: dict, columns) -> dict:
    """A checkpoint's metrics with every column of this version (a column that a run made by an
    older version did not record is NaN for the generations it covers)."""
    n = len(next(iter(history.values()), []))
    return {c: history[c] if c in history else np.full(n, np.nan) for c in columns} | history


def first_directory(status: Mapping) -> str | None:
    """The working directory the run began in (run.json's first session's), or None."""
    sessions = status.get("sessions") or [{}]
    first = sessions[0] if isinstance(sessions, list) and sessions else {}
    return first.get("cwd") if isinstance(first, dict) else None
