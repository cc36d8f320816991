"""Shared fixtures: tiny IDX data sets and tiny checkpoints, built in temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import TINY_VARIANTS, make_checkpoint, write_tiny_mnist
from training.data import FILES


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
        pytest.skip(
            "needs the full MNIST: set $BINARYGAN_DATA to a folder with its four IDX gzip files "
            "(.ci/run uses ../shared/datasets/mnist when it exists)"
        )
    return Path(data)


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


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
