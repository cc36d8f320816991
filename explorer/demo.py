"""Demo checkpoints: untrained generators plus made-up history, losses and metrics in the data-contract format.

They let the dashboard, its tests and its benchmark run before (or without) the training campaign:
    python -m explorer.demo /tmp/demo && BINARYGAN_CHECKPOINTS=/tmp/demo streamlit run streamlit_app.py
The numbers are random but shaped like real ones; nothing here is a result.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from training.checkpoint import (
    CONFIG_FILE,
    GENERATOR_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    STEPS_FILE,
    atomic_write,
    atomic_write_json,
    save_generator,
    snapshot_dir,
)
from training.config import VariantConfig
from training.critic import save_critic
from training.networks import Generator, build_discriminator
from training.variants import SNAPSHOT_EPOCHS, get_variant

DEMO_VARIANTS = {  # variant -> snapshot epochs
    "mlp-dbn-wgan-gp": SNAPSHOT_EPOCHS,
    "mlp-sbn-wgan-gp": SNAPSHOT_EPOCHS,
    "mlp-real-wgan-gp": (),
    "cnn-dbn-wgan-gp": (),
    "mlp-dbn-wgan-gp-noanneal": SNAPSHOT_EPOCHS,
    "mlp-dbn-gan": (),
    "mlp-dbn-wgan": (),
    "mlp-dbn-wgan-gp-code-gated": (),
    "mlp-sbn-wgan-gp-code-gated": (),
}
DEMO_CRITICS = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp")  # the gradient lab's variants; the others have none
STEPS_PER_EPOCH = 937


def untrained_generator(cfg: VariantConfig, seed: int = 0) -> Generator:
    """Random fp32 weights, BatchNorm statistics perturbed like a trained generator's running estimates (so samples
    are not uniform)."""
    torch.manual_seed(seed)
    G = Generator(cfg)
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                assert m.running_mean is not None and m.running_var is not None  # the generator tracks statistics
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return G


def write_untrained(folder: Path, variant: str, seed: int = 0, snapshots: Iterable[int] = (), **overrides) -> Path:
    """A well-formed checkpoint of an untrained generator (fp16 weights); `overrides` change config fields, e.g.
    epochs."""
    cfg = get_variant(variant).replace(**overrides)
    G = untrained_generator(cfg, seed)

    def provenance(epoch: int) -> dict:
        return {
            "seed": seed,
            "epoch": epoch,
            "epochs": cfg.epochs,
            "final_slope": cfg.slope_at(epoch),
            "code_commit": "demo",
            "data_sha256": "demo",
            "wall_time_s": 0.0,
            "device": "cpu (demo)",
        }

    for e in snapshots:
        if e != cfg.epochs:  # the last epoch's snapshot is the checkpoint itself
            save_generator(snapshot_dir(folder, e), G, cfg, provenance(e))
    save_generator(folder, G, cfg, provenance(cfg.epochs))
    return folder


def write_critic(folder: Path, seed: int = 0) -> Path:
    """critic.safetensors of random weights beside the checkpoint in `folder`, with its config and provenance."""
    side = json.loads((folder / CONFIG_FILE).read_text())
    cfg = VariantConfig.from_dict(side["config"])
    torch.manual_seed(seed)
    return save_critic(folder, build_discriminator(cfg), cfg, side["provenance"])


def fake_metrics(rng: np.random.Generator, collapsed: bool = False) -> dict:
    hist = rng.dirichlet(np.full(10, 0.3 if collapsed else 50.0))
    return {
        "fd": float(rng.uniform(5, 60)),
        "precision": float(rng.uniform(0.3, 0.9)),
        "recall": float(rng.uniform(0.1, 0.8)),
        "class_hist": hist.tolist(),
        "class_kl": float(np.sum(hist * np.log(np.maximum(hist, 1e-12) * 10))),
        "classes_2pct": int((hist >= 0.02).sum()),
        "on_fraction_mean": float(rng.uniform(0.1, 0.2)),
        "on_fraction_std": float(rng.uniform(0.02, 0.06)),
        "speckle_rate": float(rng.uniform(0, 0.05)),
        "memorisation_rate": float(rng.uniform(0, 0.01)),
        "mass_near_01": float(rng.uniform(0.3, 0.9)),
        "notch_depth": float(rng.uniform(-0.2, 0.8)),
    }


def demo_gating_metrics(folder: Path, rng: np.random.Generator, n: int = 2000) -> dict:
    """The gate numbers of the (untrained) gated generator in `folder`, its experts real, its digits made up."""
    from explorer import gated
    from training import gated as gated_net
    from training.pretrained import BinaryGAN

    g = BinaryGAN.from_pretrained(folder)
    index = gated.routes(g, n, seed=0)[1]
    path = gated.path_gates(g, gated_net.interpolation_latents(0), seed=0)[1]
    digits = (index * 3 + rng.integers(0, 4, n)) % 10  # some specialisation, so the heat map has structure
    return gated_net.gating_metrics(index, digits, path.reshape(gated_net.FLIP_PAIRS, gated_net.FLIP_STEPS), g.experts)


def write_evaluation(root: Path, variants: Iterable[str], seed: int = 0) -> None:
    """history.json, steps.csv and metrics.json for each variant, and the summary checkpoints/metrics.json."""
    rng = np.random.default_rng(seed)
    summary: dict = {
        "real_data": {
            **fake_metrics(rng),
            "fd": 0.0,
            "precision": 1.0,
            "recall": 1.0,
            "class_hist": [0.1] * 10,
            "class_kl": 0.0,
            "classes_2pct": 10,
            "mass_near_01": None,
            "notch_depth": None,
        },  # real digits have no p
        "variants": {},
    }
    for name in variants:
        cfg = get_variant(name)
        folder = root / name
        history = []
        for epoch in range(1, cfg.epochs + 1):
            decay = np.exp(-epoch / 6)
            row = {
                "epoch": epoch,
                "slope": cfg.slope_at(epoch),
                "wall_time_s": 60.0 * epoch,
                "d_loss": float(-2 * decay + rng.normal(0, 0.05)),
                "g_loss": float(decay + rng.normal(0, 0.05)),
            }
            if epoch in DEMO_VARIANTS.get(name, ()):  # the evaluation measures the epochs that have a snapshot
                row.update(
                    {
                        "fd": float(60 * decay + 5 + rng.normal(0, 1)),
                        "class_kl": float(0.5 * decay),
                        "classes_2pct": 10,
                        "on_fraction_mean": 0.13,
                        "speckle_rate": float(0.05 * decay),
                        "mass_near_01": float(1 - 0.7 * decay),
                        "notch_depth": float(0.5 * (1 - decay)),
                    }
                )
            history.append(row)
        atomic_write_json(folder / HISTORY_FILE, history)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["step", "epoch", "d_loss", "g_loss"])
        for step in range(0, cfg.epochs * STEPS_PER_EPOCH, 7):
            decay = np.exp(-step / (6 * STEPS_PER_EPOCH))
            writer.writerow(
                [
                    step,
                    step // STEPS_PER_EPOCH + 1,
                    f"{-2 * decay + rng.normal(0, 0.3):.4f}",
                    f"{decay + rng.normal(0, 0.3):.4f}",
                ]
            )
        atomic_write(folder / STEPS_FILE, buf.getvalue().encode())
        metrics = fake_metrics(rng, collapsed=cfg.objective == "gan")
        if cfg.experts:
            metrics |= demo_gating_metrics(folder, rng)
        atomic_write_json(folder / METRICS_FILE, metrics)
        summary["variants"][name] = metrics
    atomic_write_json(root / METRICS_FILE, summary)


def write_corrupt(folder: Path, variant: str) -> Path:
    """A checkpoint whose config.json is fine but whose weights file is garbage: loading raises CheckpointError."""
    write_untrained(folder, variant)
    atomic_write(folder / GENERATOR_FILE, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    return folder


CORRUPT_VARIANT = "mlp-sbn-gan-nobnd"


def build(root: Path) -> Path:
    """Fill `root` with every demo variant, critics for DEMO_CRITICS, their evaluation files, and one corrupt
    checkpoint."""
    for i, (name, snaps) in enumerate(DEMO_VARIANTS.items()):
        if not (root / name / GENERATOR_FILE).exists():  # keep what a caller already put there
            write_untrained(root / name, name, seed=i, snapshots=snaps)
    for i, name in enumerate(DEMO_CRITICS):
        write_critic(root / name, seed=100 + i)
    write_evaluation(root, DEMO_VARIANTS)
    write_corrupt(root / CORRUPT_VARIANT, CORRUPT_VARIANT)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder to fill (created); point BINARYGAN_CHECKPOINTS at it")
    args = parser.parse_args(argv)
    build(args.root)
    print(json.dumps({"root": str(args.root), "variants": sorted(DEMO_VARIANTS)}))


if __name__ == "__main__":
    main()
