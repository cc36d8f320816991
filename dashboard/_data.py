"""What the pages show, cached: loaded generators and critics (shared read-only), computed arrays (bounded in count
and age), the summaries of the checkpoints folder, long computations shared by every session; and per-variant
containment, so one bad variant shows its own message while the page goes on. All computing happens in explorer/."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import streamlit as st

from explorer import analysis, files, tables
from training.checkpoint import (
    CRITIC_FILE,
    ESTIMATOR_LAB_FILE,
    GRADLAB_COMPARISON_FILE,
    HISTORY_FILE,
    STEPS_FILE,
    CheckpointError,
    CheckpointNotFound,
    checkpoints_root,
)
from training.hub import DownloadProgress, checkpoints_dir, download_progress, has_local_checkpoints
from training.hubrepo import HubConfigError
from training.images import grid_png

if TYPE_CHECKING:  # torch and plotly.express load when a page first needs them, not with the Overview
    from explorer import BinaryGAN, Critic
    from explorer.estimator_lab.compute import SampleStudy, Study
    from explorer.gradient_lab.compute import SampleReport

T = TypeVar("T")
CACHE_TTL_S = 3600


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
    folder, why = _hub_root()
    if folder is None:
        st.sidebar.warning(f"No local checkpoints in `{root}`, and the Hub could not provide them: {why}")
        return root
    return Path(folder)


@st.cache_resource(max_entries=24, show_spinner=False)
def _generator(name: str, epoch: int | None, fingerprint: tuple[str, int, int, int]) -> BinaryGAN:
    from explorer import BinaryGAN

    return BinaryGAN.from_pretrained(name, epoch=epoch)


def generator(name: str, epoch: int | None = None) -> BinaryGAN:
    """The loaded generator; the weights file's path, mtime and size key the cache, so a new run is picked up."""
    return _generator(name, epoch, files.fingerprint(name, epoch))


@st.cache_data(max_entries=96, ttl=CACHE_TTL_S, show_spinner=False)
def _sample_views(
    name: str, epoch: int | None, n: int, seed: int, ncols: int, fingerprint: tuple[str, int, int, int]
) -> dict[str, Any]:
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


def sample_views(name: str, n: int, seed: int, ncols: int, epoch: int | None = None) -> dict[str, Any]:
    """PNG grids of n samples (binary, colour-mapped preactivations; raw/threshold/Bernoulli for the real model)."""
    return _sample_views(name, epoch, n, seed, ncols, files.fingerprint(name, epoch))


@st.cache_data(max_entries=96, ttl=CACHE_TTL_S, show_spinner=False)
def _histogram(
    name: str, epoch: int | None, n: int, seed: int, bins: int, density: bool, fingerprint: tuple[str, int, int, int]
) -> dict[str, Any]:
    pre = generator(name, epoch).sample(n, seed).preactivation  # (n, 28, 28)
    edges, heights = analysis.histogram(pre, bins, density)
    return {
        "edges": edges,
        "heights": heights,
        "mass_near_01": analysis.mass_near_01(pre),
        "notch_depth": analysis.notch_depth(pre),
    }


def histogram(name: str, n: int, seed: int, bins: int, density: bool, epoch: int | None = None) -> dict[str, Any]:
    """Histogram of the preactivated outputs of n samples, with their mass near 0/1 and notch depth."""
    return _histogram(name, epoch, n, seed, bins, density, files.fingerprint(name, epoch))


@st.cache_data(max_entries=48, ttl=CACHE_TTL_S, show_spinner=False)
def _decode(name: str, latents: np.ndarray, seed: int, fingerprint: tuple[str, int, int, int]) -> np.ndarray:
    return generator(name).decode(latents, seed=seed).binary  # (T, 28, 28)


def decode(name: str, latents: np.ndarray, seed: int) -> np.ndarray:
    """Binary frames for given latents (the same path for every variant)."""
    return _decode(name, latents, seed, files.fingerprint(name))


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def animation(decoded: dict[str, np.ndarray]) -> Any:
    """The interpolation movie (a plotly figure with one frame per step); encoding its frames is the slow part."""
    from explorer import render

    return render.animation(decoded)


@st.cache_data(max_entries=32, ttl=CACHE_TTL_S, show_spinner=False)
def latents(n: int, seed: int) -> np.ndarray:
    from explorer import make_latents

    return make_latents(n, seed)  # (n, 128)


# Summaries span many files; a short ttl picks up runs and evaluations that ship while the app is open.
@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def variant_table(root: str) -> Any:
    return tables.variant_table(root)


@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def _all_metrics(root: str) -> Any:
    return files.all_metrics(root)


def all_metrics() -> Any:
    """(real-data metrics, {variant: metrics}); raises files.DataFileError for a malformed file."""
    return _all_metrics(str(data_root()))


@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def _seed_metrics(root: str) -> Any:
    return files.seed_metrics(root)


def seed_metrics() -> Any:
    """{training seed: {variant: metrics}}; raises files.DataFileError for a malformed file."""
    return _seed_metrics(str(data_root()))


@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def _seed_spread(root: str) -> Any:
    return tables.seed_spread(root)


def seed_spread() -> Any:
    """Mean, sd and per-seed values of every metric, for the variants trained with more than one seed."""
    return _seed_spread(str(data_root()))


@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def _leaderboard(root: str) -> Any:
    return tables.leaderboard(root)


def leaderboard() -> Any:
    return _leaderboard(str(data_root()))


def _stamp(path: Path) -> tuple[int, int]:
    st_ = path.stat() if path.exists() else None
    return (st_.st_mtime_ns, st_.st_size) if st_ is not None else (0, 0)


# Per-variant files are keyed by their mtime and size, so a rewritten history shows at the next rerun.
@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def _history(root: str, name: str, stamp: tuple[int, int]) -> Any:
    return files.history(name, root)


def history(name: str) -> Any:
    root = data_root()
    return _history(str(root), name, _stamp(root / name / HISTORY_FILE))


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def _steps(root: str, name: str, smooth: int, stamp: tuple[int, int]) -> Any:
    return files.steps(name, root, smooth=smooth)


def steps(name: str, smooth: int) -> Any:
    root = data_root()
    return _steps(str(root), name, smooth, _stamp(root / name / STEPS_FILE))


# ---------- the gradient lab: critics, and what is computed from a generator and its critic ----------


@st.cache_resource(max_entries=8, show_spinner=False)
def _critic(name: str, fingerprint: tuple[str, int, int, int]) -> Critic:
    from explorer import Critic

    return Critic.from_pretrained(name)


def critic(name: str) -> Critic:
    """The trained critic beside a variant's generator, keyed like `generator` by its file's fingerprint."""
    return _critic(name, files.fingerprint(name, file=CRITIC_FILE))


def model_files(name: str) -> tuple[tuple[str, int, int, int], ...]:
    """The generator's and the critic's fingerprints: the key of everything computed from both."""
    return files.fingerprint(name), files.fingerprint(name, file=CRITIC_FILE)


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def _gradient_lab_report(
    name: str, seed: int, index: int, n: int, draws: int, key: tuple[tuple[str, int, int, int], ...]
) -> SampleReport:
    from explorer.gradient_lab import compute

    return compute.sample_report(generator(name), critic(name), seed, index, n, draws)


def gradient_lab_report(name: str, seed: int, index: int, n: int, draws: int) -> SampleReport:
    """Sample `index` of the seed's first n through generator and critic: every map of the gradient lab's first
    sections (draws: K for an SBN, within compute.work_limits; a DBN has one entry whatever K)."""
    from explorer.gradient_lab import compute

    n, draws = compute.work_limits(name, n, draws)
    return _gradient_lab_report(name, seed, index, n, draws, model_files(name))


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def _sources(key: tuple[tuple[str, int, int, int], ...]) -> dict[str, str]:
    from explorer import store

    return store.sources(key[0][0])  # the checkpoint folder


def sources(name: str) -> dict[str, str]:
    """sha256 of the variant's generator and critic, hashed once per version of the files: what a shipped table
    must have been computed from to be shown."""
    return _sources(model_files(name))


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def _shipped_comparison(root: str, stamp: tuple[int, int]) -> dict[str, dict[str, Any]]:
    from explorer.gradient_lab import store

    return store.shipped_comparison(root)


def shipped_comparison() -> dict[str, dict[str, Any]]:
    """The gradient lab's shipped comparison rows (gradient_lab.store.shipped_comparison); CheckpointError for a bad file."""
    root = data_root()
    return _shipped_comparison(str(root), _stamp(root / GRADLAB_COMPARISON_FILE))


@st.cache_data(max_entries=32, ttl=CACHE_TTL_S, show_spinner=False)
def _shipped_study(root: str, name: str, stamp: tuple[int, int]) -> Study | None:
    from explorer.estimator_lab import store

    return store.shipped(name, root)


def shipped_study(name: str) -> Study | None:
    """The variant's shipped estimator study, None when it has none; CheckpointError for a bad file."""
    root = data_root()
    return _shipped_study(str(root), name, _stamp(root / name / ESTIMATOR_LAB_FILE))


class Shared:
    """Results shared by every session, computed once: visitors who ask for a result while it is being computed wait
    for it instead of computing it again, and a computation holds up only those who asked for the same key. (Not
    st.cache_data: its replay cannot drive a progress bar created outside the cached function.)"""

    MAX_ENTRIES = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the two dicts; never held while computing
        self._results: dict[tuple[Any, ...], Any] = {}
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        # The instance outlives the script run that made it, so everything run-specific (the files behind the
        # result, the loaders) comes in through `key` and `compute`, never from a page's globals.
        with self._lock:
            if key in self._results:
                return self._results[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._results:  # computed by whoever held key_lock before us
                    return self._results[key]
            try:
                result = compute()
                with self._lock:
                    if len(self._results) >= self.MAX_ENTRIES:
                        self._results.pop(next(iter(self._results)))  # the oldest
                    self._results[key] = result
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return result

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The result if it is kept; never waits, never computes."""
        with self._lock:
            return self._results.get(key)


@st.cache_resource(show_spinner=False)
def shared() -> Shared:
    """One per process; a key starts with what it is ("compare", "estlab"), so results of different kinds never meet."""
    return Shared()


def comparison_row(
    name: str, n: int, draws: int, shipped: dict[str, dict[str, Any]], progress: Callable[[float], None]
) -> dict[str, Any]:
    """One variant's row of the gradient lab's comparison over n samples of seed 0: the shipped row when it was
    computed at these settings from these files, else computed once for every session."""
    from explorer.gradient_lab import compute, store

    key = model_files(name)
    row = store.shipped_row(shipped, name, n, draws, _sources(key))
    if row is not None:
        return row
    return shared().get(
        ("compare", name, n, draws, key),
        lambda: compute.compare(generator(name), critic(name), n, 0, draws, progress).summary(),
    )


def _study_key(name: str, seed: int, index: int) -> tuple[Any, ...]:
    return "estlab", name, seed, index, model_files(name)


def kept_study(name: str, seed: int, index: int) -> SampleStudy | None:
    """The estimator study of one sample if some session computed it live, else None."""
    try:
        return shared().peek(_study_key(name, seed, index))
    except (CheckpointError, OSError):  # its files vanished: nothing is kept for them
        return None


def live_study(name: str, seed: int, index: int, progress: Callable[[float], None]) -> SampleStudy:
    """Every estimator at every budget for one sample, computed once for every session (about ten seconds)."""
    from explorer.estimator_lab import compute

    def run() -> SampleStudy:
        return compute.study_sample(generator(name), critic(name), index, seed, progress=progress)

    return shared().get(_study_key(name, seed, index), run)


# ---------- conditional computation (explorer.gating) ----------


@st.cache_data(max_entries=48, ttl=CACHE_TTL_S, show_spinner=False)
def _expert_grid(
    name: str, expert: int | None, n: int, seed: int, ncols: int, fingerprint: tuple[str, int, int, int]
) -> dict[str, Any]:
    from explorer import gating

    g = generator(name)
    if expert is None:
        binary, index = gating.routes(g, n, seed)
    else:
        binary, index = gating.expert_samples(g, expert, n, seed), np.full(n, expert)
    return {"png": grid_png(binary, ncols), "experts": index}


def expert_grid(name: str, expert: int | None, n: int, seed: int, ncols: int) -> dict[str, Any]:
    """A PNG grid of n samples of `seed` and the expert each ran through: their own (expert None) or one forced."""
    return _expert_grid(name, expert, n, seed, ncols, files.fingerprint(name))


@st.cache_data(max_entries=48, ttl=CACHE_TTL_S, show_spinner=False)
def _path_gates(name: str, latents: np.ndarray, seed: int, fingerprint: tuple[str, int, int, int]) -> Any:
    from explorer import gating

    return gating.path_gates(generator(name), latents, seed)


def path_gates(name: str, latents: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames (T, 28, 28), active expert per frame (T,)) along a latent path."""
    return _path_gates(name, latents, seed, files.fingerprint(name))


@st.cache_data(max_entries=8, ttl=60, show_spinner=False)
def _gating(root: str) -> dict[str, Any]:
    from explorer import gating

    return {
        "summary": gating.summary(root),
        "verdicts": gating.judge(root),
        "seeds": {name: gating.gate_metrics(name, root) for name in gating.gated_variants()},
        "controls": gating.controls_table(root),
        "control_verdicts": gating.judge_controls(root),
    }


def gating() -> dict[str, Any]:
    """The shipped gate metrics: the seeds table, the verdicts, {variant: {seed: GateMetrics}}, and the controls'
    table and verdicts; raises files.DataFileError for a malformed file."""
    return _gating(str(data_root()))


# ---------- containment: one bad variant shows its own message, the page goes on ----------


def guarded(where: Any, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """fn(*args, **kwargs) or None, after telling `where` (a container) that the variant is untrained or broken."""
    epoch = kwargs.get("epoch")
    what = f"**{name}**" + (f" at epoch {epoch}" if epoch is not None else "")
    try:
        return fn(*args, **kwargs)
    except CheckpointNotFound:
        where.info(f"{what}: not trained yet.", icon=":material/hourglass_empty:")
    except CheckpointError as e:
        where.error(f"{what}: this checkpoint cannot be loaded, so it is skipped. {e}", icon=":material/error:")
    return None


def not_evaluated(where: Any, what: str) -> None:
    where.info(f"{what}: not evaluated yet.", icon=":material/hourglass_empty:")


def evaluation(where: Any, what: str, fn: Callable[..., T | None], *args: Any, **kwargs: Any) -> T | None:
    """fn(*args) for a history, steps or metrics reader: says "not evaluated yet" when the file is missing and
    shows a malformed file's error in `where` only."""
    try:
        value = fn(*args, **kwargs)
    except files.DataFileError as e:
        where.error(f"{what}: {e}", icon=":material/error:")
        return None
    if value is None:
        not_evaluated(where, what)
    return value


PREWARM_HOLD_S = 10  # the longest the import waits for the first page to be drawn


@st.cache_resource(show_spinner=False)
def prewarm() -> threading.Event:
    """Once per process, before the first page runs: a background thread that imports torch and the sampling code,
    so the first page with samples does not wait for it. The import starts once the returned event is set (the app
    sets it when the page's run ends, st.stop included), so it does not slow the first render; the Overview itself
    needs no torch. A page that needs torch before the thread is done waits on Python's import lock, not twice."""
    import importlib

    drawn = threading.Event()

    def warm() -> None:
        drawn.wait(PREWARM_HOLD_S)
        importlib.import_module("training.sampling")

    threading.Thread(target=warm, name="binarygan-prewarm", daemon=True).start()
    return drawn
