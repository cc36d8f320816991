"""Evaluation of generators against the 10,000 binarised MNIST test digits (the metrics: training.metrics).

All metrics are measured on `n` samples drawn with a fixed seed, so a rerun reproduces them. The reference side
(test-set features, the training set for memorisation) is computed once per process and shared.

The real-data floor applies the same metrics to the first `n` training images. Their memorisation is
leave-one-out (each image's own copy is excluded from its nearest-neighbour search), so it measures
near-duplicates inside MNIST. Real images have no preactivated outputs: mass_near_01 and notch_depth are
null (N/A) there.

The cheap per-epoch subset (`history_metrics`) uses 2,000 samples and skips precision/recall and
memorisation; its fd is against the full test set, so it is biased upwards relative to the 10k fd.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from training import gated
from training.checkpoint import GENERATOR_FILE, HISTORY_FILE, METRICS_FILE, atomic_write_json, final_epoch, snapshot_dir
from training.classifier import Classifier, ClassifierOutputs, load_classifier
from training.data import Split, load_split
from training.manifest import sha256_file
from training.metrics import (
    METRICS,
    PER_EPOCH,
    EvaluationError,
    K,
    class_histogram,
    class_kl,
    classes_2pct,
    frechet_distance,
    gaussian_stats,
    knn_radii,
    mass_near_01,
    nearest_hamming,
    notch_depth,
    on_fraction,
    precision_recall,
    speckle_rate,
)
from training.pretrained import BinaryGAN
from training.sampling import Samples

MEMO_PERCENTILE = 5.0
DEFAULT_N = 10_000
HISTORY_N = 2_000
# How closely `evaluate --check` must reproduce shipped numbers. Pixel statistics are integer counts:
# they only move if a generator output sits exactly at the threshold. Classifier-based numbers may move
# by a few samples when another CPU sums in another order; fd also goes through an eigendecomposition.
# The preactivations are float sums whose last bits depend on the CPU's vector kernels (AVX2, AVX-512), so a few
# of the 7.8 million p values land across a histogram edge or the threshold on another machine: shape and pixel
# statistics get an absolute tolerance of about a hundred values' worth.
TOLERANCES = {
    "fd": (1e-3, 1e-3),
    "precision": (0, 1e-3),
    "recall": (0, 1e-3),
    "class_kl": (1e-3, 1e-4),
    "class_hist": (0, 1e-3),
    "classes_2pct": (0, 0),
    "mass_near_01": (0, 1e-4),
    "notch_depth": (0, 1e-4),
    "speckle_rate": (1e-4, 1e-4),
    "on_fraction_mean": (0, 1e-5),
    "on_fraction_std": (0, 1e-5),
    "memorisation_rate": (0, 1e-3),
    **gated.GATING_TOLERANCES,
}
DEFAULT_TOLERANCE = (1e-6, 1e-6)  # (rtol, atol)


# ---------------------------------------------------------------------------------------------------
# The reference side, computed once per process and shared by every checkpoint evaluated.
# ---------------------------------------------------------------------------------------------------


class Reference:
    """Test-set features and statistics, plus (lazily) the training set for memorisation."""

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        classifier: Classifier | str | os.PathLike | None = None,
        verify: bool = True,
    ):
        self.data_dir, self.verify = data_dir, verify
        self.classifier = classifier if isinstance(classifier, Classifier) else load_classifier(classifier)
        test = load_split("test", data_dir, verify=verify)
        self.test_images, self.test_sha256 = test.images, test.sha256
        out = self.classifier.run(test.images)
        self.test_features = out.features
        self.test_mu, self.test_sigma = gaussian_stats(out.features)
        self.label_hist = class_histogram(test.labels)
        self._radii: np.ndarray | None = None
        self._train: Split | None = None
        self._threshold: float | None = None

    @property
    def test_radii(self) -> np.ndarray:
        if self._radii is None:
            self._radii = knn_radii(self.test_features)
        return self._radii

    @property
    def train(self) -> Split:
        if self._train is None:
            self._train = load_split("train", self.data_dir, verify=self.verify)
        return self._train

    @property
    def memorisation_threshold(self) -> float:
        """The 5th percentile of test digits' Hamming distances to their nearest training image."""
        if self._threshold is None:
            self._threshold = float(
                np.percentile(nearest_hamming(self.test_images, self.train.images), MEMO_PERCENTILE)
            )
        return self._threshold

    def fingerprint(self) -> dict[str, Any]:
        """What the numbers depend on besides the samples: changing any of these invalidates them."""
        return {
            "classifier_sha256": self.classifier.sha256,
            "test_data_sha256": self.test_sha256,
            "k": K,
            "memorisation_percentile": MEMO_PERCENTILE,
            "class_kl_direction": "KL(generated || test labels)",
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def image_metrics(
    images: np.ndarray,
    ref: Reference,
    full: bool = True,
    memorisation: np.ndarray | None = None,
    classified: ClassifierOutputs | None = None,
) -> dict[str, Any]:
    """Metrics of binary images (N, 28, 28). `memorisation` holds precomputed nearest-training distances, `classified`
    the classifier's outputs for these images."""
    out = classified if classified is not None else ref.classifier.run(images)
    hist = class_histogram(out.predictions)
    mean, std = on_fraction(images)
    m: dict[str, Any] = {
        "fd": frechet_distance(*gaussian_stats(out.features), ref.test_mu, ref.test_sigma),
        "class_kl": class_kl(hist, ref.label_hist),
        "classes_2pct": classes_2pct(hist),
        "on_fraction_mean": mean,
        "speckle_rate": speckle_rate(images),
    }
    if full:
        precision, recall = precision_recall(ref.test_features, out.features, real_radii=ref.test_radii)
        if memorisation is None:
            memorisation = nearest_hamming(images, ref.train.images)
        m |= {
            "precision": precision,
            "recall": recall,
            "class_hist": [float(v) for v in hist],
            "on_fraction_std": std,
            "memorisation_rate": float((memorisation < ref.memorisation_threshold).mean()),
        }
    return m


def _shape_metrics(s: Samples) -> dict[str, float]:
    return {"mass_near_01": mass_near_01(s.preactivation), "notch_depth": notch_depth(s.preactivation)}


def evaluate_checkpoint(folder: str | os.PathLike, ref: Reference, n: int = DEFAULT_N, seed: int = 0) -> dict[str, Any]:
    """All metrics of the checkpoint in `folder`, with what they depend on."""
    folder = Path(folder)
    g = BinaryGAN.from_pretrained(folder)
    s = g.sample(n, seed)
    classified = ref.classifier.run(s.binary)
    m = image_metrics(s.binary, ref, classified=classified) | _shape_metrics(s)
    if s.gates is not None:
        m |= _gating_metrics(g, s.gates, classified.predictions, seed)
    return {
        "variant": g.name,
        "epoch": g.epoch,
        "n_samples": n,
        "seed": seed,
        "generator_sha256": sha256_file(folder / GENERATOR_FILE),
        **ref.fingerprint(),
        **_ordered(m),
    }


def _gating_metrics(g: BinaryGAN, gates: np.ndarray, digits: np.ndarray, seed: int) -> dict[str, Any]:
    """Expert usage and specialisation of the evaluation samples, and the gates along interpolations."""
    path = g.decode(gated.interpolation_latents(seed), seed=seed).gates
    assert path is not None  # a gated generator's samples carry their gates
    path_index = path.argmax(axis=1).reshape(gated.FLIP_PAIRS, gated.FLIP_STEPS)
    return gated.gating_metrics(gates.argmax(axis=1), digits, path_index, g.experts)


def real_data_floor(ref: Reference, n: int = DEFAULT_N) -> dict[str, Any]:
    """The same metrics for the first `n` training images (leave-one-out memorisation; no preactivations)."""
    train = ref.train.images
    if not 1 < n <= len(train):
        raise EvaluationError(f"the real-data floor needs 2..{len(train)} training images, asked for {n}")
    images = train[:n]
    m = image_metrics(images, ref, memorisation=nearest_hamming(images, train, exclude_self=True))
    m |= {"mass_near_01": None, "notch_depth": None}
    return {
        "variant": "real_data",
        "n_samples": n,
        "train_data_sha256": ref.train.sha256,
        **ref.fingerprint(),
        **_ordered(m),
    }


def _ordered(m: dict[str, Any]) -> dict[str, Any]:
    """The listed metrics first, in METRICS order; non-finite numbers become null."""
    keys = [x.key for x in METRICS if x.key in m] + [k for k in m if k not in {x.key for x in METRICS}]
    return {k: _finite(m[k]) if isinstance(m[k], float) else m[k] for k in keys}


def history_metrics(folder: Path, ref: Reference, n: int = HISTORY_N, seed: int = 0) -> dict[str, Any]:
    """The cheap per-epoch subset for one snapshot."""
    s = BinaryGAN.from_pretrained(folder).sample(n, seed)
    m = image_metrics(s.binary, ref, full=False) | _shape_metrics(s)
    return {x.key: _finite(m[x.key]) if isinstance(m[x.key], float) else m[x.key] for x in PER_EPOCH} | {
        "eval_samples": n
    }


def check_writable(path: Path) -> Path:
    """`path` itself, refused when writing it would change the Hugging Face cache: replacing one of its links
    (atomic writes rename a new file over the old) leaves a file its manifest no longer vouches for, and the
    next load rejects the whole variant as altered."""
    from huggingface_hub import constants

    if path.is_symlink() or path.resolve().is_relative_to(Path(constants.HF_HUB_CACHE).resolve()):
        raise EvaluationError(
            f"{path}: in the Hugging Face cache, which is never written to; evaluate a local copy "
            "of the checkpoint folder, or write the metrics elsewhere with --out"
        )
    return path


def evaluate_history(
    run: str | os.PathLike, ref: Reference, n: int = HISTORY_N, seed: int = 0, progress: bool = False
) -> list[dict[str, Any]]:
    """Evaluate snapshots/epoch-NNN (or the folder itself for its final epoch) for every history entry,
    and merge the numbers into run/history.json. Entries without a generator are left as they are."""
    from tqdm.auto import tqdm

    run = Path(run)
    path = check_writable(run / HISTORY_FILE)
    try:
        history = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EvaluationError(f"{path}: cannot read the training history ({e})") from None
    if not isinstance(history, list) or not all(
        isinstance(r, dict) and isinstance(r.get("epoch"), int) for r in history
    ):
        raise EvaluationError(f"{path}: expected a list of per-epoch objects with an integer 'epoch'")
    final = final_epoch(run)
    for record in tqdm(history, disable=not progress, desc=f"history {run.name}"):
        epoch = record["epoch"]
        folder = snapshot_dir(run, epoch)
        if not (folder / GENERATOR_FILE).is_file():
            if epoch != final:
                continue
            folder = run
        record.update(history_metrics(folder, ref, n, seed))
    atomic_write_json(path, history)
    return history


# ---------------------------------------------------------------------------------------------------
# Comparison with shipped numbers.
# ---------------------------------------------------------------------------------------------------


def compare_metrics(shipped: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Differences beyond TOLERANCES, one line each; [] when `fresh` reproduces `shipped`."""
    problems = []
    for key in sorted(set(shipped) | set(fresh)):
        a, b = shipped.get(key), fresh.get(key)
        rtol, atol = TOLERANCES.get(key, DEFAULT_TOLERANCE)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            ok = math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
        elif isinstance(a, list) and isinstance(b, list):  # a vector, or a table of numbers
            ok = _close_arrays(a, b, rtol, atol)
        else:
            ok = a == b
        if not ok:
            problems.append(f"{key}: shipped {a!r}, recomputed {b!r}")
    return problems


def _close_arrays(a: list, b: list, rtol: float, atol: float) -> bool:
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (ValueError, TypeError):  # ragged, or not numbers
        return False
    return x.shape == y.shape and all(
        math.isclose(u, v, rel_tol=rtol, abs_tol=atol) for u, v in zip(x.ravel(), y.ravel(), strict=True)
    )


def _read_metrics(path: Path) -> dict[str, Any] | None:
    try:
        m = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return m if isinstance(m, dict) else None


def is_evaluated(folder: Path, ref: Reference, n: int, seed: int) -> bool:
    """True when folder/metrics.json was computed from this generator, classifier, data, n and seed."""
    m = _read_metrics(Path(folder) / METRICS_FILE)
    if m is None or not (Path(folder) / GENERATOR_FILE).is_file():
        return False
    wanted = ref.fingerprint() | {
        "n_samples": n,
        "seed": seed,
        "generator_sha256": sha256_file(Path(folder) / GENERATOR_FILE),
    }
    return all(m.get(k) == v for k, v in wanted.items())
