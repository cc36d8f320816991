"""What the pages show, cached: loaded generators and critics (shared read-only), computed arrays (bounded in count
and age), the summaries of the checkpoints folder, long computations shared by every session; and per-variant
containment, so one bad variant shows its own message while the page goes on. All computing happens in explorer/."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import streamlit as st

from dashboard import _shared
from explorer import analysis, files, tables
from training.checkpoint import (
    CRITIC_FILE,
    ESTIMATOR_LAB_FILE,
    GRADLAB_COMPARISON_FILE,
    HISTORY_FILE,
    STEPS_FILE,
    CheckpointError,
    checkpoints_root,
)
from training.hub import DownloadProgress, checkpoints_dir, download_progress, has_local_checkpoints
from training.hubrepo import HubConfigError
from training.images import grid_png

if TYPE_CHECKING:  # torch and plotly.express load when a page first needs them, not with the Overview
    from explorer import BinaryGAN, Critic
    from explorer.estimator_lab.compute import SampleStudy, Study
    from explorer.gradient_lab.compute import SampleReport
    from explorer.playground.mnist import Split
    from explorer.playground.slots import Slots

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
CACHE_TTL_S = 3600
SUMMARY_TTL_S = (
    60  # summaries span many files; a short ttl picks up runs and evaluations that ship while the app is open
)


def cached(cache: Callable[..., Any], key: Callable[..., Any], **options: Any) -> Callable[[F], F]:
    """`cache` (st.cache_data, or st.cache_resource for models) over the function, its key also holding
    key(**arguments): the fingerprint of the files behind the result, so a new run or a rewritten file is read
    afresh while everything else is served from the cache."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        def run(files_key: Any, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        # Streamlit keys a cache by the function's module, qualified name and source: each function its own.
        run.__module__, run.__qualname__ = fn.__module__, f"{fn.__qualname__}.cached"
        run = cache(show_spinner=False, **options)(run)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return run(key(**bound.arguments), *bound.args, **bound.kwargs)  # one key however it was called

        wrapper.clear = run.clear  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _fingerprint(name: str, epoch: int | None = None, **_: Any) -> Any:
    return files.fingerprint(name, epoch)


def _root(**_: Any) -> str:
    return str(data_root())


HUB_TTL_S = 600  # how long a Hub answer (the folder, or why there is none) holds before it is asked again


@st.cache_resource(show_spinner=False)
def _hub_answer() -> dict[str, Any]:
    """One per process, shared by the sessions: {"answer": (folder or None, why, time)} once the Hub was asked."""
    return {}


def _hub_root() -> tuple[str | None, str]:
    """(folder, "") or (None, why). The first visit fetches in the open, in an st.status with the file count and
    the bytes; the answer, a failure too, is then kept for HUB_TTL_S, so an offline app does not retry per click."""
    import time

    kept = _hub_answer().get("answer")
    if kept is not None and time.monotonic() - kept[2] < HUB_TTL_S:
        return kept[0], kept[1]
    with st.status("Fetching the checkpoints from the Hugging Face Hub…", expanded=True) as status:
        bar = st.progress(0.0, text="Reading the repository's manifest")
        last: list[DownloadProgress] = []

        def report(p: DownloadProgress) -> None:
            last[:] = [p]
            bar.progress(p.fraction, text=p.text)

        try:
            with download_progress(report):
                folder: str | None = str(checkpoints_dir())
            why = ""
            done = last[0].text if last else "Checkpoints from the Hugging Face Hub"
            status.update(label=f"{done}: ready", state="complete", expanded=False)
        except (CheckpointError, HubConfigError) as e:
            folder, why = None, str(e)
            status.update(label="The checkpoints could not be fetched from the Hugging Face Hub", state="error")
            st.caption(why)
    _hub_answer()["answer"] = (folder, why, time.monotonic())
    return folder, why


def data_root() -> Path:
    """Where checkpoints, histories and metrics are read: the local folder when it holds any checkpoint,
    else the Hub repository (training.hub), else the empty local folder, so every variant is "not trained yet"."""
    root = checkpoints_root()
    if has_local_checkpoints(root):
        return root
    folder, _ = _hub_root()
    return root if folder is None else Path(folder)


def show_root() -> None:
    """The app frame's note of where the checkpoints come from, with why the Hub could not give them, once a run."""
    root = data_root()
    st.sidebar.caption(f"Checkpoints: `{root}`")
    if not has_local_checkpoints(root):
        why = _hub_answer().get("answer", (None, "it was not asked"))[1]
        if why:
            st.sidebar.warning(f"No local checkpoints in `{root}`, and the Hub could not provide them: {why}")


@cached(st.cache_resource, _fingerprint, max_entries=24)
def generator(name: str, epoch: int | None = None) -> BinaryGAN:
    """The loaded generator; the weights file's path, mtime and size key the cache, so a new run is picked up."""
    from explorer import BinaryGAN

    return BinaryGAN.from_pretrained(name, epoch=epoch)


@cached(st.cache_data, _fingerprint, max_entries=96, ttl=CACHE_TTL_S)
def sample_views(name: str, n: int, seed: int, ncols: int, epoch: int | None = None) -> dict[str, Any]:
    """PNG grids of n samples (binary, colour-mapped preactivations; raw/threshold/Bernoulli for the real model)."""
    from explorer import render

    g = generator(name, epoch)
    s = g.sample(n, seed)
    views: dict[str, Any] = {
        "neuron": g.neuron,
        "slope": g.slope,
        "epoch": g.epoch,
        "binary": grid_png(s.binary, ncols),
        "colormap": render.colormap_png(s.preactivation, ncols),
    }
    if g.neuron == "real":
        views["raw"] = grid_png(s.preactivation, ncols)
        views["threshold"] = grid_png(analysis.threshold_view(s.preactivation), ncols)
        views["bernoulli"] = grid_png(analysis.bernoulli_view(s.preactivation, seed), ncols)
    return views


@cached(st.cache_data, _fingerprint, max_entries=96, ttl=CACHE_TTL_S)
def histogram(name: str, n: int, seed: int, bins: int, density: bool, epoch: int | None = None) -> dict[str, Any]:
    """Histogram of the preactivated outputs of n samples, with their mass near 0/1 and notch depth."""
    pre = generator(name, epoch).sample(n, seed).preactivation  # (n, 28, 28)
    edges, heights = analysis.histogram(pre, bins, density)
    return {
        "edges": edges,
        "heights": heights,
        "mass_near_01": analysis.mass_near_01(pre),
        "notch_depth": analysis.notch_depth(pre),
    }


@cached(st.cache_data, _fingerprint, max_entries=48, ttl=CACHE_TTL_S)
def decode(name: str, latents: np.ndarray, seed: int) -> np.ndarray:
    """Binary frames for given latents (the same path for every variant)."""
    return generator(name).decode(latents, seed=seed).binary  # (T, 28, 28)


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def animation(decoded: dict[str, np.ndarray]) -> Any:
    """The interpolation movie (a plotly figure with one frame per step); encoding its frames is the slow part."""
    from explorer import render

    return render.animation(decoded)


@st.cache_data(max_entries=32, ttl=CACHE_TTL_S, show_spinner=False)
def latents(n: int, seed: int) -> np.ndarray:
    from explorer import make_latents

    return make_latents(n, seed)  # (n, 128)


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def variant_table() -> Any:
    return tables.variant_table(data_root())


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def all_metrics() -> Any:
    """(real-data metrics, {variant: metrics}); raises files.DataFileError for a malformed file."""
    return files.all_metrics(data_root())


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def seed_metrics() -> Any:
    """{training seed: {variant: metrics}}; raises files.DataFileError for a malformed file."""
    return files.seed_metrics(data_root())


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def seed_spread() -> Any:
    """Mean, sd and per-seed values of every metric, for the variants trained with more than one seed."""
    return tables.seed_spread(data_root())


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def leaderboard() -> Any:
    return tables.leaderboard(data_root())


def _stamp(*parts: str) -> tuple[str, int, int]:
    """A file of the data root by (root, mtime, size): a rewritten history shows at the next rerun."""
    path = data_root().joinpath(*parts)
    st_ = path.stat() if path.exists() else None
    return (str(path), st_.st_mtime_ns, st_.st_size) if st_ is not None else (str(path), 0, 0)


@cached(st.cache_data, lambda name: _stamp(name, HISTORY_FILE), max_entries=64, ttl=CACHE_TTL_S)
def history(name: str) -> Any:
    return files.history(name, data_root())


@cached(st.cache_data, lambda name, smooth: _stamp(name, STEPS_FILE), max_entries=64, ttl=CACHE_TTL_S)
def steps(name: str, smooth: int) -> Any:
    return files.steps(name, data_root(), smooth=smooth)


# ---------- the gradient lab: critics, and what is computed from a generator and its critic ----------


def model_files(name: str, **_: Any) -> tuple[tuple[str, int, int, int], ...]:
    """The generator's and the critic's fingerprints: the key of everything computed from both."""
    return files.fingerprint(name), files.fingerprint(name, file=CRITIC_FILE)


@cached(st.cache_resource, lambda name: files.fingerprint(name, file=CRITIC_FILE), max_entries=8)
def critic(name: str) -> Critic:
    """The trained critic beside a variant's generator, keyed like `generator` by its file's fingerprint."""
    from explorer import Critic

    return Critic.from_pretrained(name)


@cached(st.cache_data, model_files, max_entries=64, ttl=CACHE_TTL_S)
def _gradient_lab_report(name: str, seed: int, index: int, n: int, draws: int) -> SampleReport:
    from explorer.gradient_lab import compute

    return compute.sample_report(generator(name), critic(name), seed, index, n, draws)


def gradient_lab_report(name: str, seed: int, index: int, n: int, draws: int) -> SampleReport:
    """Sample `index` of the seed's first n through generator and critic: every map of the gradient lab's first
    sections (draws: K for an SBN, within compute.work_limits; a DBN has one entry whatever K)."""
    from explorer.gradient_lab import compute

    return _gradient_lab_report(name, seed, index, *compute.work_limits(name, n, draws))


@cached(st.cache_data, model_files, max_entries=64, ttl=CACHE_TTL_S)
def sources(name: str) -> dict[str, str]:
    """sha256 of the variant's generator and critic, hashed once per version of the files: what a shipped table
    must have been computed from to be shown."""
    from explorer import store

    return store.sources(model_files(name)[0][0])  # the checkpoint folder


@cached(st.cache_data, lambda: _stamp(GRADLAB_COMPARISON_FILE), max_entries=4, ttl=CACHE_TTL_S)
def shipped_comparison() -> dict[str, dict[str, Any]]:
    """The gradient lab's shipped comparison rows (gradient_lab.store.shipped_comparison); CheckpointError for a bad file."""
    from explorer.gradient_lab import store

    return store.shipped_comparison(data_root())


@cached(st.cache_data, lambda name: _stamp(name, ESTIMATOR_LAB_FILE), max_entries=32, ttl=CACHE_TTL_S)
def shipped_study(name: str) -> Study | None:
    """The variant's shipped estimator study, None when it has none; CheckpointError for a bad file."""
    from explorer.estimator_lab import store

    return store.shipped(name, data_root())


def comparison_row(
    name: str, n: int, draws: int, shipped: dict[str, dict[str, Any]], progress: Callable[[float], None]
) -> dict[str, Any]:
    """One variant's row of the gradient lab's comparison over n samples of seed 0: the shipped row when it was
    computed at these settings from these files, else computed once for every session."""
    from explorer.gradient_lab import compute, store

    key = model_files(name)
    row = store.shipped_row(shipped, name, n, draws, sources(name))
    if row is not None:
        return row
    return _shared.shared().get(
        ("compare", name, n, draws, key),
        lambda: compute.compare(generator(name), critic(name), n, 0, draws, progress).summary(),
    )


def _study_key(name: str, seed: int, index: int) -> tuple[Any, ...]:
    return "estlab", name, seed, index, model_files(name)


def kept_study(name: str, seed: int, index: int) -> SampleStudy | None:
    """The estimator study of one sample if some session computed it live, else None."""
    try:
        return _shared.shared().peek(_study_key(name, seed, index))
    except (CheckpointError, OSError):  # its files vanished: nothing is kept for them
        return None


def live_study(name: str, seed: int, index: int, progress: Callable[[float], None]) -> SampleStudy:
    """Every estimator at every budget for one sample, computed once for every session (about ten seconds)."""
    from explorer.estimator_lab import compute

    def run() -> SampleStudy:
        return compute.study_sample(generator(name), critic(name), index, seed, progress=progress)

    return _shared.shared().get(_study_key(name, seed, index), run)


# ---------- conditional computation (explorer.gated) ----------


@cached(st.cache_data, _fingerprint, max_entries=48, ttl=CACHE_TTL_S)
def expert_grid(name: str, expert: int | None, n: int, seed: int, ncols: int) -> dict[str, Any]:
    """A PNG grid of n samples of `seed` and the expert each ran through: their own (expert None) or one forced."""
    from explorer import gated

    g = generator(name)
    if expert is None:
        binary, index = gated.routes(g, n, seed)
    else:
        binary, index = gated.expert_samples(g, expert, n, seed), np.full(n, expert)
    return {"png": grid_png(binary, ncols), "experts": index}


@cached(st.cache_data, _fingerprint, max_entries=48, ttl=CACHE_TTL_S)
def path_gates(name: str, latents: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames (T, 28, 28), active expert per frame (T,)) along a latent path."""
    from explorer import gated

    return gated.path_gates(generator(name), latents, seed)


@cached(st.cache_data, _root, max_entries=8, ttl=SUMMARY_TTL_S)
def gated_metrics() -> dict[str, Any]:
    """The shipped gate metrics: the seeds table, the verdicts, {variant: {seed: GateMetrics}}, and the controls'
    table and verdicts; raises files.DataFileError for a malformed file."""
    from explorer import gated

    root = data_root()
    return {
        "summary": gated.summary(root),
        "verdicts": gated.judge(root),
        "seeds": {name: gated.gate_metrics(name, root) for name in gated.gated_variants()},
        "controls": gated.controls_table(root),
        "control_verdicts": gated.judge_controls(root),
    }


@st.cache_resource(show_spinner=False)
def playground_slots() -> Slots:
    """The server process's one line for live Playground runs, shared by every session."""
    from explorer.playground.slots import Slots

    return Slots()


@st.cache_resource(show_spinner="Reading the MNIST training split…")
def mnist_train() -> Split:
    """The MNIST training split from the usual data folder, read once per process and shared by every live run
    (47 MB of uint8). DataError, naming the folder and how to fill it, when it is absent; that is not cached, so the
    page finds the data as soon as it is there."""
    from explorer.playground.mnist import training_split

    return training_split()
