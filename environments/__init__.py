"""turinglearn's simulated systems, registered with gymnasium as ``turinglearn/<Name>-v<k>``.

Installed as :mod:`turinglearn.environments` (the repository folder is ``environments/``).
Importing :mod:`turinglearn` registers them, so ``gymnasium.make("turinglearn/Aggregation-v0")``
works afterwards. Each id also names a batched simulator (``sim_entry_point``) that the learner
uses; the gymnasium class wraps one episode of it.
"""

from __future__ import annotations

import importlib

import gymnasium as gym

#: id -> (gymnasium entry point, batched simulator, config class, one-line description)
ENVIRONMENTS: dict[str, tuple[str, str, str, str]] = {
    "turinglearn/Aggregation-v0": (
        "turinglearn.environments.aggregation:AggregationEnv",
        "turinglearn.environments.aggregation:AggregationSim",
        "turinglearn.environments.aggregation:AggregationConfig",
        "e-puck swarm aggregation with a binary line-of-sight sensor (Li, Gauci & Gross 2016)",
    ),
}


def register_envs() -> None:
    """Register every turinglearn environment with gymnasium (idempotent)."""
    for env_id, (entry, *_rest) in ENVIRONMENTS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry, disable_env_checker=False)


def _load(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def sim_class(env_id: str):
    """The batched simulator class for an id; raises KeyError if it is not a turinglearn id."""
    return _load(ENVIRONMENTS[env_id][1])


def config_class(env_id: str):
    return _load(ENVIRONMENTS[env_id][2])
