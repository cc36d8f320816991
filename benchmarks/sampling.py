"""Sampling throughput and interpolation decode time, from real checkpoint folders."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import torch

from benchmarks.roofline import timed
from explorer import BinaryGAN, checkpoints_root, load_generator, make_latents
from training.checkpoint import save_generator
from training.networks import Generator
from training.variants import get_variant

N_SAMPLES = 10_000


def checkpoint_folder(folder: Path, name: str) -> Path:
    """Use the shipped checkpoint when there is one; the speed of an untrained one is the same."""
    shipped = checkpoints_root() / name
    if (shipped / "generator.safetensors").exists():
        return shipped
    cfg = get_variant(name)
    save_generator(folder / name, Generator(cfg), cfg, {"final_slope": 1.0, "epoch": 0})
    return folder / name


def plain_loop(g: BinaryGAN, latents: np.ndarray) -> np.ndarray:
    """What one writes first: batches of 64 under no_grad, numpy conversion per batch."""
    out = []
    net = g._net
    with torch.no_grad():
        for i in range(0, len(latents), 64):
            p = torch.sigmoid(g.slope * net.logits(torch.from_numpy(latents[i : i + 64])))
            out.append((p > 0.5).numpy())
    return np.concatenate(out)


def run(quick: bool = False) -> list[dict]:
    rows = []
    min_time = 0.3 if quick else 2.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "cnn-dbn-wgan-gp"):
            g = load_generator(checkpoint_folder(Path(tmp), name))
            n = 1000 if quick else N_SAMPLES
            z = make_latents(n, seed=0)
            cpu = torch.device("cpu")
            ours = timed(partial(g.sample, n, seed=0), cpu, min_time)
            plain = timed(partial(plain_loop, g, z), cpu, min_time)
            frames = make_latents(64, seed=1)
            interp = timed(partial(g.decode, frames, seed=0), cpu, min_time)
            rows.append(
                {
                    "variant": name,
                    "n": n,
                    "seconds": ours,
                    "samples_per_s": n / ours,
                    "plain_loop_seconds": plain,
                    "interp_64_frames_ms": interp * 1e3,
                }
            )
    return rows
