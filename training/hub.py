"""Checkpoints from the Hugging Face Hub: download through the standard cache, verify, report progress.

Where checkpoints come from (`locate`, which training.pretrained's from_pretrained reads through):
1. the local checkpoints folder (`checkpoints/`, or `$BINARYGAN_CHECKPOINTS`) when it holds any checkpoint;
2. otherwise the Hub model repository `$BINARYGAN_HUB_REPO` at the pinned revision `$BINARYGAN_HUB_REVISION`,
   downloaded into the standard cache (`HF_HOME` / `HF_HUB_CACHE`), which also honours `HF_HUB_OFFLINE`, `HF_TOKEN`
   and a token saved by `hf auth login`: the manifest with `hf_hub_download`, then the files wanted (one variant,
   or all) in one `snapshot_download` (parallel, resumable, with the library's progress bars).

The repository's `manifest.json` lists every file with its sha256 and size; each downloaded file is checked
against it before anything loads it, and a mismatch raises CheckpointError naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from training.checkpoint import (
    CHECKPOINTS_ENV,
    GENERATOR_FILE,
    CheckpointError,
    CheckpointNotFound,
    checkpoints_root,
    generator_folder,
    local_run,
)
from training.hubrepo import HUB_REPO_ENV, HUB_REVISION, HUB_REVISION_ENV, check_repo_id, check_revision, hub_repo
from training.manifest import MANIFEST_FILE, read_manifest, sha256_file
from training.variants import REGISTRY

DEFAULT_VARIANT = "mlp-dbn-wgan-gp"


@dataclass(frozen=True)
class DownloadProgress:
    """Where a Hub fetch stands; sizes come from the manifest, so `total_bytes` is known from the start."""

    done_files: int
    total_files: int
    done_bytes: int
    total_bytes: int
    current: str  # the file just made available locally ("" before the first one)

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0

    @property
    def text(self) -> str:
        return (
            f"Checkpoints from the Hugging Face Hub: {self.done_files}/{self.total_files} files, "
            f"{self.done_bytes / 2**20:.1f} of {self.total_bytes / 2**20:.1f} MB"
        )


ProgressCallback = Callable[[DownloadProgress], None]
# load_generator(name) has no progress parameter, so callers (the dashboard) register one for a block of code.
# A ContextVar keeps concurrent Streamlit sessions (one thread each) from seeing each other's callbacks.
_progress: ContextVar[ProgressCallback | None] = ContextVar("binarygan_hub_progress", default=None)


@contextmanager
def download_progress(callback: ProgressCallback) -> Iterator[None]:
    """Within the block, Hub fetches in this thread report to `callback` (called in this thread)."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def has_local_checkpoints(root: Path) -> bool:
    """True when `root` holds at least one variant checkpoint; a missing or empty folder defers to the Hub."""
    return any((root / name / GENERATOR_FILE).exists() for name in REGISTRY)


# ---------------------------------------------------------------------------------------------------
# Verifying what the cache holds against the manifest (training.manifest), which came with the download.
# ---------------------------------------------------------------------------------------------------

# Hashes of files already checked in this process, keyed by what changes when a file is rewritten;
# the dashboard resolves the same checkpoints over and over.
_verified: dict[tuple[str, int, int, str], bool] = {}


def verify_files(base: Path, entries: dict[str, dict[str, Any]], where: str, remedy: str) -> None:
    """Every `entries` path under `base` exists with the listed size and sha256, else CheckpointError
    naming the file and ending with `remedy` (what to do about it)."""
    for rel, entry in sorted(entries.items()):
        path = base / rel
        if not path.is_file():
            raise CheckpointError(f"{where}: {rel} is listed in the manifest but missing from {base}")
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, entry["sha256"])
        if key in _verified:
            continue
        got = sha256_file(path) if st.st_size == entry["size"] else None
        if got != entry["sha256"]:
            found = f"sha256 {got}" if got else f"{st.st_size} bytes"
            expected = f"sha256 {entry['sha256']}" if got else f"{entry['size']} bytes"
            raise CheckpointError(
                f"{where}: {rel} does not match the manifest ({found}, expected {expected}); "
                f"the file was altered or corrupted, so it is not used. {remedy}"
            )
        _verified[key] = True


# ---------------------------------------------------------------------------------------------------
# Fetching from the Hub.
# ---------------------------------------------------------------------------------------------------


# (repo id, revision, cache folder) -> the commit that revision named when this process first resolved it. A tag (the
# pinned HUB_REVISION) is resolved once; after that every file comes from that commit, so serving makes no request.
_commits: dict[tuple[str, str, str | None], str] = {}


@dataclass(frozen=True)
class HubSource:
    """Which repository and revision to fetch, and how: the keyword arguments of huggingface_hub's downloads."""

    repo_id: str
    revision: str
    cache_dir: str | None = None
    token: bool | str | None = None
    local_files_only: bool = False
    force_download: bool = False

    @property
    def where(self) -> str:
        return f"Hugging Face Hub repository {self.repo_id} at revision {self.revision}"


def default_source() -> HubSource:
    """The repository and pinned revision from the environment (training.hubrepo.hub_repo)."""
    return HubSource(*hub_repo())


def _not_cached(src: HubSource, filename: str) -> CheckpointNotFound:
    """The error for a file the cache lacks and the Hub cannot supply, saying why it was not downloaded."""
    from huggingface_hub import constants

    why = (
        "HF_HUB_OFFLINE is set"
        if constants.HF_HUB_OFFLINE
        else "local_files_only is set"
        if src.local_files_only
        else "the Hub could not be reached"
    )
    return CheckpointNotFound(
        f"{src.where}: {filename} is not in the Hugging Face cache ({src.cache_dir or constants.HF_HUB_CACHE}) and "
        f"{why}. Checkpoints on this machine load from their folder, e.g. "
        f"BinaryGAN.from_pretrained('checkpoints/{DEFAULT_VARIANT}'), or from {CHECKPOINTS_ENV}=path/to/checkpoints"
    )


_reachable: dict[str, bool] = {}  # endpoint -> whether it answered, asked once per process


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the Hub's endpoint accepts a connection: asked once, so that an offline machine fails at once
    instead of through the client's five retries with backoff (26 s)."""
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    endpoint = constants.ENDPOINT
    if endpoint not in _reachable:
        url = urlsplit(endpoint)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            socket.create_connection((url.hostname or "", port), timeout=timeout_s).close()
            _reachable[endpoint] = True
        except OSError:
            _reachable[endpoint] = False
    return _reachable[endpoint]


@contextmanager
def _client_errors(src: HubSource, filename: str) -> Iterator[None]:
    """The client's errors turned into messages that say what to do."""

    # from .utils, not .errors: the errors module lacks some of them before huggingface_hub 0.25
    from huggingface_hub.utils import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = src.where
    try:
        yield
    except LocalEntryNotFoundError:  # before EntryNotFoundError, its base class
        raise _not_cached(src, filename) from None
    except RepositoryNotFoundError:
        raise CheckpointNotFound(
            f"{where}: no such repository, or it is private or gated (set HF_TOKEN or run "
            f"`hf auth login`); set {HUB_REPO_ENV} to a published BinaryGAN repository"
        ) from None
    except RevisionNotFoundError:
        raise CheckpointNotFound(f"{where}: the repository has no such revision; set {HUB_REVISION_ENV}") from None
    except EntryNotFoundError:
        raise CheckpointNotFound(f"{where}: the repository has no file {filename}") from None
    except HfHubHTTPError as e:
        raise CheckpointError(f"{where}: downloading {filename} failed ({e})") from None


def _download(src: HubSource, filename: str) -> Path:
    """hf_hub_download of one file (the manifest) at the source's revision."""
    from huggingface_hub import hf_hub_download

    with _client_errors(src, filename):
        return Path(
            hf_hub_download(
                src.repo_id,
                filename,
                revision=src.revision,
                cache_dir=src.cache_dir,
                token=src.token,
                local_files_only=src.local_files_only or not hub_reachable(),  # the cache still serves offline
                force_download=src.force_download,
            )
        )


def _progress_bar(snapshot: Path, wanted: dict[str, dict[str, Any]], report: ProgressCallback):
    """A tqdm class for snapshot_download: its file-count bar advances in the calling thread (tqdm's thread_map
    iterates there) after each file lands, and each advance is reported with the bytes present so far."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    total = sum(e["size"] for e in wanted.values())

    class Reporting(hf_tqdm):
        def __init__(self, *args: Any, **kwargs: Any):
            # the byte bars (unit "B") advance from the worker threads; the file bar is ours. Read from the
            # arguments: a disabled tqdm (no terminal, or HF_HUB_DISABLE_PROGRESS_BARS) keeps no attributes.
            self._counts_files = kwargs.get("unit", "it") != "B"
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if self._counts_files:
                present = [rel for rel in wanted if (snapshot / rel).is_file()]
                report(
                    DownloadProgress(
                        len(present),
                        len(wanted),
                        sum(wanted[r]["size"] for r in present),
                        total,
                        present[-1] if present else "",
                    )
                )
            return shown

    return Reporting


def _fetch(
    select: Callable[[str], bool], what: str, progress: ProgressCallback | None, src: HubSource | None = None
) -> Path:
    """Download the manifest, then the manifest's files that `select` accepts in one parallel
    `snapshot_download`, verify them all, return the cached snapshot folder."""
    from huggingface_hub import constants, snapshot_download

    src = src or default_source()
    key = (src.repo_id, src.revision, src.cache_dir or constants.HF_HUB_CACHE)
    pinned = None if src.force_download else _commits.get(key)
    # a commit hash is immutable: the client reads its files from the cache without asking the Hub
    manifest_path = _download(replace(src, revision=pinned) if pinned else src, MANIFEST_FILE)
    snapshot = manifest_path.parent  # <cache>/models--ORG--NAME/snapshots/<commit>
    _commits[key] = snapshot.name
    manifest = read_manifest(snapshot)
    wanted = {rel: entry for rel, entry in sorted(manifest.items()) if select(rel)}
    if not wanted:
        raise CheckpointNotFound(f"{what}: not trained yet (not in the {src.where})")
    report = progress or _progress.get()
    total = sum(e["size"] for e in wanted.values())
    missing = [rel for rel in wanted if not (snapshot / rel).is_file()]
    if report:
        report(
            DownloadProgress(
                len(wanted) - len(missing), len(wanted), total - sum(wanted[r]["size"] for r in missing), total, ""
            )
        )
    if missing or src.force_download:
        # By commit, not by the tag: every file then comes from the manifest's own commit, even if the tag moves
        # mid-download. Exact paths as patterns: only the manifest's files, only the variant asked for.
        with _client_errors(src, missing[0] if missing else MANIFEST_FILE):
            snapshot_download(
                src.repo_id,
                revision=snapshot.name,
                allow_patterns=sorted(wanted),
                cache_dir=src.cache_dir,
                token=src.token,
                local_files_only=src.local_files_only,
                force_download=src.force_download,
                tqdm_class=_progress_bar(snapshot, wanted, report) if report else None,
            )
        still = [rel for rel in wanted if not (snapshot / rel).is_file()]
        if still:
            raise _not_cached(src, still[0])
        if report:
            report(DownloadProgress(len(wanted), len(wanted), total, total, missing[-1] if missing else ""))
    verify_files(
        snapshot,
        wanted,
        src.where,
        f"Delete the repository's cache folder {snapshot.parent.parent} so that the next load downloads it afresh",
    )
    return snapshot


def fetch_variant(
    name: str, progress: ProgressCallback | None = None, src: HubSource | None = None
) -> tuple[Path, Path]:
    """(checkpoint folder, root that bounds its files) of one variant from the Hub, verified; only its files
    are downloaded.

    The root is the repository's cache folder: the snapshot's files are links into its `blobs/`."""
    snapshot = _fetch(lambda rel: rel.startswith(f"{name}/"), name, progress, src)
    return snapshot / name, snapshot.parent.parent


def locate(
    name_or_path: str | os.PathLike,
    variant: str | None = None,
    *,
    epoch: int | None = None,
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
    token: bool | str | None = None,
    local_files_only: bool = False,
    model_file: str = GENERATOR_FILE,
) -> tuple[Path, Path]:
    """(checkpoint folder, root its files must stay inside) for what training.pretrained's from_pretrained is given;
    `model_file` is the file of the model asked for (generator_folder)."""
    text = os.fspath(name_or_path)
    if variant is not None and variant not in REGISTRY:
        raise CheckpointNotFound(f"{variant!r} is not a BinaryGAN variant; `binarygan list` names all {len(REGISTRY)}")
    if variant is None and text in REGISTRY:
        root = checkpoints_root()
        run, root = (root / text, root) if has_local_checkpoints(root) else fetch_variant(text)
        return generator_folder(run, epoch, text, model_file=model_file), root
    if variant is not None and Path(text).is_dir():
        root = Path(text)
        if (root / MANIFEST_FILE).is_file():  # a published folder vouches for its files
            wanted = {rel: e for rel, e in read_manifest(root).items() if rel.startswith(f"{variant}/")}
            verify_files(root, wanted, text, "Rebuild the folder (publish --dry-run) or re-download it")
        return generator_folder(root / variant, epoch, variant, model_file=model_file), root
    if variant is None:  # a checkpoint folder, or a bare unknown variant name (refused with the known ones)
        try:
            run = local_run(text)
        except CheckpointNotFound as e:
            raise CheckpointNotFound(f"{e} (a Hugging Face Hub repository id needs variant=...)") from None
        return generator_folder(run, epoch, text, model_file=model_file), run
    src = HubSource(
        check_repo_id(text),
        check_revision(revision or HUB_REVISION),
        os.fspath(cache_dir) if cache_dir is not None else None,
        token,
        local_files_only,
        force_download,
    )
    run, root = fetch_variant(variant, src=src)
    return generator_folder(run, epoch, variant, model_file=model_file), root


def checkpoints_dir(progress: ProgressCallback | None = None, src: HubSource | None = None) -> Path:
    """The folder to read checkpoints, metrics.json, the classifier etc. from: the local checkpoints folder
    when it holds any checkpoint, else the whole Hub repository (downloaded once, then from the cache)."""
    root = checkpoints_root()
    if has_local_checkpoints(root):
        return root
    return _fetch(lambda rel: True, "the checkpoints", progress, src)


def preload() -> Path | None:
    """The Space's build step: every file of the pinned campaign into the Hugging Face cache, verified, so that the
    first visit downloads nothing. None (nothing to do) when the local checkpoints folder holds checkpoints."""
    if has_local_checkpoints(checkpoints_root()):
        return None
    return checkpoints_dir()


def main(argv: list[str] | None = None) -> int:
    """`python -m training.hub --preload`: run by the Dockerfile at build time (see docs/hub.md, "The Space")."""
    import argparse
    import sys

    from training.hubrepo import HubConfigError

    parser = argparse.ArgumentParser(prog="python -m training.hub", description=main.__doc__)
    parser.add_argument(
        "--preload",
        action="store_true",
        required=True,
        help="download and verify the pinned campaign into the Hugging Face cache",
    )
    parser.parse_args(argv)
    try:
        folder = preload()
    except (CheckpointError, HubConfigError) as e:  # CheckpointNotFound included
        print(f"preload failed: {e}", file=sys.stderr)
        return 1
    if folder is None:
        print(f"{checkpoints_root()} holds checkpoints: the app reads them, nothing to preload")
    else:
        src = default_source()
        print(f"preloaded {len(read_manifest(folder))} files of {src.repo_id} at {src.revision} into {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
