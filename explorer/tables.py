"""The Overview's and the other pages' tables, built from the checkpoints folder's files (explorer.files) and the
registry. Nothing here loads generator weights: the variant table must stay fast with every variant.
"""

from __future__ import annotations

import functools
import math
import os

import pandas as pd

from explorer.files import BROKEN, DataFileError, all_metrics, resolve_root, seed_metrics, variant_status
from explorer.findings import SEEDS, Band, EstimatorVerdict
from training.config import VariantConfig
from training.metrics import BY_KEY, METRICS
from training.seeds import spread
from training.variants import REGISTRY, get_variant

# (G, D) parameter counts by (architecture, BatchNorm in D, experts, routing, G's hidden width), as training.networks
# builds them; the catalogue reads them here so that the first page needs no torch (tests/explorer/test_tables.py
# checks them against the networks).
PARAMETER_COUNTS = {
    ("mlp", False, 0, "gates", 1024): (939_312, 533_505),
    ("mlp", True, 0, "gates", 1024): (939_312, 535_041),
    ("cnn", False, 0, "gates", 1024): (216_227, 313_985),
    ("cnn", True, 0, "gates", 1024): (216_227, 314_433),
    ("mlp", False, 4, "gates", 1024): (946_630, 533_505),
    ("mlp", False, 4, "random", 1024): (946_368, 533_505),
    ("mlp", False, 4, "soft", 1024): (946_884, 533_505),
    ("mlp", False, 0, "gates", 256): (236_592, 533_505),
}


@functools.lru_cache(maxsize=8)
def parameter_counts(
    arch: str, d_batchnorm: bool, experts: int = 0, routing: str = "gates", hidden: int = 1024
) -> tuple[int, int]:
    """(G, D) parameter counts; they depend only on the architecture, on BatchNorm in D and on G's experts, routing
    and hidden width."""
    if (arch, d_batchnorm, experts, routing, hidden) in PARAMETER_COUNTS:
        return PARAMETER_COUNTS[(arch, d_batchnorm, experts, routing, hidden)]
    from training.networks import Generator, build_discriminator, count_parameters

    base = get_variant("mlp-dbn-wgan-gp-code")  # affine BatchNorm, which every gated generator needs
    cfg = base.replace(arch=arch, d_batchnorm=d_batchnorm, experts=experts, routing=routing, hidden=hidden)
    return count_parameters(Generator(cfg)), count_parameters(build_discriminator(cfg))


def annealing_label(cfg: VariantConfig) -> str:
    if not cfg.annealed:
        return f"fixed {cfg.initial_slope:g}"
    return f"×{cfg.slope_annealing_rate:g}/epoch"


def variant_table(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per registered variant: its design, its training status and its headline metrics."""
    root = resolve_root(root)
    try:
        _, metrics = all_metrics(root)
        metrics_error = ""
    except DataFileError as e:
        metrics, metrics_error = {}, str(e)
    rows = []
    for cfg in REGISTRY.values():
        status = variant_status(cfg.name, root)
        g_params, d_params = parameter_counts(cfg.arch, cfg.d_batchnorm, cfg.experts, cfg.routing, cfg.hidden)
        m = metrics.get(cfg.name, {})
        rows.append(
            {
                "variant": cfg.name,
                "experiment": cfg.experiment,
                "architecture": cfg.arch.upper(),
                "neuron": cfg.neuron.upper() if cfg.neuron != "real" else "real",
                "estimator": cfg.estimator,
                "objective": cfg.objective.upper(),
                "BN in D": cfg.d_batchnorm,
                "annealing": annealing_label(cfg),
                "G params": g_params,
                "D params": d_params,
                "status": status.state if status.state != BROKEN else f"error: {status.message}",
                "epochs trained": status.epoch,
                **{x.label: m.get(x.key, math.nan) for x in METRICS if x.headline},
                "description": cfg.description,
            }
        )
    df = pd.DataFrame(rows)
    df["epochs trained"] = df["epochs trained"].astype("Int64")  # missing for untrained variants
    df.attrs["metrics_error"] = metrics_error  # a broken summary file must not hide the catalogue
    return df


def leaderboard(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """Evaluated variants, best Fréchet distance first, under a "real data" row, the floor each metric can reach;
    empty when nothing is evaluated."""
    real, variants = all_metrics(root)
    rows = [{"variant": "real data (floor)", **{x.label: real[x.key] for x in METRICS}}] if real else []
    ranked = sorted(variants.items(), key=lambda item: (not math.isfinite(item[1]["fd"]), item[1]["fd"], item[0]))
    rows += [{"variant": name, **{x.label: m[x.key] for x in METRICS}} for name, m in ranked]
    return pd.DataFrame(rows, columns=["variant", *(x.label for x in METRICS)])


def spread_table(spread: dict[str, dict[str, tuple[float, float, int]]]) -> pd.DataFrame:
    """A claim's evidence over seeds, {variant: {metric: (mean, sd, seeds)}}, as one row per variant and metric."""
    rows = [
        {
            "variant": variant,
            "metric": BY_KEY[metric].label if metric in BY_KEY else metric,
            "mean": mean,
            "sd": sd,
            "seeds": n,
        }
        for variant, row in spread.items()
        for metric, (mean, sd, n) in row.items()
    ]
    return pd.DataFrame(rows, columns=["variant", "metric", "mean", "sd", "seeds"])


def seed_band(table: pd.DataFrame, name: str, key: str) -> tuple[float, float, int] | None:
    """(mean, sd, seeds) of one variant's metric in a seed_spread table; None where it has one seed only."""
    if not len(table):
        return None
    row = table[(table["variant"] == name) & (table["metric"] == BY_KEY[key].label)]
    return None if row.empty else (float(row["mean"].iloc[0]), float(row["sd"].iloc[0]), int(row["seeds"].iloc[0]))


def seed_spread(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per variant trained with more than one seed and per metric: mean, sample sd, seed count and each
    seed's value (columns "seed N"); empty when no variant has extra seeds."""
    by_seed = seed_metrics(root)
    names = [n for n in REGISTRY if sum(n in m for m in by_seed.values()) > 1]
    rows = []
    for name in names:
        stats = spread({seed: m[name] for seed, m in by_seed.items() if name in m}, tuple(x.key for x in METRICS))
        for metric in METRICS:
            if metric.key in stats:
                st = stats[metric.key]
                rows.append(
                    {
                        "variant": name,
                        "metric": metric.label,
                        "mean": st["mean"],
                        "sd": st["sd"],
                        "seeds": st["n"],
                        **{f"seed {seed}": v for seed, v in st["values"].items()},
                    }
                )
    return pd.DataFrame(rows)


def estimator_table(baseline: Band, verdicts: list[EstimatorVerdict]) -> pd.DataFrame:
    """The estimator finding as one row per variant, the straight-through baseline first: FD per seed, mean ± sd."""
    rows = [("sigmoid-adjusted ST (baseline)", baseline, "")]
    rows += [(v.estimator, v.band, v.verdict) for v in verdicts]
    return pd.DataFrame(
        [
            {
                "estimator": label,
                "variant": b.variant,
                **{f"FD seed {seed}": b.values.get(seed, math.nan) for seed in SEEDS},
                "FD mean": b.mean,
                "FD sd": b.sd,
                "verdict": verdict,
            }
            for label, b, verdict in rows
        ]
    )
