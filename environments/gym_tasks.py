"""Two gymnasium tasks for Turing Learning: a hidden controller to infer from what it does.

``turinglearn/PendulumPD-v0``: gymnasium's ``Pendulum-v1`` held upright by a hidden PD
controller, ``u = clip(-kp * angle - kd * angular_velocity, -2, 2)`` (angle from the
observation, ``atan2(sin, cos)``, 0 upright). Infer ``(kp, kd)`` in ``[0, 20] x [0, 5]``;
ground truth ``(10, 2)``: gravity's torque is ``15 sin(angle)`` in the units of
``3 u``, so ``kp > 5`` holds the pendulum up; with ``(10, 2)`` it returns upright in about a
second, slightly underdamped (damping ratio ~0.8), and saturates the motor beyond 0.2 rad.
Episodes start near upright (angle and angular velocity uniform in +-0.05, gymnasium's reset
options ``x_init = y_init = 0.05``), so the controller balances the pendulum. The
interrogator adds a torque in ``[-push, push]`` (1 N m) to the controller's every step; the
sum is clipped to the motor's +-2 N m as gymnasium does. Passive: no push; the pendulum
settles from its small initial offset and then stays upright, showing little of the gains.
Features: angle / 0.5 rad and angular velocity / 2 rad/s.

``turinglearn/CartPoleLinear-v0``: gymnasium's ``CartPole-v1`` with a hidden linear policy,
push right iff ``w . obs > 0`` for ``obs = (x, x_dot, theta, theta_dot)``. The policy does
not change when ``w`` is scaled, so ``w_theta`` is fixed at 1 (the pole's angle must push the
cart the way the pole falls) and the models infer ``(w_x, w_x_dot, w_theta_dot)`` in
``[-1, 1]^3``; ground truth ``(0.1, 0.5, 0.5)``, which balances the pole for the whole
episode from gymnasium's initial states (uniform +-0.05) and keeps the cart within ~0.15 m of
the centre. The interrogator pushes the cart with a force in ``[-push, push]`` (10 N) added to
the policy's +-10 N (with 5 N, ``w_x`` came out ~40 % high and the inferred policy's C2ST was
at most 0.6 on 6 of 10 seeds; with 10 N on 9 of 10). Features: the observation, cart position
/ 0.5 m, cart velocity / 0.5 m/s, pole angle / 0.1 rad, pole angular velocity / 0.5 rad/s (``velocities = false``:
position and angle only; with those two, the runs settled on a policy about 30 % off in
``w_x_dot`` and ``w_theta_dot`` that the interrogators could not tell apart but C2ST could,
0.65-0.70 on two seeds; the velocities show the bang-bang control's chatter). An episode
that fails (``|x| > 2.4`` or ``|theta| > 12 degrees``) is frozen at its last observation.

Settings (this project's; configurable): 100 steps (5 s) for the pendulum, 200 steps (4 s)
for the cart-pole; ``backend = "numpy"`` steps gymnasium's equations batched in numpy,
``"vector"`` goes through ``gymnasium.make_vec`` (same equations, far slower).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, check_at_least
from turinglearn.families.parametric import BoxFamily, check_truth

from .classic_control import CartPoleDynamics, PendulumDynamics
from .gym_wrapper import BACKENDS, GymEnv, GymSim

# --- the hidden agents: batched policies over gymnasium's observations ------------------------


def pd_policy(params: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """PD controller of the pendulum: params [..., 2] = (kp, kd), obs [..., 3] -> torque [..., 1]."""
    angle = np.arctan2(obs[..., 1], obs[..., 0])
    u = -params[..., 0] * angle - params[..., 1] * obs[..., 2]
    return np.clip(u, -PendulumDynamics.max_torque, PendulumDynamics.max_torque)[..., None]


def linear_policy(params: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Cart-pole: params [..., 3] = (w_x, w_x_dot, w_theta_dot) with w_theta = 1, obs [..., 4]
    -> action [...] (1: push right iff w . obs > 0)."""
    score = (
        params[..., 0] * obs[..., 0]
        + params[..., 1] * obs[..., 1]
        + obs[..., 2]
        + params[..., 2] * obs[..., 3]
    )
    return (score > 0).astype(np.int64)


def _check_backend(cfg) -> None:
    if cfg.backend not in BACKENDS:
        raise ConfigError(f"must be one of {', '.join(BACKENDS)}, got {cfg.backend!r}", "backend")


# --- Pendulum ---------------------------------------------------------------------------------

PENDULUM_FAMILY = BoxFamily(("kp", "kd"), lower=(0.0, 0.0), upper=(20.0, 5.0))


@dataclass(frozen=True)
class PendulumPDConfig:
    """Settings of ``turinglearn/PendulumPD-v0`` (see the module docstring).

    steps: time steps (0.05 s) per trial;
    init_angle / init_velocity: episodes start with angle (rad) and angular velocity (rad/s)
    uniform within these of upright (gymnasium's reset options ``x_init``, ``y_init``);
    push: the interrogator's torque bound (N m), added to the controller's;
    angle_scale / velocity_scale: the features are angle / ``angle_scale`` and angular
    velocity / ``velocity_scale``;
    g: gravity (m/s^2; gymnasium's ``g``);
    backend: ``numpy`` (gymnasium's equations, batched) or ``vector`` (``gymnasium.make_vec``);
    truth: the hidden controller's ``(kp, kd)``.
    """

    steps: int = 100
    init_angle: float = 0.05
    init_velocity: float = 0.05
    push: float = 1.0
    angle_scale: float = 0.5
    velocity_scale: float = 2.0
    g: float = 10.0
    backend: str = "numpy"
    truth: tuple[float, ...] = field(default=(10.0, 2.0))

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, PENDULUM_FAMILY))
        check_at_least(self, steps=2)
        _check_backend(self)
        for key in ("init_angle", "init_velocity", "push", "angle_scale", "velocity_scale"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"must be positive, got {getattr(self, key)}", key)


class PendulumPDSim(GymSim):
    """``turinglearn/PendulumPD-v0`` (see the module docstring): features [..., 2]."""

    config_class = PendulumPDConfig

    def __init__(self, config: PendulumPDConfig | None = None, **kwargs):
        cfg = config if config is not None else PendulumPDConfig(**kwargs)
        a, v = cfg.angle_scale, cfg.velocity_scale
        dyn = PendulumDynamics
        super().__init__(
            "Pendulum-v1",
            pd_policy,
            PENDULUM_FAMILY,
            cfg.truth,
            push_space=gym.spaces.Box(-cfg.push, cfg.push, shape=(1,), dtype=np.float64),
            features=lambda obs: np.stack(
                [np.arctan2(obs[..., 1], obs[..., 0]) / a, obs[..., 2] / v], axis=-1
            ),
            feature_names=("angle", "angular_velocity"),
            feature_space=gym.spaces.Box(
                np.array([-np.pi / a, -dyn.max_speed / v]),
                np.array([np.pi / a, dyn.max_speed / v]),
                dtype=np.float64,
            ),
            env_kwargs={"g": cfg.g},
            reset_options={"x_init": cfg.init_angle, "y_init": cfg.init_velocity},
            backend=cfg.backend,
            config=cfg,
        )


class PendulumPDEnv(GymEnv):
    sim_class = PendulumPDSim


# --- CartPole ---------------------------------------------------------------------------------

CARTPOLE_FAMILY = BoxFamily(
    ("w_x", "w_x_dot", "w_theta_dot"), lower=(-1.0, -1.0, -1.0), upper=(1.0, 1.0, 1.0)
)


@dataclass(frozen=True)
class CartPoleLinearConfig:
    """Settings of ``turinglearn/CartPoleLinear-v0`` (see the module docstring).

    steps: time steps (0.02 s) per trial;
    init_high: the state starts uniform in ``[-init_high, init_high]`` (gymnasium's reset
    options ``low``, ``high``);
    push: the interrogator's force bound (N), added to the policy's;
    position_scale, angle_scale, velocity_scale: the features are cart position /
    ``position_scale``, pole angle / ``angle_scale`` and both velocities / ``velocity_scale``;
    velocities: show the two velocities too (``false``: position and angle only);
    backend: ``numpy`` (gymnasium's equations, batched) or ``vector`` (``gymnasium.make_vec``);
    truth: the hidden policy's ``(w_x, w_x_dot, w_theta_dot)`` (``w_theta = 1``).
    """

    steps: int = 200
    init_high: float = 0.05
    push: float = 10.0
    position_scale: float = 0.5
    angle_scale: float = 0.1
    velocities: bool = True
    velocity_scale: float = 0.5
    backend: str = "numpy"
    truth: tuple[float, ...] = field(default=(0.1, 0.5, 0.5))

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, CARTPOLE_FAMILY))
        check_at_least(self, steps=2)
        _check_backend(self)
        for key in ("init_high", "push", "position_scale", "angle_scale", "velocity_scale"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"must be positive, got {getattr(self, key)}", key)


class CartPoleLinearSim(GymSim):
    """``turinglearn/CartPoleLinear-v0`` (see the module docstring): features [..., 4] (or [..., 2])."""

    config_class = CartPoleLinearConfig

    def __init__(self, config: CartPoleLinearConfig | None = None, **kwargs):
        cfg = config if config is not None else CartPoleLinearConfig(**kwargs)
        p, a, v = cfg.position_scale, cfg.angle_scale, cfg.velocity_scale
        high = CartPoleDynamics._high.astype(float)
        if cfg.velocities:  # all four: x / p, x_dot / v, theta / a, theta_dot / v
            scale = np.array([p, v, a, v])
            features = lambda obs: obs / scale  # noqa: E731
            names = ("cart_position", "cart_velocity", "pole_angle", "pole_angular_velocity")
            space = gym.spaces.Box(-high / scale, high / scale, dtype=np.float64)
        else:
            features = lambda obs: np.stack([obs[..., 0] / p, obs[..., 2] / a], axis=-1)  # noqa: E731
            names = ("cart_position", "pole_angle")
            space = gym.spaces.Box(
                np.array([-high[0] / p, -high[2] / a]), np.array([high[0] / p, high[2] / a]), dtype=np.float64
            )
        super().__init__(
            "CartPole-v1",
            linear_policy,
            CARTPOLE_FAMILY,
            cfg.truth,
            push_space=gym.spaces.Box(-cfg.push, cfg.push, shape=(1,), dtype=np.float64),
            features=features,
            feature_names=names,
            feature_space=space,
            reset_options={"low": -cfg.init_high, "high": cfg.init_high},
            backend=cfg.backend,
            config=cfg,
        )


class CartPoleLinearEnv(GymEnv):
    sim_class = CartPoleLinearSim
