"""The estimator lab's shipped studies: checkpoints/NAME/estimator-lab.json, every number of a few samples of seed
0 and the bias and variance maps at MAP_BUDGETS, with the sha256 of the files they were computed from. The page
reads them and recomputes only samples that were not shipped."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer import store
from explorer.estimator_lab.compute import MAP_BUDGETS, REPETITIONS, TRUTH_DRAWS, Cell, SampleStudy, Study
from training.checkpoint import ESTIMATOR_LAB_FILE, CheckpointError, atomic_write_json, checkpoints_root
from training.estimators import FUNCTIONS
from training.networks import N_PIXELS
from training.variants import REGISTRY

FORMAT = "binarygan-estimator-lab/1"


@dataclass(frozen=True)
class PackedMap:
    """784 values as base64 little-endian float16 scaled to their largest magnitude: 3 significant digits, 2 bytes
    a pixel."""

    scale: float
    f16: str


@dataclass(frozen=True)
class ShippedMaps:
    estimator: str
    budget: int
    bias: PackedMap
    variance: PackedMap


@dataclass(frozen=True)
class ShippedSample:
    index: int
    seconds: float
    truth: PackedMap
    truth_se: PackedMap
    cells: list[Cell]
    maps: list[ShippedMaps]


@dataclass(frozen=True)
class StudyFile:
    format: str
    variant: str
    seed: int
    budgets: list[int]
    repetitions: int
    truth_draws: int
    sources: dict[str, str]
    samples: list[ShippedSample]


def _pack(values: np.ndarray) -> PackedMap:
    v = np.asarray(values, dtype=np.float64).reshape(N_PIXELS)
    scale = float(np.abs(v).max()) or 1.0
    return PackedMap(scale, base64.b64encode((v / scale).astype("<f2").tobytes()).decode("ascii"))


def _unpack(m: PackedMap, path: Path, where: str) -> np.ndarray:
    try:
        raw = base64.b64decode(m.f16, validate=True)
    except ValueError:
        raise CheckpointError(f"{path}: {where}: f16 is not base64") from None
    if len(raw) != 2 * N_PIXELS:
        raise CheckpointError(f"{path}: {where}: {len(raw)} bytes where {2 * N_PIXELS} (784 float16) belong")
    values = np.frombuffer(raw, dtype="<f2").astype(np.float64) * m.scale
    if not np.isfinite(values).all():
        raise CheckpointError(f"{path}: {where}: not finite")
    return values.astype(np.float32)


def to_json(s: Study, map_budgets: Iterable[int] = MAP_BUDGETS) -> dict[str, Any]:
    """The shipped form: every number, and the maps at `map_budgets` only."""
    keep = set(map_budgets)
    samples = [
        ShippedSample(
            x.index,
            round(x.seconds, 2),
            _pack(x.truth),
            _pack(x.truth_se),
            list(x.cells.values()),
            [ShippedMaps(e, b, _pack(bias), _pack(var)) for (e, b), (bias, var) in x.maps.items() if b in keep],
        )
        for x in s.samples
    ]
    first = s.samples[0] if s.samples else None
    reps, truth_draws = (first.repetitions, first.truth_draws) if first else (REPETITIONS, TRUTH_DRAWS)
    shipped = StudyFile(FORMAT, s.variant, s.seed, list(s.budgets), reps, truth_draws, s.sources, samples)
    return dataclasses.asdict(shipped)


def from_json(obj: dict[str, Any], path: Path) -> Study:
    """A Study from its shipped form (already parsed), every field checked; CheckpointError naming `path` if not."""
    f = store.load(StudyFile, obj, path)
    if f.variant not in REGISTRY:
        raise CheckpointError(f"{path}: unknown variant {f.variant[:60]!r}")
    if not f.budgets or min(f.budgets) <= 0:
        raise CheckpointError(f"{path}: budgets must be positive integers")
    samples = []
    for i, x in enumerate(f.samples):
        where = f"samples[{i}]"
        cells: dict[tuple[str, int], Cell] = {}
        for j, cell in enumerate(x.cells):
            if cell.estimator not in FUNCTIONS or cell.budget not in f.budgets:
                raise CheckpointError(
                    f"{path}: {where}.cells[{j}]: {cell.estimator[:40]!r} at budget {cell.budget} is not studied"
                )
            cells[(cell.estimator, cell.budget)] = cell
        maps = {}
        for j, m in enumerate(x.maps):
            w = f"{where}.maps[{j}]"
            if (m.estimator, m.budget) not in cells:
                raise CheckpointError(f"{path}: {w}: a map for {(m.estimator, m.budget)}, which has no numbers")
            maps[(m.estimator, m.budget)] = (
                _unpack(m.bias, path, f"{w}.bias"),
                _unpack(m.variance, path, f"{w}.variance"),
            )
        truth, truth_se = _unpack(x.truth, path, f"{where}.truth"), _unpack(x.truth_se, path, f"{where}.truth_se")
        samples.append(
            SampleStudy(
                f.variant, f.seed, x.index, f.repetitions, f.truth_draws, truth, truth_se, cells, maps, x.seconds
            )
        )
    return Study(f.variant, f.seed, tuple(f.budgets), tuple(samples), f.sources)


def write(s: Study, root: str | Path | None = None, map_budgets: Iterable[int] = MAP_BUDGETS) -> Path:
    path = (Path(root) if root is not None else checkpoints_root()) / s.variant / ESTIMATOR_LAB_FILE
    atomic_write_json(path, to_json(s, map_budgets))
    return path


def read(path: str | Path) -> Study:
    """A shipped study file, validated; CheckpointError naming the file when it is corrupt, truncated or foreign."""
    path = Path(path)
    return from_json(store.read(path, FORMAT), path)


def shipped(name: str, root: str | Path | None = None) -> Study | None:
    """The variant's shipped study, None when it has none; CheckpointError when the file is bad."""
    path = (Path(root) if root is not None else checkpoints_root()) / name / ESTIMATOR_LAB_FILE
    return read(path) if path.is_file() else None


def shipped_sample(s: Study | None, seed: int, index: int) -> SampleStudy | None:
    """Sample `index` of `seed` from a shipped study; None when it does not hold that one, which is then computed
    live."""
    return s.sample(index) if s is not None and s.seed == seed else None


def stale(s: Study, root: str | Path | None = None) -> bool:
    """Whether the variant's generator or critic changed since the study was computed."""
    return s.sources != store.sources((Path(root) if root is not None else checkpoints_root()) / s.variant)
