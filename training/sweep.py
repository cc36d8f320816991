"""The training campaign: train, evaluate and ship variants, one independent job per variant.

`python -m training sweep NAME...` handles each name in turn:
1. train into RUNS/NAME, skipping a finished run and resuming an interrupted one;
2. evaluate it (10,000 samples) into RUNS/NAME/metrics.json and merge the cheap per-epoch metrics
   into RUNS/NAME/history.json (skipped when the metrics already match this generator and classifier);
3. with --ship, copy what the dashboard needs into SHIP/NAME and rebuild SHIP/metrics.json.

Nothing is shared between names but the read-only data and classifier, so any job runner can spread
names over machines or GPUs (see the README's "Training campaign").
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


from training.checkpoint import CONFIG_NAME, WEIGHTS_NAME, CheckpointError, atomic_write_json
from training.config import REGISTRY, VariantConfig, get_variant
from training.critic import CRITIC_NAME, export_critic, load_critic_checkpoint
from training.evaluate import (HISTORY_N, HISTORY_NAME, METRICS_NAME, Reference, evaluate_checkpoint,
                               evaluate_history, is_evaluated, rebuild_table)
from training.trainer import SNAPSHOT_DIR, STATE_NAME, STEPS_NAME, TrainOptions, is_finished, parse_device, train



class SweepError(ValueError):
    """A run folder that lacks what shipping needs."""


@dataclass
class SweepOptions:
    runs: Path = Path("runs")  # one run folder per variant: RUNS/NAME
    ship: Path | None = None  # checkpoints folder to ship into; None: train and evaluate only
    data_dir: str | None = None
    seed: int = 0
    epochs: int | None = None  # override the variants' 20 (smoke runs)
    limit: int | None = None
    device: str | None = None
    n: int = 10_000
    history_n: int = HISTORY_N
    classifier: Path | None = None
    verify_data: bool = True
    progress: bool = True


def run_variant(cfg: VariantConfig, opts: SweepOptions, ref: Reference, log=print) -> Path:
    """Train (or skip, or resume), evaluate and optionally ship one variant; returns its run folder."""
    run = Path(opts.runs) / cfg.name
    if is_finished(run, cfg):
        log(f"{cfg.name}: finished run in {run}, not training")
    else:
        resume = (run / STATE_NAME).exists()
        log(f"{cfg.name}: {'resuming' if resume else 'training'} in {run}")
        train(cfg, TrainOptions(out=run, data_dir=opts.data_dir, seed=opts.seed, limit=opts.limit, device=opts.device,
                                resume=resume, verify_data=opts.verify_data, progress=opts.progress))
    if is_evaluated(run, ref, opts.n, 0) and _history_evaluated(run):
        log(f"{cfg.name}: metrics are up to date")
    else:
        atomic_write_json(run / METRICS_NAME, evaluate_checkpoint(run, ref, opts.n, seed=0))
        evaluate_history(run, ref, opts.history_n, seed=0, progress=opts.progress)
        log(f"{cfg.name}: evaluated")
    if opts.ship is not None:
        dest = ship_run(run, Path(opts.ship), cfg)
        rebuild_table(opts.ship, ref, opts.n)
        log(f"{cfg.name}: shipped to {dest}")
    return run


def _history_evaluated(run: Path) -> bool:
    try:
        history = json.loads((run / HISTORY_NAME).read_text())
        return bool(history) and all("fd" in r for r in history if _has_generator(run, r["epoch"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _has_generator(run: Path, epoch: int) -> bool:
    return (run / SNAPSHOT_DIR / f"epoch-{epoch:03d}" / WEIGHTS_NAME).is_file()


def shipped_snapshots(cfg: VariantConfig, final_epoch: int) -> list[int]:
    """Snapshot epochs to ship: cfg.snapshot_epochs up to the final epoch, which the main folder already is."""
    return [e for e in cfg.snapshot_epochs if e < final_epoch]


def _critic_is_current(run: Path) -> bool:
    """RUN/critic.safetensors exists and belongs to RUN's generator. Kept when it is: safetensors orders its metadata
    at random, so a fresh export would change the file's bytes (and the manifest) without changing a weight."""
    try:
        load_critic_checkpoint(run)
    except CheckpointError:
        return False
    return True


def ship_run(run: Path, ship: Path, cfg: VariantConfig) -> Path:
    """Replace SHIP/NAME with the generator, its config, metrics, history, per-step losses and snapshots, and the
    critic when the run has one (exported from the training state when missing or not of the generator's epoch).

    Built in a temporary sibling folder and renamed into place, so SHIP/NAME is never half-written.
    """
    run = Path(run)
    final = json.loads((run / CONFIG_NAME).read_text())["provenance"]["epoch"]
    if (run / STATE_NAME).is_file() and not _critic_is_current(run):
        export_critic(run)
    files = (WEIGHTS_NAME, CONFIG_NAME, METRICS_NAME, HISTORY_NAME, STEPS_NAME) + (
        (CRITIC_NAME,) if (run / CRITIC_NAME).is_file() else ())
    sources = [run / n for n in files]
    sources += [run / SNAPSHOT_DIR / f"epoch-{e:03d}" / n for e in shipped_snapshots(cfg, final)
                for n in (WEIGHTS_NAME, CONFIG_NAME)]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise SweepError(f"{run}: cannot ship, missing {', '.join(missing[:4])}")
    ship.mkdir(parents=True, exist_ok=True)
    dest = ship / cfg.name
    tmp = Path(tempfile.mkdtemp(dir=ship, prefix=f".{cfg.name}.", suffix=".tmp"))
    try:
        # steps.csv ships as it is (~0.55 MB a run, 12 MB for all 22): the budget holds it, and the dashboard
        # and the Hub upload read it directly
        for name in files:
            shutil.copyfile(run / name, tmp / name)
        for epoch in shipped_snapshots(cfg, final):
            src = run / SNAPSHOT_DIR / f"epoch-{epoch:03d}"
            dst = tmp / SNAPSHOT_DIR / f"epoch-{epoch:03d}"
            dst.mkdir(parents=True)
            for name in (WEIGHTS_NAME, CONFIG_NAME):
                shutil.copyfile(src / name, dst / name)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(dir=ship, prefix=f".{cfg.name}.", suffix=".old"))
            os.replace(dest, old / cfg.name)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def sweep(names: list[str], opts: SweepOptions, log=print) -> list[Path]:
    ref = Reference(opts.data_dir, opts.classifier, verify=opts.verify_data)
    runs = []
    for name in names or list(REGISTRY):
        cfg = get_variant(name)
        if opts.epochs is not None:
            cfg = cfg.replace(epochs=opts.epochs)
        runs.append(run_variant(cfg, opts, ref, log))
    return runs


def main_sweep(args) -> int:
    if args.device is not None:
        parse_device(args.device)
    opts = SweepOptions(runs=args.runs, ship=args.ship, data_dir=args.data_dir, seed=args.seed, epochs=args.epochs,
                        limit=args.limit, device=args.device, n=args.n, history_n=args.history_n,
                        classifier=args.classifier, verify_data=not args.no_verify, progress=not args.no_progress)
    sweep(args.names, opts, log=lambda line: print(line, flush=True))
    return 0
