"""The evaluation classifier: a small CNN trained by this project on binarised MNIST.

It serves two purposes in `training.evaluate`: its predicted classes give the class distribution of
generated digits, and its 128-d penultimate layer is the feature space for the Fréchet distance and
for precision/recall. A folder `checkpoints/classifier/` holds `classifier.safetensors` (fp16 weights)
beside `config.json` (architecture version, measured test accuracy, provenance). Loading validates
both files the way generator checkpoints are validated; nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save as st_save
from torch import nn
from torch.nn import functional as F

from training.checkpoint import (
    CLASSIFIER_DIR,
    CONFIG_FILE,
    REPO_CHECKPOINTS,
    CheckpointError,
    atomic_write,
    atomic_write_json,
    build_empty,
    check_state,
    parse_safetensors,
    read_regular_file,
)
from training.data import load_split
from training.networks import IMAGE_SIZE

CLASSIFIER_FILE = "classifier.safetensors"  # beside CONFIG_FILE
FORMAT = "binarygan-classifier/1"
FEATURE_DIM = 128
MAX_FILE_BYTES = 8 * 2**20  # the shipped classifier is ~0.45 MB in fp16
EVAL_CHUNK = 2048  # rows per inference pass; bounds memory for 60,000 images
MAX_SHIFT = 2  # training augmentation: random translations of up to this many pixels (closes the train/test gap)
DEFAULT_DIR = REPO_CHECKPOINTS / CLASSIFIER_DIR


class EvalClassifier(nn.Module):
    """conv 32 3x3 -> pool -> conv 64 3x3 -> pool -> dense 128 (the features) -> dense 10.

    Two poolings keep the dense layer at 1600x128, so the whole net is ~225k parameters.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)  # (B, 32, 26, 26), pooled to 13x13
        self.conv2 = nn.Conv2d(32, 64, 3)  # (B, 64, 11, 11), pooled to 5x5
        self.fc1 = nn.Linear(64 * 5 * 5, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, 10)
        self.drop_conv = nn.Dropout(0.25)
        self.drop_fc = nn.Dropout(0.5)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 28, 28) images in {0, 1} -> (B, 128) penultimate activations (after ReLU)."""
        h = F.max_pool2d(F.relu(self.conv1(x.view(-1, 1, IMAGE_SIZE, IMAGE_SIZE))), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return F.relu(self.fc1(self.drop_conv(h.flatten(1))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 28, 28) -> (B, 10) logits
        return self.fc2(self.drop_fc(self.features(x)))


@dataclass(frozen=True)
class ClassifierOutputs:
    features: np.ndarray  # (N, 128) float32 penultimate activations
    predictions: np.ndarray  # (N,) int64 predicted digit


class Classifier:
    """A loaded evaluation classifier in eval mode, with numpy in and out."""

    def __init__(self, net: EvalClassifier, info: dict[str, Any], sha256: str = ""):
        self.net = net.eval().requires_grad_(False)
        self.info = info
        self.sha256 = sha256  # of the weights file: names the feature space that metrics were computed in

    def run(self, images: np.ndarray) -> ClassifierOutputs:
        """Features and predictions for (N, 28, 28) binary images."""
        images = np.asarray(images)
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"images must have shape (N, 28, 28), got {images.shape}")
        feats, preds = [], []
        with torch.inference_mode():
            for start in range(0, len(images), EVAL_CHUNK):
                x = torch.from_numpy(np.ascontiguousarray(images[start : start + EVAL_CHUNK], dtype=np.float32))
                f = self.net.features(x)
                feats.append(f)
                preds.append(self.net.fc2(f).argmax(1))
        if not feats:
            return ClassifierOutputs(np.zeros((0, FEATURE_DIM), np.float32), np.zeros(0, np.int64))
        return ClassifierOutputs(torch.cat(feats).numpy(), torch.cat(preds).numpy())

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        return float((self.run(images).predictions == np.asarray(labels)).mean())


def random_shift(x: torch.Tensor, rng: torch.Generator, max_shift: int = MAX_SHIFT) -> torch.Tensor:
    """Translate each image of (B, 28, 28) by its own offset in [-max_shift, max_shift]^2, zero-filled."""
    b = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4)  # (B, 28 + 2 max_shift, 28 + 2 max_shift)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, b), generator=rng)
    rows = torch.arange(IMAGE_SIZE)[None, :] + dy[:, None]  # (B, 28)
    cols = torch.arange(IMAGE_SIZE)[None, :] + dx[:, None]
    return padded[torch.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]


@dataclass
class ClassifierOptions:
    out: Path
    data_dir: str | None = None
    seed: int = 0
    epochs: int = 8
    batch_size: int = 128
    lr: float = 3e-3  # peak of the one-cycle schedule: warm up, then anneal to ~0, so few epochs suffice
    limit: int | None = None  # train on the first N images (tests)
    verify_data: bool = True
    progress: bool = True


def train_classifier(opts: ClassifierOptions) -> Classifier:
    """Train on the binarised training set, store fp16 weights, then measure test accuracy of what was stored."""
    from tqdm.auto import tqdm

    from training.provenance import code_commit, describe_device

    t0 = time.perf_counter()
    train = load_split("train", opts.data_dir, verify=opts.verify_data, limit=opts.limit)
    test = load_split("test", opts.data_dir, verify=opts.verify_data)
    x = torch.from_numpy(train.images).float()  # (N, 28, 28)
    y = torch.from_numpy(train.labels).long()
    torch.manual_seed(opts.seed)
    rng = torch.Generator().manual_seed(opts.seed)
    net = EvalClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=opts.lr)
    steps = -(-len(x) // opts.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=opts.lr, total_steps=opts.epochs * steps)
    bar = tqdm(total=opts.epochs * steps, disable=not opts.progress, unit="it", desc="classifier")
    for _ in range(opts.epochs):
        net.train()
        perm = torch.randperm(len(x), generator=rng)
        for i in range(steps):
            idx = perm[i * opts.batch_size : (i + 1) * opts.batch_size]
            loss = F.cross_entropy(net(random_shift(x[idx], rng)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
    bar.close()

    info = {
        "format": FORMAT,
        "feature_dim": FEATURE_DIM,
        "seed": opts.seed,
        "epochs": opts.epochs,
        "batch_size": opts.batch_size,
        "lr_schedule": f"one-cycle, Adam, peak {opts.lr}",
        "augmentation": f"random shifts of up to {MAX_SHIFT} px",
        "train_images": len(x),
        "train_data_sha256": train.sha256,
        "test_data_sha256": test.sha256,
        "code_commit": code_commit(),
        "device": describe_device(torch.device("cpu")),
        "versions": {"torch": torch.__version__},
        "weights_dtype": "float16",
    }
    blob = st_save(_to_fp16(net), metadata={"format": FORMAT})
    # accuracy of the weights as shipped (fp16, reloaded), not of the fp32 ones still in memory
    shipped = Classifier(_build(parse_safetensors(blob, CLASSIFIER_FILE)[0], CLASSIFIER_FILE), info)
    info["test_accuracy"] = round(shipped.accuracy(test.images, test.labels), 6)
    info["test_images"] = len(test.images)
    info["wall_time_s"] = round(time.perf_counter() - t0, 1)
    save_classifier(opts.out, blob, info)
    return load_classifier(opts.out)


def save_classifier(folder: str | os.PathLike, weights: bytes | nn.Module, info: dict[str, Any]) -> None:
    """Write classifier.safetensors (fp16; a module is converted) and config.json into `folder`."""
    blob = weights if isinstance(weights, bytes) else st_save(_to_fp16(weights), metadata={"format": FORMAT})
    atomic_write(Path(folder) / CLASSIFIER_FILE, blob)
    atomic_write_json(Path(folder) / CONFIG_FILE, {"format": FORMAT, **info})


def _to_fp16(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}


def _build(tensors: dict[str, torch.Tensor], name: str) -> EvalClassifier:
    net = build_empty(EvalClassifier)  # no initialisation: loading leaves torch's global generator alone
    check_state(tensors, net.state_dict(), name)
    net.load_state_dict({k: v.float() for k, v in tensors.items()})
    return net


def load_classifier(folder: str | os.PathLike | None = None) -> Classifier:
    """Validate and load a classifier folder (default: the shipped checkpoints/classifier)."""
    folder = Path(folder) if folder is not None else DEFAULT_DIR
    weights, config = folder / CLASSIFIER_FILE, folder / CONFIG_FILE
    blob = read_regular_file(weights, folder, "classifier", MAX_FILE_BYTES)
    tensors, metadata = parse_safetensors(blob, str(weights))
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{weights}: format {metadata.get('format')!r}, expected {FORMAT!r}")
    try:
        info = json.loads(read_regular_file(config, folder, "classifier config", MAX_FILE_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{config}: not valid JSON ({e})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{config}: expected a JSON object with format {FORMAT!r}")
    return Classifier(_build(tensors, str(weights)), info, hashlib.sha256(blob).hexdigest())
