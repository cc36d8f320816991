import json
import os
import subprocess
import sys
from functools import partial

import pytest

from benchmarks import dashboard, gated
from benchmarks.flops import forward_flops, iteration_flops
from tests.helpers import REPO
from training.config import get_variant
from training.networks import Generator, build_discriminator


def test_flops_follow_the_layer_shapes():
    import torch

    mlp = get_variant("mlp-dbn-wgan-gp")
    f_d = forward_flops(build_discriminator(mlp), torch.zeros(64, 784))
    assert f_d == 2 * 64 * (784 * 512 + 512 * 256 + 256 * 1)
    f_g = forward_flops(Generator(mlp).body, torch.zeros(64, 128))
    assert f_g == 2 * 64 * (128 * 1024 + 1024 * 784)
    it = iteration_flops(mlp)
    assert it["d_step"] == 10 * f_d  # 3x on real+fake, 4x for the penalty
    assert it["iteration"] == f_g + 5 * it["d_step"] + 3 * f_g + 2 * f_d
    assert iteration_flops(get_variant("mlp-dbn-wgan"))["d_step"] == 6 * f_d
    # CNN critic: conv 1->32 3x3 on 26x26, conv 32->64 3x3 on 11x11, dense 2304->128->1
    cnn_d = forward_flops(build_discriminator(get_variant("cnn-dbn-wgan-gp")), torch.zeros(1, 784))
    assert cnn_d == 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 2304 * 128 + 128)


@pytest.mark.parametrize("batch", [1, 37])
def test_sampling_a_gated_generator_runs_a_quarter_of_the_dense_multiply_adds(batch):
    """Counted on the rows each layer really receives: the gate layer plus one 256-wide expert per latent."""
    import torch

    from explorer.demo import untrained_generator
    from training.pretrained import BinaryGAN

    def loaded(name):
        cfg = get_variant(name)
        state = {
            k: v for k, v in untrained_generator(cfg).state_dict().items() if not k.endswith("num_batches_tracked")
        }
        return BinaryGAN(cfg, state, {"final_slope": 1.0}, "test")

    z = torch.randn(batch, 128, generator=torch.Generator().manual_seed(0))
    d, g = loaded("mlp-sbn-wgan-gp-code"), loaded("mlp-sbn-wgan-gp-code-gated")
    dense = gated.sampled_macs(d._net, partial(gated._network, d, z))
    sparse = gated.sampled_macs(g._net, partial(gated._network, g, z))
    assert dense == batch * (128 * 1024 + 1024 * 784)
    assert sparse == batch * (128 * 2 + 128 * 256 + 256 * 784)


@pytest.mark.slow
def test_quick_benchmark_runs_and_reports_every_section(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    r = json.loads(out.read_text())
    assert r["roofline_gflops"] > 1
    assert {row["variant"] for row in r["training"]} == {"mlp-dbn-wgan-gp", "cnn-dbn-wgan-gp"}
    for row in r["training"]:
        assert row["ms_per_iteration"] > 0 and row["naive_ms_per_iteration"] > 0
        assert 0 < row["roofline_share"] < 1.5  # above 1 would mean the FLOP count or the roofline is wrong
    assert [(row["how"], row["models"]) for row in r["stacked"]] == [("train_step", 1), ("stacked (vmap)", 2)]
    assert all(row["ms_per_model"] > 0 for row in r["stacked"])
    assert all(row["samples_per_s"] > 0 and row["interp_64_frames_ms"] > 0 for row in r["sampling"])
    pages = [row["page"] for row in r["dashboard"]]
    assert pages[0] == "cold start (process)" and pages[1:] == list(dashboard.PAGES)
    assert {row["neuron"] for row in r["gradlab"]} == {"dbn", "sbn"}
    assert all(row["page_sample_ms"] > 0 and row["compare_s"] > 0 and row["compare_n"] == 32 for row in r["gradlab"])
    assert "of roofline" in done.stdout and "warm median ms" in done.stdout
    assert [(row["variant"], row["batch"]) for row in r["gated"]] == [
        ("mlp-dbn-wgan-gp-code", 1),
        ("mlp-dbn-wgan-gp-code-gated", 1),
        ("mlp-dbn-wgan-gp-code", 1024),
        ("mlp-dbn-wgan-gp-code-gated", 1024),
    ]
    assert all(row["network_ms"] > 0 and row["decode_ms"] > 0 for row in r["gated"])
