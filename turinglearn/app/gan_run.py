"""A whole GAN run: data, :class:`~turinglearn.gan.train.GANLearner`, hooks that write the run
directory, and the image metrics at the end.

A GAN run directory holds ``config.toml``, ``run.json``, ``metrics.csv`` (a row every
``evaluation.log_every`` steps), ``samples/step-NNNNNN.png`` grids (fixed noise),
``checkpoint.pt`` (both networks and optimisers, random streams; atomically replaced),
``fitness.png``, ``losses.png`` and, written last, ``summary.json`` with the image metrics
(``frechet_distance``, ``class_coverage``, ``c2st``) and ``images_per_second``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from turinglearn.app.runs import RunDir, atomic_write
from turinglearn.config.gan import GANConfig
from turinglearn.gan.data import ImageData, load_images
from turinglearn.gan.train import GANLearner, GANStep, torch_seed

GRID = 64  # images per sample grid (8 x 8)


def metrics_row(record: GANStep, seconds: float) -> dict[str, float]:
    """One row of a GAN run's metrics.csv."""
    f_g, f_d = record.model_fitness, record.discriminator_fitness
    return {
        "step": record.generation + 1,
        "seconds": seconds,
        "loss_d": float(record.loss_d.mean()),
        "loss_g": float(record.loss_g.mean()),
        "model_fitness_mean": float(f_g.mean()),
        "model_fitness_max": float(f_g.max()),
        "discriminator_fitness_mean": float(f_d.mean()),
        "discriminator_fitness_max": float(f_d.max()),
    }


def grid_png(images: torch.Tensor, columns: int = 8, min_pixels: int = 256) -> bytes:
    """PNG bytes of images [n, C, S, S] in [-1, 1] tiled ``columns`` wide with a 1-pixel gap,
    enlarged (nearest neighbour) so that the grid is at least ``min_pixels`` wide."""
    from PIL import Image

    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    n, c, s, _ = x.shape
    rows = -(-n // columns)
    canvas = np.full((c, rows * (s + 1) + 1, columns * (s + 1) + 1), 255, np.uint8)
    for k in range(n):
        r, q = divmod(k, columns)
        canvas[:, 1 + r * (s + 1) : 1 + r * (s + 1) + s, 1 + q * (s + 1) : 1 + q * (s + 1) + s] = x[k]
    img = Image.fromarray(canvas[0] if c == 1 else np.moveaxis(canvas, 0, -1))
    scale = max(1, -(-min_pixels // img.width))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class GANProgress:
    """Hook: a tqdm bar over steps; every ``every`` steps it shows the discriminators' mean
    fitness and both losses (reading them synchronises with the device, so not every step)."""

    def __init__(self, total: int, every: int, initial: int = 0):
        from tqdm.auto import tqdm

        self.every = every
        self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, desc="turinglearn")

    def __call__(self, record: GANStep) -> None:
        if (record.generation + 1) % self.every == 0:
            self.bar.set_postfix_str(
                f"D-fitness={record.discriminator_fitness.mean():.2f} loss_d={record.loss_d.mean():.3f} "
                f"loss_g={record.loss_g.mean():.3f}",
                refresh=False,
            )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


@dataclass
class GANResult:
    """A finished GAN run: ``summary`` (as in summary.json), ``history`` (metrics.csv's columns),
    the trained ``learner`` (``learner.generate(n, seed)`` draws more images) and ``run_dir``."""

    config: GANConfig
    summary: dict[str, Any]
    history: dict[str, np.ndarray]
    learner: GANLearner
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_data(config: GANConfig) -> ImageData:
    """The images that ``config`` names, shaped as it says (:class:`~turinglearn.errors.DataError` if unusable)."""
    return load_images(config.data, config.images.size, config.images.channels)


def run_gan(
    config: GANConfig,
    out: str | Path | None = None,
    progress: bool = False,
    hooks: Sequence = (),
    data: ImageData | None = None,
) -> GANResult:
    """Train ``config`` to the end, then measure the images; with ``out``, write a run directory.
    ``data``: the images, if already loaded with :func:`load_data`."""
    from turinglearn.config import to_toml

    data = data if data is not None else load_data(config)  # bad input writes nothing
    learner = GANLearner(data, config)
    lead = learner.dist.rank == 0  # under torchrun only the first process writes and measures
    if not lead:
        out, progress, hooks = None, False, ()
    run = RunDir.create(out, to_toml(config)) if out is not None else None
    ev = config.evaluation
    history: dict[str, list[float]] = {}
    fixed = torch_seed(config.seed, "evaluation", 1)  # the grids' noise
    side = {"seconds": 0.0}  # time spent writing grids and checkpoints, not training
    t_start = time.perf_counter()

    def side_work(fn):
        _sync(learner.device)
        t = time.perf_counter()
        fn()
        side["seconds"] += time.perf_counter() - t

    def write_grid(step: int) -> None:
        if run is not None:
            (run.path / "samples").mkdir(exist_ok=True)
            png = grid_png(learner.generate(GRID, fixed))
            atomic_write(run.path / "samples" / f"step-{step:06d}.png", png)

    def write_checkpoint() -> None:
        if run is not None:
            atomic_write(run.path / "checkpoint.pt", learner.checkpoint_bytes())

    def record(rec: GANStep) -> None:
        step = rec.generation + 1
        if step % ev.log_every == 0 or step == config.steps:
            row = metrics_row(rec, time.perf_counter() - t_start)
            for k, v in row.items():
                history.setdefault(k, []).append(float(v))
            if run is not None:
                run.append_metrics(row)
        if ev.grid_every and step % ev.grid_every == 0 and step < config.steps:
            side_work(lambda: write_grid(step))
        if ev.checkpoint_every and step % ev.checkpoint_every == 0 and step < config.steps:
            side_work(write_checkpoint)

    bar = GANProgress(config.steps, ev.log_every) if progress else None
    learner.hooks = [record, *([bar] if bar else []), *hooks]
    t0 = time.perf_counter()
    try:
        learner.run(config.steps)
        _sync(learner.device)
    except BaseException as e:
        if run is not None:
            run.close()
            run.set_status(
                "interrupted" if isinstance(e, KeyboardInterrupt) else "failed",
                steps_done=learner.generation,
                error=repr(e),
            )
        raise
    finally:
        if bar is not None:
            bar.close()
    train_seconds = time.perf_counter() - t0 - side["seconds"]
    world = learner.dist.world
    images = config.steps * config.learner.batch * config.learner.population * world
    in_sync = learner.replicas_agree()  # every process takes part
    if learner.dist.active:
        learner.leave_distributed()
        if not lead:
            return GANResult(config, {"rank": learner.dist.rank, "replicas_in_sync": in_sync}, {}, learner)

    if learner.P > 1:
        learner.select()  # final ranking: the best generator is the one measured
    summary: dict[str, Any] = {
        "name": config.name,
        "learner": "gan",
        "data": config.data,
        "images": len(data),
        "image_size": data.size,
        "channels": data.channels,
        "seed": config.seed,
        "steps": config.steps,
        "batch": config.learner.batch,
        "loss": config.learner.loss,
        "population": learner.P,
        "device": torch.cuda.get_device_name(learner.device) if learner.device.type == "cuda" else "cpu",
        "compile": learner.mode,
        "precision": "bf16" if learner.bf16 else "fp32",
        "seconds": round(train_seconds, 3),
        "images_per_second": round(images / max(train_seconds, 1e-9), 1),
        "processes": world,
    }
    if learner.dist.active:
        summary["replicas_in_sync"] = in_sync
    if learner.last_selection is not None:
        f_g, f_d = learner.last_selection
        summary.update(
            best_generator=learner.best, model_fitness=f_g.tolist(), discriminator_fitness=f_d.tolist()
        )
    if ev.samples > 0:
        from turinglearn.gan.metrics import image_metrics, train_classifier

        t = time.perf_counter()
        net = train_classifier(
            learner.data.contiguous(),
            data.labels,
            torch_seed(config.seed, "evaluation", 2),
            ev.classifier_epochs,
        )
        generated = learner.generate(ev.samples, torch_seed(config.seed, "evaluation", 4)).contiguous()
        metrics = image_metrics(net, learner.data.contiguous(), data.labels, generated, config.seed)
        summary.update(metrics.as_dict(), evaluation_seconds=round(time.perf_counter() - t, 3))
    result = GANResult(config, summary, {k: np.asarray(v) for k, v in history.items()}, learner)
    if run is not None:
        _finish_run(run, result, write_grid, write_checkpoint)
        result.run_dir = run.path
    return result


def _finish_run(run: RunDir, result: GANResult, write_grid, write_checkpoint) -> None:
    from turinglearn.app.report import plot_fitness, plot_losses

    run.close()
    write_grid(result.config.steps)
    write_checkpoint()
    if result.history:
        plot_fitness(result.history, run.path / "fitness.png")
        plot_losses(result.history, run.path / "losses.png")
    run.write_summary(result.summary)  # last: its presence marks a complete run
    run.set_status("complete")
