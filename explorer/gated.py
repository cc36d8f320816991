"""Conditional computation for the dashboard and notebooks: which expert each latent runs through, each expert's own
samples, the gates along a latent path, the shipped gate metrics of every gated variant and seed judged by the
rules of docs/conditional.md, and the controls that ask whether the binary gate matters. Arrays and tables out; no
Streamlit here.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from explorer import files
from explorer.claims import SeedMetrics
from explorer.findings import BETTER, NO_DIFFERENT, PENDING, SEEDS, Band, band, decide
from explorer.tables import parameter_counts
from training.checkpoint import METRICS_FILE
from training.seeds import mean_sd
from training.variants import GATED_CONTROLS, GATED_CONTROLS_OF, GATED_SUFFIX, REGISTRY

if TYPE_CHECKING:  # sampling needs torch; the tables below do not
    from training.pretrained import BinaryGAN

QUESTION = "Do binary gate neurons that run one of four experts generate as well as the dense generator?"
COLLAPSE_BITS = 1.0  # rule 2: a seed whose usage entropy is below this (of log2 K) has collapsed
SPECIALISED_NMI = 0.1  # rule 3: experts specialise by digit if NMI exceeds this in every seed


def gated_variants() -> list[str]:
    """The registry's variants routed by binary gates, in registry order (the controls route otherwise)."""
    return [name for name, cfg in REGISTRY.items() if cfg.experts and cfg.routing == "gates"]


def dense_twin(name: str) -> str:
    """The dense generator a gated variant is compared with."""
    return name.removesuffix(GATED_SUFFIX)


# ---------------------------------------------------------------------------------------------------
# Live: what the gates choose for given latents (arrays in, arrays out).
# ---------------------------------------------------------------------------------------------------


def _experts(g: BinaryGAN) -> int:
    if not g.experts:
        raise ValueError(f"{g.name} is a dense generator: it has no gates")
    return g.experts


def routes(g: BinaryGAN, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(binary samples (n, 28, 28), active expert (n,) int) for the latents of `seed`."""
    _experts(g)
    s = g.sample(n, seed)
    assert s.gates is not None  # a gated generator's samples carry their gates
    return s.binary, s.gates.argmax(axis=1)


def expert_samples(g: BinaryGAN, expert: int, n: int, seed: int) -> np.ndarray:
    """(n, 28, 28) samples with every latent of `seed` forced through `expert`: what that expert draws on its own,
    including latents its gates would send elsewhere."""
    _experts(g)
    return g.sample(n, seed, expert=expert).binary


def path_gates(g: BinaryGAN, latents: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames (T, 28, 28), active expert per frame (T,)) along a latent path (T, 128)."""
    _experts(g)
    s = g.decode(latents, seed=seed)
    assert s.gates is not None
    return s.binary, s.gates.argmax(axis=1)


# ---------------------------------------------------------------------------------------------------
# Shipped: the gate metrics of every seed, read defensively.
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateMetrics:
    """One seed's gate numbers, as training.gated.gating_metrics wrote them into metrics.json."""

    share: np.ndarray  # (K,) share of the evaluation samples per expert
    entropy_bits: float  # of the share; log2 K is an even load
    load_cv: float  # sd / mean of the share
    idle: int  # experts no sample chose
    nmi: float  # NMI between expert and the classifier's digit
    counts: np.ndarray  # (K, 10) samples per expert and digit
    flip_rate: float  # share of interpolation steps whose expert changes
    fd: float  # the seed's Fréchet distance, for the tables

    @property
    def collapsed(self) -> bool:
        return self.entropy_bits < COLLAPSE_BITS or self.idle > 0


def _finite(raw: dict[str, Any], key: str, where: str) -> float:
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise files.DataFileError(f"{where}: {key} must be a finite number, got {v!r}")
    return float(v)


def parse_gate_metrics(raw: Any, experts: int, where: str) -> GateMetrics:
    """Validate one metrics object's gate fields; DataFileError names the file and the field."""
    if not isinstance(raw, dict):
        raise files.DataFileError(f"{where}: expected a JSON object of metrics")
    try:
        share = np.asarray(raw.get("expert_share"), dtype=np.float64)
        counts = np.asarray(raw.get("expert_class_counts"), dtype=np.float64)
    except (TypeError, ValueError):
        raise files.DataFileError(f"{where}: expert_share or expert_class_counts is not an array of numbers") from None
    if share.shape != (experts,) or not np.all((share >= 0) & (share <= 1)):
        raise files.DataFileError(f"{where}: expert_share must hold {experts} shares in [0, 1]")
    if counts.shape != (experts, files.N_CLASSES) or not np.all(counts >= 0):
        raise files.DataFileError(f"{where}: expert_class_counts must be {experts} x {files.N_CLASSES} counts")
    idle = _finite(raw, "idle_experts", where)
    return GateMetrics(
        share=share,
        entropy_bits=_finite(raw, "expert_entropy_bits", where),
        load_cv=_finite(raw, "expert_load_cv", where),
        idle=int(idle),
        nmi=_finite(raw, "expert_class_nmi", where),
        counts=counts,
        flip_rate=_finite(raw, "gate_flip_rate", where),
        fd=_finite(raw, "fd", where),
    )


def gate_metrics(name: str, root: str | os.PathLike | None = None) -> dict[int, GateMetrics]:
    """{training seed: GateMetrics} of one gated variant: seed 0 from its own metrics.json, the others from the
    checkpoints table's seeds section. Seeds not evaluated yet are absent."""
    root = files.resolve_root(root)
    experts = REGISTRY[name].experts
    out: dict[int, GateMetrics] = {}
    own = files.read_json(root / name / METRICS_FILE)
    if own is not None:
        out[0] = parse_gate_metrics(own, experts, str(root / name / METRICS_FILE))
    table = files.read_json(root / METRICS_FILE)
    seeds = table.get("seeds", {}).get(name, {}) if isinstance(table, dict) else {}
    if not isinstance(seeds, dict):
        raise files.DataFileError(f"{root / METRICS_FILE}: seeds of {name} must be an object")
    for seed, raw in seeds.items():
        if isinstance(seed, str) and seed.isdigit() and len(seed) <= 18 and int(seed) != 0:
            out[int(seed)] = parse_gate_metrics(raw, experts, f"{root / METRICS_FILE} {name} seed {seed}")
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class GatedVerdict:
    variant: str
    dense: str
    quality: str  # rule 1 on FD: better / worse / no different / no verdict yet
    collapsed_seeds: list[int]  # rule 2
    specialised: bool | None  # rule 3; None with fewer than three seeds


def judge(root: str | os.PathLike | None = None) -> list[GatedVerdict]:
    """Each gated variant judged against its dense twin by the rules stated before training."""
    by_seed = files.seed_metrics(root)
    verdicts = []
    for name in gated_variants():
        gm = {s: m for s, m in gate_metrics(name, root).items() if s in SEEDS}
        complete = set(gm) == set(SEEDS)
        verdicts.append(
            GatedVerdict(
                variant=name,
                dense=dense_twin(name),
                quality=decide(band(by_seed, name), band(by_seed, dense_twin(name))),
                collapsed_seeds=[s for s, m in gm.items() if m.collapsed],
                specialised=all(m.nmi > SPECIALISED_NMI for m in gm.values()) if complete else None,
            )
        )
    return verdicts


def summary(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per gated variant and per dense twin, over the evaluated seeds of SEEDS: FD, usage entropy, load CV,
    NMI with the digit class and gate flip rate as mean and sd (the dense rows have FD only)."""
    by_seed = files.seed_metrics(root)
    rows = []
    for name in gated_variants():
        for variant in (dense_twin(name), name):
            fd = band(by_seed, variant)
            row: dict[str, Any] = {
                "variant": variant,
                "gates": REGISTRY[variant].neuron.upper() if REGISTRY[variant].experts else "none (dense)",
                "seeds": len(fd.values),
                "FD mean": fd.mean,
                "FD sd": fd.sd,
            }
            gm = [m for s, m in gate_metrics(variant, root).items() if s in SEEDS] if REGISTRY[variant].experts else []
            for label, values in (
                ("entropy (bits)", [m.entropy_bits for m in gm]),
                ("load CV", [m.load_cv for m in gm]),
                ("NMI", [m.nmi for m in gm]),
                ("flip rate", [m.flip_rate for m in gm]),
            ):
                mean, sd = mean_sd(values)
                row |= {f"{label} mean": mean, f"{label} sd": sd}
            row["collapsed seeds"] = sum(m.collapsed for m in gm) if gm else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def class_shares(counts: np.ndarray) -> np.ndarray:
    """(K, 10) each expert's samples as shares of its digits (rows sum to 1; an idle expert's row is 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def _pm(values: list[float], digits: int) -> str:
    if not values:
        return "–"
    if len(values) < len(SEEDS):
        return ", ".join(f"{v:.{digits}f}" for v in values) + f" ({len(values)} of {len(SEEDS)} seeds)"
    mean, sd = mean_sd(values)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def headline(root: str | os.PathLike | None = None) -> str:
    """The README's table: each gated variant under its dense twin, over seeds 0-2 (mean ± sd), with the verdicts of
    the stated rules."""
    by_seed = files.seed_metrics(root)
    verdicts = {v.variant: v for v in judge(root)}
    lines = [
        "| generator | FD | usage entropy (bits, of 2) | load CV | NMI with the digit | gate flip rate | collapsed "
        "seeds | FD against the dense twin |",
        "|---" * 8 + "|",
    ]
    for name in gated_variants():
        dense = band(by_seed, dense_twin(name))
        lines.append(f"| `{dense.variant}` (dense) | {_pm(list(dense.values.values()), 1)} | | | | | | |")
        gm = [m for s, m in gate_metrics(name, root).items() if s in SEEDS]
        v = verdicts[name]
        cells = [
            _pm([m.fd for m in gm], 1),
            _pm([m.entropy_bits for m in gm], 2),
            _pm([m.load_cv for m in gm], 2),
            _pm([m.nmi for m in gm], 3),
            _pm([m.flip_rate for m in gm], 3),
            (", ".join(map(str, v.collapsed_seeds)) or "none") if gm else "–",
            v.quality,
        ]
        lines.append(f"| `{name}` ({REGISTRY[name].neuron.upper()} gates) | {' | '.join(cells)} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Does the binary gate matter, or only the mixture? The controls of the DBN-gated variant, judged by the rule of
# docs/conditional.md stated before they trained.
# ---------------------------------------------------------------------------------------------------

CONTROLS_QUESTION = "Does the binary gate matter, or only the mixture of experts?"
RANDOM, SOFT, QUARTER = GATED_CONTROLS
GATED, DENSE = GATED_CONTROLS_OF, dense_twin(GATED_CONTROLS_OF)
MIXTURE, ROUTING, BINARY_ROUTING, UNATTRIBUTED = "mixture", "routing", "binary routing", "unattributed"
NEEDS_PARAMETERS, ACTIVE_COMPUTE = "needs the parameters", "needs only the active compute"
CONTROL_ROWS = {  # variant -> how it routes, in the table's order
    DENSE: "none (dense, 1024 hidden)",
    GATED: "2 DBN gate neurons pick 1 of 4 experts",
    RANDOM: "1 of the 4 experts at random, independent of z",
    SOFT: "softmax mixture of the 4 experts",
    QUARTER: "none (dense, 256 hidden: one expert's width)",
}
# Multiply-adds of one sample when sampling, from the layer shapes (tests/training/test_gated.py counts them on the
# networks): an expert is 128 x 256 + 256 x 784, the dense body 128 x 1024 + 1024 x 784.
SAMPLING_MACS = {DENSE: 933_888, GATED: 233_728, RANDOM: 233_472, SOFT: 934_400, QUARTER: 233_472}
CONTROLS_RULE = (
    "Over training seeds 0, 1 and 2, A is better than B if A's mean FD + sd is below B's mean − sd, worse if A's mean "
    "− sd is above B's mean + sd, no different otherwise. The gated variant's gain over the dense one is due to the "
    "mixture if gated, soft and random are no different and soft and random both beat dense; to routing (learned, "
    "not necessarily binary) if gated and soft are no different and both beat random; to binary routing if gated "
    "beats both soft and random; unattributed otherwise. If the quarter-width dense generator is worse than gated, "
    "the gain needs the experts' parameters; otherwise it needs only the active compute."
)


@dataclass(frozen=True)
class ControlVerdicts:
    bands: dict[str, Band]  # FD of the dense baseline, the gated variant and each control
    against_dense: dict[str, str]  # {variant: its FD against the dense baseline's}
    gated_against: dict[str, str]  # {control: the gated variant's FD against the control's}
    attribution: str  # MIXTURE, ROUTING, BINARY_ROUTING, UNATTRIBUTED or PENDING
    parameters: str  # NEEDS_PARAMETERS, ACTIVE_COMPUTE or PENDING


def attribute(gated_vs: dict[str, str], random_vs_dense: str, soft_vs_dense: str, soft_vs_random: str) -> str:
    """Where the gated variant's gain comes from, by the rule of docs/conditional.md; `gated_vs` holds gated's verdict
    against RANDOM and SOFT."""
    verdicts = [gated_vs[RANDOM], gated_vs[SOFT], random_vs_dense, soft_vs_dense, soft_vs_random]
    if PENDING in verdicts:
        return PENDING
    if (
        gated_vs[SOFT] == NO_DIFFERENT
        and gated_vs[RANDOM] == NO_DIFFERENT
        and random_vs_dense == soft_vs_dense == BETTER
    ):
        return MIXTURE
    if gated_vs[SOFT] == NO_DIFFERENT and gated_vs[RANDOM] == BETTER and soft_vs_random == BETTER:
        return ROUTING
    if gated_vs[SOFT] == BETTER and gated_vs[RANDOM] == BETTER:
        return BINARY_ROUTING
    return UNATTRIBUTED


def judge_controls(root: str | os.PathLike | None = None) -> ControlVerdicts:
    by_seed = files.seed_metrics(root)
    bands = {name: band(by_seed, name) for name in CONTROL_ROWS}
    gated_vs = {c: decide(bands[GATED], bands[c]) for c in GATED_CONTROLS}
    against_dense = {name: decide(bands[name], bands[DENSE]) for name in CONTROL_ROWS if name != DENSE}
    quarter = gated_vs[QUARTER]
    return ControlVerdicts(
        bands=bands,
        against_dense=against_dense,
        gated_against=gated_vs,
        attribution=attribute(gated_vs, against_dense[RANDOM], against_dense[SOFT], decide(bands[SOFT], bands[RANDOM])),
        parameters=PENDING if quarter == PENDING else NEEDS_PARAMETERS if quarter == BETTER else ACTIVE_COMPUTE,
    )


def _metric_values(by_seed: SeedMetrics, name: str, key: str) -> list[float]:
    values = [by_seed.get(s, {}).get(name, {}).get(key) for s in SEEDS]
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def controls_table(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per variant of the question: how it routes, its size and sampling cost, FD, precision and recall over
    the evaluated seeds of SEEDS, and the verdicts against the dense baseline and of the gated variant against it."""
    by_seed = files.seed_metrics(root)
    v = judge_controls(root)
    rows = []
    for name, routing in CONTROL_ROWS.items():
        cfg = REGISTRY[name]
        row: dict[str, Any] = {
            "variant": name,
            "routing": routing,
            "G params": parameter_counts(cfg.arch, cfg.d_batchnorm, cfg.experts, cfg.routing, cfg.hidden)[0],
            "MACs / sample": SAMPLING_MACS[name],
            "seeds": len(v.bands[name].values),
        }
        for seed in SEEDS:
            row[f"FD seed {seed}"] = v.bands[name].values.get(seed, math.nan)
        row |= {"FD mean": v.bands[name].mean, "FD sd": v.bands[name].sd}
        for key in ("precision", "recall"):
            values = _metric_values(by_seed, name, key)
            row[f"{key} mean"], row[f"{key} sd"] = mean_sd(values)
        row["FD against dense"] = v.against_dense.get(name, "")
        row["gated against it"] = v.gated_against.get(name, "")
        rows.append(row)
    return pd.DataFrame(rows)


def controls_headline(root: str | os.PathLike | None = None) -> str:
    """docs/conditional.md's table of the controls (mean ± sd over seeds 0-2) and the two verdicts."""
    by_seed = files.seed_metrics(root)
    v = judge_controls(root)
    lines = [
        "| generator | routing | G parameters | multiply-adds / sample | FD | precision | recall | FD against dense "
        "| gated against it |",
        "|---" * 9 + "|",
    ]
    for name, routing in CONTROL_ROWS.items():
        cfg = REGISTRY[name]
        cells = [
            f"`{name}`",
            routing,
            f"{parameter_counts(cfg.arch, cfg.d_batchnorm, cfg.experts, cfg.routing, cfg.hidden)[0]:,}",
            f"{SAMPLING_MACS[name]:,}",
            _pm(list(v.bands[name].values.values()), 1),
            _pm(_metric_values(by_seed, name, "precision"), 3),
            _pm(_metric_values(by_seed, name, "recall"), 3),
            v.against_dense.get(name, ""),
            v.gated_against.get(name, ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Attribution of the gain: **{v.attribution}**. Parameters: the gain **{v.parameters}**."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m explorer.gated", description=__doc__.splitlines()[0])
    parser.add_argument("--headline", action="store_true", help="print the README's table of the gated variants")
    parser.add_argument("--controls", action="store_true", help="print docs/conditional.md's table of the controls")
    args = parser.parse_args(argv)
    if not (args.headline or args.controls):
        parser.error("nothing to do; pass --headline or --controls")
    try:
        print(headline() if args.headline else controls_headline())
    except files.DataFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
