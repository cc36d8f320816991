"""The evaluation classifier: architecture, training on tiny data, safe loading, and the shipped weights."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

from tests.helpers import make_classifier
from training.checkpoint import CheckpointError
from training.classifier import (
    CLASSIFIER_FILE,
    CONFIG_FILE,
    DEFAULT_DIR,
    FEATURE_DIM,
    FORMAT,
    ClassifierOptions,
    EvalClassifier,
    load_classifier,
    random_shift,
    train_classifier,
)
from training.data import load_split


def test_features_are_128_d_and_the_net_is_small():
    net = EvalClassifier().eval()
    x = torch.zeros(3, 28, 28)
    assert net.features(x).shape == (3, FEATURE_DIM) and net(x).shape == (3, 10)
    assert sum(p.numel() for p in net.parameters()) * 2 < 2**20  # under 1 MiB in fp16


def test_random_shift_moves_each_image_by_at_most_two_pixels():
    x = torch.zeros(64, 28, 28)
    x[:, 14, 14] = 1
    y = random_shift(x, torch.Generator().manual_seed(0))
    assert (y.sum((1, 2)) == 1).all()  # nothing falls off: the pixel is far from the border
    pos = y.flatten(1).argmax(1)
    dy, dx = pos // 28 - 14, pos % 28 - 14
    assert dy.abs().max() == 2 and dx.abs().max() == 2 and len(set(zip(dy.tolist(), dx.tolist(), strict=True))) > 10


def test_train_save_load_roundtrip(tmp_path, tiny_mnist):
    out = tmp_path / "clf"
    clf = train_classifier(
        ClassifierOptions(out=out, data_dir=tiny_mnist, epochs=1, limit=128, verify_data=False, progress=False)
    )
    info = json.loads((out / CONFIG_FILE).read_text())
    assert info["format"] == FORMAT and info["epochs"] == 1 and info["seed"] == 0 and info["train_images"] == 128
    assert 0.0 <= info["test_accuracy"] <= 1.0 and info["test_images"] == 64
    for key in ("train_data_sha256", "test_data_sha256", "code_commit", "device", "wall_time_s"):
        assert info[key] not in (None, "")
    test = load_split("test", tiny_mnist, verify=False)
    again = load_classifier(out)
    assert again.accuracy(test.images, test.labels) == info["test_accuracy"]  # measured on the stored fp16 weights
    assert np.array_equal(again.run(test.images).features, clf.run(test.images).features)
    assert again.sha256 == clf.sha256 and len(again.sha256) == 64


def _corrupt(folder: Path, how: str) -> None:
    weights = folder / CLASSIFIER_FILE
    if how == "truncated":
        weights.write_bytes(weights.read_bytes()[:100])
    elif how == "pickle":
        weights.write_bytes(pickle.dumps({"conv1.weight": torch.zeros(1)}))
    elif how == "wrong-shape":
        state = {k: v.half() for k, v in EvalClassifier().state_dict().items()}
        state["fc1.weight"] = torch.zeros(3, 3, dtype=torch.float16)
        weights.write_bytes(st_save(state, metadata={"format": FORMAT}))
    elif how == "nan":
        state = {k: v.half() for k, v in EvalClassifier().state_dict().items()}
        state["fc2.bias"][0] = float("nan")
        weights.write_bytes(st_save(state, metadata={"format": FORMAT}))
    elif how == "wrong-format":
        weights.write_bytes(
            st_save(
                {k: v.half() for k, v in EvalClassifier().state_dict().items()},
                metadata={"format": "binarygan-generator/1"},
            )
        )
    elif how == "config-not-json":
        (folder / CONFIG_FILE).write_text("{not json")
    elif how == "config-missing":
        (folder / CONFIG_FILE).unlink()


@pytest.mark.parametrize(
    "how", ["truncated", "pickle", "wrong-shape", "nan", "wrong-format", "config-not-json", "config-missing"]
)
def test_load_refuses_broken_folders_with_a_clear_error(tmp_path, how):
    folder = make_classifier(tmp_path)
    load_classifier(folder)
    _corrupt(folder, how)
    with pytest.raises(CheckpointError, match=str(folder)):
        load_classifier(folder)


def test_the_shipped_classifier_records_at_least_99_percent():
    clf = load_classifier()
    assert clf.info["test_accuracy"] >= 0.99 and clf.info["test_images"] == 10_000
    assert (DEFAULT_DIR / CLASSIFIER_FILE).stat().st_size < 2**20


@pytest.mark.slow
def test_the_shipped_classifier_reaches_its_recorded_accuracy(full_mnist):
    clf = load_classifier()
    test = load_split("test", full_mnist)
    assert clf.accuracy(test.images, test.labels) == pytest.approx(clf.info["test_accuracy"], abs=2e-4)


def test_loading_the_classifier_leaves_torchs_global_generator_alone(tmp_path):
    from training.classifier import load_classifier

    folder = make_classifier(tmp_path / "c", seed=4)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    clf = load_classifier(folder)
    assert torch.equal(torch.random.get_rng_state(), before)
    x = (np.random.default_rng(0).random((3, 28, 28)) < 0.2).astype(np.uint8)
    np.testing.assert_array_equal(clf.run(x).features, load_classifier(folder).run(x).features)
