"""The paper's qualitative claims, each judged from the evaluation metrics by an explicit rule.

The paper gives no numbers, only statements. Each rule below names the metrics it compares, so a verdict can be
checked by hand against `checkpoints/metrics.json`, and it changes by itself when a variant is retrained.

Every claim is judged twice, under the paper's text recipe and under the recipe its reference code ran (the "-code"
twins), and once per training seed, so a verdict says how many seeds support it, not what one run happened to do.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from training.metrics import BY_KEY, Metric  # numpy only: the Overview page still starts without torch
from training.seeds import mean_sd

SUPPORTED, CONTRADICTED, MIXED, PENDING = "supported", "contradicted", "mixed", "not measured yet"
SIMILAR_FD_RATIO = 1.5  # "similar quality": FDs within this factor of each other

# Recipe -> the suffix its variants carry (training.variants.CODE_SUFFIX; this module stays free of torch).
RECIPES = {"paper": "", "code": "-code"}
RECIPE_LABELS = {"paper": "as the paper's text describes it", "code": "as the paper's reference code ran it"}

Metrics = dict[str, dict[str, Any]]  # {variant: {metric: value}}, as explorer.files.all_metrics gives them
SeedMetrics = dict[int, Metrics]  # {training seed: Metrics}, as explorer.files.seed_metrics gives them
Namer = Callable[[str], str]  # a paper-recipe variant name -> that variant in the recipe being judged
Evidence = dict[str, dict[str, float]]  # {variant: {metric: value}}: the numbers a verdict rests on


@dataclass(frozen=True)
class Claim:
    """One claim judged on one seed's models in one recipe."""

    key: str
    source: str  # where the paper makes it
    paper: str  # the claim, in the paper's terms
    rule: str  # how the metrics decide it
    verdict: str  # SUPPORTED, CONTRADICTED, MIXED or PENDING
    summary: str  # the deciding numbers, in one sentence
    evidence: Evidence = field(default_factory=dict)
    recipe: str = "paper"  # a key of RECIPES
    seed: int = 0  # the training seed of every model judged


@dataclass(frozen=True)
class RecipeVerdict:
    """One claim in one recipe, over every seed whose models are all evaluated."""

    recipe: str
    verdict: str  # SUPPORTED or CONTRADICTED when every judged seed agrees, MIXED otherwise, PENDING with none
    seeds: tuple[Claim, ...]  # the judged seeds, in seed order
    spread: dict[str, dict[str, tuple[float, float, int]]]  # {variant: {metric: (mean, sd, seeds)}} of the evidence

    @property
    def tally(self) -> str:
        """'supported in 3 of 3 seeds', 'supported in 2, contradicted in 1 of 3 seeds', 'supported (one seed)'."""
        if not self.seeds:
            return PENDING
        n = len(self.seeds)
        if n == 1:
            return f"{self.seeds[0].verdict} (one seed: {self.seeds[0].seed})"
        counts = {v: sum(c.verdict == v for c in self.seeds) for v in (SUPPORTED, CONTRADICTED, MIXED)}
        return ", ".join(f"{v} in {k}" for v, k in counts.items() if k) + f" of {n} seeds"


@dataclass(frozen=True)
class Judgement:
    """One claim under every recipe."""

    key: str
    source: str
    paper: str
    rule: str
    recipes: dict[str, RecipeVerdict]


def _value(metrics: Metrics, name: str, key: str) -> float | None:
    value = metrics.get(name, {}).get(key)
    return None if value is None or not math.isfinite(value) else float(value)


def _gather(metrics: Metrics, names: tuple[str, ...], keys: tuple[str, ...]) -> Evidence | None:
    """{variant: {metric: value}} when every variant has every metric, else None (not measured yet)."""
    out: Evidence = {}
    for n in names:
        out[n] = {}
        for k in keys:
            value = _value(metrics, n, k)
            if value is None:
                return None
            out[n][k] = value
    return out


def _combine(verdicts: list[bool]) -> str:
    return SUPPORTED if all(verdicts) else CONTRADICTED if not any(verdicts) else MIXED


def _dbn_vs_sbn(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    dbn_name, sbn_name = v("mlp-dbn-wgan-gp"), v("mlp-sbn-wgan-gp")
    ev = _gather(m, (dbn_name, sbn_name), ("mass_near_01", "notch_depth"))
    if ev is None:
        return None
    dbn, sbn = ev[dbn_name], ev[sbn_name]
    verdict = _combine([sbn["mass_near_01"] > dbn["mass_near_01"], dbn["notch_depth"] > sbn["notch_depth"]])
    return (
        verdict,
        (
            f"p near 0 or 1: SBN {sbn['mass_near_01']:.1%}, DBN {dbn['mass_near_01']:.1%}; notch depth: "
            f"DBN {dbn['notch_depth']:.3f}, SBN {sbn['notch_depth']:.3f}."
        ),
        ev,
    )


def _real_u_shape(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    real_name, sbn_name = v("mlp-real-wgan-gp"), v("mlp-sbn-wgan-gp")
    ev = _gather(m, (real_name, sbn_name), ("mass_near_01",))
    if ev is None:
        return None
    real, sbn = ev[real_name]["mass_near_01"], ev[sbn_name]["mass_near_01"]
    summary = f"p near 0 or 1: real-valued {real:.1%}, SBN {sbn:.1%}."
    annealed_name = v("mlp-real-wgan-gp-anneal")
    annealed = _gather(m, (annealed_name,), ("mass_near_01",))
    if annealed is not None:
        ev |= annealed
        summary += (
            f" With slope annealing (not in the paper) the real-valued model reaches "
            f"{annealed[annealed_name]['mass_near_01']:.1%}."
        )
    cnn_real, cnn_sbn = v("cnn-real-wgan-gp"), v("cnn-sbn-wgan-gp")
    cnn = _gather(m, (cnn_real, cnn_sbn), ("mass_near_01",))
    if cnn is not None:  # Exp IV's CNNs, reported beside Exp II's MLPs, which the verdict is about
        ev |= cnn
        summary += (
            f" The CNNs: real-valued {cnn[cnn_real]['mass_near_01']:.1%}, SBN {cnn[cnn_sbn]['mass_near_01']:.1%}."
        )
    return (SUPPORTED if real > sbn else CONTRADICTED), summary, ev


def _wgan_like_wgan_gp(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    pairs = [(v(f"mlp-{n}-wgan"), v(f"mlp-{n}-wgan-gp")) for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("fd",))
    if ev is None:
        return None
    ratios = {w: ev[w]["fd"] / ev[gp]["fd"] for w, gp in pairs}
    verdict = _combine([1 / SIMILAR_FD_RATIO <= r <= SIMILAR_FD_RATIO for r in ratios.values()])
    summary = (
        "; ".join(
            f"{w}: FD {ev[w]['fd']:.1f} against {ev[gp]['fd']:.1f} with the penalty ({ratios[w]:.1f}×)"
            for w, gp in pairs
        )
        + "."
    )
    return verdict, summary, ev


def _gan_mode_collapse(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    pairs = [(v(f"mlp-{n}-gan"), v(f"mlp-{n}-wgan-gp")) for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("classes_2pct", "class_kl"))
    if ev is None:
        return None
    verdict = _combine([ev[g]["classes_2pct"] < ev[w]["classes_2pct"] for g, w in pairs])
    summary = (
        "; ".join(
            f"{g}: {ev[g]['classes_2pct']:.0f} digits hold ≥ 2% of samples (WGAN-GP "
            f"{ev[w]['classes_2pct']:.0f}), class KL {ev[g]['class_kl']:.2f} ({ev[w]['class_kl']:.2f})"
            for g, w in pairs
        )
        + "."
    )
    return verdict, summary, ev


def _cnn_fewer_artefacts(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    """Judged on the neurons whose CNN is evaluated, so it shows as soon as one CNN is."""
    ev: Evidence = {}
    pairs = []
    for neuron in ("dbn", "sbn", "real"):
        pair = (v(f"cnn-{neuron}-wgan-gp"), v(f"mlp-{neuron}-wgan-gp"))
        got = _gather(m, pair, ("speckle_rate",))
        if got is not None:
            ev |= got
            pairs.append(pair)
    if not pairs:
        return None
    verdict = _combine([ev[c]["speckle_rate"] < ev[p]["speckle_rate"] for c, p in pairs])
    summary = (
        "; ".join(
            f"{c}: {ev[c]['speckle_rate']:.2f} isolated pixels per image, MLP {ev[p]['speckle_rate']:.2f}"
            for c, p in pairs
        )
        + "."
    )
    return verdict, summary, ev


def _no_batchnorm_in_critic(m: Metrics, v: Namer) -> tuple[str, str, Evidence] | None:
    pairs = [(v(f"mlp-{n}-{o}"), v(f"mlp-{n}-{o}-bnd")) for o in ("wgan-gp", "wgan") for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("fd",))
    if ev is None:
        return None
    verdict = _combine([ev[plain]["fd"] < ev[bnd]["fd"] for plain, bnd in pairs])
    summary = (
        "; ".join(f"{plain}: FD {ev[plain]['fd']:.1f}, with BatchNorm in D {ev[bnd]['fd']:.1f}" for plain, bnd in pairs)
        + "."
    )
    return verdict, summary, ev


_CLAIMS: list[tuple[str, str, str, str, Callable[[Metrics, Namer], tuple[str, str, Evidence] | None]]] = [
    (
        "dbn-vs-sbn",
        "Exp I (Fig. 4)",
        "DBN's preactivated outputs have more values in the middle and a notch at 0.5; SBN's sit nearer 0 and 1.",
        "SBN has more p near 0 or 1 than DBN, and DBN the deeper notch at 0.5.",
        _dbn_vs_sbn,
    ),
    (
        "real-u-shape",
        "Exp II (Fig. 5)",
        "The real-valued model's outputs are even more U-shaped than SBN's.",
        "The real-valued model has more p near 0 or 1 than SBN.",
        _real_u_shape,
    ),
    (
        "wgan-quality",
        "Exp III (Fig. 6)",
        "WGAN (weight clipping) gives samples of similar quality to WGAN-GP.",
        f"WGAN's FD is within {SIMILAR_FD_RATIO}× of WGAN-GP's, for DBN and for SBN.",
        _wgan_like_wgan_gp,
    ),
    (
        "gan-mode-collapse",
        "Exp III (Fig. 6)",
        "The non-saturating GAN suffers from mode collapse.",
        "The GAN fills fewer digit classes to 2% of its samples than WGAN-GP, for DBN and for SBN.",
        _gan_mode_collapse,
    ),
    (
        "cnn-artefacts",
        "Exp IV (Fig. 7)",
        "The CNN model gives fewer artefacts than the MLP model.",
        "Each trained CNN has fewer isolated on-pixels per image (speckle) than the MLP with the same neuron.",
        _cnn_fewer_artefacts,
    ),
    (
        "no-bn-in-critic",
        "Exp setup (Fig. 8)",
        "For WGAN-GP and WGAN, the critic works better without BatchNorm.",
        "Without BatchNorm in D the FD is lower, for WGAN-GP and WGAN, DBN and SBN.",
        _no_batchnorm_in_critic,
    ),
]


def judge_seed(metrics: Metrics, recipe: str = "paper", seed: int = 0) -> list[Claim]:
    """Every claim on one seed's models in one recipe; a claim whose variants are not all evaluated is PENDING."""
    suffix = RECIPES[recipe]

    def namer(name: str) -> str:
        return name + suffix

    claims = []
    for key, source, paper, rule, decide in _CLAIMS:
        outcome = decide(metrics, namer)
        if outcome is None:
            claims.append(
                Claim(
                    key,
                    source,
                    paper,
                    rule,
                    PENDING,
                    "Its variants are not all trained and evaluated.",
                    recipe=recipe,
                    seed=seed,
                )
            )
        else:
            verdict, summary, evidence = outcome
            claims.append(Claim(key, source, paper, rule, verdict, summary, evidence, recipe, seed))
    return claims


def _spread(seeds: list[Claim]) -> dict[str, dict[str, tuple[float, float, int]]]:
    """Mean, sample standard deviation (seeds.mean_sd: NaN for one seed) and seed count of each evidence number."""
    values: dict[str, dict[str, list[float]]] = {}
    for claim in seeds:
        for variant, row in claim.evidence.items():
            for metric, value in row.items():
                values.setdefault(variant, {}).setdefault(metric, []).append(value)
    return {variant: {metric: (*mean_sd(xs), len(xs)) for metric, xs in row.items()} for variant, row in values.items()}


def _overall(seeds: list[Claim]) -> str:
    verdicts = {c.verdict for c in seeds}
    return PENDING if not verdicts else verdicts.pop() if len(verdicts) == 1 else MIXED


def judge(by_seed: SeedMetrics) -> list[Judgement]:
    """Every claim under every recipe, judged on each seed whose models are all evaluated."""
    per_seed = {
        (recipe, seed): judge_seed(metrics, recipe, seed)
        for recipe in RECIPES
        for seed, metrics in sorted(by_seed.items())
    }
    judgements = []
    for i, (key, source, paper, rule, _) in enumerate(_CLAIMS):
        recipes = {}
        for recipe in RECIPES:
            seeds = [
                per_seed[recipe, seed][i] for seed in sorted(by_seed) if per_seed[recipe, seed][i].verdict != PENDING
            ]
            recipes[recipe] = RecipeVerdict(recipe, _overall(seeds), tuple(seeds), _spread(seeds))
        judgements.append(Judgement(key, source, paper, rule, recipes))
    return judgements


def _number(metric: str, mean: float, sd: float, n: int) -> str:
    """'FD 53.3 ± 1.6' over several seeds, 'FD 51.5' for one (the sd as Metric.sd_format prints it)."""
    spec = BY_KEY.get(metric)
    text = spec.mean_format(mean) if spec else f"{mean:.3g}"
    return f"{spec.label if spec else metric} {text}" + (f" ± {Metric.sd_format(sd)}" if n > 1 else "")


def _cell(verdict: RecipeVerdict) -> str:
    """One recipe's verdict as a Markdown table cell: the tally, then each evidence number as mean ± sd over seeds."""
    if not verdict.seeds:
        return "not trained yet"
    return "<br>".join(
        [f"**{verdict.tally}**"]
        + [
            f"`{variant}`: " + ", ".join(_number(m, *stats) for m, stats in row.items())
            for variant, row in verdict.spread.items()
        ]
    )


def markdown(judgements: list[Judgement]) -> str:
    """The verdicts with their numbers (docs/results.md): one row per claim, one column per recipe."""
    rows = ["| claim | " + " | ".join(f"{RECIPE_LABELS[r]}" for r in RECIPES) + " |", "|---|" + "---|" * len(RECIPES)]
    for i, j in enumerate(judgements, 1):
        rows.append(f"| {i}. {j.paper} *({j.source})* | " + " | ".join(_cell(j.recipes[r]) for r in RECIPES) + " |")
    return "\n".join(rows)


def headline(judgements: list[Judgement]) -> str:
    """The verdicts alone, one line per claim, as the README's headline (`markdown` has the numbers behind them)."""
    rows = ["| claim | " + " | ".join(RECIPE_LABELS[r] for r in RECIPES) + " |", "|---|" + "---|" * len(RECIPES)]
    for i, j in enumerate(judgements, 1):
        rows.append(
            f"| {i}. {j.paper} *({j.source})* | "
            + " | ".join(j.recipes[r].tally if j.recipes[r].seeds else "not trained yet" for r in RECIPES)
            + " |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    from explorer.files import seed_metrics  # pandas: only the command line needs it

    parser = argparse.ArgumentParser(description="Print the paper's claims as judged from the shipped metrics.")
    parser.add_argument(
        "--root", default=None, help="checkpoints folder (default: BINARYGAN_CHECKPOINTS or checkpoints)"
    )
    parser.add_argument("--headline", action="store_true", help="the verdicts only, one line per claim (the README's)")
    args = parser.parse_args(argv)
    judgements = judge(seed_metrics(args.root))
    print(headline(judgements) if args.headline else markdown(judgements))


if __name__ == "__main__":
    main()
