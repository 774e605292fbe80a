"""Gymnasium's ``Pendulum-v1`` and ``CartPole-v1``, stepped as whole batches in numpy.

The equations, constants and order of operations are gymnasium's own
(``gymnasium/envs/classic_control/pendulum.py`` and ``cartpole.py``, gymnasium 1.x), written
over arrays of any batch shape ``[...]``, so that one call steps thousands of episodes. Given
the same state and the same (float64) action, a batched step gives what
``gymnasium.make(id)`` gives for each episode alone, to the last bit or within a few units in
the last place where numpy's vectorised ``sin``/``cos`` round differently from its scalar ones
(``tests/test_gym.py`` checks both the states and the observations).

Beyond gymnasium, a step takes a **push**: how an interrogator disturbs the system.

- Pendulum: a torque added to the action *before* gymnasium's clip to ``max_torque``
  (``push = 0`` is gymnasium's step exactly);
- CartPole: a horizontal force in newtons added to the ``+-force_mag`` push of the action
  (``push = 0`` is gymnasium's step exactly).

State arrays are float64 (as gymnasium's), observations float32 (as gymnasium returns them).
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np


class PendulumDynamics:
    """``Pendulum-v1``: state ``[..., 2]`` = (theta, theta_dot), theta = 0 upright.

    Observation ``[..., 3]`` = (cos theta, sin theta, theta_dot) as float32; action ``[..., 1]``
    torque, clipped to ``[-max_torque, max_torque]`` after the push is added.
    """

    gym_id = "Pendulum-v1"
    max_speed = 8.0
    max_torque = 2.0
    dt = 0.05
    m = 1.0
    l = 1.0
    observation_space = gym.spaces.Box(
        np.array([-1.0, -1.0, -8.0], np.float32), np.array([1.0, 1.0, 8.0], np.float32), dtype=np.float32
    )
    action_space = gym.spaces.Box(-2.0, 2.0, shape=(1,), dtype=np.float32)

    def __init__(self, g: float = 10.0):
        self.g = g

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...], high=(math.pi, 1.0)) -> np.ndarray:
        """Uniform in ``[-high, high]`` (gymnasium's default ``(pi, 1)``; its reset options
        ``x_init``, ``y_init`` set ``high``): [..., 2]. Episode ``i`` of a flat batch draws what
        a gymnasium env whose ``np_random`` is at the same point would draw."""
        high = np.asarray(high, dtype=float)
        return rng.uniform(low=-high, high=high, size=(*shape, 2))

    def step(self, state: np.ndarray, action: np.ndarray, push: np.ndarray | None = None) -> np.ndarray:
        """state [..., 2], action [..., 1], push [..., 1] or None -> new state [..., 2]."""
        th, thdot = state[..., 0], state[..., 1]
        g, m, l, dt = self.g, self.m, self.l, self.dt
        u = action[..., 0] if push is None else action[..., 0] + push[..., 0]
        u = np.clip(u, -self.max_torque, self.max_torque)
        newthdot = thdot + (3 * g / (2 * l) * np.sin(th) + 3.0 / (m * l**2) * u) * dt
        newthdot = np.clip(newthdot, -self.max_speed, self.max_speed)
        newth = th + newthdot * dt
        return np.stack([newth, newthdot], axis=-1)

    def observe(self, state: np.ndarray) -> np.ndarray:
        th, thdot = state[..., 0], state[..., 1]
        return np.stack([np.cos(th), np.sin(th), thdot], axis=-1).astype(np.float32)

    def terminated(self, state: np.ndarray) -> np.ndarray:
        return np.zeros(state.shape[:-1], dtype=bool)  # the pendulum never terminates


class CartPoleDynamics:
    """``CartPole-v1``: state ``[..., 4]`` = (x, x_dot, theta, theta_dot), Euler integrator.

    Observation: the state as float32; action ``[...]`` in {0, 1} (push left, push right);
    terminated when ``|x| > 2.4`` or ``|theta| > 12 degrees``.
    """

    gym_id = "CartPole-v1"
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    _high = np.array([x_threshold * 2, np.inf, theta_threshold_radians * 2, np.inf], dtype=np.float32)
    observation_space = gym.spaces.Box(-_high, _high, dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...], high: float = 0.05) -> np.ndarray:
        """Uniform in ``[-high, high]^4`` (gymnasium's default 0.05): [..., 4]."""
        return rng.uniform(low=-high, high=high, size=(*shape, 4))

    def step(self, state: np.ndarray, action: np.ndarray, push: np.ndarray | None = None) -> np.ndarray:
        """state [..., 4], action [...] in {0, 1}, push [..., 1] newtons or None -> new state [..., 4]."""
        x, x_dot, theta, theta_dot = np.moveaxis(state, -1, 0)
        force = np.where(action == 1, self.force_mag, -self.force_mag)
        if push is not None:
            force = force + push[..., 0]
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + self.polemass_length * np.square(theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * np.square(costheta) / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        return np.stack([x, x_dot, theta, theta_dot], axis=-1)

    def observe(self, state: np.ndarray) -> np.ndarray:
        return state.astype(np.float32)

    def terminated(self, state: np.ndarray) -> np.ndarray:
        x, theta = state[..., 0], state[..., 2]
        return (
            (x < -self.x_threshold)
            | (x > self.x_threshold)
            | (theta < -self.theta_threshold_radians)
            | (theta > self.theta_threshold_radians)
        )


#: gymnasium ids whose physics turinglearn steps batched in numpy
BATCHED = {"Pendulum-v1": PendulumDynamics, "CartPole-v1": CartPoleDynamics}
