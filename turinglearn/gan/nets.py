"""DCGAN-family networks for square images of any size from 8 pixels up (Radford et al. 2016).

The generator maps noise ``z [B, latent]`` to images ``[B, C, S, S]`` in ``[-1, 1]``; the
discriminator maps images to logits ``[B]`` (> 0 means 'genuine'). Both are laid out from the
image size: ``S = base * 2**n`` with the smallest base of at least 4 reached by halving
(64 -> 4 * 2**4, 32 -> 4 * 2**3, 28 -> 7 * 2**2, 8 -> 4 * 2**1). With ``S = 64``, one channel,
``latent = 100`` and ``width = 64`` they are exactly the PyTorch example's DCGAN.
"""

from __future__ import annotations

import torch
from torch import nn

from turinglearn.errors import ConfigError

NORMS = ("batch", "layer", "none")


def layout(size: int) -> tuple[int, int]:
    """``(base, n)`` with ``size = base * 2**n``, ``base >= 4``, halving while it stays even and >= 4."""
    if size < 8:
        raise ConfigError(f"image size must be at least 8 pixels, got {size}", "images.size")
    base, n = size, 0
    while base % 2 == 0 and base // 2 >= 4:
        base, n = base // 2, n + 1
    if n == 0 or base > 16:
        raise ConfigError(
            f"image size {size} does not halve to a small base (got {base} after {n} halvings); use a size "
            "such as 8, 16, 28, 32, 48 or 64 (--set images.size=32 resizes the data)",
            "images.size",
        )
    return base, n


class Generator(nn.Module):
    """z [B, latent] -> images [B, channels, size, size] in [-1, 1].

    ConvTranspose(latent -> width * 2**(n-1), kernel base) to [base x base], then n doublings,
    each ConvTranspose(4, stride 2) + BatchNorm + ReLU, the last one to ``channels`` + tanh.
    """

    def __init__(self, size: int, channels: int = 1, latent: int = 100, width: int = 64):
        super().__init__()
        base, n = layout(size)
        self.size, self.channels, self.latent = size, channels, latent
        c = width * 2 ** (n - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent, c, base, 1, 0, bias=False),  # [B, c, base, base]
            nn.BatchNorm2d(c),
            nn.ReLU(True),
        ]
        for _ in range(n - 1):  # [B, c, s, s] -> [B, c / 2, 2 s, 2 s]
            layers += [
                nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c // 2),
                nn.ReLU(True),
            ]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]  # [B, C, size, size]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])


def _norm(kind: str, c: int) -> list[nn.Module]:
    if kind == "batch":
        return [nn.BatchNorm2d(c)]
    if kind == "layer":  # per-sample normalisation over (C, H, W): safe with a gradient penalty
        return [nn.GroupNorm(1, c)]
    return []


class Discriminator(nn.Module):
    """images [B, channels, size, size] -> logits [B] (> 0: judged genuine).

    Conv(4, stride 2) + LeakyReLU(0.2) halving to ``size / 2``, then n - 1 halvings, each
    Conv(4, stride 2) + norm + LeakyReLU doubling the channels, to [B, width * 2**(n-1), base, base],
    then Conv(kernel base) to one logit. ``norm``: batch (DCGAN), layer (for WGAN-GP) or none.
    """

    def __init__(self, size: int, channels: int = 1, width: int = 64, norm: str = "batch"):
        super().__init__()
        if norm not in NORMS:
            raise ConfigError(f"must be one of {', '.join(NORMS)}, got {norm!r}", "discriminators.norm")
        base, n = layout(size)
        self.size, self.channels = size, channels
        c = width
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(n - 1):  # [B, c, s, s] -> [B, 2 c, s / 2, s / 2]
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), *_norm(norm, c * 2), nn.LeakyReLU(0.2, True)]
            c *= 2
        layers += [nn.Conv2d(c, 1, base, 1, 0, bias=False)]  # [B, 1, 1, 1]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


@torch.no_grad()
def dcgan_init(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """The usual DCGAN initialisation, drawn from ``generator``: conv weights N(0, 0.02),
    normalisation weights N(1, 0.02) and biases 0. Every parameter is overwritten, so the
    result depends on ``generator`` alone."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02, generator=generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=generator)
            nn.init.zeros_(m.bias)
    return module
