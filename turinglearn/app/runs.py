"""Run directories: everything a run writes, written so that nothing is ever half-written.

A run directory holds

- ``run.json``: ``{"format": 1, "status": ..., ...}``, where the run stands:

  - ``running``: a process is writing it (``turinglearn run``; ``turinglearn resume`` sets it
    again); one that says so with no live writer (a stale ``run.lock``) was killed
    (resumable); a new run that fails before its first generation is removed instead;
  - ``complete``: finished, after its ``generations`` or when the convergence rule fired
    (``summary.json``'s ``stopped``); ``turinglearn resume`` refuses it;
  - ``stopped``: a budget (``stopping.max_time``, ``stopping.max_simulations``) ended this
    session after a whole generation, checkpointed there, evaluated and summarised:
    ``generations_done``, ``stopped`` (``{"rule", "generation"}``) and ``reason``;
    ``turinglearn resume`` continues it with a fresh budget;
  - ``interrupted`` (SIGINT, SIGTERM) or ``failed`` (an error): ``generations_done`` (of the
    last checkpoint) and ``error`` (why, one line); ``turinglearn resume`` continues it.

  Only ``complete`` and ``stopped`` runs have a ``summary.json``; resuming a ``stopped`` run
  removes it until the run ends again. ``sessions``: one entry a session that wrote the run
  (the first run, then each resume), what a lab needs to redo it
  (:func:`~turinglearn.app.provenance.session_record`): when
  and where it started, the command line, turinglearn's version (and git commit, where it runs
  from a checkout), Python's, the platform, the versions of the packages that compute, the
  thread count; a resume adds the generation it continued from and the settings it changed;
- ``config.toml``: the resolved config (every setting, defaults included);
- ``metrics.csv``: one row per generation (a GAN: every ``evaluation.log_every``), appended and
  flushed as the run goes; the first column is ``generation``;
- ``populations.npz``: the final populations with their fitness;
- ``checkpoints/generation-NNNNNN.npz``: the newest checkpoints (:mod:`turinglearn.app.checkpoint`);
- ``summary.json``: truth, inferred, abs_error, c2st, generations, seconds, ... (written last);
- ``parameters.png``, ``fitness.png``: plots (``turinglearn report DIR`` redraws them); a GAN
  run has ``losses.png`` and ``samples/generation-NNNNNN.png`` instead of the parameters, and
  no ``populations.npz`` (its networks are in the checkpoints).

- ``run.lock``: present while a process writes the run (:mod:`turinglearn.app.runlock`).

Whole files are written to a temporary name in the same directory, synced, then renamed;
metrics.csv rows are appended whole (a failed append is cut back). Every write that fails is a
one-line :class:`~turinglearn.errors.RunDirError`, and the driver then checkpoints the last whole
generation and records why in ``run.json``.
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

from turinglearn.app.provenance import now, session_record
from turinglearn.app.runlock import LOCK_FILE, RunLock
from turinglearn.errors import RunDirError

RUN_FILE = "run.json"
METRICS_FILE = "metrics.csv"
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.toml"
POPULATIONS_FILE = "populations.npz"


def keep_summary(path: str | os.PathLike, generations: int) -> None:
    """Keep the summary.json of the complete run in ``path`` as ``summary-{generations}.json``
    beside it, before a resume continues the run to more generations (and writes its own)."""
    source = Path(path) / SUMMARY_FILE
    if source.is_file():
        atomic_write(source.with_name(f"summary-{generations}.json"), source.read_bytes())


def path_read(value: str) -> str:
    """A run's ``data`` as summary.json records it: the absolute path of the file or folder read
    (a resume reads a relative one where the run began), or the value itself where it names no
    file (a GAN's ``digits``)."""
    return str(Path(value).resolve()) if value not in ("digits", "mnist") and Path(value).exists() else value


#: run.json's format: a run of another is refused (its files may mean other things)
RUN_FORMAT = 1


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
        _sync_directory(path.parent)  # the rename itself survives a power loss
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise RunDirError(
            f"cannot write {path}: {e.strerror or e}; check free space and permissions "
            "(files already written are intact)"
        ) from None


def _sync_directory(folder: Path) -> None:
    """fsync a directory, so that a rename into it is on disk (POSIX; elsewhere nothing)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory: its renames are journalled
        return
    try:
        os.fsync(fd)
    except OSError:  # a file system that cannot sync a directory
        pass
    finally:
        os.close(fd)


def remove_temporaries(run_dir: Path) -> None:
    """Remove what :func:`atomic_write` left half-written in ``run_dir`` and its checkpoints when its
    process was killed (``kill -9`` while a checkpoint was written): call it holding the run's lock."""
    for folder in (Path(run_dir), Path(run_dir) / "checkpoints", Path(run_dir) / "samples"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2, default=json_default) + "\n")


def json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def is_run(path: Path) -> bool:
    return (Path(path) / RUN_FILE).is_file()


def read_status(path: Path) -> dict:
    try:
        status = json.loads((Path(path) / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        sweep = (Path(path) / "table.md").is_file() and any(Path(path).glob("seed-*"))
        hint = f"; it is a sweep: its table is {Path(path) / 'table.md'}, its runs seed-*/" if sweep else ""
        raise RunDirError(f"{path} is not a readable turinglearn run ({RUN_FILE}: {e}){hint}") from None
    if not isinstance(status, dict):
        raise RunDirError(f"{path} is not a readable turinglearn run ({RUN_FILE} holds a {type(status).__name__}, not a run's status)")
    if status.get("format", RUN_FORMAT) != RUN_FORMAT:  # a newer version's run: its files may mean other things
        raise RunDirError(
            f"{path} was written in run format {status.get('format')!r}; this turinglearn reads format {RUN_FORMAT}: "
            "use the turinglearn that made it (run.json's sessions name its version)"
        )
    return status


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
        if any(p.name != LOCK_FILE for p in path.iterdir()):  # a lock alone: a run that never started
            raise RunDirError(
                f"--out {path} exists and is not a turinglearn run; choose a new or empty directory"
            )
    return path


class RunDir:
    """A run directory being written, locked against a second writer
    (:class:`~turinglearn.app.runlock.RunLock`). Create with :meth:`create` or :meth:`reopen`."""

    def __init__(self, path: Path, lock: RunLock | None = None):
        self.path = Path(path)
        self.lock = lock
        self._metrics = None  # metrics.csv, unbuffered: a row is on the file whole or not at all
        self._fields: list[str] | None = None
        self._size = 0  # bytes of whole rows in metrics.csv
        self.sessions: list[dict] = []  # run.json's: one entry a session that wrote the run

    @classmethod
    def create(cls, path: str | os.PathLike, config_toml: str, log=None) -> RunDir:
        """Start a run in ``path``: a new or empty directory, never an existing run or other files."""
        path = check_new_run_dir(path)
        if path.is_symlink() and not path.exists():
            raise RunDirError(f"--out {path} is a link to {os.readlink(path)}, which does not exist; choose another --out")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RunDirError(
                f"cannot create run directory {path}: {e.strerror or e}; choose a writable --out"
            ) from None
        run = cls(path, RunLock(path, log).acquire())
        try:
            run.sessions = [session_record()]
            check_new_run_dir(path)  # another process may have started a run here meanwhile
            atomic_write(path / CONFIG_FILE, config_toml)
            run.set_status("running")
        except BaseException:
            run.release()
            raise
        return run

    @classmethod
    def reopen(
        cls,
        path: str | os.PathLike,
        history: Mapping[str, np.ndarray] | None,
        lock: RunLock | None = None,
        session: Mapping | None = None,
    ) -> RunDir:
        """Continue the run in ``path`` (``lock``: its lock, already held): metrics.csv is
        rewritten (atomically) to hold exactly ``history``'s rows (the generations a checkpoint
        covers), then appended to. The summary.json of a session a budget stopped is removed:
        the run is unfinished again until it ends. run.json's ``sessions`` gain this one's
        (:func:`~turinglearn.app.provenance.session_record` with ``session``)."""
        run = cls(Path(path), lock)
        try:
            before = read_status(run.path).get("sessions")
        except RunDirError:
            before = None
        run.sessions = [*(before if isinstance(before, list) else []), session_record(**(session or {}))]
        try:
            (run.path / SUMMARY_FILE).unlink(missing_ok=True)
        except OSError as e:
            raise RunDirError(f"cannot remove {run.path / SUMMARY_FILE}: {e.strerror or e}") from None
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
            try:
                (run.path / METRICS_FILE).unlink(missing_ok=True)
            except OSError as e:
                raise RunDirError(f"cannot remove {run.path / METRICS_FILE}: {e.strerror or e}") from None
        run.set_status("running")
        return run

    def set_status(self, status: str, **extra) -> None:
        """run.json; on a full disk, where no new file can be made, run.json is overwritten in
        place (a small file keeps its block), so a stopped run still says why."""
        if self.sessions:  # the session's last word: when, how it stood, how far it got
            done = {"generations_done": extra["generations_done"]} if "generations_done" in extra else {}
            self.sessions[-1].update({"updated": now(), "status": status, **done})
        doc = {"format": RUN_FORMAT, "status": status, **extra, **({"sessions": self.sessions} if self.sessions else {})}
        try:
            write_json(self.path / RUN_FILE, doc)
        except RunDirError:
            text = (json.dumps(doc, indent=2, default=json_default) + "\n").encode("utf-8")
            try:
                with open(self.path / RUN_FILE, "r+b") as f:
                    f.write(text)
                    f.truncate()
                    f.flush()
                    os.fsync(f.fileno())
            except OSError:
                raise RunDirError(
                    f"cannot write {self.path / RUN_FILE}: no space or no permission to write it"
                ) from None

    def append_metrics(self, row: Mapping[str, float]) -> None:
        """Append one generation's row to metrics.csv (header on the first row). A row is
        written whole: if writing fails (a full disk, a file made read-only), the file is cut
        back to its last whole row and :class:`RunDirError` says why."""
        file = self.path / METRICS_FILE
        try:
            if self._metrics is None:
                fresh = not file.is_file() or file.stat().st_size == 0
                self._metrics = open(file, "wb" if fresh else "ab", buffering=0)
                self._size = os.fstat(self._metrics.fileno()).st_size
                # a run resumed from an older version's checkpoint keeps its file's columns
                self._fields = list(row) if fresh else _header(file) or list(row)
                head = fresh
            else:
                head = False
            buf = io.StringIO(newline="")
            # an older run's file: its columns only (a newer column is in the checkpoint's history)
            writer = csv.DictWriter(buf, fieldnames=self._fields, restval="nan", extrasaction="ignore")
            if head:
                writer.writeheader()
            writer.writerow({k: _fmt(v) for k, v in row.items()})
            view = memoryview(buf.getvalue().encode("utf-8"))
            while view:
                view = view[self._metrics.write(view) :]
            self._size = os.fstat(self._metrics.fileno()).st_size
        except OSError as e:
            self._abandon_metrics()
            raise RunDirError(
                f"cannot append to {file}: {e.strerror or e}; the rows before are intact "
                "(free space or fix the permissions, then `turinglearn resume`)"
            ) from None

    def _abandon_metrics(self) -> None:
        """After a failed write: cut metrics.csv back to its last whole row, and close it."""
        f, self._metrics = self._metrics, None
        if f is None:
            return
        try:
            os.ftruncate(f.fileno(), self._size)
        except OSError:
            pass  # a read-only file: the partial row stays, and reading it drops it
        try:
            f.close()
        except OSError:
            pass

    def close(self) -> None:
        """Close metrics.csv (synced); a file-system error here loses nothing (rows are written
        whole as they come) and is not raised."""
        f, self._metrics = self._metrics, None
        if f is not None:
            try:
                os.fsync(f.fileno())
            except OSError:
                pass
            try:
                f.close()
            except OSError:
                pass

    def release(self) -> None:
        """Close and unlock: another process may write the directory now."""
        self.close()
        if self.lock is not None:
            self.lock.release()

    def discard(self) -> None:
        """Remove a run that has not done any work (it failed at its start), so its directory
        can be used again; only the files :meth:`create` made, and the directory if then empty."""
        self.close()
        for name in (METRICS_FILE, CONFIG_FILE, RUN_FILE):
            try:
                (self.path / name).unlink(missing_ok=True)
            except OSError:
                pass
        self.release()
        try:
            self.path.rmdir()
        except OSError:
            pass

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
    """metrics.csv of a run as columns: name -> [G] array. A last row cut short by a crash is
    dropped; anything else that is not a number is a :class:`RunDirError` naming the line."""
    file = Path(path) / METRICS_FILE
    try:
        with open(file, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            lines = list(reader)
    except OSError as e:
        raise RunDirError(f"cannot read {file}: {e.strerror or e}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise RunDirError(f"{file} is damaged ({e}); it is not a metrics table") from None
    lines = [r for r in lines if r]
    if not lines:
        return {}
    header, body = lines[0], lines[1:]
    if len(set(header)) != len(header) or "generation" not in header:
        raise RunDirError(f"{file} is damaged: its header {header[:6]} is not a metrics table's")
    if body and (len(body[-1]) != len(header) or "" in body[-1]):
        body = body[:-1]  # a row cut short by a crash
    columns: list[list[float]] = [[] for _ in header]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise RunDirError(
                f"{file} is damaged: line {i + 2} has {len(r)} values for {len(header)} columns"
            )
        for j, v in enumerate(r):
            try:
                columns[j].append(float(v))
            except ValueError:
                raise RunDirError(
                    f"{file} is damaged: line {i + 2}, column {header[j]!r} holds {v[:40]!r}, not a number"
                ) from None
    return as_columns(dict(zip(header, columns, strict=True)))


def as_columns(history: dict) -> dict[str, np.ndarray]:
    """Metrics as arrays, one a column: ``generation`` whole numbers, the rest floats."""
    return {k: np.asarray(v, dtype=np.int64 if k == "generation" else float) for k, v in history.items()}


def _header(file: Path) -> list[str]:
    """The column names on the first line of a CSV file ([] if it has none)."""
    with open(file, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def metrics_columns(names: Sequence[str]) -> list[str]:
    cols = ["generation", "seconds"]
    for n in names:
        cols += [f"{n}_median", f"{n}_q25", f"{n}_q75", f"{n}_best", f"{n}_parents"]
    return [
        *cols,
        "model_fitness_mean",
        "model_fitness_max",
        "discriminator_fitness_mean",
        "discriminator_fitness_max",
        *ENGAGEMENT,
        *MEMORY,
    ]


#: metrics.csv's measures of engagement (:func:`turinglearn.core.fitness.engagement`)
ENGAGEMENT = ("judges_best_vs_models", "judges_best_vs_memory", "hall_of_fame_fooled")
#: metrics.csv's measures of the memory: the mean historical-averaging penalty of the
#: generation's models (:class:`turinglearn.core.memory.HistoricalAverage`; 0 until it begins,
#: empty without it); the number of guards after the generation's election and the mean over
#: them of each one's accuracy on the first side it guards, at the last
#: election (:class:`turinglearn.core.memory.Guards`; empty without them); the critic's balanced
#: accuracy on the generation's genuine and population's samples, fitted before it saw them
#: (:class:`turinglearn.core.critic.FeatureCritic`; empty without it)
MEMORY = ("history_penalty", "guards", "guard_accuracy", "critic_accuracy")
