"""Writing a recording of an environment's ground truth (``turinglearn record``); the file format
and the system that learns from one are :mod:`turinglearn.systems.recorded`."""


from __future__ import annotations

from pathlib import Path

import numpy as np

from turinglearn.core.random import stream
from turinglearn.errors import ConfigError, TuringLearnError
from turinglearn.systems.recorded import simulate_models
from turinglearn.systems.recording_files import write_recording


def record(
    config, out: str | Path, trials: int = 100, seed: int | None = None, overwrite: bool = False
) -> Path:
    """Write a recording of the ground truth of ``config``'s environment (a preset name, a
    TOML path or a :class:`~turinglearn.config.Config`): ``trials`` swarms (every robot is an
    individual) or passive trials. Returns the path written; an existing file is replaced only
    with ``overwrite``, and is checked before anything is simulated."""
    from turinglearn.app.build import make_simulator
    from turinglearn.config import Config, load_config

    cfg = config if isinstance(config, Config) else load_config(config)
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    out = Path(out)
    if out.is_dir():
        raise TuringLearnError(f"--out {str(out)!r} is a directory; give a file name (.npz, .csv or .parquet)")
    if out.exists() and not overwrite:
        raise TuringLearnError(f"--out {str(out)!r} exists; choose another file, or replace it with --overwrite")
    sim = make_simulator(cfg)
    if "truth" not in dir(sim) or sim.truth is None:
        from turinglearn.app.preflight import truth_advice

        raise TuringLearnError(
            f"{cfg.environment.id} has no truth to record: a recording is of the system's ground truth, so "
            f"{truth_advice(cfg)}"
        )
    rng = stream(cfg.seed if seed is None else seed, "recording")
    feats = simulate_models(sim, np.tile(sim.truth, (trials, 1)), rng)  # [trials, r, T, F]
    x = feats.reshape(-1, *feats.shape[2:])
    return write_recording(out, x, sim.feature_names, truth=sim.truth, overwrite=overwrite)
