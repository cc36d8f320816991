"""Helpers shared by the test modules: one place for what several of them need, so no test module imports another's.

Fixtures stay in the conftest files; these are plain functions and constants, imported as `tests.helpers`
(pyproject's `pythonpath = ["."]` puts the repository root on sys.path, for bare `pytest` as for `python -m pytest`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import load_file
from safetensors.torch import save as st_save

from explorer.demo import write_untrained as make_checkpoint  # noqa: F401  (re-exported for the test modules)
from explorer.pages import PAGES, url_path
from training.checkpoint import STATE_FILE, atomic_write_json
from training.classifier import EvalClassifier, save_classifier
from training.data import FILES, write_idx
from training.manifest import write_manifest
from training.trainer import TrainOptions

REPO = Path(__file__).resolve().parent.parent
F32_EPS = float(np.finfo(np.float32).eps)

# `--reproducible` pins torch to its AVX2 kernels; elsewhere (ARM, an x86 without AVX2) it refuses to run.
needs_avx2 = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64")
    or torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"),
    reason="--reproducible needs an x86-64 processor with AVX2",
)


# ---- float32 tolerances -------------------------------------------------------------------------------------------


def f32_tol(scale: float | torch.Tensor, terms: int = 1, factor: float = 16.0) -> float:
    """An absolute tolerance for two float32 results of the same quantity computed along different paths (another
    batch shape, thread count or kernel, so another summation order).

    Each rounding is at most eps * |operand|; errors of `terms` summed, independent terms grow like sqrt(terms);
    `factor` covers the roundings inside the network that produced them. `scale` is the magnitude the arithmetic
    worked at (e.g. |D(y)| for a difference of two scores), which may be far above the magnitude of the result.
    """
    if isinstance(scale, torch.Tensor):
        scale = scale.detach().item()
    return factor * F32_EPS * float(scale) * float(np.sqrt(terms))


# ---- data and checkpoints -----------------------------------------------------------------------------------------


def rewrite_safetensors(path: Path, mutate_tensors=None, mutate_meta=None) -> None:
    """Rewrite a safetensors file in place after mutating its tensors and/or its metadata (hostile-file tests)."""
    blob = path.read_bytes()
    tensors = st_load(blob)
    (n,) = struct.unpack("<Q", blob[:8])
    meta = json.loads(blob[8 : 8 + n])["__metadata__"]
    if mutate_tensors:
        mutate_tensors(tensors)
    if mutate_meta:
        mutate_meta(meta)
    path.write_bytes(st_save(tensors, metadata=meta))


def write_tiny_mnist(folder: Path, n_train: int = 256, n_test: int = 64, seed: int = 0) -> Path:
    """Four valid IDX gzip files with random strokes; their checksums differ from MNIST, so load with verify=False."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        images = (rng.random((n, 28, 28)) < 0.15) * rng.integers(1, 256, (n, 28, 28))
        write_idx(folder / FILES[f"{split}-images"].filename, images.astype(np.uint8))
        write_idx(folder / FILES[f"{split}-labels"].filename, rng.integers(0, 10, n).astype(np.uint8))
    return folder


def make_classifier(folder: Path, seed: int = 0) -> Path:
    """An untrained but well-formed classifier folder: its features are still a fixed function of the image."""
    torch.manual_seed(seed)
    save_classifier(folder, EvalClassifier(), {"test_accuracy": 0.1, "seed": seed, "epochs": 0})
    return folder


# ---- training runs ------------------------------------------------------------------------------------------------


def train_options(out, data, **kw) -> TrainOptions:
    """A short, quiet run on the tiny data set."""
    return TrainOptions(out=out, data_dir=str(data), verify_data=False, progress=False, limit=128, **kw)


def training_state(out: Path) -> dict[str, torch.Tensor]:
    return load_file(out / STATE_FILE)


def assert_same_state(a: Path, b: Path) -> None:
    """Two runs' full training states (weights, optimisers, generator) are bit-identical. Only for runs on the same
    path: same machine, same kernels, same thread count."""
    sa, sb = training_state(a), training_state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


# ---- a campaign and the Hub ---------------------------------------------------------------------------------------

REPO_ID = "binarygan-test/binarygan-mnist"
METRIC_KEYS = ("fd", "precision", "recall", "class_kl", "classes_2pct", "speckle_rate")


def make_campaign(root: Path, checkpoints: Path) -> Path:
    """A checkpoints folder as a finished campaign ships it: variants with their logs and metrics, the
    evaluation classifier, the metrics table and the manifest (all untrained, all well-formed)."""
    shutil.copytree(checkpoints, root)
    variants = {}
    for i, folder in enumerate(sorted(p for p in root.iterdir() if p.is_dir())):
        variants[folder.name] = {k: 0.1 * (i + 1) for k in METRIC_KEYS}
        atomic_write_json(folder / "metrics.json", variants[folder.name])
        atomic_write_json(folder / "history.json", [{"epoch": 1, "d_loss": 0.0, "g_loss": 0.0}])
        (folder / "steps.csv").write_text("step,epoch,d_loss,g_loss\n0,1,0.0,0.0\n")
        if i == 0:  # an extra training seed's numbers, as training.seeds ships them
            atomic_write_json(folder / "seeds" / "seed-1" / "metrics.json", {k: 0.5 for k in METRIC_KEYS})
            atomic_write_json(folder / "seeds" / "seed-1" / "history.json", [{"epoch": 1}])
    make_classifier(root / "classifier")
    atomic_write_json(
        root / "metrics.json",
        {"real_data": {k: 0.01 for k in METRIC_KEYS} | {"n_samples": 10000}, "variants": variants},
    )
    write_manifest(root)
    return root


def build_hub_cache(folder: Path, cache: Path, repo_id: str, revision: str) -> str:
    """Lay `folder` out as huggingface_hub's cache holds a downloaded repository at `revision`:
    blobs/<hash> (the content), snapshots/<commit>/<path> (relative links to the blobs) and refs/<revision>
    (the commit). Returns the commit id. The client names blobs by sha256 (LFS) or git sha1; readers only
    follow the links, so sha256 throughout is enough."""
    storage = cache / f"models--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1((folder / "manifest.json").read_bytes()).hexdigest()  # any 40-hex id is a commit id
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = storage / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, blob)
        link = storage / "snapshots" / commit / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / revision).write_text(commit)
    return commit


# ---- the pages' charts ----------------------------------------------------------------------------------------------


def heatmaps(charts: list[dict]) -> dict[str, np.ndarray]:
    """{title: 28x28 z} of every heatmap on the page."""
    return {
        c["layout"]["title"]["text"]: np.asarray(c["data"][0]["z"], dtype=np.float64)
        for c in charts
        if c["data"] and c["data"][0]["type"] == "heatmap"
    }


# ---- a served app and a browser -----------------------------------------------------------------------------------

STARTUP_TIMEOUT_S = 90
RENDER_TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, proc: subprocess.Popen, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Poll the server's health endpoint until it answers 200; fail at once if the server exits, or at the deadline.
    The poll interval only paces the requests: success is the endpoint's answer, never elapsed time."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before it was healthy")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not healthy within {timeout_s} s")
        time.sleep(0.2)


@contextmanager
def serve(root: Path, log_dir: Path) -> Iterator[str]:
    """`streamlit run` of the app on checkpoints folder `root`, on a free local port; yields its URL once healthy."""
    port = free_port()
    log = (log_dir / "server.log").open("w")
    env = {**os.environ, "BINARYGAN_CHECKPOINTS": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(url, proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e}; see {log.name}") from None
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def one_step_weights(cfg, n_critic: int) -> list:
    """G's parameters after one seeded train_step of `cfg` from a seeded initialisation: the same call twice must give
    the same tensors."""
    import torch

    from training.networks import Generator, build_discriminator
    from training.objectives import make_optimizers
    from training.step import train_step

    torch.manual_seed(0)
    G, D = Generator(cfg).train(), build_discriminator(cfg).train()
    opt_g, opt_d = make_optimizers(cfg, G, D)
    real = (torch.rand(64, 784, generator=torch.Generator().manual_seed(1)) < 0.2).float()
    z = torch.randn(64, 128, generator=torch.Generator().manual_seed(2))
    train_step(cfg, G, D, opt_g, opt_d, real, z, 1.0, n_critic, torch.Generator().manual_seed(3))
    return [p.detach().clone() for p in G.parameters()]


TINY_VARIANTS = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp")  # conftest's checkpoints

# page -> (minimum images, minimum plotly charts, other selectors that must be visible); a page missing here is a
# KeyError below, so a new page cannot go untested in the browser
_RENDERED = {
    "overview": (0, 0, ['[data-testid="stGraphVizChart"] svg', '[data-testid="stDataFrame"]']),
    "samples": (8, 0, ['[data-testid="stDownloadButton"]']),
    "histograms": (0, 1, ['[data-testid="stMetric"]']),
    "interpolation": (3, 2, []),
    "annealing": (5, 3, []),
    "objectives": (3, 1, []),
    "training_metrics": (0, 3, ['[data-testid="stDataFrame"]']),
    "gradient_lab": (1, 11, ['[data-testid="stMetric"]']),
    "estimator_lab": (0, 0, [".st-key-estlab_live"]),  # the fixture ships no study: the page offers to compute one
    "conditional": (6, 3, ['[data-testid="stMetric"]', '[data-testid="stDataFrame"]']),
    "playground": (1, 4, [".st-key-pg_label"]),
}
BROWSER_PAGES = {url_path(p): _RENDERED[p.name] for p in PAGES}  # url path -> what it must render
# Streamlit's own end-to-end tests wait on these attributes of the app's root: the websocket is up, and no script
# run is in progress or asked for. Elements left from an earlier run are marked data-stale="true" until replaced.
APP_IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
APP_IDLE_JS = f"""() => document.querySelector('{APP_IDLE}') !== null
    && document.querySelector('[data-stale="true"]') === null"""
IMAGES = '[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img'


def wait_until_rendered(page, n_images: int, n_charts: int, selectors: list[str]) -> None:
    """Wait for the events that mean the page is drawn: the script run has finished (the app says so), then the
    images have decoded, the plotly charts have drawn and the given elements are attached. No fixed delays."""
    page.wait_for_selector("h1", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(APP_IDLE_JS, timeout=RENDER_TIMEOUT_MS)
    if n_images:
        page.wait_for_function(
            f"""() => {{
                const imgs = [...document.querySelectorAll('{IMAGES}')];
                return imgs.length >= {n_images} && imgs.every(i => i.complete && i.naturalWidth > 0);
            }}""",
            timeout=RENDER_TIMEOUT_MS,
        )
    if n_charts:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_charts}",
            timeout=RENDER_TIMEOUT_MS,
        )
    for selector in selectors:
        page.wait_for_selector(selector, timeout=RENDER_TIMEOUT_MS)
    # a rerun the script asked for (st.rerun, a query-string update) may have started meanwhile: idle again
    page.wait_for_function(APP_IDLE_JS, timeout=RENDER_TIMEOUT_MS)


# The layout has settled when the main panel's height and every chart's and image's box are unchanged over
# several consecutive animation frames (plotly and Streamlit re-lay out on resize, a frame or a few later).
LAYOUT_SETTLED_JS = """(frames) => {
    const boxes = [...document.querySelectorAll('.js-plotly-plot, [data-testid="stImage"] img')]
        .map(e => { const r = e.getBoundingClientRect(); return `${r.width}x${r.height}`; });
    const sig = document.querySelector('[data-testid="stMain"]').scrollHeight + '|' + boxes.join(',');
    if (window.__layoutSig !== sig) { window.__layoutSig = sig; window.__layoutSame = 0; return false; }
    return ++window.__layoutSame >= frames;
}"""


def full_page_screenshot(page, path, width: int, height: int) -> None:
    """Streamlit scrolls inside its main panel, so grow the window to the content before the shot."""
    content = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(content, height), 8000)})
    page.evaluate("window.__layoutSig = null")
    page.wait_for_function(LAYOUT_SETTLED_JS, arg=10, polling="raf", timeout=RENDER_TIMEOUT_MS)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": height})
