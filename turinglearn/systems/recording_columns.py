"""A recording file's columns, read: ``.npz``, ``.csv`` and ``.parquet`` alike, every way a file
can be unreadable (truncated, damaged, a column of text or objects, another separator, a
table's index written along) one ConfigError. :mod:`turinglearn.systems.recording_files`
checks what the columns say against the simulator."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from turinglearn.errors import ConfigError

SUFFIXES = (".csv", ".npz", ".parquet")
ID, STEP = "individual", "step"
#: the .npz array naming the parameters of its ``truth`` (a truth is of one model family's parameters)
TRUTH_NAMES = "truth_names"


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of a .npz file; any way the file can be unreadable (truncated, not a zip,
    corrupted compressed data, pickled objects, a bad array header) is one ConfigError."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise ValueError("it holds one array (a .npy file), not named columns")
            return {k: np.asarray(f[k]) for k in f.files}
    except AttributeError:  # np.load gave a plain array (a .npy file), which is no context manager
        reason = "it holds one array (a .npy file), not named columns"
    except MemoryError:
        reason = "an array in it is too large to load"
    except Exception as e:  # zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, ...: a damaged file
        if "Object arrays cannot be loaded" in str(e):  # a column of Python objects: numbers mixed with None, text...
            raise ConfigError(
                f"recording {str(path)!r}: an array in it holds Python objects (dtype object, e.g. numbers mixed with "
                "None or text), which are not read; convert each column with .astype(float) (the ids and steps "
                ".astype(int)) before numpy.savez",
                "data",
            ) from None
        reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'damaged'}"
    raise ConfigError(
        f"cannot read recording {str(path)!r} as .npz ({reason}); write it again (numpy.savez)", "data"
    )


def check_numeric(a: np.ndarray, what: str, path: Path) -> None:
    """``what`` (e.g. "column 'step'") must be an array of numbers, not text, objects or complex."""
    if a.dtype.kind not in "iuf":
        raise ConfigError(
            f"recording {str(path)!r}: {what} must hold numbers, it holds {a.dtype} values", "data"
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_cell(text: str):
    """A CSV value: an int where it is written as one (exact, however large), else a float."""
    text = text.strip()
    if not text:
        return math.nan
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_columns(path: Path) -> tuple[dict[str, np.ndarray], np.ndarray | None, tuple[str, ...] | None]:
    """The file's columns by name (1-D arrays), its truth and the names of the truth's parameters
    (npz only; None where the file has none)."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        cols = read_npz(path)
        truth = cols.pop("truth", None)
        names = cols.pop(TRUTH_NAMES, None)
        for name, a in cols.items():
            if a.ndim != 1:
                raise ConfigError(
                    f"recording {str(path)!r}: array {name!r} has shape {a.shape}; every column must be 1-D "
                    "(one value per row: individual, step, features). From x [N, T, F]: id = np.repeat(np.arange(N), "
                    "T), step = np.tile(np.arange(T), N), and each feature x[:, :, j].ravel()",
                    "data",
                )
        if truth is not None:
            check_numeric(truth, "array 'truth'", path)
            truth = np.asarray(truth, float).ravel()
            if not np.isfinite(truth).all():
                raise ConfigError(
                    f"recording {str(path)!r}: its truth {truth.tolist()[:8]} is not finite; "
                    "give the true parameters, or leave the truth out",
                    "data",
                )
        if names is not None:
            names = tuple(str(n) for n in np.asarray(names).ravel())
            if truth is None:
                raise ConfigError(
                    f"recording {str(path)!r}: its {TRUTH_NAMES} needs a 'truth' array beside it (or leave both out)",
                    "data",
                )
            if len(names) != len(truth) or np.asarray(names).dtype.kind != "U":
                raise ConfigError(
                    f"recording {str(path)!r}: its {TRUTH_NAMES} must name each value of its truth (strings, "
                    f"{len(truth)} of them), got {list(names)[:8]}",
                    "data",
                )
        return cols, truth, names
    if suffix == ".csv":
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: a byte-order mark is no column name
                rows = list(csv.reader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise ConfigError(f"cannot read recording {str(path)!r}: {e}", "data") from None
        if not rows:
            raise ConfigError(
                f"recording {str(path)!r} is empty; it needs a header row and data rows", "data"
            )
        header = [h.strip() for h in rows[0]]
        body = [r for r in rows[1:] if r]
        other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
        if other is not None:
            raise ConfigError(
                f"recording {str(path)!r}: its columns are separated by {other!r}, not commas; save it "
                "comma-separated with points in numbers (e.g. pandas: df.to_csv(path, index=False))",
                "data",
            )
        if header and all(_is_number(h) for h in header):
            raise ConfigError(
                f"recording {str(path)!r}: its first line is data ({', '.join(header[:5])}), not a header; add a "
                f"first line naming the columns: {ID}, {STEP}, then one per feature",
                "data",
            )
        for i, r in enumerate(body):
            if len(r) != len(header):
                raise ConfigError(
                    f"recording {str(path)!r}, line {i + 2}: {len(r)} values for {len(header)} columns",
                    "data",
                )
        if len(set(header)) != len(header):
            raise ConfigError(f"recording {str(path)!r}: its header names a column twice: {header}", "data")
        cols = {}
        for j, name in enumerate(header):
            try:
                values = [_csv_cell(r[j]) for r in body]
            except ValueError as e:
                hint = ""
                if name == ID:  # names of animals: numbers are asked for
                    hint = (
                        f"; number the individuals 0, 1, ... instead of naming them (e.g. pandas: "
                        f"df[{ID!r}] = df[{ID!r}].factorize()[0])"
                    )
                raise ConfigError(f"recording {str(path)!r}, column {name!r}: {e}{hint}", "data") from None
            if name in (ID, STEP) and all(isinstance(v, int) for v in values):
                big = [v for v in values if not -(2**63) <= v < 2**63]
                if big:
                    raise ConfigError(
                        f"recording {str(path)!r}: column {name!r} holds {big[0]}, beyond 64-bit integers", "data"
                    )
                cols[name] = np.array(values, dtype=np.int64)
            else:
                cols[name] = np.array([float(v) for v in values])
        return cols, None, None
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                f"reading the Parquet recording {str(path)!r} needs pyarrow: pip install pyarrow "
                "(or save the recording as .npz or .csv)",
                "data",
            ) from None
        try:
            table = pq.read_table(path)
            return {
                name: np.asarray(table.column(name).to_numpy(zero_copy_only=False))
                for name in table.column_names
            }, None, None
        except Exception as e:  # pyarrow's own error types
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConfigError(f"cannot read recording {str(path)!r} as Parquet: {first}", "data") from None
    raise ConfigError(
        f"recording {str(path)!r}: unknown file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}",
        "data",
    )


def as_int(a: np.ndarray, name: str, path: Path) -> np.ndarray:
    a = np.asarray(a)
    check_numeric(a, f"column {name!r}", path)
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and len(a) and a.max() >= 2**63:
            i = int(np.argmax(a >= 2**63))
            raise ConfigError(
                f"recording {str(path)!r}: column {name!r} row {i} has {a[i]}, beyond 64-bit integers", "data"
            )
        return a.astype(np.int64)
    af = a.astype(float)
    bad = ~np.isfinite(af) | (af != np.round(af)) | (np.abs(af) > 2**53)  # beyond 2**53 floats skip integers
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"recording {str(path)!r}: column {name!r} must hold integers, row {i} has {np.asarray(a[i]).item()!r}", "data"
        )
    return af.astype(np.int64)
