"""Samples from a finished run (``turinglearn sample``, :func:`sample_run`): a GAN's images
from its trained generator; an evolutionary run's trials of its inferred model beside the
system's, as its held-out test compares them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from turinglearn.errors import RunDirError, TuringLearnError

#: what an interactive system's trials may run under here (turinglearn.systems.interactive)
SCHEDULES = ("random", "passive")


def sample_run(
    run_dir, n: int = 64, seed: int = 0, schedule: str | None = None, simulator=None
) -> dict[str, Any]:
    """``n`` samples of the finished run in ``run_dir``, drawn with their own generator of
    ``seed`` (the same each time; the run's streams are not touched).

    A GAN run: ``images`` [n, C, S, S] in [-1, 1] from ``generator.pt`` (sampled in batches of
    the run's ``learner.batch``, normalised as in training). An evolutionary run (a simulator it
    can rebuild from config.toml, or a recording): ``genuine`` [n, g, T, F] trials of the system
    and ``counterfeit`` [n, r, T, F] of the inferred model (summary.json's ``inferred``, as
    ``theta`` [d]), with ``feature_names``; an interactive system's trials run under ``schedule``
    (``random``: every step's stimulus drawn from the stimulus space, the same for both sides of
    a trial; or ``passive``), given as ``schedule`` (default: ``passive`` for a run that learned
    passively, else ``random``). ``simulator``: the object a
    run of a simulator object ran on (its config.toml cannot rebuild it), as for ``resume``. A
    recording fills at most as many trials as it holds individuals: fewer than ``n`` then."""
    from turinglearn.app.runs import CONFIG_FILE, SUMMARY_FILE, read_status
    from turinglearn.config import from_dict, read_source
    from turinglearn.config.gan import GANConfig
    from turinglearn.environments import OBJECT_PREFIX

    run_dir = Path(run_dir)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise TuringLearnError(f"the number of samples must be a whole number of at least 1, got {n!r}")
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is not a directory; give the run directory that `turinglearn run` wrote")
    status = read_status(run_dir)
    source = read_source(run_dir / CONFIG_FILE)
    if str((source.get("environment") or {}).get("id", "")).startswith(OBJECT_PREFIX):  # made with an object
        if simulator is None:
            raise TuringLearnError(
                f"{run_dir} was run on a simulator object, which its config.toml cannot rebuild; from Python, give "
                f"it: turinglearn.sample_run({str(run_dir)!r}, simulator=YourSimulator(...))"
            )
        from turinglearn.app.object_runs import config_with_simulator

        config = config_with_simulator(run_dir / CONFIG_FILE, simulator)
    else:
        config = from_dict(source)
    if isinstance(config, GANConfig):
        if schedule is not None:
            raise TuringLearnError("a GAN's samples are images: it has no schedule")
        return {"images": _images(run_dir, n, seed)}
    summary_file = run_dir / SUMMARY_FILE
    if not summary_file.is_file():
        raise RunDirError(
            f"{run_dir} has no {SUMMARY_FILE}: the run is not finished, so it has no estimate to sample "
            f"(`turinglearn resume {run_dir}` finishes it)"
        )
    return _trials(run_dir, config, status, summary_file, n, seed, schedule, simulator)


def _images(run_dir: Path, n: int, seed: int):
    import torch

    from turinglearn.gan import load_generator

    g = load_generator(run_dir)
    z = torch.randn((n, g.latent), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():  # in batches of the run's: a batch normalised by its own statistics, as in training
        chunks = [g(chunk) for chunk in z.split(g.batch)]
        if len(chunks) > 1 and len(chunks[-1]) == 1:  # a batch of one has no statistics
            chunks[-2:] = [g(z[-(g.batch + 1) :])]
    return torch.cat(chunks).numpy()


def _trials(run_dir: Path, config, status, summary_file: Path, n: int, seed: int, schedule: str | None, simulator=None):
    import json

    from turinglearn.app.build import build_system
    from turinglearn.app.resuming import data_where_it_ran
    from turinglearn.systems.interactive import InteractiveSystem

    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    theta = np.asarray(summary.get("inferred"), dtype=float)
    config = data_where_it_ran(config, status, lambda message: None)
    system, _ = build_system(config, simulator)  # the config's own simulator where none is given
    family = system.model_family
    if theta.ndim != 1 or len(theta) != family.n_params:
        raise TuringLearnError(
            f"{run_dir}'s estimate is not a row of the model family's {family.n_params} parameters (a policy's or a "
            "program's models are not sampled here)"
        )
    interactive = isinstance(system, InteractiveSystem)
    if schedule is not None and not interactive:
        raise TuringLearnError(f"a schedule drives an interactive system's stimuli; {config.environment.id} has none")
    if schedule is not None and schedule not in SCHEDULES:
        raise TuringLearnError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    # a passive study watched the system under its own schedule: sample it so unless told otherwise
    schedule = schedule or ("passive" if config.learner.passive else "random")
    kwargs = {"schedule": schedule} if interactive else {}
    genuine, counterfeit = system.trajectories(theta[None], np.random.default_rng(seed), n, **kwargs)
    names = system.feature_names if "feature_names" in dir(system) else system.sim.feature_names  # a recording's: its own
    out = {"genuine": genuine[0], "counterfeit": counterfeit[0], "theta": theta, "feature_names": np.array(names)}
    if interactive:
        out["schedule"] = np.array(schedule)
    return out


def sample_command(args) -> int:
    """``turinglearn sample``: :func:`sample_run`'s samples written to ``--out`` (default
    ``RUN_DIR/samples-seedS.png`` for a GAN, ``.npz`` for trials)."""
    samples = sample_run(args.run_dir, args.n, args.seed, args.schedule)
    out = args.out or args.run_dir / f"samples-seed{args.seed}.{'png' if 'images' in samples else 'npz'}"
    what = write_samples(samples, out)
    if "genuine" in samples and len(samples["genuine"]) < args.n:  # a recording fills what it holds
        what += f" ({len(samples['genuine'])} of the {args.n} asked: all the recording's individuals fill)"
    if "theta" in samples:
        what += f" of the inferred model; features {', '.join(map(str, samples['feature_names'].tolist()))}"
    print(f"wrote {out}: {what}")
    return 0


def write_samples(samples: dict[str, Any], out: Path) -> str:
    """Write :func:`sample_run`'s ``samples`` to ``out`` atomically: a GAN's images as a PNG grid
    (``.png``) or an array (``.npy``), trials as ``.npz``; returns what was written, in words."""
    from turinglearn.app.runs import atomic_write

    suffix = out.suffix.lower()
    if "images" in samples:
        images = samples["images"]
        if suffix == ".png":
            import torch

            from turinglearn.app.gan_run import grid_png

            atomic_write(out, grid_png(torch.from_numpy(images)))
        elif suffix == ".npy":
            buf = io.BytesIO()
            np.save(buf, images)
            atomic_write(out, buf.getvalue())
        else:
            raise TuringLearnError(f"--out {out}: a GAN's samples are written as .png (a grid) or .npy (an array)")
        return f"{len(images)} images {list(images.shape[1:])} in [-1, 1]"
    if suffix != ".npz":
        raise TuringLearnError(f"--out {out}: trials are written as .npz (genuine, counterfeit, theta, feature_names)")
    buf = io.BytesIO()
    np.savez_compressed(buf, **samples)
    atomic_write(out, buf.getvalue())
    g, c = samples["genuine"], samples["counterfeit"]
    return f"genuine {list(g.shape)} and counterfeit {list(c.shape)} trials (trials, individuals, steps, features)"
