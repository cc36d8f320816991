"""Latent interpolation page: one path, decoded by several variants, with pixel flips and an animation."""

from __future__ import annotations

import numpy as np

from explorer import analysis, load_generator, make_latents


def test_default_path_between_two_seeds(app, charts, dashboard_root, monkeypatch):
    at = app("interpolation")
    strips = [c for img in at.image for c in img.captions]
    assert strips == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]
    flips, anim = charts(at)
    assert [t["name"] for t in flips["data"]] == strips
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(dashboard_root))
    path = analysis.interpolate(make_latents(1, 0)[0], make_latents(1, 1)[0], 16, "linear")
    frames = load_generator("mlp-dbn-wgan-gp").decode(path, seed=0).binary
    assert np.array_equal(flips["data"][0]["x"], np.arange(1, 16))
    assert np.array_equal(flips["data"][0]["y"], analysis.pixel_flips(frames))
    assert len(anim["frames"]) == 16  # playable: one animation frame per step
    assert anim["layout"]["updatemenus"]  # the play button


def test_steps_spherical_path_and_end_seeds(app, charts):
    at = app("interpolation")
    at.slider(key="interp_steps").set_value(5).run()
    at.radio(key="interp_kind").set_value("spherical").run()
    at.number_input(key="interp_seed_b").set_value(42).run()
    flips, anim = charts(at)
    assert all(len(t["y"]) == 4 for t in flips["data"])
    assert len(anim["frames"]) == 5
    assert any("5 frames along a spherical path" in c.value for c in at.caption)


def test_end_points_picked_from_a_sample_grid(app, charts):
    at = app("interpolation")
    at.radio(key="interp_source").set_value("two samples from a grid").run()
    captions = [c for img in at.image for c in img.captions]
    assert captions[0].startswith("mlp-dbn-wgan-gp, seed 0: samples 0–15")
    at.number_input(key="interp_i0").set_value(3).run()
    at.number_input(key="interp_i1").set_value(3).run()
    flips, _ = charts(at)
    # DBN and the thresholded real model are deterministic: the same end points give a constant path
    assert flips["data"][0]["y"].sum() == 0 and flips["data"][2]["y"].sum() == 0


def test_untrained_variants_are_skipped_with_a_message(app, charts):
    at = app("interpolation")
    at.multiselect(key="interp_variants").set_value(["mlp-sbn-wgan", "cnn-dbn-wgan-gp"]).run()
    flips, _ = charts(at)
    assert [t["name"] for t in flips["data"]] == ["cnn-dbn-wgan-gp"]
    assert any("not trained yet" in i.value for i in at.info)


def test_each_mode_keeps_its_own_end_points_in_the_address(app):
    """Seeds and grid samples are different things: switching modes must not hand one's numbers to the other."""
    at = app("interpolation", "start=7&end=9")
    at.radio(key="interp_source").set_value("two samples from a grid").run()
    assert (at.number_input(key="interp_i0").value, at.number_input(key="interp_i1").value) == (0, 15)
    at.number_input(key="interp_i0").set_value(4).run()
    params = dict(at.query_params)
    assert params["start_sample"] == "4" and params["end_sample"] == "15"
    at.radio(key="interp_source").set_value("two seeds").run()
    assert (at.number_input(key="interp_seed_a").value, at.number_input(key="interp_seed_b").value) == (7, 9)
    assert not at.warning
