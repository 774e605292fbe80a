"""A gymnasium VectorEnv over a batched swarm simulator, shared by the swarm environments."""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

import gymnasium as gym
import numpy as np


class SwarmVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` swarms stepped together by the batched simulator (``gymnasium.make_vec``).

    Subclasses name their one-swarm ``gymnasium.Env`` in ``single_env_class`` (which must have
    ``sim``, ``observation_space``, ``action_space`` and ``_genuine``); the spaces are its
    spaces, batched: the agent drives every swarm's replicas, the genuine agents run the truth.
    All swarms have the same trial length, so they truncate together; autoreset is
    ``NEXT_STEP``: the step after a truncation resets every swarm and returns the first
    observation. ``info`` holds the swarms' state arrays and, after a step, ``features``.
    """

    metadata: ClassVar[dict] = {"render_modes": [], "autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP}
    single_env_class: ClassVar[type]
    obs_dtype: ClassVar[type] = np.int8

    def __init__(self, num_envs: int = 1, **kwargs):
        from gymnasium.vector.utils import batch_space

        single = self.single_env_class(**kwargs)
        self.sim = single.sim
        self.num_envs = num_envs
        self.single_observation_space = single.observation_space
        self.single_action_space = single.action_space
        self.observation_space = batch_space(single.observation_space, num_envs)
        self.action_space = batch_space(single.action_space, num_envs)
        self._genuine = single._genuine
        self._state = None
        self._t = 0
        self._needs_reset = False

    def _obs(self) -> np.ndarray:
        return self.sim.sense(self._state)[:, ~self._genuine].astype(self.obs_dtype)

    def _info(self) -> dict:
        return {f.name: getattr(self._state, f.name).copy() for f in fields(self._state)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(seed)
        self._state = self.sim.reset(self.np_random, self.num_envs)
        self._t, self._needs_reset = 0, False
        return self._obs(), self._info()

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        b = self.num_envs
        if self._needs_reset:
            obs, info = self.reset()
            zeros = np.zeros(b, dtype=bool)
            return obs, np.zeros(b), zeros, zeros.copy(), info
        cfg = self.sim.config
        sensor = self.sim.sense(self._state)
        wheels = self.sim.model_family.act(
            self.sim.swarm_params(np.zeros((b, self.sim.model_family.n_params))), sensor
        )
        wheels[:, cfg.n_agents :] = np.asarray(actions, dtype=float).reshape(b, cfg.n_replicas, 2)
        self._state, features = self.sim.step(self._state, wheels)
        self._t += 1
        done = self._t >= cfg.steps
        self._needs_reset = done
        info = {"features": features, **self._info()}
        return self._obs(), np.zeros(b), np.zeros(b, dtype=bool), np.full(b, done), info
