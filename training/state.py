"""The training state of a run folder (train_state.safetensors): everything --resume needs to continue
bit-identically (both networks, both optimisers, the run's random generator, and the progress so far), in one
safetensors file (no pickle). The state is written last at the end of an epoch, so it never runs ahead of the logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as st_save

from training.checkpoint import STATE_DTYPES, CheckpointError, atomic_write, parse_safetensors
from training.config import VariantConfig
from training.errors import TrainingError


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


def progress_record(
    epoch: int, wall_time: float, history: list[dict[str, Any]], seed: int, cfg: VariantConfig, reproducible: bool
) -> dict[str, Any]:
    """The progress a state holds: what a resumed run continues from, and what it must have been started with."""
    return {
        "epoch": epoch,
        "wall_time_s": wall_time,
        "history": history,
        "seed": seed,
        "config": cfg.to_dict(),
        "reproducible": reproducible,
    }


def check_resumable(progress: dict[str, Any], cfg: VariantConfig, seed: int, reproducible: bool, out: Path) -> None:
    """Refuse to continue the run in `out` with anything but the seed, recipe and mode it was started with."""
    # only the total may grow; a state written before a config field existed holds that field's default
    same_recipe = VariantConfig.from_dict({**progress["config"], "epochs": cfg.epochs}) == cfg
    if progress["seed"] != seed or not same_recipe:
        raise TrainingError(f"--resume: {out} was started with another seed or config; resume it with the same ones")
    if progress.get("reproducible", False) != reproducible:  # states written before the mode existed: off
        raise TrainingError(
            f"--resume: {out} was started {'with' if progress.get('reproducible') else 'without'} "
            "--reproducible; resume it the same way, or its weights match neither mode"
        )
    if progress["epoch"] >= cfg.epochs:
        raise TrainingError(f"--resume: {out} already finished {progress['epoch']} epochs; ask for more with --epochs")
