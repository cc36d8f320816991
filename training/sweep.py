"""The training campaign: train, evaluate and ship variants, one independent job per variant.

`python -m training sweep NAME... [--seeds 0,1,2]` handles each (name, seed) job in turn:
1. train into its run folder (RUNS/NAME for seed 0, RUNS/seed-N/NAME for the others: training.seeds), skipping
   a finished run and resuming an interrupted one;
2. evaluate it (10,000 samples) into RUN/metrics.json and merge the cheap per-epoch metrics into
   RUN/history.json (skipped when the metrics already match this generator and classifier);
3. with --ship, copy what the dashboard needs into SHIP/NAME (seed 0: the checkpoint; other seeds: their
   metrics and history only) and rebuild SHIP/metrics.json.

Nothing is shared between jobs but the read-only data and classifier, so any job runner can spread
them over machines or GPUs (see docs/reproducing.md, "Training campaign").
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
    CRITIC_FILE,
    GENERATOR_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    SEEDS_DIR,
    STATE_FILE,
    STEPS_FILE,
    CheckpointError,
    atomic_write_json,
    snapshot_dir,
)
from training.config import VariantConfig
from training.critic import export_critic, load_critic_checkpoint
from training.evaluate import HISTORY_N, Reference, evaluate_checkpoint, evaluate_history, is_evaluated
from training.seeds import SEED_FILES, SHIPPED_SEED, parse_seeds, run_folder, ship_seed
from training.table import rebuild_table
from training.trainer import TrainOptions, is_finished, parse_device, train
from training.variants import REGISTRY, get_variant


class SweepError(ValueError):
    """A run folder that lacks what shipping needs."""


@dataclass
class SweepOptions:
    runs: Path = Path("runs")  # one run folder per job: RUNS/NAME, RUNS/seed-N/NAME
    ship: Path | None = None  # checkpoints folder to ship into; None: train and evaluate only
    data_dir: str | None = None
    seeds: tuple[int, ...] = (SHIPPED_SEED,)  # training seeds; each is its own job
    epochs: int | None = None  # override the variants' 20 (smoke runs)
    limit: int | None = None
    device: str | None = None
    n: int = 10_000
    history_n: int = HISTORY_N
    classifier: Path | None = None
    verify_data: bool = True
    progress: bool = True
    reproducible: bool = False  # train in the CPU mode of training/reproducible.py


def run_variant(cfg: VariantConfig, opts: SweepOptions, ref: Reference, log=print, seed: int = SHIPPED_SEED) -> Path:
    """Train (or skip, or resume), evaluate and optionally ship one (variant, seed) job; returns its run folder."""
    run = run_folder(Path(opts.runs), cfg.name, seed)
    job = cfg.name if seed == SHIPPED_SEED else f"{cfg.name} (seed {seed})"
    if is_finished(run, cfg, seed):
        log(f"{job}: finished run in {run}, not training")
    else:
        resume = (run / STATE_FILE).exists()
        log(f"{job}: {'resuming' if resume else 'training'} in {run}")
        train(
            cfg,
            TrainOptions(
                out=run,
                data_dir=opts.data_dir,
                seed=seed,
                limit=opts.limit,
                device=opts.device,
                resume=resume,
                verify_data=opts.verify_data,
                progress=opts.progress,
                reproducible=opts.reproducible,
            ),
        )
    # samples are always drawn with seed 0: seeds differ in training only
    if is_evaluated(run, ref, opts.n, 0) and _history_evaluated(run):
        log(f"{job}: metrics are up to date")
    else:
        atomic_write_json(run / METRICS_FILE, evaluate_checkpoint(run, ref, opts.n, seed=0))
        evaluate_history(run, ref, opts.history_n, seed=0, progress=opts.progress)
        log(f"{job}: evaluated")
    if seed == SHIPPED_SEED:
        ensure_critic(run)  # before shipping, here or (with --engine ray) on the driver
    if opts.ship is not None:
        if seed == SHIPPED_SEED:
            dest = ship_run(run, Path(opts.ship), cfg)
        else:
            dest = ship_seed(run, Path(opts.ship), cfg.name, seed)
        rebuild_table(opts.ship, ref, opts.n)
        log(f"{job}: shipped to {dest}")
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


def shipped_files(run: Path, cfg: VariantConfig, seed: int = SHIPPED_SEED) -> list[str]:
    """Run-relative paths of what a finished job ships: the checkpoint with its logs and snapshots for seed 0, the
    numbers only for another seed (its config.json comes along to prove the seed)."""
    if seed != SHIPPED_SEED:
        return [CONFIG_FILE, *SEED_FILES]
    final = json.loads((Path(run) / CONFIG_FILE).read_text())["provenance"]["epoch"]
    critic = [CRITIC_FILE] if (Path(run) / CRITIC_FILE).is_file() else []
    return [GENERATOR_FILE, CONFIG_FILE, METRICS_FILE, HISTORY_FILE, STEPS_FILE, *critic] + [
        (snapshot_dir(Path(), e) / n).as_posix()
        for e in shipped_snapshots(cfg, final)
        for n in (GENERATOR_FILE, CONFIG_FILE)
    ]


def ensure_critic(run: Path) -> None:
    """Export RUN/critic.safetensors from the training state unless it already belongs to RUN's generator. A current
    one is kept: safetensors orders its metadata at random, so a fresh export would change the file's bytes (and the
    manifest) without changing a weight. A run without its training state (a shipped folder) is left as it is."""
    if not (run / STATE_FILE).is_file():
        return
    try:
        load_critic_checkpoint(run)
    except CheckpointError:
        export_critic(run)


def ship_run(run: Path, ship: Path, cfg: VariantConfig) -> Path:
    """Replace SHIP/NAME with the generator, its config, metrics, history, per-step losses and snapshots, and the
    critic when the run has one (exported from the training state when missing or not of the generator's epoch).

    Built in a temporary sibling folder and renamed into place, so SHIP/NAME is never half-written. Extra seeds
    already shipped into SHIP/NAME/seeds are carried over.
    """
    run = Path(run)
    ensure_critic(run)
    files = shipped_files(run, cfg)
    missing = [str(run / f) for f in files if not (run / f).is_file()]
    if missing:
        raise SweepError(f"{run}: cannot ship, missing {', '.join(missing[:4])}")
    ship.mkdir(parents=True, exist_ok=True)
    dest = ship / cfg.name
    tmp = Path(tempfile.mkdtemp(dir=ship, prefix=f".{cfg.name}.", suffix=".tmp"))
    try:
        # steps.csv ships as it is (~0.5 MB a run, about 20 MB for all 41): the budget holds it, and the dashboard
        # and the Hub upload read it directly
        for file in files:
            (tmp / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run / file, tmp / file)
        if (dest / SEEDS_DIR).is_dir():
            shutil.copytree(dest / SEEDS_DIR, tmp / SEEDS_DIR)
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
        for seed in opts.seeds:
            runs.append(run_variant(cfg, opts, ref, log, seed))
    return runs


def options_from_args(args) -> SweepOptions:
    """The sweep's options from `binarygan sweep`'s arguments (either engine)."""
    if args.device is not None:
        parse_device(args.device)
    return SweepOptions(
        runs=args.runs,
        ship=args.ship,
        data_dir=args.data_dir,
        seeds=tuple(parse_seeds(args.seeds)),
        epochs=args.epochs,
        limit=args.limit,
        device=args.device,
        n=args.n,
        history_n=args.history_n,
        classifier=args.classifier,
        verify_data=not args.no_verify,
        progress=not args.no_progress,
        reproducible=args.reproducible,
    )
