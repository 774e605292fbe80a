"""``turinglearn/Aggregation-v0``: self-organised aggregation of e-puck-like robots.

The case study of Li, Gauci & Groß (Swarm Intelligence 10(3), 2016), after Gauci et al. (2014).
Each robot has one binary line-of-sight sensor (1 when another robot's body lies on the ray
straight ahead, unlimited range) and a reactive controller
``p = (v_l0, v_r0, v_l1, v_r1)`` in ``[-1, 1]^4``: normalised wheel speeds while the sensor
reads 0 and 1. The genuine agents run the ground truth ``p* = (-0.7, -1.0, 1.0, -1.0)``
(circle backwards while seeing nothing, turn on the spot while seeing a robot), under which
the swarm gathers into one cluster.

A trial puts ``n_agents`` genuine agents and ``n_replicas`` replicas (robots running a model)
in one swarm; physics and observation are shared (see :mod:`turinglearn.environments._swarm`).

This project's own settings (the papers do not fix them), all configurable:

=============  =========  ==========================================================
setting        default    meaning
=============  =========  ==========================================================
n_agents       10         genuine agents per trial
n_replicas     1          replicas (robots running the model) per trial
steps          200        control steps per trial (20 s at 0.1 s)
init_side      1.0        robots start uniformly in a square of this side (m),
                          headings uniform; the plane is unbounded
truth          p*         the genuine agents' controller
kernels        numba      ``numba``: the whole rollout is one compiled kernel
                          (:mod:`turinglearn.environments._kernels`, on every core);
                          ``numpy``: :meth:`AggregationSim.step` on whole batches
                          (the readable path, and the one where Numba is missing)
=============  =========  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, check_at_least
from turinglearn.families._compiled import check_kernels, use_numba
from turinglearn.families.parametric import ReactiveController, check_truth

from . import _swarm
from ._base import ConfiguredSim
from ._vector import SwarmVectorEnv

P_STAR = (-0.7, -1.0, 1.0, -1.0)


@dataclass(frozen=True)
class AggregationConfig:
    """Settings of the aggregation environment (see the module docstring)."""

    n_agents: int = 10
    n_replicas: int = 1
    steps: int = 200
    init_side: float = 1.0
    truth: tuple[float, ...] = field(default=P_STAR)
    kernels: str = "numba"

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, ReactiveController(n_states=2)))
        check_kernels(self.kernels)
        check_at_least(self, n_agents=1, n_replicas=0, steps=1)
        if not self.init_side > 0:
            raise ConfigError(f"must be positive (metres), got {self.init_side}", "init_side")

    @property
    def n_robots(self) -> int:
        return self.n_agents + self.n_replicas


@dataclass
class SwarmState:
    """A batch of swarms: pos [B, N, 2] (m), heading [B, N] (rad)."""

    pos: np.ndarray
    heading: np.ndarray


@dataclass
class Rollout:
    """What a batched rollout returns.

    features: [B, N, T, 2] normalised (linear, angular) speed of every robot at every step;
    pos: [B, T + 1, N, 2] and heading: [B, T + 1, N] when recorded, else None.
    """

    features: np.ndarray
    pos: np.ndarray | None = None
    heading: np.ndarray | None = None


class AggregationSim(ConfiguredSim):
    """Batched simulator: ``B`` independent swarms stepped as arrays.

    Robots ``0 .. n_agents - 1`` of every swarm are the genuine agents, the rest replicas;
    each robot has its own controller row, so agents and replicas run in one batch.
    """

    model_family = ReactiveController(n_states=2)
    feature_names = ("linear_speed", "angular_speed")
    stimulus_space = None  # passive: nothing acts on the swarm from outside

    config_class = AggregationConfig

    @property
    def compiled(self) -> bool:
        """Whether rollouts run the compiled kernel (``kernels = "numba"`` and Numba installed)."""
        return use_numba(self.config.kernels)

    def reset(self, rng: np.random.Generator, n_episodes: int) -> SwarmState:
        resolve = _swarm.resolve_overlaps
        if self.compiled:
            from . import _kernels

            resolve = _kernels.resolve_overlaps
        pos, heading = _swarm.random_placement(
            rng, n_episodes, self.config.n_robots, self.config.init_side, resolve=resolve
        )
        return SwarmState(pos, heading)

    def sense(self, state: SwarmState) -> np.ndarray:
        """Binary line-of-sight sensor of every robot: [B, N] ints (1 = robot ahead)."""
        hits = _swarm.line_of_sight(state.pos, state.heading, state.pos, _swarm.ROBOT_RADIUS)
        return hits.any(axis=-1).astype(np.intp)

    def step(self, state: SwarmState, wheels: np.ndarray) -> tuple[SwarmState, np.ndarray]:
        """Move every robot by its normalised wheel speeds [B, N, 2]; returns (state, features [B, N, 2])."""
        wheels = np.clip(wheels, -1.0, 1.0)
        pos, heading = _swarm.move(state.pos, state.heading, wheels)
        pos = _swarm.resolve_overlaps(pos)
        return SwarmState(pos, heading), _swarm.observe(state.pos, state.heading, pos, heading)

    def rollout(self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False) -> Rollout:
        """Run ``B`` trials; params: [B, N, 4] one controller row per robot."""
        b, n = params.shape[:2]
        if n != self.config.n_robots:
            raise ValueError(f"params has {n} robots per swarm; this environment has {self.config.n_robots}")
        state = self.reset(rng, b)
        return self.rollout_from(state, params, record=record)

    def rollout_from(self, state: SwarmState, params: np.ndarray, *, record: bool = False) -> Rollout:
        if (
            self.compiled
            and type(self).step is AggregationSim.step
            and type(self).sense is AggregationSim.sense
        ):
            from . import _kernels

            return Rollout(*_kernels.rollout(state.pos, state.heading, params, self.config.steps, record))
        t_max = self.config.steps
        b, n = state.heading.shape
        feats = np.empty((b, n, t_max, 2))
        if record:
            pos_rec = np.empty((b, t_max + 1, n, 2))
            head_rec = np.empty((b, t_max + 1, n))
            pos_rec[:, 0], head_rec[:, 0] = state.pos, state.heading
        for t in range(t_max):
            wheels = self.model_family.act(params, self.sense(state))
            state, feats[:, :, t] = self.step(state, wheels)
            if record:
                pos_rec[:, t + 1], head_rec[:, t + 1] = state.pos, state.heading
        if record:
            return Rollout(feats, pos_rec, head_rec)
        return Rollout(feats)

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """Controller rows for swarms whose replicas run ``theta[B, 4]``: [B, N, 4]."""
        b = theta.shape[0]
        params = np.empty((b, self.config.n_robots, 4))
        params[:, : self.config.n_agents] = self.truth
        params[:, self.config.n_agents :] = theta[:, None, :]
        return params


def dispersion(pos: np.ndarray) -> np.ndarray:
    """Mean distance of the robots to their centroid (m): pos [..., N, 2] -> [...]."""
    centroid = pos.mean(axis=-2, keepdims=True)
    return np.sqrt(((pos - centroid) ** 2).sum(-1)).mean(-1)


class AggregationEnv(gym.Env):
    """One swarm as a plain gymnasium environment: the agent drives the replicas.

    Observation: the replicas' sensor states, ``MultiBinary(n_replicas)``.
    Action: the replicas' normalised wheel speeds, ``Box(-1, 1, (n_replicas, 2))``.
    The genuine agents run ``truth``. Reward is 0 (Turing Learning needs none); the episode is
    truncated after ``steps`` steps. ``info["features"]`` holds every robot's normalised
    (linear, angular) speed over the last step, ``info["genuine"]`` which robots are agents,
    ``info["pos"]`` / ``info["heading"]`` the swarm's state.
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, **kwargs):
        self.sim = AggregationSim(AggregationConfig(**kwargs))
        cfg = self.sim.config
        if cfg.n_replicas < 1:
            raise ConfigError("the gymnasium environment needs at least one replica to drive", "n_replicas")
        self.observation_space = gym.spaces.MultiBinary(cfg.n_replicas)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(cfg.n_replicas, 2), dtype=np.float64)
        self._genuine = np.arange(cfg.n_robots) < cfg.n_agents
        self._state: SwarmState | None = None
        self._t = 0

    def _obs_info(self, features=None):
        sensor = self.sim.sense(self._state)[0]
        info = {
            "pos": self._state.pos[0].copy(),
            "heading": self._state.heading[0].copy(),
            "genuine": self._genuine.copy(),
        }
        if features is not None:
            info["features"] = features[0]
        return sensor[~self._genuine].astype(np.int8), info, sensor

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.sim.reset(self.np_random, 1)
        self._t = 0
        obs, info, _ = self._obs_info()
        return obs, info

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        cfg = self.sim.config
        sensor = self.sim.sense(self._state)
        wheels = self.sim.model_family.act(self.sim.swarm_params(np.zeros((1, 4))), sensor)
        wheels[0, cfg.n_agents :] = np.asarray(action, dtype=float).reshape(cfg.n_replicas, 2)
        self._state, features = self.sim.step(self._state, wheels)
        self._t += 1
        obs, info, _ = self._obs_info(features)
        return obs, 0.0, False, self._t >= cfg.steps, info


class AggregationVectorEnv(SwarmVectorEnv):
    """``num_envs`` swarms stepped together by the batched simulator (``gymnasium.make_vec``).

    Spaces are those of :class:`AggregationEnv`, batched. All swarms have the same trial
    length, so they truncate together; autoreset is ``NEXT_STEP``: the step after a
    truncation resets every swarm and returns the first observation.
    """

    single_env_class = AggregationEnv
