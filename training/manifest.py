"""checkpoints/manifest.json: every shipped file with its sha256 and size, so a checkout can be verified.

The manifest lists every regular file under the checkpoints folder except itself, with POSIX relative
paths in sorted order; `check_manifest` reports missing, changed and unlisted files.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from training.checkpoint import atomic_write_json

MANIFEST_NAME = "manifest.json"
BUDGET_BYTES = 96 * 2**20  # the size budget for everything under checkpoints/


class ManifestError(ValueError):
    """A manifest that is missing or malformed, or files that disagree with it."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def list_files(root: Path) -> list[Path]:
    """Every entry under `root` except the manifest, as paths relative to `root`; links count as files
    here so that check_manifest can refuse them."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(root)
            if rel != Path(MANIFEST_NAME):
                out.append(rel)
    return sorted(out, key=lambda p: p.as_posix())


def build_manifest(root: str | os.PathLike) -> dict[str, Any]:
    root = Path(root)
    files = {}
    for rel in list_files(root):
        path = root / rel
        if path.is_symlink() or not path.is_file():
            raise ManifestError(f"{path}: not a regular file; checkpoints/ ships regular files only")
        files[rel.as_posix()] = {"sha256": _sha256(path), "size": path.stat().st_size}
    return {"files": files, "total_bytes": sum(f["size"] for f in files.values())}


def write_manifest(root: str | os.PathLike) -> dict[str, Any]:
    manifest = build_manifest(root)
    atomic_write_json(Path(root) / MANIFEST_NAME, manifest)
    return manifest


def read_manifest(root: str | os.PathLike) -> dict[str, Any]:
    path = Path(root) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{path}: cannot read the manifest ({e}); write it with `python -m training manifest`") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
            for v in files.values()):
        raise ManifestError(f"{path}: expected {{'files': {{path: {{'sha256': str, 'size': int}}}}}}")
    return manifest


def check_manifest(root: str | os.PathLike) -> list[str]:
    """One line per problem: a listed file missing or changed, an unlisted file, a link; [] when all agree."""
    root = Path(root)
    listed = read_manifest(root)["files"]
    problems = []
    for rel, entry in sorted(listed.items()):
        path = root / rel
        if path.is_symlink() or not path.is_file():
            problems.append(f"{rel}: listed but {'a link' if path.is_symlink() else 'missing'}")
        elif path.stat().st_size != entry["size"]:
            problems.append(f"{rel}: {path.stat().st_size} bytes, manifest says {entry['size']}")
        elif _sha256(path) != entry["sha256"]:
            problems.append(f"{rel}: sha256 differs from the manifest")
    problems += [f"{rel.as_posix()}: not in the manifest" for rel in list_files(root) if rel.as_posix() not in listed]
    return problems


def total_bytes(root: str | os.PathLike) -> int:
    """Everything under `root`, the manifest included."""
    root = Path(root)
    return sum((root / rel).lstat().st_size for rel in list_files(root)) + (
        (root / MANIFEST_NAME).stat().st_size if (root / MANIFEST_NAME).is_file() else 0)


def main_manifest(args) -> int:
    from explorer.generator import checkpoints_root

    root = args.checkpoints or checkpoints_root()
    if args.check:
        problems = check_manifest(root)
        for line in problems:
            print(line)
        if problems:
            return 1
        print(f"{root}: every file matches {MANIFEST_NAME}")
        return 0
    manifest = write_manifest(root)
    print(f"{root / MANIFEST_NAME}: {len(manifest['files'])} files, {manifest['total_bytes'] / 2**20:.1f} MiB "
          f"(budget {BUDGET_BYTES / 2**20:.0f} MiB)")
    return 0 if total_bytes(root) <= BUDGET_BYTES else 1
