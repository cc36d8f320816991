import gzip
import hashlib
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import write_tiny_mnist
from training.data import FILES, DataError, IdxFile, download, load_split, write_idx


def test_tiny_files_load_and_binarise_nonzero_to_one(tmp_path):
    write_tiny_mnist(tmp_path, n_train=10, n_test=4)
    raw = np.frombuffer(gzip.decompress((tmp_path / FILES["train-images"].filename).read_bytes())[16:], np.uint8)
    split = load_split("train", tmp_path, verify=False)
    assert split.images.shape == (10, 28, 28) and split.images.dtype == np.uint8
    assert np.array_equal(split.images.ravel(), (raw > 0).astype(np.uint8))
    assert split.labels.shape == (10,)
    assert load_split("test", tmp_path, verify=False, limit=3).images.shape == (3, 28, 28)


def test_data_dir_comes_from_the_environment(tmp_path, monkeypatch):
    write_tiny_mnist(tmp_path, n_train=7)
    monkeypatch.setenv("BINARYGAN_DATA", str(tmp_path))
    assert len(load_split("train", verify=False).images) == 7


def test_checksum_is_verified_by_default(tmp_path):
    write_tiny_mnist(tmp_path)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz.*sha256"):
        load_split("train", tmp_path)


def _corrupt(tmp_path, key: str, payload: bytes, raw: bool = False):
    write_tiny_mnist(tmp_path)
    path = tmp_path / FILES[key].filename
    path.write_bytes(payload if raw else gzip.compress(payload))
    return path


@pytest.mark.parametrize(
    "key,payload,raw,message",
    [
        ("train-images", b"", True, "truncated IDX header"),
        ("train-images", b"\x1f\x8b\x08\x00garbage", True, "not a complete gzip"),
        ("train-images", struct.pack(">IIII", 0x801, 1, 28, 28) + bytes(784), False, "wrong magic"),
        ("train-images", struct.pack(">IIII", 0x803, 1, 32, 32) + bytes(1024), False, "expected 28x28"),
        ("train-images", struct.pack(">IIII", 0x803, 2, 28, 28) + bytes(784), False, "truncated or padded"),
        ("train-labels", struct.pack(">I", 0x801), False, "truncated IDX header"),
        ("test-labels", struct.pack(">II", 0x801, 64) + bytes([11]) * 64, False, "not a digit"),
    ],
)
def test_broken_files_raise_a_clear_error_naming_the_file(tmp_path, key, payload, raw, message):
    path = _corrupt(tmp_path, key, payload, raw)
    split = key.split("-")[0]
    with pytest.raises(DataError, match=message) as e:
        load_split(split, tmp_path, verify=False)
    assert path.name in str(e.value) or "labels" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_truncated_gzip_is_refused(tmp_path):
    write_tiny_mnist(tmp_path)
    path = tmp_path / FILES["train-images"].filename
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=FILES["train-images"].filename):
        load_split("train", tmp_path, verify=False)


def test_missing_file_is_named(tmp_path):
    write_tiny_mnist(tmp_path)
    (tmp_path / FILES["test-labels"].filename).unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: file not found"):
        load_split("test", tmp_path, verify=False)


def test_label_count_must_match_image_count(tmp_path):
    write_tiny_mnist(tmp_path, n_train=10)
    write_idx(tmp_path / FILES["train-labels"].filename, np.zeros(9, np.uint8))
    with pytest.raises(DataError, match="10 train images but 9 labels"):
        load_split("train", tmp_path, verify=False)


def _tiny_mirror(folder: Path) -> dict[str, IdxFile]:
    """A file:// mirror of tiny IDX files, and the FILES table that vouches for their checksums."""
    write_tiny_mnist(folder, n_train=12, n_test=5)
    return {
        key: replace(
            spec,
            sha256=hashlib.sha256(gzip.decompress((folder / spec.filename).read_bytes())).hexdigest(),
            count=12 if key.startswith("train") else 5,
        )
        for key, spec in FILES.items()
    }


def test_download_verifies_and_writes_atomically(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    monkeypatch.setattr("training.data.FILES", _tiny_mirror(mirror))
    target = tmp_path / "mnist"
    download(target, mirrors=("file:///nonexistent/", mirror.as_uri() + "/"))
    assert sorted(p.name for p in target.iterdir()) == sorted(f.filename for f in FILES.values())  # no temporaries
    assert len(load_split("test", target).images) == 5  # the checksums verified
    for spec in FILES.values():
        assert (target / spec.filename).read_bytes() == (mirror / spec.filename).read_bytes()
        assert (target / spec.filename).stat().st_mode & 0o777 == 0o644


def test_download_keeps_verified_files_and_replaces_broken_ones(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    monkeypatch.setattr("training.data.FILES", _tiny_mirror(mirror))
    target = tmp_path / "mnist"
    download(target, mirrors=(mirror.as_uri() + "/",))
    broken = target / FILES["test-labels"].filename
    broken.write_bytes(b"not gzip")
    kept = target / FILES["train-images"].filename
    before = kept.stat().st_mtime_ns
    download(target, mirrors=(mirror.as_uri() + "/",))
    assert broken.read_bytes() == (mirror / broken.name).read_bytes()
    assert kept.stat().st_mtime_ns == before


def test_download_refuses_a_mirror_serving_the_wrong_bytes(tmp_path):
    bad = tmp_path / "bad"
    write_tiny_mnist(bad)
    with pytest.raises(DataError, match="no mirror gave a verified copy"):
        download(tmp_path / "mnist", mirrors=(bad.as_uri() + "/",))
    assert not any((tmp_path / "mnist").glob("*.gz"))


@pytest.mark.slow
def test_full_mnist_matches_the_published_counts(full_mnist):
    train, test = load_split("train", full_mnist), load_split("test", full_mnist)
    assert train.images.shape == (60_000, 28, 28) and test.images.shape == (10_000, 28, 28)
    assert np.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert set(np.unique(train.images).tolist()) == {0, 1}
    assert train.sha256 == FILES["train-images"].sha256


def test_the_download_command_fetches_once_and_then_finds_the_verified_files(tmp_path, monkeypatch, capsys):
    from training.cli import main

    mirror = tmp_path / "mirror"
    monkeypatch.setattr("training.data.FILES", _tiny_mirror(mirror))
    target = tmp_path / "mnist"
    download(target, mirrors=(mirror.as_uri() + "/",))
    assert main(["download", "--data-dir", str(target)]) == 0  # verified files are kept: no mirror is asked
    assert str(target) in capsys.readouterr().out
