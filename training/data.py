"""Binarised MNIST from the four IDX gzip files, verified against the canonical uncompressed sha256.

The directory comes from `--data-dir` or the BINARYGAN_DATA environment variable. Users who are online
may download the files from the usual mirrors; downloads are verified, then written atomically.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.checkpoint import atomic_write

DATA_ENV = "BINARYGAN_DATA"
DEFAULT_DATA_DIR = Path("data/mnist")
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


@dataclass(frozen=True)
class IdxFile:
    filename: str
    sha256: str  # of the uncompressed content
    magic: int  # 0x803 images, 0x801 labels
    count: int


FILES = {
    "train-images": IdxFile(
        "train-images-idx3-ubyte.gz", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 0x803, 60_000
    ),
    "train-labels": IdxFile(
        "train-labels-idx1-ubyte.gz", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 0x801, 60_000
    ),
    "test-images": IdxFile(
        "t10k-images-idx3-ubyte.gz", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 0x803, 10_000
    ),
    "test-labels": IdxFile(
        "t10k-labels-idx1-ubyte.gz", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 0x801, 10_000
    ),
}
MAX_UNCOMPRESSED = 64 * 2**20  # the largest real file is 47 MB; refuse gzip bombs


class DataError(ValueError):
    """A data file that is missing, truncated, malformed or fails its checksum. The message names the file."""


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8 in {0, 1}
    labels: np.ndarray  # (N,) uint8 in 0..9
    sha256: str  # of the uncompressed images file


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    return Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)


def _decompress(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(
            f"{path}: file not found (expected the MNIST IDX gzip file here). Pass --download to fetch MNIST, or point "
            f"--data-dir or ${DATA_ENV} at a folder that holds its four IDX files"
        )
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_UNCOMPRESSED + 1)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise DataError(f"{path}: not a complete gzip file ({e})") from None
    if len(raw) > MAX_UNCOMPRESSED:
        raise DataError(f"{path}: decompresses to more than {MAX_UNCOMPRESSED} bytes; not an MNIST file")
    return raw


def parse_idx(raw: bytes, spec: IdxFile, name: str) -> np.ndarray:
    """Check magic, dimensions and length; return (N, 28, 28) or (N,) uint8."""
    ndim = 3 if spec.magic == 0x803 else 1
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} bytes)")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != spec.magic:
        raise DataError(f"{name}: wrong magic number 0x{magic:08x}, expected 0x{spec.magic:08x}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{name}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(f"{name}: {len(raw)} bytes, but its header {dims} needs {expected} (truncated or padded)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(data_dir: Path, key: str, verify: bool = True) -> tuple[np.ndarray, str]:
    spec = FILES[key]
    path = data_dir / spec.filename
    raw = _decompress(path)
    array = parse_idx(raw, spec, str(path))
    digest = hashlib.sha256(raw).hexdigest()
    if verify and digest != spec.sha256:
        raise DataError(f"{path}: sha256 of the uncompressed content is {digest}, expected {spec.sha256}")
    return array, digest


def load_split(
    split: str = "train", data_dir: str | os.PathLike | None = None, verify: bool = True, limit: int | None = None
) -> Split:
    """Binarised MNIST: pixels with nonzero intensity become 1. `limit` keeps the first N examples."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = resolve_data_dir(data_dir)
    images, digest = read_idx(root, f"{split}-images", verify)
    labels, _ = read_idx(root, f"{split}-labels", verify)
    if len(images) != len(labels):
        raise DataError(f"{root}: {len(images)} {split} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise DataError(f"{root / FILES[f'{split}-labels'].filename}: label {labels.max()} is not a digit")
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        images, labels = images[:limit], labels[:limit]
    return Split((images > 0).astype(np.uint8), labels.copy(), digest)


def download(
    data_dir: str | os.PathLike | None = None, mirrors: tuple[str, ...] = MIRRORS, timeout: float = 60.0
) -> Path:
    """Fetch any missing or broken file from the first mirror that serves a verified copy."""
    root = resolve_data_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    for key, spec in FILES.items():
        target = root / spec.filename
        try:
            read_idx(root, key, verify=True)
            continue
        except DataError:
            pass
        errors = []
        for mirror in mirrors:
            try:
                with urllib.request.urlopen(mirror + spec.filename, timeout=timeout) as r:
                    blob = r.read(MAX_UNCOMPRESSED)
                raw = gzip.decompress(blob)
                if hashlib.sha256(raw).hexdigest() != spec.sha256:
                    raise DataError("checksum mismatch")
            except (OSError, EOFError, zlib.error, DataError) as e:
                errors.append(f"{mirror}: {e}")
                continue
            atomic_write(target, blob)
            break
        else:
            raise DataError(f"{target}: no mirror gave a verified copy ({'; '.join(errors)})")
    return root


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX gzip file (for tests and tiny data sets)."""
    magic = 0x803 if array.ndim == 3 else 0x801
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    atomic_write(path, gzip.compress(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes(), mtime=0))
