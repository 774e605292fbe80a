"""How good is an inferred model? Parameter error against ground truth, and a classifier
two-sample test (C2ST) between genuine trajectories and trajectories of the model."""

from __future__ import annotations

import numpy as np


def abs_error(inferred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Absolute error of every parameter: [d]."""
    return np.abs(np.asarray(inferred, float) - np.asarray(truth, float))


#: the statistics :func:`trajectory_features` gives, in their order
STATISTIC_NAMES = ("mean", "std", "q10", "q50", "q90", "ac", "change", "hi", "lo")


def trajectory_features(x: np.ndarray) -> np.ndarray:
    """Summary statistics of each trajectory, for the classifier: x [S, T, F] -> [S, 9 F].

    Per feature: mean, standard deviation, the 10/50/90 % quantiles, the lag-1 autocorrelation,
    the mean absolute change between steps, and the fractions of steps above +0.5 and below -0.5.
    Grouped by statistic: column ``j`` is statistic ``j // F`` of feature ``j % F``
    (:func:`trajectory_feature_names`).
    """
    mean = x.mean(axis=1)
    std = x.std(axis=1)
    q = quantiles(x, (0.1, 0.5, 0.9))  # [3, S, F]
    xc = x - mean[:, None]
    denom = (xc**2).sum(axis=1)
    ac = np.where(denom > 1e-12, (xc[:, 1:] * xc[:, :-1]).sum(axis=1) / np.maximum(denom, 1e-12), 1.0)
    change = np.abs(np.diff(x, axis=1)).mean(axis=1)
    hi, lo = (x > 0.5).mean(axis=1), (x < -0.5).mean(axis=1)
    return np.concatenate([mean, std, *q, ac, change, hi, lo], axis=1)


def quantiles(x: np.ndarray, qs) -> np.ndarray:
    """``np.quantile(x, qs, axis=1)`` (its default, linear interpolation) for x [S, T, ...]:
    for float64 x the same numbers to the last bit (NaN where a trial has one; of tied zeros
    of both signs a sort may leave the other at an order statistic than numpy's partition), by one sort
    along the steps and the two order statistics around each quantile weighed as numpy weighs
    them, several times faster than ``np.quantile`` along a middle axis
    (benchmarks/speed.py, its ``critic`` line); other dtypes go to ``np.quantile`` itself."""
    x = np.asarray(x)
    if not all(0 <= q <= 1 for q in qs):
        raise ValueError(f"quantiles are in [0, 1], got {tuple(qs)}")
    if x.dtype != np.float64:
        return np.quantile(x, list(qs), axis=1)
    s = np.sort(x, axis=1)  # NaN last
    n = x.shape[1]
    out = np.empty((len(qs), x.shape[0], *x.shape[2:]))
    with np.errstate(invalid="ignore"):  # inf - inf in a trial that has both: NaN, as numpy gives
        for k, q in enumerate(qs):
            at = (n - 1) * np.float64(q)  # numpy's virtual index
            # its neighbours and weight; at or past the last step numpy takes the last value
            # twice, weighed by the distance from index -1
            i, gamma = (n - 1, at + 1) if at >= n - 1 else (int(np.floor(at)), at - np.floor(at))
            a, b = s[:, i], s[:, min(i + 1, n - 1)]
            diff = b - a
            out[k] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    out[:, np.isnan(s[:, -1])] = np.nan
    return out


def trajectory_feature_names(features) -> list[str]:
    """The name of each column of :func:`trajectory_features` for input features named
    ``features``: ``"FEATURE.STATISTIC"``, e.g. ``"linear_speed.q90"``."""
    return [f"{f}.{s}" for s in STATISTIC_NAMES for f in features]


def c2st(
    a: np.ndarray,
    b: np.ndarray,
    seed: int = 0,
    folds: int = 5,
    groups_a: np.ndarray | None = None,
    groups_b: np.ndarray | None = None,
) -> float:
    """Cross-validated accuracy of a fresh classifier telling samples ``a`` from ``b``.

    a: [Sa, T, F], b: [Sb, T, F] trajectories; the larger set is subsampled so both classes are
    equally many, so 0.5 means indistinguishable and 1.0 perfectly separable. The classifier
    (a random forest on :func:`trajectory_features`) is new for every call. groups_a / groups_b:
    [Sa] / [Sb] the trial of each sample, where a genuine and a counterfeit sample of one trial
    share something (a stimulus sequence, a swarm): the folds then keep each trial's samples
    together. Split between folds, a trial's twin in training would be recognised by what they
    share and its label predicted for the other, which reads below 0.5 at the truth (a
    newcomer's moth under random stimuli: 0.38).
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score

    rng = np.random.default_rng(seed)
    n = min(len(a), len(b))
    if n < folds:
        raise ValueError(f"c2st needs at least {folds} samples per class, got {n}")
    pa, pb = rng.permutation(len(a))[:n], rng.permutation(len(b))[:n]
    a, b = a[pa], b[pb]
    features = trajectory_features(np.concatenate([a, b]))
    labels = np.repeat([0, 1], n)
    clf = RandomForestClassifier(n_estimators=100, min_samples_leaf=2, random_state=seed, n_jobs=1)
    if groups_a is None or groups_b is None:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return float(cross_val_score(clf, features, labels, cv=cv, scoring="accuracy").mean())
    groups = np.concatenate([np.asarray(groups_a)[pa], np.asarray(groups_b)[pb]])
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, features, labels, groups=groups, cv=cv, scoring="accuracy").mean())


def model_c2st(
    system,
    theta: np.ndarray,
    rng: np.random.Generator,
    trials: int,
    folds: int = 5,
    noise: float = 0.0,
    schedule=None,
) -> float:
    """C2ST between genuine agents and replicas running ``theta[d]`` in ``trials`` fresh trials
    (a recording gives at most one per individual: ``RecordedSystem.test_trials``; one random
    genuine agent and one random replica per trial, kept in one fold), with Gaussian tracking noise of
    standard deviation ``noise`` added to every feature of both. schedule: what drives both
    sides of an interactive system (``InteractiveSystem.trajectories``); None: the system's default."""
    kw = {} if schedule is None else {"schedule": schedule}
    genuine, fake = system.trajectories(np.asarray(theta, float)[None], rng, trials, **kw)
    genuine, fake = genuine[0], fake[0]  # [t, n_agents, T, F], [t, R, T, F]; a recording: t <= trials
    trial = np.arange(len(genuine))
    col = rng.integers(genuine.shape[1], size=len(genuine))
    g = genuine[trial, col]  # [t, T, F]
    c = fake[:, 0] if fake.shape[1] == 1 else fake[trial, rng.integers(fake.shape[1], size=len(fake))]  # one a trial
    groups = trial
    windows = getattr(system, "test_groups", None)  # a recording's windows: the individual of each
    if windows is not None and len(np.unique(windows[0][trial, col])) >= 2:  # an individual's windows in one fold
        groups = windows[0][trial, col]
        folds = min(folds, len(np.unique(groups)))  # fewer individuals than folds: a fold each
    if noise > 0:
        g = g + rng.normal(0.0, noise, g.shape)
        c = c + rng.normal(0.0, noise, c.shape)
    # a trial's two samples share its stimuli or swarm: one fold, one of each class (with few
    # trials, groups of one genuine and several counterfeits unbalance the folds: 0.45 at the truth)
    return c2st(g, c, int(rng.integers(2**31)), folds, groups, groups)


def c2st_by_schedule(
    system,
    theta: np.ndarray,
    rng: np.random.Generator,
    trials: int,
    folds: int = 5,
    noise: float = 0.0,
    schedules: dict | None = None,
    choice: str = "auto",
) -> tuple[str, dict[str, float]]:
    """The C2ST of ``theta`` under every schedule in ``schedules`` (name -> what drives both
    sides; None for a system without stimuli: one test, named "passive"), run in that order
    from ``rng``; the headline's name: ``choice``, or with ``"auto"`` the schedule under which
    the model is told apart best (a model that matches the system matches it under every
    schedule). Returns (headline, {name: accuracy})."""
    if not schedules:
        return "passive", {"passive": model_c2st(system, theta, rng, trials, folds, noise)}
    values = {
        name: model_c2st(system, theta, rng, trials, folds, noise, schedule=s) for name, s in schedules.items()
    }
    headline = max(values, key=values.get) if choice == "auto" else choice
    if headline not in values:
        raise ValueError(f"schedule {headline!r} does not apply here; applicable: {', '.join(values)}")
    return headline, values
