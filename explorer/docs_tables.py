"""The tables in docs/ that are computed from the shipped files, written and checked by one command:

    python -m explorer.docs_tables --write    # regenerate every block in place
    python -m explorer.docs_tables --check    # exit 1, naming each stale block (the tests run this)

A generated block sits between two marker lines in a Markdown file, and nothing else in the file is touched:

    <!-- generated: NAME (python -m explorer.docs_tables --write) -->
    ...
    <!-- end generated: NAME -->
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from training.checkpoint import METRICS_FILE, REPO_CHECKPOINTS

DOCS = REPO_CHECKPOINTS.parent / "docs"
_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[\w-]+) \(python -m explorer\.docs_tables --write\) -->\n)(?P<body>.*?)"
    r"(<!-- end generated: (?P=name) -->)",
    re.S,
)


def _claims(which: str) -> Callable[[Path], str]:
    def table(root: Path) -> str:
        from explorer import claims
        from explorer.files import seed_metrics

        judgements = claims.judge(seed_metrics(root))
        return claims.headline(judgements) if which == "headline" else claims.markdown(judgements)

    return table


def _metrics(which: str) -> Callable[[Path], str]:
    def table(root: Path) -> str:
        from training.table import seeds_markdown, table_markdown

        shipped = json.loads((root / METRICS_FILE).read_text())
        return table_markdown(shipped) if which == "models" else seeds_markdown(shipped)

    return table


def _estimators(root: Path) -> str:
    from explorer.estimator_lab import reports

    return reports.headline(root)


# The variants whose studies docs/estimator-lab.md discusses, in its order: the MLP SBN variants of the first
# campaign and the ReinMax-trained one.
LAB_DOC_VARIANTS = (
    "mlp-sbn-wgan-gp",
    "mlp-sbn-wgan-gp-st",
    "mlp-sbn-wgan-gp-code",
    "mlp-sbn-wgan-code",
    "mlp-sbn-gan-code",
    "mlp-sbn-wgan-gp-bnd-code",
    "mlp-sbn-wgan-bnd-code",
    "mlp-sbn-gan-nobnd-code",
    "mlp-sbn-wgan-gp-code-reinmax",
)


def _studies(root: Path) -> str:
    from explorer.estimator_lab import reports, store

    blocks = []
    for name in LAB_DOC_VARIANTS:
        s = store.shipped(name, root)
        if s is None:
            raise ValueError(f"{name}: no estimator-lab study shipped under {root}")
        blocks.append(reports.markdown(s))
    return "\n\n".join(blocks)


def _playground(which: str) -> Callable[[Path], str]:
    def table(root: Path) -> str:  # the oracle's result ships beside its code, not among the checkpoints
        from explorer.playground import oracle

        result = oracle.read()
        return oracle.table(result) if which == "oracle" else oracle.agreement_table(result)

    return table


def _gated(root: Path) -> str:
    from explorer import gated

    return gated.headline(root)


def _controls(root: Path) -> str:
    from explorer import gated

    return gated.controls_headline(root)


# (file in docs/, block name) -> the table, from the checkpoints folder
TABLES: dict[tuple[str, str], Callable[[Path], str]] = {
    ("results.md", "models"): _metrics("models"),
    ("results.md", "seeds"): _metrics("seeds"),
    ("results.md", "claims-headline"): _claims("headline"),
    ("results.md", "claims"): _claims("verdicts"),
    ("results.md", "estimators-headline"): _estimators,
    ("results.md", "gated-headline"): _gated,
    ("conditional.md", "gated-headline"): _gated,
    ("conditional.md", "controls"): _controls,
    ("estimator-lab.md", "studies"): _studies,
    ("playground.md", "playground-oracle"): _playground("oracle"),
    ("playground.md", "playground-agreement"): _playground("agreement"),
}


def render(text: str, file: str, root: Path) -> tuple[str, list[str]]:
    """`text` with each of its generated blocks rewritten, and the names of the blocks whose content changed.
    A block the file lacks, or one with no table, is an error naming both."""
    wanted = {name for f, name in TABLES if f == file}
    found = {m.group("name") for m in _BLOCK.finditer(text)}
    if wanted - found or found - wanted:
        raise ValueError(f"docs/{file}: generated blocks {sorted(found)}, expected {sorted(wanted)}")
    stale: list[str] = []

    def fill(m: re.Match[str]) -> str:
        body = TABLES[(file, m.group("name"))](root).rstrip("\n") + "\n"
        if body != m.group("body"):
            stale.append(m.group("name"))
        return m.group(1) + body + m.group(4)

    return _BLOCK.sub(fill, text), stale


def update(docs: Path | None = None, root: Path = REPO_CHECKPOINTS, write: bool = False) -> list[str]:
    """'FILE: NAME' for every stale block; with `write`, each stale file is rewritten in place."""
    stale: list[str] = []
    for file in sorted({f for f, _ in TABLES}):
        path = (docs or DOCS) / file
        new, names = render(path.read_text(), file, root)
        stale += [f"docs/{file}: {name}" for name in names]
        if write and names:
            path.write_text(new)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.docs_tables", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate every block from the shipped files")
    mode.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    args = parser.parse_args(argv)
    stale = update(write=args.write)
    for line in stale:
        print(f"{'rewrote' if args.write else 'stale'}: {line}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
