"""What every batched simulator shares: construction from its config, and the truth as an array."""

from __future__ import annotations

from typing import ClassVar

import numpy as np


class ConfiguredSim:
    """Built from a config object (``Sim(config)``) or its fields (``Sim(steps=100)``)."""

    config_class: ClassVar[type]

    def __init__(self, config=None, **kwargs):
        self.config = config if config is not None else self.config_class(**kwargs)

    @property
    def truth(self) -> np.ndarray:
        """The genuine agents' parameters: [d]."""
        return np.asarray(self.config.truth, dtype=float)
