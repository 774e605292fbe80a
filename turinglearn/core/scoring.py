"""How a generation's verdicts become the fitness of both populations.

:class:`Scoring` holds a learner's rules: whose verdicts count for the models, how the hall of
fame's and the guards' shares combine, and how a judge is scored. It reads the verdicts the
learner gathered and calls the pure functions of :mod:`turinglearn.core.fitness`; the learner
adds the critic's share and historical averaging's penalty after (docs/concepts.md, "Memory").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.core.contracts import Evaluation
from turinglearn.core.fitness import (
    JUDGE_FITNESS,
    MODEL_FITNESS,
    MODEL_JUDGES,
    SHARED_JUDGE_FITNESS,
    discriminator_fitness,
    gap_fitness,
    island_discriminator_fitness,
    island_model_fitness,
    matching_fitness,
    model_fitness,
    shared_discriminator_fitness,
)
from turinglearn.core.memory import GUARD_VOTES


@dataclass(frozen=True)
class Scoring:
    """A learner's fitness rules (each setting as :class:`~turinglearn.core.learner.TuringLearner`
    documents it): ``model_fitness``, ``judge_fitness``, ``model_judges``,
    ``hall_of_fame_weight``, ``guard_weight``, ``guard_vote``, ``islands`` and
    ``model_memory_share``."""

    model_fitness: str = "votes"
    judge_fitness: str = "accuracy"
    model_judges: str = "all"
    hall_of_fame_weight: float | None = None
    guard_weight: float = 0.5
    guard_vote: str = "each"
    islands: int = 1
    model_memory_share: float | None = None

    def __post_init__(self):
        def check(name, value, allowed):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")

        check("guard_vote", self.guard_vote, GUARD_VOTES)
        check("model_fitness", self.model_fitness, MODEL_FITNESS)
        check("judge_fitness", self.judge_fitness, JUDGE_FITNESS)
        if self.judge_fitness in SHARED_JUDGE_FITNESS and (self.model_memory_share is not None or self.islands > 1):
            raise ValueError("shared judge fitness weighs every sample alike: not with a fixed share or islands")
        check("model_judges", self.model_judges, MODEL_JUDGES)

    def models(
        self,
        ev: Evaluation,
        judged: np.ndarray,
        current: int,
        shown: int,
        models: int,
        guarded: int,
        parents: int | None = None,
        outputs: bool = False,
    ) -> np.ndarray:
        """[M] the models' fitness from an evaluation by a generation's judges (``current`` of
        them this generation's, then the hall of fame, then ``guarded`` guards; ``judged``
        [J, S] their verdicts) on ``shown`` agents, the first ``models`` the population's.
        parents: with ``model_judges = "parents"``, the current judges the last selection kept
        (the first rows; None before any selection: all); outputs: count the judges' outputs
        (a trained classifier's P(genuine)) whatever ``model_fitness`` says."""
        verdicts = ev.outputs if outputs or self.model_fitness == "outputs" else judged
        voters = self.voters(current, len(verdicts), parents)  # [D' + H' + G] the judges whose verdicts count
        voting = len(voters) - (len(verdicts) - current)  # D': this generation's judges among them
        return self._combine(verdicts[voters], ev, shown, models, voting, guarded)

    def voters(self, current: int, judges: int, parents: int | None) -> np.ndarray:
        """Rows of the judges [D + H' + G] whose verdicts give the models their fitness: every
        one, or with ``model_judges = "parents"`` the first ``parents`` of the current ones and
        every one after them (hall of fame, guards); every one while ``parents`` is None."""
        if self.model_judges == "all" or parents is None:
            return np.arange(judges)
        return np.r_[np.arange(parents), np.arange(current, judges)]

    def _combine(
        self, verdicts: np.ndarray, ev: Evaluation, shown: int, models: int, current: int, guarded: int
    ) -> np.ndarray:
        """[M] from the verdicts [J, S] of every voting judge, the first ``current`` this
        generation's (then the hall of fame, then ``guarded`` guards). The guards' verdicts make
        ``guard_weight`` of it, the hall of fame's ``hall_of_fame_weight`` of the rest (if set)."""

        def fitness(v, current):  # [M] from some judges' verdicts
            if self.model_fitness == "matching":  # fooled, weighted by each judge's g_j - a_j
                return matching_fitness(v, ev.genuine, ev.owner, shown, models)[:models]
            if self.model_fitness == "gap":  # how far each judge's rate on the model is from its rate on the system
                return gap_fitness(v, ev.genuine, ev.owner, shown)[:models]
            if self.islands > 1 and current:  # the island's own judges and the archive
                return island_model_fitness(v, ev.owner, models, self.islands, current)
            return model_fitness(v, ev.owner, shown)[:models]  # fooled

        if guarded:  # the guards' share fixed
            votes = verdicts[-guarded:]  # [G, S]
            if self.guard_vote == "all":  # one judge: genuine where every guard says so (the least P(genuine))
                votes = votes.min(axis=0, keepdims=True)  # [1, S]
            verdicts, guards = verdicts[:-guarded], fitness(votes, 0)
        if self.hall_of_fame_weight is not None and len(verdicts) > current:  # the archive's share fixed
            w = self.hall_of_fame_weight
            f = (1 - w) * fitness(verdicts[:current], current) + w * fitness(verdicts[current:], 0)
        else:
            f = fitness(verdicts, current)  # every judge one vote
        return f if not guarded else (1 - self.guard_weight) * f + self.guard_weight * guards

    def judges(
        self, judged: np.ndarray, ev: Evaluation, shown: int, models: int, recalled, near
    ) -> np.ndarray:
        """[D] from this generation's judges' verdicts [D, S] on ``shown`` agents: the population's
        ``models``, then the ``recalled`` models [A'', d], then the hard counterfeits ``near`` [N, d];
        every sample not the system's is a counterfeit."""
        owner = np.asarray(ev.owner)
        if self.islands > 1:  # each judge against its own island's models
            return island_discriminator_fitness(judged, ev.genuine, owner, models, self.islands)
        if self.judge_fitness in SHARED_JUDGE_FITNESS:  # credit for each sample shared among the judges right on it
            return shared_discriminator_fitness(judged, ev.genuine, self.judge_fitness == "shared-geometric")
        if recalled is not None and self.model_memory_share is not None:  # the archive's share is fixed
            hard = (owner >= models) & (owner < models + len(recalled))
            return discriminator_fitness(judged, ev.genuine, hard, self.model_memory_share)
        hard = None if near is None else owner >= shown - len(near)  # hard counterfeits weigh half
        return discriminator_fitness(judged, ev.genuine, hard, 0.5)
