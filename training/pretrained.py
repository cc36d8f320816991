"""The trained models, as in diffusers: `BinaryGAN` (the generator) and `Critic`, each read with `from_pretrained`
and written with `save_pretrained` (the dashboard and notebooks reach them through the `explorer` package):

    g = BinaryGAN.from_pretrained("mlp-dbn-wgan-gp")          # a variant: checkpoints/ first, then the Hub
    g = BinaryGAN.from_pretrained("runs/mlp-dbn-wgan-gp")     # a checkpoint folder
    g = BinaryGAN.from_pretrained("binarygan-explorer/binarygan-mnist", variant="mlp-dbn-wgan-gp")  # a Hub repo

`from_pretrained(name_or_path, variant=None, *, epoch=None, revision=None, cache_dir=None, force_download=False,
token=None, local_files_only=False)` follows `huggingface_hub.PyTorchModelHubMixin` and adds what a repository of
many models needs. It takes
  - a variant name (`binarygan list`): the local checkpoints folder ($BINARYGAN_CHECKPOINTS, else checkpoints/) when
    it holds any checkpoint, else the Hub repository the environment names (training.hubrepo, training.hub);
  - a checkpoint folder, or, with `variant`, a folder laid out like the repository (`publish --dry-run`, checkpoints/);
  - a Hub repository id with `variant`, at `revision` (default: the tag this code pins).
`epoch` picks a shipped snapshot. Hub files are checked against the repository's manifest before anything reads
them; every file goes through training/checkpoint.py's hostile-file checks; nothing is unpickled. Each network is
built once, on the meta device and then filled, so loading never moves torch's global generator.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from training import hub, rng
from training.checkpoint import (
    CONFIG_FILE,
    CRITIC_FILE,
    FORMAT,
    GENERATOR_FILE,
    CheckpointNotFound,
    atomic_write_json,
    build_empty,
    load_checkpoint,
    load_weights,
    save_generator,
)
from training.config import VariantConfig
from training.critic import load_critic_checkpoint, save_critic
from training.gated import one_hot
from training.networks import IMAGE_SIZE, N_PIXELS, Discriminator, Generator, build_discriminator
from training.neurons import sample_binary
from training.sampling import CHUNK, Samples, make_latents, validate_count

FLIP_ROWS = 8192  # flipped images per forward pass: ~16 MB of first-layer activations for the MLP critic

P = TypeVar("P", bound="_Pretrained")


class CriticNotFound(CheckpointNotFound):
    """The variant has a generator here but no critic.safetensors beside it."""


class _Pretrained:
    """What both models share: a validated network in eval mode, no parameter gradients, safe to share across threads
    and sessions; its config and provenance (config.json's) as copies."""

    MODEL_FILE: str  # its weights file in a checkpoint folder

    def __init__(self, cfg: VariantConfig, net: nn.Module, provenance: dict[str, Any], source: str, dtype: torch.dtype):
        net.eval().requires_grad_(False)
        self._net = net
        self.cfg = cfg
        self.name = cfg.name
        self.source = source
        self.dtype = dtype  # the stored weights' precision, which save_pretrained keeps
        self._provenance = copy.deepcopy(provenance)

    @property
    def config(self) -> dict[str, Any]:
        return self.cfg.to_dict()

    @property
    def provenance(self) -> dict[str, Any]:
        return copy.deepcopy(self._provenance)

    @property
    def epoch(self) -> int:
        return int(self._provenance.get("epoch", 0))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self._net.parameters())

    @classmethod
    def _read(cls: type[P], folder: Path, root: Path) -> P:
        raise NotImplementedError

    @classmethod
    def from_pretrained(
        cls: type[P],
        name_or_path: str | os.PathLike = hub.DEFAULT_VARIANT,
        variant: str | None = None,
        *,
        epoch: int | None = None,
        revision: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        force_download: bool = False,
        token: bool | str | None = None,
        local_files_only: bool = False,
    ) -> P:
        """The model of a variant name, a folder or a Hub repository (the module says which is which).

        Raises CheckpointNotFound (the variant, epoch, revision or repository is not there; CriticNotFound for a
        missing critic) or CheckpointError (a file fails a check, or does not match the manifest)."""
        folder, root = hub.locate(
            name_or_path,
            variant,
            epoch=epoch,
            revision=revision,
            cache_dir=cache_dir,
            force_download=force_download,
            token=token,
            local_files_only=local_files_only,
            model_file=cls.MODEL_FILE,
        )
        return cls._read(folder, root)


class BinaryGAN(_Pretrained):
    """A trained BinaryGAN generator: `sample`, `decode` and `logits`, numpy out."""

    _net: Generator
    MODEL_FILE = GENERATOR_FILE

    def __init__(self, cfg: VariantConfig, state: dict[str, torch.Tensor], provenance: dict[str, Any], source: str):
        dtype = next(iter(state.values())).dtype if state else torch.float32  # the file's, e.g. fp16
        net = load_weights(build_empty(lambda: Generator(cfg)), {k: v.float() for k, v in state.items()})
        super().__init__(cfg, net, provenance, source, dtype)
        self.slope = float(provenance["final_slope"])
        self.neuron = cfg.neuron
        self.latent_dim = cfg.latent_dim
        self.experts = cfg.experts  # 0 for a dense generator
        self.routing = cfg.routing  # how a gated generator picks its experts

    @classmethod
    def _read(cls, folder: Path, root: Path) -> BinaryGAN:
        cfg, state, provenance = load_checkpoint(folder, root)
        return cls(cfg, state, provenance, str(folder))

    def save_pretrained(self, folder: str | os.PathLike) -> Path:
        """generator.safetensors (in the weights' own precision) and config.json, which from_pretrained reads back to
        the same samples."""
        folder = Path(folder)
        save_generator(folder, self._net, self.cfg, self._provenance, self.dtype)
        return folder

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
        the output layer's from streams of their own (training/rng.py), drawn row by row; random routing's experts
        come from the "routing" stream. `expert` forces a gated
        generator's every latent through that expert. `chunk` (rows per forward pass) changes the speed, never the
        result."""
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
                zc = torch.from_numpy(z[start : start + chunk])  # (b, 128)
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


class Critic(_Pretrained):
    """The trained critic D beside a generator, from the same run and epoch: scores, dD/dy and flip scores."""

    _net: Discriminator
    MODEL_FILE = CRITIC_FILE

    def __init__(self, cfg: VariantConfig, state: dict[str, torch.Tensor], provenance: dict[str, Any], source: str):
        dtype = next(iter(state.values())).dtype if state else torch.float32
        net = load_weights(build_empty(lambda: build_discriminator(cfg)), {k: v.float() for k, v in state.items()})
        super().__init__(cfg, net, provenance, source, dtype)  # a BatchNorm critic scores with running statistics
        # The MLP critic starts with a linear layer, so flipping pixel i moves its first activations by
        # +-W[:, i]: flip maps then skip 3/4 of the arithmetic. Other critics run every flipped image through.
        seq = getattr(net, "net", None)
        self._first: nn.Linear | None = None
        self._rest: nn.Module | None = None
        if isinstance(seq, nn.Sequential) and isinstance(seq[0], nn.Linear):
            self._first, self._rest = seq[0], seq[1:]

    @classmethod
    def _read(cls, folder: Path, root: Path) -> Critic:
        if not (folder / CRITIC_FILE).exists() and not (folder / CRITIC_FILE).is_symlink():
            raise CriticNotFound(f"{folder}: no critic shipped (no {CRITIC_FILE})")
        cfg, state, provenance = load_critic_checkpoint(folder, root)
        return cls(cfg, state, provenance, str(folder))

    def save_pretrained(self, folder: str | os.PathLike) -> Path:
        """critic.safetensors, and config.json when the folder has none (the critic is stamped with its generator's
        config and provenance, which from_pretrained checks against config.json)."""
        folder = Path(folder)
        if not (folder / CONFIG_FILE).exists():
            atomic_write_json(
                folder / CONFIG_FILE, {"format": FORMAT, "config": self.cfg.to_dict(), "provenance": self._provenance}
            )
        save_critic(folder, self._net, self.cfg, self._provenance, self.dtype)
        return folder

    def scores(self, y: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        with torch.inference_mode():
            return torch.cat([self._net(c) for c in y.split(FLIP_ROWS)]) if len(y) else y.new_zeros(0)

    def gradient(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(D(y) (B,), dD/dy (B, 784)); each image's score depends on that image alone (eval mode)."""
        y = y.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            d = self._net(y)
            (g,) = torch.autograd.grad(d.sum(), y)
        return d.detach(), g

    def differentiable(self, y: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        """D(y) with autograd through the input (never the weights): for estimators that differentiate the critic."""
        return self._net(y)

    def flip_scores(self, y: torch.Tensor) -> torch.Tensor:
        """D(y with pixel i flipped) for every image and pixel: (B, 784) -> (B, 784)."""
        out = torch.empty_like(y)
        rows = max(1, FLIP_ROWS // N_PIXELS)  # images per pass
        with torch.inference_mode():
            for start in range(0, len(y), rows):
                yb = y[start : start + rows]  # (b, 784)
                sign = 1.0 - 2.0 * yb  # +1 turns a pixel on, -1 turns it off
                if self._first is not None and self._rest is not None:
                    h = self._first(yb)  # (b, H)
                    h = h[:, None, :] + sign[:, :, None] * self._first.weight.T[None]  # (b, 784, H)
                    d = self._rest(h.reshape(-1, h.shape[-1])).reshape(len(yb), N_PIXELS)
                else:
                    flipped = yb[:, None, :] + sign[:, :, None] * torch.eye(N_PIXELS)[None]  # (b, 784, 784)
                    d = self._net(flipped.reshape(-1, N_PIXELS)).reshape(len(yb), N_PIXELS)
                out[start : start + rows] = d
        return out


def load_generator(name_or_path: str | os.PathLike, epoch: int | None = None) -> BinaryGAN:
    """BinaryGAN.from_pretrained(name_or_path, epoch=epoch): the notebook loader the docs have always shown."""
    return BinaryGAN.from_pretrained(name_or_path, epoch=epoch)
