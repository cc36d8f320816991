from dataclasses import replace

import pytest
import torch

from training.config import REGISTRY, get_variant
from training.networks import Generator, build_discriminator, count_parameters

# Computed from the paper's tables (Dense = in*out + out; BatchNorm = 2 * features).
MLP_G = (128 * 1024 + 1024) + 2 * 1024 + (1024 * 784 + 784) + 2 * 784
MLP_D = (784 * 512 + 512) + (512 * 256 + 256) + (256 + 1)
CNN_G = (128 * 128 * 4 + 128) + 256 + (128 * 64 * 16 + 64) + 128 + (64 * 32 * 9 + 32) + 64 + (32 * 16 + 1) + 2
CNN_D = (32 * 9 + 32) + (32 * 64 * 9 + 64) + (2304 * 128 + 128) + (128 + 1)


def test_mlp_discriminator_has_the_papers_533505_parameters():
    assert MLP_D == 533_505
    assert count_parameters(build_discriminator(get_variant("mlp-dbn-wgan-gp"))) == 533_505


@pytest.mark.parametrize("name,g_params,d_params", [
    ("mlp-dbn-wgan-gp", MLP_G, MLP_D),
    ("mlp-dbn-gan", MLP_G, MLP_D + 2 * (512 + 256)),
    ("cnn-sbn-wgan-gp", CNN_G, CNN_D),
])
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
    assert G.logits(z).shape == (5, 784)
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
    ours, = torch.autograd.grad(D(x.requires_grad_()).sum(), x)
    theirs, = torch.autograd.grad(papers_order(x).sum(), x)
    torch.testing.assert_close(D(x), papers_order(x), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-7)
