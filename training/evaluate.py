"""Quantitative evaluation of generators against the 10,000 binarised MNIST test digits.

Metrics (all on `n` samples drawn with a fixed seed, so a rerun reproduces them):
- fd: Fréchet distance between Gaussians fitted to the evaluation classifier's 128-d penultimate
  features of the samples and of the test digits (FID's formula, in our own classifier's space).
- precision, recall: improved precision and recall (Kynkäänniemi et al. 2019) in the same feature
  space; each set's manifold is the union of balls reaching each point's k-th nearest neighbour, k = 3.
  precision = share of samples inside the test manifold, recall = share of test digits inside the samples'.
- class_hist: the classifier's predicted-class fractions (10 numbers); class_kl = KL(generated || test
  labels) = sum_c p_gen(c) log(p_gen(c) / p_test(c)), in nats (0 for a perfect class balance, large for
  mode collapse; p_test is floored at 1e-12 so a class absent from a tiny test set stays finite);
  classes_2pct = number of classes holding at least 2% of the samples.
- on_fraction_mean, on_fraction_std: mean and std over images of the share of on-pixels.
- speckle_rate: isolated on-pixels per image (on, with none of its 4 neighbours on; outside is off).
- memorisation_rate: share of samples whose nearest training image (Hamming distance) is closer than
  the 5th percentile of the test digits' nearest-training distances. Test digits are unseen, so about
  5% of genuinely new digits fall under this threshold; a rate well above 5% means copying.
- mass_near_01, notch_depth: shape of the preactivated outputs p = sigmoid(s * x), computed by
  explorer.analysis (the dashboard shows the same numbers).

The real-data floor applies the same metrics to the first `n` training images. Their memorisation is
leave-one-out (each image's own copy is excluded from its nearest-neighbour search), so it measures
near-duplicates inside MNIST. Real images have no preactivated outputs: mass_near_01 and notch_depth are
null (N/A) there.

The cheap per-epoch subset (`history_metrics`) uses 2,000 samples and skips precision/recall and
memorisation; its fd is against the full test set, so it is biased upwards relative to the 10k fd.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg

from explorer.analysis import mass_near_01, notch_depth
from training.checkpoint import atomic_write, atomic_write_json
from training.classifier import Classifier, load_classifier
from training.config import REGISTRY
from training.data import load_split
from training.seeds import shipped_seeds

METRICS_NAME = "metrics.json"
TABLE_CSV = "metrics.csv"
HISTORY_NAME = "history.json"
K = 3  # neighbourhood size of the precision/recall manifolds, as in Kynkäänniemi et al.
MEMO_PERCENTILE = 5.0
DEFAULT_N = 10_000
HISTORY_N = 2_000
KL_FLOOR = 1e-12
ROWS = 1024  # query rows per distance block: 1024 x 60,000 float32 = 245 MB at most
HISTORY_KEYS = ("fd", "class_kl", "classes_2pct", "on_fraction_mean", "speckle_rate", "mass_near_01", "notch_depth")
SCALAR_KEYS = ("fd", "precision", "recall", "class_kl", "classes_2pct", "on_fraction_mean", "on_fraction_std",
               "speckle_rate", "memorisation_rate", "mass_near_01", "notch_depth")
# How closely `evaluate --check` must reproduce shipped numbers. Pixel statistics are integer counts:
# they only move if a generator output sits exactly at the threshold. Classifier-based numbers may move
# by a few samples when another CPU sums in another order; fd also goes through a matrix square root.
TOLERANCES = {"fd": (1e-3, 1e-3), "precision": (0, 1e-3), "recall": (0, 1e-3), "class_kl": (1e-3, 1e-4),
              "class_hist": (0, 1e-3), "classes_2pct": (0, 0)}
DEFAULT_TOLERANCE = (1e-6, 1e-6)  # (rtol, atol)


class EvaluationError(ValueError):
    """Metrics that cannot be computed or compared (too few samples, a stale or missing file)."""


# ---------------------------------------------------------------------------------------------------
# Individual metrics: arrays in, numbers out.
# ---------------------------------------------------------------------------------------------------

def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, dtype=np.float64)
    if len(f) < 2:
        raise EvaluationError(f"need at least 2 feature vectors for a covariance, got {len(f)}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(s1 + s2 - 2 (s1 s2)^(1/2))."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2)
    if caught or not np.isfinite(covmean).all():
        # a singular product (fewer samples than dimensions, or dead features): regularise both covariances,
        # as FID implementations do, rather than trust an inaccurate square root
        eps = np.eye(len(s1)) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps))
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real), 0.0))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances in float64, clamped at 0."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.0)


def knn_radii(features: np.ndarray, k: int = K) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    f = np.asarray(features, dtype=np.float64)
    if len(f) <= k:
        raise EvaluationError(f"need more than k={k} points for k-NN radii, got {len(f)}")
    radii = np.empty(len(f))
    for start in range(0, len(f), ROWS):
        d = _sq_dists(f[start:start + ROWS], f)
        radii[start:start + ROWS] = np.partition(d, k, axis=1)[:, k]  # index 0 is the point itself
    return radii


def coverage(queries: np.ndarray, points: np.ndarray, radii: np.ndarray) -> float:
    """Share of `queries` inside at least one ball (points[j], radii[j])."""
    q, p = np.asarray(queries, dtype=np.float64), np.asarray(points, dtype=np.float64)
    inside = np.zeros(len(q), dtype=bool)
    for start in range(0, len(q), ROWS):
        inside[start:start + ROWS] = (_sq_dists(q[start:start + ROWS], p) <= radii[None, :]).any(1)
    return float(inside.mean())


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K,
                     real_radii: np.ndarray | None = None) -> tuple[float, float]:
    """Improved precision and recall; `real_radii` may be passed in when the real set is reused."""
    real_radii = knn_radii(real, k) if real_radii is None else real_radii
    return coverage(fake, real, real_radii), coverage(real, fake, knn_radii(fake, k))


def class_histogram(predictions: np.ndarray) -> np.ndarray:
    pred = np.asarray(predictions)
    if pred.size == 0:
        raise EvaluationError("need at least one prediction for a class histogram")
    return np.bincount(pred, minlength=10)[:10] / pred.size


def class_kl(hist: np.ndarray, reference: np.ndarray) -> float:
    """KL(hist || reference) in nats; classes absent from `hist` contribute 0."""
    p, q = np.asarray(hist, dtype=np.float64), np.maximum(np.asarray(reference, dtype=np.float64), KL_FLOOR)
    nz = p > 0
    return float(max((p[nz] * np.log(p[nz] / q[nz])).sum(), 0.0))


def classes_2pct(hist: np.ndarray) -> int:
    return int((np.asarray(hist) >= 0.02).sum())


def on_fraction(images: np.ndarray) -> tuple[float, float]:
    frac = np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(1)
    return float(frac.mean()), float(frac.std())


def speckle_rate(images: np.ndarray) -> float:
    """Mean number of isolated on-pixels per image (on, with no on-pixel among its 4 neighbours)."""
    x = np.asarray(images, dtype=bool)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {x.shape}")
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    neighbours = p[:, :-2, 1:-1] | p[:, 2:, 1:-1] | p[:, 1:-1, :-2] | p[:, 1:-1, 2:]
    return float((x & ~neighbours).sum() / len(x))


def nearest_hamming(queries: np.ndarray, base: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """Hamming distance from each binary query image to its nearest image in `base`.

    |a| + |b| - 2 a.b by float32 matmul: every partial sum is an integer below 2^24, so the result is
    exact whatever order the BLAS adds in. `exclude_self` skips base[i] for query i (queries == base[:n]).
    """
    q = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
    b = np.asarray(base, dtype=np.float32).reshape(len(base), -1)
    bn = b.sum(1)
    out = np.empty(len(q), dtype=np.int64)
    buf = np.empty((min(ROWS, len(q)), len(b)), dtype=np.float32)  # reused: 245 MB of fresh pages per block is slow
    for start in range(0, len(q), ROWS):
        block = q[start:start + ROWS]
        d = buf[:len(block)]
        np.matmul(block, b.T, out=d)
        d *= -2
        d += bn  # |b| - 2 a.b; |a| is constant along the row, added after the minimum
        if exclude_self:
            rows = np.arange(len(block))
            d[rows, start + rows] = np.inf
        out[start:start + ROWS] = np.rint(d.min(1) + block.sum(1)).astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------------
# The reference side, computed once per process and shared by every checkpoint evaluated.
# ---------------------------------------------------------------------------------------------------

class Reference:
    """Test-set features and statistics, plus (lazily) the training set for memorisation."""

    def __init__(self, data_dir: str | os.PathLike | None = None, classifier: Classifier | str | os.PathLike | None = None,
                 verify: bool = True):
        self.data_dir, self.verify = data_dir, verify
        self.classifier = classifier if isinstance(classifier, Classifier) else load_classifier(classifier)
        test = load_split("test", data_dir, verify=verify)
        self.test_images, self.test_sha256 = test.images, test.sha256
        out = self.classifier.run(test.images)
        self.test_features = out.features
        self.test_mu, self.test_sigma = gaussian_stats(out.features)
        self.label_hist = class_histogram(test.labels)
        self._radii: np.ndarray | None = None
        self._train = None
        self._threshold: float | None = None

    @property
    def test_radii(self) -> np.ndarray:
        if self._radii is None:
            self._radii = knn_radii(self.test_features)
        return self._radii

    @property
    def train(self):
        if self._train is None:
            self._train = load_split("train", self.data_dir, verify=self.verify)
        return self._train

    @property
    def memorisation_threshold(self) -> float:
        """The 5th percentile of test digits' Hamming distances to their nearest training image."""
        if self._threshold is None:
            self._threshold = float(np.percentile(nearest_hamming(self.test_images, self.train.images), MEMO_PERCENTILE))
        return self._threshold

    def fingerprint(self) -> dict[str, Any]:
        """What the numbers depend on besides the samples: changing any of these invalidates them."""
        return {"classifier_sha256": self.classifier.sha256, "test_data_sha256": self.test_sha256,
                "k": K, "memorisation_percentile": MEMO_PERCENTILE,
                "class_kl_direction": "KL(generated || test labels)"}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def image_metrics(images: np.ndarray, ref: Reference, full: bool = True, memorisation: np.ndarray | None = None
                  ) -> dict[str, Any]:
    """Metrics of binary images (N, 28, 28). `memorisation` holds precomputed nearest-training distances."""
    out = ref.classifier.run(images)
    hist = class_histogram(out.predictions)
    mean, std = on_fraction(images)
    m: dict[str, Any] = {"fd": frechet_distance(*gaussian_stats(out.features), ref.test_mu, ref.test_sigma),
                         "class_kl": class_kl(hist, ref.label_hist), "classes_2pct": classes_2pct(hist),
                         "on_fraction_mean": mean, "speckle_rate": speckle_rate(images)}
    if full:
        precision, recall = precision_recall(ref.test_features, out.features, real_radii=ref.test_radii)
        if memorisation is None:
            memorisation = nearest_hamming(images, ref.train.images)
        m |= {"precision": precision, "recall": recall, "class_hist": [float(v) for v in hist],
              "on_fraction_std": std,
              "memorisation_rate": float((memorisation < ref.memorisation_threshold).mean())}
    return m


def _samples(folder: Path, n: int, seed: int):
    from explorer.generator import load_generator

    return load_generator(folder).sample(n, seed)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def evaluate_checkpoint(folder: str | os.PathLike, ref: Reference, n: int = DEFAULT_N, seed: int = 0
                        ) -> dict[str, Any]:
    """All metrics of the checkpoint in `folder`, with what they depend on."""
    from explorer.generator import load_generator

    folder = Path(folder)
    g = load_generator(folder)
    s = g.sample(n, seed)
    m = image_metrics(s.binary, ref)
    m |= {"mass_near_01": mass_near_01(s.preactivation), "notch_depth": notch_depth(s.preactivation)}
    return {"variant": g.name, "epoch": g.epoch, "n_samples": n, "seed": seed,
            "generator_sha256": _sha256(folder / "generator.safetensors"), **ref.fingerprint(), **_ordered(m)}


def real_data_floor(ref: Reference, n: int = DEFAULT_N) -> dict[str, Any]:
    """The same metrics for the first `n` training images (leave-one-out memorisation; no preactivations)."""
    train = ref.train.images
    if not 1 < n <= len(train):
        raise EvaluationError(f"the real-data floor needs 2..{len(train)} training images, asked for {n}")
    images = train[:n]
    m = image_metrics(images, ref, memorisation=nearest_hamming(images, train, exclude_self=True))
    m |= {"mass_near_01": None, "notch_depth": None}
    return {"variant": "real_data", "n_samples": n, "train_data_sha256": ref.train.sha256,
            **ref.fingerprint(), **_ordered(m)}


def _ordered(m: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in SCALAR_KEYS if k in m] + [k for k in m if k not in SCALAR_KEYS]
    return {k: _finite(m[k]) if isinstance(m[k], float) else m[k] for k in keys}


def history_metrics(folder: Path, ref: Reference, n: int = HISTORY_N, seed: int = 0) -> dict[str, Any]:
    """The cheap per-epoch subset for one snapshot."""
    s = _samples(folder, n, seed)
    m = image_metrics(s.binary, ref, full=False)
    m |= {"mass_near_01": mass_near_01(s.preactivation), "notch_depth": notch_depth(s.preactivation)}
    return {k: _finite(m[k]) if isinstance(m[k], float) else m[k] for k in HISTORY_KEYS} | {"eval_samples": n}


def evaluate_history(run: str | os.PathLike, ref: Reference, n: int = HISTORY_N, seed: int = 0,
                     progress: bool = False) -> list[dict[str, Any]]:
    """Evaluate snapshots/epoch-NNN (or the folder itself for its final epoch) for every history entry,
    and merge the numbers into run/history.json. Entries without a generator are left as they are."""
    from explorer.generator import snapshot_dir
    from tqdm.auto import tqdm

    run = Path(run)
    path = run / HISTORY_NAME
    try:
        history = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EvaluationError(f"{path}: cannot read the training history ({e})") from None
    if not isinstance(history, list) or not all(isinstance(r, dict) and isinstance(r.get("epoch"), int) for r in history):
        raise EvaluationError(f"{path}: expected a list of per-epoch objects with an integer 'epoch'")
    final = _final_epoch(run)
    for record in tqdm(history, disable=not progress, desc=f"history {run.name}"):
        epoch = record["epoch"]
        folder = snapshot_dir(run, epoch)
        if not (folder / "generator.safetensors").is_file():
            if epoch != final:
                continue
            folder = run
        record.update(history_metrics(folder, ref, n, seed))
    atomic_write_json(path, history)
    return history


def _final_epoch(folder: Path) -> int | None:
    try:
        return json.loads((folder / "config.json").read_text())["provenance"]["epoch"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------------
# Comparison with shipped numbers, and the table over all variants.
# ---------------------------------------------------------------------------------------------------

def compare_metrics(shipped: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Differences beyond TOLERANCES, one line each; [] when `fresh` reproduces `shipped`."""
    problems = []
    for key in sorted(set(shipped) | set(fresh)):
        a, b = shipped.get(key), fresh.get(key)
        rtol, atol = TOLERANCES.get(key, DEFAULT_TOLERANCE)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            ok = math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            ok = all(math.isclose(x, y, rel_tol=rtol, abs_tol=atol) for x, y in zip(a, b))
        else:
            ok = a == b
        if not ok:
            problems.append(f"{key}: shipped {a!r}, recomputed {b!r}")
    return problems


class _DirLock:
    """Exclusive flock on a folder, so parallel sweep jobs on one machine rebuild the table one at a time."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> None:
        self.fd = os.open(self.folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def rebuild_table(root: str | os.PathLike, ref: Reference, n: int = DEFAULT_N) -> dict[str, Any]:
    """checkpoints/metrics.json = {"real_data": ..., "variants": {name: metrics}, "seeds": {name: {seed: metrics}}}
    and metrics.csv.

    Variants come from each <root>/<name>/metrics.json, their extra training seeds from
    <root>/<name>/seeds/seed-N/metrics.json (training.seeds); the real-data floor is reused from the existing
    table while its fingerprint matches, else recomputed (about a minute on one CPU core)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _DirLock(root):
        table_path = root / METRICS_NAME
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
            path = root / name / METRICS_NAME
            if path.is_file():
                try:
                    variants[name] = json.loads(path.read_text())
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise EvaluationError(f"{path}: not valid JSON ({e})") from None
        seeds = {name: {str(seed): m for seed, m in shipped_seeds(root, name).items()} for name in variants}
        table = {"real_data": real, "variants": variants, "seeds": {name: s for name, s in seeds.items() if s}}
        atomic_write_json(table_path, table)
        atomic_write(root / TABLE_CSV, table_csv(table).encode())
    return table


def table_csv(table: dict[str, Any]) -> str:
    """One row per variant plus the real-data floor; class_hist spread over class_0..class_9."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", "epoch", "n_samples", *SCALAR_KEYS, *(f"class_{c}" for c in range(10))])
    rows = [("real_data", table["real_data"])] + sorted(table["variants"].items())
    for name, m in rows:
        hist = m.get("class_hist") or [None] * 10
        w.writerow([name, m.get("epoch", ""), m.get("n_samples", ""),
                    *(_cell(m.get(k)) for k in SCALAR_KEYS), *(_cell(v) for v in hist)])
    return buf.getvalue()


def _fixed(digits: int) -> Callable[[float], str]:
    """Format with `digits` decimals, or one significant digit for smaller nonzero values (the real-data floor)."""
    return lambda v: f"{v:.{digits}f}" if v == 0 or abs(v) >= 10 ** -digits else f"{v:.1g}"


# README column: (header, metrics key, format). Pixel statistics of real-valued models are on thresholded samples.
MARKDOWN_COLUMNS = (("FD ↓", "fd", lambda v: f"{v:.1f}" if v >= 10 else f"{v:.2f}"),
                    ("precision", "precision", _fixed(3)), ("recall", "recall", _fixed(3)),
                    ("class KL ↓", "class_kl", _fixed(3)), ("classes ≥ 2%", "classes_2pct", str),
                    ("on-pixels", "on_fraction_mean", _fixed(3)),
                    ("speckle / image ↓", "speckle_rate", lambda v: f"{v:.3g}"),
                    ("memorised", "memorisation_rate", _fixed(3)), ("mass near 0/1", "mass_near_01", _fixed(3)),
                    ("notch depth", "notch_depth", _fixed(3)))


def table_markdown(table: dict[str, Any]) -> str:
    """The README's results table: the real-data floor, then the variants in registry order."""
    lines = ["| model | " + " | ".join(h for h, _, _ in MARKDOWN_COLUMNS) + " |",
             "|---" * (len(MARKDOWN_COLUMNS) + 1) + "|"]
    rows = [("real data (floor)", table["real_data"])]
    for name in REGISTRY:
        if name in table["variants"]:
            label = f"`{name}`" + (" (thresholded)" if REGISTRY[name].neuron == "real" else "")
            rows.append((label, table["variants"][name]))
    for label, m in rows:
        cells = ["–" if m.get(key) is None else fmt(m[key]) for _, key, fmt in MARKDOWN_COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


# ---------------------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------------------

def main_evaluate(args) -> int:
    from explorer.generator import checkpoints_root, resolve_checkpoint

    if args.target is None and not args.table:
        raise EvaluationError("name a checkpoint to evaluate, or pass --table")
    ref = Reference(args.data_dir, args.classifier, verify=not args.no_verify)
    if args.target is not None:
        folder, _ = resolve_checkpoint(args.target)
        out = args.out or folder / METRICS_NAME
        metrics = evaluate_checkpoint(folder, ref, args.n, args.seed)
        if args.check:
            try:
                shipped = json.loads(Path(out).read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise EvaluationError(f"{out}: no shipped metrics to check against ({e})") from None
            problems = compare_metrics(shipped, metrics)
            for line in problems:
                print(f"{folder.name}: {line}")
            if problems:
                return 1
            print(f"{folder.name}: reproduces {out}")
        else:
            atomic_write_json(Path(out), metrics)
            print(json.dumps({k: metrics[k] for k in SCALAR_KEYS}, indent=1))
            print(f"metrics written to {out}")
        if args.history:
            evaluate_history(folder, ref, min(args.n, HISTORY_N), args.seed, progress=True)
            print(f"per-epoch metrics merged into {folder / HISTORY_NAME}")
    if args.table:
        root = args.checkpoints or checkpoints_root()
        table = rebuild_table(root, ref, args.n)
        print(f"{root / METRICS_NAME}: real-data floor and {len(table['variants'])} variant(s)")
        if args.markdown:
            print(table_markdown(table), end="")
    return 0


def _read_metrics(path: Path) -> dict[str, Any] | None:
    try:
        m = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return m if isinstance(m, dict) else None


def is_evaluated(folder: Path, ref: Reference, n: int, seed: int) -> bool:
    """True when folder/metrics.json was computed from this generator, classifier, data, n and seed."""
    m = _read_metrics(Path(folder) / METRICS_NAME)
    if m is None or not (Path(folder) / "generator.safetensors").is_file():
        return False
    wanted = ref.fingerprint() | {"n_samples": n, "seed": seed,
                                  "generator_sha256": _sha256(Path(folder) / "generator.safetensors")}
    return all(m.get(k) == v for k, v in wanted.items())

