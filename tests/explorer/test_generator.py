import numpy as np
import pytest
import torch

from explorer import CheckpointNotFound, load_generator, make_latents
from tests.helpers import f32_tol
from training.networks import Generator
from training.sampling import CHUNK
from training.variants import UnknownVariantError, get_variant


def test_variant_names_resolve_in_the_checkpoints_folder(use_checkpoints):
    g = load_generator("mlp-sbn-wgan-gp")
    assert g.config["name"] == "mlp-sbn-wgan-gp" and g.config["neuron"] == "sbn"
    s = g.sample(8, seed=0)
    assert s.binary.shape == (8, 28, 28) and s.binary.dtype == np.uint8
    assert s.preactivation.shape == (8, 28, 28) and s.preactivation.dtype == np.float32
    assert set(np.unique(s.binary)) <= {0, 1}
    assert s.preactivation.min() >= 0.0 and s.preactivation.max() <= 1.0


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp"])
def test_same_seed_same_arrays_other_seed_other_arrays(use_checkpoints, name):
    g = load_generator(name)
    a, b, c = g.sample(32, seed=7), g.sample(32, seed=7), g.sample(32, seed=8)
    assert np.array_equal(a.binary, b.binary) and np.array_equal(a.preactivation, b.preactivation)
    assert not np.array_equal(a.preactivation, c.preactivation)


def test_preactivation_is_sigmoid_of_slope_times_logits(use_checkpoints):
    g = load_generator("mlp-dbn-wgan-gp")
    z = make_latents(4, seed=1)
    s = g.decode(z)
    net = Generator(get_variant("mlp-dbn-wgan-gp"))
    net.load_state_dict(g._net.state_dict())
    net.eval()
    with torch.no_grad():
        p = torch.sigmoid(g.slope * net.logits(torch.from_numpy(z))).numpy().reshape(4, 28, 28)
    np.testing.assert_allclose(s.preactivation, p, rtol=1e-6)
    assert g.slope == pytest.approx(1.1**19)
    assert np.array_equal(s.binary, (p > 0.5).astype(np.uint8))


def test_real_valued_binary_is_the_threshold_of_the_preactivation(use_checkpoints):
    s = load_generator("mlp-real-wgan-gp").sample(16, seed=3)
    assert np.array_equal(s.binary, (s.preactivation > 0.5).astype(np.uint8))


def test_sbn_samples_are_bernoulli_draws_of_the_preactivation(use_checkpoints):
    s = load_generator("mlp-sbn-wgan-gp").sample(2000, seed=0)
    p, y = s.preactivation.ravel(), s.binary.ravel()
    for lo, hi in ((0.2, 0.3), (0.45, 0.55), (0.7, 0.8)):
        sel = (p > lo) & (p < hi)
        assert sel.sum() > 1000
        assert abs(y[sel].mean() - p[sel].mean()) < 4 * np.sqrt(0.25 / sel.sum()) + 0.01


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp", "cnn-dbn-wgan-gp"])  # BatchNorm in the CNN's every layer
def test_decode_is_independent_of_batch_size(use_checkpoints, name):
    """Across the CHUNK boundary too: one call of 2.5 chunks, or one small call per latent."""
    g = load_generator(name)
    n = CHUNK * 2 + CHUNK // 2
    z = make_latents(n, seed=2)
    whole = g.decode(z).preactivation
    single = np.concatenate([g.decode(z[i : i + 1]).preactivation for i in (0, CHUNK - 1, CHUNK, n - 1)])
    # Other batch shapes pick other kernels and summation orders: equal to float32 rounding, not bit for bit.
    # p = sigmoid(slope * x) moves by at most slope / 4 times x's error, ~eps * max|x| summed over 1024 inputs.
    x = np.abs(g.logits(torch.from_numpy(z[:CHUNK])).numpy()).max()
    tol = f32_tol(g.slope / 4 * x, terms=1024)
    assert tol < 1e-3  # a sample that depended on its batch (BatchNorm in training mode) moves p by ~0.1
    np.testing.assert_allclose(whole[[0, CHUNK - 1, CHUNK, n - 1]], single, rtol=0, atol=tol)
    parts = np.concatenate([g.decode(z[: CHUNK + 3]).preactivation, g.decode(z[CHUNK + 3 :]).preactivation])
    np.testing.assert_allclose(whole, parts, rtol=0, atol=tol)


def test_snapshots_load_by_epoch_and_the_final_epoch_is_the_checkpoint(use_checkpoints):
    g = load_generator("mlp-dbn-wgan-gp", epoch=5)
    assert g.epoch == 5 and g.slope == pytest.approx(1.1**4)
    assert load_generator("mlp-dbn-wgan-gp", epoch=20).source == str(use_checkpoints / "mlp-dbn-wgan-gp")
    with pytest.raises(CheckpointNotFound, match="epoch 7"):
        load_generator("mlp-dbn-wgan-gp", epoch=7)


def test_untrained_variant_and_unknown_name_are_told_apart(use_checkpoints):
    with pytest.raises(CheckpointNotFound, match="not trained yet"):
        load_generator("mlp-dbn-gan")
    with pytest.raises(UnknownVariantError, match="unknown variant 'mlp-xyz'"):
        load_generator("mlp-xyz")


@pytest.mark.parametrize("n", [0, -1, 10**9, 2.5, True])
def test_out_of_range_sample_counts_are_refused(use_checkpoints, n):
    with pytest.raises(ValueError, match="sample count"):
        load_generator("mlp-dbn-wgan-gp").sample(n)


@pytest.mark.parametrize("z", [np.zeros((3, 64)), np.zeros(128), np.full((2, 128), np.nan)])
def test_bad_latents_are_refused(use_checkpoints, z):
    with pytest.raises(ValueError, match="latents"):
        load_generator("mlp-dbn-wgan-gp").decode(z)


def test_loaded_model_is_read_only(use_checkpoints):
    g = load_generator("mlp-dbn-wgan-gp")
    assert not g._net.training and not any(p.requires_grad for p in g._net.parameters())
    cfg = g.config
    cfg["neuron"] = "sbn"
    assert g.config["neuron"] == "dbn"
