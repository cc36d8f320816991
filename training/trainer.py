"""The training loop: data resident on the device, the reference code's critic schedule, atomic
per-epoch state, exact resume, NaN guard, progress bar, per-step and per-epoch logs, snapshots."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from training import objectives as obj
from training.checkpoint import (
    CONFIG_FILE,
    HISTORY_FILE,
    STATE_FILE,
    STEPS_FILE,
    atomic_write,
    atomic_write_json,
    save_generator,
    snapshot_dir,
)
from training.config import VariantConfig
from training.data import Split, load_split
from training.errors import TrainingError
from training.networks import Discriminator, Generator, build_discriminator
from training.provenance import epoch_record, run_record
from training.reproducible import apply_runtime
from training.rng import validate_seed
from training.state import check_resumable, load_state, progress_record, save_state
from training.step import train_step

MIN_FREE_BYTES = 64 * 2**20  # a run writes ~15 MB of state and snapshots; refuse a nearly full disk up front
SYNC_EVERY = 50  # steps between the loop's host syncs: the NaN guard and the progress bar


@dataclass
class TrainOptions:
    out: Path  # checkpoint folder this run writes
    data_dir: str | None = None  # MNIST IDX folder (else $BINARYGAN_DATA)
    seed: int = 0  # seeds weight init, data order, latents and neuron noise
    limit: int | None = None  # train on the first N images only (smoke runs)
    device: str | None = None  # default: cuda when available, else cpu
    resume: bool = False  # continue the run in `out` up to cfg.epochs
    verify_data: bool = True  # check the canonical MNIST sha256
    snapshots: bool = True  # keep a generator snapshot after every epoch (cfg.snapshot_epochs are the shipped ones)
    progress: bool = True  # show a progress bar
    weights_dtype: torch.dtype = torch.float16  # shipped generator precision
    reproducible: bool = False  # the CPU mode of training/reproducible.py: same weights on any AVX2 processor


def parse_device(text: str) -> torch.device:
    """A device name the user typed, refused with a clear message when it is malformed or absent."""
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ValueError(f"--device {text!r} is not a device name such as cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA device is available")
    return device


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def check_output_dir(out: Path) -> None:
    """Fail before training, not after hours, when the output folder cannot hold the results."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as e:
        raise TrainingError(f"output folder {out} is not writable: {e.strerror or e}") from None
    free = shutil.disk_usage(out).free
    if free < MIN_FREE_BYTES:
        raise TrainingError(
            f"output folder {out} has only {free // 2**20} MiB free; need {MIN_FREE_BYTES // 2**20} MiB"
        )


def train(cfg: VariantConfig, opts: TrainOptions) -> Path:
    """Train `cfg` into the folder `opts.out`; returns it. Re-entrant with opts.resume=True."""
    out = Path(opts.out)
    state_path = out / STATE_FILE
    _check_can_start(out, state_path, opts)
    mode = apply_runtime() if opts.reproducible else False
    device = torch.device(opts.device or ("cpu" if opts.reproducible else default_device()))
    split, data = _load_data(opts, device, cfg.batch_size)  # data: (N, 784) on the device
    steps_per_epoch = len(data) // cfg.batch_size

    G, D, opt_g, opt_d, rng = start(cfg, opts.seed, device)

    start_epoch, wall_time, history = 1, 0.0, []
    if opts.resume:
        progress = load_state(state_path, G, D, opt_g, opt_d, rng)
        check_resumable(progress, cfg, opts.seed, opts.reproducible, out)
        start_epoch, wall_time, history = progress["epoch"] + 1, progress["wall_time_s"], progress["history"]
    _write_steps(out / STEPS_FILE, [], keep_below=(start_epoch - 1) * steps_per_epoch)

    run = run_record(cfg, opts.seed, split.sha256, len(data), device, mode)
    bar = _progress_bar(cfg, steps_per_epoch, start_epoch, opts.progress)
    for epoch in range(start_epoch, cfg.epochs + 1):
        slope = cfg.slope_at(epoch)
        t0 = time.perf_counter()
        losses = _train_epoch(cfg, G, D, opt_g, opt_d, data, epoch, slope, rng, bar, out)  # (steps, 2)
        wall_time += time.perf_counter() - t0

        # ---- end of epoch: logs, snapshot, generator, state (state last, so it never runs ahead) ----
        _write_epoch_logs(out, history, losses, epoch, slope, wall_time)
        prov = epoch_record(run, epoch, cfg.epochs, slope, wall_time)
        if opts.snapshots:
            save_generator(snapshot_dir(out, epoch), G, cfg, prov, opts.weights_dtype)
        save_generator(out, G, cfg, prov, opts.weights_dtype)
        progress = progress_record(epoch, wall_time, history, opts.seed, cfg, opts.reproducible)
        save_state(state_path, G, D, opt_g, opt_d, rng, progress)
    bar.close()
    return out


def start(
    cfg: VariantConfig, seed: int, device: torch.device
) -> tuple[Generator, Discriminator, torch.optim.Optimizer, torch.optim.Optimizer, torch.Generator]:
    """A run's networks, optimisers and generator at step 0. The initial weights come from torch's global generator
    seeded with `seed`, as every shipped checkpoint was made; everything after, from the returned generator."""
    torch.manual_seed(seed)
    G, D = Generator(cfg).to(device), build_discriminator(cfg).to(device)
    G.train(), D.train()
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    return G, D, opt_g, opt_d, torch.Generator(device=device).manual_seed(seed)


def epoch_order(data: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """An epoch's order of the examples, (N,), drawn at the start of the epoch."""
    return torch.randperm(len(data), device=data.device, generator=rng)


def batch_step(
    cfg: VariantConfig,
    G: Generator,
    D: Discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    data: torch.Tensor,
    order: torch.Tensor,
    i: int,
    g_step: int,
    slope: float,
    rng: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Step `i` of an epoch in `order`: its real batch, a fresh latent batch, then train_step; (D loss, G loss).
    `data` (N, 784) may be float or uint8: 0 and 1 convert exactly, so both give the same step."""
    batch = cfg.batch_size
    real = data[order[i * batch : (i + 1) * batch]].to(torch.float32)  # (B, 784)
    z = torch.randn(batch, cfg.latent_dim, device=data.device, generator=rng)  # (B, latent)
    return train_step(cfg, G, D, opt_g, opt_d, real, z, slope, cfg.critic_steps(g_step), rng)


def _check_can_start(out: Path, state_path: Path, opts: TrainOptions) -> None:
    """Refuse before any work: a seed that aliases, a run folder to overwrite or one with no state to resume, a
    folder that cannot hold the results, the reproducible CPU mode on another device."""
    try:
        validate_seed(opts.seed, "training seed")  # a wider seed would alias on torch's 32-bit CPU generator
    except ValueError as e:
        raise TrainingError(str(e)) from None
    if state_path.exists() and not opts.resume:
        raise TrainingError(
            f"{out} already holds a training run; pass --resume to continue it, or choose another --out"
        )
    if opts.resume and not state_path.exists():
        raise TrainingError(f"--resume: {out} holds no training state ({STATE_FILE}) to continue")
    check_output_dir(out)
    for stale in out.rglob(".*.tmp"):  # half-written files of a killed run; the files they were replacing are intact
        stale.unlink()
    if opts.reproducible and opts.device is not None and torch.device(opts.device).type != "cpu":
        raise TrainingError(f"--reproducible is a CPU mode; it cannot train on --device {opts.device}")


def _load_data(opts: TrainOptions, device: torch.device, batch: int) -> tuple[Split, torch.Tensor]:
    """The training split, and its images as one (N, 784) float tensor resident on `device`."""
    split = load_split("train", opts.data_dir, verify=opts.verify_data, limit=opts.limit)
    data = torch.from_numpy(split.images).to(device=device, dtype=torch.float32).view(len(split.images), -1)
    if len(data) < batch:
        raise TrainingError(f"{len(data)} training images are fewer than one batch of {batch}")
    return split, data


def _progress_bar(cfg: VariantConfig, steps_per_epoch: int, start_epoch: int, show: bool) -> tqdm:
    return tqdm(
        total=cfg.epochs * steps_per_epoch,
        initial=(start_epoch - 1) * steps_per_epoch,
        disable=not show,
        unit="it",
        dynamic_ncols=True,
        desc=cfg.name,
    )


def _train_epoch(
    cfg: VariantConfig,
    G: Generator,
    D: Discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    data: torch.Tensor,
    epoch: int,
    slope: float,
    rng: torch.Generator,
    bar: tqdm,
    out: Path,
) -> torch.Tensor:
    """One pass over `data` (N, 784) in a fresh order; returns each step's D and G loss (steps, 2), all finite."""
    batch = cfg.batch_size
    steps = len(data) // batch
    losses = torch.empty(steps, 2, device=data.device)
    order = epoch_order(data, rng)
    for i in range(steps):
        g_step = (epoch - 1) * steps + i
        losses[i, 0], losses[i, 1] = batch_step(cfg, G, D, opt_g, opt_d, data, order, i, g_step, slope, rng)
        if (i + 1) % SYNC_EVERY == 0 or i + 1 == steps:
            last = losses[i].tolist()  # the only host sync
            if not all(map(math.isfinite, last)):
                raise TrainingError(
                    f"{cfg.name}: loss became {last} at epoch {epoch}, step {g_step}; "
                    f"training stopped, the last good state (epoch {epoch - 1}) is kept in {out}"
                )
            bar.set_postfix(
                epoch=epoch,
                d=f"{last[0]:.3f}",
                g=f"{last[1]:.3f}",
                slope=f"{slope:.2f}",
                img_s=f"{bar.format_dict['rate'] * batch:.0f}" if bar.format_dict["rate"] else "-",
            )
            bar.update((i + 1) % SYNC_EVERY or SYNC_EVERY)
    if not torch.isfinite(losses).all():  # a loss between two syncs
        raise TrainingError(
            f"{cfg.name}: a NaN or infinite loss appeared in epoch {epoch}; training stopped, "
            f"the last good state (epoch {epoch - 1}) is kept in {out}"
        )
    return losses


def _write_epoch_logs(
    out: Path, history: list[dict], losses: torch.Tensor, epoch: int, slope: float, wall_time: float
) -> None:
    """Append the epoch's per-step losses (steps, 2) to steps.csv and its mean losses to `history` and
    history.json."""
    rows = losses.cpu().tolist()
    base = (epoch - 1) * len(rows)
    _write_steps(out / STEPS_FILE, [(base + i, epoch, d, g) for i, (d, g) in enumerate(rows)])
    history.append(
        {
            "epoch": epoch,
            "slope": slope,
            "wall_time_s": round(wall_time, 3),
            "d_loss": sum(r[0] for r in rows) / len(rows),
            "g_loss": sum(r[1] for r in rows) / len(rows),
        }
    )
    atomic_write_json(out / HISTORY_FILE, history)


def _write_steps(path: Path, rows: list[tuple[int, int, float, float]], keep_below: int | None = None) -> None:
    """Append rows to the per-step CSV; on resume first drop steps the saved state does not cover."""
    kept: list[list[str]] = []
    if path.exists():
        kept = list(csv.reader(io.StringIO(path.read_text())))[1:]
        if keep_below is not None:
            kept = [r for r in kept if r and int(r[0]) < keep_below]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["step", "epoch", "d_loss", "g_loss"])
    w.writerows(kept)
    w.writerows((s, e, f"{d:.6g}", f"{g:.6g}") for s, e, d, g in rows)
    atomic_write(path, buf.getvalue().encode())


def is_finished(out: Path, cfg: VariantConfig, seed: int | None = None) -> bool:
    """Whether `out` holds `cfg` trained to its last epoch (with `seed`, when given)."""
    try:
        side = json.loads((Path(out) / CONFIG_FILE).read_text())
        same_seed = seed is None or side["provenance"]["seed"] == seed
        return (
            side["provenance"]["epoch"] >= cfg.epochs and VariantConfig.from_dict(side["config"]) == cfg and same_seed
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False
