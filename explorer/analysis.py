"""Numbers and arrays behind the dashboard's views: histograms, notch depth, interpolation, pixel flips.

Everything here takes arrays (and a seed where randomness is involved) and returns arrays or floats;
nothing calls Streamlit, so the evaluation code and the notebooks share exactly the same definitions.
"""
from __future__ import annotations

import numpy as np

# Preactivated outputs p = sigmoid(s * x) live in [0, 1]; these intervals define the two shape metrics.
NEAR_EDGE = 0.05  # "near 0" is p < 0.05, "near 1" is p > 0.95
NOTCH_CENTRE = (0.48, 0.52)  # the two 0.02-wide bins either side of the DBN threshold 0.5
NOTCH_FLANKS = ((0.35, 0.45), (0.55, 0.65))  # the shoulders the centre is compared with


def _finite_flat(pre: np.ndarray) -> np.ndarray:
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
    flat = _finite_flat(pre)
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
    flat = _finite_flat(pre)
    (c_lo, c_hi) = NOTCH_CENTRE
    centre = np.mean((flat >= c_lo) & (flat < c_hi)) / (c_hi - c_lo)
    in_flanks = np.zeros(flat.shape, dtype=bool)
    for lo, hi in NOTCH_FLANKS:
        in_flanks |= (flat >= lo) & (flat < hi)
    flanks = np.mean(in_flanks) / sum(hi - lo for lo, hi in NOTCH_FLANKS)
    if flanks == 0.0:
        return 0.0
    return float(1.0 - centre / flanks)


def histogram(pre: np.ndarray, bins: int = 50, density: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(edges (bins+1,), heights (bins,)) of preactivated outputs on [0, 1].

    Heights are a probability density (they integrate to 1) when `density`, otherwise fractions of all values,
    so variants sampled with different counts stay comparable either way.
    """
    bins = int(bins)
    if not 2 <= bins <= 1000:
        raise ValueError(f"bins must be in [2, 1000], got {bins}")
    flat = _finite_flat(pre)
    counts, edges = np.histogram(flat, bins=bins, range=(0.0, 1.0))
    heights = counts / flat.size
    if density:
        heights = heights / np.diff(edges)
    return edges, heights


def threshold_view(pre: np.ndarray) -> np.ndarray:
    """Hard-threshold preactivated outputs at 0.5: uint8 in {0, 1}, same shape (the paper's Fig. 5 middle)."""
    return (np.asarray(pre) > 0.5).astype(np.uint8)


def bernoulli_view(pre: np.ndarray, seed: int) -> np.ndarray:
    """Bernoulli-sample each pixel with probability p: uint8 in {0, 1}, same shape (the paper's Fig. 5 right).

    The real-valued model's post-processing; the same seed gives the same draw.
    """
    p = np.asarray(pre, dtype=np.float64)
    return (np.random.default_rng(seed).random(p.shape) < p).astype(np.uint8)


INTERPOLATIONS = ("linear", "spherical")
MAX_STEPS = 128


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, kind: str = "linear") -> np.ndarray:
    """(steps, D) float32 latents from z0 to z1, both ends included.

    "linear" walks the straight chord; "spherical" (slerp) walks the great circle, scaling the norm linearly,
    so every frame keeps a norm typical of N(0, I) latents, whereas the chord's midpoint is ~30% too short.
    """
    z0 = np.asarray(z0, dtype=np.float64).ravel()
    z1 = np.asarray(z1, dtype=np.float64).ravel()
    if z0.shape != z1.shape:
        raise ValueError(f"end points differ in shape: {z0.shape} vs {z1.shape}")
    steps = int(steps)
    if not 2 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in [2, {MAX_STEPS}], got {steps}")
    if kind not in INTERPOLATIONS:
        raise ValueError(f"kind must be one of {', '.join(INTERPOLATIONS)}, got {kind!r}")
    t = np.linspace(0.0, 1.0, steps)[:, None]  # (T, 1)
    if kind == "linear":
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0.0 or n1 == 0.0:
        return ((1 - t) * z0 + t * z1).astype(np.float32)  # no direction to rotate from
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(u0 @ u1, -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel within rounding: the great circle is undefined or a point
        direction = (1 - t) * u0 + t * u1
    else:
        direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)  # (T, D), unit norm
    return (direction * ((1 - t) * n0 + t * n1)).astype(np.float32)


def pixel_flips(frames: np.ndarray) -> np.ndarray:
    """(T-1,) int: how many pixels change between consecutive binary frames (T, H, W).

    A smooth latent space flips few pixels per step; a jump shows up as a spike.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3 or len(frames) < 2:
        raise ValueError(f"expected at least two (H, W) frames, got shape {frames.shape}")
    b = frames > 0.5
    return (b[1:] != b[:-1]).reshape(len(frames) - 1, -1).sum(axis=1)


def slope_schedule(initial_slope: float, rate: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """(epochs 1..E, slope used during each): s_e = s_1 * rate**(e-1), the paper's annealing."""
    e = np.arange(1, int(epochs) + 1)
    return e, initial_slope * rate ** (e - 1.0)

