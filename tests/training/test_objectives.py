from dataclasses import replace

import numpy as np
import pytest
import torch

from training import objectives as obj
from training.networks import AffineBatchNorm, build_discriminator
from training.variants import get_variant


def test_gradient_penalty_matches_a_hand_computation():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 1))
    real, fake = torch.rand(3, 6), torch.rand(3, 6)
    alpha = torch.tensor([0.0, 0.25, 1.0])
    x_hat = obj.interpolate(real, fake, alpha)

    W1, b1 = critic[0].weight.detach().numpy(), critic[0].bias.detach().numpy()
    w2 = critic[2].weight.detach().numpy()[0]
    xh = fake.numpy() + alpha.numpy()[:, None] * (real.numpy() - fake.numpy())
    h = xh @ W1.T + b1
    slope = np.where(h > 0, 1.0, 0.2)
    grads = (slope * w2) @ W1  # dD/dx per example, (3, 6)
    expected = np.mean((np.linalg.norm(grads, axis=1) - 1.0) ** 2)

    assert torch.allclose(x_hat[0], fake[0]) and torch.allclose(x_hat[2], real[2])
    gp = obj.gradient_penalty(lambda x: critic(x).squeeze(1), x_hat)
    assert gp.item() == pytest.approx(expected, rel=1e-5)


def test_gradient_penalty_is_differentiable_wrt_critic_weights():
    critic = torch.nn.Linear(4, 1)
    gp = obj.gradient_penalty(lambda x: critic(x).squeeze(1), torch.rand(5, 4))
    gp.backward()
    w = critic.weight.detach()[0]
    # GP = (||w|| - 1)^2 for a linear critic, so dGP/dw = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(critic.weight.grad[0], 2 * (w.norm() - 1) * w / w.norm())


def test_losses_on_known_scores():
    d_real, d_fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    assert obj.wgan_d_loss(d_real, d_fake).item() == pytest.approx(0.0 - 1.0)
    assert obj.wgan_g_loss(d_fake).item() == pytest.approx(0.0)
    sp = lambda v: np.log1p(np.exp(v))  # noqa: E731
    assert obj.gan_d_loss(d_real, d_fake).item() == pytest.approx((sp(-2) + sp(0)) / 2 + (sp(-1) + sp(1)) / 2, rel=1e-6)
    assert obj.gan_g_loss(d_fake).item() == pytest.approx((sp(1) + sp(-1)) / 2, rel=1e-6)


def test_critic_schedule_follows_the_reference_code():
    cfg = get_variant("mlp-dbn-wgan-gp")
    assert [cfg.critic_steps(s) for s in (0, 24, 25, 26, 499, 500, 501, 1000)] == [100, 100, 5, 5, 5, 100, 5, 100]


@pytest.mark.parametrize(
    "variant,d_batchnorm",
    [
        ("mlp-dbn-wgan-gp", False),
        ("cnn-dbn-wgan-gp", False),
        ("mlp-dbn-wgan-gp-bnd-code", True),
        ("cnn-dbn-wgan-gp-code", True),  # the reference code's affine BatchNorm in D
    ],
)
def test_closed_form_penalty_equals_autograds_double_backward(variant, d_batchnorm):
    torch.manual_seed(0)
    D = build_discriminator(get_variant(variant).replace(d_batchnorm=d_batchnorm))
    with torch.no_grad():  # an affine BatchNorm's gamma and beta away from 1 and 0, signs mixed, so each one counts
        for m in D.modules():
            if isinstance(m, AffineBatchNorm):
                m.weight.copy_(torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
    assert D.has_closed_form_input_gradient
    x_hat = torch.rand(64, 784)

    def penalty_and_grads(use_closed_form: bool):
        D.zero_grad()
        D.has_closed_form_input_gradient = use_closed_form
        gp = obj.gradient_penalty(D, x_hat)
        gp.backward()
        # biases shape the input gradient only through the (constant) LeakyReLU slopes: no gradient or zeros
        return gp.detach(), [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in D.parameters()]

    gp_auto, grads_auto = penalty_and_grads(False)
    gp_closed, grads_closed = penalty_and_grads(True)
    torch.testing.assert_close(gp_closed, gp_auto, rtol=1e-5, atol=1e-6)
    for a, b in zip(grads_closed, grads_auto, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_batchnorm_critic_uses_autograd_for_the_penalty():
    assert not build_discriminator(get_variant("mlp-dbn-wgan-gp-bnd")).has_closed_form_input_gradient
    assert not build_discriminator(
        replace(get_variant("cnn-dbn-wgan-gp"), d_batchnorm=True)
    ).has_closed_form_input_gradient
    assert build_discriminator(get_variant("mlp-dbn-wgan-gp-bnd-code")).has_closed_form_input_gradient
