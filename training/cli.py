"""Command line: `python -m training {list,train,...}`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.config import REGISTRY, UnknownVariantError, get_variant, registry_json

MAX_EPOCHS = 10_000
MAX_SEED = 2**63 - 1


def _bounded_int(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside [{lo}, {hi}]")
        return value
    return parse


def _variant(text: str) -> str:
    try:
        return get_variant(text).name
    except UnknownVariantError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description="Train and inspect BinaryGAN variants.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the registered variants")
    p.add_argument("--json", action="store_true", help="print every variant config as a JSON list")

    p = sub.add_parser("train", help="train one variant into a checkpoint folder")
    p.add_argument("name", type=_variant, help="variant name (see `list`)")
    p.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    p.add_argument("--data-dir", help="folder with the four MNIST IDX gzip files (default: $BINARYGAN_DATA or data/mnist)")
    p.add_argument("--epochs", type=_bounded_int(1, MAX_EPOCHS), help="total epochs (default: the variant's, 20)")
    p.add_argument("--seed", type=_bounded_int(0, MAX_SEED), default=0)
    p.add_argument("--limit", type=_bounded_int(1, 60_000), help="train on the first N images (smoke runs)")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    p.add_argument("--no-eval", action="store_true", help="skip per-epoch evaluation and snapshots (for timing)")
    p.add_argument("--no-verify", action="store_true", help="skip the MNIST sha256 check (tiny test data sets)")
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files from the usual mirrors first")
    p.add_argument("--fp32", action="store_true", help="store generator weights in fp32 (default fp16)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def cmd_list(args: argparse.Namespace) -> int:
    if args.json:
        print(registry_json())
        return 0
    for v in REGISTRY.values():
        print(f"{v.name:28s} {v.experiment:26s} {v.description}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from training.data import download
    from training.trainer import TrainOptions, train

    cfg = get_variant(args.name)
    if args.epochs is not None:
        cfg = cfg.replace(epochs=args.epochs)
    if args.device is not None:
        try:
            device = torch.device(args.device)
        except RuntimeError:
            raise ValueError(f"--device {args.device!r} is not a device name such as cpu or cuda") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but no CUDA device is available")
    if args.download:
        download(args.data_dir)
    opts = TrainOptions(out=args.out, data_dir=args.data_dir, seed=args.seed, limit=args.limit, device=args.device,
                        resume=args.resume, verify_data=not args.no_verify, snapshots=not args.no_eval,
                        progress=not args.no_progress, weights_dtype=torch.float32 if args.fp32 else torch.float16)
    out = train(cfg, opts)
    print(f"checkpoint written to {out}")
    return 0


COMMANDS = {"list": cmd_list, "train": cmd_train}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from training.trainer import TrainingError

    try:
        return COMMANDS[args.command](args)
    except (ValueError, TrainingError) as e:  # DataError and CheckpointError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the last finished epoch is saved, continue with --resume", file=sys.stderr)
        return 130
