"""Overview page: the catalogue, the shared variant selection, the query string, session independence."""

from __future__ import annotations

from huggingface_hub import constants as hf_constants

from explorer import demo, files, findings
from explorer.pages import BY_NAME
from tests.helpers import TINY_VARIANTS
from training.variants import ESTIMATOR_BASELINE, ESTIMATOR_EXPERIMENT, REGISTRY


def test_catalogue_lists_every_variant_with_status_and_metrics(app, texts):
    at = app()
    assert at.title[0].value == "BinaryGAN Explorer"
    assert len(at.get("graphviz_chart")) == 1
    table = at.dataframe[0].value
    assert table["variant"].tolist() == list(REGISTRY)
    assert {
        "architecture",
        "neuron",
        "estimator",
        "objective",
        "BN in D",
        "annealing",
        "G params",
        "D params",
        "epochs trained",
        "Fréchet distance",
        "class KL to test labels",
    } <= set(table.columns)
    trained = table.loc[table["status"] == files.TRAINED, "variant"]
    shipped = set(TINY_VARIANTS) | set(demo.DEMO_VARIANTS) | {demo.CORRUPT_VARIANT}  # the corrupt one's config is fine
    assert set(trained) == shipped
    assert table["Fréchet distance"].notna().sum() == len(demo.DEMO_VARIANTS)  # the evaluated ones
    assert any(f"{len(shipped)} of {len(REGISTRY)} variants trained" in t for t in texts(at, "caption"))
    assert at.multiselect[0].value == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]


def test_selection_carries_over_to_the_other_pages(app):
    at = app()
    at.multiselect[0].set_value(["cnn-dbn-wgan-gp", "mlp-dbn-wgan-gp"]).run()
    assert at.session_state.selection == ["cnn-dbn-wgan-gp", "mlp-dbn-wgan-gp"]
    assert at.query_params["variants"] == "cnn-dbn-wgan-gp,mlp-dbn-wgan-gp"  # a shareable link
    for page in ("samples", "histograms", "interpolation", "training_metrics"):
        at.switch_page(BY_NAME[page].file).run()
        assert not at.exception
        assert at.multiselect[0].value == ["cnn-dbn-wgan-gp", "mlp-dbn-wgan-gp"], page


def test_query_string_picks_variants_and_refuses_unknown_ones(app, texts):
    at = app(query="variants=bogus,mlp-sbn-wgan-gp&seed=-7")
    assert at.session_state.selection == ["mlp-sbn-wgan-gp"]
    assert at.session_state.seed == 0
    warnings = " ".join(texts(at, "warning"))
    assert "bogus" in warnings and "outside" in warnings
    assert len(at.dataframe[0].value) == len(REGISTRY)  # the page still renders


def test_query_string_with_only_junk_falls_back_to_the_paper_trio(app, texts):
    at = app(query="variants=../../etc,<script>&seed=abc")
    assert at.session_state.selection == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]
    assert any("not an integer" in w for w in texts(at, "warning"))


def test_sessions_are_independent(app):
    first, second = app(), app()
    first.multiselect[0].set_value(["cnn-dbn-wgan-gp"]).run()
    second.run()
    assert first.session_state.selection == ["cnn-dbn-wgan-gp"]
    assert second.session_state.selection == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]


def test_an_empty_checkpoints_folder_shows_every_variant_as_not_trained(make_app, tmp_path, texts):
    at = make_app(tmp_path)  # offline, so the Hub fallback fails and says why
    table = at.dataframe[0].value
    assert len(table) == len(REGISTRY) and (table["status"] == files.NOT_TRAINED).all()
    assert any("Hub could not provide them" in w for w in texts(at.sidebar, "warning"))
    for page in ("samples", "histograms", "interpolation", "annealing", "objectives", "training_metrics"):
        at.switch_page(BY_NAME[page].file).run()
        assert not at.exception and not at.error, page
        assert any("not trained yet" in i.value or "not evaluated yet" in i.value for i in at.info), page


def test_a_malformed_metrics_summary_is_reported_and_the_catalogue_still_shows(
    make_app, checkpoints_root, tmp_path, texts
):
    import shutil

    root = tmp_path / "checkpoints"
    shutil.copytree(checkpoints_root, root)
    (root / "metrics.json").write_text("{not json")
    at = make_app(root)
    errors = texts(at, "error")
    assert len(errors) == 1 and "evaluation summary cannot be read" in errors[0]
    assert len(at.dataframe[0].value) == len(REGISTRY)
    from explorer import claims

    # no claim judged, in either recipe
    assert " ".join(texts(at, "markdown")).count(claims.PENDING) == len(claims.judge({})) * len(claims.RECIPES)


def test_the_papers_claims_show_each_verdict_with_its_numbers(app, dashboard_root, texts):
    from explorer import claims

    at = app()
    expected = claims.judge(files.seed_metrics(dashboard_root))
    shown = " ".join(texts(at, "markdown"))
    for judgement in expected:
        assert judgement.paper in shown
        for verdict in judgement.recipes.values():
            assert claims.RECIPE_LABELS[verdict.recipe].capitalize() in shown
            assert all(f"Seed {c.seed}: {c.summary}" in shown for c in verdict.seeds)
    badges = [t for t in texts(at, "markdown") if "-badge[" in t]  # st.badge renders as a markdown badge
    assert len(badges) == 2 * len(expected)  # paper and code side by side
    assert all(v.tally in b for b, v in zip(badges, (v for j in expected for v in j.recipes.values()), strict=True))
    verdicts = {j.key: j.recipes["paper"].verdict for j in expected}
    assert verdicts["wgan-quality"] == claims.PENDING  # the fixture has no mlp-sbn-wgan
    assert verdicts["dbn-vs-sbn"] != claims.PENDING and verdicts["cnn-artefacts"] != claims.PENDING
    assert all(j.recipes["code"].verdict == claims.PENDING for j in expected)  # the fixture has no code twins
    assert sum(t.startswith("Rule: ") for t in texts(at, "caption")) == len(expected)


def test_a_first_visit_from_the_hub_shows_what_it_fetches(make_app, checkpoints_root, tmp_path, monkeypatch):
    """No local checkpoints: the app fetches the campaign from the Hub (here an offline cache) in an st.status that
    names the file count and the bytes, then reads the verified snapshot."""
    from tests.helpers import build_hub_cache, make_campaign
    from training.hubrepo import HUB_REVISION
    from training.publish import prepare

    repo_id = "binarygan-test/binarygan-mnist"
    manifest = prepare(make_campaign(tmp_path / "campaign", checkpoints_root), tmp_path / "repo", repo_id, HUB_REVISION)
    cache = tmp_path / "hf-cache"
    build_hub_cache(tmp_path / "repo", cache, repo_id, HUB_REVISION)
    monkeypatch.setenv("BINARYGAN_HUB_REPO", repo_id)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    (tmp_path / "empty").mkdir()
    at = make_app(tmp_path / "empty")
    (status,) = at.status
    n = len(manifest["files"])
    assert f"{n}/{n} files" in status.label and "MB" in status.label and "ready" in status.label
    assert status.state == "complete"
    assert any("snapshots" in c for c in (e.value for e in at.sidebar.caption))
    trained = int(at.dataframe[0].value["status"].eq("trained").sum())
    assert trained == len(list(checkpoints_root.iterdir()))  # the catalogue reads the Hub's variants
    at.run()  # the answer is kept: no second fetch, no status
    assert not at.status


def test_the_estimator_finding_shows_the_baseline_and_every_estimator_with_its_rule(app, texts):
    at = app()
    assert not at.exception
    assert any(findings.QUESTION in t for t in texts(at, "markdown"))
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert table["variant"].tolist()[0] == ESTIMATOR_BASELINE
    assert len(table) == 1 + sum(c.experiment == ESTIMATOR_EXPERIMENT for c in REGISTRY.values())
    assert any("stated before" in t for t in texts(at, "caption"))


def test_the_overview_judges_the_gated_generators_beside_the_estimators(app, dashboard_root, texts):
    from explorer import gated

    at = app()
    lines = [t for t in texts(at, "markdown") if "experts specialise by digit" in t]
    assert [line.split("`")[1] for line in lines] == gated.gated_variants()
    assert all("FD **no verdict yet**" in line for line in lines)  # one demo seed, and no dense twin
    table = at.dataframe[-2].value
    assert table["variant"].tolist() == [v for g in gated.gated_variants() for v in (gated.dense_twin(g), g)]
    (controls,) = [t for t in texts(at, "markdown") if gated.CONTROLS_QUESTION in t]
    assert f"comes from: **{gated.PENDING}**" in controls  # the demo trains no control
    assert at.dataframe[-1].value["variant"].tolist() == list(gated.CONTROL_ROWS)


def test_an_aliasing_seed_in_the_address_is_refused_with_the_range(app, texts):
    """2**32 would draw seed 0's samples on torch's 32-bit generator: the page says so and uses the largest seed."""
    at = app(query="seed=4294967296")
    assert at.session_state.seed == 2**32 - 1
    assert any("outside [0, 4294967295]" in w for w in texts(at, "warning"))


def test_the_first_screen_shows_digits_of_each_binary_neuron(app):
    at = app()
    captions = [c for img in at.image for c in img.captions]
    assert len(captions) == 2
    assert "DBN" in captions[0] and "mlp-dbn-wgan-gp" in captions[0]
    assert "SBN" in captions[1] and "mlp-sbn-wgan-gp" in captions[1]
    assert not at.exception
