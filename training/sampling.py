"""Sampling from a trained generator: a checkpoint folder in, numpy arrays out.

The latents, the gate neurons' noise (or random routing's experts) and the output neurons' noise are streams of
training/rng.py, each drawn row by row: sample i depends on its seed and its row only, whatever the number of samples
drawn with it, the chunk size, or whether its expert was forced to the one its gates chose. Where a checkpoint folder comes from (a variant name, the
Hugging Face Hub) is the explorer's business (explorer.generator); this module reads a folder it is given.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from training import rng
from training.checkpoint import build_empty, load_checkpoint, load_weights
from training.config import VariantConfig
from training.gated import one_hot
from training.networks import IMAGE_SIZE, Generator
from training.neurons import sample_binary

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


class LoadedGenerator:
    """A trained generator, read-only: eval mode, no gradients. Safe to share across threads and sessions."""

    def __init__(self, config: dict[str, Any], state: dict[str, torch.Tensor], provenance: dict[str, Any], source: str):
        cfg = VariantConfig.from_dict(config)
        net = load_weights(build_empty(lambda: Generator(cfg)), state)  # no initialisation: the global RNG stays
        net.eval().requires_grad_(False)
        self._net = net
        self._config = cfg.to_dict()
        self._provenance = copy.deepcopy(provenance)
        self.name = cfg.name
        self.source = source
        self.slope = float(provenance["final_slope"])
        self.neuron = cfg.neuron
        self.latent_dim = cfg.latent_dim
        self.experts = cfg.experts  # 0 for a dense generator
        self.routing = cfg.routing  # how a gated generator picks its experts

    @property
    def config(self) -> dict[str, Any]:
        return copy.deepcopy(self._config)

    @property
    def provenance(self) -> dict[str, Any]:
        return copy.deepcopy(self._provenance)

    @property
    def epoch(self) -> int:
        return int(self._provenance.get("epoch", 0))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self._net.parameters())

    def logits(self, z: torch.Tensor) -> torch.Tensor:  # (N, 128) -> (N, 784)
        """The output layer's pre-activation x for latents, before the slope and the neuron (no gradients). A gated
        generator's x depends on its gates too; with stochastic gates decode() is the one that draws them."""
        if self.experts and self.neuron == "sbn":
            raise ValueError(f"{self.name}: stochastic gates choose the expert, so x is not a function of z alone")
        if self.routing == "random":
            raise ValueError(f"{self.name}: the expert is drawn at random, so x is not a function of z alone")
        with torch.inference_mode():
            return self._net.logits(z, self.slope)

    def sample(self, n: int, seed: int = 0, expert: int | None = None) -> Samples:
        """n samples from latents drawn with `seed`; the same seed gives the same arrays."""
        return self.decode(make_latents(n, seed, self.latent_dim), seed=seed, expert=expert)

    def decode(self, latents: np.ndarray, seed: int = 0, expert: int | None = None, chunk: int = CHUNK) -> Samples:
        """Samples for given latents (N, 128); `seed` drives the stochastic neurons' Bernoulli noise, the gates' and
        the output layer's from streams of their own, and random routing's experts from the "routing" stream. `expert` forces a gated generator's every latent through that
        expert. `chunk` (rows per forward pass) changes the speed, never the result."""
        z = np.asarray(latents, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (N, {self.latent_dim}), got {z.shape}")
        validate_count(z.shape[0], "number of latents")
        if not np.isfinite(z).all():
            raise ValueError("latents must be finite")
        if expert is not None and (
            not self.experts or isinstance(expert, bool) or not isinstance(expert, (int, np.integer))
        ):
            raise ValueError(f"{self.name}: expert {expert!r} can only be forced on a gated generator")
        if expert is not None and not 0 <= expert < self.experts:
            raise ValueError(f"{self.name}: expert must be in [0, {self.experts}), got {expert}")
        chunk = validate_count(chunk, "chunk size")
        gate_noise = rng.generator(seed, "routing" if self.routing == "random" else "gate-noise")
        noise = rng.generator(seed, "output-noise")
        binary, pre, routes = [], [], []
        with torch.inference_mode():
            for start in range(0, len(z), chunk):
                zc = torch.from_numpy(z[start : start + chunk])
                x, index = self._net.route(zc, self.slope, gate_noise, None if expert is None else int(expert))
                p = torch.sigmoid(self.slope * x)  # (b, 784)
                binary.append(sample_binary(p, self.neuron, noise).to(torch.uint8))
                pre.append(p)
                routes.append(index)
        shape = (len(z), IMAGE_SIZE, IMAGE_SIZE)
        gates = None
        if self.experts:
            gates = one_hot(torch.cat([r for r in routes if r is not None]).numpy(), self.experts)
        return Samples(torch.cat(binary).numpy().reshape(shape), torch.cat(pre).numpy().reshape(shape), z, gates)


def load_folder(folder: str | os.PathLike, root: str | os.PathLike | None = None) -> LoadedGenerator:
    """The validated generator in a checkpoint folder; `root` bounds where its files may live (default: the folder)."""
    cfg, state, provenance = load_checkpoint(folder, root)
    return LoadedGenerator(cfg.to_dict(), state, provenance, str(folder))
