"""explorer.tables: the pages' tables from the checkpoints folder, without torch."""

from __future__ import annotations

import json
import math

import pytest

from explorer import demo, files, tables
from training.metrics import METRICS
from training.variants import REGISTRY


def test_variant_table_lists_every_variant_with_its_status(use_checkpoints):
    table = tables.variant_table()
    assert len(table) == len(REGISTRY)
    assert table["variant"].tolist() == list(REGISTRY)
    trained = table.loc[table["status"] == files.TRAINED, "variant"].tolist()
    assert sorted(trained) == sorted(["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp"])
    assert (table["status"] == files.NOT_TRAINED).sum() == len(REGISTRY) - 4
    row = table.set_index("variant").loc["mlp-dbn-wgan-gp"]
    assert (row["architecture"], row["neuron"], row["objective"], bool(row["BN in D"])) == (
        "MLP",
        "DBN",
        "WGAN-GP",
        False,
    )
    assert row["D params"] == 533_505 and row["epochs trained"] == 20  # the paper's "0.53M"
    assert math.isnan(row["Fréchet distance"])  # not evaluated yet
    assert table.set_index("variant").loc["mlp-real-wgan-gp", "annealing"] == "fixed 1"


def test_variant_table_shows_metrics_and_contains_a_broken_config(evaluated_root):
    (evaluated_root / "mlp-dbn-gan" / "config.json").write_text("{broken")
    try:
        table = tables.variant_table(evaluated_root).set_index("variant")
    finally:
        demo.write_untrained(evaluated_root / "mlp-dbn-gan", "mlp-dbn-gan")
    assert table.loc["mlp-dbn-gan", "status"].startswith("error: ")
    assert table.loc["mlp-dbn-wgan-gp", "status"] == files.TRAINED
    assert 0 < table.loc["mlp-dbn-wgan-gp", "Fréchet distance"] < 100


def test_missing_files_read_as_none_and_malformed_ones_raise(evaluated_root, tmp_path):
    assert files.history("mlp-sbn-wgan", evaluated_root) is None
    assert files.steps("mlp-sbn-wgan", evaluated_root) is None
    assert files.all_metrics(tmp_path) == (None, {})
    h = files.history("mlp-dbn-wgan-gp", evaluated_root)
    assert h["epoch"].tolist() == list(range(1, 21)) and h["slope"].iloc[-1] == pytest.approx(1.1**19)
    s = files.steps("mlp-dbn-wgan-gp", evaluated_root, max_points=500, smooth=10)
    assert len(s) <= 500 and list(s.columns) == ["step", "d_loss", "g_loss"] and s["step"].is_monotonic_increasing

    bad = tmp_path / "mlp-dbn-wgan-gp"
    bad.mkdir()
    (bad / "history.json").write_text('{"epoch": 1}')
    (bad / "steps.csv").write_text("a,b\n1,2\n")
    (tmp_path / "metrics.json").write_text("[1, 2]")
    with pytest.raises(files.DataFileError, match="list of objects"):
        files.history("mlp-dbn-wgan-gp", tmp_path)
    with pytest.raises(files.DataFileError, match="missing column"):
        files.steps("mlp-dbn-wgan-gp", tmp_path)
    with pytest.raises(files.DataFileError, match="JSON object"):
        files.all_metrics(tmp_path)
    table = tables.variant_table(tmp_path)  # a broken summary hides the metrics, not the catalogue
    assert len(table) == len(REGISTRY) and "JSON object" in table.attrs["metrics_error"]


def test_leaderboard_starts_with_the_real_data_floor(evaluated_root):
    board = tables.leaderboard(evaluated_root)
    assert board["variant"].iloc[0] == "real data (floor)"
    assert sorted(board["variant"].iloc[1:]) == sorted(demo.DEMO_VARIANTS)
    assert board.loc[0, "Fréchet distance"] == 0.0
    fd = board["Fréchet distance"].iloc[1:].tolist()
    assert fd == sorted(fd) and len(set(fd)) > 1  # best first: the ranking is the point of a leaderboard
    assert list(board.columns) == ["variant", *(m.label for m in METRICS)]


def test_seed_spread_has_a_row_per_metric_of_each_variant_with_extra_seeds(tmp_path):
    rows = {"fd": 50.0, "recall": 0.5}
    table = {
        "real_data": rows,
        "variants": {"mlp-dbn-gan": rows, "mlp-sbn-gan": rows},
        "seeds": {"mlp-dbn-gan": {"1": rows | {"fd": 54.0}, "2": rows | {"fd": 58.0}}},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(table))
    spread = tables.seed_spread(tmp_path)
    fd = spread[(spread["variant"] == "mlp-dbn-gan") & (spread["metric"] == "Fréchet distance")].iloc[0]
    assert (fd["mean"], fd["sd"], fd["seeds"]) == (54.0, 4.0, 3)
    assert (fd["seed 0"], fd["seed 1"], fd["seed 2"]) == (50.0, 54.0, 58.0)
    assert set(spread["variant"]) == {"mlp-dbn-gan"}  # mlp-sbn-gan has one seed: no spread
    assert tables.seed_spread(tmp_path / "nothing").empty


def test_pinned_parameter_counts_match_the_networks_of_every_variant():
    """The catalogue's counts are pinned (its page must not import torch); every variant's networks agree."""
    from training.networks import Generator, build_discriminator, count_parameters

    for name, cfg in REGISTRY.items():
        assert tables.parameter_counts(cfg.arch, cfg.d_batchnorm, cfg.experts, cfg.routing, cfg.hidden) == (
            count_parameters(Generator(cfg)),
            count_parameters(build_discriminator(cfg)),
        ), name


def test_seed_band_reads_one_variants_metric_from_the_spread_table(tmp_path):
    rows = {"mass_near_01": 0.8, "notch_depth": 0.1}
    table = {
        "real_data": {},
        "variants": {"mlp-dbn-gan": rows, "mlp-sbn-gan": rows},
        "seeds": {"mlp-dbn-gan": {"1": rows | {"mass_near_01": 0.9}}},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(table))
    spread = tables.seed_spread(tmp_path)
    mean, sd, n = tables.seed_band(spread, "mlp-dbn-gan", "mass_near_01")
    assert (mean, n) == (pytest.approx(0.85), 2) and sd == pytest.approx(0.0707107, rel=1e-5)
    assert tables.seed_band(spread, "mlp-sbn-gan", "mass_near_01") is None  # one seed: no band
    assert tables.seed_band(tables.seed_spread(tmp_path / "nothing"), "mlp-dbn-gan", "fd") is None
