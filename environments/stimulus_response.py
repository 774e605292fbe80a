"""``turinglearn/StimulusResponse-v0``: an agent whose movement responds to a light level.

After the setting of Li, Gauci & Groß (GECCO 2013, "A coevolutionary approach to learn animal
behavior through controlled interaction"): an interrogator sets the light level every step and
watches how fast the agent moves. The agent is a stochastic two-state machine, after startle
responses of animals:

- **calm**: it moves at ``gain * L`` (L the light level in [0, 1]);
- a **rise** of the light by more than ``RISE`` (0.2) in one step startles a calm agent with
  probability ``startle_prob``;
- **startled**: it moves at ``startled_speed`` whatever the light;
- a startled agent calms down with probability ``recovery_prob`` each step (then a rise in the
  same step can startle it again).

Observed each step (both in [0, 1]): the agent's speed and the light level it was given.
Parameters ``(gain, startle_prob, startled_speed, recovery_prob)`` in ``[0, 1]^4``; ground
truth ``(0.6, 0.8, 0.1, 0.2)``: it freezes when the light jumps and takes a few steps to
recover.

**Identifiability.** Under the passive schedule (constant light ``passive_light`` = 0.5) the
light never rises, the agent is never startled, and it moves at exactly ``0.5 * gain``:
``startle_prob``, ``startled_speed`` and ``recovery_prob`` do not change the distribution of
what is observed. An interrogator that raises the light reveals all four. So does a fixed,
designed schedule: with ``passive_period`` = N > 0 the passive light is a square wave, N / 2
steps at ``passive_light`` then N / 2 at 1, whose rises startle the agent and whose plateaus
show how it recovers (what a recording for the peers benchmark is made under: every trial
watched the same way, none adapted to the agent).

Settings (this project's; configurable): ``steps`` = 100 per trial, ``passive_light`` = 0.5,
``passive_period`` = 0 (constant light).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, check_at_least
from turinglearn.families.parametric import BoxFamily, check_truth

from ._base import ConfiguredSim

NAMES = ("gain", "startle_prob", "startled_speed", "recovery_prob")
TRUTH = (0.6, 0.8, 0.1, 0.2)
#: a rise of the light by more than this in one step can startle a calm agent
RISE = 0.2


@dataclass(frozen=True)
class StimulusResponseConfig:
    """Settings of ``turinglearn/StimulusResponse-v0`` (see the module docstring).

    steps: time steps per trial;
    passive_light: the constant light level of the passive schedule, in [0, 1];
    passive_period: 0 for that constant light; N >= 2: a square wave of period N steps, N // 2 at
    ``passive_light`` then the rest at 1 (its rises can startle the agent);
    truth: the agent's ``(gain, startle_prob, startled_speed, recovery_prob)``, in ``[0, 1]^4``.
    """

    steps: int = 100
    passive_light: float = 0.5
    passive_period: int = 0
    truth: tuple[float, ...] = field(default=TRUTH)

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, StimulusResponseSim.model_family))
        check_at_least(self, steps=2)
        if self.passive_period == 1 or self.passive_period < 0:
            raise ConfigError(
                f"give 0 (constant light) or a period of at least 2 steps, got {self.passive_period}",
                "passive_period",
            )
        if not 0.0 <= self.passive_light <= 1.0:
            raise ConfigError(
                f"must lie in the stimulus space [0, 1], got {self.passive_light}", "passive_light"
            )


@dataclass
class AgentState:
    """A batch of agents, any batch shape ``[...]``: startled (bool) and the previous light."""

    startled: np.ndarray
    light: np.ndarray  # [...] the previous step's light; NaN before the first step


class StimulusResponseSim(ConfiguredSim):
    """Batched simulator over any batch shape: params [..., 4], stimulus [..., 1] -> features [..., 2]."""

    model_family = BoxFamily(NAMES, lower=(0, 0, 0, 0), upper=(1, 1, 1, 1))
    feature_names = ("speed", "light")
    stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)

    config_class = StimulusResponseConfig

    def passive_schedule(self) -> np.ndarray:
        """The stimulus a passive observer applies: [T, 1], constant light, or a square wave
        between ``passive_light`` and 1 (``passive_period``)."""
        c = self.config
        light = np.full((c.steps, 1), c.passive_light)
        if c.passive_period:
            high = np.arange(c.steps) % c.passive_period >= c.passive_period // 2
            light[high] = 1.0
        return light

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> AgentState:
        return AgentState(np.zeros(shape, dtype=bool), np.full(shape, np.nan))

    def step(self, state: AgentState, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator):
        """One step; params broadcast against the batch. Returns (state, features [..., 2])."""
        light = np.broadcast_to(stimulus[..., 0], state.startled.shape)
        gain, p_startle, startled_speed, p_recover = np.moveaxis(params, -1, 0)
        u_recover = rng.random(state.startled.shape)
        u_startle = rng.random(state.startled.shape)
        startled = state.startled & ~(u_recover < p_recover)
        rise = (light - state.light) > RISE  # False while the previous light is NaN
        startled = startled | (rise & (u_startle < p_startle))
        speed = np.where(startled, startled_speed, gain * light)
        return AgentState(startled, light.copy()), np.stack([speed, light], axis=-1)


class StimulusResponseEnv(gym.Env):
    """One agent as a plain gymnasium environment: the action is the light level.

    Observation: ``(speed, light)`` of the last step; action: ``Box(0, 1, (1,))``; reward 0;
    truncated after ``steps`` steps. ``params`` (default: the truth) sets the agent.
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, params=None, **kwargs):
        self.sim = StimulusResponseSim(StimulusResponseConfig(**kwargs))
        self.params = self.sim.truth if params is None else np.asarray(params, dtype=float)
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float64)
        self.action_space = self.sim.stimulus_space
        self._state = None
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.sim.reset(self.np_random, ())
        self._t = 0
        return np.array([0.0, 0.0]), {"startled": False}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        action = np.clip(np.asarray(action, dtype=float).reshape(1), 0.0, 1.0)
        self._state, feats = self.sim.step(self._state, self.params, action, self.np_random)
        self._t += 1
        return (
            feats.astype(np.float64),
            0.0,
            False,
            self._t >= self.sim.config.steps,
            {"startled": bool(self._state.startled)},
        )
