"""The results table: metrics.json over all variants, its CSV, and the Markdown tables of docs/results.md and the card."""

from __future__ import annotations

import json

from training.table import rebuild_table, seeds_markdown, table_csv, table_markdown


def test_markdown_table_lists_the_floor_then_variants_in_registry_order():
    metrics = {
        "fd": 51.53,
        "precision": 0.7825,
        "recall": 0.5862,
        "class_kl": 0.0133,
        "classes_2pct": 10,
        "on_fraction_mean": 0.1927,
        "speckle_rate": 1.3203,
        "memorisation_rate": 0.0044,
        "mass_near_01": 0.8287,
        "notch_depth": 0.0553,
    }
    floor = metrics | {"fd": 1.487, "class_kl": 0.00071, "mass_near_01": None, "notch_depth": None}
    table = {"real_data": floor, "variants": {"mlp-real-wgan-gp": metrics, "mlp-dbn-wgan-gp": metrics}}
    lines = table_markdown(table).splitlines()
    assert lines[0].startswith("| model | FD ↓ | precision |") and lines[1] == "|---" * 11 + "|"
    assert lines[2] == "| real data (floor) | 1.49 | 0.782 | 0.586 | 0.0007 | 10 | 0.193 | 1.32 | 0.004 | – | – |"
    assert (
        lines[3] == "| `mlp-dbn-wgan-gp` | 51.5 | 0.782 | 0.586 | 0.013 | 10 | 0.193 | 1.32 | 0.004 | 0.829 | 0.055 |"
    )
    assert lines[4].startswith("| `mlp-real-wgan-gp` (thresholded) | 51.5 |") and len(lines) == 5


def test_seeds_table_gives_mean_sd_and_each_seeds_value_and_the_csv_a_row_per_seed():
    row = {"fd": 50.0, "recall": 0.5, "mass_near_01": 0.8}
    table = {
        "real_data": row,
        "variants": {"mlp-sbn-wgan-gp": row, "mlp-dbn-wgan-gp": row, "mlp-dbn-gan": row},
        "seeds": {
            "mlp-sbn-wgan-gp": {"2": row | {"fd": 58.0}, "1": row | {"fd": 54.0, "recall": None}},
            "mlp-dbn-gan": {"1": row},
        },
    }
    lines = seeds_markdown(table).splitlines()
    assert lines[0].startswith("| model | seeds | FD ↓ |") and len(lines) == 4  # the variants with extra seeds
    sbn = lines[2].split(" | ")
    assert sbn[0] == "| `mlp-sbn-wgan-gp`" and sbn[1] == "0, 1, 2"
    assert sbn[2] == "54.0 ± 4.0<br>50.0 / 54.0 / 58.0"  # sample sd over the three seeds
    assert sbn[4] == "0.500 ± 0<br>0.500 / 0.500"  # seed 1 has no recall: two seeds
    assert lines[3].startswith("| `mlp-dbn-gan` | 0, 1 | 50.0 ± 0<br>50.0 / 50.0 |")
    assert seeds_markdown(table | {"seeds": {}}) == ""
    rows = [r.split(",")[:3] for r in table_csv(table).splitlines()]
    assert rows[0] == ["variant", "seed", "epoch"]
    assert [r[:2] for r in rows[1:]] == [
        ["real_data", ""],
        ["mlp-dbn-gan", "0"],
        ["mlp-dbn-gan", "1"],
        ["mlp-dbn-wgan-gp", "0"],
        ["mlp-sbn-wgan-gp", "0"],
        ["mlp-sbn-wgan-gp", "1"],
        ["mlp-sbn-wgan-gp", "2"],
    ]


def test_table_reuses_a_matching_real_data_floor(tmp_path, tiny_reference):
    first = rebuild_table(tmp_path, tiny_reference, n=64)
    (tmp_path / "metrics.json").write_text(json.dumps(first | {"real_data": first["real_data"] | {"fd": -1.0}}))
    assert rebuild_table(tmp_path, tiny_reference, n=64)["real_data"]["fd"] == -1.0  # reused, not recomputed
    assert rebuild_table(tmp_path, tiny_reference, n=65)["real_data"]["fd"] >= 0  # another n: recomputed
