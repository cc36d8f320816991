"""The estimator lab's summaries: the page's per-sample table and MSE curves, the docs' Markdown per variant, and
the README's headline table of the estimators."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from explorer.estimator_lab.compute import ESTIMATORS, SampleStudy, Study
from explorer.estimator_lab.store import shipped
from explorer.gradient_lab.compute import ESTIMATOR_LABELS
from training.checkpoint import ESTIMATOR_LAB_FILE, CheckpointError
from training.estimators import CRITIC_EVALS, SAME_FOR_A_BINARY_UNIT, UNBIASED
from training.seeds import mean_sd
from training.variants import ESTIMATOR_BASELINE, REGISTRY

DEFAULT_BUDGET = 8  # the page's first budget: one of MAP_BUDGETS, so its maps are shipped too
HEADLINE_BUDGETS = (2, 8)


def default_budget(budgets: Sequence[int]) -> int:
    """The budget the page first shows: DEFAULT_BUDGET when the study has it, else its largest."""
    return DEFAULT_BUDGET if DEFAULT_BUDGET in budgets else budgets[-1]


def table(samples: Iterable[SampleStudy], budget: int) -> list[dict[str, Any]]:
    """One row per estimator at `budget`: each number's mean over the samples, and its standard deviation (NaN
    for one sample). MSE is also given relative to ||truth||², comparable across samples. Rows of estimators not
    applicable at the budget have draws 0 and NaN numbers."""
    samples = list(samples)
    rows = []
    for e in ESTIMATORS:
        have = [x for x in samples if (e, budget) in x.cells]  # the samples whose study has this cell
        cells = [x.cells[(e, budget)] for x in have]
        row: dict[str, Any] = {
            "estimator": e,
            "label": ESTIMATOR_LABELS[e],
            "unbiased": e in UNBIASED,
            "draws": cells[0].draws if cells else 0,
            "backward": cells[0].backward if cells else 0,
        }
        per = {
            "bias2": [c.bias2 for c in cells],
            "variance": [c.variance for c in cells],
            "mse": [c.mse for c in cells],
            "cosine": [c.cosine for c in cells],
            "relative_mse": [c.mse / x.truth_norm2 for c, x in zip(cells, have, strict=True) if x.truth_norm2 > 0],
        }
        for k, v in per.items():
            row[k], row[f"{k}_sd"] = mean_sd(v)
        rows.append(row)
    return rows


def sample_rows(x: SampleStudy, budget: int) -> list[dict[str, Any]]:
    """The page's table for one sample at `budget`: one row per estimator, NaN where it is not applicable."""
    rows = []
    for e in ESTIMATORS:
        c = x.cells.get((e, budget))
        nan = math.nan
        rows.append(
            {
                "estimator": ESTIMATOR_LABELS[e],
                "unbiased": e in UNBIASED,
                "draws": c.draws if c else 0,
                "critic evaluations": c.critic_evals if c else 0,
                "backward passes": c.backward if c else 0,
                "bias²": c.bias2 if c else nan,
                "bias² noise": c.bias2_noise if c else nan,
                "variance": c.variance if c else nan,
                "MSE": c.mse if c else nan,
                "MSE / ‖truth‖²": c.mse / x.truth_norm2 if c and x.truth_norm2 > 0 else nan,
                "cosine": c.cosine if c else nan,
            }
        )
    return rows


def mse_curves(x: SampleStudy) -> dict[str, tuple[list[int], list[float]]]:
    """{estimator: (budgets, MSE)} over the budgets where it applies: the log-log chart's lines."""
    budgets = x.budgets
    return {
        e: ([b for b in budgets if (e, b) in x.cells], [x.cells[(e, b)].mse for b in budgets if (e, b) in x.cells])
        for e in ESTIMATORS
    }


def best(samples: Iterable[SampleStudy], budget: int) -> str | None:
    """The estimator with the lowest mean MSE at `budget`."""
    rows = [r for r in table(samples, budget) if r["draws"]]
    return min(rows, key=lambda r: r["mse"])["estimator"] if rows else None


def markdown(s: Study, budgets: Iterable[int] = HEADLINE_BUDGETS) -> str:
    """The docs' table for one variant: mean ± sd over its samples at each of `budgets`."""
    lines = [
        f"**`{s.variant}`** (samples {', '.join(str(x.index) for x in s.samples)} of seed {s.seed}; "
        f"mean ± sd over samples)",
        "",
        "| budget | estimator | draws | bias² | variance | MSE | MSE / ‖truth‖² | cosine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in budgets:
        winner = best(s.samples, b)
        for r in table(s.samples, b):
            if not r["draws"]:
                lines.append(f"| {b} | {r['label']} | – | not applicable | | | | |")
                continue
            cells = " | ".join(f"{r[k]:.3g} ± {r[k + '_sd']:.2g}" for k in ("bias2", "variance", "mse", "relative_mse"))
            lines.append(f"| {b} | {r['label']} | {r['draws']} | {cells} | {r['cosine']:.3f} ± {r['cosine_sd']:.3f} |")
        lines.append(f"| {b} | lowest MSE: **{ESTIMATOR_LABELS[winner] if winner else '–'}** | | | | | | |")
    noise = [x.truth_noise2 / x.truth_norm2 for x in s.samples if x.truth_norm2 > 0]
    lines += [
        "",
        f"Truth: {s.samples[0].truth_draws} draws; its noise ‖se‖² / ‖truth‖² = "
        f"{np.mean(noise):.2g} (mean over samples).",
    ]
    return "\n".join(lines)


def training_budget(name: str) -> int:
    """Critic evaluations per latent at each generator step of a variant: its draws times each draw's cost."""
    cfg = REGISTRY[name]
    return cfg.estimator_draws * CRITIC_EVALS[cfg.estimator]


def headline(root: str | Path | None = None) -> str:
    """The README's estimator table: per estimator, the lab's cosine and MSE / ||truth||² at budgets 2 and 8 on the
    straight-through baseline's critic; for each trained estimator its critic evaluations per generator step, the
    same numbers for its own estimator on its own critic at that budget, and FD mean ± sd over seeds with the
    verdict of the stated rule (explorer.findings)."""
    from explorer import files, findings

    base_study = shipped(ESTIMATOR_BASELINE, root)
    if base_study is None:
        raise CheckpointError(f"{ESTIMATOR_BASELINE}: no {ESTIMATOR_LAB_FILE} shipped")
    rows = {b: {r["estimator"]: r for r in table(base_study.samples, b)} for b in HEADLINE_BUDGETS}
    baseline, verdicts = findings.judge_estimators(files.seed_metrics(root))
    trained = {"sigmoid-st": (ESTIMATOR_BASELINE, baseline, "baseline")}
    trained |= {v.estimator: (v.band.variant, v.band, v.verdict) for v in verdicts}
    cols = [f"{what} at {b}" for b in HEADLINE_BUDGETS for what in ("cosine", "MSE / ‖t‖²")]
    lines = [
        f"| estimator | {' | '.join(cols)} | critic evaluations per G step | own critic: cosine, MSE / ‖t‖² | "
        "FD over seeds 0–2 | verdict |",
        "|---" * (len(cols) + 5) + "|",
    ]

    def lab(r: dict[str, Any]) -> list[str]:
        return ["–", "–"] if not r["draws"] else [f"{r['cosine']:.2f}", f"{r['relative_mse']:.3g}"]

    for e in ESTIMATORS:
        cells = [c for b in HEADLINE_BUDGETS for c in lab(rows[b][e])]
        if e in trained:
            name, band, verdict = trained[e]
            budget = training_budget(name)
            own = shipped(name, root)
            own_row = next((r for r in table(own.samples, budget) if r["estimator"] == e), None) if own else None
            own_cells = ", ".join(lab(own_row)) if own_row else "–"
            fd = (
                f"{band.mean:.1f} ± {band.sd:.1f}"
                if band.complete
                else ", ".join(f"{v:.1f}" for v in band.values.values())
            )
            extra = [str(budget), own_cells, fd, verdict]
        elif e in SAME_FOR_A_BINARY_UNIT:
            extra = ["1", "–", f"{ESTIMATOR_LABELS[SAME_FOR_A_BINARY_UNIT[e]]}'s: the same estimator here", "–"]
        else:
            extra = ["lab only", "–", "not trained", "–"]
        lines.append(f"| {ESTIMATOR_LABELS[e]} | {' | '.join(cells + extra)} |")
    return "\n".join(lines)
