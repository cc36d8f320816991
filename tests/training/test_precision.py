"""fp16 and fp32 weights of the same generator give the same samples, so shipping fp16 loses nothing visible."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer import load_generator
from training.checkpoint import save_generator
from training.config import get_variant
from training.networks import Generator


def _generator(name: str, seed: int = 0) -> Generator:
    """Random weights and perturbed BatchNorm statistics, like a trained generator's running estimates."""
    torch.manual_seed(seed)
    G = Generator(get_variant(name))
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return G


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp"])
def test_fp16_and_fp32_weights_give_the_same_samples(tmp_path, name):
    G, cfg = _generator(name), get_variant(name)
    prov = {"epoch": 20, "final_slope": cfg.slope_at(20)}
    save_generator(tmp_path / "fp16", G, cfg, prov, dtype=torch.float16)
    save_generator(tmp_path / "fp32", G, cfg, prov, dtype=torch.float32)
    assert (tmp_path / "fp16" / "generator.safetensors").stat().st_size < \
        0.6 * (tmp_path / "fp32" / "generator.safetensors").stat().st_size
    a = load_generator(tmp_path / "fp16").sample(1000, seed=0)
    b = load_generator(tmp_path / "fp32").sample(1000, seed=0)
    assert np.mean(a.binary == b.binary) >= 0.999
    assert np.abs(a.preactivation - b.preactivation).max() < 0.05
