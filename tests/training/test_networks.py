from dataclasses import replace

import pytest
import torch

from tests.helpers import f32_tol
from training.networks import AffineBatchNorm, Generator, build_discriminator, count_parameters
from training.variants import REGISTRY, get_variant

# Computed from the paper's tables (Dense = in*out + out; BatchNorm = 2 * features).
MLP_G = (128 * 1024 + 1024) + 2 * 1024 + (1024 * 784 + 784) + 2 * 784
MLP_D = (784 * 512 + 512) + (512 * 256 + 256) + (256 + 1)
CNN_G = (128 * 128 * 4 + 128) + 256 + (128 * 64 * 16 + 64) + 128 + (64 * 32 * 9 + 32) + 64 + (32 * 16 + 1) + 2
CNN_D = (32 * 9 + 32) + (32 * 64 * 9 + 64) + (2304 * 128 + 128) + (128 + 1)


def test_mlp_discriminator_has_the_papers_533505_parameters():
    assert MLP_D == 533_505
    assert count_parameters(build_discriminator(get_variant("mlp-dbn-wgan-gp"))) == 533_505


@pytest.mark.parametrize(
    "name,g_params,d_params",
    [
        ("mlp-dbn-wgan-gp", MLP_G, MLP_D),
        ("mlp-dbn-gan", MLP_G, MLP_D + 2 * (512 + 256)),
        ("cnn-sbn-wgan-gp", CNN_G, CNN_D),
    ],
)
def test_parameter_counts_match_the_tables(name, g_params, d_params):
    cfg = get_variant(name)
    assert count_parameters(Generator(cfg)) == g_params
    assert count_parameters(build_discriminator(cfg)) == d_params


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_variant_maps_latents_to_images_and_images_to_scores(name):
    cfg = get_variant(name)
    torch.manual_seed(0)
    G, D = Generator(cfg), build_discriminator(cfg)
    z = torch.randn(5, 128)
    assert G.logits(z, generator=torch.Generator().manual_seed(1)).shape == (5, 784)  # random routing draws
    y = G(z, slope=1.0, generator=torch.Generator().manual_seed(0))
    assert y.shape == (5, 784)
    if cfg.neuron != "real":
        assert set(y.unique().tolist()) <= {0.0, 1.0}
    assert D(y).shape == (5,)


def test_cnn_generator_passes_through_the_tables_spatial_sizes():
    G = Generator(get_variant("cnn-dbn-wgan-gp"))
    h = torch.randn(2, 128)[:, :, None, None]
    sizes = []
    for layer in G.body.net:
        h = layer(h)
        if isinstance(layer, torch.nn.ConvTranspose2d):
            sizes.append(tuple(h.shape[1:]))
    assert sizes == [(128, 2, 2), (64, 6, 6), (32, 13, 13), (1, 28, 28)]


def test_cnn_discriminator_flattens_to_2304():
    D = build_discriminator(get_variant("cnn-dbn-wgan-gp"))
    h = torch.zeros(2, 1, 28, 28)
    for layer in D.net:
        h = layer(h)
        if isinstance(layer, torch.nn.Flatten):
            assert h.shape == (2, 2304)
            break
    else:
        pytest.fail("no Flatten layer")


@pytest.mark.parametrize("batchnorm", [False, True])
def test_cnn_discriminator_pooling_before_leaky_relu_matches_the_papers_order(batchnorm):
    torch.manual_seed(0)
    D = build_discriminator(replace(get_variant("cnn-dbn-wgan-gp"), d_batchnorm=batchnorm))
    conv1, conv2 = (m for m in D.net if isinstance(m, torch.nn.Conv2d))
    dense, score = (m for m in D.net if isinstance(m, torch.nn.Linear))
    bns = [m for m in D.net if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)] or [torch.nn.Identity()] * 3
    lrelu = torch.nn.LeakyReLU(0.2)

    def papers_order(x):  # conv -> (BN) -> LeakyReLU -> pool, as the table lists it
        h = torch.nn.functional.max_pool2d(lrelu(bns[0](conv1(x.view(-1, 1, 28, 28)))), 2)
        h = torch.nn.functional.max_pool2d(lrelu(bns[1](conv2(h))), 2, ceil_mode=True)
        return score(lrelu(bns[2](dense(h.flatten(1))))).squeeze(1)

    x = (torch.rand(16, 784) > 0.7).float()  # binary images tie inside pooling windows; LeakyReLU keeps ties
    (ours,) = torch.autograd.grad(D(x.requires_grad_()).sum(), x)
    (theirs,) = torch.autograd.grad(papers_order(x).sum(), x)
    # Two graphs, equal in exact arithmetic, that run their layers on other shapes (pooled before or after the
    # activation): equal to float32 rounding of the largest value summed over the dense layer's inputs.
    score_tol = f32_tol(D(x).detach().abs().max(), terms=dense.in_features)
    torch.testing.assert_close(D(x), papers_order(x), rtol=0, atol=score_tol)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=f32_tol(theirs.abs().max(), terms=dense.in_features))


# ---- the reference code's recipe: affine BatchNorm and its initialisation ----


def _code(name: str):
    return replace(get_variant(name), batchnorm="affine", init="reference")


@pytest.mark.parametrize("conv", [False, True])
def test_affine_batchnorm_is_the_reference_codes_formula(conv):
    torch.manual_seed(0)
    bn = AffineBatchNorm(6)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(6))
        bn.bias.copy_(torch.randn(6))
    x = torch.randn(4, 6, 3, 3) if conv else torch.randn(4, 6)
    shape = (1, 6, 1, 1) if conv else (1, 6)
    expected = bn.weight.view(shape) * x / (1 + 1e-3) ** 0.5 + bn.bias.view(shape)
    torch.testing.assert_close(bn(x), expected)


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp", "cnn-dbn-wgan-gp"])
@pytest.mark.parametrize("training", [True, False])
def test_affine_batchnorm_makes_one_examples_output_independent_of_its_batch(name, training):
    cfg = _code(name).replace(d_batchnorm=True)
    torch.manual_seed(0)
    G, D = Generator(cfg).train(training), build_discriminator(cfg).train(training)
    z = torch.randn(8, 128)
    alone, in_batch = G.logits(z[:1]), G.logits(torch.cat([z[:1], 5 * torch.randn(7, 128)]))[:1]
    # a batch of 1 and one of 8 take other kernels: equal to float32 rounding of the largest activations summed
    # over a layer's inputs (1024 at most); an example that depended on its batch would move by O(1)
    torch.testing.assert_close(alone, in_batch, rtol=0, atol=f32_tol(in_batch.abs().max(), terms=1024))
    x = torch.rand(8, 784)
    d_alone, d_batch = D(x[:1]), D(torch.cat([x[:1], torch.ones(7, 784)]))[:1]
    torch.testing.assert_close(d_alone, d_batch, rtol=0, atol=f32_tol(d_batch.abs().max(), terms=1024))
    # the paper text's BatchNorm, by contrast, couples them while training
    if training:
        batch = Generator(cfg.replace(batchnorm="batch")).train()
        assert not torch.allclose(batch.logits(z[:2])[:1], batch.logits(torch.cat([z[:1], 5 * z[1:2]]))[:1])


def test_affine_batchnorm_replaces_every_batchnorm_in_g_and_d():
    for name in ("mlp-dbn-gan", "cnn-sbn-wgan-gp"):
        cfg = _code(name).replace(d_batchnorm=True)
        for net in (Generator(cfg), build_discriminator(cfg)):
            assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in net.modules())
            assert any(isinstance(m, AffineBatchNorm) for m in net.modules())
        # same parameters as batch statistics' BatchNorm: gamma and beta per unit
        assert count_parameters(Generator(cfg)) == count_parameters(Generator(get_variant(name)))


@pytest.mark.parametrize("name", ["mlp-dbn-gan", "cnn-sbn-wgan-gp"])
def test_reference_initialisation_has_the_truncated_normals_statistics(name):
    cfg = _code(name).replace(d_batchnorm=True)
    torch.manual_seed(0)
    weights = []
    for net in (Generator(cfg), build_discriminator(cfg)):
        for m in net.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                assert torch.count_nonzero(m.bias) == 0
                weights.append(m.weight.detach().flatten())
            if isinstance(m, AffineBatchNorm):
                assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    w = torch.cat(weights)
    assert w.abs().max() <= 0.04  # cut at two standard deviations
    # N(0, 0.02) truncated at +-2 sd has sd 0.02 * sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.01759
    assert abs(w.mean().item()) < 3 * 0.0176 / w.numel() ** 0.5 + 1e-6
    assert w.std().item() == pytest.approx(0.01759, rel=0.01)
    # and beyond 1 sd a truncated normal keeps (Phi(2) - Phi(1)) / (Phi(2) - 0.5) of each half: 28.6%
    assert (w.abs() > 0.02).float().mean().item() == pytest.approx(0.2857, abs=0.01)


def test_torch_initialisation_is_untouched_by_the_new_fields():
    torch.manual_seed(0)
    before = Generator(get_variant("mlp-dbn-wgan-gp")).state_dict()
    torch.manual_seed(0)
    after = Generator(get_variant("mlp-dbn-wgan-gp").replace(init="torch", batchnorm="batch")).state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert before["body.net.0.weight"].abs().max() > 0.04  # PyTorch's uniform(+-1/sqrt(128)), not the reference's
