"""The checkpoints folder's files, read defensively: training status, histories, losses, evaluation metrics.

Every reader returns None for a file that is not there yet (the campaign ships variants one by one) and raises
DataFileError, a ValueError, for a file that is there but malformed, so a caller can contain it to one variant.
Nothing here loads generator weights.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from training.checkpoint import CONFIG_FILE, GENERATOR_FILE, HISTORY_FILE, METRICS_FILE, STEPS_FILE, checkpoints_root
from training.hub import locate
from training.metrics import METRICS, PER_EPOCH
from training.variants import REGISTRY

MAX_JSON_BYTES = 16 * 2**20  # a 10,000-epoch history is ~5 MB; anything larger is not ours
MAX_CSV_BYTES = 256 * 2**20
N_CLASSES = 10

TRAINED, NOT_TRAINED, BROKEN = "trained", "not trained yet", "error"


class DataFileError(ValueError):
    """A history, steps or metrics file that exists but cannot be read as the data contract describes."""


@dataclass(frozen=True)
class VariantStatus:
    name: str
    state: str  # TRAINED, NOT_TRAINED or BROKEN
    epoch: int | None  # epochs trained, from config.json's provenance
    message: str  # why it is BROKEN; empty otherwise


def resolve_root(root: str | os.PathLike | None) -> Path:
    """The checkpoints folder to read: `root`, or checkpoints_root() (BINARYGAN_CHECKPOINTS or checkpoints/)."""
    return Path(root) if root is not None else checkpoints_root()


def _read_bytes(path: Path, cap: int) -> bytes | None:
    if not path.exists():
        return None
    if not path.is_file():
        raise DataFileError(f"{path}: not a regular file")
    if path.stat().st_size > cap:
        raise DataFileError(f"{path}: larger than {cap} bytes")
    return path.read_bytes()


def read_json(path: Path, cap: int = MAX_JSON_BYTES) -> Any:
    """Parsed JSON, or None when the file does not exist."""
    blob = _read_bytes(path, cap)
    if blob is None:
        return None
    try:
        return json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataFileError(f"{path}: not valid JSON ({e})") from None


def _number(value: Any) -> float:
    """A JSON number as float; NaN for anything else (null, strings, booleans), so one bad field stays one cell."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def variant_status(name: str, root: str | os.PathLike | None = None) -> VariantStatus:
    """Trained / not trained yet / error, from config.json alone (the weights are validated when loaded)."""
    folder = resolve_root(root) / name
    if not (folder / GENERATOR_FILE).exists():
        return VariantStatus(name, NOT_TRAINED, None, "")
    try:
        side = read_json(folder / CONFIG_FILE)
        epoch = side["provenance"]["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            raise TypeError(f"provenance epoch {epoch!r} is not an integer")
    except (DataFileError, KeyError, TypeError) as e:
        return VariantStatus(name, BROKEN, None, f"{folder / CONFIG_FILE}: {e}")
    return VariantStatus(name, TRAINED, epoch, "")


def fingerprint(name: str, epoch: int | None = None, file: str = GENERATOR_FILE) -> tuple[str, int, int, int]:
    """(folder, inode, mtime_ns, size) of the weights a load would read (`file`: the generator's, or the critic's
    beside them): a cache key that changes when a run ships.

    Raises CheckpointNotFound when there is nothing to load, OSError when `file` is not in the checkpoint folder.
    """
    folder, _ = locate(name, epoch=epoch)
    st = (folder / file).stat()
    return str(folder), st.st_ino, st.st_mtime_ns, st.st_size  # a shipped run is renamed into place


def history(name: str, root: str | os.PathLike | None = None) -> pd.DataFrame | None:
    """Per-epoch rows of history.json (columns epoch, slope, wall_time_s, d_loss, g_loss, optional metrics)."""
    path = resolve_root(root) / name / HISTORY_FILE
    rows = read_json(path)
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "epoch" in r for r in rows):
        raise DataFileError(f"{path}: expected a list of objects with an 'epoch' field")
    columns = ["epoch", "slope", "wall_time_s", "d_loss", "g_loss", *(m.key for m in PER_EPOCH)]
    df = pd.DataFrame({c: [_number(r.get(c)) for r in rows] for c in columns})
    return df.dropna(subset=["epoch"]).sort_values("epoch").reset_index(drop=True)


def steps(
    name: str, root: str | os.PathLike | None = None, max_points: int = 2000, smooth: int = 1
) -> pd.DataFrame | None:
    """Per-step losses of steps.csv, smoothed by a centred rolling mean of `smooth` steps, then thinned to at
    most `max_points` rows so a chart of several 18,740-step runs stays light."""
    path = resolve_root(root) / name / STEPS_FILE
    if _read_bytes(path, MAX_CSV_BYTES) is None:
        return None
    try:
        df = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as e:
        raise DataFileError(f"{path}: not a readable CSV ({e})") from None
    missing = {"step", "d_loss", "g_loss"} - set(df.columns)
    if missing:
        raise DataFileError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    df = df[["step", "d_loss", "g_loss"]].apply(pd.to_numeric, errors="coerce").dropna(subset=["step"])
    df = df.sort_values("step").reset_index(drop=True)
    if smooth > 1:
        df[["d_loss", "g_loss"]] = df[["d_loss", "g_loss"]].rolling(int(smooth), center=True, min_periods=1).mean()
    stride = max(1, math.ceil(len(df) / max_points))
    return df.iloc[::stride].reset_index(drop=True)


def _clean_metrics(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DataFileError(f"{where}: expected a JSON object of metrics")
    out: dict[str, Any] = {m.key: _number(raw.get(m.key)) for m in METRICS}
    hist = raw.get("class_hist")
    if isinstance(hist, list) and len(hist) == N_CLASSES:
        out["class_hist"] = [_number(v) for v in hist]
    else:
        out["class_hist"] = None
    return out


def all_metrics(root: str | os.PathLike | None = None) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """(real-data metrics or None, {variant: metrics}) from checkpoints/metrics.json and each variant's own
    metrics.json; a variant's own file wins, being written by the same evaluation run as its checkpoint."""
    root = resolve_root(root)
    path = root / METRICS_FILE
    summary = read_json(path) or {}
    if not isinstance(summary, dict):
        raise DataFileError(f"{path}: expected a JSON object")
    real = summary.get("real_data")
    real = _clean_metrics(real, f"{path} real_data") if real is not None else None
    raw_variants = summary.get("variants") or {}
    if not isinstance(raw_variants, dict):
        raise DataFileError(f"{path}: 'variants' must be an object")
    variants = {k: _clean_metrics(v, f"{path} {k}") for k, v in raw_variants.items() if k in REGISTRY}
    for name in REGISTRY:
        own = read_json(root / name / METRICS_FILE)
        if own is not None:
            variants[name] = _clean_metrics(own, str(root / name / METRICS_FILE))
    return real, variants


def seed_metrics(root: str | os.PathLike | None = None) -> dict[int, dict[str, dict[str, Any]]]:
    """{training seed: {variant: metrics}}: seed 0 is the shipped checkpoints' (all_metrics), the other seeds come
    from the "seeds" section of checkpoints/metrics.json. A seed lists only the variants trained with it."""
    root = resolve_root(root)
    path = root / "metrics.json"
    by_seed: dict[int, dict[str, dict[str, Any]]] = {0: all_metrics(root)[1]}
    summary = read_json(path) or {}
    raw = summary.get("seeds") or {} if isinstance(summary, dict) else {}
    if not isinstance(raw, dict):
        raise DataFileError(f"{path}: 'seeds' must be an object")
    for name, seeds in raw.items():
        if name not in REGISTRY:
            continue
        if not isinstance(seeds, dict):
            raise DataFileError(f"{path}: seeds of {name} must be an object")
        for seed, metrics in seeds.items():
            if not (isinstance(seed, str) and seed.isdigit() and len(seed) <= 18) or int(seed) == 0:
                raise DataFileError(f"{path}: {name} has a seed {seed!r} that is not an extra training seed")
            by_seed.setdefault(int(seed), {})[name] = _clean_metrics(metrics, f"{path} {name} seed {seed}")
    return dict(sorted(by_seed.items()))
