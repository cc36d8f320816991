"""Estimator lab: the five gradient estimators of training/estimators.py, at equal budgets, against the exact gradient.

For one generated sample of an SBN variant, with theta = s * x (the output layer's pre-activation times the slope)
and the variant's trained critic D, every estimator estimates
    g = d E[D(b)] / d theta,   b ~ Bernoulli(p), p = sigmoid(theta).
The truth is the lab's all-pixels-flipped reference (gradlab.expected_gradient): dE[D]/dp_i = E[D(b | b_i = 1) -
D(b | b_i = 0)] over TRUTH_DRAWS Bernoulli draws, times p_i (1 - p_i). Its own noise, the standard error se of
each pixel, is reported, and its square summed over pixels is subtracted from the squared bias.

Cost model. A budget M counts critic forward evaluations per latent. An estimator whose draw costs c evaluations
(estimators.CRITIC_EVALS: 1 for sigmoid-st, reinmax and rloo; 2 for disarm, a pair; 3 for rebar) gets
M // c draws, and is not applicable where that is fewer than it needs (rloo 2). The pathwise estimators also pay
backward passes through the critic, not counted in M but reported: one per draw for sigmoid-st and reinmax, two
for rebar (through both relaxed evaluations); none for rloo and disarm.

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

Everything takes seeds and returns arrays and dataclasses; nothing here calls Streamlit. The page reads
precomputed studies from checkpoints/NAME/estimator-lab.json (JSON only, validated on load) and recomputes
only samples that were not shipped.
    python -m explorer.estimator_lab --write [NAMES...]   # precompute and ship the studies (every SBN variant)
    python -m explorer.estimator_lab --markdown           # the shipped numbers at budgets 2 and 8, for the docs
"""

from __future__ import annotations

import argparse
import base64
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer import gradlab
from training import rng
from training.checkpoint import ESTIMATOR_LAB_FILE, CheckpointError, atomic_write_json, checkpoints_root
from training.config import ESTIMATOR_BASELINE, REGISTRY
from training.estimators import CRITIC_EVALS, FUNCTIONS, MIN_DRAWS, UNBIASED
from training.networks import N_PIXELS
from training.pretrained import BinaryGAN, Critic, load_generator
from training.sampling import make_latents, validate_count

ESTIMATORS = tuple(FUNCTIONS)
LABELS = {
    "sigmoid-st": "sigmoid-adjusted ST",
    "reinmax": "ReinMax",
    "rloo": "RLOO",
    "disarm": "DisARM",
    "rebar": "REBAR",
}
BACKWARD = {"sigmoid-st": 1, "reinmax": 1, "rloo": 0, "disarm": 0, "rebar": 2}  # critic backward passes per draw
BUDGETS = (1, 2, 4, 8, 16, 32)  # critic evaluations per latent
REPETITIONS = 256  # independent estimates per estimator and budget
TRUTH_DRAWS = 512  # Bernoulli draws behind the truth, in blocks of at most gradlab.MAX_DRAWS
SHIPPED_SAMPLES = (0, 1, 2, 3)  # of seed 0
MAP_BUDGETS = (2, 8)  # budgets whose bias and variance maps are shipped: every budget would not fit 300 KB a file
DEFAULT_BUDGET = 8  # the page's first budget: one of MAP_BUDGETS, so its maps are shipped too
MAX_REPETITIONS, MAX_BUDGET, MAX_INDEX = 1024, 256, 1024  # bounds on one request
FORMAT = "binarygan-estimator-lab/1"


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
    of gradlab.expected_gradient, run as independent blocks of at most gradlab.MAX_DRAWS in one call."""
    blocks = -(-draws // gradlab.MAX_DRAWS)
    if draws % blocks:
        raise ValueError(f"truth draws {draws} must split into equal blocks of at most {gradlab.MAX_DRAWS}")
    tiled = np.repeat(np.asarray(p, dtype=np.float32).reshape(1, N_PIXELS), blocks, axis=0)  # (blocks, 784)
    mean, se = gradlab.expected_gradient(critic, tiled, draws // blocks, progress=progress, generator=generator)
    slope = (tiled[0] * (1.0 - tiled[0])).astype(np.float64)
    t = mean.astype(np.float64).mean(0)
    t_se = np.sqrt(np.sum(se.astype(np.float64) ** 2, axis=0)) / blocks
    return slope * t, slope * t_se


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
    fwd = gradlab.forward(generator, critic, z, seed)
    share = 0.4  # of the progress bar for the truth: about its share of the time
    truth, se = exact_gradient(
        critic,
        fwd.p[0],
        truth_draws,
        rng.generator(seed, "estimator-lab-truth", index),
        None if progress is None else lambda f: progress(share * f),
    )
    theta = torch.from_numpy(fwd.slope * fwd.logits).repeat(repetitions, 1)  # (R, 784): one estimate per row
    jobs = [(e, b, draws_at(e, b)) for e in ESTIMATORS for b in budgets if draws_at(e, b)]
    cells, maps = {}, {}
    for j, (e, b, draws) in enumerate(jobs):
        draw_rng = rng.generator(seed, "estimator-lab-draws", index, ESTIMATORS.index(e), b)
        estimates = FUNCTIONS[e](theta, critic.differentiable, draws, draw_rng).detach().double().numpy()  # (R, 784)
        cells[(e, b)], maps[(e, b)] = _summarise(e, b, draws, estimates, truth, se)
        if progress is not None:
            progress(share + (1 - share) * (j + 1) / len(jobs))
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
    sources: dict[str, str]  # gradlab.sources(folder) when it was computed

    def sample(self, index: int) -> SampleStudy | None:
        return next((s for s in self.samples if s.index == index), None)


def shipped_sample(s: Study | None, seed: int, index: int) -> SampleStudy | None:
    """Sample `index` of `seed` from a shipped study; None when it does not hold that one, which is then computed
    live."""
    return s.sample(index) if s is not None and s.seed == seed else None


def default_budget(budgets: Sequence[int]) -> int:
    """The budget the page first shows: DEFAULT_BUDGET when the study has it, else its largest."""
    return DEFAULT_BUDGET if DEFAULT_BUDGET in budgets else budgets[-1]


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
    return Study(name, seed, budgets, tuple(samples), gradlab.sources(critic.source))


# ---------------------------------------------------------------------------------------------------
# Shipping: JSON, maps as base64 float16 scaled to their largest magnitude (3 significant digits, 2 bytes a pixel)
# ---------------------------------------------------------------------------------------------------

_CELL_FIELDS = {
    "estimator": str,
    "budget": int,
    "draws": int,
    "critic_evals": int,
    "backward": int,
    "bias2": float,
    "bias2_raw": float,
    "bias2_noise": float,
    "variance": float,
    "mse": float,
    "cosine": float,
}


def _encode_map(values: np.ndarray) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64).reshape(N_PIXELS)
    scale = float(np.abs(v).max()) or 1.0
    return {"scale": scale, "f16": base64.b64encode((v / scale).astype("<f2").tobytes()).decode("ascii")}


class _Reader:
    """Checked access to a parsed study; every error names the file and where in it."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, what: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: {where}: {what}")

    def field(self, obj: Any, key: str, kind: type, where: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise self.fail(where, f"missing {key!r}")
        v: Any = obj[key]
        if kind is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, kind) or isinstance(v, bool) or (isinstance(v, float) and not math.isfinite(v)):
            raise self.fail(where, f"{key} = {str(v)[:40]!r} is not a finite {kind.__name__}")
        return v

    def map(self, obj: Any, key: str, where: str) -> np.ndarray:
        m = self.field(obj, key, dict, where)
        scale = self.field(m, "scale", float, f"{where}.{key}")
        try:
            raw = base64.b64decode(self.field(m, "f16", str, f"{where}.{key}"), validate=True)
        except ValueError:
            raise self.fail(f"{where}.{key}", "f16 is not base64") from None
        if len(raw) != 2 * N_PIXELS:
            raise self.fail(f"{where}.{key}", f"{len(raw)} bytes where {2 * N_PIXELS} (784 float16) belong")
        values = np.frombuffer(raw, dtype="<f2").astype(np.float64) * scale
        if not np.isfinite(values).all():
            raise self.fail(f"{where}.{key}", "not finite")
        return values.astype(np.float32)


def to_json(s: Study, map_budgets: Iterable[int] = MAP_BUDGETS) -> dict[str, Any]:
    """The shipped form: every number, and the maps at `map_budgets` only."""
    keep = set(map_budgets)
    samples = []
    for x in s.samples:
        samples.append(
            {
                "index": x.index,
                "seconds": round(x.seconds, 2),
                "truth": _encode_map(x.truth),
                "truth_se": _encode_map(x.truth_se),
                "cells": [{k: getattr(c, k) for k in _CELL_FIELDS} for c in x.cells.values()],
                "maps": [
                    {"estimator": e, "budget": b, "bias": _encode_map(bias), "variance": _encode_map(var)}
                    for (e, b), (bias, var) in x.maps.items()
                    if b in keep
                ],
            }
        )
    first = s.samples[0] if s.samples else None
    return {
        "format": FORMAT,
        "variant": s.variant,
        "seed": s.seed,
        "budgets": list(s.budgets),
        "repetitions": first.repetitions if first else REPETITIONS,
        "truth_draws": first.truth_draws if first else TRUTH_DRAWS,
        "sources": s.sources,
        "samples": samples,
    }


def from_json(obj: dict[str, Any], path: Path) -> Study:
    """A Study from its shipped form (already parsed), every field checked; CheckpointError naming `path` if not."""
    rd = _Reader(path)
    variant = rd.field(obj, "variant", str, "top")
    if variant not in REGISTRY:
        raise rd.fail("top", f"unknown variant {variant[:60]!r}")
    seed, reps, truth_draws = (rd.field(obj, k, int, "top") for k in ("seed", "repetitions", "truth_draws"))
    budgets = rd.field(obj, "budgets", list, "top")
    if not budgets or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in budgets):
        raise rd.fail("top", "budgets must be positive integers")
    srcs = rd.field(obj, "sources", dict, "top")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in srcs.items()):
        raise rd.fail("top", "sources must map file names to sha256")
    samples = []
    for i, x in enumerate(rd.field(obj, "samples", list, "top")):
        where = f"samples[{i}]"
        cells: dict[tuple[str, int], Cell] = {}
        for j, c in enumerate(rd.field(x, "cells", list, where)):
            cell = Cell(**{k: rd.field(c, k, kind, f"{where}.cells[{j}]") for k, kind in _CELL_FIELDS.items()})
            if cell.estimator not in FUNCTIONS or cell.budget not in budgets:
                raise rd.fail(f"{where}.cells[{j}]", f"{cell.estimator[:40]!r} at budget {cell.budget} is not studied")
            cells[(cell.estimator, cell.budget)] = cell
        maps = {}
        for j, m in enumerate(rd.field(x, "maps", list, where)):
            w = f"{where}.maps[{j}]"
            key = (rd.field(m, "estimator", str, w), rd.field(m, "budget", int, w))
            if key not in cells:
                raise rd.fail(w, f"a map for {key}, which has no numbers")
            maps[key] = (rd.map(m, "bias", w), rd.map(m, "variance", w))
        samples.append(
            SampleStudy(
                variant,
                seed,
                rd.field(x, "index", int, where),
                reps,
                truth_draws,
                rd.map(x, "truth", where),
                rd.map(x, "truth_se", where),
                cells,
                maps,
                rd.field(x, "seconds", float, where),
            )
        )
    return Study(variant, seed, tuple(budgets), tuple(samples), dict(srcs))


def write(s: Study, root: str | Path | None = None, map_budgets: Iterable[int] = MAP_BUDGETS) -> Path:
    path = (Path(root) if root is not None else checkpoints_root()) / s.variant / ESTIMATOR_LAB_FILE
    atomic_write_json(path, to_json(s, map_budgets))
    return path


def read(path: str | Path) -> Study:
    """A shipped study file, validated; CheckpointError naming the file when it is corrupt, truncated or foreign."""
    path = Path(path)
    return from_json(gradlab.read_shipped(path, FORMAT), path)


def shipped(name: str, root: str | Path | None = None) -> Study | None:
    """The variant's shipped study, None when it has none; CheckpointError when the file is bad."""
    path = (Path(root) if root is not None else checkpoints_root()) / name / ESTIMATOR_LAB_FILE
    return read(path) if path.is_file() else None


def stale(s: Study, root: str | Path | None = None) -> bool:
    """Whether the variant's generator or critic changed since the study was computed."""
    return s.sources != gradlab.sources((Path(root) if root is not None else checkpoints_root()) / s.variant)


def offered_variants(root: str | Path | None = None) -> list[str]:
    """The gradient lab's variants that the estimators apply to: SBN with a critic."""
    return [n for n in gradlab.offered_variants(root) if REGISTRY[n].neuron == "sbn"]


# ---------------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------------


def table(samples: Iterable[SampleStudy], budget: int) -> list[dict[str, Any]]:
    """One row per estimator at `budget`: each number's mean over the samples, and its standard deviation (NaN
    for one sample). MSE is also given relative to ||truth||², comparable across samples. Rows of estimators not
    applicable at the budget have draws 0 and NaN numbers."""
    samples = list(samples)
    rows = []
    for e in ESTIMATORS:
        have = [x for x in samples if (e, budget) in x.cells]  # the samples whose study has this cell
        cells = [x.cells[(e, budget)] for x in have]
        row: dict[str, Any] = {
            "estimator": e,
            "label": LABELS[e],
            "unbiased": e in UNBIASED,
            "draws": cells[0].draws if cells else 0,
            "backward": cells[0].backward if cells else 0,
        }
        per = {
            "bias2": [c.bias2 for c in cells],
            "variance": [c.variance for c in cells],
            "mse": [c.mse for c in cells],
            "cosine": [c.cosine for c in cells],
            "relative_mse": [c.mse / x.truth_norm2 for c, x in zip(cells, have, strict=True) if x.truth_norm2 > 0],
        }
        for k, v in per.items():
            row[k] = float(np.mean(v)) if v else math.nan
            row[f"{k}_sd"] = float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
        rows.append(row)
    return rows


def sample_rows(x: SampleStudy, budget: int) -> list[dict[str, Any]]:
    """The page's table for one sample at `budget`: one row per estimator, NaN where it is not applicable."""
    rows = []
    for e in ESTIMATORS:
        c = x.cells.get((e, budget))
        nan = math.nan
        rows.append(
            {
                "estimator": LABELS[e],
                "unbiased": e in UNBIASED,
                "draws": c.draws if c else 0,
                "critic evaluations": c.critic_evals if c else 0,
                "backward passes": c.backward if c else 0,
                "bias²": c.bias2 if c else nan,
                "bias² noise": c.bias2_noise if c else nan,
                "variance": c.variance if c else nan,
                "MSE": c.mse if c else nan,
                "MSE / ‖truth‖²": c.mse / x.truth_norm2 if c and x.truth_norm2 > 0 else nan,
                "cosine": c.cosine if c else nan,
            }
        )
    return rows


def mse_curves(x: SampleStudy) -> dict[str, tuple[list[int], list[float]]]:
    """{estimator: (budgets, MSE)} over the budgets where it applies: the log-log chart's lines."""
    budgets = x.budgets
    return {
        e: ([b for b in budgets if (e, b) in x.cells], [x.cells[(e, b)].mse for b in budgets if (e, b) in x.cells])
        for e in ESTIMATORS
    }


def best(samples: Iterable[SampleStudy], budget: int) -> str | None:
    """The estimator with the lowest mean MSE at `budget`."""
    rows = [r for r in table(samples, budget) if r["draws"]]
    return min(rows, key=lambda r: r["mse"])["estimator"] if rows else None


def markdown(s: Study, budgets: Iterable[int] = MAP_BUDGETS) -> str:
    """The docs' table for one variant: mean ± sd over its samples at each of `budgets`."""
    lines = [
        f"**`{s.variant}`** (samples {', '.join(str(x.index) for x in s.samples)} of seed {s.seed}; "
        f"mean ± sd over samples)",
        "",
        "| budget | estimator | draws | bias² | variance | MSE | MSE / ‖truth‖² | cosine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in budgets:
        winner = best(s.samples, b)
        for r in table(s.samples, b):
            if not r["draws"]:
                lines.append(f"| {b} | {r['label']} | – | not applicable | | | | |")
                continue
            cells = " | ".join(f"{r[k]:.3g} ± {r[k + '_sd']:.2g}" for k in ("bias2", "variance", "mse", "relative_mse"))
            lines.append(f"| {b} | {r['label']} | {r['draws']} | {cells} | {r['cosine']:.3f} ± {r['cosine_sd']:.3f} |")
        lines.append(f"| {b} | lowest MSE: **{LABELS[winner] if winner else '–'}** | | | | | | |")
    noise = [x.truth_noise2 / x.truth_norm2 for x in s.samples if x.truth_norm2 > 0]
    lines += [
        "",
        f"Truth: {s.samples[0].truth_draws} draws; its noise ‖se‖² / ‖truth‖² = "
        f"{np.mean(noise):.2g} (mean over samples).",
    ]
    return "\n".join(lines)


HEADLINE_BUDGETS = (2, 8)


def training_budget(name: str) -> int:
    """Critic evaluations per latent at each generator step of a variant: its draws times each draw's cost."""
    cfg = REGISTRY[name]
    return cfg.estimator_draws * CRITIC_EVALS[cfg.estimator]


def headline(root: str | Path | None = None) -> str:
    """The README's estimator table: per estimator, the lab's cosine and MSE / ||truth||² at budgets 2 and 8 on the
    straight-through baseline's critic; for each trained estimator its critic evaluations per generator step, the
    same numbers for its own estimator on its own critic at that budget, and FD mean ± sd over seeds with the
    verdict of the stated rule (explorer.findings)."""
    from explorer import files, findings

    base_study = shipped(ESTIMATOR_BASELINE, root)
    if base_study is None:
        raise CheckpointError(f"{ESTIMATOR_BASELINE}: no {ESTIMATOR_LAB_FILE} shipped")
    rows = {b: {r["estimator"]: r for r in table(base_study.samples, b)} for b in HEADLINE_BUDGETS}
    baseline, verdicts = findings.judge_estimators(files.seed_metrics(root))
    trained = {"sigmoid-st": (ESTIMATOR_BASELINE, baseline, "baseline")}
    trained |= {v.estimator: (v.band.variant, v.band, v.verdict) for v in verdicts}
    cols = [f"{what} at {b}" for b in HEADLINE_BUDGETS for what in ("cosine", "MSE / ‖t‖²")]
    lines = [
        f"| estimator | {' | '.join(cols)} | critic evaluations per G step | own critic: cosine, MSE / ‖t‖² | "
        "FD over seeds 0–2 | verdict |",
        "|---" * (len(cols) + 5) + "|",
    ]

    def lab(r: dict[str, Any]) -> list[str]:
        return ["–", "–"] if not r["draws"] else [f"{r['cosine']:.2f}", f"{r['relative_mse']:.3g}"]

    for e in ESTIMATORS:
        cells = [c for b in HEADLINE_BUDGETS for c in lab(rows[b][e])]
        if e in trained:
            name, band, verdict = trained[e]
            budget = training_budget(name)
            own = shipped(name, root)
            own_row = next((r for r in table(own.samples, budget) if r["estimator"] == e), None) if own else None
            own_cells = ", ".join(lab(own_row)) if own_row else "–"
            fd = (
                f"{band.mean:.1f} ± {band.sd:.1f}"
                if band.complete
                else ", ".join(f"{v:.1f}" for v in band.values.values())
            )
            extra = [str(budget), own_cells, fd, verdict]
        else:
            extra = ["lab only", "–", "not trained", "–"]
        lines.append(f"| {LABELS[e]} | {' | '.join(cells + extra)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.estimator_lab", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="SBN variants (default: every one with a critic)")
    parser.add_argument("--write", action="store_true", help=f"compute and write NAME/{ESTIMATOR_LAB_FILE}")
    parser.add_argument("--markdown", action="store_true", help="print the shipped numbers at budgets 2 and 8")
    parser.add_argument("--headline", action="store_true", help="print the README's table of the estimators")
    args = parser.parse_args(argv)
    if args.headline:
        print(headline())
        return 0
    if not args.write and not args.markdown:
        parser.error("nothing to do; pass --write, --markdown or --headline")
    names = args.names or offered_variants()
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        for name in names:
            if args.write:
                t0 = time.perf_counter()
                path = write(study(name, log=log))
                log(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - t0:.0f} s")
            if args.markdown:
                s = shipped(name)
                print(markdown(s) if s else f"{name}: no {ESTIMATOR_LAB_FILE} shipped", end="\n\n")
    except ValueError as e:  # CheckpointError and its kin are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
