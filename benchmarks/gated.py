"""What conditional computation saves when sampling: the gated generators against their dense twins, multiply-adds
counted from the layers that actually ran, and the wall time of the network and of a whole decode, at batch 1 and
1024."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import torch
from torch import nn

from benchmarks.roofline import timed
from benchmarks.sampling import checkpoint_folder
from explorer import BinaryGAN, load_generator, make_latents
from training.variants import GATED_SUFFIX, REGISTRY

BATCHES = (1, 1024)
COLUMNS = [
    ("variant", "variant", "s"),
    ("batch", "batch", "d"),
    ("macs_per_sample", "multiply-adds / sample", ",.0f"),
    ("network_ms", "network ms", ".3f"),
    ("decode_ms", "decode ms", ".3f"),
    ("macs_saved", "MACs saved", ".0%"),
    ("network_speedup", "network speed-up", ".2f"),
    ("decode_speedup", "decode speed-up", ".2f"),
]


def sampled_macs(net: nn.Module, route: partial) -> int:
    """Multiply-adds of the Linear layers that one call of `route` runs, on the rows each layer actually receives."""
    total = 0

    def hook(layer: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(layer, nn.Linear)
        total += output.shape[0] * layer.in_features * layer.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Linear)]
    try:
        with torch.inference_mode():
            route()
    finally:
        for h in handles:
            h.remove()
    return total


def _network(g: BinaryGAN, z: torch.Tensor) -> None:
    with torch.inference_mode():
        g._net.route(z, g.slope, torch.Generator().manual_seed(0))


def measure(g: BinaryGAN, batch: int, min_time: float) -> dict:
    latents = make_latents(batch, seed=0)
    z = torch.from_numpy(latents)
    cpu = torch.device("cpu")
    macs = sampled_macs(g._net, partial(_network, g, z))
    return {
        "variant": g.name,
        "batch": batch,
        "macs_per_sample": macs / batch,
        "network_ms": timed(partial(_network, g, z), cpu, min_time) * 1e3,
        "decode_ms": timed(partial(g.decode, latents, 0), cpu, min_time) * 1e3,
    }


def run(quick: bool = False) -> list[dict]:
    """A row per (variant, batch): dense twins first, each gated row with what it saves against its twin."""
    min_time = 0.3 if quick else 2.0
    rows = []
    # the gate-routed variants; the controls of docs/conditional.md have no dense twin by name
    gated = [name for name, cfg in REGISTRY.items() if cfg.experts and cfg.routing == "gates"][: 1 if quick else None]
    with tempfile.TemporaryDirectory() as tmp:
        for name in gated:
            pair = [load_generator(checkpoint_folder(Path(tmp), n)) for n in (name.removesuffix(GATED_SUFFIX), name)]
            for batch in BATCHES:
                dense, sparse = (measure(g, batch, min_time) for g in pair)
                sparse["macs_saved"] = 1 - sparse["macs_per_sample"] / dense["macs_per_sample"]
                sparse["network_speedup"] = dense["network_ms"] / sparse["network_ms"]
                sparse["decode_speedup"] = dense["decode_ms"] / sparse["decode_ms"]
                dense |= {"macs_saved": 0.0, "network_speedup": 1.0, "decode_speedup": 1.0}
                rows += [dense, sparse]
    return rows
