"""Typed, validated experiment configs, read from TOML presets or files.

:mod:`~turinglearn.config.sections` holds the evolutionary run's sections and :class:`Config`
(:mod:`~turinglearn.config.learner` its ``[learner]``),
:mod:`~turinglearn.config.gan` the GAN's, :mod:`~turinglearn.config.load` reads presets, files
and ``--set`` overrides, :mod:`~turinglearn.config.schema` validates tables into dataclasses.
"""

from turinglearn.config.learner import WITHOUT_MEMORY
from turinglearn.config.load import load_config, parse_override, presets, read_source, to_toml
from turinglearn.config.run import AVERAGES, TRACKS, EvaluationConfig, ExecutionConfig
from turinglearn.config.sections import (
    Config,
    DiscriminatorConfig,
    EnvironmentConfig,
    LearnerConfig,
    ModelConfig,
    from_dict,
    validate_environment,
)

__all__ = [
    "AVERAGES",
    "TRACKS",
    "WITHOUT_MEMORY",
    "Config",
    "DiscriminatorConfig",
    "EnvironmentConfig",
    "EvaluationConfig",
    "ExecutionConfig",
    "LearnerConfig",
    "ModelConfig",
    "from_dict",
    "load_config",
    "parse_override",
    "presets",
    "read_source",
    "to_toml",
    "validate_environment",
]
