"""The gradient lab's computation: what the straight-through estimator tells the generator, and how far that is from the truth.

For a generated sample the generator's output layer gives logits x, the neuron p = sigmoid(s*x) and the binary
output y; the trained critic scores D(y) and asks for g = dD/dy. The binary neuron has no gradient, so the
generator receives an estimate of dD/dx instead (training/neurons.py):
    sigmoid-adjusted straight-through ("sigmoid-st", the paper's):  g * s * p * (1 - p)
    plain straight-through ("st"):                                  g
    binary-Concrete straight-through ("gumbel-st"):                 g * (s / tau) * c * (1 - c),
                                                                    c = sigmoid((s*x + logistic noise) / tau)
What it approximates, per pixel i, is the effect of the pixel being on rather than off,
    t_i = D(y | y_i = 1) - D(y | y_i = 0),
exact for a deterministic neuron (DBN; equal to (1 - 2 y_i) * flip effect, Delta_i = D(y with pixel i flipped) - D(y)),
and in expectation over the other pixels' Bernoulli draws for a stochastic one (SBN), where E[t_i] is exactly
dE[D(y)]/dp_i. Every estimator above passes g as its estimate of t; they differ only in the positive factor that
carries it to x, so their sign agreement with t is the same and only an x-scale comparison, possible where an exact
x-gradient exists (SBN: dE[D]/dx_i = s * p_i * (1 - p_i) * E[t_i]), tells them apart.

Everything takes seeds and returns numpy arrays; nothing here calls Streamlit.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training import rng
from training.checkpoint import CRITIC_FILE, GENERATOR_FILE, checkpoints_root
from training.networks import N_PIXELS
from training.pretrained import BinaryGAN, Critic, load_generator
from training.sampling import make_latents, validate_count
from training.variants import REGISTRY

ESTIMATORS = ("sigmoid-st", "st", "gumbel-st")
ESTIMATOR_LABELS = {
    "sigmoid-st": "sigmoid-adjusted ST",
    "st": "plain ST",
    "gumbel-st": "binary-Concrete ST",
    "reinmax": "ReinMax",
    "rloo": "RLOO",
    "disarm": "DisARM",
    "rebar": "REBAR",
    "zgr": "ZGR",
    "gumbel-rao": "Gumbel-Rao",
    "gst": "GST-1.0",
    "decoupled-st": "Decoupled ST",
}  # every estimator a variant trains with or the estimator lab studies
# Bounds on the work one request may ask for, so a hosted app stays responsive with many visitors.
MAX_DRAWS = 128  # Bernoulli draws K for the SBN expectation
MAX_COMPARE = 1024  # samples in one comparison
DEFAULT_DRAWS = 32
GRID = 16  # the gradient and estimator labs pick their sample from a seed's first GRID samples
COMPARE_SAMPLES = 256
TOP_SHARE = 0.1  # "where it matters": the pixels whose |truth| is in the top 10%
# A CNN critic scores 784 flipped images in ~0.25 s on one CPU thread, 30x the MLP: its work is capped harder.
CNN_MAX_DRAWS, CNN_MAX_COMPARE = 8, 64


def has_critic(name: str, root: str | os.PathLike | None = None) -> bool:
    """Whether a variant's folder in the checkpoints folder has a generator and a critic file (not validated)."""
    folder = (Path(root) if root is not None else checkpoints_root()) / name
    return (folder / CRITIC_FILE).is_file() and (folder / GENERATOR_FILE).is_file()


def offered_variants(root: str | os.PathLike | None = None) -> list[str]:
    """The variants the gradient lab can show: a binary output neuron, a generator and a critic. Not the gated
    generators: their output layer's input also depends on which expert their gates chose."""
    return [
        name for name, cfg in REGISTRY.items() if cfg.neuron != "real" and not cfg.experts and has_critic(name, root)
    ]


def draw_choices(name: str, choices: Iterable[int]) -> tuple[int, ...]:
    """The draws K among `choices` that one sample of `name` may be studied with: a CNN's at most CNN_MAX_DRAWS."""
    cnn = REGISTRY[name].arch == "cnn"
    return tuple(k for k in choices if not cnn or k <= CNN_MAX_DRAWS)


def work_limits(name: str, n: int, draws: int) -> tuple[int, int]:
    """(samples, draws) a comparison of `name` runs at when n and draws are asked for: a CNN's capped at
    CNN_MAX_COMPARE and CNN_MAX_DRAWS, and no draws (0) for a DBN, whose truth is exact."""
    cfg = REGISTRY[name]
    if cfg.arch == "cnn":
        n, draws = min(n, CNN_MAX_COMPARE), min(draws, CNN_MAX_DRAWS)
    return n, draws if cfg.neuron == "sbn" else 0


# ---------------------------------------------------------------------------------------------------
# Forward and estimator maps
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forward:
    """One batch through generator and critic. Rows are samples, columns the 784 pixels (row-major 28x28)."""

    name: str
    neuron: str  # "dbn" or "sbn"
    estimator: str  # the variant's own estimator
    slope: float  # s, the generator's final slope
    temperature: float  # tau of the binary-Concrete relaxation
    latents: np.ndarray  # (N, 128) float32
    logits: np.ndarray  # (N, 784) float32: x
    p: np.ndarray  # (N, 784) float32: sigmoid(s * x)
    y: np.ndarray  # (N, 784) float32 in {0, 1}: the binary output
    score: np.ndarray  # (N,) float32: D(y)
    grad: np.ndarray  # (N, 784) float32: g = dD/dy
    concrete_noise: np.ndarray | None  # (N, 784) float32 logistic noise consistent with y (SBN), None for DBN


def forward(generator: BinaryGAN, critic: Critic, latents: np.ndarray, seed: int = 0) -> Forward:
    """x, p, y, D(y) and dD/dy for given latents (N, 128). `seed` drives the stochastic neuron's noise from the
    output-noise stream that decode draws it from (training/rng.py), so for DBN and sigmoid/plain-ST SBN the binary
    output is the one `generator.decode(latents, seed)` gives."""
    cfg = critic.cfg
    if cfg.name != generator.name:
        raise ValueError(f"critic of {cfg.name} with generator of {generator.name}")
    if cfg.neuron == "real":
        raise ValueError(f"{cfg.name}: the real-valued model has no binary neuron and no estimator")
    z = np.asarray(latents, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != generator.latent_dim:
        raise ValueError(f"latents must have shape (N, {generator.latent_dim}), got {z.shape}")
    validate_count(z.shape[0], "number of latents", MAX_COMPARE)
    s = generator.slope
    x = generator.logits(torch.from_numpy(z))  # (N, 784)
    p = torch.sigmoid(s * x)
    noise: torch.Tensor | None = None
    if cfg.neuron == "dbn":
        y = (p > 0.5).float()
    else:
        u = torch.rand(x.shape, generator=rng.generator(seed, "output-noise"))
        if cfg.estimator == "gumbel-st":  # training/neurons.py's binary-Concrete draw: threshold sx + L at 0
            u = u.clamp(1e-6, 1 - 1e-6)
            noise = torch.log(u) - torch.log1p(-u)
            y = (torch.sigmoid((s * x + noise) / cfg.gumbel_temperature) > 0.5).float()
        else:  # a Bernoulli draw 1[u < p]; the logistic noise -logit(u) gives the same y: 1[s*x - logit(u) > 0]
            y = (u < p).float()
            u = u.clamp(1e-6, 1 - 1e-6)
            noise = torch.log1p(-u) - torch.log(u)
    d, g = critic.gradient(y)
    return Forward(
        cfg.name,
        cfg.neuron,
        cfg.estimator,
        s,
        cfg.gumbel_temperature,
        z,
        x.numpy(),
        p.numpy(),
        y.numpy(),
        d.numpy(),
        g.numpy(),
        None if noise is None else noise.numpy(),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) in float64. exp(-z) overflows to inf for z below about -709, which gives exactly 0, the
    right value; the overflow is expected, so it is not warned about."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_adjusted(logits: np.ndarray, grad: np.ndarray, slope: float) -> np.ndarray:
    """g * s * p * (1 - p), p = sigmoid(s * x): the paper's estimate of dD/dx at slope s."""
    p = _sigmoid(slope * np.asarray(logits, dtype=np.float64))
    return (grad * slope * p * (1.0 - p)).astype(np.float32)


def near_threshold(fwd: Forward, index: int, slope: float) -> float:
    """Share of sample `index`'s pixels with |s·x| < 2, the ones the sigmoid-adjusted estimate weights most at
    slope s: annealing s up shrinks it."""
    return float(np.mean(np.abs(fwd.logits[index]) * slope < 2.0))


def estimator_maps(fwd: Forward, slope: float | None = None) -> dict[str, np.ndarray]:
    """{estimator: (N, 784) estimate of dD/dx} for the estimators that apply to this neuron: sigmoid-adjusted and
    plain straight-through always, binary-Concrete for a stochastic neuron (with the noise behind its draw).

    `slope` recomputes the sigmoid-adjusted estimate at another s (the binary output and g stay the sample's)."""
    maps = {
        "sigmoid-st": sigmoid_adjusted(fwd.logits, fwd.grad, fwd.slope if slope is None else slope),
        "st": fwd.grad.copy(),
    }
    if fwd.concrete_noise is not None:
        c = _sigmoid((fwd.slope * fwd.logits.astype(np.float64) + fwd.concrete_noise) / fwd.temperature)
        maps["gumbel-st"] = (fwd.grad * (fwd.slope / fwd.temperature) * c * (1.0 - c)).astype(np.float32)
    return maps


# ---------------------------------------------------------------------------------------------------
# The truth
# ---------------------------------------------------------------------------------------------------


def flip_effects(critic: Critic, y: np.ndarray) -> np.ndarray:
    """Delta (N, 784): D(y with pixel i flipped) - D(y), every pixel of every image, in batched calls."""
    yt = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, N_PIXELS)
    return (critic.flip_scores(yt) - critic.scores(yt)[:, None]).numpy()


def on_minus_off(critic: Critic, y: np.ndarray) -> np.ndarray:
    """t (N, 784): D(y | y_i = 1) - D(y | y_i = 0) = (1 - 2 y_i) * Delta_i."""
    y = np.asarray(y, dtype=np.float32).reshape(-1, N_PIXELS)
    return (1.0 - 2.0 * y) * flip_effects(critic, y)


def expected_gradient(
    critic: Critic,
    p: np.ndarray,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, standard error), each (N, 784): dE[D(y)]/dp_i = E[D(y | y_i = 1) - D(y | y_i = 0)] over y ~ Bernoulli(p),
    estimated from `draws` independent draws per image: from `generator` when the caller owns one, else from the
    gradient-lab stream of `seed` (never the sample's own noise)."""
    draws = validate_count(draws, "number of draws", MAX_DRAWS)
    probs = torch.as_tensor(np.asarray(p, dtype=np.float32)).reshape(-1, N_PIXELS)
    draw_rng = generator if generator is not None else rng.generator(seed, "gradient-lab")
    total = torch.zeros(probs.shape, dtype=torch.float64)
    squares = torch.zeros(probs.shape, dtype=torch.float64)
    for k in range(draws):
        y = (torch.rand(probs.shape, generator=draw_rng) < probs).float()  # (N, 784)
        t = torch.from_numpy(on_minus_off(critic, y.numpy())).double()
        total += t
        squares += t * t
        if progress is not None:
            progress((k + 1) / draws)
    mean = total / draws
    var = (squares / draws - mean * mean).clamp_min(0) * draws / max(draws - 1, 1)  # unbiased sample variance
    return mean.float().numpy(), (var / draws).sqrt().float().numpy()


# ---------------------------------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Per row of (estimate, truth): cosine similarity, share of pixels whose signs agree, and that share among the
    10% of pixels with the largest |truth| (where being right matters most). Each is (N,)."""

    cosine: np.ndarray
    sign: np.ndarray
    sign_top: np.ndarray


def agreement(estimate: np.ndarray, truth: np.ndarray) -> Agreement:
    """Compare an estimate with the truth row by row ((N, 784) or (784,)); a zero row has cosine 0."""
    e = np.atleast_2d(np.asarray(estimate, dtype=np.float64))
    t = np.atleast_2d(np.asarray(truth, dtype=np.float64))
    if e.shape != t.shape:
        raise ValueError(f"estimate {e.shape} and truth {t.shape} differ in shape")
    norms = np.linalg.norm(e, axis=1) * np.linalg.norm(t, axis=1)
    cosine = np.divide((e * t).sum(axis=1), norms, out=np.zeros(len(e)), where=norms > 0)
    same = np.sign(e) == np.sign(t)
    top = max(1, int(round(TOP_SHARE * e.shape[1])))
    idx = np.argsort(-np.abs(t), axis=1, kind="stable")[:, :top]
    return Agreement(cosine, same.mean(axis=1), np.take_along_axis(same, idx, axis=1).mean(axis=1))


# ---------------------------------------------------------------------------------------------------
# One sample (the page) and many samples (the comparison table)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleReport:
    """Everything the page shows for one sample; maps are (784,), reshape to (28, 28)."""

    fwd: Forward  # the batch the sample came from
    index: int
    estimates: dict[str, np.ndarray]  # estimator -> dD/dx estimate at the generator's slope
    truth: np.ndarray  # t: on-minus-off effect (DBN exact; SBN mean over the draws)
    truth_se: np.ndarray | None  # SBN: standard error of each t_i over the draws
    flips: np.ndarray | None  # DBN: Delta, the effect of flipping each pixel
    draws: int  # K for SBN, 0 for DBN
    agreement: Agreement  # g against t
    x_agreement: dict[str, Agreement]  # SBN: estimator -> its dD/dx against the exact dE[D]/dx


def _x_truth(fwd: Forward, truth: np.ndarray, rows: Any = slice(None)) -> np.ndarray:
    """SBN's exact dE[D]/dx = s * p * (1 - p) * dE[D]/dp."""
    p = fwd.p[rows].astype(np.float64)
    return truth * fwd.slope * p * (1.0 - p)


def sample_report(
    generator: BinaryGAN, critic: Critic, seed: int, index: int, n: int = GRID, draws: int = DEFAULT_DRAWS
) -> SampleReport:
    """Sample `index` of the n samples drawn with `seed` (latents make_latents(n, seed)), every map the page shows."""
    n = validate_count(n, "number of samples", MAX_COMPARE)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"sample index must be an integer in [0, {n - 1}], got {index!r}")
    fwd = forward(generator, critic, make_latents(n, seed, generator.latent_dim), seed)
    i = int(index)
    estimates = {k: v[i] for k, v in estimator_maps(fwd).items()}
    if fwd.neuron == "dbn":
        flips = flip_effects(critic, fwd.y[i : i + 1])[0]
        truth, se, k = (1.0 - 2.0 * fwd.y[i]) * flips, None, 0
        x_agree: dict[str, Agreement] = {}
    else:
        mean, std_err = expected_gradient(critic, fwd.p[i : i + 1], draws, seed)
        truth, se, flips, k = mean[0], std_err[0], None, int(draws)
        x_agree = {e: agreement(m, _x_truth(fwd, truth, i)) for e, m in estimates.items()}
    return SampleReport(fwd, i, estimates, truth, se, flips, k, agreement(fwd.grad[i], truth), x_agree)


def flip_prediction(report: SampleReport) -> np.ndarray:
    """DBN: the estimator's prediction of each pixel's flip effect, the critic's linearisation g·(1−2y)."""
    fwd, i = report.fwd, report.index
    return fwd.grad[i] * (1.0 - 2.0 * fwd.y[i])


def truth_and_estimate(report: SampleReport) -> tuple[np.ndarray, np.ndarray]:
    """(truth, estimate) per pixel, what the page plots against each other: for a DBN the exact flip effect and
    its first-order prediction, for an SBN the expected on-minus-off effect and g at the sample's draw."""
    if report.flips is not None:
        return report.flips, flip_prediction(report)
    return report.truth, report.fwd.grad[report.index]


@dataclass(frozen=True)
class Comparison:
    """Agreement over many samples for one variant; per-sample arrays are (n,)."""

    name: str
    neuron: str
    estimator: str
    n: int
    draws: int  # K for SBN, 0 for DBN
    seed: int
    seconds: float
    agreement: Agreement  # g against t, per sample
    x_agreement: dict[str, Agreement]  # SBN only: estimator -> its dD/dx against the exact dE[D]/dx

    def summary(self) -> dict[str, Any]:
        """Means over the samples (and the standard error of the mean cosine): one table row."""
        a = self.agreement
        row: dict[str, Any] = {
            "variant": self.name,
            "neuron": self.neuron,
            "estimator": self.estimator,
            "samples": self.n,
            "draws": self.draws,
            "cosine": float(a.cosine.mean()),
            "cosine_se": float(a.cosine.std(ddof=1) / math.sqrt(self.n)) if self.n > 1 else math.nan,
            "sign_agreement": float(a.sign.mean()),
            "sign_agreement_top": float(a.sign_top.mean()),
            "seconds": self.seconds,
        }
        for est in ESTIMATORS:
            row[f"x_cosine_{est}"] = float(self.x_agreement[est].cosine.mean()) if est in self.x_agreement else math.nan
        return row


def compare(
    generator: BinaryGAN,
    critic: Critic,
    n: int = COMPARE_SAMPLES,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    progress: Callable[[float], None] | None = None,
) -> Comparison:
    """Estimate against truth for n samples (latents make_latents(n, seed)): the page's numbers, over many samples."""
    n = validate_count(n, "number of samples", MAX_COMPARE)
    t0 = time.perf_counter()
    fwd = forward(generator, critic, make_latents(n, seed, generator.latent_dim), seed)
    x_agree: dict[str, Agreement] = {}
    if fwd.neuron == "dbn":
        truth = on_minus_off(critic, fwd.y)
        if progress is not None:
            progress(1.0)
        k = 0
    else:
        truth, _ = expected_gradient(critic, fwd.p, draws, seed, progress)
        x_truth = _x_truth(fwd, truth)
        x_agree = {e: agreement(m, x_truth) for e, m in estimator_maps(fwd).items()}
        k = int(draws)
    return Comparison(
        fwd.name,
        fwd.neuron,
        fwd.estimator,
        n,
        k,
        int(seed),
        time.perf_counter() - t0,
        agreement(fwd.grad, truth),
        x_agree,
    )


def comparison_table(
    names: list[str] | None = None,
    n: int = COMPARE_SAMPLES,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One summary row per variant (default: every variant with a critic in the checkpoints folder), each at its
    work_limits, so that the rows written for the page are the ones it asks for."""
    rows = []
    for name in names if names is not None else offered_variants():
        n_name, draws_name = work_limits(name, n, draws)
        row = compare(load_generator(name), Critic.from_pretrained(name), n_name, seed, draws_name).summary()
        rows.append(row)
        if log is not None:
            log(f"{name}: {row['seconds']:.1f} s")
    return rows
