"""training/sampling.py: a sample depends on its seed and its row only, and its noise is no other stream's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import make_checkpoint
from training.checkpoint import load_checkpoint
from training.pretrained import BinaryGAN
from training.sampling import make_latents

SEED = 3


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, BinaryGAN]:
    """Tiny seeded checkpoints (untrained weights, perturbed BatchNorm statistics) of each kind of sampler."""
    root = tmp_path_factory.mktemp("sampling")
    names = (
        "mlp-sbn-wgan-gp",
        "mlp-sbn-wgan-gp-code-gated",
        "mlp-dbn-wgan-gp-code-gated",
        "mlp-dbn-wgan-gp",
        "mlp-real-wgan-gp",
    )
    for i, name in enumerate(names):
        make_checkpoint(root / name, name, seed=i)
    return {name: BinaryGAN.from_pretrained(root / name) for name in names}


def _same(a, b, rows: int) -> None:
    np.testing.assert_array_equal(a.binary[:rows], b.binary[:rows])
    np.testing.assert_array_equal(a.latents[:rows], b.latents[:rows])
    if a.gates is not None:
        np.testing.assert_array_equal(a.gates[:rows], b.gates[:rows])
    # p is a float sum whose last bit a BLAS kernel may choose by batch size; the pixels are not (see tolerances doc)
    np.testing.assert_allclose(a.preactivation[:rows], b.preactivation[:rows], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-code-gated", "mlp-dbn-wgan-gp-code-gated"])
def test_a_sample_is_the_same_whatever_the_number_drawn_with_it(models, name):
    g = models[name]
    reference = g.sample(25, SEED)
    for n in (1, 16, 40):
        _same(g.sample(n, SEED), reference, min(n, 25))


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-code-gated"])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_a_sample_is_the_same_whatever_the_chunk_size(models, name, chunk):
    g = models[name]
    z = make_latents(150, SEED)
    _same(g.decode(z, SEED, chunk=chunk), g.decode(z, SEED), 150)


def test_a_gated_sbns_gates_draw_apart_from_its_pixels(models):
    """Its gates are stochastic: the same latents route differently under another seed, and do route somewhere."""
    g = models["mlp-sbn-wgan-gp-code-gated"]
    z = make_latents(200, SEED)
    a, b = g.decode(z, SEED).gates, g.decode(z, SEED + 1).gates
    assert a is not None and b is not None
    assert (a.argmax(1) != b.argmax(1)).any() and len(np.unique(a.argmax(1))) > 1


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp-code-gated", "mlp-dbn-wgan-gp-code-gated"])
def test_a_latent_forced_through_its_own_expert_gives_its_routed_sample(models, name):
    g = models[name]
    routed = g.sample(64, SEED)
    assert routed.gates is not None
    index = routed.gates.argmax(1)
    for k in range(g.experts):
        rows = index == k
        forced = g.sample(64, SEED, expert=k)
        np.testing.assert_array_equal(forced.binary[rows], routed.binary[rows])
        np.testing.assert_allclose(forced.preactivation[rows], routed.preactivation[rows], rtol=0, atol=1e-6)


def test_the_output_noise_is_not_the_latents_stream(models):
    """The old noise (seed + 2**32) was the latents' own generator, as torch keeps 32 bits: its pixels were 1[u < p]
    for the very uniforms the latents were made from."""
    g = models["mlp-sbn-wgan-gp"]
    s = g.sample(64, SEED)
    p = s.preactivation.reshape(64, -1)
    u = torch.rand(64, 784, generator=torch.Generator().manual_seed(SEED)).numpy()
    replayed = (u < p).astype(np.uint8)
    rows_equal = (replayed == s.binary.reshape(64, -1)).all(axis=1)
    assert not rows_equal.any()
    # and the pixels are Bernoulli(p): their mean matches p's within a few standard errors
    se = np.sqrt((p * (1 - p)).sum()) / p.size
    assert abs(s.binary.mean() - p.mean()) < 5 * se


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-real-wgan-gp", "mlp-dbn-wgan-gp-code-gated"])
def test_deterministic_neurons_draw_no_noise(models, name):
    """DBN and real-valued variants' samples depend on the latents alone, so the new noise streams cannot have moved
    their shipped metrics."""
    g = models[name]
    z = make_latents(32, SEED)
    a, b = g.decode(z, seed=0), g.decode(z, seed=12345)
    _same(a, b, 32)


def _global_state() -> torch.Tensor:
    return torch.random.get_rng_state()


def test_loading_leaves_torchs_global_generator_alone(tmp_path: Path):
    """The code recipe's truncated-normal init is the costliest draw a build could make."""
    for name in ("mlp-dbn-wgan-gp-code", "mlp-sbn-wgan-gp-code-gated"):
        make_checkpoint(tmp_path / name, name, seed=1)
        torch.manual_seed(0)
        before = _global_state()
        g = BinaryGAN.from_pretrained(tmp_path / name)
        load_checkpoint(tmp_path / name)
        assert torch.equal(_global_state(), before)
        g.sample(4, 0)
        assert torch.equal(_global_state(), before)


def test_loaded_weights_are_the_stored_ones(models, tmp_path: Path):
    """Built on the meta device and filled: every tensor, batch counters zeroed, nothing left uninitialised."""
    make_checkpoint(tmp_path / "m", "mlp-dbn-wgan-gp", seed=2)
    _, state, _ = load_checkpoint(tmp_path / "m")
    net = BinaryGAN.from_pretrained(tmp_path / "m")._net
    for key, value in net.state_dict().items():
        if key.endswith("num_batches_tracked"):
            assert value.item() == 0
        else:
            assert torch.equal(value, state[key]), key
