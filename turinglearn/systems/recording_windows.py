"""Tracks of any length, with gaps, cut into the windows a simulator's trials are.

Animals are tracked for as long as they stay in view, and a tracker loses frames: a lab's
recording has individuals of different lengths and missing values. A simulator's trial is
``T`` steps, every value present. :func:`cut_windows` reads each individual's track on its own
step numbers, takes every stretch of steps with every feature (and stimulus) present, and
cuts each stretch into consecutive windows of ``T`` steps (the remainder of a stretch is left
out). Each window becomes an individual of the recording; ``groups`` keeps the individual it
came from, so that the held-out tests keep an animal's windows on one side of their folds (a
classifier that saw one of its windows in training would know the others by the animal's own
ways: ``data_windows`` in docs/swarms.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from turinglearn.errors import ConfigError


class NoWindows(ConfigError):
    """A recording with no stretch of the simulator's steps with every value present; ``info``:
    its individuals and rows, which a folder counts among those it read."""

    def __init__(self, message: str, key: str, info: dict):
        super().__init__(message, key)
        self.info = info


def cut_windows(
    values: np.ndarray, stimuli: np.ndarray | None, ids: np.ndarray, t: np.ndarray, steps: int, path: Path
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict]:
    """Rows of a recording (values [rows, F], stimuli [rows, k] or None, the individual ``ids``
    [rows] and ``t`` [rows] of each) cut into windows of ``steps`` steps, each with every value
    finite: (x [N, steps, F], stimulus [N, steps, k] or None, groups [N] (the individual of
    each window), what the cut kept: ``{"individuals", "windows", "rows", "rows_used",
    "without_window"}``). A step given twice for one individual, or no window at all, is a
    ConfigError."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    present = np.isfinite(values).all(axis=1)
    if stimuli is not None:
        present &= np.isfinite(stimuli).all(axis=1)
    xs, us, groups, empty = [], [], [], 0
    order = np.lexsort((t, inverse))
    starts = np.searchsorted(inverse[order], np.arange(len(uniq)))
    ends = np.append(starts[1:], len(order))
    for i, who in enumerate(uniq):
        rows = order[starts[i] : ends[i]]  # this individual's rows, by step
        tt = t[rows]
        if np.any(np.diff(tt) == 0):
            dup = int(tt[np.flatnonzero(np.diff(tt) == 0)[0]])
            raise ConfigError(
                f"recording {str(path)!r}: individual {who} has step {dup} more than once; each step of an "
                "individual is one row",
                "data",
            )
        kept = 0
        # stretches: consecutive step numbers, every value present
        ok = present[rows]
        breaks = np.flatnonzero((np.diff(tt) != 1) | ~ok[1:] | ~ok[:-1]) + 1
        for part in np.split(np.arange(len(rows)), breaks):
            part = part[ok[part]]
            for w in range(len(part) // steps):
                chosen = rows[part[w * steps : (w + 1) * steps]]
                xs.append(values[chosen])
                if stimuli is not None:
                    us.append(stimuli[chosen])
                groups.append(who)
                kept += 1
        empty += kept == 0
    if not xs:
        raise NoWindows(
            f"recording {str(path)!r} has no stretch of {steps} consecutive steps with every value present in any "
            f"of its {len(uniq)} individuals; the simulator's trials are {steps} steps: build it with fewer steps, "
            "or fill short gaps in the tracks (and have the simulator lose and fill frames the same way)",
            "data",
            {"individuals": len(uniq), "rows": len(values)},
        )
    x = np.stack(xs)
    info = {
        "individuals": len(uniq),
        "windows": len(x),
        "rows": len(values),
        "rows_used": int(len(x) * steps),
        "without_window": int(empty),
    }
    return x, (np.stack(us) if stimuli is not None else None), np.asarray(groups), info


def windows_line(info: dict, steps: int) -> str:
    """One line on what :func:`cut_windows` kept (``info``'s ``folds``: the held-out tests', 5)."""
    share = info["rows_used"] / max(1, info["rows"])
    lost = f"; {info['without_window']} gave none (shorter, or gappy)" if info["without_window"] else ""
    if info.get("files_without_window"):
        lost += f"; {info['files_without_window']} file(s) of the folder gave none"
    kept = info["individuals"] - info["without_window"]  # the individuals the windows came from
    folds = (
        "an individual's windows stay on one side of the held-out tests' folds"
        + (f" (a fold each: {kept} individuals)" if 2 <= kept < info.get("folds", 5) else "")
        if kept >= 2
        else "all from one individual, whose windows the held-out tests cannot keep apart from each other: "
        "they read high; record more individuals"
    )
    return (
        f"recording cut into {info['windows']} windows of {steps} steps from {info['individuals']} individuals "
        f"({100 * share:.0f} % of its rows{lost}); {folds}"
    )
