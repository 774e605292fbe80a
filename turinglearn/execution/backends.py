"""Backends: where the chunks of a generation run, in this process, a local process pool or a Dask
cluster (the :class:`~turinglearn.core.contracts.Backend` contract; docs/design.md, "Randomness")."""


from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from turinglearn.errors import TuringLearnError


class WorkerError(TuringLearnError):
    """A chunk could not be completed: its worker died or hung more times than allowed."""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# --- backends ---------------------------------------------------------------------------------


class InProcess:
    """Runs every chunk here, one after the other (the default)."""

    name = "inprocess"
    local = True
    workers = 1

    def map(self, fn: Callable, tasks: Sequence) -> list:
        return [fn(t) for t in tasks]

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _worker_init() -> None:
    # One core per worker: the workers are the parallelism; nested BLAS threads, or the compiled
    # kernels' own thread pool (turinglearn.families._compiled), would fight them.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    os.environ["TURINGLEARN_THREADS"] = "1"
    os.environ["TURINGLEARN_WORKER"] = "1"  # messages about the user's modules say where they ran
    import warnings

    from turinglearn.errors import TuringLearnWarning

    # a worker rebuilds the run's system from its config: what that says, the run said already
    warnings.filterwarnings("ignore", category=TuringLearnWarning)


def _pool_worker_init() -> None:
    """A pool worker: one core, and it ends when the process that started it is gone."""
    _worker_init()
    _watch_parent()


def _watch_parent(interval: float = 0.5) -> None:
    """End this process soon after its parent dies (e.g. ``kill -9`` of the run): an orphaned
    worker otherwise idles for ever, and keeps multiprocessing's resource tracker alive with it.
    A daemon thread polls the parent pid, which changes when the process is orphaned."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="turinglearn-watch-parent", daemon=True).start()


class _Retrying:
    """Bookkeeping shared by the pool backends: attempts per task, and the error that ends them."""

    local = False

    def __init__(self, workers: int, retries: int, timeout: float, log: Callable[[str], None] | None):
        self.workers = workers or cpu_count()
        self.retries = retries
        self.timeout = timeout
        self.log = log or (lambda msg: None)

    def _deadline(self, n_tasks: int) -> float | None:
        # a chunk may wait behind others: allow `timeout` per round of chunks
        return self.timeout * math.ceil(n_tasks / self.workers) if self.timeout else None

    def _count(self, attempts: list[int], failed: Sequence[int], reason: str, started: bool = True) -> None:
        """Count a failed attempt of each chunk in ``failed``; raise once one has failed more
        than ``retries`` times. ``started``: whether any worker has returned a chunk yet."""
        for i in failed:
            attempts[i] += 1
            if attempts[i] > self.retries:
                hint = (
                    "Check the workers' memory and logs, or raise execution.retries / execution.timeout"
                    if started
                    else "No worker has returned a chunk: if a script starts this run, it must do so under "
                    "`if __name__ == \"__main__\":` and be a file, not stdin (the workers are spawned and "
                    "import it); the workers' own errors are printed above"
                )
                raise WorkerError(f"chunk {i} failed {attempts[i]} times ({reason}); the run stops. {hint}")
        self.log(f"turinglearn: {len(failed)} chunk(s) lost ({reason}); running them again")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Processes(_Retrying):
    """A local pool of worker processes (``concurrent.futures.ProcessPoolExecutor``, spawned)."""

    name = "processes"

    def __init__(self, workers: int = 0, retries: int = 2, timeout: float = 0.0, log=None):
        super().__init__(workers, retries, timeout, log)
        self._pool = None
        self._started = False  # whether any worker has returned a chunk

    def _get_pool(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_pool_worker_init
            )
        return self._pool

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # A hung worker never returns: kill the pool's processes (the executor has no public way).
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                proc.kill()
            except Exception:  # pragma: no cover - already gone
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def map(self, fn: Callable, tasks: Sequence) -> list:
        from concurrent.futures import wait
        from concurrent.futures.process import BrokenProcessPool

        results: list[Any] = [None] * len(tasks)
        pending = list(range(len(tasks)))
        attempts = [0] * len(tasks)
        while pending:
            pool = self._get_pool()
            futures = {pool.submit(fn, tasks[i]): i for i in pending}
            done, not_done = wait(futures, timeout=self._deadline(len(pending)))
            lost, reason = [], ""
            for f in done:
                i = futures[f]
                try:
                    results[i] = f.result()
                    self._started = True
                except BrokenProcessPool:
                    lost.append(i)
                    reason = "a worker process died"
            if not_done:
                lost += [futures[f] for f in not_done]
                reason = reason or f"no result within {self.timeout:g} s per chunk"
            pending = sorted(lost)
            if pending:
                self._discard_pool()
                self._count(attempts, pending, reason, self._started)
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _large_mmap_threshold() -> None:
    """Let glibc serve medium-sized numpy temporaries from the heap again.

    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_`` set, which also freezes glibc's
    mmap threshold at 128 KiB: every temporary array above that size is then mapped and
    unmapped afresh, and the simulation ran 2.3x slower in a Dask worker than in a pool
    process. A 64 MiB threshold restores the speed (memory is still trimmed back to the system)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 64 * 1024 * 1024)  # M_MMAP_THRESHOLD (glibc)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _dask_worker_plugin():
    from distributed import WorkerPlugin

    class TuneWorker(WorkerPlugin):
        name = "turinglearn-tune-worker"

        def setup(self, worker):
            _large_mmap_threshold()
            _worker_init()

    return TuneWorker()


class Dask(_Retrying):
    """A ``dask.distributed`` cluster: the scheduler at ``scheduler``, or a LocalCluster of
    ``workers`` single-threaded worker processes started (and stopped) here."""

    name = "dask"

    def __init__(
        self, workers: int = 0, scheduler: str = "", retries: int = 2, timeout: float = 0.0, log=None
    ):
        super().__init__(workers, retries, timeout, log)
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise TuringLearnError(
                "backend 'dask' needs dask.distributed: pip install 'turinglearn[dask]'"
            ) from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=30)
            except OSError as e:
                raise TuringLearnError(
                    f"cannot reach the Dask scheduler at {scheduler!r} ({e}); check the address "
                    "(tcp://HOST:8786) and that the scheduler is running"
                ) from None
            self.workers = len(self.client.scheduler_info()["workers"]) or self.workers
        else:
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = Client(self.cluster)
        self.client.register_plugin(_dask_worker_plugin())  # also for workers that join later

    def map(self, fn: Callable, tasks: Sequence) -> list:
        from dask.distributed import wait
        from distributed import KilledWorker

        results: list[Any] = [None] * len(tasks)
        pending = list(range(len(tasks)))
        attempts = [0] * len(tasks)
        while pending:
            futures = self.client.map(fn, [tasks[i] for i in pending], pure=False)
            by_future = dict(zip(futures, pending, strict=True))
            try:
                wait(futures, timeout=self._deadline(len(pending)))
            except TimeoutError:
                pass
            lost, reason, hung = [], "", []
            for f, i in by_future.items():
                if f.status == "finished":
                    results[i] = f.result()
                elif f.status == "error":
                    exc = f.exception()
                    if not isinstance(exc, KilledWorker):
                        raise exc
                    lost.append(i)
                    reason = "its workers died"
                else:
                    lost.append(i)
                    reason = reason or f"no result within {self.timeout:g} s per chunk"
                    hung.append(f)
            if hung:
                self._replace_hung(hung)
            pending = lost
            if pending:
                self._count(attempts, pending, reason)
        return results

    def _replace_hung(self, futures: list) -> None:
        """Restart the workers running ``futures`` past the deadline: a cancelled task does not
        stop a worker stuck in it, which would take every retry with it (processes are killed the
        same way). Workers without a nanny cannot be restarted: the whole cluster is then."""
        keys = {f.key for f in futures}
        stuck = [w for w, running in self.client.processing().items() if keys & set(running)]
        for f in futures:
            f.cancel()
        if not stuck:
            return
        try:
            self.client.restart_workers(stuck, timeout=60)
        except Exception:  # no nanny, or it did not come back in time: start every worker afresh
            self.client.restart()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(execution, log=None):
    """The backend an :class:`~turinglearn.config.ExecutionConfig` names."""
    if execution.backend == "inprocess":
        return InProcess()
    if execution.backend == "processes":
        return Processes(execution.workers, execution.retries, execution.timeout, log)
    if execution.backend == "dask":
        return Dask(execution.workers, execution.scheduler, execution.retries, execution.timeout, log)
    raise ValueError(f"unknown backend {execution.backend!r}")  # pragma: no cover - config validates
