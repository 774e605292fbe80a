"""Named random streams of a run, all derived from its one root seed (docs/design.md, "Randomness")."""


from __future__ import annotations

import numpy as np

#: named random streams of a run, so adding a stream never shifts another one's numbers
STREAMS = {
    "models": 0, "discriminators": 1, "simulation": 2, "evaluation": 3, "recording": 4, "memory": 5, "restart": 6,
    "critic": 7, "holdout": 8,
}  # fmt: skip


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """The generator of stream ``name`` (and e.g. generation ``index``) under root ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[name], *index)))
