"""The exact world: 4x4 binary images, small enough that the generator's distribution is computed, not sampled.

The data is bars-and-stripes on 4x4 (MacKay 2003; a classic benchmark for Boltzmann machines and quantum-circuit
Born machines): every image whose rows are each all on or all off, or whose columns are. That is 2 x 2^4 images with
the blank and the full image counted twice, so 30 distinct patterns, each with probability 1/30. Its support is
finite and known, so "patterns covered" is exact mode coverage and every divergence is a finite sum over the
2^16 = 65,536 images, with no classifier and no sample in between.

An image's index is sum_j y_j 2^j, pixel j at row j // 4, column j % 4. The generator maps each of the 32 latents
(5 latent bits as +-1) to 16 pre-activations x; the output neuron sees theta = slope * x:
  - SBN: y ~ prod_j Bernoulli(sigmoid(theta_j)), so p_G(y) = mean over latents of that product;
  - DBN: y = 1[sigmoid(theta) > 0.5], a point mass per latent;
  - real: the model emits sigmoid(theta) and the project binarises a real output by the same threshold when it
    samples (training.neurons.sample_binary, which training/sampling.py's Samples.binary holds), so its exact
    distribution is that of its thresholded outputs, a point mass per latent like DBN's. The critic saw the
    real values in training; this is the distribution of what it ships.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import torch
from torch import nn

from training.neurons import sample_binary

SIDE = 4
PIXELS = SIDE * SIDE
IMAGES = 2**PIXELS  # 65,536
LATENT_BITS = 5
LATENTS = 2**LATENT_BITS  # 32, uniform
PATTERNS = 30  # distinct bars-and-stripes images on 4x4
# A pattern is covered when the generator puts at least a tenth of its fair share 1/30 on it.
COVERED_THRESHOLD = 1 / (10 * PATTERNS)


@cache
def all_images() -> torch.Tensor:
    """Every 4x4 binary image, (65536, 16) float64, row i the bits of i."""
    bits = torch.arange(IMAGES)[:, None] >> torch.arange(PIXELS)  # (65536, 16)
    return (bits & 1).double()


def image_index(y: torch.Tensor) -> torch.Tensor:
    """Binary images (N, 16) -> their indices (N,) into all_images()."""
    return (y.long() << torch.arange(PIXELS)).sum(-1)


@cache
def patterns() -> torch.Tensor:
    """The 30 bars-and-stripes images, (30, 16) float32, in index order."""
    rows = all_images()[: 2**SIDE, :SIDE]  # (16, 4): every on/off choice for four lines
    horizontal = rows.repeat_interleave(SIDE, dim=1)  # (16, 16): row r all equal to choice r
    vertical = rows.repeat(1, SIDE)  # (16, 16): column c all equal to choice c
    index = torch.unique(image_index(torch.cat([horizontal, vertical])))  # (30,), sorted
    return all_images()[index].float()


@cache
def pattern_index() -> torch.Tensor:
    """(30,) the patterns' indices into all_images()."""
    return image_index(patterns())


@cache
def data_distribution() -> torch.Tensor:
    """p_data over all images, (65536,) float64: 1/30 on each pattern, 0 elsewhere."""
    p = torch.zeros(IMAGES, dtype=torch.float64)
    p[pattern_index()] = 1 / PATTERNS
    return p


@cache
def latents() -> torch.Tensor:
    """The 32 latents, (32, 5) float32 in {-1, +1}: latent l is the bits of l."""
    return 2 * ((torch.arange(LATENTS)[:, None] >> torch.arange(LATENT_BITS)) & 1).float() - 1


def mlp(sizes: list[int], generator: torch.Generator) -> nn.Sequential:
    """Linear layers with LeakyReLU(0.2) between them, weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the
    bound of torch's default) drawn from `generator`: skip_init never touches torch's global generator."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
        linear = nn.utils.skip_init(nn.Linear, fan_in, fan_out)
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():
            for param in (linear.weight, linear.bias):
                param.copy_(torch.rand(param.shape, generator=generator) * 2 * bound - bound)
        layers += [linear, nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers[:-1])


def generator_network(hidden: int, generator: torch.Generator) -> nn.Sequential:
    """Latents (B, 5) -> pre-activations x (B, 16); the neuron sees slope * x."""
    return mlp([LATENT_BITS, hidden, PIXELS], generator)


def byte_likelihoods(theta: torch.Tensor) -> torch.Tensor:
    """q of each of the 256 values of eight pixels: logits (B, 8) -> (256, B) float64, value v the bits of v."""
    byte = all_images()[:256, :8]  # (256, 8)
    theta = theta.double()
    return (byte @ nn.functional.logsigmoid(theta).T + (1 - byte) @ nn.functional.logsigmoid(-theta).T).exp()


def likelihoods(theta: torch.Tensor) -> torch.Tensor:
    """q(y | theta_b) for every image and latent: logits (B, 16) -> (65536, B) float64, prod_j Bernoulli(sigmoid).
    The product splits into the low and high byte of the index, so only 2 x 256 x B exponentials are taken."""
    low, high = byte_likelihoods(theta[:, :8]), byte_likelihoods(theta[:, 8:])  # (256, B) each
    return (high[:, None, :] * low[None, :, :]).reshape(IMAGES, -1)  # index = 256 * high + low


def exact_distribution(theta: torch.Tensor, neuron: str) -> torch.Tensor:
    """p_G over all images, (65536,) float64, from the logits theta = slope * x of the 32 latents (32, 16)."""
    if neuron == "sbn":
        return likelihoods(theta).mean(1)
    # DBN and the real model's samples: the project's own threshold, on the float32 sigmoid the neuron computes
    y = sample_binary(torch.sigmoid(theta.float()), neuron)  # (B, 16)
    return torch.bincount(image_index(y), minlength=IMAGES).double() / theta.shape[0]


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """KL(p || q) in nats, 0 log 0 = 0; inf when q is 0 where p is not."""
    if bool(((q == 0) & (p > 0)).any()):
        return math.inf
    return float((torch.xlogy(p, p) - torch.xlogy(p, q)).sum())


def js_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """Jensen-Shannon divergence in nats: symmetric, finite, in [0, log 2]."""
    m = (p + q) / 2  # positive wherever p or q is, so both KLs are finite
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def mass_off_data(p: torch.Tensor) -> float:
    """The probability p puts on images that are not bars-and-stripes."""
    off = torch.ones(IMAGES, dtype=torch.bool)
    off[pattern_index()] = False
    return float(p[off].sum())  # summed directly: 1 - p(patterns) would lose the small values to rounding


def patterns_covered(p: torch.Tensor) -> int:
    """How many of the 30 patterns get at least COVERED_THRESHOLD of p."""
    return int((p[pattern_index()] >= COVERED_THRESHOLD).sum())


@dataclass(frozen=True)
class Exact:
    """The exact quantities of one generator distribution p_G against the data."""

    js: float  # JS(p_data, p_G), nats, in [0, log 2]
    kl: float  # KL(p_data || p_G), nats: the forward (maximum-likelihood) direction, inf when a pattern has p_G = 0
    off_data: float  # p_G's mass on images that are not patterns
    covered: int  # patterns with p_G >= COVERED_THRESHOLD, of 30


def measure(p_g: torch.Tensor) -> Exact:
    data, p_g = data_distribution(), p_g.detach()
    return Exact(js_divergence(data, p_g), kl_divergence(data, p_g), mass_off_data(p_g), patterns_covered(p_g))
