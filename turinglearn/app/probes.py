"""Behaviour probes of a user's simulator: does it do what the learner assumes?

:mod:`turinglearn.app.checks` checks the shapes of a simulator's answers; these probes check
what the answers mean, with rollouts a learner would run:

- **own rows**: every trial (interactive) or every robot (swarm) is given its own parameter
  row, some the truth and some a distant model, in a mixed layout, and its features are
  compared with those of a run in which every trial (swarm) has that same row. The features
  of trial ``i`` must depend on row ``i`` only, so a simulator that reads one row for all
  (``params.reshape(-1, d)[0]``) or ignores the parameters fails, with a message that names
  the mistake. The comparison is exact; where it fails for a stochastic step (one whose number
  of draws depends on the parameter values, ``rng.poisson(rate)``, ``rng.vonmises(mu, kappa)``,
  gives every trial its own row yet shifts its neighbours' draws; the generator's state after runs
  of other rows tells such a step from noise of the batch's shape), every check is made again in
  distribution, over ``REPLICATES`` replicates of each trial or swarm
  (:mod:`turinglearn.app.probe_statistics`), with a warning;
- **determinism** under a generator of a fixed seed, and the declared **feature space**;
- **shared noise** (interactive): a stochastic step's randomness must be drawn per trial of
  the whole batch, so 16 interrogators' trials with the same rows and stimuli vary at least
  half as much as the same trials under another seed (noise broadcast over the interrogators,
  wholly or in part, fails this);
- **independent trials**: ``SHARING_TRIALS`` swarms (trials) of the truth in one call must lie
  no nearer one another than to those of a call under another seed (ranks of every cell,
  random splits of the swarms; a start or noise drawn once per call and broadcast over the
  swarms fails this);
- **own batch**: a trial must not move when only the other trials' stimuli change; a batch
  ``(S,)`` with params ``[S, d]`` must give what ``(1, S)`` with ``[1, S, d]`` gives; a swarm
  run one a call must be, in distribution, one run many a call (a pull towards the batch's
  mean, or features normalised over it, fails this; in distribution too, where the draws
  depend on the values);
- **frozen noise** (interactive): trials of one start, row and stimulus that come apart in a
  step must come apart otherwise under another seed (noise from a generator of a constant
  seed fails this); ``params`` and ``stimulus`` are given read-only;
- **stimulus** (a warning, interactive): the stimulus space's two corners must give different
  features somewhere;
- **corners**: models at the corners of the bounds (every corner up to ``CORNERS``, else the
  two extremes and random ones), where the search goes, must give finite features and no
  error (a ``log(rate)`` at ``rate = 0`` ended a run mid-way); the first corner at fault is named;
- **signal**: a distant model must change what is observed, compared run for run with the
  truth (:func:`effect`), so a system whose observations say nothing about the parameters
  is reported before a long run;
- **spread** (a warning): a feature whose standard deviation over the probe (the truth and
  distant models) is below the held-out test's tracking noise (``evaluation.c2st_noise``)
  is swamped by it; one whose values reach beyond ``LARGE`` saturates the networks;
- **each parameter** (a warning): the truth with one parameter alone moved to the distant
  model's value must change what is observed as the signal probe asks of the whole model, so
  a parameter the simulator never reads (or one seen only together with another) is named
  before a long run; in a swarm, moving it in the replicas' rows alone must move the replicas
  too (a problem otherwise: a parameter read from one robot's row for the whole swarm).

Every probe returns ``(problems, warnings)``, lists of sentences. This module holds what the
probes share; :mod:`turinglearn.app.interactive_probes` and :mod:`turinglearn.app.swarm_probes`
run them (and :mod:`turinglearn.app.policy_probes` a policy model's route).
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import feature_space

#: the per-row probe's trials: (interrogators, trials), the trials' rows far, truth, mid, truth
PROBE_SHAPE = (2, 4)
#: interrogators whose trials of one row and stimulus are compared for shared randomness; their
#: spread below SHARED_BELOW of the spread between two seeds is a problem
SHARING_INTERROGATORS = 16
SHARED_BELOW = 0.5
#: swarms of a distant model in the swarm probe, compared with swarms of the truth
SIGNAL_SWARMS = 2
#: a distant model must change some feature by this much of its spread (see :func:`effect`)
MIN_EFFECT = 0.1
#: a feature whose values reach beyond this is warned of: networks saturate on such inputs
LARGE = 100.0
#: the corners of the bounds run by the corners probe: all of them up to this many, else the two
#: extremes and random others
CORNERS = 16


def call(problems: list[str], what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # the user's code: any failure is a finding
        written = isinstance(e, ValueError) and "read-only" in str(e)
        problems.append(
            f"{what} raised {type(e).__name__}: {e}"
            + (": it writes into an array it was given (params, theta, stimulus), which the learner shares with the "
               "population and the truth; compute new arrays instead (np.clip(params, lo, hi), not out=params)"
               if written else "")
        )  # fmt: skip
        return None


def float_array(
    problems: list[str], what: str, value, shape: tuple[int, ...], features: bool = False
) -> np.ndarray | None:
    """``value`` as a float array of ``shape``, or None with the problem recorded; ``features``:
    the last axis holds one value per name of ``feature_names`` (said where only it differs)."""
    try:
        a = np.asarray(value)
    except Exception:  # pragma: no cover - exotic objects
        problems.append(f"{what} returned {type(value).__name__}, not an array")
        return None
    if a.shape != shape:
        why = ""
        if features and a.shape[:-1] == shape[:-1]:
            why = (
                f" (the last axis holds one value per name in feature_names, which has {shape[-1]}: "
                "name every feature the simulator returns, or return only the named ones)"
            )
        elif features and a.size == int(np.prod(shape)):
            why = (
                " (the same number of values, arranged otherwise: keep the batch's axes as they came in, "
                "e.g. reset's shape, and the features last; do not flatten or transpose them)"
            )
        problems.append(f"{what} returned shape {a.shape}; expected {shape}{why}")
        return None
    if a.dtype.kind not in "fiub":
        problems.append(f"{what} returned dtype {a.dtype}; expected a float array")
        return None
    if not np.isfinite(a.astype(float)).all():
        bad = np.argwhere(~np.isfinite(a.astype(float)))
        where = f" (first at index {tuple(int(i) for i in bad[0])} of shape {a.shape}, {len(bad)} values in all)"
        problems.append(
            f"{what} returned NaN or infinite values{where}; a model anywhere in the bounds must give finite "
            "features (narrow the bounds, or guard the arithmetic)"
        )
        return None
    return a.astype(float)


def step_result(problems: list[str], res, signature: str, what: str, shape: tuple[int, ...]):
    """``(state, features)`` of a step's answer ``res``, the features checked as
    :func:`float_array` of ``shape`` (``what`` names them); None with the problem recorded.
    ``signature`` names the call in the message, e.g. ``"step"``."""
    if res is None:
        return None
    if not (isinstance(res, tuple) and len(res) == 2):
        problems.append(f"{signature} must return (state, features), got {type(res).__name__}")
        return None
    state, f = res
    f = float_array(problems, what, f, shape, features=True)
    return None if f is None else (state, f)


def distant(family, truth: np.ndarray, frac: float = 0.8) -> np.ndarray:
    """A model [d] ``frac`` of the way from the truth to the farther bound of every parameter."""
    lo, hi = np.asarray(family.lower, float), np.asarray(family.upper, float)
    bound = np.where(np.abs(hi - truth) >= np.abs(truth - lo), hi, lo)
    return truth + frac * (bound - truth)


def corners(family, seed: int) -> np.ndarray:
    """Models [C, d] at corners of the family's bounds: every corner where there are at most
    :data:`CORNERS`, else all lower, all upper and random others."""
    lo = np.broadcast_to(np.asarray(family.lower, float), (family.n_params,))
    hi = np.broadcast_to(np.asarray(family.upper, float), (family.n_params,))
    d = len(lo)
    if 2**d <= CORNERS:
        upper = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    else:
        upper = np.random.default_rng(seed).integers(0, 2, (CORNERS, d)).astype(bool)
        upper[0], upper[1] = False, True
    return np.where(upper, hi, lo)


def corner_problems(run, rows: np.ndarray, names) -> list[str]:
    """``run(rows [C, d], problems)`` runs models at corners of the bounds and returns their
    features, or None with the problem recorded; the first corner at fault is named."""
    found: list[str] = []
    if run(rows, found) is not None:
        return []
    for row in rows:  # one at a time: which corner
        alone: list[str] = []
        if run(row[None], alone) is None and alone:
            found = alone
            break
    else:
        row = None
    where = (
        "at a corner of the bounds ("
        + ", ".join(f"{n} = {v:.4g}" for n, v in zip(names, row, strict=True))
        + ")"
        if row is not None
        else "at the corners of the bounds"
    )
    said = found[0] if found else "no features"
    fix = "" if "narrow the bounds" in said else "; every model inside the bounds must run (guard the arithmetic, or narrow the bounds)"
    return [f"{where}, where the search may go: {said}{fix}"]


def fmt_row(row: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in row) + "]"


def same_features(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def effect(truth_feats: np.ndarray, far_feats: np.ndarray) -> np.ndarray:
    """How much a model changes what is observed, per feature [F]: the root mean square
    difference between paired runs of the truth and of the model (same generator seed, same
    stimuli, so the same starts and noise), in units of the truth's own spread over steps and
    trials. Both arrays [..., F]; 0: the model is invisible."""
    f = truth_feats.shape[-1]
    diff = np.sqrt(((far_feats - truth_feats) ** 2).reshape(-1, f).mean(axis=0))
    spread = truth_feats.reshape(-1, f).std(axis=0)
    return np.where(diff > 0, diff / np.maximum(spread, 1e-300), 0.0)


def signal_problems(truth_feats, far_feats, truth, far, where: str, e: np.ndarray | None = None) -> list[str]:
    """Paired features [..., F] of the truth and of the distant model ``far`` (or their effect
    ``e`` [F], measured otherwise)."""
    e = effect(truth_feats, far_feats) if e is None else e
    if (e >= MIN_EFFECT).any():
        return []
    return [
        f"no signal: {where}, the truth {fmt_row(truth)} and a distant model {fmt_row(far)} gave features that differ "
        f"by at most {e.max():.2g} of their spread (root mean square over paired runs; at least {MIN_EFFECT:g} "
        "needed): the observations hardly reveal the parameters, so no discriminator can learn to judge them"
    ]


def one_at_a_time(truth: np.ndarray, far: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(i, the truth with parameter i alone moved to ``far[i]``) for every parameter that moves."""
    moved = []
    for i in range(len(truth)):
        row = truth.copy()
        row[i] = far[i]
        if row[i] != truth[i]:
            moved.append((i, row))
    return moved


def unread_warning(names, i: int, truth: np.ndarray, row: np.ndarray, e: np.ndarray) -> list[str]:
    """A warning where moving parameter ``i`` alone (``row``) changed the features by ``e`` [F]
    of their spread, less than :data:`MIN_EFFECT` in every feature; else none."""
    if (e >= MIN_EFFECT).any():
        return []
    return [
        f"{names[i]}: moving it alone from the truth's {truth[i]:.3g} to {row[i]:.3g} (the others at the truth) "
        f"changed the features by at most {e.max():.2g} of their spread (at least {MIN_EFFECT:g} expected): "
        f"either the simulator never reads params[..., {i}], or this parameter shows only together with others; "
        "a parameter the observations do not reveal comes back as a guess"
    ]


def spread_warnings(feats: np.ndarray, names, noise: float) -> list[str]:
    """feats [..., F] of the truth and distant models; a warning per feature whose spread is
    below ``noise``, or whose values are far beyond order 1 (``LARGE``)."""
    flat = feats.reshape(-1, feats.shape[-1])
    std, top = flat.std(axis=0), np.abs(flat).max(axis=0)
    large = [
        f"feature {name!r} reaches {t:.3g} (standard deviation {sd:.3g}) over the probe: the discriminators' "
        "networks saturate on inputs far beyond order 1 and learn little from it; scale it (and its feature_space) "
        "so its values are of order 0.1 to 1"
        for name, sd, t in zip(names, std, top, strict=True)
        if t > LARGE
    ]
    if not noise > 0:
        return large
    return large + [
        f"feature {name!r} has a standard deviation of {s:.3g} over the probe's steps and trials (the truth and distant models), below the "
        f"held-out test's tracking noise (evaluation.c2st_noise = {noise:g}), which will swamp it: scale the "
        "feature so its spread is of order 0.1 to 1, or set evaluation.c2st_noise to the precision at which "
        "you could observe it"
        for name, s in zip(names, std, strict=True)
        if s < noise
    ]


def outside_space(feats: np.ndarray, sim) -> list[str]:
    from turinglearn.errors import ConfigError

    try:
        space = feature_space(sim)
    except ConfigError as e:  # not a Box: a problem in the list, not an error that ends the check
        return [f"feature_space: {e}"]
    if space is None:
        return []
    lo, hi = np.asarray(space.low, float), np.asarray(space.high, float)
    out = (feats < lo) | (feats > hi)
    if not out.any():
        return []
    at = tuple(np.argwhere(out)[0])
    j = at[-1]
    names = sim.feature_names if "feature_names" in dir(sim) else ()
    name = names[j] if j < len(names) else f"feature {j}"
    lo_j, hi_j = np.broadcast_to(lo, feats.shape)[at], np.broadcast_to(hi, feats.shape)[at]
    what = f"{name} reached {feats[at]:.4g}, outside [{lo_j:g}, {hi_j:g}]"
    from turinglearn.environments.gym_wrapper import GymSim

    if isinstance(sim, GymSim) and sim.derived_feature_space:  # GymSim's default, from the environment's own space
        return [
            f"features leave the feature_space GymSim derived from {sim.env_id}'s observation_space (each observation "
            f"divided by its largest bound, so within [-1, 1]): {what}; the environment's observations leave its own "
            "observation_space: widen it, or give features and feature_names of your own"
        ]
    return [f"features leave the declared feature_space [{lo}, {hi}]: {what}"]


NONDETERMINISTIC = (
    "not deterministic under a fixed seed: two rollouts with generators of the same seed gave different "
    "features (draw randomness only from the rng argument, never from np.random or random; and keep no state "
    "between calls in an attribute or a global: {builder})"
)


#: trials (swarms) of one row that differ within a call, yet not between calls of two seeds
UNSEEDED = (
    "the {unit}s' randomness does not come from the rng argument: {n} {unit}s of the truth differed from one another "
    "in one call, and a call under another seed gave exactly the same {unit}s (a generator of its own seeded with a "
    "constant, np.random.default_rng(0), gives the same draws in every generation and under every seed); draw from "
    "the rng argument"
)


def nondeterministic(sim) -> str:
    """:data:`NONDETERMINISTIC`, in a gymnasium environment's terms for a GymSim (whose episodes
    are seeded from the generator: the environment must draw from ``self.np_random``)."""
    from turinglearn.environments.gym_wrapper import GymSim

    if not isinstance(sim, GymSim):  # a swarm simulator's rollout builds its trials (it has no reset)
        swarm = "reset" not in dir(sim)
        return NONDETERMINISTIC.format(
            builder="rollout builds everything its swarms need" if swarm else "reset builds everything a trial needs"
        )
    return (
        "not deterministic under a fixed seed: two rollouts with generators of the same seed gave different "
        f"features; GymSim seeds every episode of {sim.env_id!r} from that generator, so the environment (and the "
        "policy) must draw only from the environment's self.np_random, which gymnasium seeds where reset calls "
        "super().reset(seed=seed) first, never from np.random, random or a generator of their own"
    )


#: how a report's warning that asks for no change ends: `turinglearn check` lists it, a run does not repeat it
NOTHING_TO_CHANGE = "Nothing to change: the learner needs only the distribution"

VALUE_DRAWS = (
    "{what} is stochastic and its {unit}s differ draw for draw from {unit}s of the same rows run alone, as when "
    "the number of random values drawn depends on the parameter values (rng.poisson(rate), rng.vonmises(mu, "
    "kappa)); so each {unit} was compared with {unit}s of its own rows in distribution, over {n} replicates, "
    "and followed its rows. " + NOTHING_TO_CHANGE
)
