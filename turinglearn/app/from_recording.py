"""The system a run with ``data`` learns from (:func:`recorded_system`): the recording read for
the simulator's features, the individuals kept out of learning for the held-out tests
(:func:`held_out`), and a warning where the recording holds too few for them."""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import is_interactive
from turinglearn.errors import ConfigError, warn


def held_out(rec, share: float, seed: int) -> np.ndarray:
    """Which of a recording's individuals [N] (bool) are kept out of learning for the held-out
    tests: ``share`` of them, at least one, drawn from the root ``seed``'s ``holdout`` stream;
    read in windows, whole tracks (``rec.groups``), so no track serves both."""
    from turinglearn.core.random import stream

    units = np.arange(len(rec.x)) if rec.groups is None else np.unique(rec.groups, return_inverse=True)[1]
    n = int(units.max()) + 1
    if n < 2:
        raise ConfigError(
            "keeps individuals out of learning for the tests; the recording has one "
            + ("track" if rec.groups is not None else "individual") + ": record more, or set data_holdout = 0",
            "data_holdout",
        )
    k = min(n - 1, max(1, round(share * n)))
    kept = stream(seed, "holdout").permutation(n)[:k]
    return np.isin(units, kept)


def recorded_system(config, sim):
    """Genuine samples from the recording ``config.data``, counterfeit ones from ``sim``."""
    from turinglearn.core.contracts import feature_space
    from turinglearn.systems.recorded import RecordedSystem, read_recording

    if is_interactive(sim) and not config.learner.passive:
        raise ConfigError(
            "a recording cannot respond to interrogators; learn from it passively: "
            "set learner.passive = true (--passive)",
            "data",
        )
    space = sim.stimulus_space if is_interactive(sim) else None  # an interactive system's stimuli may be recorded
    rec = read_recording(config.data, sim.feature_names, sim.config.steps, feature_space(sim), space, config.data_windows)
    lc, ev = config.learner, config.evaluation
    held = held_out(rec, config.data_holdout, config.seed) if config.data_holdout else None
    system = RecordedSystem(sim, rec, lc.trials_per_model, lc.genuine_per_trial, lc.recorded_samples, held)
    from turinglearn.app.stopping import evaluation_batch
    from turinglearn.core.trust import EFFORT

    asked = evaluation_batch(config) if ev.c2st_trials else 0  # the fast test behind the intervals may ask for more
    factor = EFFORT[ev.intervals].trials_factor if ev.intervals != "off" else 1.0
    got, fills, g = system.test_trials(asked), system.fills, lc.genuine_per_trial
    if asked == 0 or (got <= fills and got == asked):
        return system  # no test, or every trial asked for with each individual once
    unit = "individuals" if rec.groups is None else "windows"  # read in windows, a track gives several
    more = unit if rec.groups is None else "tracks, or longer ones"
    tracks = "" if rec.groups is None else f" (cut from {len(np.unique(rec.groups))} tracks)"
    size = f"the recording {config.data!r} has {len(rec.x)} {unit}{tracks}" + (
        f", {len(system.test_on)} of them held out for the tests (data_holdout)" if held is not None else ""
    )
    if got < ev.c2st_folds:
        raise ConfigError(
            f"{size}, which fill {fills} held-out test trials of {g} genuine each, fewer than evaluation.c2st_folds "
            f"= {ev.c2st_folds}; set evaluation.c2st_folds = {got} or fewer, or record at least {ev.c2st_folds * g} "
            f"{unit}" + ("" if rec.groups is None else " (more tracks, or longer ones)"),
            "data",
        )
    if got <= fills:
        enough = int(got // factor)
        what = f"the held-out tests use {got} trials of the {asked} asked, each {unit[:-1]} once, and see less (record more {more}" + (
            f"; set evaluation.c2st_trials = {enough} to ask for that)" if enough >= 2 * ev.c2st_folds else ")"
        )
    else:
        what = (
            f"the held-out tests draw {unit} more than once in their {got} trials and read high (record at "
            f"least {got * g} {unit})"
        )
    warn(f"{size}, too few for evaluation.c2st_trials = {ev.c2st_trials} trials of {g} genuine each: {what}")
    return system
