"""Gradient lab page: the maps it draws are the API's arrays; slope, draws and address change them; variants without
a critic are not offered, and a missing or broken critic is a message, not a traceback."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from explorer import Critic, load_generator
from explorer.demo import DEMO_CRITICS, write_critic
from explorer.gradient_lab import compute, store
from tests.helpers import REPO, heatmaps
from training.checkpoint import CRITIC_FILE
from training.variants import REGISTRY


@pytest.fixture
def api(dashboard_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(dashboard_root))
    return lambda name: (load_generator(name), Critic.from_pretrained(name))


def test_offers_only_variants_with_a_critic_and_draws_the_apis_maps(app, api, charts, texts):
    at = app("gradient_lab")
    assert list(at.selectbox(key="gradlab_variant").options) == list(DEMO_CRITICS)
    name = at.selectbox(key="gradlab_variant").value
    assert name == "mlp-dbn-wgan-gp"
    g, critic = api(name)
    report = compute.sample_report(g, critic, seed=0, index=0, n=16)
    maps = heatmaps(charts(at))
    np.testing.assert_allclose(maps["g = ∂D/∂y: red asks for on"].ravel(), report.fwd.grad[0], rtol=1e-5)
    np.testing.assert_allclose(maps["Δ = D(y, pixel flipped) − D(y)"].ravel(), report.flips, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(maps["binary output y"].ravel(), report.fwd.y[0])
    assert len(maps) == 4 + 3 + 3  # forward, estimates (no binary-Concrete for DBN), truth
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["cosine similarity"] == f"{report.agreement.cosine[0]:.3f}"
    assert metrics["pixels whose signs agree"] == f"{report.agreement.sign[0]:.1%}"
    assert metrics["critic score D(y)"] == f"{report.fwd.score[0]:.3f}"
    assert any("Compare the variants" in i for i in texts(at, "info"))
    at.number_input(key="gradlab_sample").set_value(5).run()
    assert {"critic": name, "sample": "5", "slope": "1", "draws": "32", "seed": "0"}.items() <= dict(
        at.query_params
    ).items()


def test_slope_slider_recomputes_the_sigmoid_adjusted_map(app, api, charts):
    at = app("gradient_lab")
    at.select_slider(key="gradlab_slope").set_value(8.0).run()
    assert not at.exception
    g, critic = api("mlp-dbn-wgan-gp")
    fwd = compute.sample_report(g, critic, 0, 0, 16).fwd
    maps = heatmaps(charts(at))
    np.testing.assert_allclose(
        maps["sigmoid-adjusted at slider s = 8"].ravel(),
        compute.estimator_maps(fwd, 8.0)["sigmoid-st"][0],
        rtol=1e-5,
        atol=1e-9,
    )


def test_sbn_shows_its_expectation_with_k_and_standard_error(app, api, charts, texts):
    at = app("gradient_lab", "critic=mlp-sbn-wgan-gp&sample=3&draws=8")
    assert at.selectbox(key="gradlab_variant").value == "mlp-sbn-wgan-gp"
    assert at.number_input(key="gradlab_sample").value == 3
    g, critic = api("mlp-sbn-wgan-gp")
    report = compute.sample_report(g, critic, 0, 3, 16, draws=8)
    maps = heatmaps(charts(at))
    np.testing.assert_allclose(
        maps["∂E[D]/∂p = E[D(y|yᵢ=1) − D(y|yᵢ=0)], K = 8"].ravel(), report.truth, rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(maps["its standard error"].ravel(), report.truth_se, rtol=1e-5, atol=1e-7)
    assert "binary-Concrete, τ = 0.5" in maps
    assert any("K = 8 fresh Bernoulli draws" in c for c in texts(at, "caption"))
    x_cos = at.dataframe[0].value
    assert list(x_cos["estimator"]) == ["sigmoid-adjusted ST", "plain ST", "binary-Concrete ST"]
    np.testing.assert_allclose(
        x_cos["cosine"], [report.x_agreement[e].cosine[0] for e in compute.ESTIMATORS], rtol=1e-6
    )
    at.select_slider(key="gradlab_draws").set_value(16).run()
    assert "∂E[D]/∂p = E[D(y|yᵢ=1) − D(y|yᵢ=0)], K = 16" in heatmaps(charts(at))


def test_a_variant_without_critic_in_the_address_is_explained(app, texts):
    at = app("gradient_lab", "critic=mlp-dbn-wgan&sample=99&slope=abc")
    info = " ".join(texts(at, "info"))
    assert "mlp-dbn-wgan" in info and "no trained critic" in info
    assert at.selectbox(key="gradlab_variant").value == "mlp-dbn-wgan-gp"
    assert at.number_input(key="gradlab_sample").value == 0 and at.select_slider(key="gradlab_slope").value == 1.0


def test_comparison_over_many_samples_for_every_offered_variant(app, api, charts):
    at = app("gradient_lab")
    at.select_slider(key="gradlab_compare_n").set_value(32)
    at.select_slider(key="gradlab_compare_draws").set_value(8)
    at.button(key="gradlab_compare").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["variant"]) == list(DEMO_CRITICS) and list(table["samples"]) == [32, 32]
    assert list(table["draws"]) == [0, 8]
    g, critic = api("mlp-dbn-wgan-gp")
    expected = compute.compare(g, critic, n=32, seed=0).summary()
    assert table["cosine"][0] == pytest.approx(expected["cosine"]) and np.isnan(table["x-cosine plain"][0])
    assert table["sign_agreement"][0] == pytest.approx(expected["sign_agreement"])
    bars = next(c for c in charts(at) if c["data"][0].get("orientation") == "h")  # names along their own rows
    assert list(bars["data"][0]["y"]) == list(DEMO_CRITICS)
    at.run()  # the choice stays, and the cached table comes back
    assert at.dataframe[-1].value.equals(table)
    params = dict(at.query_params)
    assert (params["compare_n"], params["compare_draws"], params["compare"]) == ("32", "8", "1")


def test_a_comparison_link_reopens_the_comparison_at_its_settings(make_app, dashboard_root):
    at = make_app(dashboard_root, "gradient_lab", "compare_n=32&compare_draws=8&compare=1", deep_link=True)
    assert (at.select_slider(key="gradlab_compare_n").value, at.select_slider(key="gradlab_compare_draws").value) == (
        32,
        8,
    )
    table = at.dataframe[-1].value
    assert list(table["samples"]) == [32, 32] and list(table["draws"]) == [0, 8]


def test_no_critic_anywhere_is_a_clear_empty_state(make_app, checkpoints_root, texts):
    at = make_app(checkpoints_root, "gradient_lab")
    assert any("No variant has a trained critic" in i and "python -m training critic" in i for i in texts(at, "info"))
    assert not at.get("plotly_chart")


def test_a_broken_critic_is_an_error_message(make_app, dashboard_root, tmp_path, texts):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    (root / "mlp-sbn-wgan-gp" / CRITIC_FILE).write_bytes(b"\x10\0\0\0\0\0\0\0{not json at all}")
    at = make_app(root, "gradient_lab", "critic=mlp-sbn-wgan-gp")
    errors = texts(at, "error")
    assert len(errors) == 1 and "mlp-sbn-wgan-gp" in errors[0] and "critic.safetensors" in errors[0]


def test_a_cnn_critic_is_offered_and_drawn(make_app, dashboard_root, tmp_path, charts):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    write_critic(root / "cnn-dbn-wgan-gp", seed=5)
    at = make_app(root, "gradient_lab", "critic=cnn-dbn-wgan-gp")
    assert "cnn-dbn-wgan-gp" in at.selectbox(key="gradlab_variant").options
    assert at.selectbox(key="gradlab_variant").value == "cnn-dbn-wgan-gp"
    assert "Δ = D(y, pixel flipped) − D(y)" in heatmaps(charts(at))


def test_runs_on_the_shipped_checkpoints(make_app, texts):
    """Every shipped critic renders, and the comparison (small, to keep the test quick) runs on them."""
    root = REPO / "checkpoints"
    offered = compute.offered_variants(root)
    assert len(offered) >= 20  # the shipped binary variants with a critic
    at = make_app(root, "gradient_lab")
    for name in offered:
        at.selectbox(key="gradlab_variant").set_value(name).run()
        assert not at.exception and not texts(at, "error"), name
        assert len(at.get("plotly_chart")) >= 10
    at.select_slider(key="gradlab_compare_n").set_value(32)
    at.select_slider(key="gradlab_compare_draws").set_value(8)
    # one click computes a row for every offered variant, CNN critics included: a hang guard, not a page render's
    at.button(key="gradlab_compare").click().run(timeout=600)
    tables = [d.value for d in at.dataframe if "variant" in d.value.columns]
    assert not at.exception and tables and list(tables[-1]["variant"]) == offered


def test_shipped_comparison_rows_are_shown_without_computing(make_app, dashboard_root, tmp_path):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    rows = [
        {
            "variant": v,
            "neuron": REGISTRY[v].neuron,
            "estimator": "sigmoid-st",
            "samples": 32,
            "draws": 8 if REGISTRY[v].neuron == "sbn" else 0,
            "cosine": 0.123,
            "cosine_se": 0.01,
            "sign_agreement": 0.5,
            "sign_agreement_top": 0.5,
            "seconds": 1.0,
            **{f"x_cosine_{e}": float("nan") for e in compute.ESTIMATORS},
        }
        for v in DEMO_CRITICS
    ]
    store.write_comparison(rows, root)
    at = make_app(root, "gradient_lab")
    at.select_slider(key="gradlab_compare_n").set_value(32)
    at.select_slider(key="gradlab_compare_draws").set_value(8)
    at.button(key="gradlab_compare").click().run()
    table = next(d.value for d in at.dataframe if "variant" in d.value.columns)
    assert list(table["cosine"]) == [0.123, 0.123]  # the shipped rows, not a computation
    at.select_slider(key="gradlab_compare_draws").set_value(16).run()
    table = next(d.value for d in at.dataframe if "variant" in d.value.columns)
    assert table["cosine"][0] == 0.123 and table["cosine"][1] != 0.123  # the DBN row does not depend on K
