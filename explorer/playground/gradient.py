"""The true gradient of the SBN generator's objective against the current critic, and each estimator's estimate of it.

For latent b the objective is E_{y ~ Bern(sigmoid(theta_b))}[f(y)], f the generator's loss per image against the
critic (training/objectives.py: -log D(y) for GAN, -D(y) for the WGANs). The critic is evaluated once on all 65,536
images; the gradient is then a weighted sum over them (training/estimators.py's enumeration):
    d E[f] / d theta_i = sum_y q(y) f(y) (y_i - p_i) = sigmoid'(theta_i) (E[f | y_i = 1] - E[f | y_i = 0]).
Every gradient here is with respect to the logits theta = slope * x, one row per latent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from explorer.playground import world
from training import estimators, rng
from training.config import SCORE_FUNCTION_ESTIMATORS, TEMPERED_ESTIMATORS
from training.neurons import binarize
from training.objectives import G_EXAMPLE_LOSSES
from training.variants import CHOSEN_TEMPERATURE, ESTIMATOR_BASELINE, REGISTRY

Critic = Callable[[torch.Tensor], torch.Tensor]  # (N, 16) -> (N,)

# The estimators compared and trained, in the order of docs/estimators.md; plain ST is the neuron's "st"
COMPARED = ("sigmoid-st", "st", "reinmax", "rloo", "disarm", "gumbel-rao", "gst", "decoupled-st")
# Draws per latent per estimate: the score-function estimators at the registry's budget for them, the rest once
DRAWS = {e: REGISTRY[f"{ESTIMATOR_BASELINE}-{e}"].estimator_draws for e in SCORE_FUNCTION_ESTIMATORS}


def losses(critic: Critic, objective: str) -> Critic:
    """f: images (N, 16) -> the generator's loss per image (N,) against `critic`."""
    return lambda y: G_EXAMPLE_LOSSES[objective](critic(y))


def image_losses(critic: Critic, objective: str) -> torch.Tensor:
    """f on every image, (65536,) float64: the critic's one evaluation per step."""
    with torch.no_grad():
        return losses(critic, objective)(world.all_images().float()).double()


def exact_objective(theta: torch.Tensor, f_all: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """E_y[f] per latent (B,) and its gradient d E_y[f] / d theta (B, 16), float64, from logits (B, 16) and f on
    every image (65536,). q(y) is q(low byte) q(high byte), so each sum over the images is a 256 x 256 matrix
    product, and the (65536, B) likelihoods are never formed."""
    theta = theta.detach().double()
    q_low, q_high = world.byte_likelihoods(theta[:, :8]), world.byte_likelihoods(theta[:, 8:])  # (256, B) each
    f = f_all.view(256, 256)  # [high byte, low byte]: image index = 256 * high + low
    low_summed = f @ q_low  # (256, B): sum over the low byte of q(low) f, per high byte
    high_summed = f.T @ q_high  # (256, B): sum over the high byte of q(high) f, per low byte
    expected = (q_high * low_summed).sum(0)  # (B,)
    byte = world.all_images()[:256, :8]  # (256, 8)
    with_pixel_on = torch.cat([byte.T @ (q_low * high_summed), byte.T @ (q_high * low_summed)]).T  # (B, 16): E[f y_i]
    return expected, with_pixel_on - torch.sigmoid(theta) * expected[:, None]  # E[f y_i] - p_i E[f]


def exact_gradient(theta: torch.Tensor, f_all: torch.Tensor) -> torch.Tensor:
    """d E_y[f] / d theta: logits (B, 16) and f on every image (65536,) -> (B, 16) float64."""
    return exact_objective(theta, f_all)[1]


def estimate(
    name: str, theta: torch.Tensor, f: Critic, slope: float, generator: torch.Generator | None
) -> torch.Tensor:
    """One estimate of exact_gradient per row of theta (B, 16) -> (B, 16), at the draws and temperature the
    estimator trains with. Plain ST's identity is on x = theta / slope (training.neurons), so it goes through the
    neuron; the others are training/estimators.py's functions."""
    if name == "st":
        x = (theta.detach() / slope).requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(f(binarize(x, slope, "sbn", "st", generator=generator)).sum(), x)
        return grad / slope  # d/d theta = d/dx / slope
    function = estimators.FUNCTIONS[name]
    if name in TEMPERED_ESTIMATORS:
        temperature = CHOSEN_TEMPERATURE[name]
        return function(theta, f, 1, generator, temperature=temperature)  # type: ignore[call-arg]
    return function(theta, f, DRAWS.get(name, 1), generator)


@dataclass(frozen=True)
class Agreement:
    """One estimator's estimates of one exact gradient, over independent estimates."""

    cosine: float  # mean over estimates of cos(estimate, truth), all latents and pixels as one vector
    bias: float  # ||mean estimate - truth|| / ||truth||; includes the mean's own noise, of order sqrt(variance / n)
    variance: float  # E||estimate - mean||^2 / ||truth||^2, the sample variance over estimates


def agreement(estimates: torch.Tensor, truth: torch.Tensor) -> Agreement:
    """estimates (R, B, 16) against truth (B, 16)."""
    est, true = estimates.double().flatten(1), truth.double().flatten()  # (R, B*16), (B*16,)
    norm = true.norm()
    mean = est.mean(0)
    cosine = torch.nn.functional.cosine_similarity(est, true[None], dim=1).mean()
    variance = ((est - mean) ** 2).sum(1).sum() / (len(est) - 1)
    return Agreement(float(cosine), float((mean - true).norm() / norm), float(variance / norm**2))


def compare(
    theta: torch.Tensor, critic: Critic, objective: str, slope: float, repeats: int = 64, seed: int = 0
) -> tuple[torch.Tensor, dict[str, Agreement]]:
    """The exact gradient at logits theta (B, 16) and each estimator's agreement with it over `repeats`
    independent estimates, estimator i drawing from the stream (seed, "playground-draws", i)."""
    f = losses(critic, objective)
    truth = exact_gradient(theta, image_losses(critic, objective))
    rows = theta.detach().float().repeat(repeats, 1)  # (R * B, 16): each row's draws are independent
    found = {}
    for i, name in enumerate(COMPARED):
        generator = rng.generator(seed, "playground-draws", i)
        estimates = estimate(name, rows, f, slope, generator).view(repeats, *theta.shape)  # (R, B, 16)
        found[name] = agreement(estimates, truth)
    return truth, found
