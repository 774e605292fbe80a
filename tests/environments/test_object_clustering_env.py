"""The object-clustering environment: batched physics against the scalar oracle, the ternary
sensor, collisions and pushing, clustering by the ground truth, cluster metric, gymnasium
wrappers and config validation."""

from __future__ import annotations

import math

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from turinglearn.environments import _swarm
from turinglearn.environments.object_clustering import (
    NOTHING,
    OBJECT,
    P_STAR,
    ROBOT,
    ClusteringState,
    ObjectClusteringConfig,
    ObjectClusteringEnv,
    ObjectClusteringSim,
    dispersion,
    largest_cluster_fraction,
)
from turinglearn.environments.reference_clustering import (
    reference_largest_cluster,
    reference_resolve,
    reference_rollout,
    reference_sense,
    reference_step,
)
from turinglearn.errors import ConfigError
from turinglearn.systems.swarm import SwarmSystem

R = _swarm.ROBOT_RADIUS
TOL = _swarm.RESOLVE_TOL


def _state(pos, heading, object_pos) -> ClusteringState:
    object_pos = np.asarray(object_pos, dtype=float).reshape(len(pos), -1, 2)
    return ClusteringState(np.asarray(pos, dtype=float), np.asarray(heading, dtype=float), object_pos)


def _gaps(sim: ObjectClusteringSim, pos, object_pos) -> dict[str, float]:
    """Smallest surface gap (m) of each kind of pair over a batch: pos [..., N, 2], object_pos [..., M, 2]."""
    pos, object_pos = pos.reshape(-1, *pos.shape[-2:]), object_pos.reshape(-1, *object_pos.shape[-2:])
    r_obj = sim.config.object_radius

    def gap(a, b, ra, rb, same):
        d = np.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1)) - (ra + rb)
        if same:
            d[:, np.arange(a.shape[1]), np.arange(a.shape[1])] = np.inf
        return float(d.min()) if d.size else np.inf

    return {
        "robot-robot": gap(pos, pos, R, R, True),
        "robot-object": gap(pos, object_pos, R, r_obj, False),
        "object-object": gap(object_pos, object_pos, r_obj, r_obj, True),
    }


# --- batched vs scalar oracle ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "kwargs"),
    [
        (0, {}),
        (1, {"n_agents": 3, "n_replicas": 2, "n_objects": 12, "init_side": 0.4}),
        (2, {"n_agents": 4, "n_objects": 6, "init_side": 0.3, "object_radius": 0.03, "object_mass": 2.0}),
        (3, {"n_agents": 2, "n_replicas": 1, "n_objects": 0, "init_side": 0.3}),
    ],
)
def test_rollout_matches_scalar_reference(seed, kwargs):
    steps, b = 100, 3
    sim = ObjectClusteringSim(ObjectClusteringConfig(steps=steps, **kwargs))
    cfg = sim.config
    rng = np.random.default_rng(seed)
    state = sim.reset(rng, b)
    params = sim.swarm_params(rng.uniform(-1, 1, size=(b, 6)))
    out = sim.rollout_from(state, params, record=True)
    assert out.features.shape == (b, cfg.n_robots, steps, 2)
    assert out.object_pos.shape == (b, steps + 1, cfg.n_objects, 2)

    readings = set()
    for e in range(b):
        feats, pos, heading, objects = reference_rollout(
            state.pos[e],
            state.heading[e],
            state.object_pos[e],
            params[e],
            steps,
            cfg.object_radius,
            cfg.object_mass,
            record=True,
        )
        np.testing.assert_allclose(out.features[e], feats, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.pos[e], pos, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.heading[e], heading, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.object_pos[e], objects, rtol=0, atol=1e-9)
        for t in range(0, steps, 5):
            readings.update(reference_sense(pos[t].tolist(), heading[t].tolist(), objects[t].tolist(), 0.05))
    if cfg.n_objects:
        assert np.abs(out.object_pos[:, -1] - out.object_pos[:, 0]).max() > 0.02, "objects should be pushed"
        assert readings == {NOTHING, OBJECT, ROBOT}
    else:
        assert OBJECT not in readings


def test_single_step_matches_reference_step():
    sim = ObjectClusteringSim(ObjectClusteringConfig(n_agents=4, n_objects=8, steps=1, init_side=0.3))
    rng = np.random.default_rng(11)
    state = sim.reset(rng, 2)
    params = sim.swarm_params(rng.uniform(-1, 1, size=(2, 6)))
    new, feats = sim.step(state, sim.model_family.act(params, sim.sense(state)))
    for e in range(2):
        pos, heading, objects, ref_feats = reference_step(
            state.pos[e].tolist(),
            state.heading[e].tolist(),
            state.object_pos[e].tolist(),
            params[e].tolist(),
            0.05,
            0.25,
        )
        np.testing.assert_allclose(new.pos[e], pos, rtol=0, atol=1e-12)
        np.testing.assert_allclose(new.heading[e], heading, rtol=0, atol=1e-12)
        np.testing.assert_allclose(new.object_pos[e], objects, rtol=0, atol=1e-12)
        np.testing.assert_allclose(feats[e], ref_feats, rtol=0, atol=1e-12)


# --- sensor ---------------------------------------------------------------------------------


def _seen(robots, headings, objects=(), object_radius=0.05):
    """Sensor of one constructed scene, batched and reference (they must agree)."""
    sim = ObjectClusteringSim(
        n_agents=len(robots), n_replicas=0, n_objects=len(objects), object_radius=object_radius
    )
    batched = sim.sense(_state([robots], [headings], [list(objects)]))[0]
    reference = reference_sense(
        [tuple(p) for p in robots], list(headings), [tuple(o) for o in objects], object_radius
    )
    assert batched.tolist() == reference
    return batched.tolist()


def test_sensor_nothing_object_robot():
    assert _seen([(0, 0)], [0.0]) == [NOTHING]
    assert _seen([(0, 0)], [0.0], [(0.5, 0.0)]) == [OBJECT]
    assert _seen([(0, 0), (0.5, 0)], [0.0, 0.0]) == [ROBOT, NOTHING]  # robot 0 sees 1; 1 looks away
    assert _seen([(0, 0), (0.5, 0)], [0.0, math.pi]) == [ROBOT, ROBOT]  # face to face
    # headings other than 0: robot 0 looks up (+y) at an object, robot 1 down at robot 0
    assert _seen([(0, 0), (0.3, 0.5)], [math.pi / 2, -math.pi / 2], [(0, 0.4)]) == [OBJECT, NOTHING]
    assert _seen([(0, 0), (0, 0.5)], [math.pi / 2, -math.pi / 2]) == [ROBOT, ROBOT]


def test_sensor_nearest_body_decides():
    # robot nearer than the object: the object is hidden, and vice versa
    assert _seen([(0, 0), (0.3, 0)], [0.0, math.pi / 2], [(0.6, 0)])[0] == ROBOT
    assert _seen([(0, 0), (0.6, 0)], [0.0, math.pi / 2], [(0.3, 0)])[0] == OBJECT
    # nearness is where the ray enters a body, not where its centre is: a big object whose
    # centre is farther than a robot's, but whose rim is nearer, is what the sensor reports
    big = 0.2
    assert _seen([(0, 0), (0.3, 0.0)], [0.0, math.pi / 2], [(0.45, 0.0)], big)[0] == OBJECT  # 0.25 < 0.263
    assert _seen([(0, 0), (0.28, 0.0)], [0.0, math.pi / 2], [(0.45, 0.0)], big)[0] == ROBOT  # 0.243 < 0.25
    # a body that the ray only grazes counts from where it is grazed
    assert _seen([(0, 0), (0.5, 0.0)], [0.0, math.pi / 2], [(0.45, 0.05)])[0] == OBJECT
    assert _seen([(0, 0), (0.3, 0.0)], [0.0, math.pi / 2], [(0.45, 0.05)])[0] == ROBOT


def test_sensor_behind_and_aside_not_seen():
    assert _seen([(0, 0)], [0.0], [(-0.3, 0.0)]) == [NOTHING]  # behind
    assert _seen([(0, 0), (-0.3, 0)], [0.0, math.pi / 2]) == [NOTHING, NOTHING]
    assert _seen([(0, 0)], [0.0], [(0.0, 0.2)]) == [NOTHING]  # aside
    assert _seen([(0, 0)], [0.0], [(0.0, 0.04)]) == [NOTHING]  # aside, touching the ray: t = 0
    eps = 1e-9
    assert _seen([(0, 0)], [0.0], [(0.5, 0.05 - eps)]) == [OBJECT]  # edge of the object's disc
    assert _seen([(0, 0)], [0.0], [(0.5, 0.05)]) == [OBJECT]  # exactly on the rim counts
    assert _seen([(0, 0)], [0.0], [(0.5, -(0.05 + eps))]) == [NOTHING]
    assert _seen([(0, 0), (0.5, R + eps)], [0.0, 0.0])[0] == NOTHING  # robots by their own radius
    assert _seen([(0, 0), (0.5, R - eps)], [0.0, 0.0])[0] == ROBOT


def test_sensor_unlimited_range_never_self_and_episodes_independent():
    assert _seen([(0, 0)], [0.0], [(1000.0, 0.0)]) == [OBJECT]
    assert _seen([(0, 0), (-500.0, -500.0)], [-3 * math.pi / 4, 0.0])[0] == ROBOT
    assert _seen([(0.2, -0.1)], [0.7]) == [NOTHING]  # alone: never sees itself
    sim = ObjectClusteringSim(n_agents=1, n_replicas=0, n_objects=1)
    # each robot would see the other episode's object, but only sees its own (in episode 2)
    state = _state(
        [[(0, 0)], [(5, 5)], [(0, 0)]], [[0.0], [0.0], [0.0]], [[(5.5, 5)], [(0.5, 0)], [(0.5, 0)]]
    )
    np.testing.assert_array_equal(sim.sense(state), [[NOTHING], [NOTHING], [OBJECT]])


def test_ray_hit_distance_by_hand():
    # ray from the origin along +x; disc of radius 0.05 centred 0.03 off the ray at x = 0.5:
    # the ray enters it at 0.5 - sqrt(0.05^2 - 0.03^2) = 0.46
    dist = _swarm.ray_hit_distance(
        np.zeros((1, 1, 2)), np.zeros((1, 1)), np.array([[(0.5, 0.03), (0.5, 0.06), (-0.5, 0)]]), 0.05
    )
    np.testing.assert_allclose(dist[0, 0, 0], 0.46, rtol=0, atol=1e-15)
    assert np.isinf(dist[0, 0, 1:]).all()


# --- overlaps and pushing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "kwargs", "truth"),
    [
        (0, {"init_side": 0.25}, P_STAR),  # dense start: 6 robots and 10 objects in a 25 cm square
        (1, {"init_side": 0.3, "n_objects": 15, "object_mass": 1.0}, P_STAR),
        (2, {"init_side": 0.2, "object_radius": 0.02}, None),  # random controllers
    ],
)
def test_no_overlaps_after_every_step(seed, kwargs, truth):
    sim = ObjectClusteringSim(ObjectClusteringConfig(steps=150, **kwargs))
    rng = np.random.default_rng(seed)
    theta = np.tile(sim.truth, (4, 1)) if truth is not None else rng.uniform(-1, 1, (4, 6))
    out = sim.rollout(sim.swarm_params(theta), rng, record=True)
    gaps = _gaps(sim, out.pos, out.object_pos)  # every recorded step, the start included
    assert min(gaps.values()) >= -TOL, gaps
    assert min(gaps.values()) < 1e-4, "bodies should touch somewhere"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_resolve_dense_bodies_matches_reference(seed):
    rng = np.random.default_rng(seed)
    radius = np.array([R] * 5 + [0.05] * 10 + [0.02] * 3)
    mobility = np.array([1.0] * 5 + [4.0] * 10 + [10.0] * 3)
    pos = rng.uniform(-0.12, 0.12, size=(3, len(radius), 2))
    before = pos.copy()
    resolved = _swarm.resolve_body_overlaps(pos, radius, mobility)
    np.testing.assert_array_equal(pos, before)  # input untouched
    assert _swarm.min_surface_gap(pos, radius) < -0.01  # there was much to resolve
    assert _swarm.min_surface_gap(resolved, radius) >= -TOL
    for e in range(3):
        ref = reference_resolve(pos[e].tolist(), radius.tolist(), (1 / mobility).tolist())
        np.testing.assert_allclose(resolved[e], ref, rtol=0, atol=1e-12)


def test_resolve_shares_a_push_by_mass():
    # a robot (mass 1) overlapping an object (mass 0.25) by 1 cm along x: the first pass puts them
    # just touching, the object taking 80% of the push and the robot 20%
    radius, mobility = np.array([R, 0.05]), np.array([1.0, 4.0])
    pos = np.array([[(0.0, 0.0), (R + 0.05 - 0.01, 0.0)]])
    out = _swarm.resolve_body_overlaps(pos, radius, mobility)
    push = 0.01 + TOL
    np.testing.assert_allclose(out[0], [(-0.2 * push, 0.0), (R + 0.04 + 0.8 * push, 0.0)], rtol=0, atol=1e-15)
    # equal masses share equally; separate bodies are left alone; coincident centres split along x
    out = _swarm.resolve_body_overlaps(
        np.array([[(0.0, 0.0), (0.05, 0.0), (1.0, 1.0)]]), [0.05] * 3, [1.0] * 3
    )
    np.testing.assert_allclose(
        out[0], [(-0.025 - TOL / 2, 0.0), (0.075 + TOL / 2, 0.0), (1.0, 1.0)], atol=1e-15
    )
    out = _swarm.resolve_body_overlaps(np.array([[(0.3, 0.3), (0.3, 0.3)]]), [R, 0.05], [1.0, 4.0])
    np.testing.assert_allclose(
        out[0], [(0.3 + 0.2 * (R + 0.05 + TOL), 0.3), (0.3 - 0.8 * (R + 0.05 + TOL), 0.3)]
    )


def test_robot_pushes_an_object_and_slows():
    # a robot driving straight at an object pushes it along; robot and object (a quarter of its
    # mass) move on together at 80% of the robot's free speed, as after an inelastic collision
    sim = ObjectClusteringSim(n_agents=1, n_replicas=0, n_objects=1, steps=30, truth=(1.0,) * 6)
    state = _state([[(0.0, 0.0)]], [[0.0]], [[(R + 0.05 + 0.02, 0.0)]])
    out = sim.rollout_from(state, np.ones((1, 1, 6)), record=True)
    np.testing.assert_allclose(out.features[0, 0, :1], [[1.0, 0.0]], atol=1e-12)  # free
    np.testing.assert_allclose(out.features[0, 0, 3:], np.tile([0.8, 0.0], (27, 1)), atol=1e-5)  # pushing
    np.testing.assert_allclose(
        np.diff(out.object_pos[0, 3:, 0, 0]), 0.8 * _swarm.MAX_WHEEL_SPEED * _swarm.DT, atol=1e-7
    )
    np.testing.assert_allclose(out.object_pos[0, :, 0, 1], 0.0, atol=1e-15)  # straight ahead
    gap = out.object_pos[0, -1, 0, 0] - out.pos[0, -1, 0, 0] - R - 0.05
    assert abs(gap) < 1e-6  # touching


# --- clustering -----------------------------------------------------------------------------


def _cluster_run(truth, seed, steps=400, b=6):
    sim = ObjectClusteringSim(ObjectClusteringConfig(n_replicas=0, steps=steps, truth=truth))
    out = sim.rollout(
        np.broadcast_to(sim.truth, (b, sim.config.n_robots, 6)).copy(),
        np.random.default_rng(seed),
        record=True,
    )
    return largest_cluster_fraction(out.object_pos, sim.config.object_radius), dispersion(out.object_pos), out


@pytest.mark.parametrize("seed", [0, 1])
def test_ground_truth_clusters_objects(seed):
    largest, spread, _ = _cluster_run(P_STAR, seed)
    assert largest[:, 0].mean() < 0.4
    assert largest[:, -1].mean() >= 0.9, largest[:, -1]
    assert (largest[:, -1] >= 0.7).all(), largest[:, -1]
    assert (spread[:, -1] < 0.6 * spread[:, 0]).all()


@pytest.mark.parametrize(
    "truth",
    [
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),  # drive straight: robots leave, objects stay scattered
        (0.5, 1.0, 0.1, 0.5, 1.0, 0.5),  # p* with robot and object swapped: homes in on robots
        (0.5, 1.0, 0.5, 1.0, 0.5, 1.0),  # circle whatever the sensor says
    ],
)
def test_other_controllers_do_not_cluster(truth):
    largest, spread, _ = _cluster_run(truth, seed=0)
    assert largest[:, -1].mean() < largest[:, 0].mean() + 0.1
    assert (spread[:, -1] > 0.9 * spread[:, 0]).all()


def test_ground_truth_visits_every_sensor_state():
    # all six wheel speeds must show in a genuine robot's motion
    sim = ObjectClusteringSim(ObjectClusteringConfig(n_replicas=0, steps=200))
    state = sim.reset(np.random.default_rng(4), 4)
    counts = np.zeros(3)
    params = np.broadcast_to(sim.truth, (4, sim.config.n_robots, 6))
    for _ in range(sim.config.steps):
        sensor = sim.sense(state)
        counts += np.bincount(sensor.ravel(), minlength=3)
        state, _ = sim.step(state, sim.model_family.act(params, sensor))
    assert (counts / counts.sum() > 0.1).all(), counts / counts.sum()


# --- cluster metric -------------------------------------------------------------------------


def test_largest_cluster_fraction_by_hand():
    r = 0.05
    chain = [(0.0, 0.0), (0.1, 0.0), (0.2 + 0.015, 0.0), (1.0, 1.0)]  # 3 linked (gaps 0, 1.5 cm), 1 apart
    assert largest_cluster_fraction(np.array(chain), r) == pytest.approx(0.75)
    assert largest_cluster_fraction(np.array(chain), r, link_gap=0.01) == pytest.approx(0.5)
    spread = np.array([(0, 0), (1, 0), (0, 1), (1, 1)], dtype=float)
    assert largest_cluster_fraction(spread, r) == pytest.approx(0.25)
    # a path that only closes through several links, listed out of order
    path = np.array([(0.4, 0), (0, 0), (0.3, 0), (0.1, 0), (0.2, 0)], dtype=float)
    assert largest_cluster_fraction(path, r) == 1.0
    assert np.isnan(largest_cluster_fraction(np.zeros((2, 0, 2)), r)).all()


def test_largest_cluster_fraction_matches_reference_on_batches():
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 0.6, size=(4, 3, 12, 2))  # [B, T, M, 2]
    got = largest_cluster_fraction(pos, 0.05)
    assert got.shape == (4, 3)
    ref = [[reference_largest_cluster(pos[b, t], 0.05, 0.02) for t in range(3)] for b in range(4)]
    np.testing.assert_array_equal(got, ref)
    assert len(set(got.ravel().tolist())) > 2


# --- the learner's view ---------------------------------------------------------------------


def test_swarm_system_runs_the_simulator():
    sim = ObjectClusteringSim(ObjectClusteringConfig(n_agents=3, n_replicas=1, n_objects=4, steps=10))
    system = SwarmSystem(sim, trials_per_model=2, genuine_per_trial=2)
    batch = system.samples(np.random.default_rng(0).uniform(-1, 1, (5, 6)), np.random.default_rng(1))
    assert batch.x.shape == (5 * 2 * 2 + 5 * 2, 10, 2)
    assert batch.genuine.sum() == 20
    assert sim.model_family.n_params == 6
    assert sim.model_family.names == ("v_l0", "v_r0", "v_l1", "v_r1", "v_l2", "v_r2")


def test_rollout_rejects_wrong_swarm_size():
    sim = ObjectClusteringSim(n_agents=3, n_replicas=1, steps=2)
    with pytest.raises(ValueError, match="robots"):
        sim.rollout(np.zeros((2, 5, 6)), np.random.default_rng(0))


# --- gymnasium ------------------------------------------------------------------------------


def test_gymnasium_make_and_check_env():
    assert "turinglearn/ObjectClustering-v0" in gymnasium.registry
    env = gymnasium.make("turinglearn/ObjectClustering-v0", steps=20)
    assert isinstance(env.unwrapped, ObjectClusteringEnv)
    check_env(env.unwrapped)
    env.close()


def test_gymnasium_spaces_and_info():
    env = gymnasium.make("turinglearn/ObjectClustering-v0", n_agents=4, n_replicas=2, n_objects=7, steps=3)
    assert env.observation_space == gymnasium.spaces.MultiDiscrete([3, 3])
    assert env.action_space.shape == (2, 2)
    assert (env.action_space.low == -1).all() and (env.action_space.high == 1).all()
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space
    assert (
        info["pos"].shape == (6, 2) and info["heading"].shape == (6,) and info["object_pos"].shape == (7, 2)
    )
    np.testing.assert_array_equal(info["genuine"], [True] * 4 + [False] * 2)
    flags = []
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs in env.observation_space and reward == 0.0
        flags.append((terminated, truncated))
    assert info["features"].shape == (6, 2)
    assert flags == [(False, False), (False, False), (False, True)]


def test_gymnasium_env_runs_the_same_physics_as_the_simulator():
    steps = 40
    env = ObjectClusteringEnv(n_agents=4, n_replicas=1, n_objects=6, steps=steps, init_side=0.5)
    obs, info = env.reset(seed=3)
    start = _state([info["pos"]], [info["heading"]], [info["object_pos"]])
    theta = np.array(P_STAR)
    feats = []
    for _ in range(steps):
        s = int(obs[0])
        obs, _, _, _, info = env.step(theta[2 * s : 2 * s + 2].reshape(1, 2))  # drive the replica by p*
        feats.append(info["features"])
    out = env.sim.rollout_from(start, env.sim.swarm_params(theta[None]), record=True)
    np.testing.assert_array_equal(np.stack(feats, axis=1), out.features[0])
    np.testing.assert_array_equal(info["object_pos"], out.object_pos[0, -1])


def test_gymnasium_env_needs_a_replica():
    with pytest.raises(ConfigError) as err:
        ObjectClusteringEnv(n_replicas=0)
    assert err.value.key == "n_replicas"


def test_vector_env_steps_the_batched_simulator():
    envs = gymnasium.make_vec("turinglearn/ObjectClustering-v0", num_envs=3, steps=4)
    obs, info = envs.reset(seed=4)
    _, info2 = envs.reset(seed=4)
    np.testing.assert_array_equal(info["object_pos"], info2["object_pos"])
    assert obs.shape == (3, 1) and envs.observation_space.contains(obs)
    for t in range(4):
        obs, reward, terminated, truncated, info = envs.step(np.tile([[1.0, 0.5]], (3, 1, 1)))
        assert envs.observation_space.contains(obs)
        assert truncated.all() == (t == 3) and not terminated.any() and not reward.any()
    assert info["features"].shape == (3, 6, 2) and info["object_pos"].shape == (3, 10, 2)
    _, _, _, truncated, info = envs.step(np.zeros((3, 1, 2)))  # autoreset
    assert not truncated.any() and "features" not in info
    envs.close()


# --- config validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"n_agents": 0}, "n_agents"),
        ({"n_replicas": -1}, "n_replicas"),
        ({"n_objects": -1}, "n_objects"),
        ({"steps": 0}, "steps"),
        ({"init_side": 0.0}, "init_side"),
        ({"init_side": math.inf}, "init_side"),
        ({"object_radius": -0.05}, "object_radius"),
        ({"object_mass": 0.0}, "object_mass"),
        ({"truth": (0.1, 0.2, 0.3, 0.4)}, "truth"),
        ({"truth": (0.1,) * 7}, "truth"),
        ({"truth": (0.5, 1.0, 1.0, 0.5, 0.1, 1.5)}, "truth"),
        ({"truth": (-1.01, 1.0, 1.0, 0.5, 0.1, 0.5)}, "truth"),
    ],
)
def test_config_rejects_bad_values(kwargs, key):
    with pytest.raises(ConfigError, match=key) as err:
        ObjectClusteringConfig(**kwargs)
    assert err.value.key == key


def test_config_defaults():
    cfg = ObjectClusteringConfig()
    assert (cfg.n_agents, cfg.n_replicas, cfg.n_objects, cfg.steps, cfg.n_robots) == (5, 1, 10, 300, 6)
    assert cfg.truth == P_STAR == (0.5, 1.0, 1.0, 0.5, 0.1, 0.5)
    assert ObjectClusteringConfig(truth=[1, 1, 0, 0, -1, 1]).truth == (1.0, 1.0, 0.0, 0.0, -1.0, 1.0)


def test_behaviour_metrics_compare_clustering_with_the_truth():
    sim = ObjectClusteringSim(steps=300)
    same = sim.behaviour_metrics(sim.truth, np.random.default_rng(0), trials=20)
    assert same["cluster_ratio"] == 1.0 and same["final_cluster_fraction"]["truth"] > 0.8
    straight = sim.behaviour_metrics(np.ones(6), np.random.default_rng(0), trials=20)
    assert straight["cluster_ratio"] < 0.5


def test_object_clustering_summary_reports_the_cluster_ratio():
    import turinglearn

    small = {
        "generations": 2,
        "environment.steps": 20,
        "models.population": 6,
        "models.parents": 3,
        "discriminators.population": 6,
        "discriminators.parents": 3,
        "evaluation.c2st_trials": 10,
    }
    summary = turinglearn.learn("object-clustering", overrides=small).summary()
    assert set(summary["behaviour"]["final_cluster_fraction"]) == {"truth", "inferred"}
    assert summary["behaviour"]["cluster_ratio"] >= 0
