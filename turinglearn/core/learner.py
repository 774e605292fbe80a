"""The Turing Learning loop: two populations, one readable generation step.

Search is separate from observation: :meth:`TuringLearner.step` returns a
:class:`Generation`; progress bars, metrics files and plots are hooks that receive it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from turinglearn.core.contracts import (
    DiscriminatorFamily,
    Evaluation,
    Generation,
    Hook,
    Optimizer,
    SampleTrainer,
    System,
)
from turinglearn.core.fitness import discriminator_fitness, judgements, model_fitness


class GenerationLoop:
    """What every learner shares: a generation counter, hooks, and :meth:`run`."""

    generation: int
    hooks: list[Hook]

    def step(self) -> Generation:  # pragma: no cover - abstract
        raise NotImplementedError

    def _publish(self, record: Generation) -> Generation:
        self.generation += 1
        for hook in self.hooks:
            hook(record)
        return record

    def state_dict(self) -> dict:
        """Everything the next generation depends on (see :mod:`turinglearn.app.checkpoint`)."""
        return {"generation": self.generation, "models": self.model_optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.generation = int(state["generation"])
        self.model_optimizer.load_state_dict(state["models"])

    def run(self, generations: int) -> Generation:
        """Step until ``generations`` generations have been evaluated; returns the last one."""
        record = None
        while self.generation < generations:
            record = self.step()
        return record


class TuringLearner(GenerationLoop):
    """Coevolves models of ``system`` against discriminators.

    system: runs the system and the models and has discriminators judge them
    (:meth:`~turinglearn.core.contracts.System.evaluate`); discriminator: a batched discriminator family;
    model_optimizer / discriminator_optimizer: ask/tell optimisers over model parameters and
    discriminator weights; seed: the root of the simulation's random streams (generation ``g``
    always draws from the same stream); evaluator: a
    :class:`~turinglearn.core.evaluator.ChunkedEvaluator` (chunk size and backend; default: one
    chunk, in-process).

    hall_of_fame: ``H > 0`` keeps an archive of the last ``H`` discriminators that were best
    in their generation, one every ``hall_of_fame_every`` generations. Archived discriminators
    judge the models too, so a model's fitness is the fraction of all judges (current
    population plus archive) it fooled; they are not evolved and do not enter the
    discriminators' fitness. This memory keeps the models from drifting away while the
    current discriminators have lost the trail (a known failure of two-population
    coevolution); ``H = 0`` is the papers' algorithm.

    A discriminator optimiser that learns from the samples themselves (a
    :class:`~turinglearn.core.contracts.SampleTrainer`, e.g.
    :class:`~turinglearn.families.neural.GradientTrainer`) is one classifier: each generation it
    (and the archive) judges the generation's samples, a model's fitness is the mean
    probability of 'genuine' they give its samples (one judge's thresholded verdict would be
    all or nothing), and then the classifier is trained on those samples. Judging before
    training keeps the models' fitness out of sample.
    """

    def __init__(
        self,
        system: System,
        discriminator: DiscriminatorFamily,
        model_optimizer: Optimizer,
        discriminator_optimizer: Optimizer,
        seed: int = 0,
        hooks: Sequence[Hook] = (),
        hall_of_fame: int = 0,
        hall_of_fame_every: int = 10,
        evaluator=None,
    ):
        from turinglearn.core.evaluator import ChunkedEvaluator

        self.evaluator = evaluator or ChunkedEvaluator()
        self.system = system
        self.hall_of_fame = hall_of_fame
        self.hall_of_fame_every = hall_of_fame_every
        self.archive: np.ndarray | None = None  # [H', k] archived discriminators
        self.discriminator = discriminator
        self.model_optimizer = model_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        # a discriminator that learns from the samples (SampleTrainer) changes what a
        # generation does: judge the samples, then teach them
        self.trains_on_samples = isinstance(discriminator_optimizer, SampleTrainer)
        self.seed = seed
        self.hooks = list(hooks)
        self.generation = 0

    def step(self) -> Generation:
        t0 = time.perf_counter()
        theta = self.model_optimizer.ask()  # [M, d]
        weights = self.discriminator_optimizer.ask()  # [D, k]
        # run the system and every model; every discriminator judges (interrogators act meanwhile)
        judges = weights if self.archive is None else np.concatenate([weights, self.archive])  # [D + H', k]
        trains = self.trains_on_samples
        if trains:  # the samples come back, are judged here, then taught
            batch = self.evaluator.samples(self.system, theta, self.seed, self.generation)
            ev = Evaluation(self.discriminator.judge(judges, batch.x), batch.genuine, batch.owner)
        else:
            ev = self.evaluator.judge(  # outputs [D + H', S]
                self.system, self.discriminator, theta, judges, self.seed, self.generation
            )
        judged = judgements(ev.outputs)  # [D + H', S] True = judged genuine
        # [M], by every judge: the fraction fooled, or for one trained classifier its mean P(genuine)
        f_models = model_fitness(ev.outputs if trains else judged, ev.owner, len(theta))
        f_discs = discriminator_fitness(judged[: len(weights)], ev.genuine)  # [D], current population only
        self.model_optimizer.tell(f_models)
        self.discriminator_optimizer.tell(f_discs)
        if trains:
            self.discriminator_optimizer.train(batch.x, batch.genuine)
        if self.hall_of_fame and self.generation % self.hall_of_fame_every == 0:
            best = weights[int(np.argmax(f_discs))][None]
            archive = best if self.archive is None else np.concatenate([self.archive, best])
            self.archive = archive[-self.hall_of_fame :]
        return self._publish(
            Generation(self.generation, theta, f_models, weights, f_discs, time.perf_counter() - t0)
        )

    def state_dict(self) -> dict:
        return {
            **super().state_dict(),
            "discriminators": self.discriminator_optimizer.state_dict(),
            "archive": self.archive,
        }

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.discriminator_optimizer.load_state_dict(state["discriminators"])
        self.archive = None if state["archive"] is None else np.array(state["archive"])
