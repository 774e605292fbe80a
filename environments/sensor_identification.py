"""``turinglearn/SensorIdentification-v0``: a robot infers its own distance sensor.

After Groß, Gu, Li & Gauci (NeurIPS 2017, "Generalizing GANs: a Turing perspective"), case 2.
An e-puck-like robot (physics of :mod:`turinglearn.environments._swarm`) moves in a square
arena with walls. Its forward distance sensor reads ``s = a * min(d / d_max, 1) + b``, where
``d`` is the distance from the robot's front to the wall straight ahead; the ground truth is
``(a, b) = (2, 1)`` (as in the paper's public code). A model is a candidate sensor ``(a, b)``
in ``[0, 4] x [0, 2]``.

The interrogator drives the robot's two wheels (stimulus ``Box(-1, 1, (2,))``, normalised
wheel speeds) and sees the sensor readings (one feature: the raw reading ``s``, in [0, 6] for
every admissible sensor). In the passive variant a fixed random controller drives:
wheel speeds drawn uniformly in ``[-passive_speed, passive_speed]`` and held for
``passive_hold`` steps (one schedule, drawn once from ``passive_seed``).

This project's settings (configurable): a 2 m arena; the robot starts uniformly in the
central 1 m square with a uniform heading; ``d_max`` = 0.3 m; 150 steps (15 s) per trial;
passive wheel speeds up to 0.5, held for 10 steps. The robot slides along walls (its centre
is clamped to the arena less its radius). Within a trial a slow random walk from the centre
seldom comes within ``d_max`` of a wall, so the passive observer mostly sees the saturated
reading ``a + b``; an interrogator can drive to a wall and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, check_at_least
from turinglearn.families.parametric import BoxFamily, check_truth

from . import _swarm
from ._base import ConfiguredSim

NAMES = ("a", "b")
TRUTH = (2.0, 1.0)
LOWER, UPPER = (0.0, 0.0), (4.0, 2.0)
#: readings are divided by this before a discriminator sees them. 1: the raw reading, in
#: [0, 6] for every admissible sensor. Dividing by 6 to map it into [0, 1] left the evolved
#: interrogators unable to resolve b to better than ~0.07 (seed 0, 600 generations); raw
#: readings reached 0.01 in 300.
READING_SCALE = 1.0


@dataclass(frozen=True)
class SensorIdentificationConfig:
    """Settings of ``turinglearn/SensorIdentification-v0`` (see the module docstring).

    steps: control steps (0.1 s) per trial;
    arena: side of the square arena (m);
    start_side: the robot starts uniformly in a central square of this side (m), heading uniform;
    d_max: the distance (m) beyond which the sensor saturates;
    passive_speed: the passive controller's wheel speeds are uniform in
    ``[-passive_speed, passive_speed]`` (normalised);
    passive_hold: steps each of the passive controller's wheel speeds is held;
    passive_seed: the seed of the one passive schedule;
    truth: the sensor's ``(a, b)`` in ``s = a min(d / d_max, 1) + b``.
    """

    steps: int = 150
    arena: float = 2.0
    start_side: float = 1.0
    d_max: float = 0.3
    passive_speed: float = 0.5
    passive_hold: int = 10
    passive_seed: int = 2017
    truth: tuple[float, ...] = field(default=TRUTH)

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, SensorIdentificationSim.model_family))
        check_at_least(self, steps=2)
        if not self.arena > 2 * _swarm.ROBOT_RADIUS:
            raise ConfigError(f"must exceed the robot's diameter, got {self.arena}", "arena")
        if not 0 < self.start_side <= self.arena - 2 * _swarm.ROBOT_RADIUS:
            raise ConfigError(f"must be in (0, arena - robot diameter], got {self.start_side}", "start_side")
        if not self.d_max > 0:
            raise ConfigError(f"must be positive (metres), got {self.d_max}", "d_max")
        if not 0 <= self.passive_speed <= 1:
            raise ConfigError(
                f"must lie in [0, 1] (normalised wheel speed), got {self.passive_speed}", "passive_speed"
            )
        check_at_least(self, passive_hold=1)


@dataclass
class RobotState:
    pos: np.ndarray  # [..., 2] metres, arena [0, L]^2
    heading: np.ndarray  # [...]
    #: cos and sin of ``heading`` when known ([...] each), so a step computes them once, not twice
    cos: np.ndarray | None = None
    sin: np.ndarray | None = None


class SensorIdentificationSim(ConfiguredSim):
    """Batched over any batch shape: params [..., 2], stimulus (wheels) [..., 2] -> features [..., 1]."""

    model_family = BoxFamily(NAMES, LOWER, UPPER)  # a candidate sensor (a, b)
    feature_names = ("reading",)
    stimulus_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float64)

    config_class = SensorIdentificationConfig

    def passive_schedule(self) -> np.ndarray:
        """The fixed random controller: wheel speeds [T, 2], redrawn every ``passive_hold`` steps."""
        cfg = self.config
        rng = np.random.default_rng(cfg.passive_seed)
        blocks = -(-cfg.steps // cfg.passive_hold)
        wheels = rng.uniform(-cfg.passive_speed, cfg.passive_speed, size=(blocks, 2))
        return np.repeat(wheels, cfg.passive_hold, axis=0)[: cfg.steps]

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> RobotState:
        c, h = self.config.arena / 2, self.config.start_side / 2
        pos = rng.uniform(c - h, c + h, size=(*shape, 2))
        return RobotState(pos, rng.uniform(-np.pi, np.pi, size=shape))

    def wall_distance(
        self,
        pos: np.ndarray,
        heading: np.ndarray,
        cos: np.ndarray | None = None,
        sin: np.ndarray | None = None,
    ) -> np.ndarray:
        """Distance from the robot's front to the wall straight ahead: [...].

        Along each axis the ray meets the wall it heads for after ``gap / |direction|`` (``inf``
        when it runs parallel to it); the nearer of the two is the wall ahead. ``cos``/``sin`` of
        the heading may be passed when already known (numpy's trigonometry dominates a step).
        """
        arena, r = self.config.arena, _swarm.ROBOT_RADIUS
        c = np.cos(heading) if cos is None else cos
        s = np.sin(heading) if sin is None else sin
        with np.errstate(divide="ignore", invalid="ignore"):
            tx = np.where(c > 0, arena - pos[..., 0], pos[..., 0]) / np.abs(c)
            ty = np.where(s > 0, arena - pos[..., 1], pos[..., 1]) / np.abs(s)
        return np.maximum(np.fmin(tx, ty) - r, 0.0)

    def reading(self, params: np.ndarray, d: np.ndarray) -> np.ndarray:
        a, b = params[..., 0], params[..., 1]
        return a * np.minimum(d / self.config.d_max, 1.0) + b

    def step(self, state: RobotState, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator):
        """Drive by the stimulus (normalised wheel speeds), slide along walls, read the sensor."""
        wheels = np.clip(np.broadcast_to(stimulus, (*state.heading.shape, 2)), -1.0, 1.0)
        pos, heading = _swarm.move(state.pos, state.heading, wheels, cos=state.cos, sin=state.sin)
        r = _swarm.ROBOT_RADIUS
        pos = np.clip(pos, r, self.config.arena - r)
        cos, sin = np.cos(heading), np.sin(heading)
        s = self.reading(params, self.wall_distance(pos, heading, cos, sin))
        return RobotState(pos, heading, cos, sin), (s / READING_SCALE)[..., None]


class SensorIdentificationEnv(gym.Env):
    """One robot as a plain gymnasium environment: the action drives the wheels.

    Observation: the sensor reading ``Box(0, 6, (1,))``; action: wheel speeds
    ``Box(-1, 1, (2,))``; reward 0; truncated after ``steps`` steps. ``params`` (default: the
    truth) is the sensor.
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, params=None, **kwargs):
        self.sim = SensorIdentificationSim(SensorIdentificationConfig(**kwargs))
        self.params = self.sim.truth if params is None else np.asarray(params, dtype=float)
        hi = (UPPER[0] + UPPER[1]) / READING_SCALE
        self.observation_space = gym.spaces.Box(0.0, hi, shape=(1,), dtype=np.float64)
        self.action_space = self.sim.stimulus_space
        self._state = None
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.sim.reset(self.np_random, ())
        self._t = 0
        d = self.sim.wall_distance(self._state.pos, self._state.heading)
        obs = np.atleast_1d(self.sim.reading(self.params, d) / READING_SCALE).astype(np.float64)
        return obs, {"pos": self._state.pos.copy(), "heading": float(self._state.heading)}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._state, obs = self.sim.step(
            self._state, self.params, np.asarray(action, dtype=float), self.np_random
        )
        self._t += 1
        info = {"pos": self._state.pos.copy(), "heading": float(self._state.heading)}
        return obs.astype(np.float64), 0.0, False, self._t >= self.sim.config.steps, info
