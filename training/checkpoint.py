"""Checkpoint folders: `generator.safetensors` (weights + provenance metadata) beside `config.json`.

The layout of a run folder and of the checkpoints folder is spelled here once; every other module uses these
names. Every file is treated as hostile: nothing is unpickled, and everything is validated before a model is
built. Any problem raises CheckpointError, whose message names the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from safetensors import SafetensorError

from training.config import VariantConfig
from training.variants import REGISTRY, get_variant

if TYPE_CHECKING:  # torch is imported where tensors are made: the dashboard's first page reads only JSON
    import torch

# A run folder (RUNS/NAME while training, CHECKPOINTS/NAME once shipped, a Hub repository's NAME/):
GENERATOR_FILE = "generator.safetensors"  # the loadable checkpoint: weights and provenance
CONFIG_FILE = "config.json"  # the same config and provenance, readable without safetensors
METRICS_FILE = "metrics.json"  # the full evaluation (training.evaluate)
HISTORY_FILE = "history.json"  # one record per epoch
STEPS_FILE = "steps.csv"  # the losses of every generator step
STATE_FILE = "train_state.safetensors"  # everything --resume needs; never shipped
CRITIC_FILE = "critic.safetensors"  # the critic at the generator's epoch, exported from STATE_FILE (training.critic)
ESTIMATOR_LAB_FILE = "estimator-lab.json"  # the gradient lab's estimator study of the variant (explorer.estimator_lab)
SNAPSHOTS_DIR = "snapshots"  # snapshots/epoch-NNN/ holds GENERATOR_FILE and CONFIG_FILE after epoch NNN
SEEDS_DIR = "seeds"  # once shipped, seeds/seed-N/ holds METRICS_FILE and HISTORY_FILE of training seed N (no weights)
# The checkpoints folder: one run folder per variant, plus
TABLE_CSV_FILE = "metrics.csv"  # METRICS_FILE at the root is the table over all variants; this is its CSV
GRADLAB_COMPARISON_FILE = "gradlab-comparison.json"  # the comparison of every variant (explorer.gradient_lab)
CLASSIFIER_DIR = "classifier"  # the evaluation classifier (training.classifier)
CHECKPOINTS_ENV = "BINARYGAN_CHECKPOINTS"
REPO_CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"

FORMAT = "binarygan-generator/1"
MAX_FILE_BYTES = 64 * 2**20  # the largest generator is 3.8 MB in fp32
MAX_HEADER_BYTES = 2**20
WEIGHT_DTYPES = ("F16", "F32", "BF16")
STATE_DTYPES = WEIGHT_DTYPES + ("F64", "I64", "I32", "U8", "BOOL")  # training state: counters and RNG bytes too


class CheckpointError(ValueError):
    """A checkpoint file or folder that is missing, malformed, tampered with or inconsistent."""


class CheckpointNotFound(CheckpointError):
    """The variant exists but has no trained checkpoint here ("not trained yet")."""


def checkpoints_root() -> Path:
    """The local checkpoints folder: $BINARYGAN_CHECKPOINTS, else the repository's checkpoints/."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or REPO_CHECKPOINTS)


def snapshot_dir(run: Path, epoch: int) -> Path:
    return run / SNAPSHOTS_DIR / f"epoch-{epoch:03d}"


def local_run(name_or_path: str | os.PathLike) -> Path:
    """The run folder a variant name names in the local checkpoints folder, or the folder a path names."""
    text = os.fspath(name_or_path)
    if text in REGISTRY:
        return checkpoints_root() / text
    folder = Path(text)
    if not folder.exists():
        if "/" not in text and os.sep not in text:
            get_variant(text)  # a bare unknown name: raises UnknownVariantError listing the known ones
        raise CheckpointNotFound(f"{folder}: no such checkpoint folder")
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a checkpoint folder")
    return folder


def generator_folder(run: Path, epoch: int | None = None, what: str = "", model_file: str = GENERATOR_FILE) -> Path:
    """The folder holding the run's generator after `epoch` (None: its last one); CheckpointNotFound when there is
    none. `what` names the run in the message (default: the folder). `model_file`: a folder holding only that model
    (a critic saved on its own) qualifies too."""
    folder = run
    if epoch is not None:
        snap = snapshot_dir(run, epoch)
        # the last epoch's snapshot is the checkpoint itself, and is shipped only once
        folder = snap if snap.exists() or final_epoch(run) != epoch else run
    if not any((folder / f).exists() or (folder / f).is_symlink() for f in {GENERATOR_FILE, model_file}):
        what = (what or str(run)) + (f" (epoch {epoch})" if epoch is not None else "")
        raise CheckpointNotFound(f"{what}: not trained yet (no {GENERATOR_FILE} in {folder})")
    return folder


def final_epoch(run: Path) -> int | None:
    """The epoch the run folder's own checkpoint holds, from its config.json; None when unreadable."""
    try:
        epoch = json.loads((run / CONFIG_FILE).read_text())["provenance"]["epoch"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None


def atomic_write(path: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, rename: a crash never leaves a half-written `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; shipped checkpoints must be readable by other users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def inference_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Everything sampling needs; BatchNorm's batch counters are training-only."""
    return {k: v for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}


M = TypeVar("M", bound="torch.nn.Module")


def meta_state(build: Callable[[], torch.nn.Module]) -> dict[str, torch.Tensor]:
    """The names and shapes of the inference state of the module `build` makes, built on the meta device: no memory,
    no initialisation, and torch's global generator untouched."""
    import torch

    with torch.device("meta"):
        return inference_state(build())


def build_empty(build: Callable[[], M]) -> M:
    """The module `build` makes, with uninitialised CPU storage for load_weights to fill: built on the meta device, so
    no initialiser runs and torch's global generator is left where the caller put it."""
    import torch

    with torch.device("meta"):
        module = build()
    return module.to_empty(device="cpu")


def load_weights(module: M, state: dict[str, torch.Tensor]) -> M:
    """Fill a module (from build_empty) with a validated inference state. The only tensors a state may lack are
    BatchNorm's batch counters, which sampling never reads; they are set to 0 rather than left uninitialised (BatchNorm
    keeps its own value for a missing counter, and an empty module's is garbage)."""
    missing, unexpected = module.load_state_dict(state, strict=False)
    if unexpected or missing:
        raise CheckpointError(f"state does not fit the network: missing {missing[:5]}, unexpected {unexpected[:5]}")
    for key, buffer in module.named_buffers():
        if key.endswith("num_batches_tracked") and key not in state:
            buffer.zero_()
    return module


def save_generator(
    folder: Path, G: torch.nn.Module, cfg: VariantConfig, provenance: dict[str, Any], dtype: torch.dtype | None = None
) -> None:
    """Write generator.safetensors and config.json into `folder`; weights stored in `dtype` (default fp16)."""
    import torch
    from safetensors.torch import save as st_save

    dtype = dtype or torch.float16
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in inference_state(G).items()}
    metadata = {"format": FORMAT, "provenance": json.dumps(provenance)}  # the config lives in config.json alone
    folder = Path(folder)
    atomic_write(folder / GENERATOR_FILE, st_save(tensors, metadata=metadata))
    atomic_write_json(folder / CONFIG_FILE, {"format": FORMAT, "config": cfg.to_dict(), "provenance": provenance})


def read_regular_file(path: Path, root: Path, what: str = "generator", max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file inside `root`, refused when it escapes root, is missing or is oversized."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise CheckpointError(f"{path}: resolves outside the checkpoint folder {root}")
    if not path.exists():
        raise CheckpointError(f"{path}: file not found")
    if not path.is_file():
        raise CheckpointError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise CheckpointError(f"{path}: {size} bytes, larger than any {what} ({max_bytes})")
    return path.read_bytes()


def parse_safetensors(
    blob: bytes, name: str, dtypes: tuple[str, ...] = WEIGHT_DTYPES
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Check the header ourselves (for clear messages), then let safetensors parse the rest."""
    if len(blob) < 8:
        raise CheckpointError(f"{name}: {len(blob)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER_BYTES or n > len(blob) - 8:
        raise CheckpointError(f"{name}: header length {n} is larger than the file allows (truncated or corrupt)")
    try:
        header = json.loads(blob[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{name}: header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{name}: header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{name}: __metadata__ must map names to strings")
    for key, info in header.items():
        dtype = info.get("dtype") if isinstance(info, dict) else None
        if dtype not in dtypes:
            raise CheckpointError(f"{name}: tensor {key!r} has dtype {dtype!r}, expected one of {', '.join(dtypes)}")
    from safetensors.torch import load as st_load

    try:
        tensors = st_load(blob)
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as e:
        raise CheckpointError(f"{name}: corrupt safetensors data ({e})") from None
    return tensors, metadata


def metadata_json(metadata: dict[str, str], key: str, name: str) -> Any:
    if key not in metadata:
        raise CheckpointError(f"{name}: metadata has no {key!r} entry")
    try:
        return json.loads(metadata[key])
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{name}: metadata {key!r} is not valid JSON ({e})") from None


def parse_config(raw: Any, name: str) -> VariantConfig:
    try:
        return VariantConfig.from_dict(raw)
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{name}: invalid variant config: {e}") from None


def check_state(tensors: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], name: str) -> None:
    """Tensor names and shapes must match the architecture the config describes; values must be finite."""
    import torch

    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing:
        raise CheckpointError(f"{name}: missing tensor(s) {', '.join(missing[:5])}")
    if extra:
        raise CheckpointError(f"{name}: unexpected tensor(s) {', '.join(extra[:5])}")
    for key, ref in expected.items():
        t = tensors[key]
        if tuple(t.shape) != tuple(ref.shape):
            raise CheckpointError(f"{name}: tensor {key!r} has shape {tuple(t.shape)}, expected {tuple(ref.shape)}")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"{name}: tensor {key!r} holds NaN or infinite values")
        if key.endswith("running_var") and (t < 0).any():  # its square root would turn every sample into NaN
            raise CheckpointError(f"{name}: tensor {key!r} holds a negative variance")


def read_weights_file(
    path: Path, root: Path, fmt: str, what: str = "generator", max_bytes: int = MAX_FILE_BYTES
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, provenance) of a weights file inside `root` whose metadata says format `fmt`: the hostile-file
    checks every shipped safetensors file (generator, critic) goes through. The provenance binds the file to the
    run that config.json describes; a copy of the config that older files carry in their metadata is not read."""
    tensors, metadata = parse_safetensors(read_regular_file(path, root, what, max_bytes), str(path))
    if metadata.get("format") != fmt:
        raise CheckpointError(f"{path}: format {metadata.get('format')!r}, expected {fmt!r}")
    provenance = metadata_json(metadata, "provenance", str(path))
    if not isinstance(provenance, dict):
        raise CheckpointError(f"{path}: provenance must be a JSON object")
    return tensors, provenance


def read_config(folder: Path, root: Path) -> tuple[VariantConfig, dict[str, Any]]:
    """(config, provenance) of FOLDER/config.json, the one store of a checkpoint's config: the constructor's
    arguments of its networks, and the run that trained them."""
    path = folder / CONFIG_FILE
    try:
        side = json.loads(read_regular_file(path, root, "config"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(side, dict) or set(side) != {"format", "config", "provenance"}:
        raise CheckpointError(f"{path}: expected exactly the keys format, config, provenance")
    if side["format"] != FORMAT:
        raise CheckpointError(f"{path}: format {side['format']!r}, expected {FORMAT!r}")
    if not isinstance(side["provenance"], dict):
        raise CheckpointError(f"{path}: provenance must be a JSON object")
    return parse_config(side["config"], str(path)), side["provenance"]


def load_checkpoint(
    folder: str | os.PathLike, root: str | os.PathLike | None = None
) -> tuple[VariantConfig, dict[str, torch.Tensor], dict[str, Any]]:
    """Validate a checkpoint folder; return (config, state dict as stored, provenance).

    `root` bounds where the files may live (default: the folder itself), so a symlink cannot pull a
    file from elsewhere on disk.
    """
    from training.networks import Generator  # local: networks imports config only, keep this module light

    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a checkpoint folder")
    root = Path(root) if root is not None else folder
    weights_path = folder / GENERATOR_FILE
    tensors, provenance = read_weights_file(weights_path, root, FORMAT)
    cfg, side_provenance = read_config(folder, root)
    if side_provenance != provenance:
        raise CheckpointError(
            f"{folder / CONFIG_FILE}: its provenance differs from {GENERATOR_FILE}'s: the two files come from "
            "different runs or epochs"
        )

    check_state(tensors, meta_state(lambda: Generator(cfg)), str(weights_path))
    slope = provenance.get("final_slope")
    if isinstance(slope, bool) or not isinstance(slope, (int, float)) or not (0 < slope <= 1e4) or math.isnan(slope):
        raise CheckpointError(f"{weights_path}: provenance final_slope {slope!r} is not a slope in (0, 1e4]")
    return cfg, tensors, provenance
