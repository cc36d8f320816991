"""Extra training seeds: run folders, parsing, shipped files and their spread."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from training import seeds
from training.seeds import SeedError, parse_seeds, run_folder, shipped_seed_folder, shipped_seeds, spread


def test_seed_zero_keeps_the_campaigns_run_folder_and_others_get_their_own():
    assert run_folder(Path("runs"), "mlp-dbn-gan", 0) == Path("runs/mlp-dbn-gan")
    assert run_folder(Path("runs"), "mlp-dbn-gan", 2) == Path("runs/seed-2/mlp-dbn-gan")
    assert shipped_seed_folder(Path("ck"), "mlp-dbn-gan", 2) == Path("ck/mlp-dbn-gan/seeds/seed-2")


@pytest.mark.parametrize("text,seeds", [("0", [0]), ("0,1,2", [0, 1, 2]), ("0-2", [0, 1, 2]), ("2, 0-1, 1", [2, 0, 1])])
def test_seed_lists_parse(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text,why",
    [
        ("", "'' is not a seed"),
        ("1,a", "'a' is not a seed"),
        ("-1", "'-1'"),
        ("3-1", "'3-1' is not a range"),
        ("0-5000", "at most 1000"),
        ("99999999999999999999", "within"),
    ],
)
def test_bad_seed_lists_are_refused_with_the_bad_part_named(text, why):
    with pytest.raises(SeedError, match=why):
        parse_seeds(text, max_seed=2**63 - 1)


def test_shipped_seeds_are_read_in_seed_order_and_bad_files_named(tmp_path):
    for seed, fd in ((2, 60.0), (1, 50.0)):
        folder = shipped_seed_folder(tmp_path, "mlp-dbn-gan", seed)
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({"fd": fd}))
    (tmp_path / "mlp-dbn-gan" / "seeds" / "notes").mkdir()  # not a seed folder: ignored
    assert shipped_seeds(tmp_path, "mlp-dbn-gan") == {1: {"fd": 50.0}, 2: {"fd": 60.0}}
    assert shipped_seeds(tmp_path, "mlp-sbn-gan") == {}
    (shipped_seed_folder(tmp_path, "mlp-dbn-gan", 2) / "metrics.json").write_text("{nope")
    with pytest.raises(SeedError, match="seed-2/metrics.json: not valid JSON"):
        shipped_seeds(tmp_path, "mlp-dbn-gan")


def test_spread_is_mean_and_sample_sd_over_the_seeds_with_a_finite_value():
    by_seed = {0: {"fd": 50.0, "recall": 0.5}, 1: {"fd": 54.0, "recall": None}, 2: {"fd": 58.0, "recall": float("nan")}}
    out = spread(by_seed, ("fd", "recall", "precision"))
    assert out["fd"] == {"mean": 54.0, "sd": 4.0, "n": 3, "values": {"0": 50.0, "1": 54.0, "2": 58.0}}
    recall = out["recall"]
    assert (recall["mean"], recall["n"], recall["values"]) == (0.5, 1, {"0": 0.5}) and math.isnan(recall["sd"])
    assert "precision" not in out


def test_mean_sd_is_the_one_convention_for_a_band_over_seeds():
    """Sample sd (n - 1); one seed says nothing of the spread, so its sd is NaN, not 0; no seed, no mean."""
    assert seeds.mean_sd([50.0, 54.0, 58.0]) == (54.0, 4.0)
    mean, sd = seeds.mean_sd([3.0])
    assert mean == 3.0 and math.isnan(sd)
    assert all(math.isnan(x) for x in seeds.mean_sd([]))
