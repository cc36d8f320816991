"""A real `streamlit run` of the dashboard on a free local port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer import demo
from tests.helpers import REPO, serve

ARTIFACTS = REPO / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What Debian's Chromium needs to start headless in a container with no network (Playwright's own download
# does not work here, so the system browser is used).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def dashboard_url(checkpoints_root, tmp_path_factory) -> Iterator[str]:
    """The app served from the shared fixture's checkpoints plus demo evaluation files and a corrupt variant."""
    root = tmp_path_factory.mktemp("browser") / "checkpoints"
    shutil.copytree(checkpoints_root, root)
    demo.build(root)
    with serve(root, tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="session")
def shipped_url(tmp_path_factory) -> Iterator[str]:
    """The app served from the repository's own checkpoints folder, as a user runs it."""
    with serve(REPO / "checkpoints", tmp_path_factory.mktemp("streamlit-shipped")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # a fresh profile per launch
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
