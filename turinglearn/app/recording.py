"""Writing a recording of an environment's ground truth (``turinglearn record``); the file format
and the system that learns from one are :mod:`turinglearn.systems.recorded`, and how a run's
config builds that system is :mod:`turinglearn.app.from_recording`."""


from __future__ import annotations

from pathlib import Path

import numpy as np

from turinglearn.core.contracts import is_interactive
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError, TuringLearnError
from turinglearn.systems.recorded import simulate_models
from turinglearn.systems.recording_files import write_recording


def record(
    config=None,
    out: str | Path | None = None,
    trials: int = 100,
    seed: int | None = None,
    overwrite: bool = False,
    simulator=None,
    schedules=None,
) -> Path:
    """Write a recording of the ground truth of ``config``'s environment (a preset name, a
    TOML path or a :class:`~turinglearn.config.Config`), or of ``simulator``, a simulator object
    of one's own (then ``config`` may be left out): ``trials`` swarms (every robot is an
    individual) or passive trials. Returns the path written; an existing file is replaced only
    with ``overwrite``, and is checked before anything is simulated. A config that names no
    environment (the ``own-system`` preset) is refused: it would record aggregation; with
    neither a config nor a simulator, the aggregation preset is recorded. ``schedules`` [trials, T,
    k] (an interactive simulator's): trial i runs under ``schedules[i]`` instead of the passive
    schedule, and the file records them (columns ``stimulus_0 ..``), as a lab's protocols would be."""
    from turinglearn.app.build import make_simulator
    from turinglearn.app.preflight import check_names_an_environment, refuse_simulator_as_config
    from turinglearn.config import Config, load_config
    from turinglearn.core.contracts import check_instance

    refuse_simulator_as_config(config, "record(out=..., simulator={name}(...))")
    if out is None:
        raise TypeError("record() needs out, the file to write (.npz, .csv or .parquet)")
    if simulator is not None:
        check_instance(simulator)
    if config is None:
        config = "own-system" if simulator is not None else "aggregation"
    from turinglearn.config.gan import GANConfig

    cfg = config if isinstance(config, (Config, GANConfig)) else load_config(config)
    if not isinstance(cfg, Config):  # a GAN's: images, not a system's trajectories
        raise TuringLearnError(
            f"{cfg.name if isinstance(config, GANConfig) else config} is a GAN config: a recording holds a system's trajectories, and a GAN learns from images "
            "(give them as data: a folder of PNG/JPEG files or a .npy array)"
        )
    if simulator is None:
        check_names_an_environment(config, {}, cfg)
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    out = Path(out)
    if out.is_dir():
        raise TuringLearnError(f"--out {str(out)!r} is a directory; give a file name (.npz, .csv or .parquet)")
    if out.exists() and not overwrite:
        raise TuringLearnError(f"--out {str(out)!r} exists; choose another file, or replace it with --overwrite")
    sim = simulator if simulator is not None else make_simulator(cfg)
    if "truth" not in dir(sim) or sim.truth is None:
        from turinglearn.app.preflight import truth_advice

        what = type(sim).__name__ if simulator is not None else cfg.environment.id
        raise TuringLearnError(
            f"{what} has no truth to record: a recording is of the system's ground truth, so "
            + ("give the simulator a truth inside its bounds" if simulator is not None else truth_advice(cfg))
        )
    if schedules is not None:
        schedules = np.asarray(schedules, dtype=float)
        k = int(np.prod(sim.stimulus_space.shape)) if is_interactive(sim) else 0
        if schedules.shape != (trials, sim.config.steps, k):
            raise ConfigError(
                f"schedules must be [trials, T, k] = [{trials}, {sim.config.steps}, {k}] for this simulator, got "
                f"{schedules.shape}" + ("" if k else " (a swarm takes no stimuli)")
            )
    rng = stream(cfg.seed if seed is None else seed, "recording")
    feats = simulate_models(sim, np.tile(sim.truth, (trials, 1)), rng, schedules)  # [trials, r, T, F]
    x = feats.reshape(-1, *feats.shape[2:])
    return write_recording(
        out, x, sim.feature_names, truth=sim.truth, overwrite=overwrite, stimulus=schedules,
        truth_names=sim.model_family.names,
    )  # fmt: skip
