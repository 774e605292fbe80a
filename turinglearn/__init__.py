"""turinglearn: Turing Learning, inferring behaviour with competing models and discriminators.

``turinglearn.learn("aggregation")`` runs a whole experiment; the pieces it composes
(:mod:`~turinglearn.core`, :mod:`~turinglearn.learner`, :mod:`~turinglearn.optimizers`,
:mod:`~turinglearn.discriminators`, :mod:`~turinglearn.systems`) are public too. Importing the
package registers the ``turinglearn/...`` gymnasium environments (when gymnasium is installed:
the GAN backend, :mod:`turinglearn.gan`, does not need it); torch is never imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

try:
    from .environments import register_envs as _register_envs
except ModuleNotFoundError as _e:  # no gymnasium (or a source tree that is not installed):
    if _e.name not in ("gymnasium", "turinglearn.environments"):  # the GAN backend works without them
        raise
else:
    _register_envs()

_LAZY = {
    "learn": "turinglearn.experiment",
    "build": "turinglearn.experiment",
    "LearnResult": "turinglearn.experiment",
    "Config": "turinglearn.config",
    "load_config": "turinglearn.config",
    "TuringLearner": "turinglearn.learner",
    "Generation": "turinglearn.learner",
    "SelfAdaptiveES": "turinglearn.optimizers",
    "ESConfig": "turinglearn.optimizers",
    "ElmanNetwork": "turinglearn.discriminators",
    "SwarmSystem": "turinglearn.systems",
    "SampleBatch": "turinglearn.core",
    "ConfigError": "turinglearn.errors",
    "check_environment": "turinglearn.checks",
    "check_model_family": "turinglearn.checks",
    "check_discriminator": "turinglearn.checks",
    "ContractError": "turinglearn.checks",
    "record": "turinglearn.recordings",
    "read_recording": "turinglearn.recordings",
    "GymSim": "turinglearn.environments.gym_wrapper",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .checks import ContractError, check_discriminator, check_environment, check_model_family
    from .config import Config, load_config
    from .core import SampleBatch
    from .discriminators import ElmanNetwork
    from .environments.gym_wrapper import GymSim
    from .errors import ConfigError
    from .experiment import LearnResult, build, learn
    from .learner import Generation, TuringLearner
    from .optimizers import ESConfig, SelfAdaptiveES
    from .recordings import read_recording, record
    from .systems import SwarmSystem


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'turinglearn' has no attribute {name!r}")
