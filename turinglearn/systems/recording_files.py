"""Recording files: the format of recorded observations, reading them (every way a file can be
unusable is one ConfigError) and writing them (whole, or not at all).

**Schema** (long format: one row per individual and time step):

| column | type | meaning |
|---|---|---|
| ``individual`` | integer | which individual (trajectory) the row belongs to; any distinct ids |
| ``step`` | integer | time step, ``0 .. T-1``; every individual has every step exactly once |
| one column per feature | float | named as the environment's ``feature_names`` (``turinglearn envs``; e.g. ``linear_speed``, ``angular_speed`` for aggregation), normalised as the simulator normalises them |
| ``stimulus_0`` .. ``stimulus_{k-1}`` (optional) | float | for an interactive simulator: the stimulus applied to the individual at that step (inside its ``stimulus_space``); with them, each simulated trial runs under the stimuli of the recorded individual it is shown beside, without them under the passive schedule |

Files: ``.csv`` (a header row with the column names), ``.npz`` (one 1-D array per column, all
of the same length; an optional array ``truth`` [d] records the parameters that produced the
data, when known, so runs report their error, and ``truth_names`` [d] names them, so that a
model of other parameters is not scored against it), ``.parquet`` (needs ``pyarrow``), or a folder of
such files, read as one recording (one file a trial or an animal, as labs export them). ``T`` must
equal the environment's ``steps``; values must lie in the simulator's declared
``feature_space`` where it declares one.
"""


from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from turinglearn.errors import ConfigError, TuringLearnError
from turinglearn.systems.recording_columns import (
    ID,
    STEP,
    SUFFIXES,
    TRUTH_NAMES,
    as_int,
    check_numeric,
    read_columns,
)
from turinglearn.systems.recording_windows import NoWindows

_STIMULUS = re.compile(r"stimulus_\d+")  # a column of the stimuli applied (stimulus_columns)


@dataclass(frozen=True)
class Recording:
    """Trajectories of a file: x [N, T, F] float64, ids [N], truth [d] or None (and the names of
    the parameters it is of, where the file gives them: ``truth_names``), and the stimuli applied
    to each individual [N, T, k] (an interactive system's, where the file has them) or None.
    Read in windows, each row is a window and ``groups`` [N] the individual it came from."""

    x: np.ndarray
    ids: np.ndarray
    feature_names: tuple[str, ...]
    truth: np.ndarray | None = None
    stimulus: np.ndarray | None = None
    truth_names: tuple[str, ...] | None = None
    groups: np.ndarray | None = None  # [N]: the individual each window came from (read with windows)
    windows: dict | None = None  # what cutting into windows kept (recording_windows.cut_windows)


def stimulus_columns(k: int) -> tuple[str, ...]:
    """The columns of the stimuli an interactive simulator of ``k`` stimulus components applied."""
    return tuple(f"stimulus_{j}" for j in range(k))


# --- reading and validating -------------------------------------------------------------------


def read_recording(
    path: str | Path,
    feature_names=None,
    steps: int | None = None,
    feature_space=None,
    stimulus_space=None,
    windows: bool = False,
) -> Recording:
    """Read and validate a recording (schema: the module docstring) for an environment whose
    features are ``feature_names`` (None: the file's own, every column but the individual,
    the step and the stimuli, in its order), ``steps`` long, within ``feature_space`` (a Box or None);
    ``stimulus_space`` (an interactive simulator's Box of shape (k,)): the file may carry the
    stimuli applied, columns ``stimulus_0 .. stimulus_{k-1}``, inside it. ``windows``: tracks of
    any length, with gaps (missing rows, NaN), are cut into windows of ``steps`` steps
    (:func:`~turinglearn.systems.recording_windows.cut_windows`; ``groups`` names each one's
    individual); without it every individual must have the same ``steps`` steps, every value.
    Every problem is a :class:`~turinglearn.errors.ConfigError` naming what to fix."""
    path = Path(path)
    if windows and steps is None:
        raise ValueError("cutting a recording into windows needs the simulator's steps")
    if path.is_dir():
        return _read_folder(path, feature_names, steps, feature_space, stimulus_space, windows)
    if not path.is_file():
        raise ConfigError(
            f"recording {str(path)!r} does not exist; give the path of a {'/'.join(SUFFIXES)} file, or a folder of "
            "them",
            "data",
        )
    cols, truth, truth_names = read_columns(path)
    if feature_names is None:  # the file's own, and its stimuli where it has them, unbounded
        feature_names = [c for c in cols if c not in (ID, STEP) and not _STIMULUS.fullmatch(c)]
        k = sum(1 for c in cols if _STIMULUS.fullmatch(c))
        if stimulus_space is None and k:
            stimulus_space = SimpleNamespace(shape=(k,), low=-np.inf, high=np.inf)
    names = tuple(feature_names)
    applied = stimulus_columns(int(np.prod(stimulus_space.shape))) if stimulus_space is not None else ()
    clash = set(applied) & set(names)
    if clash:
        raise ConfigError(
            f"the simulator's feature names {sorted(clash)} are the recording's stimulus columns; rename the features",
            "data",
        )
    stimulated = bool(applied) and any(c in cols for c in applied)
    schema = ", ".join((ID, STEP, *names)) + (
        f" (optional: the stimuli applied, {', '.join(applied)})" if applied else ""
    )
    expected = (ID, STEP, *names, *(applied if stimulated else ()))
    missing = [c for c in expected if c not in cols]
    extra = [c for c in cols if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks column(s) {', '.join(map(repr, missing))}")
        if extra:
            index = [c for c in extra if c == "" or c.startswith("Unnamed")]  # pandas' index, written along
            stimuli = [c for c in extra if _STIMULUS.fullmatch(c)]
            applied_hint = (
                f" (stimuli applied: this simulator takes {len(applied)}, {', '.join(applied)})" if applied
                else " (stimuli applied: this simulator takes none; an interactive one declares a stimulus_space)"
            )
            parts.append(
                f"has unexpected column(s) {', '.join(map(repr, extra))}"
                + (" (a table's index: write it with index=False)" if index else "")
                + (applied_hint if stimuli else "")
            )
        n_feat = len([c for c in cols if c not in (ID, STEP) and not _STIMULUS.fullmatch(c)])
        raise ConfigError(
            f"recording {str(path)!r} {' and '.join(parts)}: it has {n_feat} feature column(s), the environment "
            f"has {len(names)} ({', '.join(names)}); the schema is: {schema}",
            "data",
        )
    lengths = {c: len(cols[c]) for c in expected}
    if len(set(lengths.values())) != 1:
        raise ConfigError(f"recording {str(path)!r}: columns have different lengths {lengths}", "data")
    n_rows = lengths[ID]
    if n_rows == 0:
        raise ConfigError(f"recording {str(path)!r} has no rows", "data")
    ids = as_int(cols[ID], ID, path)
    t = as_int(cols[STEP], STEP, path)
    for c in names:
        check_numeric(np.asarray(cols[c]), f"column {c!r}", path)
    values = np.stack([np.asarray(cols[c], dtype=float) for c in names], axis=1)  # [rows, F]
    if windows:  # tracks of any length, gaps and all: the stretches cut into windows of `steps`
        from turinglearn.systems.recording_windows import cut_windows

        u = _stimulus_rows(cols, applied, stimulus_space, path, ids, t, missing_ok=True) if stimulated else None
        if u is not None and np.isinf(u).any():
            r, j = np.argwhere(np.isinf(u))[0]
            raise ConfigError(
                f"recording {str(path)!r}: stimulus_{j} is {u[r, j]} at individual {ids[r]}, step {t[r]} (row {r}); a "
                "stimulus not known is NaN (data_windows cuts around it), an infinite one is not one",
                "data",
            )
        if np.isinf(values).any():  # a lost frame is NaN; an infinite value is a mistake
            r, j = np.argwhere(np.isinf(values))[0]
            raise ConfigError(
                f"recording {str(path)!r}: column {names[j]!r} has {values[r, j]} at individual {ids[r]}, step {t[r]} "
                f"(row {r}); a lost frame is NaN (data_windows cuts around it), an infinite value is not one",
                "data",
            )
        _check_range(values[:, None], names, feature_space, path, ids, t)  # each row: the file's own step
        x, stimulus, groups, cut = cut_windows(values, u, ids, t, steps, path)
        _check_learnable(x, path)
        return Recording(x, np.arange(len(x)), names, truth, stimulus, truth_names, groups, cut)
    bad = ~np.isfinite(values)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        raise ConfigError(
            f"recording {str(path)!r}: column {names[j]!r} has {values[r, j]} at individual {ids[r]}, step {t[r]} "
            f"(row {r}); {int(bad.sum())} value(s) are NaN or infinite; cut the tracks around them into windows of "
            f"the simulator's steps (data_windows = true, --set data_windows=true), or fill the gaps and have the "
            "simulator do the same to its own (a tracker's losses filled in the recording but not in the simulator "
            "are a difference the judges learn: docs/swarms.md, 'Tracks of any length, with gaps')",
            "data",
        )
    uniq, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if len(set(counts.tolist())) != 1:
        short = uniq[np.argmin(counts)]
        raise ConfigError(
            f"recording {str(path)!r} is ragged: individual {short} has {counts.min()} steps, individual "
            f"{uniq[np.argmax(counts)]} has {counts.max()}; every individual needs the same "
            + (f"{steps} steps (the simulator's)" if steps else "T steps")
            + ", or cut the tracks into windows of them (data_windows = true, --set data_windows=true); a track that "
            "stops because the trial ended (a colony committed, an animal left) is not a gap: repeat its last row to "
            "the end, as the simulator must do with its own (windows would keep only the tracks that never ended)",
            "data",
        )
    n_steps = int(counts[0])
    order = np.lexsort((t, inverse))
    stimulus = (
        _stimulus_rows(cols, applied, stimulus_space, path, ids, t)[order].reshape(len(uniq), n_steps, len(applied))
        if stimulated
        else None
    )
    t_sorted = t[order].reshape(len(uniq), n_steps)
    want = np.arange(n_steps)
    wrong = (t_sorted != want).any(axis=1)
    if wrong.any():
        i = int(np.argmax(wrong))
        last = (steps or n_steps) - 1
        missing = sorted(set(range(last + 1)) - set(t_sorted[i].tolist()))
        gap = (
            f" (steps {missing[:5]}{' ...' if len(missing) > 5 else ''} are missing: a track recorded at another rate is "
            "resampled to the simulator's step; one with lost frames is cut around them with data_windows = true)"
            if missing
            else ""
        )
        raise ConfigError(
            f"recording {str(path)!r}: individual {uniq[i]} has steps {t_sorted[i][:8].tolist()}...; each individual "
            f"needs every step 0 .. {last} exactly once{gap}",
            "data",
        )
    if steps is not None and n_steps != steps:
        raise ConfigError(
            f"recording {str(path)!r} has {n_steps} steps per individual; the simulator runs {steps} (its "
            f"config.steps). A step must last as long on both sides: if the recording's frame rate differs from "
            "the simulator's step, resample the recording to it first (changing the steps instead fits the "
            "parameters to the wrong time scale); if the tracks are longer or shorter, make them agree: for a "
            f"registered environment with environment.steps = {n_steps} (--set environment.steps={n_steps}), for a "
            f"simulator object by building it with {n_steps} steps, "
            + (
                f"or cut the recording's tracks into windows of {steps} steps (data_windows = true)"
                if n_steps > steps
                else f"or record tracks of at least {steps} steps (shorter ones cannot be used)"
            ),
            "data",
        )
    x = values[order].reshape(len(uniq), n_steps, len(names))
    _check_range(x, names, feature_space, path, uniq)
    _check_learnable(x, path)
    return Recording(x, uniq, names, truth, stimulus, truth_names)


def _read_folder(folder: Path, feature_names, steps, feature_space, stimulus_space, windows: bool = False) -> Recording:
    """A folder of recording files (one a trial, an animal or a day, as a lab exports them), each
    read as :func:`read_recording` reads one, as one recording: their individuals in the files'
    order (sorted by name), numbered anew (ids repeat across files); the files must all carry the
    stimuli applied or none, and agree on the truth where they give one."""
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in SUFFIXES and not f.name.startswith("."))
    if not files:
        raise ConfigError(
            f"recording folder {str(folder)!r} holds no {'/'.join(SUFFIXES)} files; give a folder of recording files "
            "or one file",
            "data",
        )
    recs, empty = [], []
    for f in files:
        try:
            rec = read_recording(f, feature_names, steps, feature_space, stimulus_space, windows)
        except NoWindows as e:
            empty.append((f, e.info))  # a file with no stretch long enough: the others may have plenty
            continue
        if feature_names is None:  # the first file's own, where none were given: the others must have them
            feature_names = rec.feature_names
            if stimulus_space is None and rec.stimulus is not None:
                stimulus_space = SimpleNamespace(shape=rec.stimulus.shape[-1:], low=-np.inf, high=np.inf)
        recs.append(rec)
    if not recs:
        raise ConfigError(
            f"recording folder {str(folder)!r}: none of its {len(files)} files has a stretch of {steps} consecutive "
            "steps with every value present; build the simulator with fewer steps, or fill short gaps",
            "data",
        )
    files = [f for f in files if f not in {g for g, _ in empty}]
    with_stimuli = [r.stimulus is not None for r in recs]
    if any(with_stimuli) and not all(with_stimuli):
        bare = files[with_stimuli.index(False)].name
        raise ConfigError(
            f"recording folder {str(folder)!r}: {bare} has no stimulus columns, {files[with_stimuli.index(True)].name} "
            "has: every file must carry the stimuli applied, or none",
            "data",
        )
    truths = [(f.name, r.truth, r.truth_names) for f, r in zip(files, recs, strict=True) if r.truth is not None]
    named = [(f, n) for f, _, n in truths if n is not None]
    for f, t, _ in truths[1:]:
        if not np.array_equal(t, truths[0][1]):
            raise ConfigError(
                f"recording folder {str(folder)!r}: its files give different truths ({truths[0][0]}: "
                f"{truths[0][1].tolist()}, {f}: {t.tolist()})",
                "data",
            )
    for f, n in named[1:]:
        if n != named[0][1]:
            raise ConfigError(
                f"recording folder {str(folder)!r}: its files name their truth's parameters differently "
                f"({named[0][0]}: {', '.join(named[0][1])}; {f}: {', '.join(n)})",
                "data",
            )
    x = np.concatenate([r.x for r in recs])
    stimulus = np.concatenate([r.stimulus for r in recs]) if all(with_stimuli) else None
    truth = truths[0][1] if truths else None
    truth_names = named[0][1] if named else None
    groups, cut = None, None
    if windows:  # an individual of one file is not one of another's: groups numbered anew, file by file
        parts, offset = [], 0
        for r in recs:
            local = np.unique(r.groups, return_inverse=True)[1]
            parts.append(local + offset)
            offset += int(local.max()) + 1
        groups = np.concatenate(parts)
        cut = {k: sum(r.windows[k] for r in recs) for k in recs[0].windows}
        for _, info in empty:  # their individuals and rows were read, and gave none
            cut["individuals"] += info["individuals"]
            cut["without_window"] += info["individuals"]
            cut["rows"] += info["rows"]
        if empty:
            cut["files_without_window"] = len(empty)
    return Recording(x, np.arange(len(x)), recs[0].feature_names, truth, stimulus, truth_names, groups, cut)


def _stimulus_rows(cols, applied, space, path: Path, ids, t, missing_ok: bool = False) -> np.ndarray:
    """The stimulus columns as [rows, k], numbers inside ``space`` (``missing_ok``: NaN where a
    frame's stimulus is unknown, which the windows leave out)."""
    for c in applied:
        check_numeric(np.asarray(cols[c]), f"column {c!r}", path)
    u = np.stack([np.asarray(cols[c], dtype=float) for c in applied], axis=1)  # [rows, k]
    low = np.broadcast_to(np.asarray(space.low, float).ravel(), (len(applied),))
    high = np.broadcast_to(np.asarray(space.high, float).ravel(), (len(applied),))
    missing = ~np.isfinite(u)
    if missing.any() and not missing_ok:
        r, j = np.argwhere(missing)[0]
        who = np.unique(ids[missing.any(axis=1)])
        raise ConfigError(
            f"recording {str(path)!r}: {applied[j]} is missing (NaN) at individual {ids[r]}, step {t[r]} (row {r}), in "
            f"{len(who)} individual(s) in all; drop those individuals (a trial whose stimuli are unknown cannot be "
            "simulated alike), or fill in the stimuli they received",
            "data",
        )
    with np.errstate(invalid="ignore"):
        bad = (u < low) | (u > high)  # NaN compares False: a missing stimulus is not out of range
    if bad.any():
        r, j = np.argwhere(bad)[0]
        raise ConfigError(
            f"recording {str(path)!r}: {applied[j]} = {u[r, j]:g} at individual {ids[r]}, step {t[r]} (row {r}) is not a "
            f"stimulus inside the simulator's stimulus_space [{low[j]:g}, {high[j]:g}] ({int(bad.sum())} value(s), from "
            f"{np.nanmin(u[:, j]):g} to {np.nanmax(u[:, j]):g}); the stimuli must be those the simulator's step takes: "
            "rescale them into its space as the simulator would (e.g. mV to the fraction of the largest)",
            "data",
        )
    return u


def _check_range(x: np.ndarray, names, feature_space, path: Path, who: np.ndarray, first=None) -> None:
    """Every value of x [N, T, F] inside ``feature_space`` (where one is declared; NaN passes);
    ``who`` [N] names each row's individual in the message, ``first`` [N] its first step (0)."""
    if feature_space is None:
        return
    low = np.broadcast_to(np.asarray(feature_space.low, float), (len(names),))
    high = np.broadcast_to(np.asarray(feature_space.high, float), (len(names),))
    with np.errstate(invalid="ignore"):
        out = (x < low) | (x > high)
    if out.any():
        i, k, j = np.argwhere(out)[0]
        step = k if first is None else int(first[i]) + k
        raise ConfigError(
            f"recording {str(path)!r}: {names[j]} = {x[i, k, j]:g} at individual {who[i]}, step {step} lies outside "
            f"the declared range [{low[j]:g}, {high[j]:g}] ({int(out.sum())} value(s) outside); features must be "
            "normalised as the simulator normalises them",
            "data",
        )


def _check_learnable(x: np.ndarray, path: Path) -> None:
    """Values that overflow the summary statistics of the two-sample test (computed in float64,
    classified in float32) cannot be learned from: refused now rather than after training."""
    from turinglearn.core.evaluation import trajectory_features

    with np.errstate(all="ignore"):
        feats = trajectory_features(x)
    bad = ~(np.abs(feats) < np.finfo(np.float32).max / 1e3)
    if bad.any():
        big = float(np.max(np.abs(x)))
        raise ConfigError(
            f"recording {str(path)!r}: values up to {big:g} are too large to learn from; features must be "
            "normalised as the simulator normalises them",
            "data",
        )


# --- writing ----------------------------------------------------------------------------------


def write_recording(
    path: str | Path,
    x: np.ndarray,
    feature_names,
    truth=None,
    overwrite: bool = True,
    stimulus=None,
    truth_names=None,
) -> Path:
    """Write trajectories x [N, T, F] in the schema (suffix: .npz, .csv or .parquet), whole or
    not at all (a temporary file, renamed); ``stimulus`` [N, T, k]: the stimuli applied to each
    individual (columns ``stimulus_0 ..``); ``truth_names``: the parameters the truth is of (.npz,
    beside ``truth``), so that a model of other parameters is not scored against it.
    File-system problems are one-line errors; with ``overwrite=False`` an existing file is refused."""
    path = Path(path)
    x = np.asarray(x, dtype=float)
    n, t, f = x.shape
    if f != len(feature_names):
        raise ValueError(f"x has {f} features, feature_names {len(feature_names)}")
    if stimulus is not None:
        stimulus = np.asarray(stimulus, dtype=float)
        if stimulus.ndim != 3 or stimulus.shape[:2] != (n, t):
            raise ValueError(f"stimulus must be [N, T, k] = [{n}, {t}, k], got {stimulus.shape}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"unknown recording type {path.suffix!r}; use one of {', '.join(SUFFIXES)}")
    if path.is_dir():
        raise TuringLearnError(f"cannot write recording {str(path)!r}: it is a directory; give a file name")
    if path.exists() and not overwrite:
        raise TuringLearnError(
            f"recording {str(path)!r} exists; choose another file, or replace it with --overwrite"
        )
    cols = {ID: np.repeat(np.arange(n), t), STEP: np.tile(np.arange(t), n)}
    cols.update({name: x[:, :, j].ravel() for j, name in enumerate(feature_names)})
    if stimulus is not None:
        cols.update({c: stimulus[:, :, j].ravel() for j, c in enumerate(stimulus_columns(stimulus.shape[2]))})
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                "writing Parquet needs pyarrow: pip install pyarrow (or write .npz or .csv)"
            ) from None
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            if suffix == ".npz":
                extra = {} if truth is None else {"truth": np.asarray(truth, float)}
                if truth is not None and truth_names is not None:
                    extra[TRUTH_NAMES] = np.asarray([str(n) for n in truth_names])
                np.savez_compressed(fh, **cols, **extra)
            elif suffix == ".csv":
                text = io.StringIO(newline="")
                w = csv.writer(text)
                w.writerow(list(cols))
                for row in zip(*(c.tolist() for c in cols.values()), strict=True):
                    w.writerow([repr(v) for v in row])
                fh.write(text.getvalue().encode("utf-8"))
            else:
                pq.write_table(pa.table(cols), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        where = e.filename or path
        raise TuringLearnError(f"cannot write recording {str(path)!r}: {where}: {e.strerror or e}") from None
    return path
