"""The aggregation environment: batched physics against the scalar oracle, sensor, collisions,
features, gymnasium wrapper and config validation."""

from __future__ import annotations

import math

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import turinglearn  # registers the gymnasium environments
from turinglearn.environments import _kernels, _swarm
from turinglearn.environments.aggregation import (
    P_STAR,
    AggregationConfig,
    AggregationEnv,
    AggregationSim,
    SwarmState,
    dispersion,
)
from turinglearn.environments.reference import (
    reference_move,
    reference_resolve,
    reference_rollout,
    reference_sense,
    reference_step,
    reference_wheels,
)
from turinglearn.errors import ConfigError

R = _swarm.ROBOT_RADIUS
MIN_GAP = 2 * R - _swarm.RESOLVE_TOL  # no two centres may be closer than this


def _state(pos, heading) -> SwarmState:
    return SwarmState(np.asarray(pos, dtype=float), np.asarray(heading, dtype=float))


# --- batched vs scalar oracle ---------------------------------------------------------------


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize(
    ("seed", "n_agents", "n_replicas", "init_side"),
    [(0, 10, 1, 1.0), (1, 6, 2, 0.4), (2, 8, 1, 0.5), (3, 4, 3, 0.3)],
)
def test_rollout_matches_scalar_reference(seed, n_agents, n_replicas, init_side, kernels):
    steps, b = 100, 3
    sim = AggregationSim(
        AggregationConfig(
            n_agents=n_agents, n_replicas=n_replicas, steps=steps, init_side=init_side, kernels=kernels
        )
    )
    rng = np.random.default_rng(seed)
    state = sim.reset(rng, b)
    params = sim.swarm_params(rng.uniform(-1, 1, size=(b, 4)))
    out = sim.rollout_from(state, params, record=True)
    assert out.features.shape == (b, sim.config.n_robots, steps, 2)

    collisions = 0
    for e in range(b):
        feats, pos, heading = reference_rollout(state.pos[e], state.heading[e], params[e], steps, record=True)
        np.testing.assert_allclose(out.features[e], feats, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.pos[e], pos, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.heading[e], heading, rtol=0, atol=1e-9)
        collisions += _steps_with_collisions(pos, heading, params[e])
    assert collisions > 0, "the comparison should include collisions"


def _steps_with_collisions(pos, heading, params) -> int:
    """How many steps of a recorded episode moved a robot other than by its wheels."""
    count = 0
    for t in range(len(pos) - 1):
        readings = reference_sense(pos[t].tolist(), heading[t].tolist())
        for i, reading in enumerate(readings):
            left, right = reference_wheels(params[i], reading)
            x, y, _ = reference_move(*pos[t, i], heading[t, i], left, right)
            if abs(x - pos[t + 1, i, 0]) + abs(y - pos[t + 1, i, 1]) > 1e-12:
                count += 1
                break
    return count


def test_single_step_matches_reference_step():
    sim = AggregationSim(AggregationConfig(n_agents=5, n_replicas=1, steps=1, init_side=0.3))
    rng = np.random.default_rng(11)
    state = sim.reset(rng, 2)
    params = sim.swarm_params(rng.uniform(-1, 1, size=(2, 4)))
    wheels = sim.model_family.act(params, sim.sense(state))
    new, feats = sim.step(state, wheels)
    for e in range(2):
        pos, heading, ref_feats = reference_step(
            state.pos[e].tolist(), state.heading[e].tolist(), params[e].tolist()
        )
        np.testing.assert_allclose(new.pos[e], pos, rtol=0, atol=1e-12)
        np.testing.assert_allclose(new.heading[e], heading, rtol=0, atol=1e-12)
        np.testing.assert_allclose(feats[e], ref_feats, rtol=0, atol=1e-12)


# --- sensor ---------------------------------------------------------------------------------


def _seen(pos, heading):
    """Sensor of a single episode, batched and reference (they must agree)."""
    sim = AggregationSim()
    batched = sim.sense(_state([pos], [heading]))[0]
    np.testing.assert_array_equal(batched, reference_sense([tuple(p) for p in pos], list(heading)))
    return batched.tolist()


def test_sensor_sees_robot_ahead_not_behind():
    assert _seen([(0, 0), (0.5, 0)], [0.0, 0.0]) == [1, 0]  # 1 is ahead of 0; 0 is behind 1
    assert _seen([(0, 0), (-0.5, 0)], [0.0, 0.0]) == [0, 1]
    # headings other than 0: robot 0 looks up (+y), robot 1 looks down at it
    assert _seen([(0, 0), (0, 0.3)], [math.pi / 2, -math.pi / 2]) == [1, 1]
    assert _seen([(0, 0), (0, 0.3)], [-math.pi / 2, math.pi / 2]) == [0, 0]


def test_sensor_edge_of_the_body():
    eps = 1e-9
    assert _seen([(0, 0), (0.5, R - eps)], [0.0, 0.0])[0] == 1
    assert _seen([(0, 0), (0.5, -(R - eps))], [0.0, 0.0])[0] == 1
    assert _seen([(0, 0), (0.5, R)], [0.0, 0.0])[0] == 1  # exactly on the rim counts
    assert _seen([(0, 0), (0.5, R + eps)], [0.0, 0.0])[0] == 0
    assert _seen([(0, 0), (0.5, -(R + eps))], [0.0, 0.0])[0] == 0
    # exactly sideways (t = 0) is not ahead, even within the radius
    assert _seen([(0, 0), (0.0, 0.01)], [0.0, 0.0])[0] == 0


def test_sensor_unlimited_range_and_never_self():
    assert _seen([(0, 0), (1000.0, 0.0)], [0.0, 0.0])[0] == 1
    assert _seen([(0, 0), (-1000.0, -1000.0)], [-3 * math.pi / 4, 0.0])[0] == 1
    assert _seen([(0.2, -0.1)], [0.7]) == [0]  # alone: never sees itself


def test_sensor_batch_of_episodes_is_independent():
    pos = np.array(
        [
            [(0, 0), (0.5, 0), (5, 5)],  # 0 sees 1
            [(0, 0), (-0.5, 0), (5, 5)],  # 1 sees 0
            [(0, 0), (0, 0.5), (0.5, 0.5)],  # 0 and 1 see nothing ahead, 2 looks back at 1
        ],
        dtype=float,
    )
    heading = np.array([[0, 0, 0], [0, 0, 0], [0, math.pi / 2, math.pi]], dtype=float)
    got = AggregationSim().sense(_state(pos, heading))
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    for e in range(3):
        assert reference_sense([tuple(p) for p in pos[e]], heading[e].tolist()) == got[e].tolist()
    # a robot of another episode at the same coordinates is never seen
    alone = np.array([[(0, 0), (50, 50)], [(0.5, 0), (60, 60)]], dtype=float)
    np.testing.assert_array_equal(AggregationSim().sense(_state(alone, np.zeros((2, 2)))), [[0, 0], [0, 0]])


# --- overlaps -------------------------------------------------------------------------------


def test_no_overlaps_during_ground_truth_rollout():
    sim = AggregationSim(AggregationConfig(n_agents=10, n_replicas=0, steps=150))
    out = sim.rollout(np.broadcast_to(sim.truth, (4, 10, 4)).copy(), np.random.default_rng(5), record=True)
    gaps = [_swarm.pairwise_min_distance(out.pos[:, t]) for t in range(out.pos.shape[1])]
    assert min(gaps) >= MIN_GAP
    assert min(gaps) < 2 * R + 1e-4  # the cluster is tight: robots touch


@pytest.mark.parametrize(
    "resolve", [_swarm.resolve_overlaps, _kernels.resolve_overlaps], ids=["numpy", "numba"]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_resolve_dense_random_placement(seed, resolve):
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-0.1, 0.1, size=(3, 20, 2))
    before = pos.copy()
    resolved = resolve(pos)
    np.testing.assert_array_equal(pos, before)  # input untouched
    assert _swarm.pairwise_min_distance(pos) < MIN_GAP  # there was something to resolve
    assert _swarm.pairwise_min_distance(resolved) >= MIN_GAP
    for e in range(3):
        np.testing.assert_allclose(resolved[e], reference_resolve(pos[e].tolist()), rtol=0, atol=1e-12)


def test_resolve_leaves_separate_robots_alone():
    pos = np.array([[(0, 0), (2 * R, 0), (0, 1)], [(0, 0), (1, 1), (-1, 1)]], dtype=float)
    np.testing.assert_array_equal(_swarm.resolve_overlaps(pos), pos)


def test_resolve_two_coincident_centres_by_hand():
    # no direction between the centres: robot 0 goes +x, robot 1 -x, each by the usual push
    # RESOLVE_RELAXATION * (2 r - dist + tol) / 2 with dist = 0, which separates them in one pass
    pos = np.array([[(0.3, -0.2), (0.3, -0.2)]])
    push = _swarm.RESOLVE_RELAXATION * (2 * R + _swarm.RESOLVE_TOL) / 2
    expected = np.array([[(0.3 + push, -0.2), (0.3 - push, -0.2)]])
    np.testing.assert_allclose(_swarm.resolve_overlaps(pos), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(reference_resolve(pos[0].tolist()), expected[0], rtol=0, atol=1e-12)
    assert _swarm.pairwise_min_distance(expected) >= MIN_GAP


@pytest.mark.parametrize(
    "resolve", [_swarm.resolve_overlaps, _kernels.resolve_overlaps], ids=["numpy", "numba"]
)
def test_resolve_many_coincident_centres(resolve):
    pos = np.zeros((2, 5, 2))
    pos[1] = 0.5  # all five at (0.5, 0.5)
    pos[1, 4] = (0.5 + 1e-14, 0.5)  # near-coincident too
    out = resolve(pos)
    assert np.isfinite(out).all()
    assert _swarm.pairwise_min_distance(out) >= MIN_GAP
    for e in range(2):
        np.testing.assert_allclose(out[e], reference_resolve(pos[e].tolist()), rtol=0, atol=1e-12)


# --- physics sanity -------------------------------------------------------------------------


def test_ground_truth_aggregates():
    sim = AggregationSim(AggregationConfig(n_agents=10, n_replicas=0, steps=300))
    out = sim.rollout(np.broadcast_to(sim.truth, (4, 10, 4)).copy(), np.random.default_rng(2), record=True)
    start, end = dispersion(out.pos[:, 0]), dispersion(out.pos[:, -1])
    assert (start > 0.25).all()
    assert (end < 0.15).all(), end
    assert (end < 0.5 * start).all()


def test_driving_straight_does_not_aggregate():
    sim = AggregationSim(AggregationConfig(n_agents=10, n_replicas=0, steps=300, truth=(1, 1, 1, 1)))
    out = sim.rollout(np.broadcast_to(sim.truth, (4, 10, 4)).copy(), np.random.default_rng(2), record=True)
    start, end = dispersion(out.pos[:, 0]), dispersion(out.pos[:, -1])
    assert (end > 2 * start).all()


# --- features -------------------------------------------------------------------------------


def _lone_robot(truth, steps=5):
    sim = AggregationSim(AggregationConfig(n_agents=1, n_replicas=0, steps=steps, truth=truth))
    state = _state([[(0.1, 0.2)]], [[0.4]])
    return sim.rollout_from(state, np.asarray(truth, dtype=float).reshape(1, 1, 4), record=True)


def test_features_driving_straight():
    out = _lone_robot((1, 1, 1, 1))
    np.testing.assert_allclose(out.features[0, 0], np.tile([1.0, 0.0], (5, 1)), rtol=0, atol=1e-12)
    step = _swarm.MAX_WHEEL_SPEED * _swarm.DT
    np.testing.assert_allclose(out.pos[0, 1, 0], (0.1 + step * math.cos(0.4), 0.2 + step * math.sin(0.4)))
    out = _lone_robot((-1, -1, -1, -1))
    np.testing.assert_allclose(out.features[0, 0], np.tile([-1.0, 0.0], (5, 1)), rtol=0, atol=1e-12)


def test_features_turning_on_the_spot():
    # left wheel forward, right wheel back: clockwise, so the heading decreases
    out = _lone_robot((1, -1, 1, -1))
    np.testing.assert_allclose(out.features[0, 0], np.tile([0.0, -1.0], (5, 1)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.pos[0, -1, 0], (0.1, 0.2), rtol=0, atol=1e-15)
    turn = 2 * _swarm.MAX_WHEEL_SPEED / _swarm.AXLE * _swarm.DT
    assert out.heading[0, 1, 0] == pytest.approx(0.4 - turn)
    out = _lone_robot((-1, 1, -1, 1), steps=40)  # many turns: wrapped heading, speed still +1
    np.testing.assert_allclose(out.features[0, 0], np.tile([0.0, 1.0], (40, 1)), rtol=0, atol=1e-9)
    assert (np.abs(out.heading) <= math.pi).all()


def test_features_half_speed_arc():
    out = _lone_robot((0.0, 0.5, 0.0, 0.5))  # v = vmax / 4, w = vmax / (2 axle)
    np.testing.assert_allclose(out.features[0, 0], np.tile([0.25, 0.25], (5, 1)), rtol=0, atol=1e-12)


def test_rollout_rejects_wrong_swarm_size():
    sim = AggregationSim(AggregationConfig(n_agents=3, n_replicas=1, steps=2))
    with pytest.raises(ValueError, match="robots"):
        sim.rollout(np.zeros((2, 5, 4)), np.random.default_rng(0))


# --- gymnasium ------------------------------------------------------------------------------


def test_gymnasium_make_and_check_env():
    assert "turinglearn/Aggregation-v0" in gymnasium.registry
    assert turinglearn.__version__
    env = gymnasium.make("turinglearn/Aggregation-v0", steps=20)
    assert isinstance(env.unwrapped, AggregationEnv)
    check_env(env.unwrapped)
    env.close()


def test_gymnasium_spaces():
    env = gymnasium.make("turinglearn/Aggregation-v0", n_agents=4, n_replicas=2, steps=3)
    assert env.observation_space == gymnasium.spaces.MultiBinary(2)
    assert isinstance(env.action_space, gymnasium.spaces.Box)
    assert env.action_space.shape == (2, 2)
    assert (env.action_space.low == -1).all() and (env.action_space.high == 1).all()
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space
    assert info["pos"].shape == (6, 2) and info["heading"].shape == (6,)
    np.testing.assert_array_equal(info["genuine"], [True] * 4 + [False] * 2)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert obs in env.observation_space and reward == 0.0 and not terminated and not truncated
    assert info["features"].shape == (6, 2)


def test_gymnasium_reset_is_reproducible_and_truncates():
    def run(seed):
        env = gymnasium.make("turinglearn/Aggregation-v0", n_agents=5, steps=7)
        obs, info = env.reset(seed=seed)
        trace = [(obs.copy(), info["pos"].copy())]
        flags = []
        for k in range(7):
            obs, _, terminated, truncated, info = env.step(np.full((1, 2), 0.1 * k - 0.3))
            trace.append((obs.copy(), info["pos"].copy()))
            flags.append((terminated, truncated))
        return trace, flags

    a, flags = run(42)
    b, _ = run(42)
    c, _ = run(43)
    for (oa, pa), (ob, pb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(oa, ob)
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[0][1], c[0][1])
    assert flags == [(False, False)] * 6 + [(False, True)]


def test_gymnasium_env_runs_the_same_physics_as_the_simulator():
    steps = 30
    env = AggregationEnv(n_agents=5, n_replicas=1, steps=steps, init_side=0.5)
    obs, info = env.reset(seed=3)
    start = _state([info["pos"]], [info["heading"]])
    theta = np.array(P_STAR)
    feats = []
    for _ in range(steps):
        action = theta[2 * int(obs[0]) : 2 * int(obs[0]) + 2].reshape(1, 2)  # drive the replica by p*
        obs, _, _, _, info = env.step(action)
        feats.append(info["features"])
    sim = env.sim
    out = sim.rollout_from(start, sim.swarm_params(theta[None]), record=True)
    np.testing.assert_array_equal(np.stack(feats, axis=1), out.features[0])
    np.testing.assert_array_equal(info["pos"], out.pos[0, -1])


def test_gymnasium_env_needs_a_replica():
    with pytest.raises(ConfigError) as err:
        AggregationEnv(n_replicas=0)
    assert err.value.key == "n_replicas"


# --- config validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"n_agents": 0}, "n_agents"),
        ({"n_replicas": -1}, "n_replicas"),
        ({"steps": 0}, "steps"),
        ({"init_side": 0.0}, "init_side"),
        ({"truth": (0.1, 0.2, 0.3)}, "truth"),
        ({"truth": (0.1, 0.2, 0.3, 0.4, 0.5)}, "truth"),
        ({"truth": (0.1, 0.2, 1.5, 0.4)}, "truth"),
        ({"truth": (-1.01, 0.2, 0.3, 0.4)}, "truth"),
        ({"kernels": "fortran"}, "kernels"),
    ],
)
def test_config_rejects_bad_values(kwargs, key):
    with pytest.raises(ConfigError, match=key) as err:
        AggregationConfig(**kwargs)
    assert err.value.key == key


def test_config_defaults():
    cfg = AggregationConfig()
    assert (cfg.n_agents, cfg.n_replicas, cfg.steps, cfg.n_robots) == (10, 1, 200, 11)
    assert cfg.truth == P_STAR == (-0.7, -1.0, 1.0, -1.0)
    assert AggregationConfig(truth=[-1, 1, 1, -1]).truth == (-1.0, 1.0, 1.0, -1.0)


def test_vector_env_steps_the_batched_simulator():
    envs = gymnasium.make_vec("turinglearn/Aggregation-v0", num_envs=3, steps=5)
    assert envs.num_envs == 3
    obs, info = envs.reset(seed=4)
    _obs2, info2 = envs.reset(seed=4)
    np.testing.assert_array_equal(info["pos"], info2["pos"])
    assert obs.shape == (3, 1) and envs.observation_space.contains(obs)
    for t in range(5):
        obs, reward, terminated, truncated, info = envs.step(np.tile([[1.0, 1.0]], (3, 1, 1)))
        assert envs.observation_space.contains(obs)
        assert truncated.all() == (t == 4) and not terminated.any()
        assert reward.shape == (3,) and not reward.any()
    assert info["features"].shape == (3, 11, 2)
    obs, _reward, terminated, truncated, info = envs.step(np.zeros((3, 1, 2)))  # autoreset
    assert not truncated.any() and "features" not in info
    envs.close()


# --- the compiled kernel against the numpy path ---------------------------------------------


def _preset_like(kernels: str, steps: int = 100) -> AggregationSim:
    return AggregationSim(AggregationConfig(n_agents=10, n_replicas=4, steps=steps, kernels=kernels))


def test_kernel_rollout_follows_the_numpy_path_and_draws_the_same_numbers():
    fast, slow = _preset_like("numba"), _preset_like("numpy")
    assert fast.compiled and not slow.compiled
    theta = np.random.default_rng(3).uniform(-1, 1, size=(6, 4))
    rng_fast, rng_slow = np.random.default_rng(11), np.random.default_rng(11)
    a = fast.rollout(fast.swarm_params(theta), rng_fast, record=True)
    b = slow.rollout(slow.swarm_params(theta), rng_slow, record=True)
    assert rng_fast.random() == rng_slow.random()  # the same draws, in the same order
    np.testing.assert_array_equal(a.pos[:, 0], b.pos[:, 0])  # the same start, overlaps resolved
    for got, want in [(a.features, b.features), (a.pos, b.pos), (a.heading, b.heading)]:
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    # without recording, the same features
    np.testing.assert_array_equal(
        fast.rollout(fast.swarm_params(theta), np.random.default_rng(11)).features, a.features
    )


def test_kernel_rollout_does_not_depend_on_the_number_of_threads(monkeypatch):
    sim = _preset_like("numba", steps=60)
    params = sim.swarm_params(np.random.default_rng(4).uniform(-1, 1, size=(9, 4)))
    runs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("TURINGLEARN_THREADS", threads)
        runs.append(sim.rollout(params, np.random.default_rng(5), record=True))
    for other in runs[1:]:
        np.testing.assert_array_equal(other.features, runs[0].features)
        np.testing.assert_array_equal(other.pos, runs[0].pos)


def test_numpy_path_runs_where_numba_is_missing(monkeypatch):
    from turinglearn.families import _compiled

    sim = _preset_like("numba", steps=20)
    params = sim.swarm_params(np.zeros((2, 4)))
    monkeypatch.setattr(_compiled, "_HAVE_NUMBA", False)
    assert not sim.compiled
    out = sim.rollout(params, np.random.default_rng(0))
    np.testing.assert_array_equal(
        out.features, _preset_like("numpy", 20).rollout(params, np.random.default_rng(0)).features
    )


def test_subclass_with_its_own_physics_keeps_it():
    class Frozen(AggregationSim):
        def step(self, state, wheels):  # robots never move
            return state, np.zeros((*state.heading.shape, 2))

    sim = Frozen(AggregationConfig(n_agents=3, n_replicas=1, steps=4))
    out = sim.rollout(sim.swarm_params(np.ones((2, 4))), np.random.default_rng(0), record=True)
    assert not out.features.any() and (out.pos == out.pos[:, :1]).all()
