"""Image grids: arrays of digits to one picture (array or PNG bytes)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def tile(images: np.ndarray, ncols: int | None = None, pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """(N, H, W) -> one (rows*(H+pad)+pad, cols*(W+pad)+pad) grid, row-major, padded with `pad_value`."""
    images = np.asarray(images)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"expected a non-empty (N, H, W) array, got shape {images.shape}")
    n, h, w = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = img
    return grid


def grid_png(images: np.ndarray, ncols: int | None = None, scale: int = 2) -> bytes:
    """PNG bytes of a grid of images in [0, 1] (binary digits print as black on white, like the paper)."""
    grid = 1.0 - np.clip(tile(images, ncols), 0.0, 1.0)
    img = Image.fromarray((grid * 255).round().astype(np.uint8), mode="L")
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
