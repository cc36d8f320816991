"""explorer.catalog: what the checkpoints folder holds, read defensively (missing = None, malformed = error)."""
from __future__ import annotations

import json
import math
import shutil

import pytest

from explorer import catalog, demo
from training.config import REGISTRY
from training.metrics import METRICS


@pytest.fixture(scope="module")
def evaluated_root(checkpoints_root, tmp_path_factory):
    """The shared fixture's checkpoints plus demo evaluation files and one corrupt checkpoint."""
    root = tmp_path_factory.mktemp("catalog") / "checkpoints"
    shutil.copytree(checkpoints_root, root)
    return demo.build(root)


def test_variant_table_lists_every_variant_with_its_status(use_checkpoints):
    table = catalog.variant_table()
    assert len(table) == len(REGISTRY)
    assert table["variant"].tolist() == list(REGISTRY)
    trained = table.loc[table["status"] == catalog.TRAINED, "variant"].tolist()
    assert sorted(trained) == sorted(["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp"])
    assert (table["status"] == catalog.NOT_TRAINED).sum() == len(REGISTRY) - 4
    row = table.set_index("variant").loc["mlp-dbn-wgan-gp"]
    assert (row["architecture"], row["neuron"], row["objective"], bool(row["BN in D"])) == ("MLP", "DBN", "WGAN-GP", False)
    assert row["D params"] == 533_505 and row["epochs trained"] == 20  # the paper's "0.53M"
    assert math.isnan(row["Fréchet distance"])  # not evaluated yet
    assert table.set_index("variant").loc["mlp-real-wgan-gp", "annealing"] == "fixed 1"


def test_variant_table_shows_metrics_and_contains_a_broken_config(evaluated_root):
    (evaluated_root / "mlp-dbn-gan" / "config.json").write_text("{broken")
    try:
        table = catalog.variant_table(evaluated_root).set_index("variant")
    finally:
        demo.write_untrained(evaluated_root / "mlp-dbn-gan", "mlp-dbn-gan")
    assert table.loc["mlp-dbn-gan", "status"].startswith("error: ")
    assert table.loc["mlp-dbn-wgan-gp", "status"] == catalog.TRAINED
    assert 0 < table.loc["mlp-dbn-wgan-gp", "Fréchet distance"] < 100


def test_missing_files_read_as_none_and_malformed_ones_raise(evaluated_root, tmp_path):
    assert catalog.history("mlp-sbn-wgan", evaluated_root) is None
    assert catalog.steps("mlp-sbn-wgan", evaluated_root) is None
    assert catalog.all_metrics(tmp_path) == (None, {})
    h = catalog.history("mlp-dbn-wgan-gp", evaluated_root)
    assert h["epoch"].tolist() == list(range(1, 21)) and h["slope"].iloc[-1] == pytest.approx(1.1**19)
    s = catalog.steps("mlp-dbn-wgan-gp", evaluated_root, max_points=500, smooth=10)
    assert len(s) <= 500 and list(s.columns) == ["step", "d_loss", "g_loss"] and s["step"].is_monotonic_increasing

    bad = tmp_path / "mlp-dbn-wgan-gp"
    bad.mkdir()
    (bad / "history.json").write_text('{"epoch": 1}')
    (bad / "steps.csv").write_text("a,b\n1,2\n")
    (tmp_path / "metrics.json").write_text("[1, 2]")
    with pytest.raises(catalog.DataFileError, match="list of objects"):
        catalog.history("mlp-dbn-wgan-gp", tmp_path)
    with pytest.raises(catalog.DataFileError, match="missing column"):
        catalog.steps("mlp-dbn-wgan-gp", tmp_path)
    with pytest.raises(catalog.DataFileError, match="JSON object"):
        catalog.all_metrics(tmp_path)
    table = catalog.variant_table(tmp_path)  # a broken summary hides the metrics, not the catalogue
    assert len(table) == len(REGISTRY) and "JSON object" in table.attrs["metrics_error"]


def test_metrics_tolerate_wrong_types_field_by_field(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({
        "real_data": {"fd": 0, "class_hist": [0.1] * 10},
        "variants": {"mlp-dbn-wgan-gp": {"fd": "oops", "precision": True, "recall": 0.5, "class_hist": [1, 2]},
                     "not-a-variant": {"fd": 1.0}}}))
    real, variants = catalog.all_metrics(tmp_path)
    assert real["fd"] == 0.0 and real["class_hist"] == [0.1] * 10
    m = variants["mlp-dbn-wgan-gp"]
    assert math.isnan(m["fd"]) and math.isnan(m["precision"]) and m["recall"] == 0.5 and m["class_hist"] is None
    assert set(variants) == {"mlp-dbn-wgan-gp"}


def test_leaderboard_starts_with_the_real_data_floor(evaluated_root):
    board = catalog.leaderboard(evaluated_root)
    assert board["variant"].iloc[0] == "real data (floor)"
    assert sorted(board["variant"].iloc[1:]) == sorted(demo.DEMO_VARIANTS)
    assert board.loc[0, "Fréchet distance"] == 0.0
    assert list(board.columns) == ["variant", *(m.label for m in METRICS)]


@pytest.mark.parametrize("values, limit, chosen, refused", [
    (["mlp-dbn-wgan-gp,bogus"], 4, ["mlp-dbn-wgan-gp"], ["bogus"]),
    (["mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp", " mlp-sbn-wgan-gp "], 4, ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"], []),
    (["mlp-dbn-wgan-gp,mlp-sbn-wgan-gp,mlp-real-wgan-gp"], 2, ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"],
     ["mlp-real-wgan-gp (more than 2)"]),
    ([], 4, [], []),
    (["../../etc/passwd", "x" * 500], 4, [], ["../../etc/passwd", "x" * 60]),
])
def test_parse_selection_keeps_known_names_and_refuses_the_rest(values, limit, chosen, refused):
    assert catalog.parse_selection(values, limit) == (chosen, refused)


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
@pytest.mark.parametrize("recipe", ["paper", "code"])
def test_fig8_grid_covers_every_objective_with_and_without_bn_in_d(neuron, recipe):
    grid = catalog.fig8_grid(neuron, recipe)
    assert set(grid) == {(o, bn) for o in ("gan", "wgan", "wgan-gp") for bn in (True, False)}
    for (objective, bn), name in grid.items():
        cfg = REGISTRY[name]
        assert (cfg.objective, cfg.d_batchnorm, cfg.neuron, cfg.arch, cfg.recipe) == (objective, bn, neuron, "mlp", recipe)
        assert cfg.annealed == (recipe == "paper") and name.endswith("-code") == (recipe == "code")


def test_annealing_pairs_differ_only_in_the_slope_schedule():
    pairs = catalog.annealing_pairs()
    assert pairs == {"dbn": ("mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp-noanneal", "mlp-dbn-wgan-gp-code"),
                     "sbn": ("mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-noanneal", "mlp-sbn-wgan-gp-code")}
    for annealed, fixed, code in pairs.values():
        assert REGISTRY[code].recipe == "code" and not REGISTRY[code].annealed
        a, f = REGISTRY[annealed], REGISTRY[fixed]
        assert a.annealed and not f.annealed
        assert a.replace(name=f.name, slope_annealing_rate=1.0, experiment=f.experiment,
                         description=f.description) == f


def test_fingerprint_changes_when_a_checkpoint_is_rewritten(evaluated_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(evaluated_root))
    before = catalog.fingerprint("mlp-dbn-wgan")
    assert before[0].endswith("mlp-dbn-wgan")
    demo.write_untrained(evaluated_root / "mlp-dbn-wgan", "mlp-dbn-wgan", seed=99)
    assert catalog.fingerprint("mlp-dbn-wgan") != before
    assert catalog.fingerprint("mlp-dbn-wgan-gp", epoch=5)[0].endswith("epoch-005")


def test_seed_spread_has_a_row_per_metric_of_each_variant_with_extra_seeds(tmp_path):
    rows = {"fd": 50.0, "recall": 0.5}
    table = {"real_data": rows, "variants": {"mlp-dbn-gan": rows, "mlp-sbn-gan": rows},
             "seeds": {"mlp-dbn-gan": {"1": rows | {"fd": 54.0}, "2": rows | {"fd": 58.0}}}}
    (tmp_path / "metrics.json").write_text(json.dumps(table))
    spread = catalog.seed_spread(tmp_path)
    fd = spread[(spread["variant"] == "mlp-dbn-gan") & (spread["metric"] == "Fréchet distance")].iloc[0]
    assert (fd["mean"], fd["sd"], fd["seeds"]) == (54.0, 4.0, 3)
    assert (fd["seed 0"], fd["seed 1"], fd["seed 2"]) == (50.0, 54.0, 58.0)
    assert set(spread["variant"]) == {"mlp-dbn-gan"}  # mlp-sbn-gan has one seed: no spread
    assert catalog.seed_spread(tmp_path / "nothing").empty


def test_pinned_parameter_counts_match_the_networks_of_every_variant():
    """The catalogue's counts are pinned (its page must not import torch); every variant's networks agree."""
    from training.networks import Generator, build_discriminator, count_parameters

    for name, cfg in REGISTRY.items():
        assert catalog.parameter_counts(cfg.arch, cfg.d_batchnorm) == (
            count_parameters(Generator(cfg)), count_parameters(build_discriminator(cfg))), name


def test_the_first_page_reads_no_torch():
    """What the Overview imports (the catalogue, the claims, the Hub resolver) leaves torch unimported."""
    import subprocess
    import sys

    code = ("import sys; import explorer.catalog, explorer.claims, explorer.hub, explorer.generator; "
            "print('torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr


def test_recipe_twins_pair_each_experiment_across_the_two_recipes():
    assert catalog.recipe_twin("mlp-dbn-wgan-gp") == "mlp-dbn-wgan-gp-code"
    assert catalog.recipe_twin("mlp-sbn-gan-nobnd-code") == "mlp-sbn-gan-nobnd"
    assert catalog.recipe_twin("mlp-gumbel-wgan-gp") is None  # an extra: the reference code has no such model
    # a code twin named first, then its paper twin, gives one row; the row is always (paper, code)
    assert catalog.recipe_pairs(["mlp-sbn-wgan-gp-code", "mlp-real-wgan-gp", "mlp-sbn-wgan-gp",
                                 "mlp-gumbel-wgan-gp"]) == [
        ("mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-code"), ("mlp-real-wgan-gp", "mlp-real-wgan-gp-code"),
        ("mlp-gumbel-wgan-gp", None)]


def test_seed_band_reads_one_variants_metric_from_the_spread_table(tmp_path):
    rows = {"mass_near_01": 0.8, "notch_depth": 0.1}
    table = {"real_data": {}, "variants": {"mlp-dbn-gan": rows, "mlp-sbn-gan": rows},
             "seeds": {"mlp-dbn-gan": {"1": rows | {"mass_near_01": 0.9}}}}
    (tmp_path / "metrics.json").write_text(json.dumps(table))
    spread = catalog.seed_spread(tmp_path)
    mean, sd, n = catalog.seed_band(spread, "mlp-dbn-gan", "mass_near_01")
    assert (mean, n) == (pytest.approx(0.85), 2) and sd == pytest.approx(0.0707107, rel=1e-5)
    assert catalog.seed_band(spread, "mlp-sbn-gan", "mass_near_01") is None  # one seed: no band
    assert catalog.seed_band(catalog.seed_spread(tmp_path / "nothing"), "mlp-dbn-gan", "fd") is None
