"""What sampling a generator returns and draws from: `Samples`, the latents of a seed, and the bounds on a request.

The latents, the gate neurons' noise and the output neurons' noise are three streams of training/rng.py, each drawn
row by row (training.pretrained.BinaryGAN.decode): sample i depends on its seed and its row only, whatever the number
of samples drawn with it, the chunk size, or whether its expert was forced to the one its gates chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from training import rng

MAX_SAMPLES = 100_000  # per call; keeps one request from exhausting memory
CHUNK = 1024  # rows per forward pass (the CNN is 1.7x slower at 4096); BatchNorm uses running statistics, so chunking changes nothing


@dataclass(frozen=True)
class Samples:
    binary: np.ndarray  # (N, 28, 28) uint8 in {0, 1}: what the generator emits
    preactivation: np.ndarray  # (N, 28, 28) float32 in [0, 1]: sigmoid(s * x)
    latents: np.ndarray  # (N, 128) float32: the z that produced them
    gates: np.ndarray | None = None  # (N, K) uint8 one-hot: the expert each latent ran through (gated variants only)


def validate_count(n: Any, what: str = "sample count", cap: int = MAX_SAMPLES) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= cap:
        raise ValueError(f"{what} must be an integer in [1, {cap}], got {n!r}")
    return int(n)


def make_latents(n: int, seed: int = 0, latent_dim: int = 128) -> np.ndarray:
    """(n, 128) float32 standard-normal latents; the same seed gives the same latents for every variant."""
    n = validate_count(n)
    return torch.randn(n, latent_dim, generator=rng.generator(seed, rng.LATENTS)).numpy()  # row i: the same for any n
