"""The probes of an interactive simulator (:mod:`turinglearn.app.probes` says what each
checks): own rows, determinism, shared noise, signal, spread and each parameter, exactly or,
where a stochastic step's draws depend on the parameter values, in distribution."""

from __future__ import annotations

import numpy as np

from turinglearn.app.probe_statistics import (
    REPLICATES,
    SHARING_TRIALS,
    beyond_chance,
    calls_alike,
    distance,
    effect_in_distribution,
    misrouted,
)
from turinglearn.app.probes import (
    PROBE_SHAPE,
    SHARED_BELOW,
    SHARING_INTERROGATORS,
    UNSEEDED,
    VALUE_DRAWS,
    call,
    corner_problems,
    corners,
    distant,
    effect,
    fmt_row,
    nondeterministic,
    one_at_a_time,
    outside_space,
    same_features,
    signal_problems,
    spread_warnings,
    step_result,
    unread_warning,
)
from turinglearn.core.contracts import frozen


def _agents(sim, problems: list[str], params: np.ndarray, stimuli: np.ndarray, seed: int, drawn: list | None = None):
    """Step agents params [..., d] under stimuli [T, *shape, k] -> features [T, *shape, F];
    ``drawn`` (a list) is given the generator's state at the end: how far it was drawn."""
    shape = stimuli.shape[1:-1]
    n_feat = len(sim.feature_names)
    rng = np.random.default_rng(seed)
    state = call(problems, f"reset(rng, {shape})", sim.reset, rng, shape)
    if state is None:
        return None
    feats = []
    for t, stim in enumerate(stimuli):
        where = f"step at t = {t} (batch {shape}, params [{', '.join(map(str, params.shape))}], stimulus {stim.shape})"
        res = call(problems, where, sim.step, state, frozen(params), frozen(stim), rng)
        res = step_result(problems, res, "step", f"step's features at t = {t}", (*shape, n_feat))
        if res is None:
            return None
        state, f = res
        feats.append(f)
    if drawn is not None:
        drawn.append(rng.bit_generator.state)
    return np.stack(feats)


def _draws_follow_values(sim, runs: list[tuple[np.ndarray, np.ndarray]], ends: list, stimuli: np.ndarray, seed: int) -> bool:
    """Whether how many numbers the step draws depends on the parameter values, so that a
    trial's draws shift with its neighbours' rows: the generator stood elsewhere after the
    batches ``runs`` ((params [1, S, d], features) under one seed, the mixed rows first; their
    generators' end states ``ends``); or (a generator of its own seeded from the one given)
    another row for the last trial alone moves an earlier trial. Where neither (arrays of the
    batch's shape; a generator of each trial's own, as GymSim's episodes have), trials can be
    compared draw for draw, and a trial that differs from a run of its own row is misrouted,
    however noisy the step."""
    if len(ends) < len(runs) or any(end != ends[0] for end in ends[1:]):
        return True  # cannot tell, or drawn further for some rows: compare in distribution
    (mixed, first), (other_rows, _) = runs[0], runs[1]
    moved = mixed.copy()
    moved[..., -1, :] = mixed[..., 0, :] if not np.array_equal(mixed[..., 0, :], mixed[..., -1, :]) else other_rows[..., 0, :]
    for s in (seed, seed + 1, seed + 2):  # under three seeds: a rejection sampler may draw alike in one
        drawn: list = []
        base = first if s == seed else _agents(sim, [], mixed, stimuli, s, drawn)
        shifted = _agents(sim, [], moved, stimuli, s, drawn)
        if base is None or shifted is None or not same_features(shifted[:, :, :-1], base[:, :, :-1]):
            return True
        if len(drawn) == 2 and drawn[0] != drawn[1]:
            return True
    return False


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


#: a trial that is not a run of its own row, nor of another's: it moves with the batch
COUPLED = (
    "trials {trials} moved with the other trials of the batch: in distribution over {n} replicates (twice), "
    "their features were not those of a run in which every trial had their row; a trial's features must depend "
    "on its own row, state, stimulus and draws only (no mean, normalisation or interaction over the batch's axes)"
)


def _coupled(sim, problems, z2, layout, labels, stimuli, seed) -> list[int]:
    """The trials whose replicates lie beyond chance from those of their own row (``z2[j][j]``,
    :func:`_columns_in_distribution`'s) in these draws and again in fresh ones, where no other
    row fits them better (:func:`misrouted` found none): their features follow the batch."""
    far = [j for j in range(len(labels)) if beyond_chance(z2[j][j])]
    if not far:
        return []
    again = _columns_in_distribution(sim, problems, layout, labels, stimuli, seed + 10)
    return [] if again is None else [j for j in far if beyond_chance(again[0][j][j])]


def _stochastic(sim, runs: list[tuple[np.ndarray, np.ndarray]], stimuli: np.ndarray, seed: int) -> bool:
    """Whether the step draws random numbers: one of the batches ``runs`` ((params, features
    under ``seed``)) differs under another seed (rare random events may leave one unchanged)."""
    for params, feats in runs:
        other = _agents(sim, [], params, stimuli, seed + 1)
        if other is not None and not same_features(feats, other):
            return True
    return False




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

    ends: list = []  # the generator's state after each run of the seed below: how far it was drawn
    first = _agents(sim, problems, mixed, stimuli, seed, ends)
    if first is None:
        return problems, []
    second = _agents(sim, problems, mixed, stimuli, seed)
    if second is None:
        return problems, []
    if not np.array_equal(first, second):
        return [*problems, nondeterministic(sim)], []
    problems += outside_space(first, sim)

    refs = {}  # row label -> features [T, D, S, F] of a run where every trial has that row
    for label, row in (("far", far), ("truth", truth), ("mid", mid)):
        refs[label] = _agents(sim, problems, np.broadcast_to(row, mixed.shape).copy(), stimuli, seed, ends)
        if refs[label] is None:
            return problems, []
    labels = ["far", "truth", "mid", "truth"]
    if same_features(refs["far"], refs["truth"]) and same_features(refs["mid"], refs["truth"]):
        problems.append(
            f"the features do not depend on the parameters: trials with the truth {fmt_row(truth)} and with a "
            f"distant model {fmt_row(far)} gave the same features (or the parameters' effect saturates over the box); "
            "step must read params [..., d] "
            f"(params[..., i] is {sim.model_family.names[0]!r} for i = 0, and so on)"
        )
        return problems, []
    bad = [j for j, lab in enumerate(labels) if not same_features(first[:, :, j], refs[lab][:, :, j])]
    # a stochastic step whose draws depend on the parameter values (rng.poisson(rate)) gives
    # every trial its own row, yet no trial equals a run of its row draw for draw
    runs = [(mixed, first), *((np.broadcast_to(row, mixed.shape).copy(), refs[lab]) for lab, row in zip(labels[:3], layout[:3], strict=True))]
    value_draws = (
        bool(bad) and _stochastic(sim, runs, stimuli, seed) and _draws_follow_values(sim, runs, ends, stimuli, seed)
    )
    reps = {}
    if value_draws:  # compare them in distribution
        found = _columns_in_distribution(sim, problems, layout, labels, stimuli, seed)
        if found is None:
            return problems, []
        z2, reps = found
        bad = misrouted(z2, labels)
        if not bad and (coupled := _coupled(sim, problems, z2, layout, labels, stimuli, seed)):
            return [*problems, COUPLED.format(trials=coupled, n=REPLICATES)], []

        def follows(j: int, j0: int) -> bool:
            return not beyond_chance(z2[j][j0])
    else:

        def follows(j: int, j0: int) -> bool:
            return same_features(first[:, :, j], refs[labels[j0]][:, :, j])

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
    problems += _independent_trials(sim, truth, stimuli, seed)
    problems += _frozen_noise(sim, truth, stimuli, seed)
    problems += _one_dimensional_batch(sim, mixed, stimuli, seed)
    if not value_draws:  # draws of the values' count: trials cannot be compared draw for draw
        problems += _own_stimuli(sim, mixed, stimuli, seed, first, ends[0], low, high)
    if problems:
        return problems, []
    rows = corners(sim.model_family, seed)
    on_corners = stim_rng.uniform(low, high, size=(steps, 1, len(rows), k))
    on_corners[0], on_corners[min(1, steps - 1)] = low, high

    def run(r: np.ndarray, found: list[str]):
        return _agents(sim, found, r[None], on_corners[:, :, : len(r)].copy(), seed)

    problems += corner_problems(run, rows, sim.model_family.names)
    if problems:
        return problems, []
    ignored = _stimulus_ignored(sim, mixed, stimuli, seed, low, high)
    where = f"in {PROBE_SHAPE[0] * PROBE_SHAPE[1]} trials under random stimuli"
    if value_draws:  # unpaired runs: their noise would pass for an effect
        where = f"over {REPLICATES} replicates of {PROBE_SHAPE[1]} trials"
        problems += signal_problems(None, None, truth, far, where, effect_in_distribution(reps["truth"], reps["far"]))
    else:
        problems += signal_problems(refs["truth"], refs["far"], truth, far, where)
    warnings = [VALUE_DRAWS.format(what="step", unit="trial", n=REPLICATES)] if value_draws else []
    warnings += ignored
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
    whatever the dynamics: both are the spread of independent draws of one trial), in these draws
    and again in others; spreads as the median gap, squared (heavy tails made variances noise)."""
    shape = (stimuli.shape[0], SHARING_INTERROGATORS, *stimuli.shape[2:])
    same = np.broadcast_to(stimuli[:, :1], shape).copy()  # every interrogator's stimuli the first's
    runs = [_agents(sim, [], mixed, same, s) for s in (seed, seed + 1)]
    if any(r is None for r in runs) or same_features(*runs):  # deterministic: equal trials are right
        return []
    a = runs[0]
    if all(same_features(r[:, 0], r[:, j]) for r in runs for j in range(1, a.shape[1])):  # under both seeds
        # (a rare event's step drew nothing in one call and something in the other)
        return [
            "the trials of different interrogators drew the same random numbers: given the same rows and "
            f"stimuli, the trials of {SHARING_INTERROGATORS} interrogators (batch {shape[1:-1]}) were equal although "
            "the step is stochastic. Draw every random array of the batch's shape (e.g. "
            "rng.normal(size=state.shape)), not of the parameters' shape [1, S], which the learner broadcasts over "
            "the interrogators"
        ]
    # the typical gap between two independent draws of a trial (two seeds), and between two
    # interrogators' draws of it: alike when each draws its own. Medians, not variances: heavy-
    # tailed noise (Cauchy, lognormal) made the variances' ratio noise of its own, and refused
    # correct simulators
    def share(x: np.ndarray, y: np.ndarray) -> float:  # runs of two seeds -> within / between, as variances
        between = float(np.median(np.abs(x - y)))  # [T, D, S, F]
        within = float(np.median(np.abs(np.diff(x, axis=1))))  # neighbouring interrogators' draws of one trial
        return 1.0 if between <= 0 else (within / between) ** 2

    shared = share(*runs)
    if shared < SHARED_BELOW:  # a shared part added to noise of the batch's shape? so again, other draws
        again = [_agents(sim, [], mixed, same, s) for s in (seed + 2, seed + 3)]
        shared = max(shared, 1.0 if any(r is None for r in again) else share(*again))
    if shared < SHARED_BELOW:
        return [
            "the trials of different interrogators share part of their randomness: given the same rows and "
            f"stimuli, {SHARING_INTERROGATORS} interrogators' trials varied {shared:.0%} as much as "
            "the same trials under another seed (about 100 % when each draws its own). Draw every random array "
            "of the batch's shape (e.g. rng.normal(size=state.shape)); a part of the parameters' shape [1, S] "
            "is broadcast over the interrogators and gives them the same luck"
        ]
    return []


def _independent_trials(sim, truth: np.ndarray, stimuli: np.ndarray, seed: int) -> list[str]:
    """Trials are independent: ``SHARING_TRIALS`` trials of the truth in one call (a batch (n,),
    as the held-out tests step them) must be no nearer one another than to those of a call
    under another seed (:func:`alike_within_calls`): a start or noise drawn once a call and
    broadcast over the batch fails this."""
    same = np.broadcast_to(stimuli[:, 0, :1], (stimuli.shape[0], SHARING_TRIALS, stimuli.shape[-1])).copy()
    rows = np.broadcast_to(truth, (SHARING_TRIALS, len(truth))).copy()

    def run(s: int):  # the trials [S, T, F] of one call
        x = _agents(sim, [], rows, same, s)
        return None if x is None else np.moveaxis(x, 1, 0)

    found = calls_alike(run, seed)
    if found == "unseeded":
        return [UNSEEDED.format(unit="trial", n=SHARING_TRIALS)]
    if found is None:
        return []
    t, observed, between, p = found
    return [
        f"the trials of one call are alike: {SHARING_TRIALS} trials of the truth under the same stimuli lay nearer one "
        f"another from step {t} on (mean rank distance {observed:.3f}) than to the trials of a call under another "
        f"seed ({between:.3f}; p = {p:.1g}). Draw every trial's start and noise with the batch's shape (e.g. "
        "rng.uniform(lo, hi, size=shape) in reset), not once for the whole batch: the genuine and counterfeit "
        "samples come from different calls, and a start they do not share tells them apart"
    ]


def _one_dimensional_batch(sim, mixed: np.ndarray, stimuli: np.ndarray, seed: int) -> list[str]:
    """The held-out tests and a recording step batches (n,) with params [n, d]: the trials of
    one interrogator as a batch (S,) must give exactly what they give as a batch (1, S) with
    params [1, S, d] (the same rows, stimuli and draws, in the same order)."""
    one = stimuli[:, :1]  # [T, 1, S, k]
    wide = _agents(sim, [], mixed, one, seed)
    flat = _agents(sim, [], mixed[0], one[:, 0], seed)
    if wide is None or flat is None or same_features(wide[:, 0], flat):
        return []
    s = mixed.shape[1]
    return [
        f"step gave other features for a batch of shape ({s},) with params [{s}, d] than for the same trials as a "
        f"batch (1, {s}) with params [1, {s}, d]; the held-out tests and a recording step batches (n,): index the "
        "trailing axes (params[..., i], stimulus[..., j]), never a fixed leading one (params[0], p[0, ...])"
    ]


def _own_stimuli(sim, mixed, stimuli, seed, first, end, low, high) -> list[str]:
    """Trial (D-1, S-1) keeps its stimuli while every other trial's change: it must not move,
    under three seeds, where the generator ends where it ended with the stimuli unchanged (else
    the draws depend on the stimuli's values, and a trial may move by its neighbours' draws)."""
    other = np.random.default_rng(321).uniform(low, high, size=stimuli.shape)
    other[:, -1, -1] = stimuli[:, -1, -1]
    for s in (seed, seed + 1, seed + 2):
        drawn: list = []
        base = first if s == seed else _agents(sim, [], mixed, stimuli, s, drawn)
        got = _agents(sim, [], mixed, other, s, drawn)
        ends = [end, *drawn] if s == seed else drawn
        if base is None or got is None or len(ends) < 2 or ends[0] != ends[-1]:
            return []
        if same_features(got[:, -1, -1], base[:, -1, -1]):
            return []
    d, k = stimuli.shape[1:3]
    return [
        f"trial ({d - 1}, {k - 1}) moved when only the other trials' stimuli changed: step must give every trial "
        "its own stimulus, stimulus[..., i, :] (a common mistake: one stimulus for all, e.g. stimulus.reshape(-1, "
        "k)[0], or a mean over the batch)"
    ]


def stimulus_changes_nothing(sim, seed: int = 0) -> bool:
    """Whether every trial of ``sim`` under its stimulus space's two corners and random stimuli
    is the same (the same rows and draws), for the truth and for models across the family's box
    (its corners, its centre, a model far from the truth): a system without a stimulus given a
    space to fit the interactive contract (an epidemic in one town), under which every schedule of
    the held-out tests is the same test. A system that ignores the stimulus at its truth alone (a
    gain of 0: does the animal respond at all?) is not: its models may respond."""
    low = np.asarray(sim.stimulus_space.low, float)
    high = np.asarray(sim.stimulus_space.high, float)
    family = sim.model_family
    lower, upper = np.asarray(family.lower, float), np.asarray(family.upper, float)
    truth = sim.truth  # the contract's; None for a simulator of recorded data
    rows = [lower, upper, (lower + upper) / 2]
    if truth is not None:
        rows += [np.asarray(truth, float), distant(family, np.asarray(truth, float))]
    stimuli = np.random.default_rng(123).uniform(low, high, size=(sim.config.steps, *PROBE_SHAPE, len(low)))
    for start in range(0, len(rows), PROBE_SHAPE[1]):  # [1, S, d], as the learner passes them
        chunk = rows[start : start + PROBE_SHAPE[1]]
        mixed = np.stack(chunk + [chunk[-1]] * (PROBE_SHAPE[1] - len(chunk)))[None]
        if not _stimulus_ignored(sim, mixed, stimuli, seed, low, high):
            return False
    return True


#: how the warning of a stimulus that changes nothing begins (not issued for a passive run)
STIMULUS_IGNORED = "the stimulus changes nothing"


def _stimulus_ignored(sim, mixed, stimuli, seed, low, high) -> list[str]:
    """A warning where the stimulus changes nothing: every trial under the space's lower corner,
    its upper corner and random stimuli gives the same features (the same rows and draws; a
    response to u0 - u1, or to u squared, is alike at the two corners alone)."""
    schedules = [np.broadcast_to(c, stimuli.shape).copy() for c in (low, high)] + [stimuli]
    runs = [_agents(sim, [], mixed, x, seed) for x in schedules]
    if any(r is None for r in runs) or not all(same_features(runs[0], r) for r in runs[1:]):
        return []
    return [
        f"{STIMULUS_IGNORED}: trials under the stimulus space's lower corner {fmt_row(low)}, its upper "
        f"corner {fmt_row(high)} and random stimuli gave the same features, so interrogators can learn nothing a "
        "passive observer does not; read stimulus [..., k] in step, or run passively (learner.passive = true; a "
        "system without a stimulus: docs/own-system.md)"
    ]


def _frozen_noise(sim, truth: np.ndarray, stimuli: np.ndarray, seed: int) -> list[str]:
    """A step's randomness comes from its ``rng``: ``SHARING_TRIALS`` trials of one start state
    (reset's first, repeated), row and stimulus that come apart in one step, yet come apart
    alike under a generator of another seed, draw from a generator of their own (one seeded
    with a constant: the same noise in every generation and under every seed)."""
    start = call([], "reset", sim.reset, np.random.default_rng(seed), (1,))
    if not isinstance(start, np.ndarray) or start.ndim < 1 or start.shape[0] != 1:
        return []  # a state that is not an array of the batch's shape: not probed
    state = np.repeat(start, SHARING_TRIALS, axis=0)
    rows = frozen(np.broadcast_to(truth, (SHARING_TRIALS, len(truth))))
    stim = frozen(np.broadcast_to(stimuli[0, 0, 0], (SHARING_TRIALS, stimuli.shape[-1])))
    got = []
    for s in (seed + 1, seed + 2):
        out = call([], "step", sim.step, state.copy(), rows, stim, np.random.default_rng(s))
        if not isinstance(out, tuple) or len(out) != 2:
            return []
        got.append(np.asarray(out[1], float))
    if same_features(got[0], got[0][:1]) or not same_features(got[0], got[1]):
        return []  # equal trials (deterministic), or the generator's draws: right
    return [
        "step's randomness does not come from its rng: trials of one start state, row and stimulus came apart in one "
        "step, and came apart the same under a generator of another seed (a generator of its own seeded with a "
        "constant, np.random.default_rng(0), gives the same noise in every generation and under every seed); draw "
        "from the rng argument"
    ]
