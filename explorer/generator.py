"""Where a generator comes from: a variant name resolves in the local checkpoints folder or, when that holds
none, on the Hugging Face Hub (explorer.hub); a path is a checkpoint folder. Sampling is training.sampling's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer import hub
from training.checkpoint import checkpoints_root, generator_folder, local_run
from training.config import REGISTRY

if TYPE_CHECKING:  # training.sampling imports torch; resolving a name does not need it
    from training.sampling import LoadedGenerator


def resolve_checkpoint(name_or_path: str | os.PathLike, epoch: int | None = None) -> tuple[Path, Path]:
    """(checkpoint folder, root it must stay inside) for a variant name or a folder path.

    A variant name is looked up in the local checkpoints folder; when that holds no checkpoint at all
    (a pip install, the hosted Space), the variant comes from the Hugging Face Hub (explorer.hub)."""
    text = os.fspath(name_or_path)
    if text in REGISTRY and not hub.has_local_checkpoints(checkpoints_root()):
        run, root = hub.fetch_variant(text)
    else:
        run = local_run(text)
        root = checkpoints_root() if text in REGISTRY else run
    return generator_folder(run, epoch, text), root


def load_generator(name_or_path: str | os.PathLike, epoch: int | None = None) -> LoadedGenerator:
    """A variant name (looked up in the checkpoints folder) or a checkpoint folder; `epoch` picks a snapshot."""
    from training.sampling import load_folder

    folder, root = resolve_checkpoint(name_or_path, epoch)
    return load_folder(folder, root)


def latents(n: int, seed: int) -> np.ndarray:
    """(n, 128) latents for `seed`: the ones the pages, the gradient lab and the Hub's loader all draw."""
    from training.sampling import make_latents

    return make_latents(n, seed)
