"""The training loop: data resident on the device, the reference code's critic schedule, atomic
per-epoch state, exact resume, NaN guard, progress bar, per-step and per-epoch logs, snapshots."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as st_save
from tqdm.auto import tqdm

from training import estimators
from training import objectives as obj
from training.checkpoint import (
    CONFIG_FILE,
    HISTORY_FILE,
    STATE_DTYPES,
    STATE_FILE,
    STEPS_FILE,
    CheckpointError,
    atomic_write,
    atomic_write_json,
    parse_safetensors,
    save_generator,
    snapshot_dir,
)
from training.config import SCORE_FUNCTION_ESTIMATORS, VariantConfig
from training.data import load_split
from training.errors import TrainingError
from training.networks import Generator, build_discriminator
from training.reproducible import apply_runtime
from training.rng import validate_seed

PACKAGE = Path(__file__).resolve().parent  # training/: the folder whose commit the provenance names
MIN_FREE_BYTES = 64 * 2**20  # a run writes ~15 MB of state and snapshots; refuse a nearly full disk up front


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


def code_commit(package: Path = PACKAGE) -> str:
    """The git commit of this code, "-dirty" when the `package` folder (training/) has uncommitted changes. A tree
    copied without its .git folder (to a rented GPU machine, say) cannot tell; there BINARYGAN_CODE_COMMIT names
    the commit it was copied from, and "unknown" is recorded when that is not set either."""
    outside_git = os.environ.get("BINARYGAN_CODE_COMMIT", "unknown")
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", package.name],
            cwd=package.parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return outside_git
    if rev.returncode != 0:
        return outside_git
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def command_line() -> str:
    """The command that started this process, as a user would type it."""
    args = sys.argv[1:] if sys.argv[0].endswith(os.path.join("training", "__main__.py")) else sys.argv
    prefix = "python -m training " if args is not sys.argv else ""
    return prefix + shlex.join(args)


def describe_device(device: torch.device) -> str:
    """Where a run trained. On CPU this names the vector instructions torch's kernels picked (AVX2, AVX512, ...):
    runs with the same seed give the same weights only on the same kernels, and the thread count matters too."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return (
        f"cpu ({platform.processor() or platform.machine()}, {torch.backends.cpu.get_cpu_capability()}, "
        f"{torch.get_num_threads()} threads)"
    )


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


# ---------------------------------------------------------------------------------------------------
# Training state: everything needed to continue bit-identically, in one safetensors file (no pickle).
# ---------------------------------------------------------------------------------------------------


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> dict:
    sd = opt.state_dict()
    for idx, state in sd["state"].items():
        for key, value in state.items():
            tensors[f"{prefix}.{idx}.{key}"] = value.detach().cpu().contiguous()
    return {"param_groups": sd["param_groups"], "state_keys": {str(i): sorted(s) for i, s in sd["state"].items()}}


def _unflatten_optimizer(prefix: str, meta: dict, tensors: dict[str, torch.Tensor]) -> dict:
    state = {int(i): {k: tensors[f"{prefix}.{i}.{k}"] for k in keys} for i, keys in meta["state_keys"].items()}
    return {"state": state, "param_groups": meta["param_groups"]}


def save_state(
    path: Path,
    G: torch.nn.Module,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    rng: torch.Generator,
    progress: dict[str, Any],
) -> None:
    tensors = {f"G.{k}": v.detach().cpu().contiguous() for k, v in G.state_dict().items()}
    tensors |= {f"D.{k}": v.detach().cpu().contiguous() for k, v in D.state_dict().items()}
    tensors["rng"] = rng.get_state().cpu()
    meta = {
        "progress": progress,
        "opt_g": _flatten_optimizer("opt_g", opt_g, tensors),
        "opt_d": _flatten_optimizer("opt_d", opt_d, tensors),
    }
    atomic_write(path, st_save(tensors, metadata={"state": json.dumps(meta)}))


def load_state(
    path: Path,
    G: torch.nn.Module,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    rng: torch.Generator,
) -> dict[str, Any]:
    tensors, metadata = parse_safetensors(path.read_bytes(), str(path), STATE_DTYPES)
    try:
        meta = json.loads(metadata["state"])
        G.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})
        D.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("D.")})
        opt_g.load_state_dict(_unflatten_optimizer("opt_g", meta["opt_g"], tensors))
        opt_d.load_state_dict(_unflatten_optimizer("opt_d", meta["opt_d"], tensors))
        rng.set_state(tensors["rng"])
    except (KeyError, ValueError, RuntimeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: training state does not fit this variant ({e})") from None
    return meta["progress"]


# ---------------------------------------------------------------------------------------------------
# One generator iteration: n_critic D updates, then one G update, all on the same real and latent batch.
# ---------------------------------------------------------------------------------------------------


def critic_scores(
    D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, couples_examples: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """D(real), D(fake). Without batch statistics one batched call gives the same values with fewer, larger matmuls;
    with them the batches must stay apart, because their statistics differ."""
    if couples_examples:
        return D(real), D(fake)
    scores = D(torch.cat([real, fake]))  # (2B,)
    return scores[: real.shape[0]], scores[real.shape[0] :]


def critic_loss(
    cfg: VariantConfig, D: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor | None
) -> torch.Tensor:
    """D's loss on one batch; `alpha` (B,) mixes the gradient penalty's interpolates (WGAN-GP only, else None)."""
    d_real, d_fake = critic_scores(D, real, fake, cfg.d_couples_examples)
    d_loss = obj.D_LOSSES[cfg.objective](d_real, d_fake)
    if alpha is not None:
        d_loss = d_loss + cfg.gp_lambda * obj.gradient_penalty(D, obj.interpolate(real, fake, alpha))
    return d_loss


def penalty_mix(cfg: VariantConfig, real: torch.Tensor, rng: torch.Generator) -> torch.Tensor | None:
    """The penalty's mixing coefficients (B,) for one critic update, drawn after that update's fake batch."""
    if cfg.objective != "wgan-gp":
        return None
    return torch.rand(real.shape[0], device=real.device, generator=rng)


def train_step(
    cfg: VariantConfig,
    G: Generator,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    slope: float,
    n_critic: int,
    rng: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    # ---- discriminator block ----
    with torch.no_grad():
        # (B, 784); G is fixed while D trains, so its body runs once (a gated one's gates draw once, for all updates)
        logits = G.logits(z, slope, rng)
    for _ in range(n_critic):
        with torch.no_grad():
            fake = G.neuron(logits, slope, rng)  # fresh Bernoulli/logistic noise each D update, as in the reference
        d_loss = critic_loss(cfg, D, real, fake, penalty_mix(cfg, real, rng))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        if cfg.objective == "wgan":
            obj.clip_weights(D, cfg.clip_value)

    # ---- generator block ----
    D.requires_grad_(
        False
    )  # only G's gradients are used here; skipping D's weight gradients saves a third of its backward
    opt_g.zero_grad(set_to_none=True)
    if cfg.estimator in SCORE_FUNCTION_ESTIMATORS:
        g_loss = score_function_step(cfg, G, D, z, slope, rng)
    else:
        g_loss = obj.G_LOSSES[cfg.objective](D(G(z, slope, rng)))
        g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return d_loss.detach(), g_loss.detach()


def score_function_step(
    cfg: VariantConfig, G: Generator, D: torch.nn.Module, z: torch.Tensor, slope: float, rng: torch.Generator
) -> torch.Tensor:
    """Back-propagate a score-function estimate of d(mean G loss)/d(pre-activation) into G; returns the mean loss
    over the critic's evaluations. The critic's input gets no gradient: the estimator only evaluates it."""
    x = G.logits(z)  # (B, 784) pre-activation
    seen: list[torch.Tensor] = []

    def losses(y: torch.Tensor) -> torch.Tensor:  # (N, 784) -> (N,)
        out = obj.G_EXAMPLE_LOSSES[cfg.objective](D(y))
        seen.append(out.detach())
        return out

    estimate = estimators.FUNCTIONS[cfg.estimator](
        slope * x.detach(), losses, cfg.estimator_draws, rng
    )  # d loss_b / d(s x)
    x.backward(slope * estimate / len(x))  # the batch loss is the mean over latents
    return torch.cat(seen).mean()


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


def train(cfg: VariantConfig, opts: TrainOptions) -> Path:
    """Train `cfg` into the folder `opts.out`; returns it. Re-entrant with opts.resume=True."""
    out = Path(opts.out)
    try:
        validate_seed(opts.seed, "training seed")  # a wider seed would alias on torch's 32-bit CPU generator
    except ValueError as e:
        raise TrainingError(str(e)) from None
    state_path = out / STATE_FILE
    if state_path.exists() and not opts.resume:
        raise TrainingError(
            f"{out} already holds a training run; pass --resume to continue it, or choose another --out"
        )
    if opts.resume and not state_path.exists():
        raise TrainingError(f"--resume: {out} holds no training state ({STATE_FILE}) to continue")
    check_output_dir(out)
    for stale in out.rglob(".*.tmp"):  # half-written files of a killed run; the files they were replacing are intact
        stale.unlink()

    mode: dict[str, Any] | bool = False
    if opts.reproducible:
        if opts.device is not None and torch.device(opts.device).type != "cpu":
            raise TrainingError(f"--reproducible is a CPU mode; it cannot train on --device {opts.device}")
        mode = apply_runtime()
    device = torch.device(opts.device or ("cpu" if opts.reproducible else default_device()))
    split = load_split("train", opts.data_dir, verify=opts.verify_data, limit=opts.limit)
    data = torch.from_numpy(split.images).to(device=device, dtype=torch.float32).view(len(split.images), -1)  # (N, 784)
    n, batch = data.shape[0], cfg.batch_size
    steps_per_epoch = n // batch
    if steps_per_epoch == 0:
        raise TrainingError(f"{n} training images are fewer than one batch of {batch}")

    torch.manual_seed(opts.seed)
    G, D = Generator(cfg).to(device), build_discriminator(cfg).to(device)
    G.train(), D.train()
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    rng = torch.Generator(device=device).manual_seed(opts.seed)

    start_epoch, wall_time, history = 1, 0.0, []
    if opts.resume:
        progress = load_state(state_path, G, D, opt_g, opt_d, rng)
        start_epoch, wall_time, history = progress["epoch"] + 1, progress["wall_time_s"], progress["history"]
        # only the total may grow; a state written before a config field existed holds that field's default
        same_recipe = VariantConfig.from_dict({**progress["config"], "epochs": cfg.epochs}) == cfg
        if progress["seed"] != opts.seed or not same_recipe:
            raise TrainingError(
                f"--resume: {out} was started with another seed or config; resume it with the same ones"
            )
        if progress.get("reproducible", False) != opts.reproducible:  # states written before the mode existed: off
            raise TrainingError(
                f"--resume: {out} was started {'with' if progress.get('reproducible') else 'without'} "
                "--reproducible; resume it the same way, or its weights match neither mode"
            )
        if start_epoch > cfg.epochs:
            raise TrainingError(
                f"--resume: {out} already finished {start_epoch - 1} epochs; ask for more with --epochs"
            )
    if start_epoch == 1:
        _write_steps(out / STEPS_FILE, [], keep_below=0)
    else:
        _write_steps(out / STEPS_FILE, [], keep_below=(start_epoch - 1) * steps_per_epoch)

    provenance = {
        "seed": opts.seed,
        "code_commit": code_commit(),
        "data_sha256": split.sha256,
        "train_images": n,
        "recipe": cfg.recipe,
        "batchnorm": cfg.batchnorm,
        "init": cfg.init,
        "optimizer": obj.optimizer_name(cfg),
        "device": describe_device(device),
        "command": command_line(),
        "reproducible": mode,
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    bar = tqdm(
        total=cfg.epochs * steps_per_epoch,
        initial=(start_epoch - 1) * steps_per_epoch,
        disable=not opts.progress,
        unit="it",
        dynamic_ncols=True,
        desc=cfg.name,
    )
    for epoch in range(start_epoch, cfg.epochs + 1):
        slope = cfg.slope_at(epoch)
        t0 = time.perf_counter()
        losses = torch.empty(steps_per_epoch, 2, device=device)
        perm = torch.randperm(n, device=device, generator=rng)
        for i in range(steps_per_epoch):
            g_step = (epoch - 1) * steps_per_epoch + i
            real = data[perm[i * batch : (i + 1) * batch]]  # (B, 784)
            z = torch.randn(batch, cfg.latent_dim, device=device, generator=rng)  # (B, 128)
            d_loss, g_loss = train_step(cfg, G, D, opt_g, opt_d, real, z, slope, cfg.critic_steps(g_step), rng)
            losses[i, 0], losses[i, 1] = d_loss, g_loss
            if (i + 1) % 50 == 0 or i + 1 == steps_per_epoch:
                last = losses[i].tolist()  # the only host sync, every 50 steps
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
                bar.update(50 if (i + 1) % 50 == 0 else (i + 1) % 50)
        if not torch.isfinite(losses).all():
            raise TrainingError(
                f"{cfg.name}: a NaN or infinite loss appeared in epoch {epoch}; training stopped, "
                f"the last good state (epoch {epoch - 1}) is kept in {out}"
            )
        wall_time += time.perf_counter() - t0

        # ---- end of epoch: logs, snapshot, generator, state (state last, so it never runs ahead) ----
        loss_rows = losses.cpu().tolist()
        base = (epoch - 1) * steps_per_epoch
        _write_steps(out / STEPS_FILE, [(base + i, epoch, d, g) for i, (d, g) in enumerate(loss_rows)])
        record = {
            "epoch": epoch,
            "slope": slope,
            "wall_time_s": round(wall_time, 3),
            "d_loss": sum(r[0] for r in loss_rows) / len(loss_rows),
            "g_loss": sum(r[1] for r in loss_rows) / len(loss_rows),
        }
        history.append(record)
        atomic_write_json(out / HISTORY_FILE, history)
        prov = provenance | {
            "epoch": epoch,
            "epochs": cfg.epochs,
            "final_slope": slope,
            "wall_time_s": round(wall_time, 3),
        }
        if opts.snapshots:
            save_generator(snapshot_dir(out, epoch), G, cfg, prov, opts.weights_dtype)
        save_generator(out, G, cfg, prov, opts.weights_dtype)
        save_state(
            state_path,
            G,
            D,
            opt_g,
            opt_d,
            rng,
            {
                "epoch": epoch,
                "wall_time_s": wall_time,
                "history": history,
                "seed": opts.seed,
                "config": cfg.to_dict(),
                "reproducible": opts.reproducible,
            },
        )
    bar.close()
    return out


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
