"""Hand-made summary statistics of sets of trajectories, shared by the learners that need a
fixed description of behaviour instead of a learned one: the metric-based baseline
(:mod:`turinglearn.baselines.metric`, its ``histogram`` distance) and the peers of
simulation-based inference (:mod:`turinglearn.peers`, NPE on summaries and ABC-SMC).
"""

from __future__ import annotations

import numpy as np

#: bin edges of the per-step speed histograms: 40 bins on [-1.2, 1.2] (values outside fall in
#: the first or last bin)
HIST_BINS = np.linspace(-1.2, 1.2, 41)


def histograms(x: np.ndarray) -> np.ndarray:
    """x [B, n, F] -> normalised histograms [B, F, bins] over the n values of each feature."""
    b, n, f = x.shape
    nb = len(HIST_BINS) - 1
    idx = np.clip(np.searchsorted(HIST_BINS, x, side="right") - 1, 0, nb - 1)  # [B, n, F]
    flat = (np.arange(b)[:, None, None] * f + np.arange(f)) * nb + idx  # one bin id per value
    counts = np.bincount(flat.ravel(), minlength=b * f * nb).reshape(b, f, nb)
    return counts / n


def histogram_summary(x: np.ndarray) -> np.ndarray:
    """The metric baseline's summary of a set of trajectories: x [B, n, T, F] (``B`` sets of
    ``n`` individuals) -> [B, F * bins], the histograms of every feature's per-step values pooled
    over the set's individuals and steps, flattened feature by feature."""
    b, n, t, f = x.shape
    return histograms(x.reshape(b, n * t, f)).reshape(b, -1)


#: a feature with more than this share of its values outside the bins is warned of
OUTSIDE_SHARE = 0.1


def outside_the_bins(x: np.ndarray, names) -> str | None:
    """A warning's words where features of x [..., F] lie outside the histograms' range, [-1.2,
    1.2], in more than ``OUTSIDE_SHARE`` of their values (they pile into the end bins, and the
    histograms cannot tell their values apart); None where none do."""
    flat = np.asarray(x, float).reshape(-1, x.shape[-1])
    share = (np.abs(flat) > HIST_BINS[-1]).mean(axis=0)  # [F]
    far = [f"{n} ({100 * v:.0f} %)" for n, v in zip(names, share, strict=True) if v > OUTSIDE_SHARE]
    if not far:
        return None
    return (
        f"feature(s) {', '.join(far)} lie outside the histograms' range [-1.2, 1.2] in that share of the "
        "recording's values, which pile into the end bins: scale the features to about [-1, 1], or give "
        "statistics of your own (learner.peer_summary)"
    )


def checked_statistics(
    fn, x: np.ndarray, key: str, name: str, shape: str, row: str, wrap: bool = True, on: str = ""
) -> np.ndarray:
    """``fn(x)`` of one's own statistics function (``name``, given by the setting ``key``) as an
    array [len(x), k] of finite numbers, else a ConfigError naming the setting: its exception
    (where ``wrap``; else raised as it is), a shape that is not a row per element of x (``shape``:
    x's, as "[S, T, F]"; ``row``: what one element is) or values that are not finite; ``on``
    names the data x holds ("the recording")."""
    from turinglearn.errors import ConfigError

    try:
        out = np.asarray(fn(x), dtype=float)
    except Exception as e:
        if not wrap:
            raise
        where = f"{on}, " if on else ""
        raise ConfigError(f"{name}(x) failed on {where}x of shape {x.shape} ({shape}): {type(e).__name__}: {e}", key) from e
    if out.ndim != 2 or out.shape[0] != len(x):
        raise ConfigError(
            f"{name}(x) returned shape {out.shape} for x of shape {x.shape}: it returns [{shape[1]}, k], one row of "
            f"statistics per {row}",
            key,
        )
    if not np.isfinite(out).all():
        whose = f" ({on}'s)" if on else ""
        raise ConfigError(
            f"{name}(x) returned NaN or infinite statistics for x of shape {x.shape}{whose}: it returns finite numbers",
            key,
        )
    return out
