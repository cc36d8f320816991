"""Evaluation metrics on inputs whose answers are known, and the evaluate command on tiny data."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.conftest import REPO, make_checkpoint
from training.cli import main
from training.data import load_split
from training.evaluate import (HISTORY_KEYS, SCALAR_KEYS, class_histogram, class_kl, classes_2pct, compare_metrics,
                               evaluate_checkpoint, evaluate_history, frechet_distance, gaussian_stats,
                               image_metrics, knn_radii, nearest_hamming, on_fraction, precision_recall,
                               real_data_floor, rebuild_table, speckle_rate, table_markdown)


def test_speckle_counts_pixels_without_4_neighbours():
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 5, 5] = 1  # isolated
    img[0, 10, 10] = img[0, 10, 11] = 1  # a pair: neither is isolated
    img[0, 20, 20] = img[0, 21, 21] = 1  # diagonal neighbours do not count: both isolated
    img[0, 0, 0] = 1  # at the border, outside is off: isolated
    assert speckle_rate(img) == 4.0
    assert speckle_rate(np.concatenate([img, np.zeros_like(img)])) == 2.0  # per image


def test_on_fraction_mean_and_std():
    imgs = np.zeros((2, 28, 28), np.uint8)
    imgs[1, :14] = 1  # half on
    assert on_fraction(imgs) == (0.25, 0.25)


def test_frechet_distance_of_identical_sets_is_zero_and_of_shifted_sets_the_squared_shift():
    f = np.random.default_rng(0).normal(size=(2000, 16))
    stats = gaussian_stats(f)
    assert frechet_distance(*stats, *stats) == pytest.approx(0.0, abs=1e-6)
    shifted = gaussian_stats(f + 3.0)  # same covariance, mean moved by 3 in each of 16 dimensions
    assert frechet_distance(*stats, *shifted) == pytest.approx(16 * 9.0, rel=1e-6)


def test_precision_recall_identical_sets_are_one_and_disjoint_clusters_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8))
    assert precision_recall(a, a.copy()) == (1.0, 1.0)
    assert precision_recall(a, a + 100.0) == (0.0, 0.0)


def test_precision_recall_of_a_dropped_mode():
    rng = np.random.default_rng(1)
    real = np.concatenate([rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 50])
    fake = rng.normal(size=(200, 4))  # only the first mode
    precision, recall = precision_recall(real, fake)
    assert precision > 0.9 and 0.4 < recall <= 0.5


def test_knn_radii_is_the_kth_neighbour_excluding_itself():
    points = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # k=3: for 0 the neighbours are 1, 3, 6 -> radius 6, squared 36; for 10 they are 6, 3, 1 -> 9, squared 81
    assert knn_radii(points, 3).tolist() == [36.0, 25.0, 9.0, 25.0, 81.0]


def test_class_kl_of_the_test_labels_is_zero_and_of_one_class_its_surprise(tiny_mnist):
    labels = load_split("test", tiny_mnist, verify=False).labels
    q = class_histogram(labels)
    assert class_kl(q, q) == pytest.approx(0.0, abs=1e-12)
    uniform = np.full(10, 0.1)
    one = np.eye(10)[3]
    assert class_kl(one, uniform) == pytest.approx(math.log(10))
    assert classes_2pct(one) == 1 and classes_2pct(uniform) == 10
    assert classes_2pct(np.array([0.02, 0.0199] + [0.0] * 8)) == 1


def test_nearest_hamming_matches_brute_force_and_can_leave_one_out():
    rng = np.random.default_rng(0)
    base = (rng.random((50, 28, 28)) < 0.3).astype(np.uint8)
    queries = (rng.random((7, 28, 28)) < 0.3).astype(np.uint8)
    brute = np.array([min(int((q != b).sum()) for b in base) for q in queries])
    assert nearest_hamming(queries, base).tolist() == brute.tolist()
    assert (nearest_hamming(base, base) == 0).all()
    loo = nearest_hamming(base[:10], base, exclude_self=True)
    assert loo.tolist() == [min(int((base[i] != base[j]).sum()) for j in range(50) if j != i) for i in range(10)]


def test_memorisation_of_the_training_images_themselves_is_one(tiny_reference):
    train = tiny_reference.train.images[:64]
    m = image_metrics(train, tiny_reference)
    assert m["memorisation_rate"] == 1.0
    assert 0.0 <= image_metrics(tiny_reference.test_images, tiny_reference)["memorisation_rate"] <= 0.1


def test_real_data_floor_is_leave_one_out_and_has_no_preactivations(tiny_reference):
    floor = real_data_floor(tiny_reference, 64)
    assert floor["memorisation_rate"] < 0.5  # not 1: an image's own copy is excluded
    assert floor["mass_near_01"] is None and floor["notch_depth"] is None
    assert set(SCALAR_KEYS) <= set(floor) and floor["n_samples"] == 64


def test_evaluate_checkpoint_is_complete_and_deterministic(tmp_path, tiny_reference):
    folder = make_checkpoint(tmp_path / "g", "mlp-sbn-wgan-gp")
    a = evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)
    b = evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)
    assert a == b
    assert set(SCALAR_KEYS) | {"class_hist", "generator_sha256", "classifier_sha256"} <= set(a)
    assert sum(a["class_hist"]) == pytest.approx(1.0) and len(a["class_hist"]) == 10
    assert 0 <= a["precision"] <= 1 and 0 <= a["recall"] <= 1 and a["fd"] >= 0
    assert compare_metrics(a, b) == []
    assert compare_metrics(a, a | {"fd": a["fd"] * 1.01}) == [f"fd: shipped {a['fd']!r}, recomputed {a['fd'] * 1.01!r}"]
    assert evaluate_checkpoint(folder, tiny_reference, n=100, seed=4) != a


def test_evaluate_history_merges_cheap_metrics_into_each_epoch(tmp_path, tiny_reference):
    run = make_checkpoint(tmp_path / "run", "mlp-dbn-wgan-gp", snapshots=(1, 2), epochs=3)
    (run / "history.json").write_text(json.dumps([{"epoch": e, "d_loss": 0.0} for e in (1, 2, 3)]))
    history = evaluate_history(run, tiny_reference, n=50)
    assert history == json.loads((run / "history.json").read_text())
    for record in history:  # epochs 1, 2 from snapshots, 3 from the folder itself
        assert set(HISTORY_KEYS) <= set(record) and record["d_loss"] == 0.0 and record["eval_samples"] == 50


def test_evaluate_cli_writes_checks_and_tabulates(tmp_path, tiny_mnist, tiny_classifier, capsys):
    root = tmp_path / "checkpoints"
    folder = make_checkpoint(root / "mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp")
    common = ["--n", "80", "--data-dir", str(tiny_mnist), "--no-verify", "--classifier", str(tiny_classifier)]
    assert main(["evaluate", str(folder), *common]) == 0
    shipped = json.loads((folder / "metrics.json").read_text())
    assert shipped["n_samples"] == 80 and shipped["variant"] == "mlp-dbn-wgan-gp"
    assert main(["evaluate", str(folder), *common, "--check"]) == 0
    (folder / "metrics.json").write_text(json.dumps(shipped | {"speckle_rate": shipped["speckle_rate"] + 1}))
    assert main(["evaluate", str(folder), *common, "--check"]) == 1
    assert "speckle_rate: shipped" in capsys.readouterr().out

    assert main(["evaluate", "--table", "--checkpoints", str(root), *common]) == 0
    table = json.loads((root / "metrics.json").read_text())
    assert set(table) == {"real_data", "variants", "seeds"} and list(table["variants"]) == ["mlp-dbn-wgan-gp"]
    assert table["seeds"] == {}  # no extra training seeds shipped
    rows = (root / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("variant,epoch,n_samples,fd,") and len(rows) == 3
    capsys.readouterr()
    assert main(["evaluate", "--table", "--markdown", "--checkpoints", str(root), *common]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("| `mlp-dbn-wgan-gp` | ")


def test_markdown_table_lists_the_floor_then_variants_in_registry_order():
    metrics = {"fd": 51.53, "precision": 0.7825, "recall": 0.5862, "class_kl": 0.0133, "classes_2pct": 10,
               "on_fraction_mean": 0.1927, "speckle_rate": 1.3203, "memorisation_rate": 0.0044,
               "mass_near_01": 0.8287, "notch_depth": 0.0553}
    floor = metrics | {"fd": 1.487, "class_kl": 0.00071, "mass_near_01": None, "notch_depth": None}
    table = {"real_data": floor, "variants": {"mlp-real-wgan-gp": metrics, "mlp-dbn-wgan-gp": metrics}}
    lines = table_markdown(table).splitlines()
    assert lines[0].startswith("| model | FD ↓ | precision |") and lines[1] == "|---" * 11 + "|"
    assert lines[2] == "| real data (floor) | 1.49 | 0.782 | 0.586 | 0.0007 | 10 | 0.193 | 1.32 | 0.004 | – | – |"
    assert lines[3] == "| `mlp-dbn-wgan-gp` | 51.5 | 0.782 | 0.586 | 0.013 | 10 | 0.193 | 1.32 | 0.004 | 0.829 | 0.055 |"
    assert lines[4].startswith("| `mlp-real-wgan-gp` (thresholded) | 51.5 |") and len(lines) == 5


def test_table_reuses_a_matching_real_data_floor(tmp_path, tiny_reference):
    first = rebuild_table(tmp_path, tiny_reference, n=64)
    (tmp_path / "metrics.json").write_text(json.dumps(first | {"real_data": first["real_data"] | {"fd": -1.0}}))
    assert rebuild_table(tmp_path, tiny_reference, n=64)["real_data"]["fd"] == -1.0  # reused, not recomputed
    assert rebuild_table(tmp_path, tiny_reference, n=65)["real_data"]["fd"] >= 0  # another n: recomputed


def test_evaluate_needs_a_target_or_table(capsys):
    assert main(["evaluate"]) == 1
    assert "name a checkpoint" in capsys.readouterr().err


def test_readme_results_table_is_the_shipped_metrics():
    readme = (REPO / "README.md").read_text()
    start = readme.index("| model | FD")
    table = json.loads((REPO / "checkpoints" / "metrics.json").read_text())
    assert readme[start:readme.index("\n\n", start) + 1] == table_markdown(table), \
        "README results table is stale: paste `python -m training evaluate --table --markdown`"
