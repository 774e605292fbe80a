"""Model families: how a parameter row ``theta[d]`` becomes behaviour.

A model family is batched: ``act(theta[..., d], obs[...]) -> action[..., a]`` for any leading
shape, so a whole swarm of whole batches of episodes is one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from turinglearn.errors import ConfigError


@dataclass(frozen=True)
class BoxFamily:
    """Models as plain parameter vectors within box bounds; the simulator interprets them.

    ``BoxFamily(("k", "c"), lower=(0, 0), upper=(1, 1))``.
    """

    names: tuple[str, ...]
    lower_bounds: tuple[float, ...]
    upper_bounds: tuple[float, ...]

    def __init__(self, names: Sequence[str], lower: Sequence[float], upper: Sequence[float]):
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "lower_bounds", tuple(float(v) for v in lower))
        object.__setattr__(self, "upper_bounds", tuple(float(v) for v in upper))
        if not len(self.names) == len(self.lower_bounds) == len(self.upper_bounds):
            raise ValueError(
                f"names, lower and upper must have the same length, got {len(self.names)}, "
                f"{len(self.lower_bounds)} and {len(self.upper_bounds)}"
            )
        bad = [
            f"{n}: lower {lo:g} {'=' if lo == hi else '>'} upper {hi:g}"
            for n, lo, hi in zip(self.names, self.lower_bounds, self.upper_bounds, strict=True)
            if not lo < hi
        ]
        if bad:
            fixed = any(" = upper" in b for b in bad)
            raise ValueError(
                f"every lower bound must be below its upper bound; not so for {'; '.join(bad)}"
                + (" (to hold a parameter fixed, leave it out of the family and set it in the simulator)" if fixed else "")
            )

    @property
    def n_params(self) -> int:
        return len(self.names)

    @property
    def lower(self) -> np.ndarray:
        return np.array(self.lower_bounds)

    @property
    def upper(self) -> np.ndarray:
        return np.array(self.upper_bounds)


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


#: parameters whose ranges lie further apart than this (largest over smallest) cannot share one
#: absolute step size, nor one summed error (app.registry warns; the peer benchmark notes it)
UNITS_APART = 10.0


def ranges_apart(lower, upper) -> float:
    """How far apart the parameters' ranges lie: the largest range over the smallest (1.0 for
    fewer than two parameters)."""
    ranges = np.atleast_1d(np.asarray(upper, float) - np.asarray(lower, float))
    return float(ranges.max() / ranges.min()) if len(ranges) > 1 else 1.0


def bound_problem(names: Sequence[str], lower: Sequence[float], upper: Sequence[float]) -> tuple[str, str] | None:
    """What is wrong with a family's bounds, as (the setting to blame, ``lower`` or ``upper``;
    the sentence), or None: one bound per name, each lower bound below its upper one."""
    for key, bounds in (("lower", lower), ("upper", upper)):
        if len(bounds) != len(names):
            return key, f"must have one bound per name ({len(names)}: {', '.join(names)}), got {len(bounds)}"
    below = [str(n) for n, lo, hi in zip(names, lower, upper, strict=True) if not lo < hi]
    if below:
        return "lower", f"every lower bound must be below its upper bound; not so for {', '.join(below)}"
    return None


def check_truth(truth: Sequence[float], family, key: str = "truth") -> tuple[float, ...]:
    """A ground truth as a tuple of floats, or a ConfigError: it must have one value per
    parameter of ``family`` and lie within the family's bounds."""
    truth = tuple(float(v) for v in truth)
    names, lo, hi = family.names, family.lower, family.upper
    if len(truth) != len(names):
        raise ConfigError(f"needs {len(names)} values ({', '.join(names)}), got {len(truth)}", key)
    outside = [
        f"{n} = {v:g} not in [{a:g}, {b:g}]"
        for n, v, a, b in zip(names, truth, lo, hi, strict=True)
        if not a <= v <= b
    ]
    if outside:
        raise ConfigError(
            f"{list(truth)} lies outside the model's bounds ({'; '.join(outside)}); give values within them",
            key,
        )
    return truth
