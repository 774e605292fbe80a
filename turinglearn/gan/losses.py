"""GAN losses on discriminator logits (> 0 means 'genuine'), computed in fp32.

Each loss gives the discriminator's loss from its logits on genuine and counterfeit samples
and the generator's loss from the logits on its samples. Sign conventions: minimising the
discriminator loss raises logits of genuine samples and lowers those of counterfeits;
minimising the generator loss raises the logits of its samples.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LOSSES = ("nonsaturating", "hinge", "wgan-gp")


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from logits real [B], fake [B] (the gradient penalty is added by the caller)."""
    real, fake = real.float(), fake.float()
    if kind == "nonsaturating":  # binary cross-entropy: -log D(x) - log(1 - D(G(z)))
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "wgan-gp":
        return fake.mean() - real.mean()
    raise ValueError(f"unknown loss {kind!r}; one of {LOSSES}")


def g_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator loss from the discriminator's logits on generated samples fake [B]."""
    fake = fake.float()
    if kind == "nonsaturating":  # -log D(G(z)) (Goodfellow et al. 2014's non-saturating form)
        return F.softplus(-fake).mean()
    if kind in ("hinge", "wgan-gp"):
        return -fake.mean()
    raise ValueError(f"unknown loss {kind!r}; one of {LOSSES}")


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor, u: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``mean((||grad_x critic(x_hat)||_2 - 1)^2)`` at
    ``x_hat = u real + (1 - u) fake``; real, fake [B, C, H, W], u [B] uniform in [0, 1]."""
    u = u.view(-1, 1, 1, 1).to(real.dtype)
    x_hat = (u * real + (1 - u) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.float().sum(), x_hat, create_graph=True)
    return ((grad.float().flatten(1).norm(dim=1) - 1) ** 2).mean()
