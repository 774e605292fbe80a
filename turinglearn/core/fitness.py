"""Fitness of both populations from the discriminators' judgements (Li et al. 2016).

Pure functions; ``judged[D, S]`` is True where discriminator ``d`` judged sample ``s`` genuine.
"""

from __future__ import annotations

import numpy as np

from turinglearn.errors import ConfigError

#: what a model's fitness counts of its evolved judges: their thresholded votes (the papers),
#: their outputs, the probability of genuine each gives (graded when every judge rejects every
#: model), their votes weighted by how much more often each judge calls the system genuine
#: than the population (:func:`matching_fitness`), or how far each judge's rate of genuine
#: verdicts on the model is from its rate on the system (:func:`gap_fitness`)
MODEL_FITNESS = ("votes", "outputs", "matching", "gap")
#: whose verdicts give the models their fitness: every current judge (the papers), or the judges
#: kept by the last selection, the offspring not yet tested left out (the hall of fame either way)
MODEL_JUDGES = ("all", "parents")
#: what an evolved discriminator's fitness counts: its balanced accuracy (the papers), or with
#: competitive fitness sharing (:func:`shared_discriminator_fitness`) each sample's credit shared
#: among the judges that judged it right
JUDGE_FITNESS = ("accuracy", "shared", "shared-geometric")
#: those of them that share each sample's credit (:func:`shared_discriminator_fitness`)
SHARED_JUDGE_FITNESS = ("shared", "shared-geometric")


def judgements(outputs: np.ndarray) -> np.ndarray:
    """Threshold discriminator outputs [D, S] at 0.5: True means judged genuine."""
    return outputs > 0.5


def discriminator_fitness(
    judged: np.ndarray, genuine: np.ndarray, hard: np.ndarray | None = None, share: float = 0.5
) -> np.ndarray:
    """``(sensitivity + specificity) / 2`` for each discriminator: [D].

    Sensitivity is the fraction of genuine samples judged genuine, specificity the fraction of
    counterfeit samples judged counterfeit. Both kinds of sample must be present. ``hard`` [S]
    (optional) marks counterfeits that weigh ``share`` of the specificity however few they are
    (hard counterfeits, :class:`~turinglearn.core.memory.NearCounterfeits`, weigh half; recalled
    models ``learner.model_memory_share``); the other counterfeits weigh the rest.
    """
    genuine = np.asarray(genuine, dtype=bool)
    if genuine.all() or not genuine.any():
        raise ValueError("discriminator fitness needs both genuine and counterfeit samples")
    sensitivity = judged[:, genuine].mean(axis=1)
    fake = ~genuine
    if hard is None or not np.any(hard) or not np.any(fake & ~hard):
        specificity = 1.0 - judged[:, fake].mean(axis=1)
    else:
        hard = np.asarray(hard, dtype=bool)
        rest, kept = judged[:, fake & ~hard].mean(axis=1), judged[:, hard].mean(axis=1)
        specificity = 1.0 - (1 - share) * rest - share * kept
    return (sensitivity + specificity) / 2


def shared_discriminator_fitness(
    judged: np.ndarray, genuine: np.ndarray, geometric: bool = False
) -> np.ndarray:
    """Competitive fitness sharing (Rosin & Belew, 1997) of the discriminators' accuracy: [D].

    Each sample carries one unit of credit, shared equally among the judges that judged it right
    (genuine ones called genuine, counterfeits rejected); a judge's fitness is the mean of its
    credit over the genuine samples and over the counterfeit ones, times ``D``, so that when
    every judge is right on every sample each scores 1, as with
    :func:`discriminator_fitness`. A counterfeit that most judges take for genuine (a model that
    has just found a look-alike) is worth as much to the few that reject it as a sample every
    judge gets right is to all of them together: catching what the others miss pays most, and
    the judges that still tell a look-alike apart spread before the look-alike does.

    ``geometric``: the geometric mean of the two credits instead, so a judge earns only by being
    right in both classes. With the arithmetic mean, when most judges take everything for
    genuine a judge that rejects everything collects the counterfeits' whole credit, the next
    generation's judges reject everything, and the judges' bias flips every generation (the
    models' mean fitness moving by 0.12-0.24 a generation against 0.03-0.04 with
    :func:`discriminator_fitness`, docs/results.md); a judge that rejects everything scores 0
    here, whatever the others do.
    """
    genuine = np.asarray(genuine, dtype=bool)
    if genuine.all() or not genuine.any():
        raise ValueError("discriminator fitness needs both genuine and counterfeit samples")
    right = np.where(genuine[None], judged, ~judged)  # [D, S]
    credit = right / np.maximum(right.sum(axis=0), 1)  # [D, S]: 1 / (judges right) where right
    d = len(judged)
    sensitivity, specificity = credit[:, genuine].mean(axis=1), credit[:, ~genuine].mean(axis=1)
    if geometric:
        return d * np.sqrt(sensitivity * specificity)
    return d * (sensitivity + specificity) / 2


def _samples_per_model(owner: np.ndarray, n_models: int) -> tuple[np.ndarray, np.ndarray]:
    """The models' samples (owner >= 0) [S] and how many each model has [n_models]; every
    model must have one."""
    mine = owner >= 0
    counts = np.bincount(owner[mine], minlength=n_models)
    if (counts == 0).any():
        raise ValueError(f"models without samples: {np.flatnonzero(counts == 0)[:10].tolist()}")
    return mine, counts


def model_fitness(judged: np.ndarray, owner: np.ndarray, n_models: int) -> np.ndarray:
    """Fraction of judgements of each model's samples that said 'genuine': [M].

    With one sample per model this is the fraction of discriminators fooled; with several
    (trials or replicas) it is averaged over them. Genuine samples (owner -1) are ignored.
    """
    owner = np.asarray(owner)
    mine, counts = _samples_per_model(owner, n_models)
    fooled = np.bincount(owner[mine], weights=judged[:, mine].sum(axis=0), minlength=n_models)
    return fooled / (counts * judged.shape[0])


def judges_per_model(verdicts: np.ndarray, owner: np.ndarray, n_models: int) -> np.ndarray:
    """Each judge's mean verdict on each model's samples: [J, n_models] (its mean over judges is
    :func:`model_fitness`)."""
    owner = np.asarray(owner)
    mine, counts = _samples_per_model(owner, n_models)
    one_hot = np.zeros((len(owner), n_models))
    one_hot[np.flatnonzero(mine), owner[mine]] = 1.0
    return (verdicts @ one_hot) / counts


def islands_of(n: int, islands: int) -> np.ndarray:
    """Which island each of ``n`` individuals belongs to: [n], ``n / islands`` in a row each."""
    if n % islands:
        raise ValueError(f"{n} individuals do not split into {islands} equal islands")
    return np.arange(n) // (n // islands)


def island_model_fitness(
    verdicts: np.ndarray, owner: np.ndarray, n_models: int, islands: int, n_current: int
) -> np.ndarray:
    """:func:`model_fitness` with islands (:class:`~turinglearn.core.optimizers.Islands`): a
    model is judged by the current judges of its own island and by every archived judge (rows
    from ``n_current`` on, the hall of fame): [n_models]. verdicts [J, S]; the first
    ``n_current`` rows are the current judges, ``n_current / islands`` to an island."""
    per = judges_per_model(verdicts, owner, n_models)  # [J, M]
    judge = np.concatenate([islands_of(n_current, islands), np.full(len(per) - n_current, -1)])
    mask = (judge[:, None] == islands_of(n_models, islands)[None]) | (judge[:, None] < 0)  # [J, M]
    return (per * mask).sum(axis=0) / mask.sum(axis=0)


def island_discriminator_fitness(
    judged: np.ndarray, genuine: np.ndarray, owner: np.ndarray, n_models: int, islands: int
) -> np.ndarray:
    """:func:`discriminator_fitness` with islands: each judge's specificity counts the samples of
    its own island's models only, its sensitivity every genuine sample: [D]."""
    genuine, owner = np.asarray(genuine, dtype=bool), np.asarray(owner)
    model_island = np.where(owner >= 0, islands_of(n_models, islands)[np.maximum(owner, 0)], -1)
    judge_island = islands_of(len(judged), islands)
    out = np.empty(len(judged))
    for k in range(islands):
        rows, cols = judge_island == k, genuine | (model_island == k)
        out[rows] = discriminator_fitness(judged[rows][:, cols], genuine[cols])
    return out


def matching_fitness(verdicts: np.ndarray, genuine: np.ndarray, owner: np.ndarray, n_models: int, n_population: int) -> np.ndarray:
    """Each model's share in making the population judged like the system: [n_models].

    verdicts [J, S] (votes or outputs); owner [S]: -1 genuine, ``< n_population`` the
    population's samples. Judge ``j`` calls the system's samples genuine at rate ``g_j`` and the
    population's at rate ``a_j``; the population is judged like the system when every
    ``a_j = g_j``, and a model's verdicts move ``sum_j (a_j - g_j)^2`` down in proportion to
    ``sum_j v_j (g_j - a_j)``. That, averaged over the model's samples and divided by ``J``, is
    its fitness: feature matching (Salimans et al., 2016) with the judges' verdicts as the
    features. A verdict of genuine counts for as much as its judge prefers the system to the
    population: nothing from a judge that cannot tell them apart, and against the model from a
    judge that takes the population for genuine more often than the system, the judges that
    votes let the models exploit.
    """
    owner = np.asarray(owner)
    genuine = np.asarray(genuine, dtype=bool)
    population = (owner >= 0) & (owner < n_population)
    weight = verdicts[:, genuine].mean(axis=1) - verdicts[:, population].mean(axis=1)  # [J] g_j - a_j
    per_sample = weight @ verdicts / len(verdicts)  # [S]
    mine, counts = _samples_per_model(owner, n_models)
    return np.bincount(owner[mine], weights=per_sample[mine], minlength=n_models) / counts


def gap_fitness(verdicts: np.ndarray, genuine: np.ndarray, owner: np.ndarray, n_models: int) -> np.ndarray:
    """Minus the mean over judges of the squared gap between how often each judge calls a model
    genuine and how often it calls the system genuine: [n_models], near 0 for a model judged
    like the system (its expectation is then minus the mean variance of the ``g_j``, the same
    for every model; one draw can be above 0).

    verdicts [J, S] (votes or outputs); owner [S]: -1 genuine, else the model behind the sample;
    every model needs two samples at least. Judge ``j`` calls the system's samples genuine at
    rate ``g_j`` (their mean verdict) and model ``m``'s at rate ``p_jm``; the fitness estimates
    ``-mean_j (p_jm - g_j)^2`` without the bias of a few samples: ``p_jm^2`` is estimated by
    the mean product of the verdicts on two different samples of the model, ``p_jm`` by their
    mean. That is unbiased when the samples are independent (different trials); replicas of a
    model in one swarm are not, and their pairs add the covariance of a judge's verdicts within
    the swarm, which differs from model to model. With votes a model gains by being taken for
    genuine as often as possible, also more often than the system itself; here being taken for
    genuine more often than the system costs as much as less often, and a model scores about 0
    only if every judge calls it genuine as often as the system (which a model in a blind spot
    of every judge also does). Settings in fractions of judges fooled (``model_memory_below``,
    an optimiser's threshold) mean less with it.
    """
    owner = np.asarray(owner)
    genuine = np.asarray(genuine, dtype=bool)
    _, counts = _samples_per_model(owner, n_models)
    if counts.min() < 2:
        raise ConfigError(
            f"'gap' needs two samples of each model a generation, got {counts.min()}: run each model "
            "in more trials (learner.trials_per_model = 2; for a swarm, or more replicas: environment.n_replicas), "
            "or use model_fitness = 'votes'",
            "learner.model_fitness",
        )
    g = verdicts[:, genuine].mean(axis=1, keepdims=True)  # [J, 1]
    total = judges_per_model(verdicts, owner, n_models) * counts  # [J, M] sum of the verdicts
    squares = judges_per_model(verdicts * verdicts, owner, n_models) * counts  # [J, M]
    rate = total / counts  # p_jm
    rate_squared = (total * total - squares) / (counts * (counts - 1))  # p_jm^2, from pairs of samples
    return -(rate_squared - 2 * rate * g + g * g).mean(axis=0)


def engagement(judged: np.ndarray, genuine: np.ndarray, owner: np.ndarray, n_current: int, n_models: int) -> dict:
    """Per-generation measures of engagement (both populations still learning from each other).

    judged [J, S]: the current discriminators' rows first (``n_current``), then the hall of
    fame's; owner [S]: -1 genuine, ``< n_models`` the population's samples, the rest recalled
    (archived) models'. Returns (NaN where a part is absent):

    - ``judges_best_vs_models``: the best current discriminator's (sensitivity + specificity)/2
      on genuine samples against the population's only (0.5: cannot tell them apart);
    - ``judges_best_vs_memory``: the same against the recalled models only;
    - ``hall_of_fame_fooled``: the fraction of the hall of fame's judgements of the
      population's samples that said genuine.
    """
    genuine = np.asarray(genuine, dtype=bool)
    owner = np.asarray(owner)
    current = judged[:n_current]
    sensitivity = current[:, genuine].mean(axis=1)

    def best_against(mask: np.ndarray) -> float:
        if not mask.any():
            return float("nan")
        return float(((sensitivity + 1.0 - current[:, mask].mean(axis=1)) / 2).max())

    population = (owner >= 0) & (owner < n_models)
    archive = judged[n_current:]
    return {
        "judges_best_vs_models": best_against(population),
        "judges_best_vs_memory": best_against(owner >= n_models),
        "hall_of_fame_fooled": float(archive[:, population].mean()) if len(archive) else float("nan"),
    }
