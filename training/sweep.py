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

from training.checkpoint import (
    CONFIG_FILE,
    GENERATOR_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    STATE_FILE,
    STEPS_FILE,
    atomic_write_json,
    snapshot_dir,
)
from training.config import REGISTRY, VariantConfig, get_variant
from training.evaluate import HISTORY_N, Reference, evaluate_checkpoint, evaluate_history, is_evaluated
from training.table import rebuild_table
from training.trainer import TrainOptions, is_finished, parse_device, train


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
        resume = (run / STATE_FILE).exists()
        log(f"{cfg.name}: {'resuming' if resume else 'training'} in {run}")
        train(cfg, TrainOptions(out=run, data_dir=opts.data_dir, seed=opts.seed, limit=opts.limit, device=opts.device,
                                resume=resume, verify_data=opts.verify_data, progress=opts.progress))
    if is_evaluated(run, ref, opts.n, 0) and _history_evaluated(run):
        log(f"{cfg.name}: metrics are up to date")
    else:
        atomic_write_json(run / METRICS_FILE, evaluate_checkpoint(run, ref, opts.n, seed=0))
        evaluate_history(run, ref, opts.history_n, seed=0, progress=opts.progress)
        log(f"{cfg.name}: evaluated")
    if opts.ship is not None:
        dest = ship_run(run, Path(opts.ship), cfg)
        rebuild_table(opts.ship, ref, opts.n)
        log(f"{cfg.name}: shipped to {dest}")
    return run


def _history_evaluated(run: Path) -> bool:
    try:
        history = json.loads((run / HISTORY_FILE).read_text())
        return bool(history) and all("fd" in r for r in history if _has_generator(run, r["epoch"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _has_generator(run: Path, epoch: int) -> bool:
    return (snapshot_dir(run, epoch) / GENERATOR_FILE).is_file()


def shipped_snapshots(cfg: VariantConfig, final_epoch: int) -> list[int]:
    """Snapshot epochs to ship: cfg.snapshot_epochs up to the final epoch, which the main folder already is."""
    return [e for e in cfg.snapshot_epochs if e < final_epoch]


def ship_run(run: Path, ship: Path, cfg: VariantConfig) -> Path:
    """Replace SHIP/NAME with the generator, its config, metrics, history, per-step losses and snapshots.

    Built in a temporary sibling folder and renamed into place, so SHIP/NAME is never half-written.
    """
    run = Path(run)
    final = json.loads((run / CONFIG_FILE).read_text())["provenance"]["epoch"]
    sources = [run / n for n in (GENERATOR_FILE, CONFIG_FILE, METRICS_FILE, HISTORY_FILE, STEPS_FILE)]
    sources += [snapshot_dir(run, e) / n for e in shipped_snapshots(cfg, final)
                for n in (GENERATOR_FILE, CONFIG_FILE)]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise SweepError(f"{run}: cannot ship, missing {', '.join(missing[:4])}")
    ship.mkdir(parents=True, exist_ok=True)
    dest = ship / cfg.name
    tmp = Path(tempfile.mkdtemp(dir=ship, prefix=f".{cfg.name}.", suffix=".tmp"))
    try:
        # steps.csv ships as it is (~0.55 MB a run, 12 MB for all 22): the budget holds it, and the dashboard
        # and the Hub upload read it directly
        for name in (GENERATOR_FILE, CONFIG_FILE, METRICS_FILE, HISTORY_FILE, STEPS_FILE):
            shutil.copyfile(run / name, tmp / name)
        for epoch in shipped_snapshots(cfg, final):
            src, dst = snapshot_dir(run, epoch), snapshot_dir(tmp, epoch)
            dst.mkdir(parents=True)
            for name in (GENERATOR_FILE, CONFIG_FILE):
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
