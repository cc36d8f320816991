"""Adversarial objectives as small pure functions, plus each objective's optimiser.

D outputs raw scores (B,). GAN reads them as logits; WGAN and WGAN-GP as critic values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeGuard

import torch
import torch.nn.functional as F
from torch import nn

from training.config import VariantConfig
from training.optimizers import TFRMSprop


def gan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    # -log D(x) - log(1 - D(G(z))), with D = sigmoid(score)
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def gan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    # non-saturating: -log D(G(z))
    return F.softplus(-d_fake).mean()


def gan_g_losses(d_fake: torch.Tensor) -> torch.Tensor:
    """Per example (B,) -> (B,): what a score-function estimator evaluates."""
    return F.softplus(-d_fake)


def wgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return d_fake.mean() - d_real.mean()


def wgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    return -d_fake.mean()


def wgan_g_losses(d_fake: torch.Tensor) -> torch.Tensor:
    return -d_fake


D_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "gan": gan_d_loss,
    "wgan": wgan_d_loss,
    "wgan-gp": wgan_d_loss,
}
G_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gan": gan_g_loss,
    "wgan": wgan_g_loss,
    "wgan-gp": wgan_g_loss,
}
G_EXAMPLE_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gan": gan_g_losses,
    "wgan": wgan_g_losses,
    "wgan-gp": wgan_g_losses,
}


def interpolate(real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """One mixing coefficient per example: alpha (B,) mixes (B, 784) real and fake."""
    return fake + alpha[:, None] * (real - fake)


class ClosedFormCritic(Protocol):
    """A critic that computes its own dD/dx (training.networks' discriminators without batch statistics)."""

    has_closed_form_input_gradient: bool

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor: ...


def _has_closed_form(critic: object) -> TypeGuard[ClosedFormCritic]:
    # the flag, not the method, decides: a benchmark or test turns it off to compare against autograd
    return bool(getattr(critic, "has_closed_form_input_gradient", False))


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], x_hat: torch.Tensor) -> torch.Tensor:
    """mean over examples of (||dD/dx_hat||_2 - 1)^2, the norm taken over all pixels of an example."""
    x_hat = x_hat.detach()
    if _has_closed_form(critic):
        grad = critic.input_gradient(x_hat)  # (B, 784), same value, cheaper backward
    else:
        x_hat.requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # (B, 784)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


@torch.no_grad()
def clip_weights(critic: nn.Module, bound: float) -> None:
    for p in critic.parameters():
        p.clamp_(-bound, bound)


def optimizer_name(cfg: VariantConfig) -> str:
    """The optimiser make_optimizers builds, for the provenance: "adam", "rmsprop-torch" or "rmsprop-tf"."""
    return f"rmsprop-{cfg.rmsprop}" if cfg.objective == "wgan" else "adam"


def make_optimizers(
    cfg: VariantConfig, G: nn.Module, D: nn.Module
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(opt_G, opt_D): RMSProp (decay 0.9; PyTorch's or TensorFlow's, cfg.rmsprop) for WGAN, Adam (beta 0.5, 0.9)
    otherwise; lr 1e-4 for both."""
    make: Callable[[Iterator[nn.Parameter]], torch.optim.Optimizer]
    if cfg.objective == "wgan" and cfg.rmsprop == "tf":
        make = lambda params: TFRMSprop(params, lr=cfg.lr, decay=0.9, eps=1e-8)  # noqa: E731
    elif cfg.objective == "wgan":
        make = lambda params: torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.9)  # noqa: E731
    else:
        make = lambda params: torch.optim.Adam(params, lr=cfg.lr, betas=(0.5, 0.9), fused=True)  # noqa: E731
    return make(G.parameters()), make(D.parameters())
