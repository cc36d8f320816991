"""The evaluation's metrics: their definitions as pure functions (arrays in, numbers out), and the one list of
them that every table, chart and file reads (`METRICS`).

All numbers are measured on `n` samples drawn with a fixed seed (training.evaluate), so a rerun reproduces them:
- fd: Fréchet distance between Gaussians fitted to the evaluation classifier's 128-d penultimate
  features of the samples and of the test digits (FID's formula, in our own classifier's space).
- precision, recall: improved precision and recall (Kynkäänniemi et al. 2019) in the same feature
  space; each set's manifold is the union of balls reaching each point's k-th nearest neighbour, k = 3.
  precision = share of samples inside the test manifold, recall = share of test digits inside the samples'.
- class_hist: the classifier's predicted-class fractions (10 numbers); class_kl = KL(generated || test
  labels) = sum_c p_gen(c) log(p_gen(c) / p_test(c)), in nats (0 for a perfect class balance, large for
  mode collapse; p_test is floored at 1e-12 so a class absent from a tiny test set stays finite);
  classes_2pct = number of classes holding at least 2% of the samples.
- on_fraction_mean, on_fraction_std: mean and std over images of the share of on-pixels.
- speckle_rate: isolated on-pixels per image (on, with none of its 4 neighbours on; outside is off).
- memorisation_rate: share of samples whose nearest training image (Hamming distance) is closer than
  the 5th percentile of the test digits' nearest-training distances. Test digits are unseen, so about
  5% of genuinely new digits fall under this threshold; a rate well above 5% means copying.
- mass_near_01, notch_depth: shape of the preactivated outputs p = sigmoid(s * x); the dashboard shows the
  same numbers (explorer.analysis re-exports them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

K = 3  # neighbourhood size of the precision/recall manifolds, as in Kynkäänniemi et al.
KL_FLOOR = 1e-12
ROWS = 1024  # query rows per distance block: 1024 x 60,000 float32 = 245 MB at most
FD_MAX_IMAGINARY = 1e-3  # imaginary part of tr((s1 s2)^(1/2)), relative to its real part, that is refused


class EvaluationError(ValueError):
    """Metrics that cannot be computed or compared (too few samples, a stale or missing file)."""


# ---------------------------------------------------------------------------------------------------
# The list of metrics: what each is called, which way is better, how tables print it.
# ---------------------------------------------------------------------------------------------------


def _fixed(digits: int) -> Callable[[float], str]:
    """Format with `digits` decimals, or one significant digit for smaller nonzero values (the real-data floor)."""
    return lambda v: f"{v:.{digits}f}" if v == 0 or abs(v) >= 10**-digits else f"{v:.1g}"


@dataclass(frozen=True)
class Metric:
    key: str  # its name in metrics.json and history.json
    label: str  # the dashboard's name for it
    heading: str  # its column in the results table (docs/results.md and the model card)
    better: Literal["higher", "lower"] | None  # None: a shape statistic, to compare with the real-data floor
    text: Callable[[float], str]  # how the results table prints a value
    decimals: int = 4  # how the dashboard's tables print a value
    per_epoch: bool = False  # also measured for every snapshot, into history.json
    headline: bool = False  # a column of the dashboard's catalogue
    in_table: bool = True  # a column of the results table

    def format(self, value: float | None) -> str:
        return "–" if value is None else self.text(value)

    def mean_format(self, value: float | None) -> str:
        """A mean over seeds: a count's mean is not a count, so it gets one decimal."""
        return f"{value:.1f}" if self.text is str and value is not None else self.format(value)

    @staticmethod
    def sd_format(sd: float) -> str:
        """A standard deviation over seeds: two significant digits, or the integer part from 10 up, never an
        exponent ('0.0022', '0.56', '23', '105'; '0' for identical seeds, '–' for one seed's NaN)."""
        if math.isnan(sd):
            return "–"
        if sd == 0 or not math.isfinite(sd):
            return f"{sd:g}"
        return f"{sd:.0f}" if abs(sd) >= 10 else f"{sd:.{1 - math.floor(math.log10(abs(sd)))}f}"

    @property
    def arrow(self) -> str:
        return {"higher": "↑", "lower": "↓", None: ""}[self.better]


# Pixel statistics of real-valued models are on thresholded samples.
METRICS = (
    Metric(
        "fd",
        "Fréchet distance",
        "FD ↓",
        "lower",
        lambda v: f"{v:.1f}" if v >= 10 else f"{v:.2f}",
        per_epoch=True,
        headline=True,
    ),
    Metric("precision", "precision", "precision", "higher", _fixed(3), headline=True),
    Metric("recall", "recall", "recall", "higher", _fixed(3), headline=True),
    Metric("class_kl", "class KL to test labels", "class KL ↓", "lower", _fixed(3), per_epoch=True, headline=True),
    Metric("classes_2pct", "classes ≥ 2%", "classes ≥ 2%", "higher", str, decimals=0, per_epoch=True),
    Metric("on_fraction_mean", "on-pixel fraction", "on-pixels", None, _fixed(3), per_epoch=True),
    Metric("on_fraction_std", "on-pixel fraction std", "on-pixels std", None, _fixed(3), in_table=False),
    Metric("speckle_rate", "speckle rate", "speckle / image ↓", "lower", lambda v: f"{v:.3g}", per_epoch=True),
    Metric("memorisation_rate", "memorisation rate", "memorised", "lower", _fixed(3)),
    Metric("mass_near_01", "mass near 0/1", "mass near 0/1", None, _fixed(3), per_epoch=True),
    Metric("notch_depth", "notch depth", "notch depth", None, _fixed(3), per_epoch=True),
)
BY_KEY = {m.key: m for m in METRICS}
PER_EPOCH = tuple(m for m in METRICS if m.per_epoch)


# ---------------------------------------------------------------------------------------------------
# The metrics of samples: arrays in, numbers out.
# ---------------------------------------------------------------------------------------------------


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, dtype=np.float64)
    if len(f) < 2:
        raise EvaluationError(f"need at least 2 feature vectors for a covariance, got {len(f)}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(s1) + tr(s2) - 2 tr((s1 s2)^(1/2)).

    The trace of the square root is the sum of the square roots of the eigenvalues of s1 s2, which are real and
    >= 0 for covariances (s1 s2 is similar to s1^(1/2) s2 s1^(1/2)). No matrix square root is taken, so a
    singular product (fewer samples than dimensions, dead features) needs no regularising. Rounding leaves a
    tiny imaginary part; a large one means the inputs are not covariances, and raises EvaluationError.
    """
    eigenvalues = np.linalg.eigvals(np.asarray(s1, np.float64) @ np.asarray(s2, np.float64))
    trace = np.sqrt(eigenvalues.astype(np.complex128)).sum()
    if not np.isfinite(trace) or abs(trace.imag) > FD_MAX_IMAGINARY * max(abs(trace.real), 1.0):
        raise EvaluationError(
            f"tr((s1 s2)^(1/2)) = {trace:.6g} has a large imaginary part: the matrices are not "
            "covariances (symmetric, positive semi-definite)"
        )
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace.real, 0.0))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances in float64, clamped at 0."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.0)


def knn_radii(features: np.ndarray, k: int = K) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    f = np.asarray(features, dtype=np.float64)
    if len(f) <= k:
        raise EvaluationError(f"need more than k={k} points for k-NN radii, got {len(f)}")
    radii = np.empty(len(f))
    for start in range(0, len(f), ROWS):
        d = _sq_dists(f[start : start + ROWS], f)
        radii[start : start + ROWS] = np.partition(d, k, axis=1)[:, k]  # index 0 is the point itself
    return radii


def coverage(queries: np.ndarray, points: np.ndarray, radii: np.ndarray) -> float:
    """Share of `queries` inside at least one ball (points[j], radii[j])."""
    q, p = np.asarray(queries, dtype=np.float64), np.asarray(points, dtype=np.float64)
    inside = np.zeros(len(q), dtype=bool)
    for start in range(0, len(q), ROWS):
        inside[start : start + ROWS] = (_sq_dists(q[start : start + ROWS], p) <= radii[None, :]).any(1)
    return float(inside.mean())


def precision_recall(
    real: np.ndarray, fake: np.ndarray, k: int = K, real_radii: np.ndarray | None = None
) -> tuple[float, float]:
    """Improved precision and recall; `real_radii` may be passed in when the real set is reused."""
    real_radii = knn_radii(real, k) if real_radii is None else real_radii
    return coverage(fake, real, real_radii), coverage(real, fake, knn_radii(fake, k))


def class_histogram(predictions: np.ndarray) -> np.ndarray:
    pred = np.asarray(predictions)
    if pred.size == 0:
        raise EvaluationError("need at least one prediction for a class histogram")
    return np.bincount(pred, minlength=10)[:10] / pred.size


def class_kl(hist: np.ndarray, reference: np.ndarray) -> float:
    """KL(hist || reference) in nats; classes absent from `hist` contribute 0."""
    p, q = np.asarray(hist, dtype=np.float64), np.maximum(np.asarray(reference, dtype=np.float64), KL_FLOOR)
    nz = p > 0
    return float(max((p[nz] * np.log(p[nz] / q[nz])).sum(), 0.0))


def classes_2pct(hist: np.ndarray) -> int:
    return int((np.asarray(hist) >= 0.02).sum())


def on_fraction(images: np.ndarray) -> tuple[float, float]:
    frac = np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(1)
    return float(frac.mean()), float(frac.std())


def speckle_rate(images: np.ndarray) -> float:
    """Mean number of isolated on-pixels per image (on, with no on-pixel among its 4 neighbours)."""
    x = np.asarray(images, dtype=bool)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {x.shape}")
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    neighbours = p[:, :-2, 1:-1] | p[:, 2:, 1:-1] | p[:, 1:-1, :-2] | p[:, 1:-1, 2:]
    return float((x & ~neighbours).sum() / len(x))


def nearest_hamming(queries: np.ndarray, base: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """Hamming distance from each binary query image to its nearest image in `base`.

    |a| + |b| - 2 a.b by float32 matmul: every partial sum is an integer below 2^24, so the result is
    exact whatever order the BLAS adds in. `exclude_self` skips base[i] for query i (queries == base[:n]).
    """
    q = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
    b = np.asarray(base, dtype=np.float32).reshape(len(base), -1)
    bn = b.sum(1)
    out = np.empty(len(q), dtype=np.int64)
    buf = np.empty((min(ROWS, len(q)), len(b)), dtype=np.float32)  # reused: 245 MB of fresh pages per block is slow
    for start in range(0, len(q), ROWS):
        block = q[start : start + ROWS]
        d = buf[: len(block)]
        np.matmul(block, b.T, out=d)
        d *= -2
        d += bn  # |b| - 2 a.b; |a| is constant along the row, added after the minimum
        if exclude_self:
            rows = np.arange(len(block))
            d[rows, start + rows] = np.inf
        out[start : start + ROWS] = np.rint(d.min(1) + block.sum(1)).astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------------
# The shape of the preactivated outputs.
# ---------------------------------------------------------------------------------------------------

# Preactivated outputs p = sigmoid(s * x) live in [0, 1]; these intervals define the two shape metrics.
NEAR_EDGE = 0.05  # "near 0" is p < 0.05, "near 1" is p > 0.95
NOTCH_CENTRE = (0.48, 0.52)  # the two 0.02-wide bins either side of the DBN threshold 0.5
NOTCH_FLANKS = ((0.35, 0.45), (0.55, 0.65))  # the shoulders the centre is compared with


def finite_flat(pre: np.ndarray) -> np.ndarray:
    flat = np.asarray(pre, dtype=np.float64).ravel()
    if flat.size == 0:
        raise ValueError("need at least one preactivated output")
    if not np.isfinite(flat).all():
        raise ValueError("preactivated outputs must be finite")
    return flat


def mass_near_01(pre: np.ndarray) -> float:
    """Fraction of preactivated outputs that are nearly binary already: p < 0.05 or p > 0.95.

    `pre` is any array of preactivated outputs p = sigmoid(s * x) (every element counts once).
    The paper's Exp I/II: SBN puts more mass near 0 and 1 than DBN, the real-valued model more still.
    Raises ValueError on an empty array or non-finite values.
    """
    flat = finite_flat(pre)
    return float(np.mean((flat < NEAR_EDGE) | (flat > 1.0 - NEAR_EDGE)))


def notch_depth(pre: np.ndarray) -> float:
    """How deep the dip of the preactivation histogram at the threshold 0.5 is, relative to its shoulders.

    With densities measured per unit of p (fraction of values in an interval / its width):
        centre = density on [0.48, 0.52)             (the two 0.02-wide bins of a 50-bin histogram at 0.5)
        flanks = density on [0.35, 0.45) ∪ [0.55, 0.65)
        notch_depth = 1 - centre / flanks
    Positive means a notch (1.0: the centre is empty), 0 a flat histogram around 0.5, negative a bump.
    The paper's Exp I: DBN shows a notch around 0.5, the real-valued model does not.
    When the flanks are empty there is no shoulder to dip below, and the result is 0.0.
    Raises ValueError on an empty array or non-finite values.
    """
    flat = finite_flat(pre)
    (c_lo, c_hi) = NOTCH_CENTRE
    centre = np.mean((flat >= c_lo) & (flat < c_hi)) / (c_hi - c_lo)
    in_flanks = np.zeros(flat.shape, dtype=bool)
    for lo, hi in NOTCH_FLANKS:
        in_flanks |= (flat >= lo) & (flat < hi)
    flanks = np.mean(in_flanks) / sum(hi - lo for lo, hi in NOTCH_FLANKS)
    if flanks == 0.0:
        return 0.0
    return float(1.0 - centre / flanks)
