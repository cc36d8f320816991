"""fp16 and fp32 weights of the same generator give the same samples, so shipping fp16 loses nothing visible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.demo import untrained_generator
from training.checkpoint import load_checkpoint, save_generator
from training.pretrained import BinaryGAN
from training.variants import get_variant


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp"])
def test_fp16_and_fp32_weights_give_the_same_samples(tmp_path, name):
    cfg = get_variant(name)
    G = untrained_generator(cfg)  # fp32 weights that fp16 cannot hold exactly
    prov = {"epoch": 20, "final_slope": cfg.slope_at(20)}
    save_generator(tmp_path / "fp16", G, cfg, prov, dtype=torch.float16)
    save_generator(tmp_path / "fp32", G, cfg, prov, dtype=torch.float32)
    assert (tmp_path / "fp16" / "generator.safetensors").stat().st_size < 0.6 * (
        tmp_path / "fp32" / "generator.safetensors"
    ).stat().st_size
    # the comparison means something only if the two files hold different numbers
    _, w16, _ = load_checkpoint(tmp_path / "fp16")
    _, w32, _ = load_checkpoint(tmp_path / "fp32")
    assert all(torch.equal(w32[k], G.state_dict()[k]) for k in w32)
    assert any(not torch.equal(w16[k], w32[k]) for k in w32)
    a = BinaryGAN.from_pretrained(tmp_path / "fp16").sample(1000, seed=0)
    b = BinaryGAN.from_pretrained(tmp_path / "fp32").sample(1000, seed=0)
    assert np.mean(a.binary == b.binary) >= 0.999
    assert np.abs(a.preactivation - b.preactivation).max() < 0.05
