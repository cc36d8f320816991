"""The paper's generators and discriminators (MLP for Exp I-III, CNN for Exp IV).

Images travel flat, as (B, 784) in [0, 1]; the CNNs reshape at their edges.
BatchNorm is the config's: "batch" follows the paper's text (batch statistics while training, running statistics when
sampling); "affine" is what the reference code ran (AffineBatchNorm).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from training.config import BatchNorm, VariantConfig
from training.gated import GatedMLPGeneratorBody, expert_index, gate_bits
from training.neurons import binarize

IMAGE_SIZE = 28
N_PIXELS = IMAGE_SIZE * IMAGE_SIZE


class AffineBatchNorm(nn.Module):
    """The reference code's BatchNorm: TensorFlow's layer left in inference mode, its moving mean and variance never
    updated from 0 and 1. What remains is a learned per-unit affine, gamma * x / sqrt(1 + eps) + beta, the same in
    training and sampling, and one example's output never depends on the rest of its batch."""

    def __init__(self, num_features: int, eps: float = 1e-3):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))  # gamma; named as in nn.BatchNorm, so clipping sees it
        self.bias = nn.Parameter(torch.zeros(num_features))  # beta

    def scale(self) -> torch.Tensor:  # (C,): the factor each unit's input is multiplied by
        return self.weight / math.sqrt(1.0 + self.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C) or (B, C, H, W), same shape out
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return x * self.scale().view(shape) + self.bias.view(shape)


def norm_layer(kind: BatchNorm, n: int, conv: bool = False) -> nn.Module:
    if kind == "affine":
        return AffineBatchNorm(n)
    return nn.BatchNorm2d(n) if conv else nn.BatchNorm1d(n)


@torch.no_grad()
def reference_init_(module: nn.Module) -> None:
    """The reference code's initialisation: every dense and (transposed) convolution kernel from N(0, 0.02^2) cut at
    two standard deviations, biases 0. Norm layers keep gamma 1 and beta 0. Draws from torch's global generator."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)
            if m.bias is not None:  # every layer here has one; a bias=False layer has none to zero
                nn.init.zeros_(m.bias)


class MLPGeneratorBody(nn.Module):
    def __init__(self, latent_dim: int, batchnorm: BatchNorm = "batch", hidden: int = 1024):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            norm_layer(batchnorm, hidden),
            nn.ReLU(),
            nn.Linear(hidden, N_PIXELS),
            norm_layer(batchnorm, N_PIXELS),  # the reference code normalises the output layer too
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B, 128) -> (B, 784)
        return self.net(z)


class CNNGeneratorBody(nn.Module):
    def __init__(self, latent_dim: int, batchnorm: BatchNorm = "batch"):
        super().__init__()

        def up(c_in: int, c_out: int, k: int, s: int, relu: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [
                nn.ConvTranspose2d(c_in, c_out, k, stride=s),
                norm_layer(batchnorm, c_out, conv=True),
            ]
            return layers + [nn.ReLU()] if relu else layers

        self.net = nn.Sequential(
            *up(latent_dim, 128, 2, 1),  # (B, 128, 2, 2)
            *up(128, 64, 4, 2),  # (B, 64, 6, 6)
            *up(64, 32, 3, 2),  # (B, 32, 13, 13)
            *up(32, 1, 4, 2, relu=False),  # (B, 1, 28, 28)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B, 128) -> (B, 784)
        return self.net(z[:, :, None, None]).flatten(1)


class Generator(nn.Module):
    """z -> output-layer pre-activation x -> output neuron. A gated generator (cfg.experts > 0, training/gated.py)
    first routes z to its experts: through its binary gate neurons to one (cfg.routing "gates"), to one at random
    ("random"), or to all of them by a softmax mixture ("soft")."""

    def __init__(self, cfg: VariantConfig):
        super().__init__()
        self.cfg = cfg
        self.body: MLPGeneratorBody | CNNGeneratorBody | GatedMLPGeneratorBody
        if cfg.experts:
            # built before the experts, as the gated variants were trained: module order fixes the initial weights
            gate: nn.Module | None = None
            if cfg.routing == "gates":
                m = gate_bits(cfg.experts)
                gate = nn.Sequential(nn.Linear(cfg.latent_dim, m), norm_layer(cfg.batchnorm, m))
            elif cfg.routing == "soft":
                gate = nn.Linear(cfg.latent_dim, cfg.experts)  # the mixture's logits
            self.body = GatedMLPGeneratorBody(
                gate=gate,
                experts=[
                    MLPGeneratorBody(cfg.latent_dim, cfg.batchnorm, hidden=cfg.hidden // cfg.experts)
                    for _ in range(cfg.experts)
                ],
                out_features=N_PIXELS,
            )
        elif cfg.arch == "mlp":
            self.body = MLPGeneratorBody(cfg.latent_dim, cfg.batchnorm, cfg.hidden)
        else:
            self.body = CNNGeneratorBody(cfg.latent_dim, cfg.batchnorm)
        if cfg.init == "reference":
            reference_init_(self)

    def logits(self, z: torch.Tensor, slope: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, 128) -> (B, 784). `slope` and `generator` reach only a gated generator's gate neurons."""
        return self.route(z, slope, generator)[0]

    def route(
        self, z: torch.Tensor, slope: float = 1.0, generator: torch.Generator | None = None, expert: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(pre-activation x (B, 784), active expert (B,) int64, or None for a dense generator). The gate neurons draw
        their noise, and random routing its experts, from `generator` before the output layer's; `expert` forces every
        latent through one expert. Soft routing's active expert is each latent's largest mixture weight."""
        body = self.body
        if isinstance(body, (MLPGeneratorBody, CNNGeneratorBody)):
            return body(z), None
        if expert is not None:
            index = torch.full((len(z),), expert, dtype=torch.long, device=z.device)
            return body.routed(z, index), index
        if self.cfg.routing == "random":
            if generator is None:  # torch's global generator would make the expert depend on whatever drew before
                raise ValueError("random routing draws each latent's expert from a generator; none was given")
            index = torch.randint(self.cfg.experts, (len(z),), generator=generator, device=z.device)  # (B,), row order
            return body.routed(z, index), index
        if self.cfg.routing == "soft":
            w = torch.softmax(body.gate_logits(z), dim=1)  # (B, K), real-valued: every expert contributes
            return body.mixture(z, w), w.detach().argmax(dim=1)
        bits = self.neuron(body.gate_logits(z), slope, generator)  # (B, m) binary, with the estimator's gradient
        return body(z, bits), expert_index(bits.detach())

    def forward(self, z: torch.Tensor, slope: float, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.neuron(self.logits(z, slope, generator), slope, generator)

    def neuron(self, x: torch.Tensor, slope: float, generator: torch.Generator | None = None) -> torch.Tensor:
        cfg = self.cfg
        temperature = cfg.gumbel_temperature if cfg.estimator == "gumbel-st" else cfg.estimator_temperature
        return binarize(x, slope, cfg.neuron, cfg.estimator, temperature, generator)


def _maybe_bn(enabled: bool, kind: BatchNorm, n: int, conv: bool = False) -> list[nn.Module]:
    return [norm_layer(kind, n, conv)] if enabled else []


def _affine_norms(net: nn.Module, count: int) -> list[AffineBatchNorm | None]:
    """The critic's affine norm layers in order, or None for each when it has none."""
    norms = [m for m in net.modules() if isinstance(m, AffineBatchNorm)]
    return list(norms) if norms else [None] * count


class MLPDiscriminator(nn.Module):
    def __init__(self, batchnorm: bool, kind: BatchNorm = "batch"):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_PIXELS, 512),
            *_maybe_bn(batchnorm, kind, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 256),
            *_maybe_bn(batchnorm, kind, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )
        # Without batch statistics each example's score depends on that example alone, so dD/dx has a closed form;
        # an affine BatchNorm is one more per-unit factor in it.
        self.has_closed_form_input_gradient = not batchnorm or kind == "affine"

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        return self.net(x).squeeze(1)

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """dD/dx (B, 784) = W1^T (a1 * lrelu'(h1) * W2^T (a2 * lrelu'(h2) * w3)), built from ordinary differentiable
        ops, where a1, a2 are the affine BatchNorms' per-unit scales (absent without BatchNorm).

        The gradient penalty then needs one first-order backward instead of autograd's double backward,
        and the forward pass on x runs without a graph: only the LeakyReLU slopes (0.2 or 1) are needed.
        """
        l1, l2, l3 = (m for m in self.net if isinstance(m, nn.Linear))
        n1, n2 = _affine_norms(self.net, 2)
        with torch.no_grad():
            h1 = l1(x) if n1 is None else n1(l1(x))  # (B, 512)
            h2 = l2(F.leaky_relu(h1, 0.2))  # (B, 256)
            h2 = h2 if n2 is None else n2(h2)
            slope1 = torch.where(h1 > 0, 1.0, 0.2)
            slope2 = torch.where(h2 > 0, 1.0, 0.2)
        g2 = slope2 * l3.weight  # (B, 256)
        if n2 is not None:
            g2 = g2 * n2.scale()
        g1 = (g2 @ l2.weight) * slope1  # (B, 512)
        if n1 is not None:
            g1 = g1 * n1.scale()
        return g1 @ l1.weight  # (B, 784)


class CNNDiscriminator(nn.Module):
    def __init__(self, batchnorm: bool, kind: BatchNorm = "batch"):
        super().__init__()
        # Pooling before the LeakyReLU gives the same values and gradients (both are monotone), on 4x fewer elements.
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            *_maybe_bn(batchnorm, kind, 32, conv=True),  # (B, 32, 26, 26)
            nn.MaxPool2d(2),
            nn.LeakyReLU(0.2),  # (B, 32, 13, 13)
            nn.Conv2d(32, 64, 3),
            *_maybe_bn(batchnorm, kind, 64, conv=True),  # (B, 64, 11, 11)
            nn.MaxPool2d(2, ceil_mode=True),
            nn.LeakyReLU(0.2),  # "same" pooling: (B, 64, 6, 6)
            nn.Flatten(),  # (B, 2304)
            nn.Linear(2304, 128),
            *_maybe_bn(batchnorm, kind, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 1),
        )
        self.has_closed_form_input_gradient = not batchnorm or kind == "affine"
        # channels-last convolutions and pooling run ~30% faster on CPU here (benchmarks/), same values
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # documented keyword; torch's overloads omit it

    @staticmethod
    def _image(x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B, 1, 28, 28)
        return x.view(-1, 1, IMAGE_SIZE, IMAGE_SIZE).contiguous(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        return self.net(self._image(x)).squeeze(1)

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """dD/dx (B, 784) without batch statistics, built from ordinary differentiable ops, as for the MLP.

        Backward through D by hand: each LeakyReLU becomes a fixed 0.2/1 mask, each max-pool an unpool to the
        recorded argmax, each convolution its transpose, each affine BatchNorm its per-channel scale.
        1.6x faster per WGAN-GP iteration than double backward.
        """
        conv1, conv2 = (m for m in self.net if isinstance(m, nn.Conv2d))
        dense, score = (m for m in self.net if isinstance(m, nn.Linear))
        n1, n2, n3 = _affine_norms(self.net, 3)

        def norm(n: AffineBatchNorm | None, a: torch.Tensor) -> torch.Tensor:
            return a if n is None else n(a)

        def scaled(n: AffineBatchNorm | None, g: torch.Tensor) -> torch.Tensor:  # g times dn/da, per channel
            return g if n is None else g * n.scale().view((1, -1) + (1,) * (g.dim() - 2))

        with torch.no_grad():
            a1 = norm(n1, conv1(self._image(x)))  # (B, 32, 26, 26)
            p1, idx1 = F.max_pool2d(a1, 2, return_indices=True)  # (B, 32, 13, 13)
            a2 = norm(n2, conv2(F.leaky_relu(p1, 0.2)))  # (B, 64, 11, 11)
            p2, idx2 = F.max_pool2d(a2, 2, ceil_mode=True, return_indices=True)  # (B, 64, 6, 6)
            a3 = norm(n3, dense(F.leaky_relu(p2, 0.2).flatten(1)))  # (B, 128)
            slope1, slope2, slope3 = (torch.where(a > 0, 1.0, 0.2) for a in (p1, p2, a3))
        g3 = scaled(n3, slope3 * score.weight)  # (B, 128)
        g2 = (g3 @ dense.weight).view_as(p2) * slope2  # (B, 64, 6, 6)
        g2 = scaled(n2, F.max_unpool2d(g2, idx2, (2, 2), output_size=a2.shape[-2:]))  # (B, 64, 11, 11)
        g1 = F.conv_transpose2d(g2, conv2.weight) * slope1  # (B, 32, 13, 13)
        g1 = scaled(n1, F.max_unpool2d(g1, idx1, (2, 2), output_size=a1.shape[-2:]))  # (B, 32, 26, 26)
        return F.conv_transpose2d(g1, conv1.weight).flatten(1)  # (B, 784)


Discriminator = MLPDiscriminator | CNNDiscriminator


def build_discriminator(cfg: VariantConfig) -> Discriminator:
    D: Discriminator
    if cfg.arch == "mlp":
        D = MLPDiscriminator(cfg.d_batchnorm, cfg.batchnorm)
    else:
        D = CNNDiscriminator(cfg.d_batchnorm, cfg.batchnorm)
    if cfg.init == "reference":
        reference_init_(D)
    return D


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
