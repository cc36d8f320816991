"""`python -m explorer.estimator_lab --write | --extend | --markdown | --headline [NAMES...]`: ship the studies,
grow them by new estimators, print them."""

from __future__ import annotations

import argparse
import sys
import time

from explorer.estimator_lab.compute import extend, offered_variants, study
from explorer.estimator_lab.reports import headline, markdown
from explorer.estimator_lab.store import shipped, write
from training.checkpoint import ESTIMATOR_LAB_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.estimator_lab", description="the estimator lab's studies")
    parser.add_argument("names", nargs="*", help="SBN variants (default: every one with a critic)")
    parser.add_argument("--write", action="store_true", help=f"compute and write NAME/{ESTIMATOR_LAB_FILE}")
    parser.add_argument(
        "--extend", action="store_true", help="add the estimators a shipped study lacks, against its shipped truth"
    )
    parser.add_argument("--markdown", action="store_true", help="print the shipped numbers at budgets 2 and 8")
    parser.add_argument("--headline", action="store_true", help="print the README's table of the estimators")
    args = parser.parse_args(argv)
    if args.headline:
        print(headline())
        return 0
    if not (args.write or args.extend or args.markdown):
        parser.error("nothing to do; pass --write, --extend, --markdown or --headline")
    names = args.names or offered_variants()
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        for name in names:
            if args.write:
                t0 = time.perf_counter()
                path = write(study(name, log=log))
                log(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - t0:.0f} s")
            if args.extend:
                old = shipped(name)
                if old is None:
                    raise ValueError(f"{name}: no {ESTIMATOR_LAB_FILE} shipped to extend; use --write")
                path = write(extend(old, log=log))
                log(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
            if args.markdown:
                s = shipped(name)
                print(markdown(s) if s else f"{name}: no {ESTIMATOR_LAB_FILE} shipped", end="\n\n")
    except ValueError as e:  # CheckpointError and its kin are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
