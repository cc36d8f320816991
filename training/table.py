"""The results table over all variants: CHECKPOINTS/metrics.json (every number), metrics.csv (for spreadsheets)
and the Markdown tables of docs/results.md and the model card (the columns of training.metrics.METRICS)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from training.checkpoint import METRICS_FILE, TABLE_CSV_FILE, atomic_write, atomic_write_json
from training.evaluate import DEFAULT_N, Reference, real_data_floor
from training.metrics import METRICS, EvaluationError
from training.seeds import SHIPPED_SEED, shipped_seeds, spread
from training.variants import REGISTRY


def _lock(root: Path) -> FileLock:
    """An exclusive lock per checkpoints folder, so parallel sweep jobs on one machine rebuild the table one at a
    time. The lock file lives in the temporary folder: inside `root` it would be a file the manifest does not list."""
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return FileLock(Path(tempfile.gettempdir()) / f"binarygan-table-{key}.lock")


def rebuild_table(root: str | os.PathLike, ref: Reference, n: int = DEFAULT_N) -> dict[str, Any]:
    """checkpoints/metrics.json = {"real_data": ..., "variants": {name: metrics}, "seeds": {name: {seed: metrics}}}
    and metrics.csv.

    Variants come from each <root>/<name>/metrics.json, their extra training seeds from
    <root>/<name>/seeds/seed-N/metrics.json (training.seeds); the real-data floor is reused from the existing
    table while its fingerprint matches, else recomputed (about a minute on one CPU core)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root):
        table_path = root / METRICS_FILE
        real = None
        try:
            old = json.loads(table_path.read_text())["real_data"]
            wanted = ref.fingerprint() | {"n_samples": n, "train_data_sha256": ref.train.sha256}
            if all(old.get(k) == v for k, v in wanted.items()):
                real = old
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if real is None:
            real = real_data_floor(ref, n)
        variants = {}
        for name in REGISTRY:
            path = root / name / METRICS_FILE
            if path.is_file():
                try:
                    variants[name] = json.loads(path.read_text())
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise EvaluationError(f"{path}: not valid JSON ({e})") from None
        seeds = {name: {str(seed): m for seed, m in shipped_seeds(root, name).items()} for name in variants}
        table = {"real_data": real, "variants": variants, "seeds": {name: s for name, s in seeds.items() if s}}
        atomic_write_json(table_path, table)
        atomic_write(root / TABLE_CSV_FILE, table_csv(table).encode())
    return table


def table_csv(table: dict[str, Any]) -> str:
    """One row per variant and training seed plus the real-data floor; class_hist spread over class_0..class_9."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", "seed", "epoch", "n_samples", *(m.key for m in METRICS), *(f"class_{c}" for c in range(10))])
    rows: list[tuple[str, int | str, Any]] = [("real_data", "", table["real_data"])]
    for name, m in sorted(table["variants"].items()):
        rows.append((name, SHIPPED_SEED, m))
        rows += [
            (name, int(seed), sm)
            for seed, sm in sorted(table.get("seeds", {}).get(name, {}).items(), key=lambda kv: int(kv[0]))
        ]
    for name, seed, m in rows:
        hist = m.get("class_hist") or [None] * 10
        w.writerow(
            [
                name,
                seed,
                m.get("epoch", ""),
                m.get("n_samples", ""),
                *(_csv_cell(m.get(x.key)) for x in METRICS),
                *(_csv_cell(v) for v in hist),
            ]
        )
    return buf.getvalue()


def by_seed(table: dict[str, Any], name: str) -> dict[int, dict[str, Any]]:
    """{training seed: metrics} of one variant: the shipped seed and every extra one."""
    extra = {int(seed): m for seed, m in table.get("seeds", {}).get(name, {}).items()}
    return dict(sorted(({SHIPPED_SEED: table["variants"][name]} | extra).items()))


def seeds_markdown(table: dict[str, Any]) -> str:
    """The results over training seeds, for each variant trained with more than one: every cell is mean ± sd
    (sample sd) over the seeds, then the per-seed values in seed order. Empty when no variant has extra seeds."""
    columns = [m for m in METRICS if m.in_table]
    names = [n for n in REGISTRY if n in table["variants"] and table.get("seeds", {}).get(n)]
    if not names:
        return ""
    lines = ["| model | seeds | " + " | ".join(m.heading for m in columns) + " |", "|---" * (len(columns) + 2) + "|"]
    for name in names:
        seeds = by_seed(table, name)
        stats = spread(seeds, tuple(m.key for m in columns))
        cells = []
        for m in columns:
            if m.key not in stats:
                cells.append("–")
                continue
            st = stats[m.key]
            per_seed = " / ".join(m.format(v) for v in st["values"].values())
            cells.append(f"{m.mean_format(st['mean'])} ± {m.sd_format(st['sd'])}<br>{per_seed}")
        label = f"`{name}`" + (" (thresholded)" if REGISTRY[name].neuron == "real" else "")
        lines.append(f"| {label} | {', '.join(map(str, seeds))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _csv_cell(v: Any) -> str:
    """Six significant digits: the CSV is for spreadsheets, metrics.json keeps every digit."""
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def table_markdown(table: dict[str, Any], names: list[str] | None = None) -> str:
    """The results table of docs/results.md and the model card: the real-data floor, then the variants (`names`, or
    every variant in the table) in registry order. Pixel statistics of real-valued models are on thresholded
    samples."""
    columns = [m for m in METRICS if m.in_table]
    lines = ["| model | " + " | ".join(m.heading for m in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    rows = [("real data (floor)", table["real_data"])]
    for name in REGISTRY:
        if name in table["variants"] and (names is None or name in names):
            label = f"`{name}`" + (" (thresholded)" if REGISTRY[name].neuron == "real" else "")
            rows.append((label, table["variants"][name]))
    for label, values in rows:
        lines.append(f"| {label} | " + " | ".join(m.format(values.get(m.key)) for m in columns) + " |")
    return "\n".join(lines) + "\n"
