"""Training seeds beside the shipped one: where their runs live, where their numbers ship, how they aggregate.

Seed 0 is the shipped checkpoint: RUNS/NAME trains it and SHIP/NAME holds its weights. Another seed N trains into
RUNS/seed-N/NAME, and only its numbers ship, as SHIP/NAME/seeds/seed-N/{metrics,history}.json: an extra seed
costs kilobytes, not megabytes of weights.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from training.checkpoint import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, SEEDS_DIR, atomic_write
from training.rng import MAX_SEED

SHIPPED_SEED = 0
SEED_FILES = (METRICS_FILE, HISTORY_FILE)  # what an extra seed ships
MAX_SEED_FILE_BYTES = 16 * 2**20
_SEED_FOLDER = re.compile(r"seed-(\d{1,18})")


class SeedError(ValueError):
    """A seed list that cannot be parsed, or a seed run that does not match what it is shipped as."""


def seed_label(seed: int) -> str:
    return f"seed-{seed}"


def run_folder(runs: Path, name: str, seed: int) -> Path:
    """Where `name` trains with `seed`: RUNS/NAME for the shipped seed, RUNS/seed-N/NAME for the others."""
    return Path(runs) / name if seed == SHIPPED_SEED else Path(runs) / seed_label(seed) / name


def shipped_seed_folder(ship: Path, name: str, seed: int) -> Path:
    """Where an extra seed's numbers ship: SHIP/NAME/seeds/seed-N."""
    return Path(ship) / name / SEEDS_DIR / seed_label(seed)


def parse_seeds(text: str, max_seed: int = MAX_SEED) -> list[int]:
    """'0,1,2' or '0-2' -> [0, 1, 2]; refused with a message naming the bad part."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        if not (lo.isdigit() and (not sep or hi.isdigit())):
            raise SeedError(f"seeds {text!r}: {part!r} is not a seed or a range such as 0-2")
        first, last = int(lo), int(hi) if sep else int(lo)
        if first > last or last > max_seed or last - first > 1000:
            raise SeedError(f"seeds {text!r}: {part!r} is not a range of at most 1000 seeds within [0, {max_seed}]")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return seeds


def ship_seed(run: Path, ship: Path, name: str, seed: int) -> Path:
    """Copy an extra seed's metrics.json and history.json into SHIP/NAME/seeds/seed-N (each file atomically)."""
    if seed == SHIPPED_SEED:
        raise SeedError(f"seed {SHIPPED_SEED} ships as the checkpoint itself, not as an extra seed")
    try:
        trained = json.loads((Path(run) / CONFIG_FILE).read_text())["provenance"]["seed"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SeedError(f"{run}: cannot read the training seed from {CONFIG_FILE} ({e})") from None
    if trained != seed:
        raise SeedError(f"{run}: trained with seed {trained}, not {seed}")
    dest = shipped_seed_folder(ship, name, seed)
    for file in SEED_FILES:
        atomic_write(dest / file, (Path(run) / file).read_bytes())
    return dest


def shipped_seeds(root: Path, name: str) -> dict[int, dict[str, Any]]:
    """{seed: metrics} of the extra seeds shipped for `name`, in seed order; unreadable files are refused."""
    folder = Path(root) / name / SEEDS_DIR
    found: dict[int, dict[str, Any]] = {}
    if not folder.is_dir():
        return found
    for sub in sorted(folder.iterdir()):
        match = _SEED_FOLDER.fullmatch(sub.name)
        path = sub / METRICS_FILE
        if not match or not path.is_file():
            continue
        if path.stat().st_size > MAX_SEED_FILE_BYTES:
            raise SeedError(f"{path}: larger than {MAX_SEED_FILE_BYTES} bytes")
        try:
            metrics = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SeedError(f"{path}: not valid JSON ({e})") from None
        if not isinstance(metrics, dict):
            raise SeedError(f"{path}: expected a JSON object")
        found[int(match.group(1))] = metrics
    return dict(sorted(found.items()))


def mean_sd(values: Iterable[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of one number over seeds (or samples): the project's one convention. The
    sd of a single value is NaN, not 0, since one seed says nothing of the spread; with no value both are NaN."""
    xs = list(values)
    mean = statistics.fmean(xs) if xs else math.nan
    return mean, statistics.stdev(xs) if len(xs) > 1 else math.nan


def spread(by_seed: dict[int, dict[str, Any]], keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """{metric: {"mean", "sd", "n", "values": {seed: value}}} over the seeds that have a finite value.

    mean and sd are mean_sd()'s (sd NaN for a single seed); a metric no seed has is left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        values = {
            seed: float(m[key])
            for seed, m in sorted(by_seed.items())
            if isinstance(m.get(key), (int, float)) and not isinstance(m.get(key), bool) and math.isfinite(m[key])
        }
        if values:
            mean, sd = mean_sd(values.values())
            out[key] = {
                "mean": mean,
                "sd": sd,
                "n": len(values),
                "values": {str(s): v for s, v in values.items()},
            }
    return out
