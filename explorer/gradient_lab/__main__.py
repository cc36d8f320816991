"""`python -m explorer.gradient_lab --table | --write [NAMES...]`: the agreement table, printed or shipped."""

from __future__ import annotations

import argparse
import sys

from explorer.gradient_lab.compute import COMPARE_SAMPLES, DEFAULT_DRAWS, comparison_table
from explorer.gradient_lab.reports import format_table
from explorer.gradient_lab.store import write_comparison
from training.checkpoint import CRITIC_FILE, GRADLAB_COMPARISON_FILE, checkpoints_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m explorer.gradient_lab", description="the gradient lab's agreement table"
    )
    parser.add_argument("--table", action="store_true", help="print the agreement table (Markdown)")
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"write the rows to the checkpoints folder's {GRADLAB_COMPARISON_FILE}, for the page",
    )
    parser.add_argument("names", nargs="*", help="variants (default: every variant with a critic)")
    parser.add_argument(
        "--n", type=int, default=COMPARE_SAMPLES, help=f"samples per variant (default {COMPARE_SAMPLES})"
    )
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help=f"SBN draws K (default {DEFAULT_DRAWS})")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.table and not args.write:
        parser.error("nothing to do; pass --table or --write")
    if args.write and args.seed != 0:
        parser.error("the page reads shipped rows for seed 0 only")
    try:
        rows = comparison_table(
            args.names or None, args.n, args.seed, args.draws, log=lambda line: print(line, file=sys.stderr, flush=True)
        )
    except ValueError as e:  # CheckpointError and its kin are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not rows:
        print(
            f"no variant in {checkpoints_root()} has a {CRITIC_FILE}; export one with "
            f"`python -m training critic RUN_FOLDER`",
            file=sys.stderr,
        )
        return 1
    if args.write:
        print(f"wrote {write_comparison(rows)}", file=sys.stderr)
    if args.table:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
