"""Each estimator against the exact gradient of E[f(b)] over 8 Bernoulli pixels, enumerated over all 256 states."""

import itertools

import pytest
import torch

from training import estimators as est

N_PIXELS = 8
STATES = torch.tensor(list(itertools.product([0.0, 1.0], repeat=N_PIXELS)), dtype=torch.float64)  # (256, 8)


def make_f(seed: int = 0) -> est.Loss:
    """A smooth, non-linear, non-separable loss, differentiable in its input (as a critic is)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(N_PIXELS, generator=g, dtype=torch.float64)
    a = torch.randn(N_PIXELS, N_PIXELS, generator=g, dtype=torch.float64) / N_PIXELS
    return lambda y: torch.sin(y @ w) + ((y @ a) * y).sum(-1)


def exact_gradient(theta: torch.Tensor, f: est.Loss) -> torch.Tensor:
    """d E[f] / d theta = sum_b q(b) f(b) (b - p), for one row of theta (n,) -> (n,)."""
    p = torch.sigmoid(theta)
    q = (STATES * p + (1 - STATES) * (1 - p)).prod(-1)  # (256,)
    return ((q * f(STATES))[:, None] * (STATES - p)).sum(0)


def expected_st_type(theta: torch.Tensor, f: est.Loss, weight) -> torch.Tensor:
    """E_b[weight(p, b) * df/dy(b)], the closed-form expectation of a straight-through-type estimator."""
    p = torch.sigmoid(theta)
    q = (STATES * p + (1 - STATES) * (1 - p)).prod(-1)
    y = STATES.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(y).sum(), y)
    return (q[:, None] * weight(p, STATES) * grad).sum(0)


def many_estimates(name: str, theta: torch.Tensor, f: est.Loss, rows: int, draws: int, seed: int) -> torch.Tensor:
    """`rows` independent estimates for one theta: (rows, n)."""
    return est.FUNCTIONS[name](theta.expand(rows, -1), f, draws, torch.Generator().manual_seed(seed))


THETA = torch.tensor([-2.0, -1.0, -0.3, 0.0, 0.2, 0.8, 1.5, 3.0], dtype=torch.float64)


@pytest.mark.parametrize("name", est.UNBIASED)
@pytest.mark.parametrize("draws", [2, 4])
def test_unbiased_estimators_average_to_the_exact_gradient(name, draws):
    f, rows = make_f(), 20_000
    g = many_estimates(name, THETA, f, rows, draws, seed=1)
    mean, se = g.mean(0), g.std(0) / rows**0.5
    # 5 standard errors per pixel: the test is seeded, and a real bias of this size would show as many SEs
    assert ((mean - exact_gradient(THETA, f)).abs() <= 5 * se + 1e-12).all(), (mean, exact_gradient(THETA, f), se)


def test_the_check_has_the_power_to_see_straight_throughs_bias():
    """The same check rejects sigmoid-adjusted ST, which is biased on a non-linear f: the test above can fail."""
    f, rows = make_f(), 20_000
    g = many_estimates("sigmoid-st", THETA, f, rows, 1, seed=1)
    mean, se = g.mean(0), g.std(0) / rows**0.5
    assert ((mean - exact_gradient(THETA, f)).abs() > 5 * se).any()


@pytest.mark.parametrize(
    ("name", "weight"),
    [
        ("reinmax", est.reinmax_weight),
        ("sigmoid-st", lambda p, b: p * (1 - p) + 0 * b),
    ],
)
def test_straight_through_estimators_average_to_their_closed_forms(name, weight):
    f, rows = make_f(1), 20_000
    g = many_estimates(name, THETA, f, rows, 2, seed=2)
    mean, se = g.mean(0), g.std(0) / rows**0.5
    assert ((mean - expected_st_type(THETA, f, weight)).abs() <= 5 * se + 1e-12).all()


def test_reinmax_is_exact_where_straight_through_is_not_on_a_quadratic_pixel():
    """ReinMax's expectation is the trapezoid rule on df/dy between y = 0 and 1, exact when df/dy is linear in the
    pixel; sigmoid-adjusted ST weighs the two ends by p and 1 - p, and is off unless p = 1/2."""
    f = lambda y: 3 * y[:, 0] ** 2 - 2 * y[:, 0] + 0 * y.sum(-1)  # noqa: E731  (pixel 0 alone matters)
    exact = exact_gradient(THETA, f)
    torch.testing.assert_close(expected_st_type(THETA, f, est.reinmax_weight)[0], exact[0])
    st = expected_st_type(THETA, f, lambda p, b: p * (1 - p) + 0 * b)[0]
    assert (st - exact[0]).abs() > 0.01  # p = sigmoid(-2) = 0.12


def test_on_a_linear_loss_sigmoid_st_is_exact_draw_by_draw():
    """f(y) = c . y: df/dy = c everywhere, so p (1 - p) c is the exact gradient, with no variance."""
    c = torch.tensor([1.0, -2.0, 0.5, 3.0, 0.0, -1.0, 2.0, 0.25], dtype=torch.float64)
    f = lambda y: y @ c  # noqa: E731
    g = many_estimates("sigmoid-st", THETA, f, 16, 1, seed=0)
    torch.testing.assert_close(g, exact_gradient(THETA, f).expand(16, -1))


def test_disarm_is_zero_where_the_antithetic_pair_agrees_and_antisymmetric_in_f():
    f = make_f()
    theta = torch.full((1, N_PIXELS), 4.0, dtype=torch.float64)  # p ~ 0.98: b and b~ are both 1 almost always
    g = est.disarm(theta, f, 1, torch.Generator().manual_seed(0))
    g_neg = est.disarm(theta, lambda y: -f(y), 1, torch.Generator().manual_seed(0))
    torch.testing.assert_close(g_neg, -g)
    assert (g == 0).sum() >= N_PIXELS - 2


def test_score_function_estimators_send_no_gradient_through_the_loss():
    """RLOO and DisARM only evaluate f: a loss whose input gradient would raise is fine."""

    def no_grad_f(y):
        assert not y.requires_grad
        return y.sum(-1)

    for name in ("rloo", "disarm"):
        est.FUNCTIONS[name](THETA[None], no_grad_f, 2, torch.Generator().manual_seed(0))


def test_same_seed_same_estimate_other_seed_other_estimate():
    f = make_f()
    for name, fn in est.FUNCTIONS.items():
        draws = est.MIN_DRAWS[name]
        a = fn(THETA[None], f, draws, torch.Generator().manual_seed(5))
        b = fn(THETA[None], f, draws, torch.Generator().manual_seed(5))
        c = fn(THETA[None].expand(64, -1), f, draws, torch.Generator().manual_seed(6))
        assert torch.equal(a, b), name
        assert not torch.equal(c[0], c[1]), name


@pytest.mark.parametrize(("name", "draws"), [("rloo", 1), ("disarm", 0), ("reinmax", 0), ("rebar", 0)])
def test_too_few_draws_are_refused_by_name(name, draws):
    with pytest.raises(ValueError, match=name):
        est.FUNCTIONS[name](THETA[None], make_f(), draws, None)


def test_a_theta_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="latents, pixels"):
        est.rloo(THETA, make_f(), 2)
