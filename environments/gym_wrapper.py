"""Any gymnasium environment as a system to learn: a hidden agent acts in it, models act in its
place, and an interrogator may disturb it.

:class:`GymSim` turns a gymnasium id, a hidden agent (a parameterised policy plus its true
parameters) and a model family into a batched simulator that follows the interrogation
contract of :mod:`turinglearn.systems.interactive`:

- every step, the agent (the truth, or a model) sees gymnasium's observation and acts:
  ``policy(params[..., d], obs[..., o]) -> action`` (``[..., a]`` for Box actions, ``[...]``
  ints for Discrete ones), batched over any leading shape;
- the interrogator's **push** (``stimulus_space``, a Box) disturbs the system: for Box actions
  it is added to the action before the environment clips it; for Discrete actions it is the
  probability (in [0, 1]) that the agent's action is replaced by one drawn at random; for
  CartPole's numpy physics it is a force added to the cart's push. The passive schedule pushes
  0, which is the plain gymnasium environment;
- a discriminator sees ``features(obs) -> [..., F]``, by default the observation normalised by
  the finite bounds of its observation space.

An episode that terminates (or is truncated by the id's time limit) is frozen: its
observation, and so its features, keep their last value until the trial ends.

Two ways to step the physics:

- ``backend="numpy"``: gymnasium's own equations over whole batches
  (:mod:`turinglearn.environments.classic_control`: ``Pendulum-v1``, ``CartPole-v1``); fast;
- ``backend="vector"``: any id, through ``gymnasium.make_vec(id, n, vectorization_mode="sync")``,
  one sub-environment per episode; correct for every id but slow (a Python call per episode
  and step), for small populations;
- ``backend="auto"`` (default) picks numpy where it exists.

``turinglearn/Gym-v0`` exposes the generic wrapper to configs (``policy = "module:function"``);
``turinglearn/PendulumPD-v0`` and ``turinglearn/CartPoleLinear-v0``
(:mod:`~turinglearn.environments.gym_tasks`) are two tasks built on it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FunctionType, SimpleNamespace
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from turinglearn.errors import ConfigError, ContractViolation, check_at_least, warn
from turinglearn.families.parametric import BoxFamily, bound_problem, check_truth

from . import import_user_module
from .classic_control import BATCHED, CartPoleDynamics, PendulumDynamics

BACKENDS = ("auto", "numpy", "vector")
#: the default largest push for Discrete actions: the probability that the agent's action is
#: replaced by a random one (like a Box action's default, a quarter of the range)
DISCRETE_PUSH = 0.25


@dataclass
class GymState:
    """A batch of episodes, batch shape ``[...]``.

    physics: the numpy state ``[..., s]`` (numpy backend) or the vector environment (vector
    backend); obs: ``[..., o]`` the observation the agent acts on next; done: ``[...]`` episodes
    that terminated or were truncated (frozen).
    """

    physics: Any
    obs: np.ndarray
    done: np.ndarray


class NumpyPhysics:
    """Batched numpy physics of an id in :data:`~.classic_control.BATCHED`."""

    max_episode_steps = None  # its episodes run as long as asked

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any] | None = None, reset_options=None):
        try:
            self.dynamics = BATCHED[env_id](**dict(env_kwargs or {}))
        except TypeError as e:
            raise ConfigError(f"{env_id}'s numpy physics takes no such argument ({e})", "env_kwargs") from None
        self.reset_options = dict(reset_options or {})
        self.action_space = self.dynamics.action_space
        self.observation_space = self.dynamics.observation_space

    def _reset_high(self):
        """gymnasium's reset options, as the numpy reset's bound."""
        o = self.reset_options
        if isinstance(self.dynamics, PendulumDynamics):
            return (float(o.get("x_init", math.pi)), float(o.get("y_init", 1.0)))
        if isinstance(self.dynamics, CartPoleDynamics):
            low, high = float(o.get("low", -0.05)), float(o.get("high", 0.05))
            if low != -high:
                raise ConfigError(f"the numpy CartPole resets symmetrically: low = -high, got {low}, {high}")
            return high
        return None  # pragma: no cover - every batched id is handled above

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]):
        state = self.dynamics.reset(rng, shape, self._reset_high())
        return state, self.dynamics.observe(state)

    def step(self, state, action, push, done):
        new = self.dynamics.step(state, action, push)
        new = np.where(done[..., None], state, new)  # frozen episodes stay where they ended
        return new, self.dynamics.observe(new), self.dynamics.terminated(new)


def make_env(env_id: str, env_kwargs: Mapping[str, Any]):
    """``gymnasium.make(env_id, **env_kwargs)``, its failure a ConfigError naming ``env_kwargs``
    (a constructor that needs an argument raised a TypeError from deep in gymnasium)."""
    if env_kwargs.get("render_mode") == "human":
        raise ConfigError(
            f"render_mode = 'human' draws every step of the thousands of episodes a run simulates: leave render_mode out "
            f"(or give 'rgb_array' if {env_id}'s constructor needs one)",
            "env_kwargs",
        )
    try:
        return gym.make(env_id, **env_kwargs)
    except Exception as e:  # the user's constructor, with the arguments given
        given = ", ".join(f"{k}={v!r}" for k, v in env_kwargs.items())
        raise ConfigError(
            f"gymnasium.make({env_id!r}{', ' + given if given else ''}) raised {type(e).__name__}: {e}; give its "
            "constructor's arguments as env_kwargs (in a config: env_kwargs = {render_mode = \"rgb_array\"})",
            "env_kwargs",
        ) from None


class VectorPhysics:
    """Any gymnasium id through ``gymnasium.make_vec`` (sync), one sub-environment per episode.

    The vector environment of each batch size is made once and reused; a rollout resets it
    (seeded from the rollout's generator) and steps it to the end, so one rollout per batch
    size runs at a time. Pushes are added to Box actions, which are then clipped to the
    action space.
    """

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any] | None = None, reset_options=None):
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self.reset_options = dict(reset_options) if reset_options else None
        probe = make_env(env_id, self.env_kwargs)
        self.action_space, self.observation_space = probe.action_space, probe.observation_space
        self.max_episode_steps = probe.spec.max_episode_steps if probe.spec is not None else None
        probe.close()
        if not isinstance(self.observation_space, gym.spaces.Box):
            raise ConfigError(
                f"{env_id} has observation space {self.observation_space}; the gym wrapper needs a Box: register a "
                "flattened id, gymnasium.register('MyEnvFlat-v0', entry_point=lambda **kw: "
                "gymnasium.wrappers.FlattenObservation(MyEnv(**kw))), and use that"
            )
        self._envs: dict[int, gym.vector.VectorEnv] = {}

    def _env(self, n: int):
        if n not in self._envs:
            self._envs[n] = gym.make_vec(
                self.env_id, num_envs=n, vectorization_mode="sync", **self.env_kwargs
            )
        return self._envs[n]

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]):
        n = math.prod(shape)
        env = self._env(n)
        obs, _ = env.reset(seed=int(rng.integers(2**31)), options=self.reset_options)
        return env, np.asarray(obs).reshape(*shape, -1)

    def step(self, env, action, push, done):
        shape = done.shape
        n = math.prod(shape)
        if isinstance(self.action_space, gym.spaces.Box):
            a = np.broadcast_to(action, (*shape, *self.action_space.shape))
            if push is not None:
                a = a + push
            a = np.clip(a, self.action_space.low, self.action_space.high).reshape(n, *self.action_space.shape)
        else:
            if push is not None and np.any(push != 0):
                raise ValueError(
                    f"{self.env_id} has action space {self.action_space}: the vector backend can only add a "
                    "push to Box actions (learn passively, or use the numpy backend where it exists)"
                )
            a = np.broadcast_to(action, shape).reshape(n)
        obs, _, term, trunc, _ = env.step(a.astype(self.action_space.dtype))
        return env, np.asarray(obs).reshape(*shape, -1), (term | trunc).reshape(shape)

    def close(self) -> None:
        for env in self._envs.values():
            env.close()
        self._envs.clear()


def default_features(space: gym.spaces.Box) -> Callable[[np.ndarray], np.ndarray]:
    """Observation -> features: each component divided by its bound where the bound is finite
    and symmetric-ish (``max(|low|, |high|)``), else as it is."""
    scale = np.maximum(np.abs(space.low), np.abs(space.high)).astype(float).ravel()
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return lambda obs: obs.reshape(*obs.shape[: obs.ndim - len(space.shape)], -1) / scale


class GymSim:
    """A gymnasium environment with a hidden agent, batched, under interrogation.

    env_id: a gymnasium id; policy: ``policy(params[..., d], obs[..., o]) -> action`` (see the
    module docstring); model_family: the models' parameters and bounds (``BoxFamily``);
    truth: the hidden agent's parameters [d]; steps: steps per trial; push_space: the
    interrogator's stimulus space (a Box ``(k,)``; default: for Box actions, a quarter of the
    action range around 0; for Discrete ones ``[0, 0.25]``, the probability that the action is
    replaced by a random one; CartPole's numpy physics: +-5 N); features / feature_names / feature_space: what a
    discriminator sees (default: the normalised observation, ``obs_0 ...``); env_kwargs: passed
    to ``gymnasium.make`` (e.g. ``g`` of the pendulum); reset_options: gymnasium's reset
    options (e.g. ``{"x_init": 0.05, "y_init": 0.05}`` for the pendulum); backend: ``auto``,
    ``numpy`` or ``vector``; config: anything with ``steps`` (the registered tasks pass theirs).
    """

    def __init__(
        self,
        env_id: str,
        policy: Callable[[np.ndarray, np.ndarray], np.ndarray],
        model_family,
        truth,
        steps: int = 200,
        push_space: gym.spaces.Box | None = None,
        features: Callable[[np.ndarray], np.ndarray] | None = None,
        feature_names: tuple[str, ...] | None = None,
        feature_space: gym.spaces.Box | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        reset_options: Mapping[str, Any] | None = None,
        backend: str = "auto",
        config=None,
    ):
        if backend not in BACKENDS:
            raise ConfigError(f"must be one of {', '.join(BACKENDS)}, got {backend!r}", "backend")
        if not isinstance(env_id, str):
            raise ConfigError(
                f"must be a gymnasium id ('Name-v0' or 'module:Name-v0'), got a {type(env_id).__name__}: GymSim makes "
                "an environment for every batch of episodes; register your class, gymnasium.register('Name-v0', "
                "entry_point=YourEnv), and give its id",
                "env_id",
            )
        check_gym_id(env_id, "env_id")  # gymnasium's own NameNotFound says nothing of registering
        if features is not None and not feature_names:
            raise ConfigError(
                "name one feature per value your features function returns (without features, the names are the "
                "observation's, obs_0, obs_1, ...)",
                "feature_names",
            )
        if backend == "numpy" and env_id not in BATCHED:
            raise ConfigError(
                f"no numpy physics for {env_id!r} (only {', '.join(BATCHED)}); use backend = 'vector'",
                "backend",
            )
        use_numpy = env_id in BATCHED and backend != "vector"
        self.backend = "numpy" if use_numpy else "vector"
        self.physics = (NumpyPhysics if use_numpy else VectorPhysics)(env_id, env_kwargs, reset_options)
        self.env_id = env_id
        self.policy = policy
        self.model_family = model_family
        self._truth = np.asarray(truth, dtype=float)
        self.config = config if config is not None else SimpleNamespace(steps=steps)
        limit = self.physics.max_episode_steps
        if limit is not None and self.config.steps > limit:
            warn(
                f"{env_id} truncates its episodes at {limit} steps (its registered max_episode_steps) but a trial runs "
                f"{self.config.steps}: steps {limit + 1}-{self.config.steps} of every trial repeat the last, and say "
                f"nothing; set steps to {limit} or fewer, or register the id with max_episode_steps=None"
            )
        obs_space = self.physics.observation_space
        self.features = features or default_features(obs_space)
        n_obs = int(np.prod(obs_space.shape))
        self.feature_names = tuple(feature_names or (f"obs_{i}" for i in range(n_obs)))
        self.feature_space = feature_space
        self.derived_feature_space = features is None and feature_space is None  # the checker says whence
        if features is None and feature_space is None:
            scale = np.maximum(np.abs(obs_space.low), np.abs(obs_space.high)).astype(float).ravel()
            bound = np.where(np.isfinite(scale) & (scale > 0), 1.0, np.inf)
            self.feature_space = gym.spaces.Box(-bound, bound, dtype=np.float64)
        self.stimulus_space = push_space if push_space is not None else self._default_push()
        action_space = self.physics.action_space
        if push_space is not None and isinstance(action_space, gym.spaces.Box) and push_space.shape != action_space.shape:
            raise ConfigError(
                f"must have the action space's shape {action_space.shape} (a push is added to the action), "
                f"got {push_space.shape}",
                "push_space",
            )
        if push_space is not None and self._replaces and not (
            push_space.shape == (1,) and push_space.low[0] >= 0 and push_space.high[0] <= 1
        ):
            raise ConfigError(
                f"{env_id} has action space {action_space}: its push is the probability that the agent's action "
                f"is replaced by a random one, a Box of shape (1,) within [0, 1]; got {push_space}",
                "push_space",
            )

    @property
    def _replaces(self) -> bool:
        """Whether a push replaces the agent's action at random (Discrete actions under the vector
        physics) instead of adding to it."""
        return isinstance(self.physics.action_space, gym.spaces.Discrete) and self.backend == "vector"

    @property
    def truth(self) -> np.ndarray:
        return self._truth

    def _default_push(self) -> gym.spaces.Box:
        space = self.physics.action_space
        if isinstance(space, gym.spaces.Box):
            half = (np.asarray(space.high, float) - np.asarray(space.low, float)).ravel() / 8
            return gym.spaces.Box(-half, half, dtype=np.float64)
        if self.env_id == CartPoleDynamics.gym_id and self.backend == "numpy":
            return gym.spaces.Box(-5.0, 5.0, shape=(1,), dtype=np.float64)
        if self._replaces:  # the probability that the action is replaced by a random one, up to a quarter
            # (at 1 every action is random and the agent is gone from the samples: interrogators pushed
            # there, and a newcomer's runs failed on both seeds)
            return gym.spaces.Box(0.0, DISCRETE_PUSH, shape=(1,), dtype=np.float64)
        raise ConfigError(
            f"{self.env_id} has action space {space}: the gym wrapper takes Box and Discrete actions; give the "
            "environment one of those (a gymnasium wrapper can map it)"
        )

    def passive_schedule(self) -> np.ndarray:
        """No push (the plain gymnasium environment), or the push nearest 0: [T, k]."""
        low, high = self.stimulus_space.low.astype(float), self.stimulus_space.high.astype(float)
        return np.tile(np.clip(0.0, low, high), (self.config.steps, 1))

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> GymState:
        physics, obs = self.physics.reset(rng, tuple(shape))
        return GymState(physics, obs, np.zeros(tuple(shape), dtype=bool))

    def step(self, state: GymState, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator):
        """The agent (params [..., d], broadcast against the batch) acts on its observation, the
        push (stimulus [..., k]) disturbs, the physics steps: (state, features [..., F])."""
        try:
            action = self.policy(params, state.obs.astype(np.float64))
        except (TypeError, ValueError, IndexError) as e:  # a policy written for one episode
            name = self.policy.__name__ if isinstance(self.policy, FunctionType) else "the policy"
            raise ContractViolation(
                f"{name}(params, obs) raised {type(e).__name__}: {e}; a policy is batched: params [..., d] and obs "
                "[..., o], every leading axis an episode, give the actions [..., a] (Discrete: [...]); index the last "
                "axis (params[..., 0]) and use numpy, not float(), math or if on an array"
            ) from e
        action = self._checked(action, state.done.shape)
        push = np.broadcast_to(stimulus, (*state.done.shape, stimulus.shape[-1]))
        if self._replaces:  # Discrete actions: the push is the chance the agent's action is replaced
            chance = push[..., 0]
            if np.any(chance > 0):
                taken = rng.random(chance.shape) < chance
                drawn = rng.integers(self.physics.action_space.n, size=chance.shape)
                action = np.where(taken, drawn, np.broadcast_to(action, chance.shape))
            push = None
        physics, obs, ended = self.physics.step(state.physics, action, push, state.done)
        obs = np.where(state.done[..., None], state.obs, obs)
        done = state.done | ended
        return GymState(physics, obs, done), np.asarray(
            self.features(obs.astype(np.float64)), dtype=np.float64
        )

    def _checked(self, action, batch: tuple[int, ...]) -> np.ndarray:
        """The policy's ``action`` for a batch of shape ``batch``, or a ValueError that says what
        shape it must have: ``[..., a]`` for Box actions, ``[...]`` for Discrete ones."""
        action = np.asarray(action)
        space = self.physics.action_space
        want = (*batch, *space.shape) if isinstance(space, gym.spaces.Box) else batch
        try:
            fits = np.broadcast_shapes(action.shape, want) == want
        except ValueError:
            fits = False
        k = len(space.shape) if isinstance(space, gym.spaces.Box) else 0
        if k and action.shape[action.ndim - k :] != space.shape:  # an action's own axes are not broadcast
            fits = False
        if fits:
            return action
        name = self.policy.__name__ if isinstance(self.policy, FunctionType) else "the policy"
        hint = (
            " (a one-dimensional Box action keeps its last axis: return u[..., None])"
            if isinstance(space, gym.spaces.Box) and action.shape == batch and space.shape == (1,)
            else ""
        )
        form = f"[..., {', '.join(map(str, space.shape))}]" if isinstance(space, gym.spaces.Box) else "[...] (integers)"
        raise ValueError(
            f"{name}(params, obs) returned actions of shape {action.shape} for a batch {batch}: a policy returns "
            f"{form} for the action space {space}, batched like obs without its last axis{hint}"
        )


class GymEnv(gym.Env):
    """One episode of a :class:`GymSim` as a plain gymnasium environment, seen from the
    interrogator's side: the action is the push, the observation the features; the agent
    (``params``, default: the truth) is hidden inside. Truncated after ``steps`` steps."""

    metadata: ClassVar[dict] = {"render_modes": []}
    sim_class: ClassVar[type]

    def __init__(self, params=None, **kwargs):
        self.sim = self.sim_class(**kwargs)
        self.params = self.sim.truth if params is None else np.asarray(params, dtype=float)
        n = len(self.sim.feature_names)
        space = self.sim.feature_space
        self.observation_space = (
            gym.spaces.Box(space.low.astype(np.float64), space.high.astype(np.float64), dtype=np.float64)
            if space is not None
            else gym.spaces.Box(-np.inf, np.inf, shape=(n,), dtype=np.float64)
        )
        self.action_space = self.sim.stimulus_space
        self._state, self._t = None, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state, self._t = self.sim.reset(self.np_random, ()), 0
        feats = self.sim.features(self._state.obs.astype(np.float64))
        return np.asarray(feats, dtype=np.float64), {}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        push = np.clip(
            np.asarray(action, dtype=float).reshape(-1), self.action_space.low, self.action_space.high
        )
        self._state, feats = self.sim.step(self._state, self.params, push, self.np_random)
        self._t += 1
        return feats, 0.0, bool(self._state.done), self._t >= self.sim.config.steps, {}


# --- turinglearn/Gym-v0: the generic wrapper from a config ------------------------------------


def load_object(path: str, key: str):
    """``"module:attribute"`` -> the attribute, or a ConfigError naming ``key``."""
    module, sep, name = path.partition(":")
    if not sep or not module or not name:
        raise ConfigError(f"must be 'module:name' (e.g. 'mypackage.policies:pd'), got {path!r}", key)
    try:
        import_user_module(module)
        return getattr(sys.modules[module], name)
    except ModuleNotFoundError as e:
        where = "" if e.name != module.split(".", 1)[0] else (
            f" (run from the folder that holds {module.replace('.', '/')}.py, or put that folder on PYTHONPATH)"
        )
        raise ConfigError(f"cannot load {path!r}: {e}{where}", key) from None
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"cannot load {path!r}: {e}", key) from None


@dataclass(frozen=True)
class GymConfig:
    """Settings of ``turinglearn/Gym-v0``: a hidden agent in any gymnasium environment.

    gym_id: the gymnasium id: a built-in one, one that the policy's module registers (it is
    imported first), or gymnasium's ``"module:Name-v0"`` (another id than the default needs a
    policy of its own); policy: ``"module:function"``, a batched
    ``policy(params[..., d], obs[..., o]) -> action``; names / lower / upper: the model
    family; truth: the hidden agent's parameters; steps: per trial; push: the interrogator's
    push bound, added to Box actions (0: a quarter of the action range), or one bound per
    action component (``[0, 1.0]``: the first never pushed, the second by up to 1); for Discrete
    actions the largest probability that the agent's action is replaced by a random one (0: 0.25);
    backend: ``auto``, ``numpy`` or ``vector``; features: ``"module:function"``, ``features(obs[..., o]) -> [..., F]``,
    what a discriminator sees ("": the observation normalised by its finite bounds);
    feature_names: one per feature (needed with ``features``; without it: ``obs_0``, ``obs_1``, ...);
    env_kwargs: a table of the environment's constructor arguments, passed to ``gymnasium.make``
    (``env_kwargs = {g = 9.81}``).
    """

    gym_id: str = "Pendulum-v1"
    policy: str = "turinglearn.environments.gym_tasks:pd_policy"
    names: tuple[str, ...] = ("kp", "kd")
    lower: tuple[float, ...] = (0.0, 0.0)
    upper: tuple[float, ...] = (20.0, 5.0)
    truth: tuple[float, ...] = field(default=(10.0, 2.0))
    steps: int = 100
    push: float | tuple[float, ...] = 0.0
    backend: str = "auto"
    features: str = ""
    feature_names: tuple[str, ...] = ()
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        check_at_least(self, steps=1)
        if self.backend not in BACKENDS:
            raise ConfigError(f"must be one of {', '.join(BACKENDS)}, got {self.backend!r}", "backend")
        load_object(self.policy, "policy")  # its module may register the gymnasium id
        if self.features:
            load_object(self.features, "features")
            if not self.feature_names:
                raise ConfigError(
                    "name one feature per value your features function returns (the default names are the "
                    "observation's, obs_0, obs_1, ...)",
                    "feature_names",
                )
        check_gym_id(self.gym_id, "gym_id")
        if self.gym_id != GymConfig.gym_id and self.policy == GymConfig.policy:
            raise ConfigError(
                f"gym_id is {self.gym_id!r} but no policy is set: the default is the pendulum's PD controller "
                "(kp, kd); write the hidden agent as policy = 'module:function' and give its parameters' names, "
                "lower, upper and truth",
                "policy",
            )
        bounds = self.push if isinstance(self.push, tuple) else (self.push,)
        if not bounds or not all(b >= 0 for b in bounds) or (isinstance(self.push, tuple) and not any(bounds)):
            raise ConfigError(
                f"must be 0 (default) or more, or one bound >= 0 per action component, not all 0; got {self.push}", "push"
            )
        problem = bound_problem(self.names, self.lower, self.upper)
        if problem is not None:
            key, what = problem
            raise ConfigError(what, key)
        family = BoxFamily(self.names, self.lower, self.upper)
        object.__setattr__(self, "truth", check_truth(self.truth, family))


def check_gym_id(gym_id: str, key: str) -> None:
    """A ConfigError naming ``key`` unless gymnasium can make ``gym_id``: a registered id, or
    gymnasium's ``"module:Name-v0"``, whose module is imported first (as ``gymnasium.make`` does)."""
    module, sep, name = gym_id.rpartition(":")
    if sep and (not module or not name):
        raise ConfigError(f"must be 'Name-v0' or 'module:Name-v0', got {gym_id!r}", key)
    if sep:
        try:
            import_user_module(module)
        except Exception as e:  # the user's module: a syntax error or a failure while importing it too
            raise ConfigError(
                f"cannot import {module!r} for the gymnasium id {gym_id!r} ({type(e).__name__}: {e})", key
            ) from None
    if name not in gym.registry:
        import difflib

        near = difflib.get_close_matches(name, list(gym.registry), n=1, cutoff=0.8)
        if near:
            raise ConfigError(f"unknown gymnasium id {name!r}: did you mean {near[0]!r}?", key)
        where = (
            f"module {module!r} was imported but does not register it (gymnasium.register({name!r}, ...))"
            if sep
            else f"register it with gymnasium.register({name!r}, ...) before building the GymSim, or name the module "
            f"that registers it, as 'module:{name}'"
            if key == "env_id"
            else "register it with gymnasium.register in the policy's module (it is imported first) or name the "
            f"module that registers it, as 'module:{name}'"
        )
        raise ConfigError(f"unknown gymnasium id {name!r}: {where}", key)


class GymConfigSim(GymSim):
    """``turinglearn/Gym-v0``: :class:`GymSim` built from a :class:`GymConfig`."""

    config_class = GymConfig

    def __init__(self, config: GymConfig | None = None, **kwargs):
        cfg = config if config is not None else GymConfig(**kwargs)
        family = BoxFamily(cfg.names, cfg.lower, cfg.upper)
        super().__init__(
            cfg.gym_id, load_object(cfg.policy, "policy"), family, cfg.truth, backend=cfg.backend, config=cfg,
            features=load_object(cfg.features, "features") if cfg.features else None,
            feature_names=tuple(cfg.feature_names) or None, env_kwargs=cfg.env_kwargs,
        )  # fmt: skip
        k = self.stimulus_space.shape[0]
        if isinstance(cfg.push, tuple):
            if len(cfg.push) != k:
                raise ConfigError(
                    f"must have one bound per action component ({k} for {cfg.gym_id}), got {len(cfg.push)}", "push"
                )
            bound = np.asarray(cfg.push, dtype=np.float64)
        elif cfg.push > 0:
            bound = np.full(k, float(cfg.push))
        else:
            return
        if self._replaces:  # Discrete actions: the push is a probability, up to the bound
            if bound[0] > 1:
                raise ConfigError(
                    f"{cfg.gym_id} has Discrete actions: the push is the probability that the agent's action is "
                    f"replaced by a random one, at most 1; got {bound[0]:g}",
                    "push",
                )
            self.stimulus_space = gym.spaces.Box(0.0, bound, dtype=np.float64)
        else:
            self.stimulus_space = gym.spaces.Box(-bound, bound, dtype=np.float64)


class GymConfigEnv(GymEnv):
    sim_class = GymConfigSim
