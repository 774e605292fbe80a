"""A GAN run as the one run driver (:mod:`turinglearn.app.driver`) sees it: :class:`GANExperiment`.

Its run directory has the schema of every run (``config.toml``, ``run.json``, ``metrics.csv``,
``checkpoints/``, plots, ``summary.json`` last) plus ``samples/generation-NNNNNN.png``, grids of
64 samples from fixed noise. metrics.csv gets a row every ``evaluation.log_every`` generations
(reading the statistics synchronises with the device): ``generation``, ``seconds`` (per
generation since the previous row), ``loss_d``, ``loss_g`` and both populations' fitness; with
``stopping.converge``, also ``frechet_distance``, the image metric the rule follows (measured
from the same noise each time, against the real half the final evaluation uses).
summary.json holds the image metrics (``frechet_distance``, ``class_coverage``, ``c2st``) and
``images_per_second``.
"""

from __future__ import annotations

import io
import math
import time
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from turinglearn.app.results import GANResult
from turinglearn.app.runs import RunDir, as_columns, atomic_write, path_read
from turinglearn.app.stopping import IMAGE_METRIC, simulations_per_generation
from turinglearn.config.gan import MIN_METRIC_IMAGES, GANConfig
from turinglearn.core.contracts import Generation
from turinglearn.errors import ConfigError, DataError, warn
from turinglearn.gan import GENERATOR_FILE
from turinglearn.gan.data import ImageData, load_images
from turinglearn.gan.train import GANLearner, torch_seed

GRID = 64  # images per sample grid (8 x 8)
COLUMNS = [
    "generation",
    "seconds",
    "loss_d",
    "loss_g",
    "model_fitness_mean",
    "model_fitness_max",
    "discriminator_fitness_mean",
    "discriminator_fitness_max",
]


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


def load_data(config: GANConfig) -> ImageData:
    """The images that ``config`` names, shaped as it says (:class:`~turinglearn.errors.DataError` if unusable)."""
    return load_images(config.data, config.images.size, config.images.channels)


#: images below which the Frechet distance's Gaussian of 64 features is too poorly fitted to read
FRECHET_FEW = 128


class GANExperiment:
    """A :class:`~turinglearn.gan.train.GANLearner` on ``config``'s images (``data``: already
    loaded with :func:`load_data`), with what its run reports. Under ``torchrun`` only the
    first process (``lead``) writes and measures."""

    started: float | None = None  # when the session began (the driver sets it)
    snapshot_each_generation = False  # the state lives on the device: copy it only to write it
    converge_after = estimate_from = 0  # no restart's check to wait for

    def __init__(self, config: GANConfig, data: ImageData | None = None):
        self.config = config
        self.data = data if data is not None else load_data(config)
        if config.evaluation.samples > 0 and len(self.data) < MIN_METRIC_IMAGES:
            raise DataError(
                f"data {config.data!r} holds {len(self.data)} image(s); the image metrics compare halves of the "
                f"real images and need at least {MIN_METRIC_IMAGES} (or skip them: --set evaluation.samples=0)"
            )
        if config.stopping.converge and config.evaluation.samples == 0:
            raise ConfigError(
                "a GAN stops on convergence when its image metric stops improving, measured on "
                "evaluation.samples generated images; set evaluation.samples above 0, or give it a budget",
                "stopping.converge",
            )
        if config.stopping.restart_above:
            raise ConfigError(
                "a restart judges a parameter estimate with the held-out test; a GAN has none: set it to 0",
                "stopping.restart_above",
            )
        if config.learner.batch > len(self.data):
            warn(
                f"learner.batch = {config.learner.batch} is larger than the {len(self.data)} images of {config.data!r}: "
                "every batch draws images again and a step costs more than an epoch; a batch below the data's size "
                f"(e.g. {min(64, max(2, len(self.data) // 2))}) trains as well for less"
            )
        fitted = min(config.evaluation.samples, len(self.data) // 2)  # the images each Gaussian is fitted to
        if 0 < fitted < FRECHET_FEW:
            warn(
                f"the Frechet distance fits a Gaussian of 64 features to {fitted} images (half of {len(self.data)} "
                f"images, or evaluation.samples = {config.evaluation.samples}): below about {FRECHET_FEW} its ratio "
                "is noise (a generator of grey noise read 1.2 on 10 images); read the C2ST and the sample grids"
            )
        self.learner = GANLearner(self.data, config)
        self.lead = self.learner.dist.rank == 0
        self.distributed = self.learner.dist.active
        self.generations = config.generations
        self.columns = list(COLUMNS) + ([IMAGE_METRIC] if config.stopping.converge else [])
        self.side_seconds = 0.0  # writing sample grids and measuring images: not training
        self._mark = (time.perf_counter(), 0)  # (time, generations done) of the last metrics row
        self._classifier = None  # the image metrics' feature network, trained once
        self._end_estimate: float | None = None  # seconds the final image metrics will take (end_seconds)
        if config.stopping.max_time:  # measured before the budget's clock starts, not inside a generation's time
            self.end_seconds()
        self._reference: np.ndarray | None = None  # features of the real half the metric compares to

    def simulations_per_generation(self) -> int:
        """Generated images one generation costs (``stopping.max_simulations``)."""
        return simulations_per_generation(self.config)

    def headline(self, out) -> str:
        c, d = self.config, self.data
        labels = "unlabelled" if d.labels is None else f"{int(d.labels.max()) + 1} classes"
        images = f"{len(d)} images of {d.size}x{d.size}x{d.channels} ({labels})"
        return f"{c.name} on {c.data}: {images}, seed {c.seed}, {c.generations} generations on {self.learner.device} -> {out}"

    def _logs(self, record: Generation) -> bool:
        done = record.generation + 1
        return done % self.config.evaluation.log_every == 0 or done == self.generations

    def metrics_row(self, record: Generation) -> dict | None:
        if not self._logs(record):
            return None
        f_g, f_d, losses = record.model_fitness, record.discriminator_fitness, record.losses  # synchronises
        now, done = time.perf_counter(), record.generation + 1
        (t, before), self._mark = self._mark, (now, done)
        row = {
            "generation": record.generation,
            "seconds": (now - t) / max(1, done - before),
            "loss_d": float(losses["d"].mean()),
            "loss_g": float(losses["g"].mean()),
            "model_fitness_mean": float(f_g.mean()),
            "model_fitness_max": float(f_g.max()),
            "discriminator_fitness_mean": float(f_d.mean()),
            "discriminator_fitness_max": float(f_d.max()),
        }
        if IMAGE_METRIC in self.columns:  # only the first process of a torchrun job measures
            row[IMAGE_METRIC] = self.measure() if self.lead else math.nan
            self._mark = (time.perf_counter(), done)  # the next row's seconds leave it out
        return row

    def measure(self) -> float:
        """metrics.csv's :data:`~turinglearn.app.stopping.IMAGE_METRIC`: the Frechet distance of
        min(evaluation.samples, half the real images) images of the (best) generator, from the
        same noise every time, to the real half the final evaluation compares with, in the same
        classifier's features (lower is better)."""
        from turinglearn.gan.metrics import embed, frechet_distance

        t = time.perf_counter()
        net, reference = self._feature_net(), self._real_half()
        n = min(self.config.evaluation.samples, len(reference))
        generated = self.learner.generate(n, torch_seed(self.config.seed, "evaluation", 5))
        features, _ = embed(net, generated)
        value = frechet_distance(features, reference[:n])
        self.side_seconds += time.perf_counter() - t
        return value

    def settled_now(self) -> bool:
        """A GAN's estimate is its weights: nothing to settle (its rule reads the image metric)."""
        return True

    def end_seconds(self) -> float:
        """The final image metrics' expected seconds, for ``stopping.max_time``'s reserve (a budget
        overran by them: 30 s asked, 94 s taken on a CPU at 64x64): the metrics' classifier is
        trained now (it would be at the end), and generating and embedding a few images, scaled to
        ``evaluation.samples`` generated and the real images embedded, gives the rest (with 2 s for
        the C2ST and the plots). Measured once, when the experiment is built with a time budget
        (before the budget's clock starts); 0 without image metrics."""
        from turinglearn.gan.metrics import embed

        samples = self.config.evaluation.samples
        if samples <= 0 or not self.lead:
            return 0.0
        if self._end_estimate is None:
            net = self._feature_net()
            n = min(samples, 256)
            t0 = time.perf_counter()
            images = self.learner.generate(n, torch_seed(self.config.seed, "evaluation", 5))
            self._sync()
            t1 = time.perf_counter()
            embed(net, images)
            t2 = time.perf_counter()
            self._end_estimate = (t1 - t0) * samples / n + (t2 - t1) * (samples + len(self.data)) / n + 2.0
            budget = self.config.stopping.max_time
            if not self.config.stopping.reserve and self._end_estimate > budget / 2:
                warn(
                    f"the final image metrics take about {self._end_estimate:.0f} s, more than half the time budget "
                    f"of {budget:g} s: the run will end late; lower evaluation.samples ({samples}), or raise "
                    "--max-time"
                )
        return min(self._end_estimate, self.config.stopping.max_time / 2)

    def _feature_net(self):
        """The small classifier whose features the image metrics use (trained at the first need)."""
        from turinglearn.gan.metrics import train_classifier

        if self._classifier is None:
            ev, seed = self.config.evaluation, self.config.seed
            self._classifier = train_classifier(
                self.learner.data.contiguous(), self.data.labels, torch_seed(seed, "evaluation", 2),
                ev.classifier_epochs,
            )  # fmt: skip
        return self._classifier

    def _real_half(self) -> np.ndarray:
        """Features of the real half that :func:`~turinglearn.gan.metrics.image_metrics` compares
        the generated images with (the same draw of the run's seed)."""
        from turinglearn.gan.metrics import embed

        if self._reference is None:
            real = self.learner.data.contiguous()
            features, _ = embed(self._feature_net(), real)
            order = np.random.default_rng(self.config.seed).permutation(len(real))
            self._reference = features[order[: len(real) // 2]]
        return self._reference

    def describe(self, record: Generation) -> str | None:
        """The progress bar's words, when a metrics row reads the statistics anyway."""
        if not self._logs(record):
            return None
        losses = record.losses
        return (
            f"D-fitness={record.discriminator_fitness.mean():.2f} loss_d={losses['d'].mean():.3f} "
            f"loss_g={losses['g'].mean():.3f}"
        )

    def hooks(self, run: RunDir | None, history: dict) -> list:
        """A sample grid every ``evaluation.grid_every`` generations (the last one at the end)."""
        every = self.config.evaluation.grid_every
        if run is None or not every:
            return []

        def sample_grid(record: Generation) -> None:
            done = record.generation + 1
            if done % every == 0 and done < self.generations:
                self.write_grid(run, done)

        return [sample_grid]

    def write_grid(self, run: RunDir, done: int) -> None:
        self._sync()
        t = time.perf_counter()
        (run.path / "samples").mkdir(exist_ok=True)
        png = grid_png(self.learner.generate(GRID, torch_seed(self.config.seed, "evaluation", 1)))
        atomic_write(run.path / "samples" / f"generation-{done:06d}.png", png)
        self.side_seconds += time.perf_counter() - t

    def write_generator(self, run: RunDir) -> None:
        """generator.pt: the measured generator (the best, in population mode) with what rebuilds it,
        for :func:`turinglearn.gan.load_generator`."""
        learner = self.learner
        g = learner.G[learner.best]  # the plain module (DDP and compilation wrap the step, not G)
        buf = io.BytesIO()
        torch.save(
            {
                "state_dict": {k: v.detach().cpu() for k, v in g.state_dict().items()},
                "size": g.size, "channels": g.channels, "latent": g.latent,
                "width": self.config.models.width, "batch": learner.batch,
            },
            buf,
        )  # fmt: skip
        atomic_write(run.path / GENERATOR_FILE, buf.getvalue())

    def _sync(self) -> None:
        if self.learner.device.type == "cuda":
            torch.cuda.synchronize(self.learner.device)

    @contextmanager
    def running(self):
        """Around the generations: the time of the first metrics row starts here; the device
        has finished when it ends."""
        self._mark = (time.perf_counter(), self.learner.generation)
        yield
        self._sync()

    def state_dict(self, record: Generation) -> dict | None:
        """The learner's state, or ``None`` while a step is under way (half-updated)."""
        return None if self.learner.stepping else {"learner": self.learner.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if IMAGE_METRIC in state.get("history", {}) and IMAGE_METRIC not in self.columns:
            self.columns.append(IMAGE_METRIC)  # the run measures it: its metrics.csv keeps the column
        self.learner.load_state_dict(state["learner"])

    def finish(self, last: Generation | None, history: dict, seconds: float) -> GANResult:
        """Final ranking (population mode) and the image metrics of the best generator."""
        learner, config = self.learner, self.config
        seconds -= self.side_seconds
        in_sync = learner.replicas_agree()  # every process takes part
        if learner.dist.active:
            learner.leave_distributed()
            if not self.lead:
                measured = {"rank": learner.dist.rank, "replicas_in_sync": in_sync}
                return GANResult(
                    config=config, history={}, seconds=seconds, learner=learner, measured=measured
                )
        if learner.P > 1:
            learner.rank()  # final ranking over several batches: the best generator is the one measured
        measured = self._facts(seconds)
        if learner.dist.active:
            measured["replicas_in_sync"] = in_sync
        if learner.last_selection is not None:
            f_g, f_d = learner.last_selection
            measured.update(
                best_generator=learner.best, model_fitness=f_g.tolist(), discriminator_fitness=f_d.tolist()
            )
        if config.evaluation.samples > 0:
            measured.update(self._image_metrics())
        history = as_columns(history)
        won = discriminator_won(history.get("loss_d"))
        if won is not None:
            measured["discriminator_won"] = won
        return GANResult(config=config, history=history, seconds=seconds, learner=learner, measured=measured)

    def _facts(self, seconds: float) -> dict[str, Any]:
        learner, config, data = self.learner, self.config, self.data
        done = learner.generation  # fewer than config.generations when a stopping rule ended the run
        images = done * config.learner.batch * learner.P * learner.dist.world
        device = learner.device
        return {
            "name": config.name,
            "learner": "gan",
            "data": path_read(config.data),
            "images": len(data),
            "image_size": data.size,
            "channels": data.channels,
            "seed": config.seed,
            "generations": done,
            "batch": config.learner.batch,
            "loss": config.learner.loss,
            "population": learner.P,
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "compile": learner.mode,
            "precision": "bf16" if learner.bf16 else "fp32",
            "seconds": round(seconds, 3),
            "images_per_second": round(images / max(seconds, 1e-9), 1),
            "processes": learner.dist.world,
        }

    def _image_metrics(self) -> dict[str, Any]:
        """Frechet distance, class coverage and C2ST in a small classifier's features."""
        from turinglearn.gan.metrics import image_metrics

        t = time.perf_counter()
        learner, ev, seed = self.learner, self.config.evaluation, self.config.seed
        real, labels = learner.data.contiguous(), self.data.labels
        net = self._feature_net()
        generated = learner.generate(ev.samples, torch_seed(seed, "evaluation", 4)).contiguous()
        metrics = image_metrics(net, real, labels, generated, seed)
        return {**metrics.as_dict(), "evaluation_seconds": round(time.perf_counter() - t, 3)}

    def write_outputs(self, run: RunDir, result: GANResult) -> None:
        """The last sample grid (named by the generations done), fitness.png and losses.png."""
        from turinglearn.app.report import plot_fitness, plot_losses

        self.write_grid(run, self.learner.generation)
        self.write_generator(run)
        if result.history.get("generation") is not None and len(result.history["generation"]):
            plot_fitness(result.history, run.path / "fitness.png")
            plot_losses(result.history, run.path / "losses.png")


def discriminator_won(loss_d) -> float | None:
    """The share of the second half's logged rows in which the discriminator's loss stayed below
    :data:`~turinglearn.app.printing.DISCRIMINATOR_WON_LOSS`, where that is most of them (at
    least 4 rows); None otherwise: the discriminator did not win."""
    from turinglearn.app.printing import DISCRIMINATOR_WON_LOSS

    if loss_d is None:
        return None
    late = np.asarray(loss_d, dtype=float)[len(loss_d) // 2 :]
    late = late[np.isfinite(late)]
    if len(late) < 4:
        return None
    share = float((late < DISCRIMINATOR_WON_LOSS).mean())
    return round(share, 3) if share >= 0.8 else None
