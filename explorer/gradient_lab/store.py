"""The gradient lab's shipped comparison: the "Compare the variants" rows at the page's default settings, seed 0,
in checkpoints/gradlab-comparison.json, each with the sha256 of the files it was computed from."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.store import KEY, json_name, load, read, sources
from training.checkpoint import GRADLAB_COMPARISON_FILE, CheckpointError, atomic_write_json, checkpoints_root
from training.variants import REGISTRY

FORMAT = "binarygan-gradlab-comparison/1"


@dataclass(frozen=True)
class Row:
    """One shipped row: Comparison.summary()'s fields, null where it has NaN (JSON has none), and the sources."""

    variant: str
    neuron: str
    estimator: str
    samples: int
    draws: int
    cosine: float
    cosine_se: float | None  # null for a single sample
    sign_agreement: float
    sign_agreement_top: float
    seconds: float
    # null for a DBN, which has no exact x-gradient; one per compute.ESTIMATORS, named as summary() names them
    x_cosine_sigmoid_st: float | None = field(metadata={KEY: "x_cosine_sigmoid-st"})
    x_cosine_st: float | None
    x_cosine_gumbel_st: float | None = field(metadata={KEY: "x_cosine_gumbel-st"})
    sources: dict[str, str]


@dataclass(frozen=True)
class ComparisonFile:
    format: str
    seed: int  # always 0: the page reads shipped rows for seed 0 only
    rows: list[Row]


def write_comparison(rows: list[dict[str, Any]], root: str | os.PathLike | None = None) -> Path:
    """Ship summary rows (comparison_table's, seed 0) in root/gradlab-comparison.json, each with the sha256 of the
    files it was computed from; rows already shipped for other variants stay."""
    root = Path(root) if root is not None else checkpoints_root()
    entries = {name: e["row"] | {"sources": e["sources"]} for name, e in shipped_comparison(root).items()}
    entries |= {r["variant"]: r | {"sources": sources(root / r["variant"])} for r in rows}
    shipped = [_nulls(entries[name]) for name in REGISTRY if name in entries]
    path = root / GRADLAB_COMPARISON_FILE
    atomic_write_json(path, {"format": FORMAT, "seed": 0, "rows": shipped})
    return path


def _nulls(row: dict[str, Any]) -> dict[str, Any]:
    """NaN as null, for the rows kept as for the new ones: JSON has no NaN."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def shipped_comparison(root: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """{variant: {"row": summary row, "sources": sha256s}} from root/gradlab-comparison.json (seed 0); {} when none
    is shipped. A malformed file raises CheckpointError naming it."""
    path = (Path(root) if root is not None else checkpoints_root()) / GRADLAB_COMPARISON_FILE
    if not path.is_file():
        return {}
    shipped = load(ComparisonFile, read(path, FORMAT), path)
    if shipped.seed != 0:
        raise CheckpointError(f"{path}: seed {shipped.seed}, where the page reads seed 0 only")
    return {r.variant: {"row": _summary(r), "sources": r.sources} for r in shipped.rows}


def _summary(row: Row) -> dict[str, Any]:
    """The row as Comparison.summary() gives it: NaN for null."""
    values = {json_name(f): getattr(row, f.name) for f in dataclasses.fields(row) if f.name != "sources"}
    return {k: math.nan if v is None else v for k, v in values.items()}


def shipped_row(
    shipped: dict[str, dict[str, Any]], variant: str, n: int, draws: int, current: dict[str, str]
) -> dict[str, Any] | None:
    """The shipped summary of `variant` if it was computed over n samples and `draws` draws from the files whose
    sha256 are `current` (sources(folder) now); None when it has to be computed."""
    entry = shipped.get(variant)
    if entry is None or entry["sources"] != current:
        return None
    row = entry["row"]
    return dict(row) if row["samples"] == n and row["draws"] == draws else None
