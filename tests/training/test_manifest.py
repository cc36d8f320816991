"""The manifest of checkpoints/: the real folder against its manifest, the size budget, and the checker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.checkpoint import CheckpointError
from training.cli import main
from training.manifest import (
    BUDGET_BYTES,
    MANIFEST_FILE,
    ManifestError,
    check_manifest,
    read_manifest,
    total_bytes,
    write_manifest,
)

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def test_checkpoints_match_their_manifest():
    assert (CHECKPOINTS / MANIFEST_FILE).is_file(), "write it with `python -m training manifest`"
    assert check_manifest(CHECKPOINTS) == []


def test_checkpoints_stay_within_the_size_budget():
    assert total_bytes(CHECKPOINTS) <= BUDGET_BYTES


def test_check_finds_changed_missing_and_unlisted_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"1234")
    (tmp_path / "y.json").write_text("{}")
    manifest = write_manifest(tmp_path)
    assert manifest["files"]["a/x.bin"]["size"] == 4 and manifest["total_bytes"] == 6
    assert check_manifest(tmp_path) == []
    (tmp_path / "a" / "x.bin").write_bytes(b"1235")  # same size, other content
    (tmp_path / "y.json").unlink()
    (tmp_path / ".stray.tmp").write_text("")
    assert check_manifest(tmp_path) == [
        "a/x.bin: sha256 differs from the manifest",
        "y.json: listed but missing",
        ".stray.tmp: not in the manifest",
    ]


def test_links_are_refused(tmp_path):
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(ManifestError, match="not a regular file"):
        write_manifest(tmp_path)


def test_a_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ManifestError, match="python -m training manifest"):
        check_manifest(tmp_path)


def test_manifest_cli_writes_then_checks(tmp_path, capsys):
    (tmp_path / "f.bin").write_bytes(b"\0" * 10)
    assert main(["manifest", "--checkpoints", str(tmp_path)]) == 0
    assert main(["manifest", "--checkpoints", str(tmp_path), "--check"]) == 0
    (tmp_path / "g.bin").write_bytes(b"")
    assert main(["manifest", "--checkpoints", str(tmp_path), "--check"]) == 1
    assert "g.bin: not in the manifest" in capsys.readouterr().out


def test_a_malformed_manifest_is_refused(tmp_path):
    bad = {"files": {"../outside": {"sha256": "0" * 64, "size": 1}}}
    (tmp_path / "manifest.json").write_text(json.dumps(bad))
    with pytest.raises(ManifestError, match="not a relative path inside the repository"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {"a": {"sha256": "XYZ", "size": 1}}}))
    with pytest.raises(ManifestError, match="lowercase hex sha256"):
        read_manifest(tmp_path)
    assert issubclass(ManifestError, CheckpointError)  # a Hub download's bad manifest is a bad checkpoint
