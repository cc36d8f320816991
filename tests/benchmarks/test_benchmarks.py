import json
import os
import subprocess
import sys
from functools import partial

import pytest

from benchmarks import dashboard, gated, playground
from benchmarks.flops import forward_flops, iteration_flops
from tests.helpers import REPO
from training.networks import Generator, build_discriminator
from training.variants import get_variant


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "cnn-dbn-wgan-gp"])
def test_forward_flops_are_what_torchs_flop_counter_counts(name):
    """The layer-shape count against an independent one: torch's FlopCounterMode on the same forward pass."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    cfg = get_variant(name)
    for net, x in ((build_discriminator(cfg), torch.zeros(64, 784)), (Generator(cfg).body, torch.zeros(64, 128))):
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            net.eval()(x)
        assert forward_flops(net, x) == counter.get_total_flops() > 0


def test_the_iteration_count_grows_by_one_critic_update_per_critic_step():
    for name in ("mlp-dbn-wgan-gp", "mlp-dbn-wgan", "cnn-dbn-wgan-gp"):
        cfg = get_variant(name)
        one, two, five = (iteration_flops(cfg, n)["iteration"] for n in (1, 2, 5))
        assert five - one == 4 * (two - one) and two - one == iteration_flops(cfg, 1)["d_step"] > 0
    # the penalty's passes make a WGAN-GP critic update dearer than a clipped WGAN's on the same networks
    assert (
        iteration_flops(get_variant("mlp-dbn-wgan-gp"))["d_step"]
        > iteration_flops(get_variant("mlp-dbn-wgan"))["d_step"]
    )


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
    assert all(row["samples_per_s"] > 0 and row["interp_64_frames_ms"] > 0 for row in r["sampling"])
    pages = [row["page"] for row in r["dashboard"]]
    assert pages[0] == "cold start (process)" and pages[1:] == list(dashboard.PAGES)
    assert {row["neuron"] for row in r["gradient_lab"]} == {"dbn", "sbn"}
    assert all(
        row["page_sample_ms"] > 0 and row["compare_s"] > 0 and row["compare_n"] == 32 for row in r["gradient_lab"]
    )
    assert [(row["neuron"], row["estimator"]) for row in r["playground"]] == list(playground.CASES)
    assert all(row["steps_per_s"] > 0 and 0 < row["first_frame_s"] < row["cold_frame_s"] for row in r["playground"])
    if os.environ.get("BINARYGAN_DATA"):  # the MNIST world needs the data; without it the section is empty
        assert [row["variant"] for row in r["playground_mnist"]] == list(playground.MNIST_CASES)
        assert all(row["steps_per_s"] > row["warmup_steps_per_s"] > 0 for row in r["playground_mnist"])
    assert "of roofline" in done.stdout and "warm median ms" in done.stdout
    assert [(row["variant"], row["batch"]) for row in r["gated"]] == [
        ("mlp-dbn-wgan-gp-code", 1),
        ("mlp-dbn-wgan-gp-code-gated", 1),
        ("mlp-dbn-wgan-gp-code", 1024),
        ("mlp-dbn-wgan-gp-code-gated", 1024),
    ]
    assert all(row["network_ms"] > 0 and row["decode_ms"] > 0 for row in r["gated"])


@pytest.mark.slow
def test_the_render_times_under_load_cover_each_page_with_and_without_a_live_run(tmp_path):
    from tests.browser.conftest import CHROMIUM

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.playground_load",
            "--quick",
            "--pages",
            "overview,samples",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )  # a process of its own: Playwright's sync API runs one instance per thread, and the browser tests hold one
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text())
    assert [(r["page"], r["live_runs"]) for r in rows] == [
        ("overview", 0),
        ("samples", 0),
        ("overview", 1),
        ("samples", 1),
    ]
    assert all(0 < r["median_s"] <= r["max_s"] for r in rows)
    assert "1 live (s)" in done.stdout
