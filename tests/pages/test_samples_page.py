"""Samples page (paper Fig. 3 and 5): binary grids beside colour-mapped preactivations, side by side."""

from __future__ import annotations


def images_by_caption(at) -> list[str]:
    return [c for img in at.image for c in img.captions]


def test_default_shows_dbn_sbn_and_the_real_models_three_views(app, texts):
    at = app("samples")
    captions = images_by_caption(at)
    # DBN and SBN: binary + colour map; real: raw, thresholded, Bernoulli; plus the colour bar
    assert captions.count("binary output") == 2
    assert captions.count("preactivated output p") == 2
    assert {"raw p", "thresholded at 0.5", "Bernoulli(p) sample", "p: 0 → 1"} <= set(captions)
    assert len(at.image) == 8
    assert [b.key for b in at.get("download_button")] == [
        "samples_download_mlp-dbn-wgan-gp",
        "samples_download_mlp-sbn-wgan-gp",
        "samples_download_mlp-real-wgan-gp",
    ]
    assert any("64 samples per variant from seed 0" in c for c in texts(at, "caption"))
    assert [m.value for m in at.markdown][:3] == ["**mlp-dbn-wgan-gp**", "**mlp-sbn-wgan-gp**", "**mlp-real-wgan-gp**"]


def test_grid_size_seed_and_resample_change_what_is_drawn(app, texts):
    at = app("samples")
    first = [img.value for img in at.image]
    at.select_slider(key="samples_grid").set_value(4).run()
    assert any("16 samples per variant from seed 0" in c for c in texts(at, "caption"))
    at.number_input(key="samples_seed").set_value(11).run()
    assert any("from seed 11" in c for c in texts(at, "caption"))
    at.button(key="samples_resample").click().run()
    assert at.session_state.seed == 12
    assert any("from seed 12" in c for c in texts(at, "caption"))
    assert [img.value for img in at.image] != first


def test_up_to_four_variants_one_column_each(app):
    at = app("samples")
    four = ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "cnn-dbn-wgan-gp", "mlp-dbn-gan"]
    at.multiselect(key="samples_variants").set_value(four).run()
    assert len(at.get("download_button")) == 4
    assert len(at.image) == 4 * 2 + 1


def test_untrained_and_corrupt_variants_are_contained_to_their_column(app, texts):
    at = app("samples")
    at.multiselect(key="samples_variants").set_value(["mlp-sbn-wgan", "mlp-sbn-gan-nobnd", "mlp-dbn-wgan-gp"]).run()
    assert not at.exception
    assert any("mlp-sbn-wgan" in i and "not trained yet" in i for i in texts(at, "info"))
    errors = texts(at, "error")
    assert len(errors) == 1 and "mlp-sbn-gan-nobnd" in errors[0] and "cannot be loaded" in errors[0]
    assert [b.key for b in at.get("download_button")] == ["samples_download_mlp-dbn-wgan-gp"]
    assert images_by_caption(at).count("binary output") == 1


def test_no_variant_chosen_asks_for_one(app, texts):
    at = app("samples")
    at.multiselect(key="samples_variants").set_value([]).run()
    assert any("at least one variant" in i for i in texts(at, "info"))
    assert len(at.image) == 0


def test_both_recipes_puts_each_variant_beside_its_code_recipe_twin(make_app, recipes_root, texts):
    at = make_app(recipes_root, "samples", "variants=mlp-dbn-wgan-gp,mlp-gumbel-wgan-gp")
    assert [m.value for m in at.markdown] == ["**mlp-dbn-wgan-gp**", "**mlp-gumbel-wgan-gp**"]
    at.toggle(key="samples_twins").set_value(True).run()
    assert not at.exception
    assert at.query_params["twins"] == "1"
    assert [m.value for m in at.markdown] == [
        "**mlp-dbn-wgan-gp**",
        "**mlp-dbn-wgan-gp-code**",
        "**mlp-gumbel-wgan-gp**",
    ]
    assert [b.key for b in at.get("download_button")] == [
        "samples_download_mlp-dbn-wgan-gp",
        "samples_download_mlp-dbn-wgan-gp-code",
    ]
    # the same latents through two different generators
    binary = [img.value for img in at.image if "binary output" in img.captions]
    assert len(binary) == 2 and binary[0] != binary[1]
    assert any("mlp-gumbel-wgan-gp has no code-recipe twin" in i for i in texts(at, "info"))


def test_both_recipes_survives_a_twin_that_is_not_trained(app, texts):
    at = app("samples", "twins=1")
    assert not at.exception
    infos = texts(at, "info")
    for name in ("mlp-dbn-wgan-gp-code", "mlp-sbn-wgan-gp-code", "mlp-real-wgan-gp-code"):
        assert any(name in i and "not trained yet" in i for i in infos)
    assert len(at.get("download_button")) == 3  # the paper trio still draws
