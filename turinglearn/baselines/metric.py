"""Metric-based system identification: the baseline that Turing Learning is compared against.

Same model family, same optimiser, same simulations as Turing Learning, but no
discriminators: a model's fitness is minus a predefined distance between its replicas'
trajectories and the genuine agents' trajectories (Li, Gauci & Groß 2016, section 6).

Distances (pure functions of the trajectories of one generation):

- ``sse``: the sum of squared errors between a replica's time series and a genuine agent's of
  the same trial, over every feature and step (mean over the trial's agents, replicas and trials);
- ``histogram``: the L1 distance between histograms of the per-step values (each feature
  separately, 40 bins on [-1.2, 1.2]) of the model's replicas and of all genuine agents simulated
  in the generation.

On aggregation the features are a robot's linear and angular speed, hence the papers' "speed".
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from turinglearn.core.contracts import Generation, Hook, System
from turinglearn.core.learner import GenerationLoop
from turinglearn.core.optimizers import kept
from turinglearn.core.summaries import HIST_BINS as HIST_BINS  # the bins, where they were first defined
from turinglearn.core.summaries import histograms

METRICS = ("sse", "histogram")


def sse_distance(genuine: np.ndarray, fake: np.ndarray) -> np.ndarray:
    """genuine [M, tr, A, T, F], fake [M, tr, R, T, F] -> [M]: mean over agents a, replicas r
    and trials of ``sum_{t,f} (fake_r - genuine_a)^2``."""
    # mean_a (f - g_a)^2 = f^2 - 2 f mean_a(g) + mean_a(g^2), summed over T and F
    g_mean = genuine.mean(axis=2, keepdims=True)  # [M, tr, 1, T, F]
    g_sq = (genuine**2).mean(axis=2, keepdims=True)
    per = (fake**2 - 2 * fake * g_mean + g_sq).sum(axis=(-1, -2))  # [M, tr, R]
    return per.mean(axis=(1, 2))


def histogram_distance(genuine: np.ndarray, fake: np.ndarray) -> np.ndarray:
    """genuine [M, tr, A, T, F], fake [M, tr, R, T, F] -> [M]: L1 distance between the
    per-step speed histograms of each model's replicas and of all genuine agents, summed over features."""
    m, f = fake.shape[0], fake.shape[-1]
    ref = histograms(genuine.reshape(1, -1, f))[0]  # [F, bins]
    mine = histograms(fake.reshape(m, -1, f))  # [M, F, bins]
    return np.abs(mine - ref).sum(axis=(-1, -2))


DISTANCES = {"sse": sse_distance, "histogram": histogram_distance}


class MetricLearner(GenerationLoop):
    """Evolves models against a fixed distance to the system's trajectories.

    system: a swarm system (``trajectories(theta, rng)``); metric: ``"sse"`` or
    ``"histogram"``. ``step`` returns a :class:`Generation` with no discriminators, so the
    hooks, metrics files and plots of Turing Learning apply unchanged.
    """

    def __init__(
        self,
        system,
        model_optimizer,
        metric: str = "sse",
        seed: int = 0,
        hooks: Sequence[Hook] = (),
        evaluator=None,
    ):
        from turinglearn.core.evaluator import ChunkedEvaluator

        self.evaluator = evaluator or ChunkedEvaluator()
        if metric not in DISTANCES:
            raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
        if not isinstance(system, System):
            raise ValueError("metric-based learners need a System (turinglearn.core.contracts) with trajectories()")
        self.system = system
        self.model_optimizer = model_optimizer
        self.distance = DISTANCES[metric]
        self.metric = metric
        self.seed = seed
        self.hooks = list(hooks)
        self.generation = 0
        self.discriminator = None

    def step(self) -> Generation:
        t0 = time.perf_counter()
        theta = self.model_optimizer.ask()  # [M, d]
        # trajectories [M, tr, A, T, F] and [M, tr, R, T, F] -> fitness [M], higher is better
        fitness = self.evaluator.distances(self.system, self.distance, theta, self.seed, self.generation)
        self.model_optimizer.tell(fitness)
        no_discriminators = np.zeros((0, 0)), np.zeros(0)
        parents = kept(self.model_optimizer, theta)
        seconds = time.perf_counter() - t0
        return self._publish(Generation(self.generation, theta, fitness, *no_discriminators, seconds, parents=parents))
