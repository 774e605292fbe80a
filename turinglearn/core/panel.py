"""An estimate judged by every era's discriminators: the panel.

A coevolving population forgets: once its discriminators no longer check a behaviour, the models
may drift to it, and the run ends wherever the drift left them (docs/concepts.md, "Memory").
The discriminators that were best in their generation remember what they were selected to tell
apart. :class:`Panel` keeps, every ``every`` generations, one *candidate* (the generation's
population median, or its fittest model) and one *judge* (its fittest discriminator); after the
run the judges of every era judge fresh trials of every candidate and of the system, and the
estimate is the candidates that the panel tells apart from the system least.

The score is a discrepancy between distributions in which the judges are the witness functions
(an integral probability metric over the panel, as in a skill rating of generators against
discriminators from other checkpoints): for judge ``j``, ``a_j(c)`` is the fraction of
candidate ``c``'s samples it takes for genuine and ``g_j`` the fraction of the system's,

    score(c) = mean_j [ (a_j(c) - g_j)^2 - var_j(c) / n_c ],

``a_j(c)`` the mean over the candidate's ``n_c`` trials of each trial's share (a swarm's replicas
share a trial) and ``var_j(c)`` their variance over those trials: the second term removes the
bias of the squared noise of ``a_j(c)``. A model that behaves as the system does scores 0 in
expectation against *every* judge, past or future, however the judge was selected, up to the
noise of ``g_j`` (the same for every candidate, so it does not change the ranking); a model
that drifted to what the current judges no longer check is still told apart by the judges of
the era that did check it. In a swarm the system's samples are pooled over every candidate's
trials, and a wrong candidate's replicas also change the genuine agents they share a trial
with; the pooled share averages over that.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import Generation
from turinglearn.core.fitness import judgements


def scores(outputs: np.ndarray, genuine: np.ndarray, candidate: np.ndarray, trial: np.ndarray) -> np.ndarray:
    """The panel's score of every candidate (lower: closer to the system): [C].

    outputs: [J, S] the judges' outputs (> 0.5: genuine); genuine: [S] bool; candidate: [S] the
    candidate behind each counterfeit sample (-1 for the system's); trial: [S] the trial each
    counterfeit sample came from (``Evaluation.owner``, the row of the models judged: a swarm's
    replicas share a trial, so their votes are not independent). A candidate's share is the
    mean of its trials' shares and its sampling noise the variance of those over its trials,
    divided by their number; every candidate needs at least two trials. C is
    ``candidate.max() + 1``."""
    votes = judgements(outputs).astype(float)  # [J, S]
    g = votes[:, genuine].mean(axis=1)  # [J] how often each judge takes the system for genuine
    fake = candidate >= 0
    rows, where = np.unique(trial[fake], return_inverse=True)  # the trials, and each sample's
    sums = np.zeros((len(rows), votes.shape[0]))
    np.add.at(sums, where, votes[:, fake].T)
    share = sums / np.bincount(where, minlength=len(rows))[:, None]  # [R, J] each trial's shares
    owner = np.zeros(len(rows), int)
    owner[where] = candidate[fake]  # [R] the candidate behind each trial
    out = np.empty(int(candidate.max()) + 1)
    for c in range(len(out)):
        mine = share[owner == c]  # [n_c, J]
        n = len(mine)
        if n < 2:
            raise ValueError(f"candidate {c} has {n} trial(s); the panel needs at least 2 each")
        out[c] = np.mean((mine.mean(axis=0) - g) ** 2 - mine.var(axis=0, ddof=1) / n)
    return out


class Panel:
    """Hook: every ``every`` generations (from generation 0), keeps the generation's candidate
    (``track = "median"``: the population median [d]; ``"best"``: its fittest model) and its
    fittest discriminator [k]. :meth:`estimate` has the kept judges judge the kept candidates.

    The state (:meth:`state_dict`) is small: [n, d] candidates and [n, k] judges for n kept
    generations, 100 for a run of 1,000 generations kept every 10."""

    def __init__(self, every: int = 10, track: str = "median"):
        if every < 1:
            raise ValueError(f"every must be 1 or more, got {every}")
        if track not in ("median", "best"):
            raise ValueError(f"track must be 'median' or 'best', got {track!r}")
        self.every, self.track = every, track
        self.generations: list[int] = []
        self.candidates: list[np.ndarray] = []  # [d] each
        self.judges: list[np.ndarray] = []  # [k] each

    def __call__(self, record: Generation) -> None:
        if record.generation % self.every == 0 and record.discriminators is not None:
            self._keep(record, self.generations, self.candidates, self.judges)

    def _keep(self, record: Generation, generations: list, candidates: list, judges: list) -> None:
        f_d = record.discriminator_fitness
        if f_d.size == 0:  # a learner without discriminators (metric baselines)
            return
        model = record.median if self.track == "median" else record.best
        generations.append(int(record.generation))
        candidates.append(np.array(model, dtype=float))
        judges.append(np.array(record.discriminators[int(np.argmax(f_d))]))

    def estimate(
        self, evaluator, system, discriminator, seed: int, trials: int = 10, top: int = 5,
        last: Generation | None = None,
    ) -> dict:  # fmt: skip
        """Fresh trials of every kept candidate (``trials`` each, all in one evaluation drawn from
        ``seed``), judged by every kept judge; returns ``inferred`` (the per-parameter median of
        the ``top`` candidates with the lowest scores) [d], ``scores`` [n], ``generations`` [n]
        and ``chosen`` (the generations of the ``top`` candidates, best first). ``last``: the
        run's last generation, judged with them when it was not kept (it is not stored)."""
        generations, candidates, judges = list(self.generations), list(self.candidates), list(self.judges)
        if last is not None and last.discriminators is not None and last.generation not in generations:
            self._keep(last, generations, candidates, judges)
        if not generations:
            raise ValueError("the panel is empty: the run kept no generation with discriminators")
        theta = np.asarray(candidates)  # [n, d]
        judges = np.asarray(judges)  # [n, k]
        shown = np.repeat(theta, trials, axis=0)  # [n * trials, d]: candidate c owns rows c*trials...
        ev = evaluator.judge(system, discriminator, shown, judges, seed, 0)
        owner = np.asarray(ev.owner)
        candidate = np.where(owner >= 0, owner // trials, -1)
        s = scores(ev.outputs, np.asarray(ev.genuine, bool), candidate, owner)
        order = np.argsort(s, kind="stable")[: max(1, min(top, len(s)))]
        return {
            "inferred": np.median(theta[order], axis=0),
            "scores": s,
            "generations": np.asarray(generations),
            "chosen": [generations[i] for i in order],
        }

    def state_dict(self) -> dict:
        return {
            "generations": np.asarray(self.generations, dtype=np.int64),
            "candidates": np.asarray(self.candidates, dtype=float),
            "judges": np.asarray(self.judges),
        }

    def load_state_dict(self, state: dict | None) -> None:
        if state is None:  # a checkpoint from before the panel: it starts empty
            return
        self.generations = [int(g) for g in np.asarray(state["generations"]).reshape(-1)]
        self.candidates = list(np.asarray(state["candidates"], dtype=float))
        self.judges = list(np.asarray(state["judges"]))
