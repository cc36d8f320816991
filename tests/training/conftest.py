"""Fixtures shared by the evaluation, sweep and classifier tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_classifier
from training.evaluate import Reference


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory) -> Path:
    return make_classifier(tmp_path_factory.mktemp("classifier"))


@pytest.fixture(scope="session")
def tiny_reference(tiny_mnist, tiny_classifier) -> Reference:
    return Reference(tiny_mnist, tiny_classifier, verify=False)
