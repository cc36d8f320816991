"""Arrays to pictures for the dashboard: colour-mapped preactivations and side-by-side animation frames."""

from __future__ import annotations

import io

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from PIL import Image

from training.images import tile

# The digits' ink: p = 0 is white paper and p = 1 black ink, as the binary samples are drawn, so a p map reads as
# the soft digit its binary sample is drawn from. One scale for every map of a value in [0, 1].
INK = np.repeat(np.linspace(255, 0, 256).round().astype(np.uint8)[:, None], 3, axis=1)  # (256, 3)
INK_SCALE = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(0,0,0)"]]  # the same for plotly
PAD_RGB = np.array([128, 128, 128], dtype=np.uint8)  # the grid lines, neutral in both themes


def _png(img: Image.Image, scale: int) -> bytes:
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def colormap_png(pre: np.ndarray, ncols: int | None = None, scale: int = 2) -> bytes:
    """PNG of a grid of preactivated outputs (N, H, W) in [0, 1], in the digits' ink (white 0, black 1)."""
    grid = tile(np.clip(pre, 0.0, 1.0), ncols, pad_value=-1.0)  # -1 marks the padding
    rgb = INK[np.clip(np.round(grid * 255), 0, 255).astype(np.uint8)]  # (h, w, 3)
    rgb[grid < 0] = PAD_RGB
    return _png(Image.fromarray(rgb, mode="RGB"), scale)


def colorbar_png(width: int = 256, height: int = 12) -> bytes:
    """A horizontal legend for colormap_png: 0 on the left, 1 on the right."""
    row = INK[np.linspace(0, 255, width).round().astype(np.uint8)]  # (width, 3)
    return _png(Image.fromarray(np.repeat(row[None], height, axis=0), mode="RGB"), 1)


def side_by_side(frames: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Several (T, H, W) frame stacks -> one (T, H + 2*pad, k*(W+pad) + pad) stack, variants left to right,
    on white with grey gutters, digits dark on white like the paper."""
    t, h, w = frames[0].shape
    out = np.full((t, h + 2 * pad, len(frames) * (w + pad) + pad), 0.5, dtype=np.float32)
    for k, f in enumerate(frames):
        out[:, pad : pad + h, pad + k * (w + pad) : pad + k * (w + pad) + w] = 1.0 - f
    return out


def animation(decoded: dict[str, np.ndarray], height: int = 360) -> go.Figure:
    """A playable plotly figure: one frame per step, the variants' (T, H, W) frames side by side, with a slider."""
    movie = side_by_side(list(decoded.values()))  # (T, h, w)
    fig = px.imshow(
        movie,
        animation_frame=0,
        binary_string=True,
        zmin=0,
        zmax=1,
        labels={"animation_frame": "frame"},
        title=" | ".join(decoded),
    )
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    fig.update_layout(height=height, margin=dict(t=40, l=10, r=10, b=10), title_font_size=12)
    return fig
