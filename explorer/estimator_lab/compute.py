"""The estimator lab's study: the gradient estimators of training/estimators.py, at equal budgets, against the exact
gradient.

For one generated sample of an SBN variant, with theta = s * x (the output layer's pre-activation times the slope)
and the variant's trained critic D, every estimator estimates
    g = d E[D(b)] / d theta,   b ~ Bernoulli(p), p = sigmoid(theta).
The truth is the gradient lab's all-pixels-flipped reference (explorer.gradient_lab.compute.expected_gradient):
dE[D]/dp_i = E[D(b | b_i = 1) - D(b | b_i = 0)] over TRUTH_DRAWS Bernoulli draws, times p_i (1 - p_i). Its own
noise, the standard error se of each pixel, is reported, and its square summed over pixels is subtracted from the
squared bias.

Cost model. A budget M counts critic forward evaluations per latent. An estimator whose draw costs c evaluations
(estimators.CRITIC_EVALS: 1 for rloo and every straight-through kind; 2 for disarm, a pair; 3 for rebar) gets
M // c draws, and is not applicable where that is fewer than it needs (rloo 2). The pathwise estimators also pay
backward passes through the critic, not counted in M but reported: one per draw for the straight-through kinds
(sigmoid-st, reinmax, zgr, gumbel-rao, gst, decoupled-st), two for rebar (through both relaxed evaluations); none
for rloo and disarm. The tempered ones run at the temperature chosen before training (training.variants).

Statistics. At each budget an estimator is run R times, independently (seeded), on the same theta. From the R
estimates (R, 784): their per-pixel mean and variance, and
    variance = sum over pixels of the per-pixel variance     (of one estimate)
    bias²    = ||mean - truth||² - variance / R - ||se||²    (less the noise of the mean and of the truth;
                                                             clamped at 0, the raw value kept, with its noise)
    MSE      = bias² + variance                              (expected squared error of one estimate)
    cosine   = mean over the R estimates of cos(estimate, truth)
and the per-pixel bias (mean - truth) and variance maps. Reading rule: at equal budget, the lower MSE is the
better gradient for a generator step that costs that many critic evaluations; bias² does not shrink with the
budget, variance does (as 1/draws), so a biased estimator wins at small budgets if at all.

Everything takes seeds and returns arrays and dataclasses; nothing here calls Streamlit.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explorer import store
from explorer.gradient_lab import compute as gradient_lab
from training import rng
from training.estimators import CRITIC_EVALS, FUNCTIONS, MIN_DRAWS
from training.networks import N_PIXELS
from training.pretrained import BinaryGAN, Critic, load_generator
from training.sampling import make_latents, validate_count
from training.variants import CHOSEN_TEMPERATURE, REGISTRY

ESTIMATORS = tuple(FUNCTIONS)
# critic backward passes per draw
BACKWARD = {"sigmoid-st": 1, "reinmax": 1, "rloo": 0, "disarm": 0, "rebar": 2} | dict.fromkeys(
    ("zgr", "gumbel-rao", "gst", "decoupled-st"), 1
)
BUDGETS = (1, 2, 4, 8, 16, 32)  # critic evaluations per latent
REPETITIONS = 256  # independent estimates per estimator and budget
TRUTH_DRAWS = 512  # Bernoulli draws behind the truth, in blocks of at most gradient_lab.MAX_DRAWS
SHIPPED_SAMPLES = (0, 1, 2, 3)  # of seed 0
MAP_BUDGETS = (8,)  # the budget whose bias and variance maps are shipped: more would not fit 300 KB a file
MAX_REPETITIONS, MAX_BUDGET, MAX_INDEX = 1024, 256, 1024  # bounds on one request


def settings(estimator: str) -> dict[str, float]:
    """The keyword arguments an estimator is studied with: a tempered one's chosen temperature."""
    return {"temperature": CHOSEN_TEMPERATURE[estimator]} if estimator in CHOSEN_TEMPERATURE else {}


def draws_at(estimator: str, budget: int) -> int:
    """Draws the estimator affords at `budget` critic evaluations; 0 when it is not applicable there."""
    draws = budget // CRITIC_EVALS[estimator]
    return draws if draws >= MIN_DRAWS[estimator] else 0


@dataclass(frozen=True)
class Cell:
    """One estimator at one budget, over `repetitions` independent estimates (squared norms over the 784 pixels)."""

    estimator: str
    budget: int
    draws: int
    critic_evals: int  # what the draws spend: draws * CRITIC_EVALS, at most the budget
    backward: int  # critic backward passes: draws * BACKWARD
    bias2: float  # bias2_raw clamped at 0
    bias2_raw: float  # ||mean - truth||² - variance / R - ||se||²: an unbiased estimate, negative by chance
    bias2_noise: float  # standard deviation of bias2_raw were there no bias
    variance: float
    mse: float  # bias2 + variance
    cosine: float


@dataclass(frozen=True)
class SampleStudy:
    """Every estimator at every budget for one sample; maps are (784,), reshape to (28, 28)."""

    variant: str
    seed: int
    index: int  # latents make_latents(n, seed)[index], the page's sample `index`
    repetitions: int
    truth_draws: int
    truth: np.ndarray  # (784,) exact dE[D]/dtheta, up to its noise
    truth_se: np.ndarray  # (784,) its standard error
    cells: dict[tuple[str, int], Cell]  # (estimator, budget) -> numbers; absent where not applicable
    maps: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]  # (estimator, budget) -> (bias, variance) maps
    seconds: float

    @property
    def truth_noise2(self) -> float:
        """||se||²: what the truth's own noise adds to ||mean - truth||²."""
        return float(np.sum(self.truth_se.astype(np.float64) ** 2))

    @property
    def truth_norm2(self) -> float:
        return float(np.sum(self.truth.astype(np.float64) ** 2))

    @property
    def truth_noise_share(self) -> float:
        """||se||² / ||truth||²: how much of the truth's size is its own noise (NaN for a zero truth)."""
        return self.truth_noise2 / self.truth_norm2 if self.truth_norm2 > 0 else math.nan

    @property
    def budgets(self) -> list[int]:
        """The budgets with numbers, ascending."""
        return sorted({b for _, b in self.cells})

    @property
    def map_budgets(self) -> list[int]:
        """The budgets with bias and variance maps: a few in a shipped study, every budget in a live one."""
        return sorted({b for _, b in self.maps})


def _summarise(
    estimator: str, budget: int, draws: int, estimates: np.ndarray, truth: np.ndarray, se: np.ndarray
) -> tuple[Cell, tuple[np.ndarray, np.ndarray]]:
    r = len(estimates)  # estimates (R, 784), float64
    mean, var = estimates.mean(0), estimates.var(0, ddof=1)  # (784,) each
    variance = float(var.sum())
    raw = float(np.sum((mean - truth) ** 2) - variance / r - np.sum(se**2))
    noise = math.sqrt(2.0 * float(np.sum((var / r + se**2) ** 2)))  # a sum of scaled chi²(1) terms
    norms = np.linalg.norm(estimates, axis=1) * np.linalg.norm(truth)
    cosine = np.divide(estimates @ truth, norms, out=np.zeros(r), where=norms > 0)
    bias2 = max(raw, 0.0)
    cell = Cell(
        estimator,
        budget,
        draws,
        draws * CRITIC_EVALS[estimator],
        draws * BACKWARD[estimator],
        bias2,
        raw,
        noise,
        variance,
        bias2 + variance,
        float(cosine.mean()),
    )
    return cell, ((mean - truth).astype(np.float32), var.astype(np.float32))


def exact_gradient(
    critic: Critic,
    p: np.ndarray,
    draws: int,
    generator: torch.Generator,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(truth, se), each (784,): dE[D]/dtheta = p (1 - p) dE[D]/dp for one sample's p (784,), from `draws` draws
    of gradient_lab.expected_gradient, run as independent blocks of at most gradient_lab.MAX_DRAWS in one call."""
    blocks = -(-draws // gradient_lab.MAX_DRAWS)
    if draws % blocks:
        raise ValueError(f"truth draws {draws} must split into equal blocks of at most {gradient_lab.MAX_DRAWS}")
    tiled = np.repeat(np.asarray(p, dtype=np.float32).reshape(1, N_PIXELS), blocks, axis=0)  # (blocks, 784)
    mean, se = gradient_lab.expected_gradient(critic, tiled, draws // blocks, progress=progress, generator=generator)
    slope = (tiled[0] * (1.0 - tiled[0])).astype(np.float64)
    t = mean.astype(np.float64).mean(0)
    t_se = np.sqrt(np.sum(se.astype(np.float64) ** 2, axis=0)) / blocks
    return slope * t, slope * t_se


def _estimate(
    critic: Critic,
    fwd: gradient_lab.Forward,
    seed: int,
    index: int,
    estimators: Iterable[str],
    budgets: Iterable[int],
    repetitions: int,
    truth: np.ndarray,
    se: np.ndarray,
    progress: Callable[[float], None] | None = None,
) -> tuple[dict[tuple[str, int], Cell], dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]]:
    """The cells and maps of `estimators` at `budgets` for one sample's forward pass, each estimator on its own
    stream (seed, index, estimator, budget), so a cell is the same whichever others are computed beside it."""
    theta = torch.from_numpy(fwd.slope * fwd.logits).repeat(repetitions, 1)  # (R, 784): one estimate per row
    jobs = [(e, b, draws_at(e, b)) for e in estimators for b in budgets if draws_at(e, b)]
    cells, maps = {}, {}
    for j, (e, b, draws) in enumerate(jobs):
        draw_rng = rng.generator(seed, "estimator-lab-draws", index, ESTIMATORS.index(e), b)
        estimate = FUNCTIONS[e](theta, critic.differentiable, draws, draw_rng, **settings(e))
        estimates = estimate.detach().double().numpy()  # (R, 784)
        cells[(e, b)], maps[(e, b)] = _summarise(e, b, draws, estimates, truth, se)
        if progress is not None:
            progress((j + 1) / len(jobs))
    return cells, maps


def study_sample(
    generator: BinaryGAN,
    critic: Critic,
    index: int,
    seed: int = 0,
    budgets: Iterable[int] = BUDGETS,
    repetitions: int = REPETITIONS,
    truth_draws: int = TRUTH_DRAWS,
    progress: Callable[[float], None] | None = None,
) -> SampleStudy:
    """Every estimator at every budget for sample `index` of `seed` (latents make_latents(n, seed)[index]), with
    the bias and variance maps at every budget."""
    t0 = time.perf_counter()
    seed = rng.validate_seed(seed)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < MAX_INDEX:
        raise ValueError(f"sample index must be an integer in [0, {MAX_INDEX - 1}], got {index!r}")
    index = int(index)
    repetitions = validate_count(repetitions, "repetitions", MAX_REPETITIONS)
    budgets = tuple(validate_count(b, "budget", MAX_BUDGET) for b in budgets)
    if repetitions < 2:
        raise ValueError("repetitions must be at least 2: the variance needs two estimates")
    if critic.cfg.neuron != "sbn":
        raise ValueError(f"{critic.name}: the estimators need a stochastic binary neuron (SBN)")
    # One latent stream per seed, so row `index` of a shorter batch is the page's sample `index` of 16.
    z = make_latents(index + 1, seed, generator.latent_dim)[index:]  # (1, 128)
    fwd = gradient_lab.forward(generator, critic, z, seed)
    share = 0.4  # of the progress bar for the truth: about its share of the time
    truth, se = exact_gradient(
        critic,
        fwd.p[0],
        truth_draws,
        rng.generator(seed, "estimator-lab-truth", index),
        None if progress is None else lambda f: progress(share * f),
    )
    cells, maps = _estimate(
        critic,
        fwd,
        seed,
        index,
        ESTIMATORS,
        budgets,
        repetitions,
        truth,
        se,
        None if progress is None else lambda f: progress(share + (1 - share) * f),
    )
    return SampleStudy(
        critic.name,
        seed,
        index,
        repetitions,
        truth_draws,
        truth.astype(np.float32),
        se.astype(np.float32),
        cells,
        maps,
        time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class Study:
    """The shipped study of one variant: a few samples of one seed, and the sha256 of the files behind it."""

    variant: str
    seed: int
    budgets: tuple[int, ...]
    samples: tuple[SampleStudy, ...]
    sources: dict[str, str]  # store.sources(folder) when it was computed

    def sample(self, index: int) -> SampleStudy | None:
        return next((s for s in self.samples if s.index == index), None)


def study(
    name: str,
    indices: Iterable[int] = SHIPPED_SAMPLES,
    seed: int = 0,
    budgets: Iterable[int] = BUDGETS,
    repetitions: int = REPETITIONS,
    truth_draws: int = TRUTH_DRAWS,
    log: Callable[[str], None] | None = None,
) -> Study:
    """study_sample for each of `indices` of a variant in the checkpoints folder."""
    generator, critic = load_generator(name), Critic.from_pretrained(name)
    budgets = tuple(budgets)
    samples = []
    for i in indices:
        samples.append(study_sample(generator, critic, i, seed, budgets, repetitions, truth_draws))
        if log is not None:
            log(f"{name} sample {i}: {samples[-1].seconds:.1f} s")
    return Study(name, seed, budgets, tuple(samples), store.sources(critic.source))


def extend(s: Study, log: Callable[[str], None] | None = None) -> Study:
    """The study with the cells of every estimator it lacks, computed against its own truth: a study shipped before
    an estimator was added grows by that estimator's rows, and its truth, the expensive part, is not drawn again.
    The shipped truth is float16 (0.05% of its largest pixel), far inside its own standard error."""
    generator, critic = load_generator(s.variant), Critic.from_pretrained(s.variant)
    if store.sources(critic.source) != s.sources:
        raise ValueError(f"{s.variant}: its generator or critic changed since the study; compute it again")
    samples = []
    for x in s.samples:
        missing = [e for e in ESTIMATORS if not any((e, b) in x.cells for b in s.budgets)]
        t0 = time.perf_counter()
        z = make_latents(x.index + 1, s.seed, generator.latent_dim)[x.index :]  # (1, 128)
        fwd = gradient_lab.forward(generator, critic, z, s.seed)
        truth, se = x.truth.astype(np.float64), x.truth_se.astype(np.float64)
        cells, maps = _estimate(critic, fwd, s.seed, x.index, missing, s.budgets, x.repetitions, truth, se)
        seconds = x.seconds + time.perf_counter() - t0
        samples.append(dataclasses.replace(x, cells=x.cells | cells, maps=x.maps | maps, seconds=seconds))
        if log is not None:
            log(f"{s.variant} sample {x.index}: {', '.join(missing) or 'nothing'} added")
    return dataclasses.replace(s, samples=tuple(samples))


def offered_variants(root: str | Path | None = None) -> list[str]:
    """The gradient lab's variants that the estimators apply to: SBN with a critic."""
    return [n for n in gradient_lab.offered_variants(root) if REGISTRY[n].neuron == "sbn"]
