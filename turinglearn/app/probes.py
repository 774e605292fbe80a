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
  gives every trial its own row yet shifts its neighbours' draws), every check is made again in
  distribution, over ``REPLICATES`` replicates of each trial or swarm
  (:func:`_columns_in_distribution`, :func:`_swarms_in_distribution`), with a warning;
- **determinism** under a generator of a fixed seed, and the declared **feature space**;
- **shared noise** (interactive): a stochastic step's randomness must be drawn per trial of
  the whole batch, so 16 interrogators' trials with the same rows and stimuli vary at least
  half as much as the same trials under another seed (noise broadcast over the interrogators,
  wholly or in part, fails this);
- **signal**: a distant model must change what is observed, compared run for run with the
  truth (:func:`effect`), so a system whose observations say nothing about the parameters
  is reported before a long run;
- **spread** (a warning): a feature whose standard deviation over the probe (the truth and
  distant models) is below the held-out test's tracking noise (``evaluation.c2st_noise``)
  is swamped by it; one whose values reach beyond ``LARGE`` saturates the networks;
- **each parameter** (a warning): the truth with one parameter alone moved to the distant
  model's value must change what is observed as the signal probe asks of the whole model, so
  a parameter the simulator never reads (or one seen only together with another) is named
  before a long run.

Every probe returns ``(problems, warnings)``, lists of sentences.
"""

from __future__ import annotations

import numpy as np

from turinglearn.app.probe_statistics import (
    REPLICATES,
    beyond_chance,
    distance,
    effect_in_distribution,
    misrouted,
    unchanged,
)
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


def call(problems: list[str], what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # the user's code: any failure is a finding
        problems.append(f"{what} raised {type(e).__name__}: {e}")
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
        problems.append(f"{what} returned NaN or infinite values")
        return None
    return a.astype(float)


def distant(family, truth: np.ndarray, frac: float = 0.8) -> np.ndarray:
    """A model [d] ``frac`` of the way from the truth to the farther bound of every parameter."""
    lo, hi = np.asarray(family.lower, float), np.asarray(family.upper, float)
    bound = np.where(np.abs(hi - truth) >= np.abs(truth - lo), hi, lo)
    return truth + frac * (bound - truth)


def _fmt(row: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in row) + "]"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
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
        f"no signal: {where}, the truth {_fmt(truth)} and a distant model {_fmt(far)} gave features that differ "
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


def _outside(feats: np.ndarray, sim) -> list[str]:
    space = feature_space(sim)
    if space is None:
        return []
    lo, hi = np.asarray(space.low, float), np.asarray(space.high, float)
    if ((feats < lo) | (feats > hi)).any():
        return [f"features leave the declared feature_space [{lo}, {hi}]"]
    return []


_NONDETERMINISTIC = (
    "not deterministic under a fixed seed: two rollouts with generators of the same seed gave different "
    "features (draw randomness only from the rng argument, never from np.random or random)"
)


# --- interactive simulators -------------------------------------------------------------------


def _agents(sim, problems: list[str], params: np.ndarray, stimuli: np.ndarray, seed: int):
    """Step agents params [..., d] under stimuli [T, *shape, k] -> features [T, *shape, F]."""
    shape = stimuli.shape[1:-1]
    n_feat = len(sim.feature_names)
    rng = np.random.default_rng(seed)
    state = call(problems, f"reset(rng, {shape})", sim.reset, rng, shape)
    if state is None:
        return None
    feats = []
    for t, stim in enumerate(stimuli):
        where = f"step at t = {t} (batch {shape}, params [{', '.join(map(str, params.shape))}], stimulus {stim.shape})"
        res = call(problems, where, sim.step, state, params, stim.copy(), rng)
        if res is None:
            return None
        if not (isinstance(res, tuple) and len(res) == 2):
            problems.append(f"step must return (state, features), got {type(res).__name__}")
            return None
        state, f = res
        f = float_array(problems, f"step's features at t = {t}", f, (*shape, n_feat), features=True)
        if f is None:
            return None
        feats.append(f)
    return np.stack(feats)


def _columns_in_distribution(sim, problems, layout, labels, stimuli, seed):
    """The own-rows probe for a step whose draws depend on the parameter values, where trials
    cannot be compared exactly: ``REPLICATES`` interrogators with the same stimuli replicate every
    trial of the mixed rows, and trial j's replicates are compared with those of a run in which
    every trial has row ``layout[j]``. Returns the cells' distances (:func:`_distance`) of
    trial j from row ``layout[i]`` at [j][i] and the references by label (features [R, T, S, F],
    replicates first), or None on a failure."""
    shape = (stimuli.shape[0], REPLICATES, *stimuli.shape[2:])
    same = np.broadcast_to(stimuli[:, :1], shape).copy()
    mixed = np.stack(layout)[None]
    got = _agents(sim, problems, mixed, same, seed + 1)
    if got is None:
        return None
    refs = {}
    for row, label in zip(layout, labels, strict=True):
        if label not in refs:
            refs[label] = _agents(sim, problems, np.broadcast_to(row, mixed.shape).copy(), same, seed + 2)
            if refs[label] is None:
                return None
    s = len(layout)
    reps = {label: np.moveaxis(r, 1, 0) for label, r in refs.items()}  # [R, T, S, F]
    got = np.moveaxis(got, 1, 0)
    z2 = [[distance(got[:, :, j], reps[labels[i]][:, :, j]) for i in range(s)] for j in range(s)]
    return z2, reps


def _stochastic(sim, runs: list[tuple[np.ndarray, np.ndarray]], stimuli: np.ndarray, seed: int) -> bool:
    """Whether the step draws random numbers: one of the batches ``runs`` ((params, features
    under ``seed``)) differs under another seed (rare random events may leave one unchanged)."""
    for params, feats in runs:
        other = _agents(sim, [], params, stimuli, seed + 1)
        if other is not None and not _same(feats, other):
            return True
    return False


_VALUE_DRAWS = (
    "{what} is stochastic and its {unit}s differ draw for draw from {unit}s of the same rows run alone, as when "
    "the number of random values drawn depends on the parameter values (rng.poisson(rate), rng.vonmises(mu, "
    "kappa)); so each {unit} was compared with {unit}s of its own rows in distribution, over {n} replicates, "
    "and followed its rows. Nothing to change: the learner needs only the distribution"
)


def interactive_probes(sim, low: np.ndarray, high: np.ndarray, seed: int, noise: float):
    """The probes of an interactive simulator with stimulus space [low, high]."""
    problems: list[str] = []
    truth = np.asarray(sim.truth, float)
    far, mid = distant(sim.model_family, truth), distant(sim.model_family, truth, 0.4)
    steps, k = sim.config.steps, len(low)
    stim_rng = np.random.default_rng(123)
    stimuli = stim_rng.uniform(low, high, size=(steps, *PROBE_SHAPE, k))
    stimuli[0], stimuli[min(1, steps - 1)] = low, high  # the corners of the space first
    layout = [far, truth, mid, truth]  # trial j's row; row 0 is not the truth
    mixed = np.stack(layout)[None]  # [1, S, d] as the learner passes them

    first = _agents(sim, problems, mixed, stimuli, seed)
    if first is None:
        return problems, []
    second = _agents(sim, problems, mixed, stimuli, seed)
    if second is None:
        return problems, []
    if not np.array_equal(first, second):
        return [*problems, _NONDETERMINISTIC], []
    problems += _outside(first, sim)

    refs = {}  # row label -> features [T, D, S, F] of a run where every trial has that row
    for label, row in (("far", far), ("truth", truth), ("mid", mid)):
        refs[label] = _agents(sim, problems, np.broadcast_to(row, mixed.shape).copy(), stimuli, seed)
        if refs[label] is None:
            return problems, []
    labels = ["far", "truth", "mid", "truth"]
    if _same(refs["far"], refs["truth"]) and _same(refs["mid"], refs["truth"]):
        problems.append(
            f"the features do not depend on the parameters: trials with the truth {_fmt(truth)} and with a "
            f"distant model {_fmt(far)} gave the same features (or the parameters' effect saturates over the box); "
            "step must read params [..., d] "
            f"(params[..., i] is {sim.model_family.names[0]!r} for i = 0, and so on)"
        )
        return problems, []
    bad = [j for j, lab in enumerate(labels) if not _same(first[:, :, j], refs[lab][:, :, j])]
    # a stochastic step whose draws depend on the parameter values (rng.poisson(rate)) gives
    # every trial its own row, yet no trial equals a run of its row draw for draw
    runs = [(mixed, first), *((np.broadcast_to(row, mixed.shape).copy(), refs[lab]) for lab, row in zip(labels[:3], layout[:3], strict=True))]
    value_draws = bool(bad) and _stochastic(sim, runs, stimuli, seed)
    reps = {}
    if value_draws:  # compare them in distribution
        found = _columns_in_distribution(sim, problems, layout, labels, stimuli, seed)
        if found is None:
            return problems, []
        z2, reps = found
        bad = misrouted(z2, labels)

        def follows(j: int, j0: int) -> bool:
            return not beyond_chance(z2[j][j0])
    else:

        def follows(j: int, j0: int) -> bool:
            return _same(first[:, :, j], refs[labels[j0]][:, :, j])

    if bad:
        one = [j0 for j0 in range(len(labels)) if all(follows(j, j0) for j in range(len(labels)))]
        shape = f"params [1, {PROBE_SHAPE[1]}, d] broadcast against the batch {PROBE_SHAPE}"
        if one:
            problems.append(
                f"every trial followed the parameter row of trial {one[0]}: step must give trial i its own row "
                f"params[..., i, :] ({shape}); reading one row for all, e.g. params.reshape(-1, d)[0], "
                "runs every model as the first"
            )
        else:
            problems.append(
                f"trials {bad} did not follow their own parameter rows: the features of trial i must depend on "
                f"params[..., i, :] only ({shape}; the probe gave the trials the rows far, truth, mid, truth and "
                "compared each with a run in which every trial had its row"
                + (f", in distribution over {REPLICATES} replicates: the step's draws depend on the parameter values)"
                   if value_draws else ")")
            )
        return problems, []

    problems += _shared_noise(sim, mixed, stimuli, seed)
    if problems:
        return problems, []
    where = f"in {PROBE_SHAPE[0] * PROBE_SHAPE[1]} trials under random stimuli"
    if value_draws:  # unpaired runs: their noise would pass for an effect
        where = f"over {REPLICATES} replicates of {PROBE_SHAPE[1]} trials"
        problems += signal_problems(None, None, truth, far, where, effect_in_distribution(reps["truth"], reps["far"]))
    else:
        problems += signal_problems(refs["truth"], refs["far"], truth, far, where)
    warnings = [_VALUE_DRAWS.format(what="step", unit="trial", n=REPLICATES)] if value_draws else []
    warnings += spread_warnings(first, sim.feature_names, noise)
    if problems or len(truth) == 1:  # one parameter: the signal probe moved it alone already
        return problems, warnings
    same = np.broadcast_to(stimuli[:, :1], (stimuli.shape[0], REPLICATES, *stimuli.shape[2:])).copy()
    for i, row in one_at_a_time(truth, far):
        if value_draws:
            moved = _agents(sim, problems, np.broadcast_to(row, mixed.shape).copy(), same, seed + 3)
            e = None if moved is None else effect_in_distribution(reps["truth"], np.moveaxis(moved, 1, 0))
        else:
            moved = _agents(sim, problems, np.broadcast_to(row, mixed.shape).copy(), stimuli, seed)
            e = None if moved is None else effect(refs["truth"], moved)
        if e is None:
            return problems, warnings
        warnings += unread_warning(sim.model_family.names, i, truth, row, e)
    return problems, warnings


def _shared_noise(sim, mixed: np.ndarray, stimuli: np.ndarray, seed: int) -> list[str]:
    """A stochastic step must draw its randomness per trial of the whole batch [D, S]:
    ``SHARING_INTERROGATORS`` interrogators' trials given the same rows and stimuli must vary as
    much as the same trials under another seed. Noise of the parameters' shape ([1, S, ...],
    broadcast over the interrogators) gives every interrogator the same luck for trial ``i``:
    alone, their trials are equal; added to noise of the batch's shape, their spread falls
    below ``SHARED_BELOW`` of the spread between two seeds (about 1 when each draws its own,
    whatever the dynamics: both are the variance of independent draws of one trial)."""
    shape = (stimuli.shape[0], SHARING_INTERROGATORS, *stimuli.shape[2:])
    same = np.broadcast_to(stimuli[:, :1], shape).copy()  # every interrogator's stimuli the first's
    runs = [_agents(sim, [], mixed, same, s) for s in (seed, seed + 1)]
    if any(r is None for r in runs) or _same(*runs):  # deterministic: equal trials are right
        return []
    a = runs[0]
    if all(_same(a[:, 0], a[:, j]) for j in range(1, a.shape[1])):
        return [
            "the trials of different interrogators drew the same random numbers: given the same rows and "
            f"stimuli, the trials of {SHARING_INTERROGATORS} interrogators (batch {shape[1:-1]}) were equal although "
            "the step is stochastic. Draw every random array of the batch's shape (e.g. "
            "rng.normal(size=state.shape)), not of the parameters' shape [1, S], which the learner broadcasts over "
            "the interrogators"
        ]
    between = np.square(runs[0] - runs[1]).sum() / 2  # [T, D, S, F]: independent draws of each trial
    within = a.var(axis=1, ddof=1).sum() * SHARING_INTERROGATORS  # the interrogators' draws of one
    if within < SHARED_BELOW * between:  # a shared part added to noise of the batch's shape
        return [
            "the trials of different interrogators share part of their randomness: given the same rows and "
            f"stimuli, {SHARING_INTERROGATORS} interrogators' trials varied {within / between:.0%} as much as "
            "the same trials under another seed (about 100 % when each draws its own). Draw every random array "
            "of the batch's shape (e.g. rng.normal(size=state.shape)); a part of the parameters' shape [1, S] "
            "is broadcast over the interrogators and gives them the same luck"
        ]
    return []


# --- swarm simulators -------------------------------------------------------------------------


def _swarms(sim, problems: list[str], params: np.ndarray, seed: int):
    """Roll out swarms params [B, N, d] -> features [B, N, T, F]."""
    n_feat, steps = len(sim.feature_names), sim.config.steps
    rng = np.random.default_rng(seed)
    r = call(problems, "rollout", sim.rollout, params, rng)
    if r is None:
        return None
    if "features" not in dir(r):
        problems.append("rollout must return an object with .features [B, N, T, F]")
        return None
    b, n = params.shape[:2]
    return float_array(
        problems, f"rollout(params [{b}, {n}, d]).features", r.features, (b, n, steps, n_feat), features=True
    )


_BESIDE = (
    "swarm {b}'s features depend on the other swarms' rows: rollout must simulate swarm b with params[b] only "
    "(a common mistake: one row for every swarm, e.g. params.reshape(-1, d)[0] or params[0])"
)
_REPLICAS = (
    "the replicas ignore their rows: replicas given a distant model {far} behaved as with the truth; every robot "
    "must run its own row params[b, n] (a common mistake: one row for the whole swarm, e.g. params[:, 0], which "
    "makes the replicas run the truth)"
)
_ROBOTS = (
    "robots {still} behaved the same when only their own row changed to a distant model: every robot must run "
    "its own row params[b, n], not another robot's"
)


def _swarms_in_distribution(sim, problems, mixed: np.ndarray, b: int, robots: list[int], seed: int, noise: float):
    """The swarm probes for a rollout whose draws depend on the parameter values, where swarms
    cannot be compared draw for draw: each check of :func:`swarm_probes` over ``REPLICATES``
    swarms of each row set, compared in distribution (:func:`_distance`)."""
    n, d = mixed.shape[1:]
    n_agents = sim.config.n_agents
    truth = np.asarray(sim.truth, float)
    far = mixed[1, 0]
    all_truth, all_far = np.broadcast_to(truth, (n, d)), np.broadcast_to(far, (n, d))

    def reps(rows: np.ndarray, shift: int = 2):  # rows [N, d] -> features [R, N, T, F]
        return _swarms(sim, problems, np.broadcast_to(rows, (REPLICATES, n, d)).copy(), seed + shift)

    # swarm b beside swarms of the truth (alternating), against swarms all of its rows
    pairs = np.stack([all_truth, mixed[b]])[None].repeat(REPLICATES, 0).reshape(-1, n, d)
    beside = _swarms(sim, problems, pairs, seed + 1)
    truth_r, far_r, own_r = reps(all_truth), reps(all_far), reps(mixed[b])
    if beside is None or truth_r is None or far_r is None or own_r is None:
        return problems, []
    if misrouted([[distance(beside[1::2], own_r), distance(beside[1::2], truth_r)]], ["own", "other"]):
        return [*problems, _BESIDE.format(b=b)], []
    where = f"over {REPLICATES} swarms each"
    e = effect_in_distribution(truth_r, far_r)
    problems += signal_problems(None, None, truth, far, where, e)
    if problems:
        return problems, []
    replicas = reps(mixed[0])
    if replicas is None:
        return problems, []
    if unchanged(replicas[:, n_agents:], truth_r[:, n_agents:], far_r[:, n_agents:]):
        return [*problems, _REPLICAS.format(far=_fmt(far))], []
    still = []
    for i, r in enumerate(robots):
        single = own_r if b + i == b else reps(mixed[b + i])
        if single is None:
            return problems, []
        if unchanged(single[:, r], truth_r[:, r], far_r[:, r]):
            still.append(r)
    if still:
        return [*problems, _ROBOTS.format(still=still)], []
    warnings = [_VALUE_DRAWS.format(what="rollout", unit="swarm", n=REPLICATES)]
    warnings += spread_warnings(np.concatenate([truth_r, far_r]), sim.feature_names, noise)
    if d == 1:
        return problems, warnings
    for i, row in one_at_a_time(truth, far):
        moved = reps(np.broadcast_to(row, (n, d)), 3)
        if moved is None:
            return problems, warnings
        warnings += unread_warning(sim.model_family.names, i, truth, row, effect_in_distribution(truth_r, moved))
    return problems, warnings


def swarm_probes(sim, seed: int, noise: float):
    """The probes of a swarm simulator."""
    problems: list[str] = []
    cfg = sim.config
    n_agents, n = cfg.n_agents, cfg.n_agents + cfg.n_replicas
    truth = np.asarray(sim.truth, float)
    d = len(truth)
    far, mid = distant(sim.model_family, truth), distant(sim.model_family, truth, 0.4)
    theta = np.stack([far, truth, mid])
    sp = call(problems, f"swarm_params(theta [3, {d}])", sim.swarm_params, theta)
    if sp is None:
        return problems, []
    sp = float_array(problems, "swarm_params", sp, (3, n, d))
    if sp is None:
        return problems, []
    want = np.concatenate(
        [np.broadcast_to(truth, (3, n_agents, d)), np.repeat(theta[:, None], n - n_agents, 1)], 1
    )
    if not np.array_equal(sp, want):
        return [
            "swarm_params(theta [B, d]) must give every swarm b the truth in rows 0 .. n_agents - 1 and "
            "theta[b] in the replicas' rows n_agents .. N - 1"
        ], []

    # the mixed batch: replicas of a distant model, swarms all of it (signal), one robot of it each
    robots = sorted({0, n_agents - 1, n_agents, n - 1})
    all_truth = np.broadcast_to(truth, (n, d))
    singles = []
    for r in robots:
        s = all_truth.copy()
        s[r] = far
        singles.append(s)
    mixed = np.stack([sp[0], *[np.broadcast_to(far, (n, d))] * SIGNAL_SWARMS, *singles])  # [B, N, d]
    first = _swarms(sim, problems, mixed, seed)
    second = _swarms(sim, problems, mixed, seed) if first is not None else None
    if second is None:
        return problems, []
    if not np.array_equal(first, second):
        return [*problems, _NONDETERMINISTIC], []
    problems += _outside(first, sim)
    ref = _swarms(
        sim, problems, np.broadcast_to(all_truth, mixed.shape).copy(), seed
    )  # every swarm the truth
    if ref is None:
        return problems, []
    b = 1 + SIGNAL_SWARMS  # robot 0 of a distant model: beside other swarms, then beside copies of itself
    alone = _swarms(sim, problems, np.broadcast_to(mixed[b], mixed.shape).copy(), seed)
    if alone is None:
        return problems, []
    moved = not _same(first[b], alone[b])  # swarm b beside other swarms unlike beside copies of itself
    if moved:  # a stochastic rollout whose draws depend on the parameter values: compare in distribution
        other = _swarms(sim, [], mixed, seed + 1)
        if other is not None and not _same(first, other):
            return _swarms_in_distribution(sim, problems, mixed, b, robots, seed, noise)
        problems.append(_BESIDE.format(b=b))
        return problems, []
    whole = slice(1, 1 + SIGNAL_SWARMS)
    if _same(first[whole], ref[whole]):
        problems.append(
            f"the features do not depend on the parameters: swarms of the truth {_fmt(truth)} and of a "
            f"distant model {_fmt(far)} gave the same features; rollout must run robot n of swarm b with "
            "params[b, n]"
        )
        return problems, []
    if _same(first[0, n_agents:], ref[0, n_agents:]):
        problems.append(_REPLICAS.format(far=_fmt(far)))
        return problems, []
    still = [r for i, r in enumerate(robots) if _same(first[b + i, r], ref[b + i, r])]
    if still:
        problems.append(_ROBOTS.format(still=still))
    if problems:
        return problems, []
    where = f"in {SIGNAL_SWARMS} swarms each"
    problems += signal_problems(ref[whole], first[whole], truth, far, where)
    warnings = spread_warnings(np.concatenate([ref[whole], first[whole]]), sim.feature_names, noise)
    if problems or d == 1:  # one parameter: the signal probe moved it alone already
        return problems, warnings
    for i, row in one_at_a_time(truth, far):
        moved = mixed.copy()  # the signal's swarms all of the moved row, the rest as before (the same draws)
        moved[whole] = row
        feats = _swarms(sim, problems, moved, seed)
        if feats is None:
            return problems, warnings
        warnings += unread_warning(sim.model_family.names, i, truth, row, effect(ref[whole], feats[whole]))
    return problems, warnings
