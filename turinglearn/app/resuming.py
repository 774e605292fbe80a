"""What a resume adds to a run it continues (:func:`~turinglearn.app.driver.resume`): the
settings it writes into ``config.toml``, the columns of metrics a newer version records, the
recording a run reads from the directory it began in, and the words of its first line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def data_where_it_ran(config, status: Mapping, log, given=frozenset()):
    """``config`` with its relative paths (``data``: a swarm's recording or a GAN's images;
    ``evaluation.c2st_schedule``: a ``.npy`` schedule) read from the directory the run began in
    (its first session's), wherever the resume runs: a resume from elsewhere, a batch job started
    in another directory, failed on them, or read another file of the same name there (an
    auditor's resume from B read B's rec.npz for the run begun in A). config.toml keeps the paths
    as they were given; :func:`~turinglearn.app.checkpoint.check_inputs` compares the contents.
    ``given``: keys this command sets itself, read from here."""
    began = first_directory(status)
    if not began:
        return config
    here = Path.cwd().resolve()
    for key, value in _relative_paths(config).items():
        if key in given:
            continue
        there = Path(began) / value
        if not there.exists() and not Path(value).exists():  # a project folder moved, or the file removed
            from turinglearn.errors import ConfigError

            raise ConfigError(
                f"{value!r} is neither in the directory the run began in, {began}, nor here: run from the folder "
                "that holds it now (a moved project), or put it back",
                key,
            )
        if Path(began).resolve() == here or not there.exists():
            continue  # read from here
        log(f"turinglearn: {key} {value!r} read from the directory the run began in, {began}")
        config = config.replace(**{key: str(there)})
    return config


def paths_of_a_run(config, source, given=(), log=None):
    """``config`` loaded from ``source``; where that is a run directory's own config.toml, run
    again from elsewhere, its relative paths are read where that run began, as a resume reads
    them (unless this command gives them, ``given``: the dotted keys it sets, or its ``KEY=VALUE``
    overrides): rerunning a run's config.toml from another directory had read the file of the
    same name there. ``log`` (default: standard error) is told where a path was read."""
    import os
    import sys

    from turinglearn.app.runs import read_status
    from turinglearn.errors import RunDirError

    given = {str(g).split("=", 1)[0].strip() for g in given}
    if log is None:  # under torchrun the first process speaks for all (every rank had said it)
        first = os.environ.get("RANK", "0") == "0"
        log = (lambda message: print(message, file=sys.stderr)) if first else (lambda message: None)
    path = Path(str(source))
    if path.suffix != ".toml" or not path.is_file() or not (path.parent / "run.json").is_file():
        return config
    try:
        status = read_status(path.parent)
    except RunDirError:
        return config
    return data_where_it_ran(config, status, log, given)


def _relative_paths(config) -> dict[str, str]:
    """The settings of ``config`` that name a file or folder by a relative path."""
    from turinglearn.app.checkpoint import input_settings

    return {k: v for k, v in input_settings(config).items() if not Path(v).is_absolute()}


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
