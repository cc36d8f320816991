"""One generator iteration: n_critic D updates, then one G update, all on the same real and latent batch. The
generator update back-propagates through the neuron, or, for a score-function estimator, applies its estimate to the
pre-activation."""

from __future__ import annotations

import torch

from training import estimators
from training import objectives as obj
from training.config import SCORE_FUNCTION_ESTIMATORS, VariantConfig
from training.networks import Generator


def critic_scores(
    D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, couples_examples: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """D(real), D(fake). Without batch statistics one batched call gives the same values with fewer, larger matmuls;
    with them the batches must stay apart, because their statistics differ."""
    if couples_examples:
        return D(real), D(fake)
    scores = D(torch.cat([real, fake]))  # (2B,)
    return scores[: real.shape[0]], scores[real.shape[0] :]


def critic_loss(
    cfg: VariantConfig, D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor | None
) -> torch.Tensor:
    """D's loss on one batch; `alpha` (B,) mixes the gradient penalty's interpolates (WGAN-GP only, else None)."""
    d_real, d_fake = critic_scores(D, real, fake, cfg.d_couples_examples)
    d_loss = obj.D_LOSSES[cfg.objective](d_real, d_fake)
    if alpha is not None:
        d_loss = d_loss + cfg.gp_lambda * obj.gradient_penalty(D, obj.interpolate(real, fake, alpha))
    return d_loss


def penalty_mix(cfg: VariantConfig, real: torch.Tensor, rng: torch.Generator) -> torch.Tensor | None:
    """The penalty's mixing coefficients (B,) for one critic update, drawn after that update's fake batch."""
    if cfg.objective != "wgan-gp":
        return None
    return torch.rand(real.shape[0], device=real.device, generator=rng)


def train_step(
    cfg: VariantConfig,
    G: Generator,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    slope: float,
    n_critic: int,
    rng: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One generator iteration on `real` (B, 784) and `z` (B, latent); returns D's last loss and G's loss."""
    # ---- discriminator block ----
    with torch.no_grad():
        # (B, 784); G is fixed while D trains, so its body runs once (a gated one's gates draw once, for all updates)
        logits = G.logits(z, slope, rng)
    for _ in range(n_critic):
        with torch.no_grad():
            fake = G.neuron(logits, slope, rng)  # fresh Bernoulli/logistic noise each D update, as in the reference
        d_loss = critic_loss(cfg, D, real, fake, penalty_mix(cfg, real, rng))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        if cfg.objective == "wgan":
            obj.clip_weights(D, cfg.clip_value)

    # ---- generator block ----
    # only G's gradients are used here; skipping D's weight gradients saves a third of its backward
    D.requires_grad_(False)
    opt_g.zero_grad(set_to_none=True)
    if cfg.estimator in SCORE_FUNCTION_ESTIMATORS:
        g_loss = score_function_step(cfg, G, D, z, slope, rng)
    else:
        g_loss = obj.G_LOSSES[cfg.objective](D(G(z, slope, rng)))
        g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return d_loss.detach(), g_loss.detach()


def score_function_step(
    cfg: VariantConfig, G: Generator, D: torch.nn.Module, z: torch.Tensor, slope: float, rng: torch.Generator
) -> torch.Tensor:
    """Back-propagate a score-function estimate of d(mean G loss)/d(pre-activation) into G; returns the mean loss
    over the critic's evaluations. The critic's input gets no gradient: the estimator only evaluates it."""
    x = G.logits(z)  # (B, 784) pre-activation
    seen: list[torch.Tensor] = []

    def losses(y: torch.Tensor) -> torch.Tensor:  # (N, 784) -> (N,)
        out = obj.G_EXAMPLE_LOSSES[cfg.objective](D(y))
        seen.append(out.detach())
        return out

    # (B, 784): d loss_b / d(s x)
    estimate = estimators.FUNCTIONS[cfg.estimator](slope * x.detach(), losses, cfg.estimator_draws, rng)
    x.backward(slope * estimate / len(x))  # the batch loss is the mean over latents
    return torch.cat(seen).mean()
