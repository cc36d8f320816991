"""Numbers and arrays behind the dashboard's views: histograms, notch depth, interpolation, pixel flips.

Everything here takes arrays (and a seed where randomness is involved) and returns arrays or floats; nothing
calls Streamlit, and nothing needs torch. The two shape metrics are the evaluation's own (training.metrics),
so the dashboard and the shipped numbers share exactly the same definitions.
"""

from __future__ import annotations

import numpy as np

from training.metrics import finite_flat, mass_near_01, notch_depth

__all__ = [
    "INTERPOLATIONS",
    "MAX_STEPS",
    "bernoulli_view",
    "histogram",
    "interpolate",
    "mass_near_01",
    "notch_depth",
    "pixel_flips",
    "slope_schedule",
    "threshold_view",
]


def histogram(pre: np.ndarray, bins: int = 50, density: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(edges (bins+1,), heights (bins,)) of preactivated outputs on [0, 1].

    Heights are a probability density (they integrate to 1) when `density`, otherwise fractions of all values,
    so variants sampled with different counts stay comparable either way.
    """
    bins = int(bins)
    if not 2 <= bins <= 1000:
        raise ValueError(f"bins must be in [2, 1000], got {bins}")
    flat = finite_flat(pre)
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
ALIGNED = 1e-6  # angle (radians) within which two end points count as parallel or antiparallel


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
    if omega < ALIGNED:  # parallel within rounding: the great circle shrinks to a point
        direction = (1 - t) * u0 + t * u1
    elif np.pi - omega < ALIGNED:  # antiparallel: every great circle joins the ends; take a fixed one
        direction = np.cos(t * np.pi) * u0 + np.sin(t * np.pi) * _orthogonal(u0)  # (T, D), unit norm
    else:
        direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)  # (T, D), unit norm
    return (direction * ((1 - t) * n0 + t * n1)).astype(np.float32)


def _orthogonal(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to unit `u`: the coordinate axis least aligned with it, minus its part along u."""
    axis = np.zeros_like(u)
    axis[np.argmin(np.abs(u))] = 1.0
    w = axis - (axis @ u) * u
    return w / np.linalg.norm(w)


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
