"""Run directories: everything a run writes, written so that nothing is ever half-written.

A run directory holds

- ``run.json``: ``{"status": "running" | "complete" | "interrupted" | "failed", ...}``; only a
  run whose status is ``complete`` has a ``summary.json``;
- ``config.toml``: the resolved config (every setting, defaults included);
- ``metrics.csv``: one row per generation (a GAN: every ``evaluation.log_every``), appended and
  flushed as the run goes; the first column is ``generation``;
- ``populations.npz``: the final populations with their fitness;
- ``checkpoints/generation-NNNNNN.npz``: the newest checkpoints (:mod:`turinglearn.app.checkpoint`);
- ``summary.json``: truth, inferred, abs_error, c2st, generations, seconds, ... (written last);
- ``parameters.png``, ``fitness.png``: plots (``turinglearn report DIR`` redraws them); a GAN
  run has ``losses.png`` and ``samples/generation-NNNNNN.png`` instead of the parameters, and
  no ``populations.npz`` (its networks are in the checkpoints).

Whole files are written to a temporary name in the same directory, synced, then renamed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from turinglearn.errors import RunDirError

RUN_FILE = "run.json"
METRICS_FILE = "metrics.csv"
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.toml"
POPULATIONS_FILE = "populations.npz"


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise RunDirError(
            f"cannot write {path}: {e.strerror or e}; check the directory's permissions and free space"
        ) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give run files the usual mode
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise RunDirError(
            f"cannot write {path}: {e.strerror or e}; check free space and permissions "
            "(files already written are intact)"
        ) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def is_run(path: Path) -> bool:
    return (Path(path) / RUN_FILE).is_file()


def read_status(path: Path) -> dict:
    try:
        return json.loads((Path(path) / RUN_FILE).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RunDirError(f"{path} is not a readable turinglearn run ({RUN_FILE}: {e})") from None


def check_new_run_dir(path: str | os.PathLike) -> Path:
    """Raise :class:`RunDirError` unless ``path`` can hold a new run (absent or an empty directory)."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise RunDirError(f"--out {path} is a file, not a directory; choose a new directory")
        if is_run(path):
            raise RunDirError(
                f"--out {path} already holds a run; choose a new directory "
                f"(or `turinglearn report {path}` to look at it)"
            )
        if any(path.iterdir()):
            raise RunDirError(
                f"--out {path} exists and is not a turinglearn run; choose a new or empty directory"
            )
    return path


class RunDir:
    """A run directory being written. Create with :meth:`create`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._metrics: io.TextIOBase | None = None
        self._writer = None

    @classmethod
    def create(cls, path: str | os.PathLike, config_toml: str) -> RunDir:
        """Start a run in ``path``: a new or empty directory, never an existing run or other files."""
        path = check_new_run_dir(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RunDirError(
                f"cannot create run directory {path}: {e.strerror or e}; choose a writable --out"
            ) from None
        run = cls(path)
        atomic_write(path / CONFIG_FILE, config_toml)
        run.set_status("running")
        return run

    @classmethod
    def reopen(cls, path: str | os.PathLike, history: Mapping[str, np.ndarray] | None) -> RunDir:
        """Continue the run in ``path``: metrics.csv is rewritten (atomically) to hold exactly
        ``history``'s rows (the generations a checkpoint covers), then appended to."""
        run = cls(Path(path))
        rows = (
            []
            if history is None
            else [dict(zip(history, r, strict=True)) for r in zip(*history.values(), strict=True)]
        )
        if rows:
            buf = io.StringIO(newline="")
            writer = csv.DictWriter(buf, fieldnames=list(history))
            writer.writeheader()
            for r in rows:
                writer.writerow({k: _fmt(int(v) if k == "generation" else v) for k, v in r.items()})
            atomic_write(run.path / METRICS_FILE, buf.getvalue())
        else:
            (run.path / METRICS_FILE).unlink(missing_ok=True)
        run.set_status("running")
        return run

    def set_status(self, status: str, **extra) -> None:
        write_json(self.path / RUN_FILE, {"format": 1, "status": status, **extra})

    def append_metrics(self, row: Mapping[str, float]) -> None:
        """Append one generation's row to metrics.csv (header on the first row), flushed."""
        try:
            if self._metrics is None:
                file = self.path / METRICS_FILE
                fresh = not file.is_file() or file.stat().st_size == 0
                self._metrics = open(file, "w" if fresh else "a", newline="", encoding="utf-8")
                self._writer = csv.DictWriter(self._metrics, fieldnames=list(row))
                if fresh:
                    self._writer.writeheader()
            self._writer.writerow({k: _fmt(v) for k, v in row.items()})
            self._metrics.flush()
        except OSError as e:
            raise RunDirError(f"cannot append to {self.path / METRICS_FILE}: {e.strerror or e}") from None

    def close(self) -> None:
        if self._metrics is not None:
            try:
                os.fsync(self._metrics.fileno())
            except OSError:
                pass
            self._metrics.close()
            self._metrics = None

    def write_populations(self, **arrays: np.ndarray) -> None:
        self.write_array_file(POPULATIONS_FILE, **arrays)

    def write_array_file(self, name: str, **arrays: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write(self.path / name, buf.getvalue())

    def write_summary(self, summary: Mapping) -> None:
        write_json(self.path / SUMMARY_FILE, summary)


def _fmt(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def read_metrics(path: Path) -> dict[str, np.ndarray]:
    """metrics.csv of a run as columns: name -> [G] array."""
    file = Path(path) / METRICS_FILE
    try:
        with open(file, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise RunDirError(f"cannot read {file}: {e.strerror or e}") from None
    if not rows:
        return {}
    # a row cut short by a crash (missing fields) is dropped
    rows = [r for r in rows if None not in r.values() and "" not in r.values()]
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def metrics_columns(names: Sequence[str]) -> list[str]:
    cols = ["generation", "seconds"]
    for n in names:
        cols += [f"{n}_median", f"{n}_q25", f"{n}_q75", f"{n}_best"]
    return [
        *cols,
        "model_fitness_mean",
        "model_fitness_max",
        "discriminator_fitness_mean",
        "discriminator_fitness_max",
    ]
