"""Command line: `binarygan {list,train,evaluate,sweep,manifest,publish,app,...}`, also `python -m training ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.errors import TrainingError
from training.parser import build_parser
from training.variants import REGISTRY, get_variant, registry_json


def cmd_list(args: argparse.Namespace) -> int:
    if args.json:
        print(registry_json())
        return 0
    rows = [("variant", "experiment", "what it is")] + [
        (v.name, v.experiment, v.description) for v in REGISTRY.values()
    ]
    name_w, exp_w = (max(len(r[i]) for r in rows) for i in (0, 1))  # columns as wide as their longest entry
    for name, experiment, description in rows:
        print(f"{name:{name_w}}  {experiment:{exp_w}}  {description}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from training.critic import generator_digest
    from training.data import download
    from training.trainer import TrainOptions, parse_device, train

    cfg = get_variant(args.name)
    if args.epochs is not None:
        cfg = cfg.replace(epochs=args.epochs)
    if args.device is not None:
        parse_device(args.device)
    if args.download:
        download(args.data_dir)
    opts = TrainOptions(
        out=args.out,
        data_dir=args.data_dir,
        seed=args.seed,
        limit=args.limit,
        device=args.device,
        resume=args.resume,
        verify_data=not args.no_verify,
        snapshots=not args.no_snapshots,
        progress=not args.no_progress,
        weights_dtype=torch.float32 if args.fp32 else torch.float16,
        reproducible=args.reproducible,
    )
    out = train(cfg, opts)
    print(f"checkpoint written to {out}; generator tensors sha256 {generator_digest(out)}")
    return 0


def cmd_classifier(args: argparse.Namespace) -> int:
    from training.classifier import ClassifierOptions, train_classifier

    clf = train_classifier(
        ClassifierOptions(
            out=args.out,
            data_dir=args.data_dir,
            seed=args.seed,
            epochs=args.epochs,
            limit=args.limit,
            verify_data=not args.no_verify,
            progress=not args.no_progress,
        )
    )
    print(
        f"classifier written to {args.out}: test accuracy {clf.info['test_accuracy']:.4%}, {clf.info['wall_time_s']} s"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from training.checkpoint import (
        HISTORY_FILE,
        METRICS_FILE,
        atomic_write_json,
        checkpoints_root,
        generator_folder,
        local_run,
    )
    from training.evaluate import (
        HISTORY_N,
        Reference,
        check_writable,
        compare_metrics,
        evaluate_checkpoint,
        evaluate_history,
    )
    from training.metrics import METRICS, EvaluationError
    from training.table import rebuild_table, seeds_markdown, table_markdown

    if args.target is None and not args.table:
        raise EvaluationError("name a checkpoint to evaluate, or pass --table")
    ref = Reference(args.data_dir, args.classifier, verify=not args.no_verify)
    if args.target is not None:
        # local folders only: the dashboard's Hub copy sits in the Hugging Face cache, which is never written to
        folder = generator_folder(local_run(args.target), what=args.target)
        out = Path(args.out or folder / METRICS_FILE)
        for path in ([] if args.check else [out]) + ([folder / HISTORY_FILE] if args.history else []):
            check_writable(path)  # before the evaluation's minutes, not after
        metrics = evaluate_checkpoint(folder, ref, args.n, args.seed)
        if args.check:
            try:
                shipped = json.loads(out.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise EvaluationError(f"{out}: no shipped metrics to check against ({e})") from None
            problems = compare_metrics(shipped, metrics)
            for line in problems:
                print(f"{folder.name}: {line}")
            if problems:
                return 1
            print(f"{folder.name}: reproduces {out}")
        else:
            atomic_write_json(out, metrics)
            print(json.dumps({m.key: metrics[m.key] for m in METRICS}, indent=1))
            print(f"metrics written to {out}")
        if args.history:
            evaluate_history(folder, ref, min(args.n, HISTORY_N), args.seed, progress=True)
            print(f"per-epoch metrics merged into {folder / HISTORY_FILE}")
    if args.table:
        root = args.checkpoints or checkpoints_root()
        table = rebuild_table(root, ref, args.n)
        print(f"{root / METRICS_FILE}: real-data floor and {len(table['variants'])} variant(s)")
        if args.markdown:
            print(table_markdown(table), end="")
            if seeds_markdown(table):
                print("\nOver training seeds (mean ± sd, then each seed's value):\n")
                print(seeds_markdown(table), end="")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from training.sweep import options_from_args, sweep

    opts = options_from_args(args)
    log = lambda line: print(line, flush=True)  # noqa: E731
    if args.engine == "ray":
        from training.ray_sweep import sweep_ray

        sweep_ray(args.names, opts, address=args.address, log=log)
    else:
        sweep(args.names, opts, log=log)
    return 0


def cmd_critic(args: argparse.Namespace) -> int:
    from training.critic import main_critic

    return main_critic(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from training.critic import main_compare

    return main_compare(args)


def cmd_manifest(args: argparse.Namespace) -> int:
    from training.manifest import main_manifest

    return main_manifest(args)


def cmd_publish(args: argparse.Namespace) -> int:
    from training.publish import main_publish

    return main_publish(args)


def cmd_app(args: argparse.Namespace) -> int:
    import subprocess

    # The dashboard (dashboard/, streamlit_app.py) lives beside the packages in the source tree, not in a wheel.
    app = Path(__file__).resolve().parent.parent / "streamlit_app.py"
    if not app.is_file():
        raise ValueError(
            f"{app}: no dashboard here; `binarygan app` runs from a source checkout installed with `pip install -e .`"
        )
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(app), *args.extra], cwd=app.parent)


def cmd_download(args: argparse.Namespace) -> int:
    from training.data import download

    print(f"MNIST is in {download(args.data_dir)}")
    return 0


COMMANDS = {
    "download": cmd_download,
    "list": cmd_list,
    "train": cmd_train,
    "classifier": cmd_classifier,
    "evaluate": cmd_evaluate,
    "sweep": cmd_sweep,
    "critic": cmd_critic,
    "compare": cmd_compare,
    "manifest": cmd_manifest,
    "publish": cmd_publish,
    "app": cmd_app,
}


def main(argv: list[str] | None = None, prog: str = "python -m training") -> int:
    parser = build_parser(prog)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "app":  # only `app` passes options on (to streamlit run)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if getattr(args, "reproducible", False):
        from training.reproducible import apply_env, rerun

        # the mode's variables count only if they are set before torch loads, which happens just below
        if not apply_env():
            return rerun(sys.argv[1:] if argv is None else argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, TrainingError) as e:  # DataError and CheckpointError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a full disk or a vanished folder mid-run: the last finished epoch is still on disk
        print(f"error: {e.filename or ''} {e.strerror or e}".replace("error:  ", "error: "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the last finished epoch is saved, continue with --resume", file=sys.stderr)
        return 130


def console() -> int:
    """The `binarygan` console script."""
    return main(prog="binarygan")
