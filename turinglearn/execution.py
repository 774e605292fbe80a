"""Where a generation's work runs: in-process, a local process pool, or a Dask cluster.

A generation's batch is cut into *chunks* of ``execution.chunk_size`` models. Chunk ``p`` of
generation ``g`` draws from its own random stream, ``stream(seed, "simulation", g, p)``, and
its result (the judges' outputs on its samples, or its models' distances) is put back in
chunk order. The chunks are fixed by the config, not by the workers, so a run gives
bit-identical results on every backend and with any number of workers.

Workers never receive a live simulator: a chunk carries the run's :class:`~turinglearn.config.Config`
and the worker rebuilds the environment from its id and settings (once; it is cached).
Environments of your own work too when their id names the module that registers them
(``"yourpackage.envs:Name-v0"``, see :func:`turinglearn.environments.register`).

Faults: a chunk whose worker died or hung (``execution.timeout``) is run again on a fresh
worker, at most ``execution.retries`` times; then the run stops with :class:`WorkerError`.
An exception raised by the chunk's own code is not a fault of the worker: it is raised at
once, with its traceback.

Every backend is a context manager with ``map(fn, tasks) -> list`` (results in task order).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Evaluation, SampleBatch, stream
from .errors import TuringLearnError


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
    # One core per worker: the workers are the parallelism; nested BLAS threads would fight them.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


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

    def _count(self, attempts: list[int], failed: Sequence[int], reason: str) -> None:
        for i in failed:
            attempts[i] += 1
            if attempts[i] > self.retries:
                raise WorkerError(
                    f"chunk {i} failed {attempts[i]} times ({reason}); the run stops. "
                    "Check the workers' memory and logs, or raise execution.retries / execution.timeout"
                )
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

    def _get_pool(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
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
                except BrokenProcessPool:
                    lost.append(i)
                    reason = "a worker process died"
            if not_done:
                lost += [futures[f] for f in not_done]
                reason = reason or f"no result within {self.timeout:g} s per chunk"
            pending = sorted(lost)
            if pending:
                self._discard_pool()
                self._count(attempts, pending, reason)
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
            lost, reason = [], ""
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
                    f.cancel()
            pending = lost
            if pending:
                self._count(attempts, pending, reason)
        return results

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


# --- chunked evaluation ------------------------------------------------------------------------


def chunk_slices(n: int, chunk_size: int | None) -> list[slice]:
    """Boundaries of the chunks of a batch of ``n`` models (``None``: one chunk)."""
    size = n if not chunk_size else chunk_size
    return [slice(a, min(a + size, n)) for a in range(0, n, size)] or [slice(0, 0)]


def evaluate_part(system, theta, discriminator, judges, rng, part: int, parts: int) -> Evaluation:
    """One chunk's evaluation. Systems that share genuine trials among the chunks (interactive
    ones) implement ``evaluate_part``; for the others each chunk is an ordinary ``evaluate``."""
    method = getattr(system, "evaluate_part", None)
    if method is not None:
        return method(theta, discriminator, judges, rng, part, parts)
    return system.evaluate(theta, discriminator, judges, rng)


def merge(parts: Sequence[Evaluation], starts: Sequence[int]) -> Evaluation:
    """One :class:`Evaluation` from the chunks', with model indices made global again."""
    return Evaluation(
        outputs=np.concatenate([e.outputs for e in parts], axis=1),
        genuine=np.concatenate([e.genuine for e in parts]),
        owner=np.concatenate(
            [np.where(e.owner >= 0, e.owner + s, -1) for e, s in zip(parts, starts, strict=True)]
        ),
    )


def merge_samples(parts: Sequence[SampleBatch], starts: Sequence[int]) -> SampleBatch:
    """One :class:`SampleBatch` from the chunks', with model indices made global again."""
    return SampleBatch(
        x=np.concatenate([b.x for b in parts]),
        genuine=np.concatenate([b.genuine for b in parts]),
        owner=np.concatenate(
            [np.where(b.owner >= 0, b.owner + s, -1) for b, s in zip(parts, starts, strict=True)]
        ),
    )


_WORKER_SYSTEMS: dict[str, tuple] = {}


def _worker_system(config):
    """The system (and discriminator family) of ``config``, built once per worker process."""
    from .config import to_toml

    key = to_toml(config)
    if key not in _WORKER_SYSTEMS:
        from .experiment import build_system

        if len(_WORKER_SYSTEMS) >= 4:
            _WORKER_SYSTEMS.clear()
        _WORKER_SYSTEMS[key] = build_system(config)
    return _WORKER_SYSTEMS[key]


# What one chunk does: ``work(built, theta, rng, part, parts, *extra)`` with ``built`` the
# (system, discriminator family) pair. Module-level, so that workers receive them by name.


def _judge_work(built, theta, rng, part, parts, judges) -> Evaluation:
    system, discriminator = built
    return evaluate_part(system, theta, discriminator, judges, rng, part, parts)


def _samples_work(built, theta, rng, part, parts) -> SampleBatch:
    return built[0].samples(theta, rng)


def _distance_work(built, theta, rng, part, parts, distance) -> np.ndarray:
    genuine, fake = built[0].trajectories(theta, rng)
    return -distance(genuine, fake)


def _in_worker(task: tuple):
    """A chunk in a worker: the system rebuilt from the config, then the chunk's work."""
    work, config, theta, seed, generation, part, parts, extra = task
    rng = stream(seed, "simulation", generation, part)
    return work(_worker_system(config), theta, rng, part, parts, *extra)


class ChunkedEvaluator:
    """Evaluates a generation chunk by chunk on a backend.

    chunk_size: models per chunk (``None``: the whole batch is one chunk); backend: where the
    chunks run (default in-process); config: the run's config, which workers rebuild the
    system from (needed by every backend but the in-process one).
    """

    def __init__(self, chunk_size: int | None = None, backend=None, config=None):
        self.chunk_size = chunk_size
        self.backend = backend or InProcess()
        self.config = config
        if not self.backend.local and config is None:
            raise TuringLearnError(
                "a simulator given as an object cannot be rebuilt in worker processes; register it "
                "as an environment (turinglearn.environments.register) and name its id in the config, "
                "or use execution.backend = 'inprocess'"
            )

    def _map(self, work, built, theta, seed: int, generation: int, *extra) -> tuple[list, list[int]]:
        """``work`` on every chunk of ``theta``, here or on the backend's workers; the chunks'
        results in order, and where each chunk starts."""
        slices = chunk_slices(len(theta), self.chunk_size)
        parts = len(slices)
        if self.backend.local:
            out = [
                work(built, theta[s], stream(seed, "simulation", generation, p), p, parts, *extra)
                for p, s in enumerate(slices)
            ]
        else:
            tasks = [
                (work, self.config, theta[s], seed, generation, p, parts, extra) for p, s in enumerate(slices)
            ]
            out = self.backend.map(_in_worker, tasks)
        return out, [s.start for s in slices]

    def judge(self, system, discriminator, theta, judges, seed: int, generation: int) -> Evaluation:
        """Every model's and the system's samples, judged by every judge: one :class:`Evaluation`."""
        return merge(*self._map(_judge_work, (system, discriminator), theta, seed, generation, judges))

    def samples(self, system, theta, seed: int, generation: int) -> SampleBatch:
        """The samples of every model and of the system (passive systems), chunk by chunk, for
        discriminators that learn from them (:class:`~turinglearn.neural.GradientTrainer`)."""
        return merge_samples(*self._map(_samples_work, (system, None), theta, seed, generation))

    def distances(self, system, distance, theta, seed: int, generation: int) -> np.ndarray:
        """Metric-based fitness (minus the distance) of every model: [M]."""
        out, _ = self._map(_distance_work, (system, None), theta, seed, generation, distance)
        return np.concatenate(out)
