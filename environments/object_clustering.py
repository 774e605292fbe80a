"""``turinglearn/ObjectClustering-v0``: e-puck-like robots that push movable objects into one cluster.

The second case study of Li, Gauci & Groß (Swarm Intelligence 10(3), 2016), after Gauci, Chen,
Li, Dodd & Groß, "Clustering objects with robots that do not compute" (AAMAS 2014). Robots and
passive circular objects share an unbounded plane. Each robot has one ternary line-of-sight
sensor that reports the type of the *nearest* body whose disc crosses the ray straight ahead
(unlimited range; a nearer robot hides an object behind it and vice versa):

=====  ==========  ==================================================================
state  reading     ground truth ``p*`` (left, right): what it does
=====  ==========  ==================================================================
0      nothing     (0.5, 1.0): forward arc to the left (radius 7.7 cm, 9.6 cm/s)
1      object      (1.0, 0.5): forward arc to the right, the mirror image
2      robot       (0.1, 0.5): turn left almost on the spot (radius 3.8 cm, 3.8 cm/s)
=====  ==========  ==================================================================

The reactive controller is ``p = (v_l0, v_r0, v_l1, v_r1, v_l2, v_r2)`` in ``[-1, 1]^6``
(:class:`turinglearn.families.parametric.ReactiveController` with three states), and the genuine agents run
Gauci et al.'s ``p* = (0.5, 1.0, 1.0, 0.5, 0.1, 0.5)``. Alternating between states 0 and 1
sweeps the ray left and right across the nearest object, so a robot homes in on objects and
pushes them; state 2 turns robots away from each other. The state order (nothing, object,
robot) was settled by simulation (40 arenas of the default settings): with it, ``p*`` gathers
the 10 objects into one cluster (fraction of objects in the largest cluster 0.25 at the
start, 0.95 on average after the default 30 s, 1.00 after 60 s; mean distance of the objects
to their centroid 0.29 m, then 0.13 m, 0.12 m). With the robot and object rows swapped
(nothing, robot, object) robots home in on each other and turn away from objects: the
fraction stays at 0.26, as it does for robots that drive straight or circle blindly.

Physics (see :mod:`turinglearn.environments._swarm`): robots move as in the aggregation
environment (unicycle Euler step of ``DT`` = 0.1 s, e-puck sizes); objects move only when
pushed. After every step all overlaps among robots and objects are resolved to convergence,
each pair's push shared in inverse proportion to mass (:func:`_swarm.resolve_body_overlaps`):
robot-robot and object-object pushes are symmetric, an object of ``object_mass`` = 0.25 robot
masses takes 80% of a robot-object push: a robot that pushes one object moves on with it at
80% of its free speed (as after an inelastic collision), and objects pushed into objects pass
the push on. An individual's features are its normalised linear and angular speed over each
step, collisions and pushing included, as in aggregation; objects are never samples.

This project's own settings (the papers do not fix them), all configurable:

==============  =======  ============================================================
setting         default  meaning
==============  =======  ============================================================
n_agents        5        genuine agents per trial
n_replicas      1        replicas (robots running the model) per trial
n_objects       10       movable objects per trial
steps           300      control steps per trial (30 s at 0.1 s)
init_side       0.8      robots and objects start uniformly in a square of this side
                         (m), headings uniform, overlaps resolved; the plane is
                         unbounded (robots stay with the objects they home in on)
object_radius   0.05     objects' radius (m); robots' is 0.037
object_mass     0.25     objects' mass relative to a robot's
truth           p*       the genuine agents' controller
==============  =======  ============================================================

Why these: a 30 s trial keeps a generation cheap (a batched rollout of 100 trials takes
about 0.25 s on a 2-core machine) and is long enough for ``p*`` to cluster the objects of a
0.8 m square; with ``p*`` the sensor reads nothing / object / robot about 41% / 36% / 23% of
the time, so all six wheel speeds show in a robot's motion. Cluster metrics over recorded
object positions (``rollout(..., record=True).object_pos``, [B, T + 1, M, 2]):
:func:`largest_cluster_fraction` (objects linked when their surfaces are within 2 cm) and
:func:`dispersion`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, check_at_least
from turinglearn.families.parametric import ReactiveController, check_truth

from . import _swarm
from ._base import ConfiguredSim
from ._vector import SwarmVectorEnv
from .aggregation import dispersion  # mean distance to the centroid, pos [..., M, 2] -> [...]

__all__ = [
    "CLUSTER_LINK_GAP",
    "NOTHING",
    "OBJECT",
    "P_STAR",
    "ROBOT",
    "SENSOR_STATES",
    "ClusteringRollout",
    "ClusteringState",
    "ObjectClusteringConfig",
    "ObjectClusteringEnv",
    "ObjectClusteringSim",
    "ObjectClusteringVectorEnv",
    "dispersion",
    "largest_cluster_fraction",
]

#: sensor states (the controller's rows, in this order)
NOTHING, OBJECT, ROBOT = 0, 1, 2
SENSOR_STATES = ("nothing", "object", "robot")

#: Gauci et al. (2014): (v_l0, v_r0) nothing, (v_l1, v_r1) object, (v_l2, v_r2) robot ahead
P_STAR = (0.5, 1.0, 1.0, 0.5, 0.1, 0.5)


@dataclass(frozen=True)
class ObjectClusteringConfig:
    """Settings of the object-clustering environment (see the module docstring)."""

    n_agents: int = 5
    n_replicas: int = 1
    n_objects: int = 10
    steps: int = 300
    init_side: float = 0.8
    object_radius: float = 0.05
    object_mass: float = 0.25
    truth: tuple[float, ...] = field(default=P_STAR)

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, ReactiveController(n_states=3)))
        check_at_least(self, n_agents=1, n_replicas=0, n_objects=0, steps=1)
        if not (self.init_side > 0 and math.isfinite(self.init_side)):
            raise ConfigError(f"must be a positive number of metres, got {self.init_side}", "init_side")
        if not (self.object_radius > 0 and math.isfinite(self.object_radius)):
            raise ConfigError(
                f"must be a positive number of metres, got {self.object_radius}", "object_radius"
            )
        if not (self.object_mass > 0 and math.isfinite(self.object_mass)):
            raise ConfigError(
                f"must be positive (an object's mass relative to a robot's), got {self.object_mass}",
                "object_mass",
            )

    @property
    def n_robots(self) -> int:
        return self.n_agents + self.n_replicas


@dataclass
class ClusteringState:
    """A batch of arenas: robots' pos [B, N, 2] (m) and heading [B, N] (rad), objects' pos [B, M, 2]."""

    pos: np.ndarray
    heading: np.ndarray
    object_pos: np.ndarray


@dataclass
class ClusteringRollout:
    """What a batched rollout returns.

    features: [B, N, T, 2] normalised (linear, angular) speed of every robot at every step;
    when recorded, pos: [B, T + 1, N, 2], heading: [B, T + 1, N], object_pos: [B, T + 1, M, 2]
    (else None).
    """

    features: np.ndarray
    pos: np.ndarray | None = None
    heading: np.ndarray | None = None
    object_pos: np.ndarray | None = None


class ObjectClusteringSim(ConfiguredSim):
    """Batched simulator: ``B`` independent arenas of robots and objects stepped as arrays.

    Robots ``0 .. n_agents - 1`` of every arena are the genuine agents, the rest replicas; each
    robot has its own controller row [6]. Objects are passive bodies, part of the state only.
    """

    model_family = ReactiveController(n_states=3)
    feature_names = ("linear_speed", "angular_speed")
    stimulus_space = None  # passive: nothing acts on the arena from outside

    config_class = ObjectClusteringConfig

    def __init__(self, config: ObjectClusteringConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        n, m = cfg.n_robots, cfg.n_objects
        #: every body's radius and mobility (inverse mass), robots first: [N + M] each
        self.radius = np.concatenate([np.full(n, _swarm.ROBOT_RADIUS), np.full(m, cfg.object_radius)])
        self.mobility = np.concatenate([np.ones(n), np.full(m, 1.0 / cfg.object_mass)])

    def _resolve(self, pos: np.ndarray, object_pos: np.ndarray):
        n = pos.shape[1]
        bodies = _swarm.resolve_body_overlaps(
            np.concatenate([pos, object_pos], axis=1), self.radius, self.mobility
        )
        return bodies[:, :n], bodies[:, n:]

    def reset(self, rng: np.random.Generator, n_episodes: int) -> ClusteringState:
        """Robots and objects uniform in a square of side ``init_side``, headings uniform, overlaps resolved."""
        cfg = self.config
        side = cfg.init_side
        bodies = rng.uniform(-side / 2, side / 2, size=(n_episodes, cfg.n_robots + cfg.n_objects, 2))
        heading = rng.uniform(-np.pi, np.pi, size=(n_episodes, cfg.n_robots))
        pos, object_pos = self._resolve(bodies[:, : cfg.n_robots], bodies[:, cfg.n_robots :])
        return ClusteringState(pos, heading, object_pos)

    def sense(self, state: ClusteringState) -> np.ndarray:
        """Ternary line-of-sight sensor of every robot: [B, N] ints, the type of the nearest body on its ray."""
        n = state.pos.shape[1]
        bodies = np.concatenate([state.pos, state.object_pos], axis=1)  # [B, N + M, 2]
        dist = _swarm.ray_hit_distance(state.pos, state.heading, bodies, self.radius)  # [B, N, N + M]
        nearest = dist.argmin(axis=-1)  # the first body on the ray (robots come first on a tie)   [B, N]
        seen = np.isfinite(dist.min(axis=-1))  # [B, N]
        return np.where(seen, np.where(nearest < n, ROBOT, OBJECT), NOTHING)

    def step(self, state: ClusteringState, wheels: np.ndarray) -> tuple[ClusteringState, np.ndarray]:
        """Move every robot by its normalised wheel speeds [B, N, 2]; returns (state, features [B, N, 2])."""
        wheels = np.clip(wheels, -1.0, 1.0)
        pos, heading = _swarm.move(state.pos, state.heading, wheels)
        pos, object_pos = self._resolve(pos, state.object_pos)
        new = ClusteringState(pos, heading, object_pos)
        return new, _swarm.observe(state.pos, state.heading, pos, heading)

    def rollout(
        self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False
    ) -> ClusteringRollout:
        """Run ``B`` trials; params: [B, N, 6] one controller row per robot."""
        b, n = params.shape[:2]
        if n != self.config.n_robots:
            raise ValueError(f"params has {n} robots per arena; this environment has {self.config.n_robots}")
        return self.rollout_from(self.reset(rng, b), params, record=record)

    def rollout_from(
        self, state: ClusteringState, params: np.ndarray, *, record: bool = False
    ) -> ClusteringRollout:
        t_max = self.config.steps
        b, n = state.heading.shape
        feats = np.empty((b, n, t_max, 2))
        if record:
            m = state.object_pos.shape[1]
            pos_rec = np.empty((b, t_max + 1, n, 2))
            head_rec = np.empty((b, t_max + 1, n))
            obj_rec = np.empty((b, t_max + 1, m, 2))
            pos_rec[:, 0], head_rec[:, 0], obj_rec[:, 0] = state.pos, state.heading, state.object_pos
        for t in range(t_max):
            wheels = self.model_family.act(params, self.sense(state))
            state, feats[:, :, t] = self.step(state, wheels)
            if record:
                pos_rec[:, t + 1], head_rec[:, t + 1], obj_rec[:, t + 1] = (
                    state.pos,
                    state.heading,
                    state.object_pos,
                )
        if record:
            return ClusteringRollout(feats, pos_rec, head_rec, obj_rec)
        return ClusteringRollout(feats)

    def behaviour_metrics(self, theta: np.ndarray, rng: np.random.Generator, trials: int = 50) -> dict:
        """How well a controller clusters objects in fresh arenas where *every* robot runs it,
        against the truth on the same starts: mean final fraction of objects in the largest
        cluster for both, and their ratio (1 = clusters as well as the truth)."""
        state = self.reset(rng, trials)
        final = {}
        for name, p in (("truth", self.truth), ("inferred", np.asarray(theta, float))):
            params = np.broadcast_to(p, (trials, self.config.n_robots, len(p))).copy()
            run = self.rollout_from(state, params, record=True)
            final[name] = float(
                largest_cluster_fraction(run.object_pos[:, -1], self.config.object_radius).mean()
            )
        return {"final_cluster_fraction": final, "cluster_ratio": final["inferred"] / final["truth"]}

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """Controller rows for arenas whose replicas run ``theta[B, 6]``: [B, N, 6]."""
        b = theta.shape[0]
        params = np.empty((b, self.config.n_robots, 6))
        params[:, : self.config.n_agents] = self.truth
        params[:, self.config.n_agents :] = theta[:, None, :]
        return params


# --- cluster metrics --------------------------------------------------------------------------

#: objects whose surfaces are at most this far apart (m) belong to the same cluster
CLUSTER_LINK_GAP = 0.02


def largest_cluster_fraction(
    object_pos: np.ndarray, object_radius: float, link_gap: float = CLUSTER_LINK_GAP
) -> np.ndarray:
    """Fraction of the objects in the largest cluster: object_pos [..., M, 2] -> [...].

    Two objects are linked when their surfaces are at most ``link_gap`` apart (centres at most
    ``2 * object_radius + link_gap``); a cluster is a connected group of linked objects. 1 means
    all objects form one cluster, ``1 / M`` that no two are linked (nan without objects).
    """
    m = object_pos.shape[-2]
    if m == 0:
        return np.full(object_pos.shape[:-2], np.nan)
    d = object_pos[..., :, None, :] - object_pos[..., None, :, :]  # [..., M, M, 2]
    linked = (d**2).sum(-1) <= (2 * object_radius + link_gap) ** 2  # reflexive   [..., M, M]
    reach = linked.astype(float)
    while True:  # transitive closure by repeated squaring: paths of length 1, 2, 4, ...
        wider = (reach @ reach > 0).astype(float)
        if np.array_equal(wider, reach):
            return reach.sum(-1).max(-1) / m
        reach = wider


# --- gymnasium --------------------------------------------------------------------------------


class ObjectClusteringEnv(gym.Env):
    """One arena as a plain gymnasium environment: the agent drives the replicas.

    Observation: the replicas' sensor states (0 nothing, 1 object, 2 robot),
    ``MultiDiscrete([3] * n_replicas)``. Action: the replicas' normalised wheel speeds,
    ``Box(-1, 1, (n_replicas, 2))``. The genuine agents run ``truth``. Reward is 0; the episode is
    truncated after ``steps`` steps. ``info["features"]`` holds every robot's normalised (linear,
    angular) speed over the last step, ``info["genuine"]`` which robots are agents, ``info["pos"]``
    / ``info["heading"]`` / ``info["object_pos"]`` the arena's state.
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, **kwargs):
        self.sim = ObjectClusteringSim(ObjectClusteringConfig(**kwargs))
        cfg = self.sim.config
        if cfg.n_replicas < 1:
            raise ConfigError("the gymnasium environment needs at least one replica to drive", "n_replicas")
        self.observation_space = gym.spaces.MultiDiscrete(np.full(cfg.n_replicas, 3))
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(cfg.n_replicas, 2), dtype=np.float64)
        self._genuine = np.arange(cfg.n_robots) < cfg.n_agents
        self._state: ClusteringState | None = None
        self._t = 0

    def _obs_info(self, features=None):
        sensor = self.sim.sense(self._state)[0]
        info = {
            "pos": self._state.pos[0].copy(),
            "heading": self._state.heading[0].copy(),
            "object_pos": self._state.object_pos[0].copy(),
            "genuine": self._genuine.copy(),
        }
        if features is not None:
            info["features"] = features[0]
        return sensor[~self._genuine].astype(np.int64), info

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.sim.reset(self.np_random, 1)
        self._t = 0
        return self._obs_info()

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        cfg = self.sim.config
        sensor = self.sim.sense(self._state)
        wheels = self.sim.model_family.act(self.sim.swarm_params(np.zeros((1, 6))), sensor)
        wheels[0, cfg.n_agents :] = np.asarray(action, dtype=float).reshape(cfg.n_replicas, 2)
        self._state, features = self.sim.step(self._state, wheels)
        self._t += 1
        obs, info = self._obs_info(features)
        return obs, 0.0, False, self._t >= cfg.steps, info


class ObjectClusteringVectorEnv(SwarmVectorEnv):
    """``num_envs`` arenas stepped together by the batched simulator (``gymnasium.make_vec``).

    Spaces are those of :class:`ObjectClusteringEnv`, batched. All arenas have the same trial
    length, so they truncate together; autoreset is ``NEXT_STEP``: the step after a truncation
    resets every arena and returns the first observation.
    """

    single_env_class = ObjectClusteringEnv
    obs_dtype = np.int64
