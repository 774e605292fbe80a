"""What the compiled kernels share: which path runs, how kernels are compiled, and the threads.

Kernels (:mod:`turinglearn.families.elman_kernels`, :mod:`turinglearn.environments._kernels`)
are Numba functions compiled on first use, never at import (importing Numba alone takes a
fraction of a second, so kernel modules are imported only when a kernel is called). They are
cached on disk next to their source, or in the user's cache folder when that is read-only; where
neither is writable they are compiled in every process.

Kernels release the GIL and work on a range ``[lo, hi)`` of independent items (swarms,
discriminators); :func:`split` runs contiguous ranges on a thread pool. No number is summed
across items, so a result does not depend on the number of threads.

``kernels = "numba"`` (the default) selects them, ``"numpy"`` the readable numpy path; where
Numba is not installed the numpy path runs. Threads: ``TURINGLEARN_THREADS`` (environment
variable), else the CPUs this process may use.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

from turinglearn.errors import one_of

KERNELS = ("numba", "numpy")


def check_kernels(value: str, key: str = "kernels") -> str:
    return one_of(value, KERNELS, key)


_HAVE_NUMBA: bool | None = None


def use_numba(kernels: str) -> bool:
    """Whether the compiled path runs for a ``kernels`` setting (``"numba"`` needs Numba installed)."""
    global _HAVE_NUMBA
    if kernels != "numba":
        return False
    if _HAVE_NUMBA is None:
        _HAVE_NUMBA = importlib.util.find_spec("numba") is not None
    return _HAVE_NUMBA


def jit(fn):
    """Numba ``njit`` as the kernels use it: no GIL, IEEE arithmetic (no fast-math, so no
    reassociation or fused multiply-adds), numpy's error model (a division by zero gives inf
    instead of raising, which lets loops vectorise), cached on disk where possible."""
    import numba

    options = {"nogil": True, "fastmath": False, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # no writable cache location: compile in every process
        return numba.njit(cache=False, **options)(fn)


def threads() -> int:
    """Threads the kernels use: ``TURINGLEARN_THREADS``, else the CPUs available to this process."""
    value = os.environ.get("TURINGLEARN_THREADS", "")
    if value.strip():
        if not value.strip().isdigit() or int(value) < 1:
            from turinglearn.errors import ConfigError

            raise ConfigError(
                f"the environment variable TURINGLEARN_THREADS must be a whole number of threads, 1 or more (unset: "
                f"every CPU this process may use), got {value!r}"
            )
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


def _forget_pool() -> None:  # a forked child has the pool object but not its threads
    global _POOL, _POOL_SIZE
    _POOL, _POOL_SIZE = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def split(kernel, n: int, *args, min_items: int = 1) -> None:
    """Call ``kernel(*args, lo, hi)`` on contiguous ranges covering ``[0, n)``, one per thread.

    min_items: fewest items worth a thread of their own.
    """
    global _POOL, _POOL_SIZE
    k = max(1, min(threads(), n // max(1, min_items)))
    if k == 1:
        kernel(*args, 0, n)
        return
    if _POOL is None or _POOL_SIZE < k:
        if _POOL is not None:
            _POOL.shutdown(wait=False)  # a larger pool replaces it: let its idle threads go
        _POOL, _POOL_SIZE = ThreadPoolExecutor(k, thread_name_prefix="turinglearn-kernel"), k
    bounds = [n * i // k for i in range(k + 1)]
    futures = [_POOL.submit(kernel, *args, lo, hi) for lo, hi in itertools.pairwise(bounds)]
    for f in futures:
        f.result()
