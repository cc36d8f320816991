"""The sweep on a Ray cluster: each (variant, seed) job is one Ray task, asking for 1 CPU, or 1 GPU on CUDA.

A task trains (or resumes, or skips) and evaluates in the worker's own RUNS folder, exactly as the local sweep does,
then hands back the bytes of what ships. The driver writes those into its own RUNS folder and ships from there, so
results land in the driver's checkpoints/ whether or not the machines share a disk. Every machine needs the same
checkout, the MNIST files at the same --data-dir and the evaluation classifier.

`pip install -e .[ray]`; `python -m training sweep NAME... --seeds 0,1,2 --engine ray [--address HOST:6379]`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from training import reproducible
from training.checkpoint import atomic_write
from training.errors import TrainingError
from training.evaluate import Reference
from training.seeds import SHIPPED_SEED, run_folder, ship_seed
from training.sweep import SweepOptions, run_variant, ship_run, shipped_files
from training.table import rebuild_table
from training.variants import REGISTRY, get_variant

Job = tuple[str, int]  # (variant name, training seed)


class RayUnavailableError(TrainingError):
    """Ray is not installed, or the cluster at --address cannot be reached."""


def run_job(name: str, seed: int, opts: SweepOptions) -> dict[str, bytes]:
    """One job on a worker: train, evaluate, and return {run-relative path: bytes} of what ships."""
    cfg = get_variant(name) if opts.epochs is None else get_variant(name).replace(epochs=opts.epochs)
    local = dataclasses.replace(opts, ship=None, progress=False)  # the driver ships; a worker has no terminal
    run = run_variant(cfg, local, Reference(opts.data_dir, opts.classifier, verify=opts.verify_data), seed=seed)
    return {file: (run / file).read_bytes() for file in shipped_files(run, cfg, seed)}


def gather(name: str, seed: int, files: dict[str, bytes], opts: SweepOptions) -> Path:
    """Write a finished job's files into the driver's run folder (the same one a local sweep would use)."""
    run = run_folder(Path(opts.runs), name, seed)
    for file, blob in files.items():
        if Path(file).is_absolute() or ".." in Path(file).parts:  # only run-relative paths, as shipped_files gives
            raise ValueError(f"{name} seed {seed}: refusing to write {file!r} outside its run folder")
        atomic_write(run / file, blob)
    return run


def sweep_ray(
    names: list[str],
    opts: SweepOptions,
    address: str | None = None,
    log: Callable[[str], None] = print,
    init_kwargs: dict[str, Any] | None = None,
) -> list[Path]:
    """Run every (name, seed) job as a Ray task; ship each as it finishes. `address` None starts a local instance;
    a Ray session the caller already started (a notebook, a test) is used as it is and left running."""
    try:
        import ray
    except ImportError:
        raise RayUnavailableError("--engine ray needs Ray: pip install -e .[ray]") from None
    jobs: list[Job] = [(name, seed) for name in (names or list(REGISTRY)) for seed in opts.seeds]
    gpu = (opts.device or "").startswith("cuda")
    owned = not ray.is_initialized()
    if owned:
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, **(init_kwargs or {}))
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise RayUnavailableError(
                f"cannot reach the Ray cluster at {address or 'a new local instance'}: {e}"
            ) from None
    try:
        # a worker has torch loaded already: the mode's variables must be in its environment from its start
        env: dict[str, Any] = {"env_vars": dict(reproducible.ENV)} if opts.reproducible else {}
        task = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0, max_retries=1, runtime_env=env)(run_job)
        pending = {task.remote(name, seed, opts): (name, seed) for name, seed in jobs}
        log(
            f"{len(jobs)} jobs submitted to Ray ({'1 GPU' if gpu else '1 CPU'} each, "
            f"{int(ray.cluster_resources().get('GPU' if gpu else 'CPU', 0))} available)"
        )
        ref = Reference(opts.data_dir, opts.classifier, verify=opts.verify_data) if opts.ship is not None else None
        runs: dict[Job, Path] = {}
        failed: list[str] = []
        start = time.perf_counter()
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            name, seed = pending.pop(done[0])
            try:
                files = ray.get(done[0])
            except ray.exceptions.RayError as e:  # one failed job must not stop the others; its run folder resumes
                cause = getattr(e, "cause", None) or e
                failed.append(f"{name} (seed {seed}): {type(cause).__name__}: {cause}")
                log(f"{name} (seed {seed}): failed: {cause}")
                continue
            run = gather(name, seed, files, opts)
            runs[name, seed] = run
            if opts.ship is not None and ref is not None:
                if seed == SHIPPED_SEED:
                    ship_run(run, Path(opts.ship), get_variant(name))
                else:
                    ship_seed(run, Path(opts.ship), name, seed)
                rebuild_table(opts.ship, ref, opts.n)
            log(f"{name} (seed {seed}): done, {len(runs)}/{len(jobs)} after {time.perf_counter() - start:.0f} s")
        if failed:
            raise TrainingError(
                f"{len(failed)} of {len(jobs)} jobs failed; rerun the same command to resume them: " + "; ".join(failed)
            )
        return [runs[job] for job in jobs]
    finally:
        if owned:
            ray.shutdown()
