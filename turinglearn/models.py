"""Model families: how a parameter row ``theta[d]`` becomes behaviour.

A model family is batched: ``act(theta[..., d], obs[...]) -> action[..., a]`` for any leading
shape, so a whole swarm of whole batches of episodes is one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReactiveController:
    """A reactive controller: one pair of normalised wheel speeds (left, right) per sensor state.

    ``theta = (v_l0, v_r0, v_l1, v_r1, ...)`` in ``[-1, 1]^(2 S)`` for ``S`` sensor states; the
    wheels turn at ``theta[2 s], theta[2 s + 1]`` while the sensor reads ``s``.
    """

    n_states: int = 2

    @property
    def n_params(self) -> int:
        return 2 * self.n_states

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"v_{side}{s}" for s in range(self.n_states) for side in ("l", "r"))

    @property
    def lower(self) -> np.ndarray:
        return -np.ones(self.n_params)

    @property
    def upper(self) -> np.ndarray:
        return np.ones(self.n_params)

    def act(self, theta: np.ndarray, sensor: np.ndarray) -> np.ndarray:
        """theta: [..., 2 S]; sensor: [...] ints in [0, S); returns wheels [..., 2]."""
        pairs = theta.reshape(*theta.shape[:-1], self.n_states, 2)  # [..., S, 2]
        idx = np.broadcast_to(sensor[..., None, None], (*sensor.shape, 1, 2))
        return np.take_along_axis(pairs, idx, axis=-2)[..., 0, :]
