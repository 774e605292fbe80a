"""Where torch computes: :func:`resolve_device`, for the GAN learner and the torch swarm backend
alike (imports torch; nothing else of turinglearn's)."""

from __future__ import annotations

import os

import torch

from turinglearn.errors import ConfigError


def resolve_device(name: str, key: str = "execution.device") -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (cuda when available) as a usable device, else a
    :class:`ConfigError` on ``key`` saying why. Under ``torchrun`` plain ``cuda`` is the process's
    own GPU, ``cuda:LOCAL_RANK``."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"not a torch device: {name!r}; use cpu, cuda or cuda:N", key) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"{name!r} asked for, but this torch has no CUDA device (torch {torch.__version__}); "
            "use --device cpu (execution.device = 'cpu'; resuming a run: --set execution.device=cpu) or install a "
            "CUDA build of torch",
            key,
        )
    if name == "cuda" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))  # one GPU per process
    return device
