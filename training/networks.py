"""The paper's generators and discriminators (MLP for Exp I-III, CNN for Exp IV).

Images travel flat, as (B, 784) in [0, 1]; the CNNs reshape at their edges.
BatchNorm follows the paper: batch statistics while training, running statistics when sampling.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.config import VariantConfig
from training.neurons import binarize

IMAGE_SIZE = 28
N_PIXELS = IMAGE_SIZE * IMAGE_SIZE


class MLPGeneratorBody(nn.Module):
    def __init__(self, latent_dim: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, N_PIXELS), nn.BatchNorm1d(N_PIXELS),  # the reference code normalises the output layer too
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (B, 128) -> (B, 784)
        return self.net(z)


class CNNGeneratorBody(nn.Module):
    def __init__(self, latent_dim: int):
        super().__init__()

        def up(c_in: int, c_out: int, k: int, s: int, relu: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.ConvTranspose2d(c_in, c_out, k, stride=s), nn.BatchNorm2d(c_out)]
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
    """z -> output-layer pre-activation x -> output neuron."""

    def __init__(self, cfg: VariantConfig):
        super().__init__()
        self.cfg = cfg
        self.body = MLPGeneratorBody(cfg.latent_dim) if cfg.arch == "mlp" else CNNGeneratorBody(cfg.latent_dim)

    def logits(self, z: torch.Tensor) -> torch.Tensor:  # (B, 128) -> (B, 784)
        return self.body(z)

    def forward(self, z: torch.Tensor, slope: float, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.neuron(self.body(z), slope, generator)

    def neuron(self, x: torch.Tensor, slope: float, generator: torch.Generator | None = None) -> torch.Tensor:
        cfg = self.cfg
        return binarize(x, slope, cfg.neuron, cfg.estimator, cfg.gumbel_temperature, generator)


def _maybe_bn(enabled: bool, n: int, conv: bool = False) -> list[nn.Module]:
    if not enabled:
        return []
    return [nn.BatchNorm2d(n) if conv else nn.BatchNorm1d(n)]


class MLPDiscriminator(nn.Module):
    def __init__(self, batchnorm: bool):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_PIXELS, 512), *_maybe_bn(batchnorm, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), *_maybe_bn(batchnorm, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )
        # Without BatchNorm each example's score depends on that example alone, so dD/dx has a closed form.
        self.has_closed_form_input_gradient = not batchnorm

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        return self.net(x).squeeze(1)

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """dD/dx (B, 784) = W1^T (lrelu'(h1) * W2^T (lrelu'(h2) * w3)), built from ordinary differentiable ops.

        The gradient penalty then needs one first-order backward instead of autograd's double backward,
        and the forward pass on x runs without a graph: only the LeakyReLU slopes (0.2 or 1) are needed.
        """
        l1, l2, l3 = self.net[0], self.net[2], self.net[4]
        with torch.no_grad():
            h1 = l1(x)  # (B, 512)
            h2 = l2(F.leaky_relu(h1, 0.2))  # (B, 256)
            slope1 = torch.where(h1 > 0, 1.0, 0.2)
            slope2 = torch.where(h2 > 0, 1.0, 0.2)
        g2 = slope2 * l3.weight  # (B, 256)
        g1 = (g2 @ l2.weight) * slope1  # (B, 512)
        return g1 @ l1.weight  # (B, 784)


class CNNDiscriminator(nn.Module):
    def __init__(self, batchnorm: bool):
        super().__init__()
        # Pooling before the LeakyReLU gives the same values and gradients (both are monotone), on 4x fewer elements.
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3), *_maybe_bn(batchnorm, 32, conv=True),  # (B, 32, 26, 26)
            nn.MaxPool2d(2), nn.LeakyReLU(0.2),  # (B, 32, 13, 13)
            nn.Conv2d(32, 64, 3), *_maybe_bn(batchnorm, 64, conv=True),  # (B, 64, 11, 11)
            nn.MaxPool2d(2, ceil_mode=True), nn.LeakyReLU(0.2),  # "same" pooling: (B, 64, 6, 6)
            nn.Flatten(),  # (B, 2304)
            nn.Linear(2304, 128), *_maybe_bn(batchnorm, 128), nn.LeakyReLU(0.2),
            nn.Linear(128, 1),
        )
        self.has_closed_form_input_gradient = not batchnorm
        # channels-last convolutions and pooling run ~30% faster on CPU here (benchmarks/), same values
        self.to(memory_format=torch.channels_last)

    @staticmethod
    def _image(x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B, 1, 28, 28)
        return x.view(-1, 1, IMAGE_SIZE, IMAGE_SIZE).contiguous(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        return self.net(self._image(x)).squeeze(1)

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """dD/dx (B, 784) without BatchNorm, built from ordinary differentiable ops, as for the MLP.

        Backward through D by hand: each LeakyReLU becomes a fixed 0.2/1 mask, each max-pool an unpool to the
        recorded argmax, each convolution its transpose. 1.6x faster per WGAN-GP iteration than double backward.
        """
        conv1, conv2 = (m for m in self.net if isinstance(m, nn.Conv2d))
        dense, score = (m for m in self.net if isinstance(m, nn.Linear))
        with torch.no_grad():
            a1 = conv1(self._image(x))  # (B, 32, 26, 26)
            p1, idx1 = F.max_pool2d(a1, 2, return_indices=True)  # (B, 32, 13, 13)
            a2 = conv2(F.leaky_relu(p1, 0.2))  # (B, 64, 11, 11)
            p2, idx2 = F.max_pool2d(a2, 2, ceil_mode=True, return_indices=True)  # (B, 64, 6, 6)
            a3 = dense(F.leaky_relu(p2, 0.2).flatten(1))  # (B, 128)
            slope1, slope2, slope3 = (torch.where(a > 0, 1.0, 0.2) for a in (p1, p2, a3))
        g3 = slope3 * score.weight  # (B, 128)
        g2 = (g3 @ dense.weight).view_as(p2) * slope2  # (B, 64, 6, 6)
        g2 = F.max_unpool2d(g2, idx2, 2, output_size=a2.shape[-2:])  # (B, 64, 11, 11)
        g1 = F.conv_transpose2d(g2, conv2.weight) * slope1  # (B, 32, 13, 13)
        g1 = F.max_unpool2d(g1, idx1, 2, output_size=a1.shape[-2:])  # (B, 32, 26, 26)
        return F.conv_transpose2d(g1, conv1.weight).flatten(1)  # (B, 784)


def build_discriminator(cfg: VariantConfig) -> nn.Module:
    return MLPDiscriminator(cfg.d_batchnorm) if cfg.arch == "mlp" else CNNDiscriminator(cfg.d_batchnorm)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
