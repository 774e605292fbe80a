"""How a generation is evaluated: cut into chunks, each with its own random stream.

A generation's batch is cut into *chunks* of ``chunk_size`` models. Chunk ``p`` of generation
``g`` draws from its own random stream, ``stream(seed, "simulation", g, p)``, and its result
(the judges' outputs on its samples, or its models' distances) is put back in chunk order. The
chunks are fixed by the config, not by the workers, so a run gives bit-identical results on
every backend and with any number of workers.

Where the chunks run is injected: a :class:`~turinglearn.core.contracts.Backend` (the
in-process loop when none is given; process pools and Dask clusters are in
:mod:`turinglearn.execution.backends`). Workers never receive a live simulator: a chunk
carries a *recipe*, a picklable callable that builds ``(system, discriminator family)``, and
each worker calls it once and caches what it built (:func:`turinglearn.app.build.Recipe`
rebuilds an environment from its id and settings).
"""


from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from turinglearn.core.contracts import Backend, Evaluation, SampleBatch
from turinglearn.core.random import stream
from turinglearn.errors import TuringLearnError


def chunk_slices(n: int, chunk_size: int | None) -> list[slice]:
    """Boundaries of the chunks of a batch of ``n`` models (``None``: one chunk)."""
    size = n if not chunk_size else chunk_size
    return [slice(a, min(a + size, n)) for a in range(0, n, size)] or [slice(0, 0)]


def merge(parts: Sequence[Evaluation], starts: Sequence[int]) -> Evaluation:
    """One :class:`Evaluation` from the chunks', with model indices made global again."""
    return Evaluation(
        outputs=np.concatenate([e.outputs for e in parts], axis=1),
        genuine=np.concatenate([e.genuine for e in parts]),
        owner=np.concatenate(
            [np.where(e.owner >= 0, e.owner + s, -1) for e, s in zip(parts, starts, strict=True)]
        ),
    )


def merge_samples(parts: Sequence[SampleBatch], starts: Sequence[int], join=np.concatenate) -> SampleBatch:
    """One :class:`SampleBatch` from the chunks', with model indices made global again; ``join``
    joins the samples (``torch.cat`` keeps the torch backend's on their device)."""
    return SampleBatch(
        x=join([b.x for b in parts]),
        genuine=np.concatenate([b.genuine for b in parts]),
        owner=np.concatenate(
            [np.where(b.owner >= 0, b.owner + s, -1) for b, s in zip(parts, starts, strict=True)]
        ),
    )


_WORKER_SYSTEMS: dict[bytes, tuple] = {}


def _worker_system(recipe):
    """What ``recipe`` builds, built once per worker process."""
    import pickle

    key = pickle.dumps(recipe)
    if key not in _WORKER_SYSTEMS:
        if len(_WORKER_SYSTEMS) >= 4:
            _WORKER_SYSTEMS.clear()
        _WORKER_SYSTEMS[key] = recipe()
    return _WORKER_SYSTEMS[key]


# What one chunk does: ``work(built, theta, rng, part, parts, *extra)`` with ``built`` the
# (system, discriminator family) pair. Module-level, so that workers receive them by name.


def _judge_work(built, theta, rng, part, parts, judges) -> Evaluation:
    system, discriminator = built
    return system.evaluate(theta, discriminator, judges, rng, part, parts)


def _samples_work(built, theta, rng, part, parts) -> SampleBatch:
    return built[0].samples(theta, rng)


def _interrogated_work(built, theta, rng, part, parts, judges, trials) -> SampleBatch:
    system, discriminator = built
    more = {} if trials is None else {"trials": trials}  # a system written before ``trials`` still works
    return system.interrogated_samples(theta, discriminator, judges, rng, **more)


def _distance_work(built, theta, rng, part, parts, distance) -> np.ndarray:
    genuine, fake = built[0].trajectories(theta, rng)
    return -distance(genuine, fake)


def _in_worker(task: tuple):
    """A chunk in a worker: the system rebuilt from the recipe, then the chunk's work."""
    work, recipe, theta, seed, name, generation, part, parts, extra = task
    rng = stream(seed, name, generation, part)
    return work(_worker_system(recipe), theta, rng, part, parts, *extra)


class ChunkedEvaluator:
    """Evaluates a generation chunk by chunk on a backend.

    chunk_size: models per chunk (``None``: the whole batch is one chunk); backend: where the
    chunks run (``None``: here, one after the other); recipe: a picklable callable that builds
    ``(system, discriminator family)`` in a worker (needed by every backend that is not local).
    """

    def __init__(self, chunk_size: int | None = None, backend: Backend | None = None, recipe=None):
        self.chunk_size = chunk_size
        self.backend = backend
        self.recipe = recipe
        if backend is not None and not backend.local and recipe is None:
            raise TuringLearnError(
                "a simulator given as an object cannot be rebuilt in worker processes; register it "
                "as an environment (turinglearn.environments.register) and name its id in the config, "
                "or use execution.backend = 'inprocess'"
            )

    def _map(
        self, work, built, theta, seed: int, generation: int, *extra, name: str = "simulation"
    ) -> tuple[list, list[int]]:
        """``work`` on every chunk of ``theta``, here or on the backend's workers, chunk ``p``
        drawing from ``stream(seed, name, generation, p)``; the chunks' results in order, and
        where each chunk starts."""
        slices = chunk_slices(len(theta), self.chunk_size)
        parts = len(slices)
        if self.backend is None or self.backend.local:
            out = [
                work(built, theta[s], stream(seed, name, generation, p), p, parts, *extra)
                for p, s in enumerate(slices)
            ]
        else:
            tasks = [
                (work, self.recipe, theta[s], seed, name, generation, p, parts, extra)
                for p, s in enumerate(slices)
            ]
            out = self.backend.map(_in_worker, tasks)
        return out, [s.start for s in slices]

    def judge(self, system, discriminator, theta, judges, seed: int, generation: int) -> Evaluation:
        """Every model's and the system's samples, judged by every judge: one :class:`Evaluation`."""
        return merge(*self._map(_judge_work, (system, discriminator), theta, seed, generation, judges))

    def samples(self, system, theta, seed: int, generation: int) -> SampleBatch:
        """The samples of every model and of the system (passive systems), chunk by chunk, for
        discriminators that learn from them (:class:`~turinglearn.families.neural.GradientTrainer`)."""
        # a system whose samples are not numpy arrays says how to join them (SwarmSystem.concatenate)
        join = getattr(system, "concatenate", np.concatenate)
        return merge_samples(*self._map(_samples_work, (system, None), theta, seed, generation), join)

    def interrogated(
        self, system, discriminator, theta, judges, seed: int, generation: int, trials: int | None = None
    ) -> SampleBatch:
        """Samples of an interrogated system for a critic: ``trials`` trials of every model (None:
        the system's number) and as many of the system, each pair under one of ``judges``
        (``interrogated_samples``), chunk by chunk
        on their own random stream (``"critic"``), so the judges' trials draw what they would
        without them."""
        out = self._map(
            _interrogated_work, (system, discriminator), theta, seed, generation, judges, trials, name="critic"
        )
        return merge_samples(*out)

    def distances(self, system, distance, theta, seed: int, generation: int) -> np.ndarray:
        """Metric-based fitness (minus the distance) of every model: [M]."""
        out, _ = self._map(_distance_work, (system, None), theta, seed, generation, distance)
        return np.concatenate(out)
