"""The address is the state: every page writes its seed, variants and main settings back into the address, and a
fresh session opened on that address shows the same settings."""

from __future__ import annotations

import pytest

from training.variants import REGISTRY

# page -> (query that changes its main settings from their defaults, widget keys those settings drive)
CHANGED = {
    "samples": ("seed=7&grid=5&twins=1", {"samples_seed": 7, "samples_grid": 5, "samples_twins": True}),
    "histograms": (
        "bins=75&layout=side by side&density=0&log=1&n=500&twins=1",
        {
            "histograms_bins": 75,
            "histograms_layout": "side by side",
            "histograms_density": False,
            "histograms_log": True,
            "histograms_n": 500,
            "histograms_twins": True,
        },
    ),
    "interpolation": (
        "steps=9&path=spherical&start=3&end=11",
        {"interp_steps": 9, "interp_kind": "spherical", "interp_seed_a": 3, "interp_seed_b": 11},
    ),
    "annealing": (
        "neuron=sbn&epoch=5&metric=class_kl",
        {"anneal_neuron": "sbn", "anneal_epoch": 5, "anneal_metric": "class_kl"},
    ),
    "objectives": ("neuron=sbn&seed=4", {"objectives_neuron": "sbn", "objectives_seed": 4}),
    "training_metrics": ("smooth=7&metric=class_kl", {"training_smooth": 7, "training_metric": "class_kl"}),
    "gradient_lab": (
        "critic=mlp-sbn-wgan-gp&sample=3&slope=4&draws=16&seed=2",
        {
            "gradlab_variant": "mlp-sbn-wgan-gp",
            "gradlab_sample": 3,
            "gradlab_slope": 4.0,
            "gradlab_draws": 16,
            "gradlab_seed": 2,
        },
    ),
    "estimator_lab": (
        "est_critic=mlp-sbn-wgan-gp&est_sample=1&seed=2",
        {"estlab_variant": "mlp-sbn-wgan-gp", "estlab_sample": 1, "estlab_seed": 2},
    ),
}


def values(at, keys):
    return {k: at.session_state[k] for k in keys}


@pytest.mark.parametrize("page", CHANGED)
def test_a_copied_address_reproduces_the_pages_settings(make_app, dashboard_root, page):
    query, expected = CHANGED[page]
    at = make_app(dashboard_root, page, query + "&variants=mlp-sbn-wgan-gp,mlp-dbn-wgan-gp")
    assert values(at, expected) == expected
    address = dict(at.query_params)  # what the browser's address bar now holds
    assert address["variants"] == "mlp-sbn-wgan-gp,mlp-dbn-wgan-gp"
    # a fresh session on the copied address: same settings, same address
    again = make_app(dashboard_root, page, "&".join(f"{k}={v}" for k, v in address.items()))
    assert values(again, expected) == expected and dict(again.query_params) == address


def test_settings_changed_in_the_page_are_written_back(app):
    at = app("histograms")
    assert at.query_params["bins"] == "50" and at.query_params["density"] == "1"  # defaults are written too
    at.slider(key="histograms_bins").set_value(120).run()
    at.toggle(key="histograms_density").set_value(False).run()
    at.number_input(key="histograms_seed").set_value(12).run()
    assert (at.query_params["bins"], at.query_params["density"], at.query_params["seed"]) == ("120", "0", "12")


def test_junk_in_the_address_falls_back_with_a_message(app, texts):
    at = app("histograms", "bins=7&layout=<script>&density=maybe")
    assert values(at, ["histograms_bins", "histograms_layout", "histograms_density"]) == {
        "histograms_bins": 50,
        "histograms_layout": "overlaid",
        "histograms_density": True,
    }
    warnings = " ".join(w.value for w in at.warning)
    assert "bins='7'" in warnings and "layout='<script>'" in warnings and "density='maybe'" in warnings


@pytest.mark.parametrize("page", ["overview", "samples", "histograms"])
def test_each_warning_shows_once_and_says_what_is_used_instead(make_app, dashboard_root, texts, page):
    at = make_app(dashboard_root, page, "variants=bogus,mlp-sbn-wgan-gp&seed=abc&bins=7", deep_link=True)
    warnings = texts(at, "warning")
    about_variant = [w for w in warnings if "bogus" in w]
    about_seed = [w for w in warnings if "'abc'" in w]
    assert len(about_variant) == 1 and "mlp-sbn-wgan-gp" in about_variant[0]
    assert len(about_seed) == 1 and "seed 0" in about_seed[0]
    if page == "histograms":
        about_bins = [w for w in warnings if "bins=" in w]
        assert len(about_bins) == 1 and "50" in about_bins[0]


def test_the_gradient_lab_names_junk_and_explains_a_variant_without_critic(app, texts):
    at = app("gradient_lab", "critic=mlp-dbn-wgan&sample=99&slope=abc&draws=7")
    assert any("**mlp-dbn-wgan** has no trained critic" in i for i in texts(at, "info"))
    warnings = " ".join(texts(at, "warning"))
    assert "sample='99'" in warnings and "slope='abc'" in warnings and "draws='7'" in warnings
    assert "critic=" not in warnings  # said once, in the page's own words
    assert (
        at.query_params["critic"],
        at.query_params["sample"],
        at.query_params["slope"],
        at.query_params["draws"],
    ) == ("mlp-dbn-wgan-gp", "0", "1", "32")


WIDGETS = ("slider", "select_slider", "radio", "selectbox", "number_input", "toggle", "multiselect", "checkbox")


@pytest.mark.parametrize(
    "page",
    [
        "samples",
        "histograms",
        "interpolation",
        "annealing",
        "objectives",
        "training_metrics",
        "gradient_lab",
        "estimator_lab",
        "overview",
    ],
)
def test_every_control_says_what_it_does(app, page):
    """One sentence of help on every control: bins, layout, grid size, path, steps, smoothing, metric, ..."""
    at = app(page)
    controls = [w for kind in WIDGETS for w in getattr(at, kind)]
    assert controls
    assert [w.label for w in controls if not (w.help or "").strip()] == []


def test_a_bad_variant_in_the_address_is_mended_once_even_on_a_page_without_a_picker(make_app, dashboard_root):
    at = make_app(dashboard_root, "gradient_lab", "variants=nope,mlp-dbn-wgan-gp&seed=abc", deep_link=True)
    warnings = [w.value for w in at.warning]
    assert any("Ignored in the address: nope" in w and "showing mlp-dbn-wgan-gp" in w for w in warnings)
    assert any("Ignored seed 'abc'" in w and "using seed 0" in w for w in warnings)
    params = dict(at.query_params)
    assert params["variants"] == "mlp-dbn-wgan-gp" and params["seed"] == "0"
    at.run()  # the next interaction: nothing left to warn about
    assert not at.warning


def test_the_sidebar_offers_a_link_to_the_view_as_the_run_left_it(app):
    at = app("histograms")
    at.slider(key="histograms_bins").set_value(20).run()
    (link,) = [c.value for c in at.sidebar.code]
    path, query = link.split("?", 1)
    assert path.endswith("/histograms")
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert params["bins"] == "20" and params["variants"] == "mlp-dbn-wgan-gp%2Cmlp-sbn-wgan-gp%2Cmlp-real-wgan-gp"


def test_the_picker_filters_its_list_by_facet_and_keeps_what_is_chosen(app):
    at = app("samples")
    picker = at.multiselect(key="samples_variants")
    assert len(picker.options) == len(REGISTRY)
    pills = {p.label: p for p in at.get("button_group")}
    pills["neuron"].set_value(["sbn"]).run()
    pills = {p.label: p for p in at.get("button_group")}
    pills["architecture"].set_value(["cnn"]).run()
    options = at.multiselect(key="samples_variants").options
    kept = ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]  # the default choice stays listed
    expected = [n for n, c in REGISTRY.items() if (c.neuron == "sbn" and c.arch == "cnn") or n in kept]
    assert options == expected and at.multiselect(key="samples_variants").value == kept
