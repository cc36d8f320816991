"""Logic behind the dashboard and notebooks: load checkpoints, sample, analyse. No Streamlit here.

The names below load on first use, so the numpy-only modules (explorer.analysis, explorer.claims) import
without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the public names' real types, for mypy and editors; at run time __getattr__ imports them
    from training.checkpoint import CheckpointError, CheckpointNotFound, checkpoints_root
    from training.images import grid_png
    from training.pretrained import BinaryGAN, Critic, load_generator
    from training.sampling import Samples, make_latents

_EXPORTS = {
    "CheckpointError": "training.checkpoint",
    "CheckpointNotFound": "training.checkpoint",
    "checkpoints_root": "training.checkpoint",
    "Samples": "training.sampling",
    "make_latents": "training.sampling",
    "load_generator": "training.pretrained",
    "BinaryGAN": "training.pretrained",
    "Critic": "training.pretrained",
    "grid_png": "training.images",
}
__all__ = [
    "BinaryGAN",
    "CheckpointError",
    "CheckpointNotFound",
    "Critic",
    "Samples",
    "checkpoints_root",
    "grid_png",
    "load_generator",
    "make_latents",
]

if not TYPE_CHECKING:  # out of mypy's sight, so a name outside __all__ is an error there rather than Any

    def __getattr__(name: str) -> object:
        if name not in _EXPORTS:
            raise AttributeError(f"module 'explorer' has no attribute {name!r}")
        return getattr(importlib.import_module(_EXPORTS[name]), name)
