"""The trained critic D beside its generator: `critic.safetensors`, exported from a run's training state.

A run folder's `train_state.safetensors` holds D among G, the optimisers and the RNG. `export_critic` takes
D's weights out of it into `critic.safetensors` (fp16 by default), stamped with the generator's own config and
provenance from `config.json`, so the pair is known to come from the same epoch of the same run. Loading a critic
goes through the same hostile-file checks as a generator (training/checkpoint.py): nothing is unpickled, sizes,
dtypes, config, names, shapes and values are validated, and every error names the file.

`compare_generators` checks a retrained run against a shipped checkpoint tensor by tensor: the files themselves
embed provenance (commit, wall time), and safetensors writes metadata keys in random order, so the files' hashes
differ even when every weight is bit-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as st_save

from training.checkpoint import (
    CONFIG_FILE,
    CRITIC_FILE,
    GENERATOR_FILE,
    STATE_DTYPES,
    STATE_FILE,
    CheckpointError,
    atomic_write,
    check_state,
    inference_state,
    meta_state,
    metadata_json,
    parse_safetensors,
    read_config,
    read_regular_file,
    read_weights_file,
)
from training.config import VariantConfig
from training.networks import build_discriminator

CRITIC_FORMAT = "binarygan-critic/1"
MAX_CRITIC_BYTES = 64 * 2**20  # the largest critic (MLP) is 1.7 MB in fp32
MAX_STATE_BYTES = 256 * 2**20  # G, D and both Adam states: 17 MB for the MLP


def save_critic(
    folder: str | os.PathLike,
    D: torch.nn.Module,
    cfg: VariantConfig,
    provenance: dict[str, Any],
    dtype: torch.dtype = torch.float16,
    retrained_by: dict[str, Any] | None = None,
) -> Path:
    """Write FOLDER/critic.safetensors: D's inference state in `dtype`, with cfg and provenance as metadata, and the
    provenance of the retraining it came from when that is not the run that made the generator (adopt_critic)."""
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in inference_state(D).items()}
    metadata = {"format": CRITIC_FORMAT, "provenance": json.dumps(provenance)}  # the config is config.json's
    if retrained_by is not None:
        metadata["retrained_by"] = json.dumps(retrained_by)
    path = Path(folder) / CRITIC_FILE
    atomic_write(path, st_save(tensors, metadata=metadata))
    return path


def export_critic(
    run: str | os.PathLike, out: str | os.PathLike | None = None, dtype: torch.dtype = torch.float16
) -> Path:
    """D of RUN/train_state.safetensors -> OUT/critic.safetensors (OUT defaults to RUN); returns the path."""
    D, cfg, prov = _critic_from_state(Path(run))
    return save_critic(out if out is not None else run, D, cfg, prov, dtype)


def adopt_critic(run: str | os.PathLike, shipped: str | os.PathLike, dtype: torch.dtype = torch.float16) -> Path:
    """SHIPPED/critic.safetensors from RUN, a retraining of SHIPPED's variant with its seed whose folder still holds
    the training state. Only when RUN's generator is bit-identical to SHIPPED's is RUN's critic the one that trained
    SHIPPED's generator; it then carries SHIPPED's config and provenance, and RUN's as `retrained_by`."""
    run, shipped = Path(run), Path(shipped)
    differences = compare_generators(run, shipped)
    if differences:
        raise CheckpointError(
            f"{run}: its generator is not bit-identical to {shipped}'s ({differences[0]}; "
            f"{len(differences)} tensor(s) differ), so its critic is not the shipped generator's"
        )
    D, cfg, prov = _critic_from_state(run)
    shipped_cfg, shipped_provenance = read_config(shipped, shipped)
    if shipped_cfg != cfg:
        raise CheckpointError(f"{run}: its config differs from {shipped / CONFIG_FILE}")
    return save_critic(shipped, D, cfg, shipped_provenance, dtype, retrained_by=prov)


def _critic_from_state(run: Path) -> tuple[torch.nn.Module, VariantConfig, dict[str, Any]]:
    """(D, config, the generator's provenance) from RUN's training state.

    Refused unless the state is the same epoch, config and seed as RUN/config.json's generator: the trainer writes
    the generator before the state, so a run caught between the two (or a mismatched folder) is an error."""
    state_path = run / STATE_FILE
    cfg, prov = read_config(run, run)
    tensors, metadata = parse_safetensors(
        read_regular_file(state_path, run, "training state", MAX_STATE_BYTES), str(state_path), STATE_DTYPES
    )
    meta = metadata_json(metadata, "state", str(state_path))
    progress = meta.get("progress") if isinstance(meta, dict) else None
    if not isinstance(progress, dict):
        raise CheckpointError(f"{state_path}: metadata has no training progress")
    if (
        progress.get("config") != cfg.to_dict()
        or progress.get("epoch") != prov.get("epoch")
        or progress.get("seed") != prov.get("seed")
    ):
        raise CheckpointError(
            f"{state_path}: epoch {progress.get('epoch')!r} (seed {progress.get('seed')!r}) does not "
            f"match the generator in {run / CONFIG_FILE} (epoch {prov.get('epoch')!r}, seed "
            f"{prov.get('seed')!r}); a run still training may be between two writes, try again"
        )
    D = build_discriminator(cfg)
    state = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")}
    check_state(
        {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")},
        inference_state(D),
        f"{state_path} (D)",
    )
    D.load_state_dict(state, strict=False)  # BatchNorm batch counters are not needed
    return D, cfg, prov


def load_critic_checkpoint(
    folder: str | os.PathLike, root: str | os.PathLike | None = None
) -> tuple[VariantConfig, dict[str, torch.Tensor], dict[str, Any]]:
    """Validate FOLDER/critic.safetensors against the architecture its config describes and against the
    generator's config.json beside it; return (config, state dict as stored, provenance)."""
    folder = Path(folder)
    root = Path(root) if root is not None else folder
    path = folder / CRITIC_FILE
    tensors, provenance = read_weights_file(path, root, CRITIC_FORMAT, "critic", MAX_CRITIC_BYTES)
    cfg, side_provenance = read_config(folder, root)
    if side_provenance != provenance:
        raise CheckpointError(
            f"{path}: its provenance differs from the generator's {folder / CONFIG_FILE}; "
            f"the critic belongs to another run or epoch"
        )
    check_state(tensors, meta_state(lambda: build_discriminator(cfg)), str(path))
    return cfg, tensors, provenance


def _bytes(t: torch.Tensor) -> torch.Tensor:
    return t.contiguous().reshape(-1).view(torch.uint8)


def generator_digest(folder: str | os.PathLike) -> str:
    """sha256 of FOLDER's generator tensors: each name, dtype, shape and bytes, in name order. The file's own sha256
    cannot say whether two runs trained the same weights: its metadata holds the run's wall time and command, and
    safetensors writes the metadata in no fixed order."""
    path = Path(folder) / GENERATOR_FILE
    tensors = parse_safetensors(read_regular_file(path, Path(folder)), str(path))[0]
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key]
        h.update(f"{key} {str(t.dtype).removeprefix('torch.')} {list(t.shape)}\n".encode())
        h.update(_bytes(t).numpy().tobytes())
    return h.hexdigest()


def compare_generators(run: str | os.PathLike, shipped: str | os.PathLike) -> list[str]:
    """One line per difference between the generator tensors of two checkpoint folders; [] when every tensor has
    the same name, dtype, shape and bytes. The files' provenance metadata is ignored on purpose."""
    found = []
    for folder in (Path(run), Path(shipped)):
        path = folder / GENERATOR_FILE
        found.append(parse_safetensors(read_regular_file(path, folder), str(path))[0])
    a, b = found
    lines = [f"{k}: only in {run}" for k in sorted(set(a) - set(b))]
    lines += [f"{k}: only in {shipped}" for k in sorted(set(b) - set(a))]
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        if x.dtype != y.dtype or x.shape != y.shape:
            lines.append(f"{key}: {x.dtype} {tuple(x.shape)} against {y.dtype} {tuple(y.shape)}")
        elif not torch.equal(_bytes(x), _bytes(y)):  # bytes, not values: NaN and -0.0 count too
            diff = (x.float() - y.float()).abs()
            lines.append(
                f"{key}: {int((diff > 0).sum())} of {x.numel()} values differ, max |difference| {float(diff.max()):.3g}"
            )
    return lines


def main_critic(args: Any) -> int:
    """`python -m training critic RUN...`: write each RUN/critic.safetensors (or --out's) from its training state."""
    if (args.out is not None or args.adopt_for is not None) and len(args.runs) != 1:
        raise CheckpointError("--out and --for take one run folder at a time")
    dtype = torch.float32 if args.fp32 else torch.float16
    for run in args.runs:
        if args.adopt_for is not None:
            path = adopt_critic(run, args.adopt_for, dtype)
            print(f"{path}: the critic of {run}, whose generator is bit-identical to {args.adopt_for}'s")
            continue
        path = export_critic(run, args.out, dtype)
        print(f"{path}: the critic of {run} ({path.stat().st_size / 2**20:.2f} MiB)")
    return 0


def main_compare(args: Any) -> int:
    """`python -m training compare RUN SHIPPED`: are RUN's generator tensors bit-identical to SHIPPED's?"""
    from training.manifest import MANIFEST_FILE, check_manifest

    shipped = Path(args.shipped)
    if (shipped.parent / MANIFEST_FILE).is_file():
        rel = f"{shipped.name}/{GENERATOR_FILE}"
        problems = [p[len(rel) + 2 :] for p in check_manifest(shipped.parent) if p.startswith(rel + ":")]
        print(f"{shipped / GENERATOR_FILE}: " + ("; ".join(problems) if problems else f"matches {MANIFEST_FILE}"))
        if problems:
            return 1
    lines = compare_generators(args.run, shipped)
    for line in lines:
        print(line)
    n = len(parse_safetensors(read_regular_file(shipped / GENERATOR_FILE, shipped), str(shipped))[0])
    print(
        f"{args.run} against {shipped}: "
        + (f"{len(lines)} of {n} tensors differ" if lines else f"all {n} generator tensors are bit-identical")
    )
    return 1 if lines else 0
