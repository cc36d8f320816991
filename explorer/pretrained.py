"""Loading a BinaryGAN generator the way Hugging Face users load models, in two lines:

    from explorer import BinaryGAN
    g = BinaryGAN.from_pretrained("binarygan-explorer/binarygan-mnist", variant="mlp-dbn-wgan-gp")

`from_pretrained` follows `huggingface_hub.PyTorchModelHubMixin.from_pretrained` (a repository id or a local
folder; `revision`, `cache_dir`, `force_download`, `token`, `local_files_only`) and adds what a repository of many
models needs: `variant` (a folder of the repository) and `epoch` (one of its snapshots). Only that variant's files
are downloaded, in one `snapshot_download`, and each one is checked against the repository's `manifest.json`
(sha256 and size) before anything loads it. Nothing is unpickled: the weights are safetensors.
"""

from __future__ import annotations

import os
from pathlib import Path

from explorer import hub
from training.checkpoint import CheckpointNotFound, generator_folder, load_checkpoint
from training.config import REGISTRY
from training.hubrepo import DEFAULT_HUB_REPO, HUB_REVISION, check_repo_id, check_revision
from training.manifest import MANIFEST_FILE, read_manifest
from training.sampling import LoadedGenerator

DEFAULT_VARIANT = "mlp-dbn-wgan-gp"


class BinaryGAN(LoadedGenerator):
    """A trained BinaryGAN generator (a `training.sampling.LoadedGenerator`: `sample`, `decode`, `logits`)."""

    @classmethod
    def from_pretrained(
        cls,
        repo_id: str | os.PathLike = DEFAULT_HUB_REPO,
        variant: str = DEFAULT_VARIANT,
        *,
        revision: str | None = None,
        epoch: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        force_download: bool = False,
        token: bool | str | None = None,
        local_files_only: bool = False,
    ) -> BinaryGAN:
        """The generator `variant` of Hub repository `repo_id` at `revision` (default: the tag this code pins,
        training.hubrepo.HUB_REVISION), or of a local folder laid out like one (`publish --dry-run --out DIR`,
        or `checkpoints/`). `epoch` picks a shipped snapshot. The token is `token`, else `HF_TOKEN`, else the one
        saved by `hf auth login`; `HF_HUB_OFFLINE=1` or `local_files_only=True` read the cache only.

        Raises CheckpointNotFound (the variant, epoch, revision or repository is not there) or CheckpointError
        (a file does not match the manifest)."""
        if variant not in REGISTRY:
            raise CheckpointNotFound(
                f"{variant!r} is not a BinaryGAN variant; `binarygan list` names all {len(REGISTRY)}"
            )
        text = os.fspath(repo_id)
        if Path(text).is_dir():
            root = Path(text)
            run = root / variant
            if (root / MANIFEST_FILE).is_file():  # a published folder vouches for its files
                wanted = {rel: e for rel, e in read_manifest(root).items() if rel.startswith(f"{variant}/")}
                hub.verify_files(root, wanted, str(root), "Rebuild the folder (publish --dry-run) or re-download it")
        else:
            src = hub.HubSource(
                check_repo_id(text),
                check_revision(revision or HUB_REVISION),
                os.fspath(cache_dir) if cache_dir is not None else None,
                token,
                local_files_only,
                force_download,
            )
            run, root = hub.fetch_variant(variant, src=src)
        folder = generator_folder(run, epoch, variant)
        cfg, state, provenance = load_checkpoint(folder, root)
        return cls(cfg.to_dict(), state, provenance, str(folder))
