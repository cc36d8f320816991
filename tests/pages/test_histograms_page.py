"""Pre-activation histograms page (paper Fig. 4)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import analysis, load_generator


def test_default_overlays_dbn_sbn_and_real_with_50_density_bins_on_a_log_axis(app, charts, dashboard_root, monkeypatch):
    at = app("histograms")
    (chart,) = charts(at)
    assert [t["name"] for t in chart["data"]] == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]
    # a log axis by default: on a linear one the mass at 0 and 1 flattens the middle, where a notch would show
    assert chart["layout"]["barmode"] == "overlay" and chart["layout"]["yaxis"]["type"] == "log"
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(dashboard_root))
    pre = load_generator("mlp-dbn-wgan-gp").sample(1000, seed=0).preactivation
    _, expected = analysis.histogram(pre, 50, density=True)
    trace = chart["data"][0]
    assert len(trace["x"]) == 50 and np.allclose(trace["y"], expected)
    assert np.sum(trace["y"] * 0.02) == pytest.approx(1.0)
    # the shape figures are the same numbers the evaluation uses
    labels = [m.label for m in at.metric]
    assert labels == ["mass near 0/1", "notch depth"] * 3
    assert at.metric[0].value == f"{analysis.mass_near_01(pre):.1%}"
    assert at.metric[1].value == f"{analysis.notch_depth(pre):+.3f}"  # three decimals tell the variants apart


def test_bins_density_log_and_layout_options(app, charts):
    at = app("histograms")
    at.slider(key="histograms_bins").set_value(20).run()
    at.toggle(key="histograms_density").set_value(False).run()
    at.toggle(key="histograms_log").set_value(False).run()
    (chart,) = charts(at)
    assert chart["layout"]["yaxis"]["type"] == "linear"
    for trace in chart["data"]:
        assert len(trace["x"]) == 20 and trace["y"].sum() == pytest.approx(1.0)  # fractions of all pixels
    at.radio(key="histograms_layout").set_value("side by side").run()
    side = charts(at)
    assert len(side) == 3 and [c["data"][0]["name"] for c in side] == [
        "mlp-dbn-wgan-gp",
        "mlp-sbn-wgan-gp",
        "mlp-real-wgan-gp",
    ]


def test_untrained_and_corrupt_variants_leave_the_others_plotted(app, charts, texts):
    at = app("histograms")
    at.multiselect(key="histograms_variants").set_value(
        ["mlp-sbn-gan-nobnd", "cnn-sbn-wgan-gp", "cnn-dbn-wgan-gp"]
    ).run()
    (chart,) = charts(at)
    assert [t["name"] for t in chart["data"]] == ["cnn-dbn-wgan-gp"]
    assert len(texts(at, "error")) == 1 and any("not trained yet" in i for i in texts(at, "info"))
    assert len(at.metric) == 2


def test_both_recipes_adds_the_code_twins_and_seeds_show_their_spread(make_app, recipes_root, charts, texts):
    at = make_app(recipes_root, "histograms", "variants=mlp-dbn-wgan-gp")
    (chart,) = charts(at)
    assert [t["name"] for t in chart["data"]] == ["mlp-dbn-wgan-gp"]
    # three seeds' evaluation: mass 0.80/0.82/0.84 -> 82.0% ± 2.0%, notch 0.10/0.12/0.14 -> +0.120 ± 0.020
    assert any(
        "Over 3 training seeds" in c and "82.0% ± 2.0%" in c and "+0.120 ± 0.020" in c for c in texts(at, "caption")
    )
    at.toggle(key="histograms_twins").set_value(True).run()
    (chart,) = charts(at)
    assert [t["name"] for t in chart["data"]] == ["mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp-code"]
    assert len(at.metric) == 4
    assert sum("training seeds" in c for c in texts(at, "caption")) == 1  # the twin has one seed: no band
