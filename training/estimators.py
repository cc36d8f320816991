"""Gradient estimators for a layer of Bernoulli pixels, b ~ Bernoulli(sigmoid(theta)), and a loss f(b).

Each estimator returns an estimate of d E_b[f(b)] / d theta, one row per latent: theta (B, n) -> (B, n). theta is the
slope times the output layer's pre-activation (theta = s * a), so the generator's gradient is s times the estimate.
`f` maps a batch of (relaxed or binary) images (N, n) to per-image losses (N,); the pathwise estimators need it to
be differentiable in its input, the score-function ones only evaluate it. Every estimator takes `draws`, its own unit
of work; `CRITIC_EVALS` says how many evaluations of f one draw costs, so that budgets can be compared.

The exact target, by enumeration of b (feasible only for small n), is
    d E[f] / d theta_i = sum_b q(b) f(b) (b_i - p_i),   p = sigmoid(theta).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Loss = Callable[[torch.Tensor], torch.Tensor]  # (N, n) -> (N,)
Estimator = Callable[[torch.Tensor, Loss, int, torch.Generator | None], torch.Tensor]


def _uniform(shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(shape, dtype=like.dtype, device=like.device, generator=generator)


def _evaluate(f: Loss, x: torch.Tensor) -> torch.Tensor:
    """f over draws: x (K, B, n) -> (K, B), in one call."""
    k, b, n = x.shape
    return f(x.reshape(k * b, n)).reshape(k, b)


def _input_gradient(f: Loss, y: torch.Tensor) -> torch.Tensor:
    """df/dy at binary y (K, B, n) -> (K, B, n): what a straight-through estimator passes back."""
    y = y.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(_evaluate(f, y).sum(), y)
    return grad


def _check(theta: torch.Tensor, draws: int, least: int, name: str) -> None:
    if theta.dim() != 2:
        raise ValueError(f"{name}: theta must be (latents, pixels), got shape {tuple(theta.shape)}")
    if draws < least:
        raise ValueError(f"{name} needs at least {least} draws, got {draws}")


def rloo(theta: torch.Tensor, f: Loss, draws: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """REINFORCE with a leave-one-out baseline over K draws (Williams 1992; Kool, van Hoof & Welling 2019):
        g = 1 / (K - 1) * sum_k (f(b_k) - mean_j f(b_j)) (b_k - p).
    Unbiased: each draw's baseline is the mean of the other K - 1, independent of it. K critic evaluations."""
    _check(theta, draws, 2, "rloo")
    p = torch.sigmoid(theta)  # (B, n)
    b = (_uniform((draws, *theta.shape), theta, generator) < p).to(theta.dtype)  # (K, B, n)
    with torch.no_grad():
        fb = _evaluate(f, b)  # (K, B)
    centred = fb - fb.mean(0, keepdim=True)
    return (centred[..., None] * (b - p)).sum(0) / (draws - 1)


def disarm(theta: torch.Tensor, f: Loss, draws: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """DisARM (Dong, Mnih & Tucker 2020, arXiv:2006.10680), averaged over `draws` antithetic pairs: with one uniform u,
    b = 1[u < p] and b~ = 1[1 - u < p], and
        g_i = 1/2 (f(b) - f(b~)) (-1)^(b~_i) 1[b_i != b~_i] sigmoid(|theta_i|).
    Unbiased; pixels where the pair agrees get no signal. Two critic evaluations per pair."""
    _check(theta, draws, 1, "disarm")
    p = torch.sigmoid(theta)
    u = _uniform((draws, *theta.shape), theta, generator)
    b, b_anti = (u < p).to(theta.dtype), (1 - u < p).to(theta.dtype)  # (K, B, n) each
    with torch.no_grad():
        diff = _evaluate(f, torch.cat([b, b_anti])).view(2, draws, -1)  # (2, K, B)
    half_diff = 0.5 * (diff[0] - diff[1])  # (K, B)
    sign = 1 - 2 * b_anti  # (-1)^(b~)
    return (half_diff[..., None] * sign * (b != b_anti) * torch.sigmoid(theta.abs())).mean(0)


def reinmax_weight(p: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """ReinMax's d(surrogate)/d theta for a Bernoulli pixel: 2 q (1 - q) - p (1 - p) / 2 with q = (b + p) / 2.
    Its expectation over b against df/dy is the trapezoid rule p (1 - p) (df/dy(0) + df/dy(1)) / 2."""
    q = 0.5 * (b + p)
    return 2 * q * (1 - q) - 0.5 * p * (1 - p)


def reinmax(theta: torch.Tensor, f: Loss, draws: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """ReinMax (Liu et al. 2023, arXiv:2304.08612), averaged over K draws: g = w(b) * df/dy(b), w = reinmax_weight.
    Second-order accurate where straight-through is first-order, at straight-through's cost: one critic evaluation
    and one backward pass per draw. Biased, like every straight-through estimator."""
    _check(theta, draws, 1, "reinmax")
    return _pathwise(theta, f, draws, generator, lambda t, b: reinmax_weight(torch.sigmoid(t), b))


def sigmoid_st(theta: torch.Tensor, f: Loss, draws: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """The paper's sigmoid-adjusted straight-through, averaged over K draws: g = p (1 - p) df/dy(b), the one-point
    rule at the drawn b. One critic evaluation and one backward pass per draw."""
    _check(theta, draws, 1, "sigmoid-st")
    return _pathwise(theta, f, draws, generator, lambda t, b: torch.sigmoid(t) * (1 - torch.sigmoid(t)))


def rebar(
    theta: torch.Tensor,
    f: Loss,
    draws: int,
    generator: torch.Generator | None = None,
    temperature: float = 0.5,
    eta: float = 1.0,
) -> torch.Tensor:
    """REBAR (Tucker et al. 2017) with fixed temperature and eta, averaged over K draws. With z = theta + logit(u),
    b = 1[z > 0], and z~ the same logistic variable drawn again given b (u~ = 1 - p + v p if b = 1, v (1 - p) if
    not), the relaxed control variate c(z) = f(sigmoid(z / temperature)) gives
        g = (f(b) - eta c(z~)) (b - p) + eta d c(z) / d theta - eta d c(z~) / d theta.
    Unbiased for every eta and temperature. Three critic evaluations and one backward pass (of two) per draw."""
    _check(theta, draws, 1, "rebar")
    if temperature <= 0:
        raise ValueError(f"rebar: temperature {temperature} must be positive")
    tiny = torch.finfo(theta.dtype).tiny
    theta = theta.detach().requires_grad_(True)
    shape = (draws, *theta.shape)
    u, v = _uniform(shape, theta, generator), _uniform(shape, theta, generator)
    with torch.enable_grad():
        p = torch.sigmoid(theta)
        b = (u > 1 - p).detach().to(theta.dtype)  # the same event as z > 0
        u_given_b = torch.where(b > 0, 1 - p + v * p, v * (1 - p))  # differentiable in theta through p
        z = theta + torch.logit(u.clamp(tiny, 1 - 1e-7))
        z_given_b = theta + torch.logit(u_given_b.clamp(tiny, 1 - 1e-7))
        relaxed = _evaluate(f, torch.sigmoid(torch.cat([z, z_given_b]) / temperature)).view(2, draws, -1)  # (2, K, B)
        (path,) = torch.autograd.grad(eta * (relaxed[0] - relaxed[1]).sum(), theta)
    with torch.no_grad():
        fb = _evaluate(f, b)  # (K, B)
    score = (fb - eta * relaxed[1].detach())[..., None] * (b - p.detach())
    return score.mean(0) + path / draws


def zgr_weight(p: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """ZGR's d(surrogate)/d theta for a Bernoulli pixel: the average of sigmoid-adjusted ST's p (1 - p) and DARN's
    (b - p)², which is DARN with its baseline at 1/2, (b - 1/2)(b - p): (1 - p) / 2 at b = 1 and p / 2 at b = 0.
    For a binary unit this is ReinMax's weight, written another way (tests/training/test_estimators.py)."""
    return (b - 0.5) * (b - p)


def _pathwise(
    theta: torch.Tensor,
    f: Loss,
    draws: int,
    generator: torch.Generator | None,
    weight: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """The straight-through family, averaged over K draws: g = weight(theta, b) * df/dy(b), b ~ Bernoulli(p).
    One critic evaluation and one backward pass per draw; `weight` may draw noise of its own after b."""
    p = torch.sigmoid(theta)
    b = (_uniform((draws, *theta.shape), theta, generator) < p).to(theta.dtype)  # (K, B, n)
    return (weight(theta, b) * _input_gradient(f, b)).mean(0)


def zgr(theta: torch.Tensor, f: Loss, draws: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """ZGR (Shekhovtsov, ICLR 2023, "Cold Analysis of Rao-Blackwellized Straight-Through Gumbel-Softmax"), the
    zero-temperature limit of Gumbel-Rao, averaged over K draws: g = zgr_weight(p, b) * df/dy(b). No temperature.
    Unbiased when f is quadratic in each pixel. Straight-through's cost: one critic evaluation and one backward pass
    per draw."""
    _check(theta, draws, 1, "zgr")
    return _pathwise(theta, f, draws, generator, lambda t, b: zgr_weight(torch.sigmoid(t), b))


def _relaxed_slope(logit: torch.Tensor, temperature: float) -> torch.Tensor:
    """d sigmoid(logit / temperature) / d logit."""
    s = torch.sigmoid(logit / temperature)
    return s * (1 - s) / temperature


def _positive(name: str, value: float, what: str = "temperature") -> None:
    if not value > 0:
        raise ValueError(f"{name}: {what} {value} must be positive")


def gumbel_rao_weight(
    theta: torch.Tensor, b: torch.Tensor, temperature: float, local: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Gumbel-Rao's d(surrogate)/d theta: the binary-Concrete slope d sigmoid(z / tau) / d theta averaged over
    `local` logistic variables z = theta + logit(u) drawn again given their threshold, 1[z > 0] = b (as REBAR draws
    z~). theta (B, n), b (K, B, n) -> (K, B, n)."""
    p = torch.sigmoid(theta)
    v = _uniform((local, *b.shape), theta, generator)  # (L, K, B, n)
    u = torch.where(b > 0, 1 - p + v * p, v * (1 - p))  # uniform on the part of (0, 1) that gives b
    z = theta + torch.logit(u.clamp(torch.finfo(theta.dtype).tiny, 1 - 1e-7))
    return _relaxed_slope(z, temperature).mean(0)


def gumbel_rao(
    theta: torch.Tensor,
    f: Loss,
    draws: int,
    generator: torch.Generator | None = None,
    temperature: float = 1.0,
    local: int = 10,
) -> torch.Tensor:
    """Gumbel-Rao (Paulus, Maddison & Krause, ICLR 2021), averaged over K draws: straight-through Gumbel's relaxed
    Jacobian, Rao-Blackwellised over the noise given the drawn b, g = E[d sigmoid(z / tau) / d theta | b] * df/dy(b),
    the expectation by `local` draws (gumbel_rao_weight). It has straight-through Gumbel's expectation and at most its
    variance. The local draws cost no critic evaluation: one evaluation and one backward pass per draw."""
    _check(theta, draws, 1, "gumbel-rao")
    _positive("gumbel-rao", temperature)
    _positive("gumbel-rao", local, "local draws")
    return _pathwise(theta, f, draws, generator, lambda t, b: gumbel_rao_weight(t, b, temperature, local, generator))


GST_GAP = 1.0  # GST-1.0, the authors' default gap


def gapped_weight(theta: torch.Tensor, b: torch.Tensor, temperature: float, gap: float = GST_GAP) -> torch.Tensor:
    """GST's d(surrogate)/d theta for a binary unit, logits (theta, 0): the drawn side's logit is moved up to the
    larger one and the other pushed at least `gap` below it, so the logit difference becomes max(theta, gap) at
    b = 1 and min(theta, -gap) at b = 0; the moves are held fixed, so the slope is that of sigmoid(. / tau) there."""
    moved = torch.where(b > 0, theta.clamp(min=gap), theta.clamp(max=-gap))
    return _relaxed_slope(moved, temperature)


def gapped_st(
    theta: torch.Tensor,
    f: Loss,
    draws: int,
    generator: torch.Generator | None = None,
    temperature: float = 1.0,
    gap: float = GST_GAP,
) -> torch.Tensor:
    """Gapped straight-through, GST-1.0 (Fan et al., ICML 2022, "Training Discrete Deep Generative Models via
    Gapped Straight-Through Estimator"), averaged over K draws: g = gapped_weight(theta, b) * df/dy(b), a
    deterministic move of the logits that makes the relaxed sample agree with b by a margin, in place of
    resampling the Gumbel noise. One evaluation and one backward pass per draw."""
    _check(theta, draws, 1, "gst")
    _positive("gst", temperature)
    _positive("gst", gap, "gap")
    return _pathwise(theta, f, draws, generator, lambda t, b: gapped_weight(t, b, temperature, gap))


def decoupled_weight(theta: torch.Tensor, temperature: float) -> torch.Tensor:
    """Decoupled ST's d(surrogate)/d theta: the slope of sigmoid(theta / tau_b), whatever b is."""
    return _relaxed_slope(theta, temperature)


def decoupled_st(
    theta: torch.Tensor,
    f: Loss,
    draws: int,
    generator: torch.Generator | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Decoupled straight-through (Shah et al. 2024, arXiv:2410.13331), averaged over K draws: b is drawn at the
    forward temperature, and the gradient passes through sigmoid(theta / tau_b) at the backward one. The forward
    temperature only rescales theta, which the generator's own slope and weights already do, so it is held at 1
    and the model samples as every SBN does; `temperature` is tau_b, and at 1 this is sigmoid-adjusted ST. One
    evaluation and one backward pass per draw."""
    _check(theta, draws, 1, "decoupled-st")
    _positive("decoupled-st", temperature)
    return _pathwise(theta, f, draws, generator, lambda t, b: decoupled_weight(t, temperature).expand_as(b))


FUNCTIONS: dict[str, Estimator] = {
    "sigmoid-st": sigmoid_st,
    "reinmax": reinmax,
    "rloo": rloo,
    "disarm": disarm,
    "rebar": rebar,
    "zgr": zgr,
    "gumbel-rao": gumbel_rao,
    "gst": gapped_st,
    "decoupled-st": decoupled_st,
}
# evaluations of f per draw
CRITIC_EVALS = {"sigmoid-st": 1, "reinmax": 1, "rloo": 1, "disarm": 2, "rebar": 3} | dict.fromkeys(
    ("zgr", "gumbel-rao", "gst", "decoupled-st"), 1
)
UNBIASED = ("rloo", "disarm", "rebar")
SAME_FOR_A_BINARY_UNIT = {"zgr": "reinmax"}  # one weight, two derivations (zgr_weight): trained once, as the second
MIN_DRAWS = {"sigmoid-st": 1, "reinmax": 1, "rloo": 2, "disarm": 1, "rebar": 1} | dict.fromkeys(
    ("zgr", "gumbel-rao", "gst", "decoupled-st"), 1
)
