"""Fixtures for the dashboard tests: checkpoints folders in three states, and an AppTest factory."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import constants as hf_constants
from streamlit.testing.v1 import AppTest

from explorer import demo
from explorer.pages import BY_NAME, DEFAULT
from tests.helpers import REPO

APP = REPO / "streamlit_app.py"


@pytest.fixture(scope="session")
def dashboard_root(checkpoints_root, tmp_path_factory) -> Path:
    """The shared fixture's four variants plus three more (one with snapshots, a GAN, a WGAN), demo
    evaluation files, and a corrupt checkpoint (mlp-sbn-gan-nobnd)."""
    root = tmp_path_factory.mktemp("dashboard") / "checkpoints"
    shutil.copytree(checkpoints_root, root)
    return demo.build(root)


@pytest.fixture(scope="session")
def recipes_root(dashboard_root, tmp_path_factory) -> Path:
    """The dashboard fixture plus the DBN's code-recipe twin, and two extra training seeds' metrics for
    mlp-dbn-wgan-gp (mass near 0/1 of 0.80, 0.82 and 0.84 over seeds 0, 1, 2)."""
    root = tmp_path_factory.mktemp("recipes") / "checkpoints"
    shutil.copytree(dashboard_root, root)
    demo.write_untrained(root / "mlp-dbn-wgan-gp-code", "mlp-dbn-wgan-gp-code", seed=7)
    summary = json.loads((root / "metrics.json").read_text())
    base = summary["variants"]["mlp-dbn-wgan-gp"]
    summary["variants"]["mlp-dbn-wgan-gp"] = base | {"mass_near_01": 0.80, "notch_depth": 0.10}
    (root / "mlp-dbn-wgan-gp" / "metrics.json").write_text(json.dumps(summary["variants"]["mlp-dbn-wgan-gp"]))
    summary["seeds"] = {
        "mlp-dbn-wgan-gp": {
            "1": base | {"mass_near_01": 0.82, "notch_depth": 0.12},
            "2": base | {"mass_near_01": 0.84, "notch_depth": 0.14},
        }
    }
    (root / "metrics.json").write_text(json.dumps(summary))
    return root


@pytest.fixture
def make_app(monkeypatch) -> Callable[..., AppTest]:
    # An empty checkpoints folder defers to the Hugging Face Hub; tests never touch the network.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)

    from dashboard import _data

    _data._hub_answer.clear()  # the Hub's answer is kept per process; each test asks afresh

    def make(root: Path, page: str = DEFAULT.name, query: str = "", deep_link: bool = False) -> AppTest:
        """The app on `page`: opened on the default page and then switched (a visitor who clicks through), or with
        `deep_link`, opened on the page itself (a copied link: the session's first run is the page's)."""
        monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(root))
        at = AppTest.from_file(str(APP), default_timeout=120)
        if query:
            at.query_params.update(dict(p.split("=", 1) for p in query.split("&")))
        if deep_link:
            at.switch_page(BY_NAME[page].file)
        at.run()
        if page != DEFAULT.name and not deep_link:
            at.switch_page(BY_NAME[page].file).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


@pytest.fixture
def app(make_app, dashboard_root) -> Callable[..., AppTest]:
    return lambda page=DEFAULT.name, query="": make_app(dashboard_root, page, query)


def _decode(value):
    """Plotly ships numpy arrays as {"dtype", "bdata"(, "shape")}; turn them back into arrays."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")] if isinstance(shape, str) else shape)
        return arr
    if isinstance(value, list):
        return np.asarray(value)
    return value


def charts_of(at: AppTest) -> list[dict]:
    """Every plotly chart on the page, as {"data": [trace, ...], "layout", "frames"} with arrays decoded."""
    out = []
    for node in at.get("plotly_chart"):
        spec = json.loads(node.proto.spec)
        for trace in spec.get("data", []):
            for k in ("x", "y", "z"):
                if k in trace:
                    trace[k] = _decode(trace[k])
        out.append(spec)
    return out


@pytest.fixture
def charts() -> Callable[[AppTest], list[dict]]:
    return charts_of


def texts_of(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


@pytest.fixture
def texts() -> Callable[[AppTest, str], list[str]]:
    """texts(at, "info" | "error" | "warning" | "caption" | "markdown") -> the strings shown."""
    return texts_of
