"""One writer per run directory: ``RUN_DIR/run.lock``, created with ``O_EXCL`` and holding the
writer's pid, host and process start time.

A second ``turinglearn run``/``resume`` of the same directory is refused while the writer lives.
A lock whose process is gone (killed, crashed; or its pid now belongs to another process,
told apart by the start time) is stale: it is taken over, with a message. Taking over is
serialised by ``flock`` on the directory, so two processes never both take over one stale lock.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from turinglearn.errors import RunDirError

LOCK_FILE = "run.lock"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, counting after the command name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _mine() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": _start_time(os.getpid())}


def _holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable or half-written: judged by its age below


def _stale(holder: dict, path: Path) -> bool:
    """Whether the process that wrote ``holder`` (the lock at ``path``) is gone. A lock of another
    host never is (its process cannot be seen from here); an unreadable one is once it is a
    few seconds old (it was being written, or its writer died while writing it)."""
    pid = holder.get("pid")
    if not isinstance(pid, int):
        try:
            return time.time() - path.stat().st_mtime > 10
        except OSError:
            return True
    if holder.get("host") not in (None, socket.gethostname()):
        return False
    if not _alive(pid):
        return True
    started = holder.get("started")
    return started is not None and _start_time(pid) not in (None, started)


def writer_gone(run_dir: str | os.PathLike) -> bool:
    """Whether run ``run_dir``'s lock names a process that is no longer running (or it has no lock),
    so a run whose run.json says running was killed."""
    path = Path(run_dir) / LOCK_FILE
    holder = _holder(path)
    return holder is None or _stale(holder, path)


class RunLock:
    """The lock of one run directory; :meth:`acquire` it, :meth:`release` it (or use ``with``)."""

    def __init__(self, run_dir: str | os.PathLike, log=None):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.log = log or (lambda msg: None)
        self.held = False

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as e:
            hint = "" if os.access(self.run_dir, os.W_OK) else "; the run directory is read-only: copy it somewhere writable"
            raise RunDirError(f"cannot lock {self.run_dir} ({self.path.name}): {e.strerror or e}{hint}") from None
        try:
            os.write(fd, json.dumps(_mine()).encode())
        except OSError as e:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise RunDirError(f"cannot lock {self.run_dir} ({self.path.name}): {e.strerror or e}") from None
        os.close(fd)
        return True

    def acquire(self) -> RunLock:
        if self._create():
            self.held = True
            return self
        holder = self._take_over()
        if holder is None:
            self.held = True
            return self
        elsewhere = holder.get("host") not in (None, socket.gethostname())  # its liveness cannot be seen from here
        where = f" on {holder['host']}" if elsewhere else ""
        raise RunDirError(
            f"{self.run_dir} is being written by process {holder.get('pid')}{where} (its lock {self.path.name}); "
            "wait for it to finish, or stop it first"
            + (f"; if it is not running any more (its node failed, its job was killed), delete {self.path}" if elsewhere else "")
        )

    def _take_over(self) -> dict | None:
        """Replace a stale lock by ours (``None``), or the live holder's record."""
        import fcntl

        dir_fd = os.open(self.run_dir, os.O_RDONLY)
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX)  # one taker at a time
            holder = _holder(self.path)
            if holder is not None and not _stale(holder, self.path):
                return holder
            if holder is not None:
                self.path.unlink(missing_ok=True)
                who = f"process {holder['pid']}" if "pid" in holder else "a process"
                self.log(
                    f"turinglearn: {self.run_dir} was locked by {who}, which is no longer running; "
                    "taking over its lock"
                )
            if self._create():
                return None
            return _holder(self.path) or {}
        finally:
            os.close(dir_fd)  # releases the flock

    def release(self) -> None:
        if self.held:
            holder = _holder(self.path)
            if holder is not None and holder.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
