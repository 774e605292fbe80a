"""turinglearn: Turing Learning, inferring behaviour with competing models and discriminators.

``turinglearn.learn("aggregation")`` runs a whole experiment; the pieces it composes
(:mod:`~turinglearn.core`, :mod:`~turinglearn.core.learner`, :mod:`~turinglearn.core.optimizers`,
:mod:`~turinglearn.families`, :mod:`~turinglearn.systems`) are public too. Importing the
package registers the ``turinglearn/...`` gymnasium environments (when gymnasium is installed:
the GAN backend, :mod:`turinglearn.gan`, does not need it); torch is never imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

try:
    from turinglearn.environments import register_envs as _register_envs
except ModuleNotFoundError as _e:  # no gymnasium (or a source tree that is not installed):
    if _e.name not in ("gymnasium", "turinglearn.environments"):  # the GAN backend works without them
        raise
else:
    _register_envs()

_LAZY = {
    "learn": "turinglearn.app.driver",
    "resume": "turinglearn.app.driver",
    "build": "turinglearn.app.build",
    "LearnResult": "turinglearn.app.results",
    "SwarmResult": "turinglearn.app.results",
    "Stop": "turinglearn.app.stopping",
    "read_run": "turinglearn.app.results",
    "sample_run": "turinglearn.app.sampling",
    "Config": "turinglearn.config",
    "load_config": "turinglearn.config",
    "TuringLearner": "turinglearn.core.learner",
    "Generation": "turinglearn.core.contracts",
    "SelfAdaptiveES": "turinglearn.core.optimizers",
    "ESConfig": "turinglearn.core.optimizers",
    "ElmanNetwork": "turinglearn.families.elman",
    "SwarmSystem": "turinglearn.systems.swarm",
    "InteractiveSystem": "turinglearn.systems.interactive",
    "WITHOUT_MEMORY": "turinglearn.config",
    "SampleBatch": "turinglearn.core.contracts",
    "ConfigError": "turinglearn.errors",
    "ContractViolation": "turinglearn.errors",
    "TuringLearnWarning": "turinglearn.errors",
    "check_environment": "turinglearn.app.checks",
    "check_model_family": "turinglearn.app.checks",
    "check_discriminator": "turinglearn.app.checks",
    "check_optimizer": "turinglearn.app.optimizer_checks",
    "ContractError": "turinglearn.app.checks",
    "record": "turinglearn.app.recording",
    "read_recording": "turinglearn.systems.recording_files",
    "GymSim": "turinglearn.environments.gym_wrapper",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from turinglearn.app.build import build
    from turinglearn.app.checks import (
        ContractError,
        check_discriminator,
        check_environment,
        check_model_family,
    )
    from turinglearn.app.driver import learn, resume
    from turinglearn.app.optimizer_checks import check_optimizer
    from turinglearn.app.recording import record
    from turinglearn.app.results import LearnResult, SwarmResult, read_run
    from turinglearn.app.sampling import sample_run
    from turinglearn.app.stopping import Stop
    from turinglearn.config import WITHOUT_MEMORY, Config, load_config
    from turinglearn.core.contracts import Generation, SampleBatch
    from turinglearn.core.learner import TuringLearner
    from turinglearn.core.optimizers import ESConfig, SelfAdaptiveES
    from turinglearn.environments.gym_wrapper import GymSim
    from turinglearn.errors import ConfigError, ContractViolation, TuringLearnWarning
    from turinglearn.families.elman import ElmanNetwork
    from turinglearn.systems.interactive import InteractiveSystem
    from turinglearn.systems.recording_files import read_recording
    from turinglearn.systems.swarm import SwarmSystem


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        # the public names load their module on first use (PEP 562), so importing the package
        # stays light: a name lookup, not a capability probe
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'turinglearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names too (loaded on first use), so dir() and tab completion show the API."""
    return sorted({*globals(), *_LAZY})
