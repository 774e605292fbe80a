"""Fitness of both populations from the discriminators' judgements (Li et al. 2016).

Pure functions; ``judged[D, S]`` is True where discriminator ``d`` judged sample ``s`` genuine.
"""

from __future__ import annotations

import numpy as np


def judgements(outputs: np.ndarray) -> np.ndarray:
    """Threshold discriminator outputs [D, S] at 0.5: True means judged genuine."""
    return outputs > 0.5


def discriminator_fitness(judged: np.ndarray, genuine: np.ndarray) -> np.ndarray:
    """``(sensitivity + specificity) / 2`` for each discriminator: [D].

    Sensitivity is the fraction of genuine samples judged genuine, specificity the fraction of
    counterfeit samples judged counterfeit. Both kinds of sample must be present.
    """
    genuine = np.asarray(genuine, dtype=bool)
    if genuine.all() or not genuine.any():
        raise ValueError("discriminator fitness needs both genuine and counterfeit samples")
    sensitivity = judged[:, genuine].mean(axis=1)
    specificity = 1.0 - judged[:, ~genuine].mean(axis=1)
    return (sensitivity + specificity) / 2


def model_fitness(judged: np.ndarray, owner: np.ndarray, n_models: int) -> np.ndarray:
    """Fraction of judgements of each model's samples that said 'genuine': [M].

    With one sample per model this is the fraction of discriminators fooled; with several
    (trials or replicas) it is averaged over them. Genuine samples (owner -1) are ignored.
    """
    owner = np.asarray(owner)
    mine = owner >= 0
    counts = np.bincount(owner[mine], minlength=n_models)
    if (counts == 0).any():
        raise ValueError(f"models without samples: {np.flatnonzero(counts == 0)[:10].tolist()}")
    fooled = np.bincount(owner[mine], weights=judged[:, mine].sum(axis=0), minlength=n_models)
    return fooled / (counts * judged.shape[0])
