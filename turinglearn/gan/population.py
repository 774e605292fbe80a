"""Turing Learning over populations of networks: fitness from every discriminator's judgement
of every sample, and truncation selection (torch-free; the same fitness functions as the
swarm studies, :mod:`turinglearn.core.fitness`).

Shapes: ``P`` generators and ``Q`` discriminators, ``n`` samples per generator and ``n_real``
genuine samples; ``judged [Q, n_real + P n]`` is True where a discriminator judged a sample genuine.
With a hall of fame, the rows after the current population's are the archived discriminators'
(``judged [Q + H', ...]``): they judge the generators, as in the swarm studies, but are not
selected and get no fitness.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.fitness import discriminator_fitness, model_fitness


def sample_layout(n_real: int, n_models: int, per_model: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels of a judged batch laid out as [genuine..., model 0's..., model 1's..., ...]:
    genuine [S] bool and owner [S] int (-1 for genuine samples)."""
    owner = np.concatenate([np.full(n_real, -1), np.repeat(np.arange(n_models), per_model)])
    return owner < 0, owner


def population_fitness(
    judged: np.ndarray, n_real: int, n_models: int, current: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """judged [Q + H', n_real + P n] -> (generator fitness [P]: the fraction of all judgements
    of its samples (current and archived discriminators') that said genuine, i.e. the fraction
    it fools; discriminator fitness [Q]: (sensitivity + specificity) / 2 of the first
    ``current`` rows, the current population (None: every row))."""
    per_model = (judged.shape[1] - n_real) // n_models
    genuine, owner = sample_layout(n_real, n_models, per_model)
    q = len(judged) if current is None else current
    return model_fitness(judged, owner, n_models), discriminator_fitness(judged[:q], genuine)


def truncation(fitness: np.ndarray) -> list[tuple[int, int]]:
    """Which individuals to overwrite with which: the worse half (floor(P / 2)) each becomes a
    copy of one of the better half, the worst from the best. Returns ``[(loser, winner), ...]``;
    ties are broken by index (lower first), so the result is deterministic."""
    order = np.lexsort((np.arange(len(fitness)), -np.asarray(fitness, float)))  # best first
    half = len(fitness) // 2
    return [(int(order[-1 - k]), int(order[k])) for k in range(half)]
