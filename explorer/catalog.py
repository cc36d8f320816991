"""What the checkpoints folder holds for each variant: training status, histories, losses, evaluation metrics.

Every reader returns None for a file that is not there yet (the campaign ships variants one by one) and raises
DataFileError, a ValueError, for a file that is there but malformed, so a caller can contain it to one variant.
Nothing here loads generator weights: the variant table must stay fast with all 38 variants.
"""
from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from explorer.generator import resolve_checkpoint
from training.checkpoint import CONFIG_FILE, GENERATOR_FILE, HISTORY_FILE, METRICS_FILE, STEPS_FILE, checkpoints_root
from training.config import CODE_SUFFIX, REGISTRY, VariantConfig, get_variant
from training.metrics import BY_KEY, METRICS, PER_EPOCH
from training.seeds import spread

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


def _root(root: str | os.PathLike | None) -> Path:
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
    folder = _root(root) / name
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


def fingerprint(name: str, epoch: int | None = None) -> tuple[str, int, int, int]:
    """(folder, inode, mtime_ns, size) of the weights a load would read: a cache key that changes when a run ships.

    Raises CheckpointNotFound when there is nothing to load.
    """
    folder, _ = resolve_checkpoint(name, epoch)
    st = (folder / GENERATOR_FILE).stat()
    return str(folder), st.st_ino, st.st_mtime_ns, st.st_size  # a shipped run is renamed into place


def history(name: str, root: str | os.PathLike | None = None) -> pd.DataFrame | None:
    """Per-epoch rows of history.json (columns epoch, slope, wall_time_s, d_loss, g_loss, optional metrics)."""
    path = _root(root) / name / HISTORY_FILE
    rows = read_json(path)
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "epoch" in r for r in rows):
        raise DataFileError(f"{path}: expected a list of objects with an 'epoch' field")
    columns = ["epoch", "slope", "wall_time_s", "d_loss", "g_loss", *(m.key for m in PER_EPOCH)]
    df = pd.DataFrame({c: [_number(r.get(c)) for r in rows] for c in columns})
    return df.dropna(subset=["epoch"]).sort_values("epoch").reset_index(drop=True)


def steps(name: str, root: str | os.PathLike | None = None, max_points: int = 2000,
          smooth: int = 1) -> pd.DataFrame | None:
    """Per-step losses of steps.csv, smoothed by a centred rolling mean of `smooth` steps, then thinned to at
    most `max_points` rows so a chart of several 18,740-step runs stays light."""
    path = _root(root) / name / STEPS_FILE
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
    root = _root(root)
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
    root = _root(root)
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


# (G, D) parameter counts by (architecture, BatchNorm in D), as training.networks builds them; the catalogue reads
# them here so that the first page needs no torch (tests/explorer/test_catalog.py checks them against the networks).
PARAMETER_COUNTS = {
    ("mlp", False): (939_312, 533_505), ("mlp", True): (939_312, 535_041),
    ("cnn", False): (216_227, 313_985), ("cnn", True): (216_227, 314_433),
}


@functools.lru_cache(maxsize=8)
def parameter_counts(arch: str, d_batchnorm: bool) -> tuple[int, int]:
    """(G, D) parameter counts; they depend only on the architecture and on BatchNorm in D."""
    if (arch, d_batchnorm) in PARAMETER_COUNTS:
        return PARAMETER_COUNTS[(arch, d_batchnorm)]
    from training.networks import Generator, build_discriminator, count_parameters

    cfg = get_variant("mlp-dbn-wgan-gp").replace(arch=arch, d_batchnorm=d_batchnorm)
    return count_parameters(Generator(cfg)), count_parameters(build_discriminator(cfg))


def annealing_label(cfg: VariantConfig) -> str:
    if not cfg.annealed:
        return f"fixed {cfg.initial_slope:g}"
    return f"×{cfg.slope_annealing_rate:g}/epoch"


def variant_table(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per registered variant: its design, its training status and its headline metrics."""
    root = _root(root)
    try:
        _, metrics = all_metrics(root)
        metrics_error = ""
    except DataFileError as e:
        metrics, metrics_error = {}, str(e)
    rows = []
    for cfg in REGISTRY.values():
        status = variant_status(cfg.name, root)
        g_params, d_params = parameter_counts(cfg.arch, cfg.d_batchnorm)
        m = metrics.get(cfg.name, {})
        rows.append({
            "variant": cfg.name, "experiment": cfg.experiment, "architecture": cfg.arch.upper(),
            "neuron": cfg.neuron.upper() if cfg.neuron != "real" else "real", "estimator": cfg.estimator,
            "objective": cfg.objective.upper(), "BN in D": cfg.d_batchnorm, "annealing": annealing_label(cfg),
            "G params": g_params, "D params": d_params,
            "status": status.state if status.state != BROKEN else f"error: {status.message}",
            "epochs trained": status.epoch,
            **{x.label: m.get(x.key, math.nan) for x in METRICS if x.headline},
            "description": cfg.description,
        })
    df = pd.DataFrame(rows)
    df["epochs trained"] = df["epochs trained"].astype("Int64")  # missing for untrained variants
    df.attrs["metrics_error"] = metrics_error  # a broken summary file must not hide the catalogue
    return df


def leaderboard(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """Evaluated variants plus a "real data" row, the floor each metric can reach; empty when nothing is evaluated."""
    real, variants = all_metrics(root)
    rows = [{"variant": "real data (floor)", **{x.label: real[x.key] for x in METRICS}}] if real else []
    rows += [{"variant": name, **{x.label: m[x.key] for x in METRICS}} for name, m in sorted(variants.items())]
    return pd.DataFrame(rows, columns=["variant", *(x.label for x in METRICS)])


def spread_table(spread: dict[str, dict[str, tuple[float, float, int]]]) -> pd.DataFrame:
    """A claim's evidence over seeds, {variant: {metric: (mean, sd, seeds)}}, as one row per variant and metric."""
    rows = [{"variant": variant, "metric": BY_KEY[metric].label if metric in BY_KEY else metric, "mean": mean, "sd": sd,
             "seeds": n}
            for variant, row in spread.items() for metric, (mean, sd, n) in row.items()]
    return pd.DataFrame(rows, columns=["variant", "metric", "mean", "sd", "seeds"])


def parse_selection(values: Iterable[Any], limit: int) -> tuple[list[str], list[str]]:
    """(known variant names in order, without repeats, at most `limit`; everything refused, as text).

    Accepts what a query string gives: names, or comma-separated lists of names.
    """
    chosen: list[str] = []
    refused: list[str] = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip()
            if not item or item in chosen:
                continue
            if item not in REGISTRY:
                refused.append(item[:60])
            elif len(chosen) >= limit:
                refused.append(f"{item} (more than {limit})")
            else:
                chosen.append(item)
    return chosen, refused


def fig8_grid(neuron: str, recipe: str = "paper") -> dict[tuple[str, bool], str]:
    """{(objective, BN in D): variant} for the paper's Fig. 8: every objective with and without BatchNorm in D, as the
    paper's text describes it (annealed slope) or as its reference code ran it (the "-code" twins)."""
    grid: dict[tuple[str, bool], str] = {
        (c.objective, c.d_batchnorm): c.name for c in REGISTRY.values()
        if c.arch == "mlp" and c.neuron == neuron and c.estimator == "sigmoid-st" and c.recipe == recipe
        and (c.annealed or recipe == "code")}
    if len(grid) != 6:
        raise RuntimeError(f"the registry should hold 6 Fig. 8 variants for {neuron} ({recipe}), found {len(grid)}")
    return grid


def recipe_twin(name: str) -> str | None:
    """The same experiment in the other recipe: a paper-recipe variant's "-code" twin, or a code-recipe variant's
    paper twin; None where the registry has no twin (the extras)."""
    twin = name.removesuffix(CODE_SUFFIX) if name.endswith(CODE_SUFFIX) else name + CODE_SUFFIX
    return twin if twin in REGISTRY and twin != name else None


def recipe_pairs(names: Iterable[str]) -> list[tuple[str, str | None]]:
    """Each named variant with its twin in the other recipe, as (paper recipe, code recipe) rows in the order first
    named, each variant once; an extra without a twin is (name, None)."""
    rows: list[tuple[str, str | None]] = []
    for name in names:
        twin = recipe_twin(name)
        row = (twin, name) if twin is not None and get_variant(name).recipe == "code" else (name, twin)
        if row not in rows:
            rows.append(row)
    return rows


def annealing_pairs() -> dict[str, tuple[str, ...]]:
    """{neuron: (annealed variant, its fixed-slope twin, the code recipe's twin)} for the slope-annealing ablation;
    the code recipe's twin also keeps the slope at 1, with the reference code's BatchNorm and initialisation."""
    return {c.neuron: (c.name.removesuffix("-noanneal"), c.name, c.name.removesuffix("-noanneal") + CODE_SUFFIX)
            for c in REGISTRY.values()
            if c.name.endswith("-noanneal") and c.name.removesuffix("-noanneal") in REGISTRY}


def seed_band(table: pd.DataFrame, name: str, key: str) -> tuple[float, float, int] | None:
    """(mean, sd, seeds) of one variant's metric in a seed_spread table; None where it has one seed only."""
    if not len(table):
        return None
    row = table[(table["variant"] == name) & (table["metric"] == BY_KEY[key].label)]
    return None if row.empty else (float(row["mean"].iloc[0]), float(row["sd"].iloc[0]), int(row["seeds"].iloc[0]))


def seed_spread(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per variant trained with more than one seed and per metric: mean, sample sd, seed count and each
    seed's value (columns "seed N"); empty when no variant has extra seeds."""
    by_seed = seed_metrics(root)
    names = [n for n in REGISTRY if sum(n in m for m in by_seed.values()) > 1]
    rows = []
    for name in names:
        stats = spread({seed: m[name] for seed, m in by_seed.items() if name in m}, tuple(x.key for x in METRICS))
        for metric in METRICS:
            if metric.key in stats:
                st = stats[metric.key]
                rows.append({"variant": name, "metric": metric.label, "mean": st["mean"], "sd": st["sd"],
                             "seeds": st["n"], **{f"seed {seed}": v for seed, v in st["values"].items()}})
    return pd.DataFrame(rows)
