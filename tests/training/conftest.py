"""Fixtures shared by the evaluation, sweep and classifier tests."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training.classifier import EvalClassifier, save_classifier
from training.evaluate import Reference


def make_classifier(folder: Path, seed: int = 0) -> Path:
    """An untrained but well-formed classifier folder: its features are still a fixed function of the image."""
    torch.manual_seed(seed)
    save_classifier(folder, EvalClassifier(), {"test_accuracy": 0.1, "seed": seed, "epochs": 0})
    return folder


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory) -> Path:
    return make_classifier(tmp_path_factory.mktemp("classifier"))


@pytest.fixture(scope="session")
def tiny_reference(tiny_mnist, tiny_classifier) -> Reference:
    return Reference(tiny_mnist, tiny_classifier, verify=False)
