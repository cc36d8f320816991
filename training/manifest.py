"""checkpoints/manifest.json: every shipped file with its sha256 and size, so a checkout can be verified.

The manifest lists every regular file under the checkpoints folder except itself, with POSIX relative
paths in sorted order; `check_manifest` reports missing, changed and unlisted files. The same file heads a
Hub repository (training.publish), where it comes with the download, so `read_manifest` validates it as
strictly as any other file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from training.checkpoint import CheckpointError, atomic_write_json, checkpoints_root

MANIFEST_FILE = "manifest.json"
BUDGET_BYTES = 200 * 2**20  # the size budget for everything under checkpoints/ (docs/reproducing.md)
MANIFEST_MAX_BYTES = 4 * 2**20
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(CheckpointError):
    """A manifest that is missing or malformed, or files that disagree with it."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def is_safe_relpath(rel: Any) -> bool:
    """A relative, "/"-separated path that stays inside its folder."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return not rel.startswith("/") and all(p not in ("", ".", "..") for p in parts) and "/".join(parts) == rel


def list_files(root: Path) -> list[Path]:
    """Every entry under `root` except the manifest, as paths relative to `root`; links count as files
    here so that check_manifest can refuse them."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(root)
            if rel != Path(MANIFEST_FILE):
                out.append(rel)
    return sorted(out, key=lambda p: p.as_posix())


def build_manifest(root: str | os.PathLike) -> dict[str, Any]:
    root = Path(root)
    files = {}
    for rel in list_files(root):
        path = root / rel
        if path.is_symlink() or not path.is_file():
            raise ManifestError(f"{path}: not a regular file; checkpoints/ ships regular files only")
        files[rel.as_posix()] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return {"files": files, "total_bytes": sum(f["size"] for f in files.values())}


def write_manifest(root: str | os.PathLike) -> dict[str, Any]:
    manifest = build_manifest(root)
    atomic_write_json(Path(root) / MANIFEST_FILE, manifest)
    return manifest


def read_manifest(root: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The validated file table {relative path: {"sha256", "size"}} of root/manifest.json."""
    path = Path(root) / MANIFEST_FILE
    try:
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            raise ManifestError(f"{path}: larger than a manifest can be ({MANIFEST_MAX_BYTES} bytes)")
        doc = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(
            f"{path}: cannot read the manifest ({e}); write it with `python -m training manifest`"
        ) from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        raise ManifestError(f'{path}: expected {{"files": {{path: {{"sha256": ..., "size": ...}}}}}}')
    for rel, entry in files.items():
        if not is_safe_relpath(rel):
            raise ManifestError(f"{path}: entry {rel!r} is not a relative path inside the repository")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not _SHA256.fullmatch(entry["sha256"])
            or isinstance(entry.get("size"), bool)
            or not isinstance(entry.get("size"), int)
            or entry["size"] < 0
        ):
            raise ManifestError(f"{path}: entry {rel!r} needs a lowercase hex sha256 and a size in bytes")
    return files


def check_manifest(root: str | os.PathLike) -> list[str]:
    """One line per problem: a listed file missing or changed, an unlisted file, a link; [] when all agree."""
    root = Path(root)
    listed = read_manifest(root)
    problems = []
    for rel, entry in sorted(listed.items()):
        path = root / rel
        if path.is_symlink() or not path.is_file():
            problems.append(f"{rel}: listed but {'a link' if path.is_symlink() else 'missing'}")
        elif path.stat().st_size != entry["size"]:
            problems.append(f"{rel}: {path.stat().st_size} bytes, manifest says {entry['size']}")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{rel}: sha256 differs from the manifest")
    problems += [f"{rel.as_posix()}: not in the manifest" for rel in list_files(root) if rel.as_posix() not in listed]
    return problems


def total_bytes(root: str | os.PathLike) -> int:
    """Everything under `root`, the manifest included."""
    root = Path(root)
    return sum((root / rel).lstat().st_size for rel in list_files(root)) + (
        (root / MANIFEST_FILE).stat().st_size if (root / MANIFEST_FILE).is_file() else 0
    )


def main_manifest(args) -> int:
    root = args.checkpoints or checkpoints_root()
    if args.check:
        problems = check_manifest(root)
        for line in problems:
            print(line)
        if problems:
            return 1
        print(f"{root}: every file matches {MANIFEST_FILE}")
        return 0
    manifest = write_manifest(root)
    print(
        f"{root / MANIFEST_FILE}: {len(manifest['files'])} files, {manifest['total_bytes'] / 2**20:.1f} MiB "
        f"(budget {BUDGET_BYTES / 2**20:.0f} MiB)"
    )
    return 0 if total_bytes(root) <= BUDGET_BYTES else 1
