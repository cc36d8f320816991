"""Logic behind the dashboard and notebooks: load checkpoints, sample, analyse. No Streamlit here.

The names below load on first use, so the numpy-only modules (explorer.analysis, explorer.claims) import
without torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CheckpointError": "training.checkpoint", "CheckpointNotFound": "training.checkpoint",
    "checkpoints_root": "training.checkpoint", "LoadedGenerator": "training.sampling", "Samples": "training.sampling",
    "make_latents": "training.sampling", "load_generator": "explorer.generator",
    "BinaryGAN": "explorer.pretrained", "grid_png": "training.images",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
