import json
import os
import subprocess
import sys

import pytest

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
    assert pages[0] == "cold start (process)" and len(pages) == 9
    assert {row["neuron"] for row in r["gradlab"]} == {"dbn", "sbn"}
    assert all(row["page_sample_ms"] > 0 and row["compare_s"] > 0 and row["compare_n"] == 32 for row in r["gradlab"])
    assert "of roofline" in done.stdout and "warm median ms" in done.stdout
