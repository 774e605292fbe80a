"""The probes of a swarm simulator (:mod:`turinglearn.app.probes` says what each checks):
``swarm_params``' layout, own rows (each swarm beside others, the replicas, single robots),
determinism, signal, spread and each parameter, exactly or, where a stochastic rollout's draws
depend on the parameter values, in distribution."""

from __future__ import annotations

import numpy as np

from turinglearn.app.probe_statistics import (
    REPLICATES,
    SHARING_PERMUTATIONS,
    SHARING_STEPS,
    SHARING_TRIALS,
    beyond_chance,
    calls_alike,
    distance,
    effect_in_distribution,
    misrouted,
    unchanged,
)
from turinglearn.app.probes import (
    MIN_EFFECT,
    SIGNAL_SWARMS,
    UNSEEDED,
    VALUE_DRAWS,
    call,
    corner_problems,
    corners,
    distant,
    effect,
    float_array,
    fmt_row,
    nondeterministic,
    one_at_a_time,
    outside_space,
    same_features,
    signal_problems,
    spread_warnings,
    unread_warning,
)


def _swarms(sim, problems: list[str], params: np.ndarray, seed: int, drawn: list | None = None):
    """Roll out swarms params [B, N, d] -> features [B, N, T, F]; ``drawn`` (a list) is given
    the generator's state at the end: how far it was drawn."""
    n_feat, steps = len(sim.feature_names), sim.config.steps
    rng = np.random.default_rng(seed)
    r = call(problems, "rollout", sim.rollout, params.copy(), rng)  # its own copy, as the learner's calls get
    if r is None:
        return None
    if drawn is not None:
        drawn.append(rng.bit_generator.state)
    if "features" not in dir(r):
        problems.append("rollout must return an object with .features [B, N, T, F]")
        return None
    b, n = params.shape[:2]
    return float_array(
        problems, f"rollout(params [{b}, {n}, d]).features", r.features, (b, n, steps, n_feat), features=True
    )


#: how many times more than the other rows a set of rows must change, with the replicas alone
#: given a distant model, to be taken for the replicas' rows returned elsewhere (:func:`_robot_order`;
#: the replicas' own rows change 7-5,000 times as much on the built-in swarms and the example)
ORDER_DOMINANCE = 3.0

#: swarms in which the replicas (genuine agents) alone given a moved parameter must all behave as with the
#: truth before they are said not to read it: a parameter that acts only when a sensor fires may not act in one
CONFIRM_SWARMS = 32

_BESIDE = (
    "swarm {b}'s features depend on the other swarms' rows: rollout must simulate swarm b with params[b] only "
    "(a common mistake: one row for every swarm, e.g. params.reshape(-1, d)[0] or params[0])"
)
_COUPLED = (
    "swarm {b}'s features depend on the batch it is run in: in distribution over {n} swarms (twice), swarms of its "
    "rows run one a call (params [1, N, d]) were not those run {n} a call; rollout must simulate swarm b from "
    "params[b] and its own draws only (no centroid, mean or normalisation over the batch's axis 0)"
)
_COUPLED_ROWS = (
    "a swarm's features depend on the other swarms of the batch: in distribution over {n} swarms (twice), swarms of a "
    "distant model beside swarms of the truth were not those beside their own kind; rollout must simulate swarm b from "
    "params[b] and its own draws only (no mean, normalisation or centroid over the batch's axis 0)"
)
_REPLICAS = (
    "the replicas ignore their rows: replicas given a distant model {far} behaved as with the truth; every robot "
    "must run its own row params[b, n] (a common mistake: one row for the whole swarm, e.g. params[:, 0], which "
    "makes the replicas run the truth)"
)
_REPLICA_PARAMETER = (
    "the replicas do not read their own {name} (params[b, n, {i}]): replicas given {value:.3g} behaved as with "
    "the truth's {truth:.3g}, though a whole swarm given it behaved otherwise; every robot must run its own row "
    "(a common mistake: one robot's value for the whole swarm, e.g. params[:, :1, {i}])"
)
_AGENT_PARAMETER = (
    "the genuine agents do not read their own {name} (params[b, n, {i}]): given {value:.3g} they behaved as with "
    "the truth's {truth:.3g}, though a whole swarm given it behaved otherwise; every robot must run its own row (a "
    "common mistake: one robot's value for the whole swarm, e.g. params[:, -1:, {i}], a replica's, which the "
    "genuine agents then run)"
)
_ROBOTS = (
    "robots {still} behaved the same when only their own row changed to a distant model: every robot must run "
    "its own row params[b, n], not another robot's"
)


def _shared_draws(sim, truth: np.ndarray, n: int, seed: int) -> list[str]:
    """Swarms are independent trials: swarms of the truth in one call must be no nearer one
    another than to the swarms of a call under another seed (:func:`alike_within_calls`). A start
    (or noise) drawn once per call and broadcast over the swarms makes them alike within a call,
    and the learner's genuine and counterfeit samples, which come from different calls, are then
    told apart by it."""
    rows = np.broadcast_to(truth, (SHARING_TRIALS, n, len(truth))).copy()

    def run(s: int):  # the swarms [S, T, N, F] of one call
        x = _swarms(sim, [], rows, s)
        return None if x is None else x.swapaxes(1, 2)

    found = calls_alike(run, seed)
    if found == "unseeded":
        return [UNSEEDED.format(unit="swarm", n=SHARING_TRIALS)]
    if found is None:
        return []
    t, observed, between, p = found
    return [
        f"the swarms of one rollout call are alike: {SHARING_TRIALS} swarms of the truth lay nearer one another from "
        f"step {t} on (mean rank distance {observed:.3f}) than to the swarms of a call under another seed "
        f"({between:.3f}; p = {p:.1g} by {SHARING_PERMUTATIONS} random splits). Draw every swarm's start and noise "
        "with the batch's shape (e.g. rng.uniform(size=(B, N, 2))), not once for all swarms: the genuine and "
        "counterfeit samples come from different calls, and a start they do not share tells them apart"
    ]


def _robot_order(moved: np.ndarray, truth: np.ndarray, n_agents: int) -> str | None:
    """The features' rows must be the robots of params' rows: of a swarm whose replicas alone run
    a distant model (features [N, T, F], against the same swarm of the truth, the same draws),
    where the replicas' rows do not change most over the first steps, another set of as many
    rows must not change ``ORDER_DOMINANCE`` times as much as the rest (the replicas' rows
    returned elsewhere: replicas first; where T = N, features [T, N, F] passed as [N, T, F]). A
    replica whose row acts only on the others (a beacon's pull) moves the agents first, and no
    set of rows dominates so."""
    spread = np.maximum(truth.reshape(-1, truth.shape[-1]).std(axis=0), 1e-300)
    change = np.sqrt((((moved - truth) / spread) ** 2).mean(axis=-1))  # [N, T]
    t0 = int(np.flatnonzero(change.max(axis=0) > 0)[0])
    early = change[:, t0 : t0 + SHARING_STEPS].mean(axis=1)  # [N]
    n, t = change.shape
    r = n - n_agents
    if early[n_agents:].mean() >= early[:n_agents].mean():
        return None
    top = np.argsort(early)[::-1][:r]
    rest = np.setdiff1d(np.arange(n), top)
    if early[top].mean() >= ORDER_DOMINANCE * max(early[rest].mean(), 1e-300):
        return (
            f"the features' rows are not the robots of params' rows: with the replicas alone (rows {n_agents} .. "
            f"{n - 1}) given a distant model, rows {sorted(top.tolist())} changed most over the first steps; "
            "rollout must return features [B, N, T, F] with robot n's in row n, as params [B, N, d] has them"
            + (f" (with {t} steps and {n} robots the shape cannot tell [B, T, N, F] from it)" if n == t else "")
        )
    columns = change.mean(axis=0)  # [T]: where T = N, the robots' axis if the features were transposed
    if n == t and columns[n_agents:].mean() >= ORDER_DOMINANCE * max(columns[:n_agents].mean(), 1e-300):
        return (
            "the features look transposed: with the replicas alone given a distant model, the change lay along the "
            "steps' axis where the robots' should be (steps = robots here, so the shape cannot tell); rollout must "
            "return features [B, N, T, F], not [B, T, N, F]"
        )
    return None


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
    # swarms of the distant model beside swarms of the truth are those beside their own kind, twice over
    mixed_far = np.stack([all_truth, all_far])[None].repeat(REPLICATES, 0).reshape(-1, n, d)
    for shift in (30, 31):
        beside_far = _swarms(sim, problems, mixed_far, seed + shift)
        own_far = far_r if shift == 30 else reps(all_far, 32)
        if beside_far is None or own_far is None:
            return problems, []
        if not beyond_chance(distance(beside_far[1::2], own_far)):
            break
    else:
        return [*problems, _COUPLED_ROWS.format(n=REPLICATES)], []
    for shift in (20, 20 + REPLICATES):  # swarms run one a call are those run many a call, twice over
        alone = [_swarms(sim, problems, mixed[b][None], seed + shift + r) for r in range(REPLICATES)]
        if any(a is None for a in alone):
            return problems, []
        many = own_r if shift == 20 else reps(mixed[b], 12)
        if many is None:
            return problems, []
        if not beyond_chance(distance(*(np.concatenate([x, x**2], -1) for x in (np.concatenate(alone), many)))):
            break  # their means and second moments alike
    else:
        return [*problems, _COUPLED.format(b=b, n=REPLICATES)], []
    where = f"over {REPLICATES} swarms each"
    e = effect_in_distribution(truth_r, far_r)
    problems += signal_problems(None, None, truth, far, where, e)
    if problems:
        return problems, []
    replicas = reps(mixed[0])
    if replicas is None:
        return problems, []
    if unchanged(replicas[:, n_agents:], truth_r[:, n_agents:], far_r[:, n_agents:]):
        return [*problems, _REPLICAS.format(far=fmt_row(far))], []
    still = []
    for i, r in enumerate(robots):
        single = own_r if b + i == b else reps(mixed[b + i])
        if single is None:
            return problems, []
        if unchanged(single[:, r], truth_r[:, r], far_r[:, r]):
            still.append(r)
    if still:
        return [*problems, _ROBOTS.format(still=still)], []
    warnings = [VALUE_DRAWS.format(what="rollout", unit="swarm", n=REPLICATES)]
    warnings += spread_warnings(np.concatenate([truth_r, far_r]), sim.feature_names, noise)
    if d == 1:
        return problems, warnings
    names = sim.model_family.names
    for i, row in one_at_a_time(truth, far):
        moved = reps(np.broadcast_to(row, (n, d)), 3)
        replicas = all_truth.copy()
        replicas[n_agents:] = row
        alone = reps(replicas, 4)  # the replicas alone given the moved row
        if moved is None or alone is None:
            return problems, warnings
        agents = all_truth.copy()
        agents[:n_agents] = row
        agent = reps(agents, 5)  # the genuine agents alone given the moved row
        if agent is None:
            return problems, warnings
        e = effect_in_distribution(truth_r, moved)
        warnings += unread_warning(names, i, truth, row, e)
        if (e >= MIN_EFFECT).any() and unchanged(alone[:, n_agents:], truth_r[:, n_agents:], moved[:, n_agents:]):
            problems.append(_REPLICA_PARAMETER.format(name=names[i], i=i, value=row[i], truth=truth[i]))
        elif (e >= MIN_EFFECT).any() and unchanged(agent[:, :n_agents], truth_r[:, :n_agents], moved[:, :n_agents]):
            problems.append(_AGENT_PARAMETER.format(name=names[i], i=i, value=row[i], truth=truth[i]))
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
    sp = call(problems, f"swarm_params(theta [3, {d}])", sim.swarm_params, theta.copy())
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
    ends: list = []  # the generator's state after each run of the seed below: how far it was drawn
    first = _swarms(sim, problems, mixed, seed, ends)
    second = _swarms(sim, problems, mixed, seed) if first is not None else None
    if second is None:
        return problems, []
    if not np.array_equal(first, second):
        return [*problems, nondeterministic(sim)], []
    problems += outside_space(first, sim)
    problems += _shared_draws(sim, truth, n, seed)
    ref = _swarms(
        sim, problems, np.broadcast_to(all_truth, mixed.shape).copy(), seed, ends
    )  # every swarm the truth
    if ref is None:
        return problems, []
    b = 1 + SIGNAL_SWARMS  # robot 0 of a distant model: beside other swarms, then beside copies of itself
    alone = _swarms(sim, problems, np.broadcast_to(mixed[b], mixed.shape).copy(), seed, ends)
    if alone is None:
        return problems, []
    moved = not same_features(first[b], alone[b])  # swarm b beside other swarms unlike beside copies of itself
    if moved:  # a stochastic rollout whose draws depend on the parameter values: compare in distribution
        other = _swarms(sim, [], mixed, seed + 1)
        # the generator drawn as far whatever the rows (first, ref, alone), and the last swarm's rows
        # moving no other swarm (a generator of its own seeded from the one given)? then swarms
        # compare draw for draw
        last = mixed.copy()
        last[-1] = all_truth if not np.array_equal(mixed[-1], all_truth) else mixed[0]
        shifted = _swarms(sim, [], last, seed)
        follow = (
            len(ends) < 3 or any(end != ends[0] for end in ends[1:]) or shifted is None
            or not same_features(shifted[:-1], first[:-1])
        )
        if other is not None and not same_features(first, other) and follow:
            return _swarms_in_distribution(sim, problems, mixed, b, robots, seed, noise)
        problems.append(_BESIDE.format(b=b))
        return problems, []
    whole = slice(1, 1 + SIGNAL_SWARMS)
    if same_features(first[whole], ref[whole]):
        problems.append(
            f"the features do not depend on the parameters: swarms of the truth {fmt_row(truth)} and of a "
            f"distant model {fmt_row(far)} gave the same features; rollout must run robot n of swarm b with "
            "params[b, n]"
        )
        return problems, []
    if same_features(first[0, n_agents:], ref[0, n_agents:]):
        problems.append(_REPLICAS.format(far=fmt_row(far)))
        return problems, []
    if (order := _robot_order(first[0], ref[0], n_agents)) is not None:
        return [*problems, order], []
    still = [
        r for i, r in enumerate(robots)
        if same_features(first[b + i, r], ref[b + i, r]) and _robot_unread(sim, truth, far, r, seed)
    ]  # fmt: skip
    if still:
        problems.append(_ROBOTS.format(still=still))
    if problems:
        return problems, []

    def run(rows: np.ndarray, found: list[str]):  # the replicas at the corners, the genuine agents the truth
        at = np.concatenate([np.broadcast_to(truth, (len(rows), n_agents, d)), np.repeat(rows[:, None], n - n_agents, 1)], 1)
        return _swarms(sim, found, at, seed)

    problems += corner_problems(run, corners(sim.model_family, seed), sim.model_family.names)
    if problems:
        return problems, []
    where = f"in {SIGNAL_SWARMS} swarms each"
    problems += signal_problems(ref[whole], first[whole], truth, far, where)
    warnings = spread_warnings(np.concatenate([ref[whole], first[whole]]), sim.feature_names, noise)
    if problems or d == 1:  # one parameter: the signal probe moved it alone already
        return problems, warnings
    names = sim.model_family.names
    for i, row in one_at_a_time(truth, far):
        moved = mixed.copy()  # the signal's swarms all of the moved row, the rest as before (the same draws)
        moved[whole] = row
        moved[0] = all_truth  # swarm 0: the truth but for the replicas, given the moved row alone
        moved[0, n_agents:] = row
        moved[b] = all_truth  # swarm b: the truth but for the genuine agents, given the moved row alone
        moved[b, :n_agents] = row
        feats = _swarms(sim, problems, moved, seed)
        if feats is None:
            return problems, warnings
        e = effect(ref[whole], feats[whole])
        warnings += unread_warning(names, i, truth, row, e)
        if not (e >= MIN_EFFECT).any():
            continue
        if same_features(feats[0, n_agents:], ref[0, n_agents:]) and _unread_everywhere(sim, truth, row, seed, n_agents, True):
            problems.append(_REPLICA_PARAMETER.format(name=names[i], i=i, value=row[i], truth=truth[i]))
        elif same_features(feats[b, :n_agents], ref[b, :n_agents]) and _unread_everywhere(sim, truth, row, seed, n_agents, False):
            problems.append(_AGENT_PARAMETER.format(name=names[i], i=i, value=row[i], truth=truth[i]))
    return problems, warnings


def _robot_unread(sim, truth: np.ndarray, far: np.ndarray, robot: int, seed: int) -> bool:
    """Whether ``robot`` given the distant model alone behaves as with the truth in each of
    ``CONFIRM_SWARMS`` swarms: in one swarm a robot whose behaviour saturates (a switch held on by
    its drive) may do the same under both models (a statistician's on/off swarm was refused so),
    not one that runs another robot's row."""
    return _unread_in(sim, truth, far, robot, seed)


def _unread_everywhere(sim, truth: np.ndarray, row: np.ndarray, seed: int, n_agents: int, replicas: bool) -> bool:
    """Whether the replicas (or the genuine agents) given ``row`` alone behave as with the truth in
    each of ``CONFIRM_SWARMS`` swarms: one swarm where they did may be one where the parameter
    never came into play (a short-range sensor that never fired), not a robot reading another's
    value."""
    return _unread_in(sim, truth, row, slice(n_agents, None) if replicas else slice(0, n_agents), seed)


def _unread_in(sim, truth: np.ndarray, row: np.ndarray, who, seed: int) -> bool:
    """Whether the robots ``who`` (an index or a slice of a swarm's rows) given ``row`` alone behave
    as with the truth in each of ``CONFIRM_SWARMS`` swarms of the truth (the same draws)."""
    n = sim.config.n_agents + sim.config.n_replicas
    rows = np.broadcast_to(truth, (CONFIRM_SWARMS, n, len(row))).copy()
    ref = _swarms(sim, [], rows.copy(), seed)
    rows[:, who] = row
    feats = _swarms(sim, [], rows, seed)
    return ref is not None and feats is not None and same_features(feats[:, who], ref[:, who])
