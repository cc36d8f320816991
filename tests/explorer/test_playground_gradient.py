"""explorer/playground/gradient.py: the exact SBN gradient, and the estimators' estimates beside it."""

from __future__ import annotations

import torch

from explorer.playground import gradient, world


def small_critic(scale: float, seed: int = 0):
    net = world.mlp([world.PIXELS, 32, 1], torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(scale)
    return lambda y: net(y).squeeze(-1)


def logits(seed: int = 1, rows: int = 4) -> torch.Tensor:
    return torch.randn(rows, world.PIXELS, generator=torch.Generator().manual_seed(seed))


def test_the_exact_gradient_is_autograds_through_the_exact_expected_loss():
    critic, theta = small_critic(1.0), logits(rows=6)
    for objective in ("gan", "wgan-gp"):
        f_all = gradient.image_losses(critic, objective)
        truth = gradient.exact_gradient(theta, f_all)  # (6, 16)
        # the other path: p_G as a function of theta, its expected loss, and autograd; each latent weighs 1/B in p_G
        t = theta.double().requires_grad_(True)
        (expected,) = torch.autograd.grad(len(t) * (world.exact_distribution(t, "sbn") @ f_all), t)
        # both float64 sums of 65,536 terms of one sign pattern: agreement to ~1e-13 relative, 1e-9 leaves room
        torch.testing.assert_close(truth, expected, rtol=1e-9, atol=1e-12)


def z_scores(name: str, theta: torch.Tensor, critic, repeats: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(per-coordinate z of the mean estimate against the truth, the truth)."""
    truth = gradient.exact_gradient(theta, gradient.image_losses(critic, "wgan-gp"))
    rows = theta.repeat(repeats, 1)
    f = gradient.losses(critic, "wgan-gp")
    est = gradient.estimate(name, rows, f, 1.0, torch.Generator().manual_seed(seed)).view(repeats, *theta.shape)
    se = est.double().std(0) / repeats**0.5
    return (est.double().mean(0) - truth) / se, truth


def test_the_unbiased_estimators_mean_is_the_exact_gradient_within_its_standard_error():
    theta, critic = logits(), small_critic(3.0)
    for name in ("rloo", "disarm"):
        z, _ = z_scores(name, theta, critic, repeats=3000)
        assert float(z.abs().max()) < 4.5, name  # 64 coordinates: 4.5 sd is a 1-in-2000 event for the largest


def test_sigmoid_st_is_biased_where_the_critic_is_curved():
    theta, critic = logits(), small_critic(3.0)  # a critic with large weights: f far from linear in y
    z, truth = z_scores("sigmoid-st", theta, critic, repeats=3000)
    assert float(z.abs().max()) > 10


def test_compare_scores_every_estimator():
    truth, found = gradient.compare(logits(), small_critic(2.0), "wgan-gp", slope=1.0, repeats=32)
    assert truth.shape == (4, 16) and set(found) == set(gradient.COMPARED)
    for name, a in found.items():
        assert -1 <= a.cosine <= 1 and a.bias >= 0 and a.variance >= 0, name
    # plain ST's slope-1 weight is 4x sigmoid-ST's at p = 1/2 and larger everywhere: a bias ReinMax does not have
    assert found["st"].bias > found["reinmax"].bias
