"""Binary neurons and the gradient estimators that carry gradients through them.

Every neuron sees the output layer's pre-activation `x` and the current slope `s`, and first computes
the *preactivated output* p = sigmoid(s * x) in [0, 1]; this is what the paper's histograms show.
  - DBN: y = 1[p > 0.5]                 (hard threshold)
  - SBN: y = 1[u < p], u ~ U[0, 1]      (Bernoulli sample, at training and at test time)
  - real: y = p                         (Exp II; binarised only when sampling)
The forward value is binary; the estimator decides what the backward pass pretends it was:
  - "sigmoid-st": the identity applied to p, so dy/dx = s * p * (1 - p)   (the paper's choice)
  - "st":         the identity applied to x, so dy/dx = 1                (plain straight-through)
  - "gumbel-st":  a binary-Concrete relaxation sigmoid((s*x + logistic noise) / tau), thresholded
                  at 0.5 in the forward pass; its threshold is exactly a Bernoulli(p) sample.
  - "reinmax":    ReinMax (Liu et al. 2023) for SBN: dy/d(s*x) = 2 q (1 - q) - p (1 - p) / 2, q = (y + p) / 2, whose
                  expectation is the trapezoid rule between y = 0 and 1 where sigmoid-st's is a one-point rule.
  - "gumbel-rao", "gst", "decoupled-st": the estimators at straight-through's cost of training/estimators.py, each
                  a Bernoulli sample whose backward pass is its weight there, at `temperature`.
The score-function estimators ("rloo", "disarm") pass no gradient through y; training/estimators.py computes them
from several critic evaluations, and the trainer applies them to the pre-activation directly.
"""

from __future__ import annotations

import torch

from training.estimators import decoupled_weight, gapped_weight, gumbel_rao_weight, reinmax_weight

GUMBEL_RAO_LOCAL = 10  # local logistic draws per pixel behind Gumbel-Rao's weight


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """Forward value `hard`, gradient of `soft`. (soft - soft) is exactly 0, so the output is exactly binary."""
    return hard + (soft - soft.detach())


def logistic_noise(shape: torch.Size, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    u = torch.rand(shape, dtype=like.dtype, device=like.device, generator=generator)
    u = u.clamp_(1e-6, 1 - 1e-6)  # keeps log() finite
    return torch.log(u) - torch.log1p(-u)


def binarize(
    x: torch.Tensor,
    slope: float,
    neuron: str,
    estimator: str,
    temperature: float = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Apply the output neuron to pre-activation `x`; returns the (binary, unless real) output. `temperature` is
    gumbel-st's relaxation temperature, or the backward temperature of gumbel-rao, gst and decoupled-st."""
    p = torch.sigmoid(slope * x)
    if neuron == "real":
        return p
    if estimator == "gumbel-st":
        soft = torch.sigmoid((slope * x + logistic_noise(x.shape, x, generator)) / temperature)
        return straight_through((soft > 0.5).to(x.dtype), soft)
    hard = sample_binary(p, neuron, generator)
    if estimator == "sigmoid-st":
        return straight_through(hard, p)
    if estimator == "st":
        return straight_through(hard, x)
    if estimator == "reinmax":
        # the surrogate's slope in s * x is ReinMax's weight, held fixed in the backward pass as ReinMax holds it
        return straight_through(hard, reinmax_weight(p, hard).detach() * (slope * x))
    if estimator in ("gumbel-rao", "gst", "decoupled-st"):
        theta = (slope * x).detach()
        if estimator == "gumbel-rao":  # its local draws come after the sample's, from the same stream
            weight = gumbel_rao_weight(theta, hard[None], temperature, GUMBEL_RAO_LOCAL, generator)[0]
        elif estimator == "gst":
            weight = gapped_weight(theta, hard, temperature)
        else:
            weight = decoupled_weight(theta, temperature)
        return straight_through(hard, weight * (slope * x))
    if estimator in ("rloo", "disarm"):
        return hard  # no pathwise gradient: the trainer's generator block uses training/estimators.py
    raise ValueError(f"unknown estimator {estimator!r}")


def sample_binary(p: torch.Tensor, neuron: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Binarise probabilities: threshold for DBN (and for the real model's default view), Bernoulli for SBN."""
    if neuron in ("dbn", "real"):
        return (p > 0.5).to(p.dtype)
    if neuron == "sbn":
        u = torch.rand(p.shape, dtype=p.dtype, device=p.device, generator=generator)
        return (u < p).to(p.dtype)
    raise ValueError(f"unknown neuron {neuron!r}")
