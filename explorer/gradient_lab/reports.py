"""The gradient lab's Markdown: the agreement table of docs/gradient-lab.md, one row per variant's summary."""

from __future__ import annotations

import math
from typing import Any

from explorer.gradient_lab.compute import ESTIMATOR_LABELS, ESTIMATORS


def format_table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of docs/gradient-lab.md."""

    def cell(v: float, fmt: str) -> str:
        return "–" if isinstance(v, float) and math.isnan(v) else format(v, fmt)

    lines = [
        "| variant | neuron | estimator | samples | draws K | cosine(g, t) | sign agreement | "
        "sign agreement, top 10% | x-scale cosine: sigmoid-adjusted / plain / binary-Concrete |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        x = " / ".join(cell(r[f"x_cosine_{e}"], ".3f") for e in ESTIMATORS)
        lines.append(
            f"| `{r['variant']}` | {r['neuron'].upper()} | {ESTIMATOR_LABELS[r['estimator']]} | {r['samples']} "
            f"| {r['draws'] or '–'} | {r['cosine']:.3f} ± {cell(r['cosine_se'], '.3f')} "
            f"| {r['sign_agreement']:.1%} | {r['sign_agreement_top']:.1%} | {x} |"
        )
    return "\n".join(lines)
