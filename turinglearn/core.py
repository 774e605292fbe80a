"""The small contracts of turinglearn. Shapes: ``M`` models, ``D`` discriminators, ``S`` samples,
``T`` time steps, ``F`` features per step, ``d`` model parameters, ``k`` discriminator weights.

Randomness: every stochastic call takes a :class:`numpy.random.Generator`; a run derives all of
them from one root seed with :func:`stream` so that the same seed gives the same run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class SampleBatch:
    """Samples as a discriminator sees them, with labels kept beside them.

    x: [S, T, F] float, what discriminators see (never the labels);
    genuine: [S] bool, True for samples of the system;
    owner: [S] int, the model that produced each counterfeit sample (-1 for genuine ones).
    """

    x: np.ndarray
    genuine: np.ndarray
    owner: np.ndarray

    def __post_init__(self):
        s = self.x.shape[0]
        if self.x.ndim != 3 or self.genuine.shape != (s,) or self.owner.shape != (s,):
            raise ValueError(
                f"SampleBatch shapes disagree: x {self.x.shape} (want [S, T, F]), "
                f"genuine {self.genuine.shape}, owner {self.owner.shape} (want [S])"
            )


@runtime_checkable
class ModelFamily(Protocol):
    """Behaviour models as parameter rows ``theta[..., d]`` within box bounds."""

    n_params: int
    names: tuple[str, ...]  # [d] parameter names
    lower: np.ndarray  # [d]
    upper: np.ndarray  # [d]


@runtime_checkable
class DiscriminatorFamily(Protocol):
    """Classifiers as weight rows ``w[D, k]``, judging whole sample batches in one pass."""

    n_weights: int

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, T, F] -> output [D, S] in [0, 1]; > 0.5 means 'genuine'."""
        ...


@dataclass(frozen=True)
class Evaluation:
    """One generation's judgements, with the labels of what was judged.

    outputs: [D, S] discriminator ``d``'s final output for sample (trial) ``s`` (> 0.5 means
    'genuine'); genuine: [S] bool; owner: [S] the model behind each counterfeit (-1 if genuine).
    For interrogators, row ``d`` judges the trials that ``d`` itself ran, laid out alike for all d.
    """

    outputs: np.ndarray
    genuine: np.ndarray
    owner: np.ndarray


@runtime_checkable
class System(Protocol):
    """The system under study plus the means to run models in its place."""

    model_family: ModelFamily
    truth: np.ndarray | None  # [d] ground truth when known (simulated systems)

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator: DiscriminatorFamily,
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> Evaluation:
        """Run the system and every model theta[M, d]; have every discriminator weights[D, k] judge."""
        ...


def judge_samples(batch: SampleBatch, discriminator: DiscriminatorFamily, weights: np.ndarray) -> Evaluation:
    """Passive evaluation: every discriminator judges every sample of one shared batch."""
    return Evaluation(discriminator.judge(weights, batch.x), batch.genuine, batch.owner)


@runtime_checkable
class Optimizer(Protocol):
    """Ask/tell search over real vectors; higher fitness is better."""

    def ask(self) -> np.ndarray:
        """The population to evaluate: [P, n]."""
        ...

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness [P] of the population last asked for; advances one generation."""
        ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


#: named random streams of a run, so adding a stream never shifts another one's numbers
STREAMS = {"models": 0, "discriminators": 1, "simulation": 2, "evaluation": 3, "recording": 4}


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """The generator of stream ``name`` (and e.g. generation ``index``) under root ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[name], *index)))
