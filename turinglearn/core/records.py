"""What flows through a generation: the samples judged, the judgements, and the record of a
generation that every hook receives. Shapes as in :mod:`turinglearn.core.contracts`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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

    @classmethod
    def labelled(cls, genuine: np.ndarray, counterfeit: np.ndarray, models: int, concatenate=np.concatenate):
        """genuine [G, T, F] and counterfeit [C, T, F] samples, the counterfeits ``C / models``
        per model in the models' order, as one batch: the genuine first (owner -1).
        ``concatenate`` joins the two (another array library's, for samples on its arrays)."""
        per = len(counterfeit) // max(models, 1)
        return cls(
            x=concatenate([genuine, counterfeit]),
            genuine=np.concatenate([np.ones(len(genuine), bool), np.zeros(len(counterfeit), bool)]),
            owner=np.concatenate([np.full(len(genuine), -1), np.repeat(np.arange(models), per)]),
        )


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


class Generation:
    """One evaluated generation: what :meth:`step` returns and every :class:`Hook` receives, for
    evolved swarms, interrogated agents and gradient-trained GANs alike.

    generation: its index (0-based); models: [M, d] parameter rows (a GAN: the generator
    networks); model_fitness: [M]; discriminators: [D, k] weight rows (a GAN: the
    discriminator networks); discriminator_fitness: [D]; seconds: wall time of the step;
    losses: named per-pair losses (gradient learners; empty otherwise); diagnostics: named
    scalars about the coevolution (:func:`~turinglearn.core.fitness.engagement`; may be empty);
    parents: [mu, d] the rows of ``models`` selection kept as the next generation's parents
    (:func:`turinglearn.core.optimizers.kept`; None where the optimiser does not say).

    The fitness arrays and losses may be *deferred*: ``read`` is called the first time one of
    them is used (a GAN's statistics live on the device, and reading them synchronises).
    """

    def __init__(
        self,
        generation: int,
        models: Any,
        model_fitness: np.ndarray | None = None,
        discriminators: Any = None,
        discriminator_fitness: np.ndarray | None = None,
        seconds: float = 0.0,
        losses: Mapping[str, np.ndarray] | None = None,
        *,
        read: Callable[[], Mapping[str, Any]] | None = None,
        diagnostics: Mapping[str, float] | None = None,
        parents: Any = None,
    ):
        self.generation, self.models, self.discriminators = generation, models, discriminators
        self.parents = parents
        self.seconds = seconds
        self.diagnostics = dict(diagnostics or {})
        self._values = (
            None
            if read is not None
            else {
                "model_fitness": np.asarray(model_fitness),
                "discriminator_fitness": np.asarray(discriminator_fitness),
                "losses": dict(losses or {}),
            }
        )
        self._read = read

    def _get(self, key: str):
        if self._values is None:
            self._values = dict(self._read())
        return self._values[key]

    @property
    def model_fitness(self) -> np.ndarray:
        return self._get("model_fitness")

    @property
    def discriminator_fitness(self) -> np.ndarray:
        return self._get("discriminator_fitness")

    @property
    def losses(self) -> dict[str, np.ndarray]:
        return self._get("losses")

    @property
    def median(self) -> np.ndarray:
        """Population median of every model parameter: [d]."""
        return np.median(self.models, axis=0)

    @property
    def best(self) -> np.ndarray:
        """The model with the highest fitness (first on ties): [d]."""
        return self.models[int(np.argmax(self.model_fitness))]

    def state(self) -> dict[str, Any]:
        """Plain arrays, as a checkpoint stores them; ``Generation(**state)`` rebuilds it."""
        return {
            "generation": self.generation,
            "models": self.models,
            "model_fitness": self.model_fitness,
            "discriminators": self.discriminators,
            "discriminator_fitness": self.discriminator_fitness,
            "seconds": self.seconds,
        }

