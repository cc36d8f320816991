"""Slope annealing page: the annealed run beside its fixed-slope twin, over the shipped snapshots."""

from __future__ import annotations

import numpy as np
import pytest


def test_final_epoch_compares_annealed_and_fixed_dbn(app, charts):
    at = app("annealing")
    slopes = {m.label: m.value for m in at.metric}
    assert [m.value for m in at.metric] == ["6.116", "1.000"]  # 1.1**19 vs fixed
    assert len(slopes) == 1
    captions = [c for img in at.image for c in img.captions]
    assert captions.count("binary output") == 2
    hist, schedule, metric = charts(at)
    assert len(hist["data"]) == 2 and len(hist["data"][0]["x"]) == 50
    assert [t["name"] for t in schedule["data"]] == [
        "mlp-dbn-wgan-gp",
        "mlp-dbn-wgan-gp-noanneal",
        "mlp-dbn-wgan-gp-code",
    ]
    assert schedule["data"][0]["y"][-1] == pytest.approx(1.1**19) and np.all(schedule["data"][1]["y"] == 1.0)
    assert np.all(schedule["data"][2]["y"] == 1.0)  # the reference code never annealed
    # the demo folder has no code-recipe twin: its column says so instead of failing
    assert any("mlp-dbn-wgan-gp-code" in i.value and "not trained yet" in i.value for i in at.info)
    assert len(metric["data"]) == 2  # from history.json, at the snapshot epochs
    assert list(metric["data"][0]["x"]) == [1, 2, 5, 10, 15, 20]


def test_epoch_slider_loads_the_snapshot(app):
    at = app("annealing")
    at.radio(key="anneal_epoch").set_value(5).run()
    assert [m.value for m in at.metric] == ["1.464", "1.000"]
    assert "Epoch 5" in [h.value for h in at.subheader]


def test_sbn_pair_without_its_fixed_twin_says_not_trained(app, charts):
    at = app("annealing")
    at.radio(key="anneal_neuron").set_value("sbn").run()
    assert [m.value for m in at.metric] == ["6.116"]
    assert any("mlp-sbn-wgan-gp-noanneal" in i.value and "not trained yet" in i.value for i in at.info)
    hist, schedule, metric = charts(at)
    assert len(hist["data"]) == 1 and len(schedule["data"]) == 3
    assert [t["name"] for t in metric["data"]] == ["mlp-sbn-wgan-gp"]


def test_without_history_files_metric_curves_are_not_evaluated_yet(make_app, checkpoints_root):
    at = make_app(checkpoints_root, "annealing")
    assert any("not evaluated yet" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 2  # the histogram and the schedule still show
