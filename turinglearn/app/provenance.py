"""What a run directory keeps of each session that wrote it (run.json's ``sessions``): enough
to redo the run a year on, on another machine: when and where, by whom, the command, the code
(turinglearn's version, source and commit) and what it ran on (Python, platform, processor,
the computing packages' versions, threads)."""

from __future__ import annotations

import os
from pathlib import Path

#: the packages whose versions a session records (those installed)
PACKAGES = (
    "numpy", "numba", "llvmlite", "scipy", "scikit-learn", "torch", "gymnasium", "deap", "dask", "distributed", "sbi",
    "pyabc",
)  # fmt: skip


def _commit(package_dir: Path) -> tuple[str | None, bool | None]:
    """The git commit turinglearn runs from, where it runs from a checkout, and whether its
    files differ from that commit ((None, None) otherwise)."""
    import subprocess

    root = package_dir.parent
    if not (root / ".git").exists():
        return None, None
    git = ["git", "--no-optional-locks", "-C", str(root)]  # no index.lock: sweeps' workers run this at once
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None, None
    if head.returncode != 0:
        return None, None
    # the package and turinglearn.environments, which the checkout keeps beside it (pyproject.toml)
    paths = [p for p in (package_dir.name, "environments") if (root / p).exists()]
    try:
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--", *paths],
                               capture_output=True, text=True, timeout=10)  # fmt: skip
        modified = bool(dirty.stdout.strip()) if dirty.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        modified = None
    return head.stdout.strip() or None, modified


def _cpu() -> str | None:
    """The processor's model name (Linux), or platform's word for it."""
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def session_record(**extra) -> dict:
    """What run.json's ``sessions`` keeps of the session now writing a run: start (UTC), host,
    user, process, working directory, command line and interpreter, turinglearn (version, where
    it was imported from, git commit and whether its files differ from it), Python, platform,
    processor, the versions of :data:`PACKAGES` installed, the kernels' threads; and ``extra``
    (a resume's ``from_generation`` and ``changed`` settings). Each status the session writes
    adds ``updated``, ``status`` and, where known, ``generations_done``."""
    import getpass
    import platform
    import socket
    import sys
    from importlib import metadata

    import turinglearn
    from turinglearn.families._compiled import threads

    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = None
    commit, dirty = _commit(Path(turinglearn.__file__).parent)
    try:
        cwd = os.getcwd()
    except OSError:  # the folder it was started in is gone
        cwd = None
    return {
        "started": now(),
        "host": socket.gethostname(),
        "user": user,
        "pid": os.getpid(),
        "cwd": cwd,
        "argv": list(sys.argv),
        "executable": sys.executable,
        "turinglearn": turinglearn.__version__,
        "source": str(Path(turinglearn.__file__).parent),
        "commit": commit,
        "commit_modified": dirty,  # the package's files differ from the commit (None: not a checkout)
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu(),
        "packages": packages,
        "threads": threads(),  # the kernels' (TURINGLEARN_THREADS, else the CPUs this process may use)
        **extra,
    }


def now() -> str:
    """The time now, UTC, ISO 8601 to the second."""
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
