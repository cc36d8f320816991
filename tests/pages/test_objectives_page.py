"""Objectives and mode collapse page (paper Fig. 8)."""

from __future__ import annotations

import numpy as np


def test_dbn_grid_shows_trained_cells_and_class_histograms(app, charts):
    at = app("objectives")
    cells = [c.value.split(": ")[-1] for c in at.caption if " in D: " in c.value]
    assert sorted(cells) == sorted(
        [
            "mlp-dbn-gan",
            "mlp-dbn-gan-nobnd",
            "mlp-dbn-wgan-bnd",
            "mlp-dbn-wgan",
            "mlp-dbn-wgan-gp-bnd",
            "mlp-dbn-wgan-gp",
        ]
    )
    assert len(at.image) == 3  # gan, wgan and wgan-gp without BN in D are trained
    assert sum("not trained yet" in i.value for i in at.info) == 3
    (heat,) = charts(at)
    trace = heat["data"][0]
    assert list(trace["y"]) == ["real data", "mlp-dbn-gan", "mlp-dbn-wgan", "mlp-dbn-wgan-gp"]
    z = np.asarray(trace["z"], dtype=float)
    assert z.shape == (4, 10) and np.allclose(z.sum(axis=1), 1.0)
    assert any(c.value.startswith("class KL") for c in at.caption)


def test_sbn_grid_contains_the_corrupt_checkpoint(app, charts):
    at = app("objectives")
    at.radio(key="objectives_neuron").set_value("sbn").run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "mlp-sbn-gan-nobnd" in errors[0]
    assert len(at.image) == 1  # mlp-sbn-wgan-gp
    (heat,) = charts(at)
    assert list(heat["data"][0]["y"]) == ["real data", "mlp-sbn-wgan-gp"]


def test_without_metrics_the_histograms_are_not_evaluated_yet(make_app, checkpoints_root):
    at = make_app(checkpoints_root, "objectives")
    assert not at.get("plotly_chart")
    assert any("not evaluated yet" in i.value for i in at.info)
    assert len(at.image) == 1


def test_the_code_recipe_shows_the_reference_codes_grid(app):
    at = app("objectives")
    at.radio(key="objectives_recipe").set_value("code").run()
    cells = [c.value.split(": ")[-1] for c in at.caption if " in D: " in c.value]
    assert sorted(cells) == sorted(
        f"{n}-code"
        for n in [
            "mlp-dbn-gan",
            "mlp-dbn-gan-nobnd",
            "mlp-dbn-wgan-bnd",
            "mlp-dbn-wgan",
            "mlp-dbn-wgan-gp-bnd",
            "mlp-dbn-wgan-gp",
        ]
    )
    assert len(at.image) == 0 and sum("not trained yet" in i.value for i in at.info) == 6  # none in the demo folder
    assert not at.exception
