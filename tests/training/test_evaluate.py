"""Evaluation metrics on inputs whose answers are known, and the evaluate command on tiny data."""

from __future__ import annotations

import json

import pytest

from tests.helpers import make_checkpoint
from training.cli import main
from training.evaluate import compare_metrics, evaluate_checkpoint, evaluate_history, image_metrics, real_data_floor
from training.metrics import METRICS, PER_EPOCH


def test_memorisation_of_the_training_images_themselves_is_one(tiny_reference):
    train = tiny_reference.train.images[:64]
    m = image_metrics(train, tiny_reference)
    assert m["memorisation_rate"] == 1.0
    assert 0.0 <= image_metrics(tiny_reference.test_images, tiny_reference)["memorisation_rate"] <= 0.1


def test_real_data_floor_is_leave_one_out_and_has_no_preactivations(tiny_reference):
    floor = real_data_floor(tiny_reference, 64)
    assert floor["memorisation_rate"] < 0.5  # not 1: an image's own copy is excluded
    assert floor["mass_near_01"] is None and floor["notch_depth"] is None
    assert {m.key for m in METRICS} <= set(floor) and floor["n_samples"] == 64


def test_evaluate_checkpoint_is_complete_and_deterministic(tmp_path, tiny_reference):
    folder = make_checkpoint(tmp_path / "g", "mlp-sbn-wgan-gp")
    a = evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)
    b = evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)
    assert a == b
    assert {m.key for m in METRICS} | {"class_hist", "generator_sha256", "classifier_sha256"} <= set(a)
    assert sum(a["class_hist"]) == pytest.approx(1.0) and len(a["class_hist"]) == 10
    assert 0 <= a["precision"] <= 1 and 0 <= a["recall"] <= 1 and a["fd"] >= 0
    assert compare_metrics(a, b) == []
    assert compare_metrics(a, a | {"fd": a["fd"] * 1.01}) == [f"fd: shipped {a['fd']!r}, recomputed {a['fd'] * 1.01!r}"]
    assert evaluate_checkpoint(folder, tiny_reference, n=100, seed=4) != a


def test_a_gated_checkpoints_metrics_describe_its_gates_and_a_dense_ones_do_not(tmp_path, tiny_reference):
    from training import gated
    from training.pretrained import BinaryGAN

    folder = make_checkpoint(tmp_path / "g", "mlp-sbn-wgan-gp-code-gated")
    m = evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)
    gates = BinaryGAN.from_pretrained(folder).sample(100, 3).gates
    assert gates is not None
    assert m["expert_share"] == pytest.approx(gates.mean(axis=0).tolist())
    counts = m["expert_class_counts"]
    assert [sum(row) for row in counts] == gates.sum(axis=0).tolist()  # each expert's samples, over the 10 digits
    assert m["expert_entropy_bits"] == pytest.approx(gated.entropy_bits(gates.mean(axis=0)))
    assert 0 <= m["gate_flip_rate"] <= 1 and 0 <= m["expert_class_nmi"] <= 1
    assert compare_metrics(m, evaluate_checkpoint(folder, tiny_reference, n=100, seed=3)) == []
    moved = [row[:] for row in counts]
    moved[0][0] += 11  # beyond the counts' tolerance of 10 samples
    assert compare_metrics(m, m | {"expert_class_counts": moved}) == [
        f"expert_class_counts: shipped {counts!r}, recomputed {moved!r}"
    ]
    assert compare_metrics(m, m | {"expert_class_counts": [[1, 2], [3]]})  # ragged: a difference, not a crash
    dense = evaluate_checkpoint(make_checkpoint(tmp_path / "d", "mlp-sbn-wgan-gp-code"), tiny_reference, n=100)
    assert not {k for k in dense if "expert" in k or "gate" in k}


def test_evaluate_history_merges_cheap_metrics_into_each_epoch(tmp_path, tiny_reference):
    run = make_checkpoint(tmp_path / "run", "mlp-dbn-wgan-gp", snapshots=(1, 2), epochs=3)
    (run / "history.json").write_text(json.dumps([{"epoch": e, "d_loss": 0.0} for e in (1, 2, 3)]))
    history = evaluate_history(run, tiny_reference, n=50)
    assert history == json.loads((run / "history.json").read_text())
    for record in history:  # epochs 1, 2 from snapshots, 3 from the folder itself
        assert {m.key for m in PER_EPOCH} <= set(record) and record["d_loss"] == 0.0 and record["eval_samples"] == 50


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
    assert rows[0].startswith("variant,seed,epoch,n_samples,fd,") and len(rows) == 3
    capsys.readouterr()
    assert main(["evaluate", "--table", "--markdown", "--checkpoints", str(root), *common]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("| `mlp-dbn-wgan-gp` | ")


def test_evaluate_needs_a_target_or_table(capsys):
    assert main(["evaluate"]) == 1
    assert "name a checkpoint" in capsys.readouterr().err
