"""Shared fixtures: tiny IDX data sets and tiny checkpoints, built in temporary folders."""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from explorer.demo import write_untrained as make_checkpoint  # noqa: F401  (tests import it from here)
from training.data import FILES, write_idx

REPO = Path(__file__).resolve().parent.parent


def rewrite_safetensors(path: Path, mutate_tensors=None, mutate_meta=None) -> None:
    """Rewrite a safetensors file in place after mutating its tensors and/or its metadata (hostile-file tests)."""
    blob = path.read_bytes()
    tensors = st_load(blob)
    (n,) = struct.unpack("<Q", blob[:8])
    meta = json.loads(blob[8:8 + n])["__metadata__"]
    if mutate_tensors:
        mutate_tensors(tensors)
    if mutate_meta:
        mutate_meta(meta)
    path.write_bytes(st_save(tensors, metadata=meta))


def write_tiny_mnist(folder: Path, n_train: int = 256, n_test: int = 64, seed: int = 0) -> Path:
    """Four valid IDX gzip files with random strokes; their checksums differ from MNIST, so load with verify=False."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        images = (rng.random((n, 28, 28)) < 0.15) * rng.integers(1, 256, (n, 28, 28))
        write_idx(folder / FILES[f"{split}-images"].filename, images.astype(np.uint8))
        write_idx(folder / FILES[f"{split}-labels"].filename, rng.integers(0, 10, n).astype(np.uint8))
    return folder


@pytest.fixture(autouse=True)
def _never_reach_the_real_hub(monkeypatch):
    """No test may reach the real Hub: offline, a missing checkpoint fails at once instead of retrying."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="session")
def full_mnist() -> Path:
    """The real MNIST folder named by $BINARYGAN_DATA (.ci/run sets it where ../shared has one); tests that need
    the full 70,000 digits skip, saying so, everywhere else (a contributor's laptop, a GitHub runner)."""
    data = os.environ.get("BINARYGAN_DATA")
    if not data or not all((Path(data) / spec.filename).is_file() for spec in FILES.values()):
        pytest.skip("needs the full MNIST: set $BINARYGAN_DATA to a folder with its four IDX gzip files "
                    "(.ci/run uses ../shared/datasets/mnist when it exists)")
    return Path(data)


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


TINY_VARIANTS = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp")


@pytest.fixture(scope="session")
def checkpoints_root(tmp_path_factory) -> Path:
    """A checkpoints folder holding a few (untrained) variants, shipped like the real ones: the last epoch
    is the checkpoint itself, not a snapshot. The other variants are "not trained yet"."""
    root = tmp_path_factory.mktemp("checkpoints")
    for i, name in enumerate(TINY_VARIANTS):
        snaps = (1, 2, 5, 10, 15) if name in ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp") else ()
        make_checkpoint(root / name, name, seed=i, snapshots=snaps)
    return root


@pytest.fixture
def use_checkpoints(checkpoints_root, monkeypatch) -> Path:
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(checkpoints_root))
    return checkpoints_root
