"""Provenance: what a checkpoint records about the run that trained it (code commit, data, machine, command, wall
time), written into config.json's "provenance" next to the generator."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from training import objectives as obj
from training.config import VariantConfig

PACKAGE = Path(__file__).resolve().parent  # training/: the folder whose commit the provenance names


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


def run_record(
    cfg: VariantConfig,
    seed: int,
    data_sha256: str,
    train_images: int,
    device: torch.device,
    reproducible: dict[str, Any] | bool,
) -> dict[str, Any]:
    """What stays the same for every epoch of one training process; `reproducible` is the runtime the
    reproducible mode set, or False."""
    return {
        "seed": seed,
        "code_commit": code_commit(),
        "data_sha256": data_sha256,
        "train_images": train_images,
        "recipe": cfg.recipe,
        "batchnorm": cfg.batchnorm,
        "init": cfg.init,
        "optimizer": obj.optimizer_name(cfg),
        "device": describe_device(device),
        "command": command_line(),
        "reproducible": reproducible,
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }


def epoch_record(run: dict[str, Any], epoch: int, epochs: int, slope: float, wall_time: float) -> dict[str, Any]:
    """The provenance of the generator saved after `epoch`."""
    return run | {"epoch": epoch, "epochs": epochs, "final_slope": slope, "wall_time_s": round(wall_time, 3)}
