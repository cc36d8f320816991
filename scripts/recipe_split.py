"""Which of the code recipe's changes makes its CNNs weak? Short one-change runs of the code recipe's DBN CNN.

    python scripts/recipe_split.py batchnorm --out runs/recipe-split   # the text recipe's batch-statistics BatchNorm
    python scripts/recipe_split.py init --out runs/recipe-split        # the text recipe's torch initialisation

Each run is `cnn-dbn-wgan-gp-code` with one field set to the text recipe's value (`cnn-dbn-wgan-gp`), trained by the
project's trainer for --epochs epochs at seed 0, with a generator snapshot per epoch; then

    python -m training evaluate runs/recipe-split/NAME --history

adds the same per-epoch FD (2,000 samples) as the shipped runs' histories hold, which docs/results.md ("Why the code
recipe's CNNs are weak") compares it with.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training.trainer import TrainOptions, train
from training.variants import get_variant

CODE, TEXT = "cnn-dbn-wgan-gp-code", "cnn-dbn-wgan-gp"
CHANGES = ("batchnorm", "init", "slope_annealing_rate")  # every field in which the two recipes' DBN CNNs differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("change", choices=CHANGES, help="the one field taken from the text recipe")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("runs/recipe-split"))
    parser.add_argument("--data-dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--limit", type=int, help="train on the first N images (smoke runs)")
    args = parser.parse_args(argv)
    code, text = get_variant(CODE), get_variant(TEXT)
    value = getattr(text, args.change)
    cfg = code.replace(
        name=f"{CODE}-{args.change.replace('_', '-')}",
        epochs=args.epochs,
        snapshot_epochs=(),
        description=f"{code.description}; {args.change} = {value!r} as in {TEXT} (a recipe-split run)",
        **{args.change: value},
    )
    out = args.out / cfg.name
    train(cfg, TrainOptions(out=out, data_dir=args.data_dir, resume=args.resume, limit=args.limit, progress=False))
    print(f"{cfg.name}: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
