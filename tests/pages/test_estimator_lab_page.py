"""Estimator lab page: the table, the MSE chart and the maps are the shipped study's numbers, or a live study's;
a stale or broken study is a warning, and a checkpoints folder without an SBN critic is a clear empty state."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from explorer.estimator_lab import compute, reports, store
from tests.helpers import heatmaps
from training.checkpoint import ESTIMATOR_LAB_FILE

ESTLAB_SMALL = dict(budgets=(1, 2, 4, 8), repetitions=16, truth_draws=8)


@pytest.fixture(scope="module")
def estlab_root(dashboard_root, tmp_path_factory):
    """The dashboard fixture with a small shipped study of mlp-sbn-wgan-gp (samples 0 and 1 of seed 0)."""
    root = tmp_path_factory.mktemp("estlab") / "checkpoints"
    shutil.copytree(dashboard_root, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BINARYGAN_CHECKPOINTS", os.fspath(root))
        store.write(compute.study("mlp-sbn-wgan-gp", (0, 1), **ESTLAB_SMALL))
    return root


def estlab_table(at):
    return next(d.value for d in at.dataframe if "MSE" in d.value.columns)


def test_renders_the_shipped_study(make_app, estlab_root, charts, texts):
    at = make_app(estlab_root, "estimator_lab", "est_sample=1&est_budget=4&est_map=rloo&est_map_budget=8")
    study = store.read(estlab_root / "mlp-sbn-wgan-gp" / ESTIMATOR_LAB_FILE)
    assert at.selectbox(key="estlab_variant").value == "mlp-sbn-wgan-gp"  # the only SBN variant with a critic
    assert "estlab_live" not in [b.key for b in at.button]  # nothing to compute
    table = estlab_table(at)
    expected = reports.sample_rows(study.sample(1), 4)
    assert list(table["estimator"]) == [r["estimator"] for r in expected]
    np.testing.assert_allclose(table["MSE"], [r["MSE"] for r in expected], rtol=1e-12)
    mse_chart = next(c for c in charts(at) if c["layout"].get("yaxis", {}).get("type") == "log")
    assert mse_chart["layout"]["xaxis"]["type"] == "log" and len(mse_chart["data"]) == len(compute.ESTIMATORS)
    maps = heatmaps(charts(at))
    bias, _ = study.sample(1).maps[("rloo", 8)]
    np.testing.assert_allclose(maps["bias: mean − truth, RLOO, budget 8"].ravel(), bias, rtol=1e-6)
    assert any("Shipped: 16 independent estimates" in c and "its own noise" in c for c in texts(at, "caption"))
    at.select_slider(key="estlab_budget").set_value(8).run()
    assert not at.exception and dict(at.query_params)["est_budget"] == "8"
    np.testing.assert_allclose(estlab_table(at)["MSE"], [r["MSE"] for r in reports.sample_rows(study.sample(1), 8)])


def test_computes_an_unshipped_sample_live(make_app, estlab_root, charts, texts):
    at = make_app(estlab_root, "estimator_lab", "est_sample=5")
    assert any("Sample 5 of seed 0 was not precomputed" in i for i in texts(at, "info"))
    assert not any("MSE" in d.value.columns for d in at.dataframe)
    at.button(key="estlab_live").click().run()
    assert not at.exception
    table = estlab_table(at)
    # budget 8: ST, ReinMax and RLOO one evaluation a draw, DisARM two, REBAR three, the four at ST's cost one
    assert list(table["draws"]) == [8, 8, 8, 4, 2, 8, 8, 8, 8]
    assert any("Computed live: 256 independent estimates" in c for c in texts(at, "caption"))
    at.run()  # kept for every session: no second press
    assert estlab_table(at).equals(table)


def test_a_stale_or_broken_study_is_a_warning_not_a_traceback(make_app, estlab_root, tmp_path, texts):
    root = tmp_path / "checkpoints"
    shutil.copytree(estlab_root, root)
    path = root / "mlp-sbn-wgan-gp" / ESTIMATOR_LAB_FILE
    obj = json.loads(path.read_text())
    obj["sources"]["critic.safetensors"] = "0" * 64
    path.write_text(json.dumps(obj))
    at = make_app(root, "estimator_lab")
    assert any("computed from another generator or critic" in w for w in texts(at, "warning"))
    path.write_text(path.read_text()[:100])
    at = make_app(root, "estimator_lab", "est_sample=1")
    warnings = " ".join(texts(at, "warning"))
    assert "cannot be read" in warnings and str(path) in warnings
    assert at.button(key="estlab_live")


def test_without_an_sbn_critic_the_page_says_so(make_app, checkpoints_root, texts):
    at = make_app(checkpoints_root, "estimator_lab")
    assert any("No SBN variant has a critic here" in i for i in texts(at, "info"))
    assert not at.get("plotly_chart")
