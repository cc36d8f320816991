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


@pytest.mark.parametrize(
    ("name", "draws"), [("rloo", 1), ("disarm", 0), ("reinmax", 0), ("rebar", 0), ("zgr", 0), ("gumbel-rao", 0)]
)
def test_too_few_draws_are_refused_by_name(name, draws):
    with pytest.raises(ValueError, match=name):
        est.FUNCTIONS[name](THETA[None], make_f(), draws, None)


def test_a_theta_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="latents, pixels"):
        est.rloo(THETA, make_f(), 2)


# The estimators at straight-through's cost: each against its closed-form expectation, and each one's known property.


def quadratic_f(seed: int = 3) -> est.Loss:
    """A non-separable quadratic, f(y) = y A y + c y: ZGR's (and ReinMax's) trapezoid rule is exact on it."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(N_PIXELS, N_PIXELS, generator=g, dtype=torch.float64)
    c = torch.randn(N_PIXELS, generator=g, dtype=torch.float64)
    return lambda y: ((y @ a) * y).sum(-1) + y @ c


def test_zgr_is_reinmax_for_a_binary_unit():
    """ZGR's (b - 1/2)(b - p) and ReinMax's 2q(1 - q) - p(1 - p)/2 are one weight, so one estimate per draw."""
    p = torch.linspace(0.001, 0.999, 999, dtype=torch.float64)[:, None]
    b = torch.tensor([0.0, 1.0], dtype=torch.float64)[None]
    torch.testing.assert_close(est.zgr_weight(p, b), est.reinmax_weight(p, b))
    torch.testing.assert_close(est.zgr_weight(p, b), torch.where(b > 0, (1 - p) / 2, p / 2))
    f = make_f()
    torch.testing.assert_close(many_estimates("zgr", THETA, f, 64, 2, 7), many_estimates("reinmax", THETA, f, 64, 2, 7))


def test_zgr_is_unbiased_on_a_quadratic_and_straight_through_is_not():
    f = quadratic_f()
    exact = exact_gradient(THETA, f)
    torch.testing.assert_close(expected_st_type(THETA, f, est.zgr_weight), exact)
    assert (expected_st_type(THETA, f, lambda p, b: p * (1 - p) + 0 * b) - exact).abs().max() > 0.05
    rows = 20_000
    g = many_estimates("zgr", THETA, f, rows, 1, seed=4)
    assert ((g.mean(0) - exact).abs() <= 5 * g.std(0) / rows**0.5 + 1e-12).all()


def logistic_slope_given_b(theta: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """E[d sigmoid(z / tau) / dz | z > 0] and E[... | z < 0] for z ~ Logistic(theta, 1), by quadrature: (n,) each."""
    z = torch.linspace(-80.0, 80.0, 400_001, dtype=torch.float64)[:, None]  # (Z, 1)
    density = torch.sigmoid(z - theta) * torch.sigmoid(theta - z)  # logistic pdf at z - theta
    s = torch.sigmoid(z / temperature)
    integrand = density * s * (1 - s) / temperature  # (Z, n)
    up = torch.trapezoid(integrand * (z > 0), z, dim=0)
    down = torch.trapezoid(integrand * (z < 0), z, dim=0)
    p = torch.sigmoid(theta)
    return up / p, down / (1 - p)


def gumbel_rao_expectation(theta: torch.Tensor, temperature: float):
    up, down = logistic_slope_given_b(theta, temperature)
    return lambda p, b: b * up + (1 - b) * down


@pytest.mark.parametrize("local", [1, 10])
def test_gumbel_rao_averages_to_its_closed_form(local):
    f, rows, tau = make_f(1), 20_000, 0.5
    g = est.gumbel_rao(THETA.expand(rows, -1), f, 1, torch.Generator().manual_seed(8), temperature=tau, local=local)
    expected = expected_st_type(THETA, f, gumbel_rao_expectation(THETA, tau))
    assert ((g.mean(0) - expected).abs() <= 5 * g.std(0) / rows**0.5 + 1e-12).all()


def straight_through_gumbel(theta: torch.Tensor, f: est.Loss, temperature: float, seed: int) -> torch.Tensor:
    """The training neuron's binary-Concrete straight-through estimate (training/neurons.py), one per row."""
    from training.neurons import binarize

    x = theta.clone().requires_grad_(True)
    y = binarize(x, 1.0, "sbn", "gumbel-st", temperature, torch.Generator().manual_seed(seed))
    f(y).sum().backward()
    assert x.grad is not None
    return x.grad


def test_gumbel_rao_has_straight_through_gumbels_mean_and_less_variance():
    """Rao-Blackwellisation: the same expectation (both match the closed form), at most the variance."""
    f, rows, tau = make_f(2), 20_000, 0.5
    theta = THETA.expand(rows, -1)
    rao = est.gumbel_rao(theta, f, 1, torch.Generator().manual_seed(9), temperature=tau)
    stg = straight_through_gumbel(theta, f, tau, seed=10)
    expected = expected_st_type(THETA, f, gumbel_rao_expectation(THETA, tau))
    for g in (rao, stg):
        assert ((g.mean(0) - expected).abs() <= 5 * g.std(0) / rows**0.5 + 1e-12).all()
    assert rao.var(0).sum() < stg.var(0).sum()
    assert (rao.var(0) <= stg.var(0) * 1.05).all()  # per pixel, up to the variances' own sampling noise


def gst_by_the_categorical_moves(theta: torch.Tensor, b: torch.Tensor, temperature: float, gap: float) -> torch.Tensor:
    """GST's move on the two logits (theta, 0) of each pixel, as the paper states it for K categories: the drawn
    logit is raised to the largest, every other one lowered to at least `gap` below it; the moves are constants, and
    the gradient passes through softmax(moved / tau) of the drawn category's indicator."""
    logits = torch.stack([theta, torch.zeros_like(theta)], -1).requires_grad_(True)  # (n, 2): (on, off)
    drawn = torch.stack([b, 1 - b], -1).bool()
    with torch.no_grad():
        top = logits.max(-1, keepdim=True).values
        raise_drawn = torch.where(drawn, top - logits, torch.zeros_like(logits))
        lower_others = torch.where(drawn, torch.zeros_like(logits), (logits - top + gap).clamp(min=0))
    soft = torch.softmax((logits + raise_drawn - lower_others) / temperature, -1)[..., 0]  # P(on) of the moved logits
    (grad,) = torch.autograd.grad(soft.sum(), logits)
    return grad[..., 0]  # d/d theta: theta is the "on" logit


@pytest.mark.parametrize("temperature", [0.25, 1.0, 2.0])
def test_gst_weight_is_the_categorical_move_for_two_logits(temperature):
    theta = torch.linspace(-4, 4, 161, dtype=torch.float64)
    for b in (torch.zeros_like(theta), torch.ones_like(theta)):
        torch.testing.assert_close(
            est.gapped_weight(theta, b, temperature), gst_by_the_categorical_moves(theta, b, temperature, est.GST_GAP)
        )


def test_gst_averages_to_its_closed_form_and_keeps_a_gap():
    f, rows, tau = make_f(3), 20_000, 0.5
    g = est.gapped_st(THETA.expand(rows, -1), f, 1, torch.Generator().manual_seed(11), temperature=tau)
    expected = expected_st_type(THETA, f, lambda p, b: est.gapped_weight(torch.logit(p), b, tau))
    assert ((g.mean(0) - expected).abs() <= 5 * g.std(0) / rows**0.5 + 1e-12).all()
    # a draw against the logit's sign moves the logit to -+gap, whatever theta was
    far = torch.tensor([-6.0, 6.0], dtype=torch.float64)
    weights = est.gapped_weight(far, torch.tensor([1.0, 0.0], dtype=torch.float64), tau)
    s = torch.sigmoid(torch.tensor(est.GST_GAP / tau, dtype=torch.float64))
    torch.testing.assert_close(weights, (s * (1 - s) / tau).expand(2))


def test_decoupled_st_at_backward_temperature_one_is_sigmoid_adjusted_st():
    f = make_f()
    g = est.decoupled_st(THETA.expand(32, -1), f, 2, torch.Generator().manual_seed(12), temperature=1.0)
    torch.testing.assert_close(g, many_estimates("sigmoid-st", THETA, f, 32, 2, seed=12))


def test_decoupled_st_averages_to_its_closed_form():
    f, rows, tau = make_f(4), 20_000, 2.0
    g = est.decoupled_st(THETA.expand(rows, -1), f, 1, torch.Generator().manual_seed(13), temperature=tau)
    s = torch.sigmoid(THETA / tau)
    expected = expected_st_type(THETA, f, lambda p, b: s * (1 - s) / tau + 0 * b)
    assert ((g.mean(0) - expected).abs() <= 5 * g.std(0) / rows**0.5 + 1e-12).all()


@pytest.mark.parametrize("name", ["gumbel-rao", "gst", "decoupled-st"])
def test_a_temperature_that_is_not_positive_is_refused_by_name(name):
    with pytest.raises(ValueError, match=f"{name}: temperature"):
        est.FUNCTIONS[name](THETA[None], make_f(), 1, None, temperature=0.0)  # type: ignore[call-arg]
