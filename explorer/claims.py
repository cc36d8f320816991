"""The paper's qualitative claims, each judged from the evaluation metrics by an explicit rule.

The paper gives no numbers, only statements. Each rule below names the metrics it compares, so a verdict can be
checked by hand against `checkpoints/metrics.json`, and it changes by itself when a variant is retrained.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUPPORTED, CONTRADICTED, MIXED, PENDING = "supported", "contradicted", "mixed", "not measured yet"
SIMILAR_FD_RATIO = 1.5  # "similar quality": FDs within this factor of each other

Metrics = dict[str, dict[str, Any]]  # {variant: {metric: value}}, as explorer.catalog.all_metrics gives them


@dataclass(frozen=True)
class Claim:
    key: str
    source: str  # where the paper makes it
    paper: str  # the claim, in the paper's terms
    rule: str  # how the metrics decide it
    verdict: str  # SUPPORTED, CONTRADICTED, MIXED or PENDING
    summary: str  # the deciding numbers, in one sentence
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)  # {variant: {metric: value}}


def _value(metrics: Metrics, name: str, key: str) -> float | None:
    value = metrics.get(name, {}).get(key)
    return None if value is None or not math.isfinite(value) else float(value)


def _gather(metrics: Metrics, names: tuple[str, ...], keys: tuple[str, ...]) -> dict[str, dict[str, float]] | None:
    """{variant: {metric: value}} when every variant has every metric, else None (not measured yet)."""
    out = {n: {k: _value(metrics, n, k) for k in keys} for n in names}
    return None if any(v is None for row in out.values() for v in row.values()) else out  # type: ignore[misc]


def _combine(verdicts: list[bool]) -> str:
    return SUPPORTED if all(verdicts) else CONTRADICTED if not any(verdicts) else MIXED


def _dbn_vs_sbn(m: Metrics) -> tuple[str, str, dict] | None:
    ev = _gather(m, ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"), ("mass_near_01", "notch_depth"))
    if ev is None:
        return None
    dbn, sbn = ev["mlp-dbn-wgan-gp"], ev["mlp-sbn-wgan-gp"]
    verdict = _combine([sbn["mass_near_01"] > dbn["mass_near_01"], dbn["notch_depth"] > sbn["notch_depth"]])
    return verdict, (f"p near 0 or 1: SBN {sbn['mass_near_01']:.1%}, DBN {dbn['mass_near_01']:.1%}; notch depth: "
                     f"DBN {dbn['notch_depth']:.3f}, SBN {sbn['notch_depth']:.3f}."), ev


def _real_u_shape(m: Metrics) -> tuple[str, str, dict] | None:
    ev = _gather(m, ("mlp-real-wgan-gp", "mlp-sbn-wgan-gp"), ("mass_near_01",))
    if ev is None:
        return None
    real, sbn = ev["mlp-real-wgan-gp"]["mass_near_01"], ev["mlp-sbn-wgan-gp"]["mass_near_01"]
    summary = f"p near 0 or 1: real-valued {real:.1%}, SBN {sbn:.1%}."
    annealed = _gather(m, ("mlp-real-wgan-gp-anneal",), ("mass_near_01",))
    if annealed is not None:
        ev |= annealed
        summary += f" With slope annealing (not in the paper) the real-valued model reaches " \
                   f"{annealed['mlp-real-wgan-gp-anneal']['mass_near_01']:.1%}."
    cnn = _gather(m, ("cnn-real-wgan-gp", "cnn-sbn-wgan-gp"), ("mass_near_01",))
    if cnn is not None:  # Exp IV's CNNs, reported beside Exp II's MLPs, which the verdict is about
        ev |= cnn
        summary += f" The CNNs: real-valued {cnn['cnn-real-wgan-gp']['mass_near_01']:.1%}, " \
                   f"SBN {cnn['cnn-sbn-wgan-gp']['mass_near_01']:.1%}."
    return (SUPPORTED if real > sbn else CONTRADICTED), summary, ev


def _wgan_like_wgan_gp(m: Metrics) -> tuple[str, str, dict] | None:
    pairs = [(f"mlp-{n}-wgan", f"mlp-{n}-wgan-gp") for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("fd",))
    if ev is None:
        return None
    ratios = {w: ev[w]["fd"] / ev[gp]["fd"] for w, gp in pairs}
    verdict = _combine([1 / SIMILAR_FD_RATIO <= r <= SIMILAR_FD_RATIO for r in ratios.values()])
    summary = "; ".join(f"{w}: FD {ev[w]['fd']:.1f} against {ev[gp]['fd']:.1f} with the penalty ({ratios[w]:.1f}×)"
                        for w, gp in pairs) + "."
    return verdict, summary, ev


def _gan_mode_collapse(m: Metrics) -> tuple[str, str, dict] | None:
    pairs = [(f"mlp-{n}-gan", f"mlp-{n}-wgan-gp") for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("classes_2pct", "class_kl"))
    if ev is None:
        return None
    verdict = _combine([ev[g]["classes_2pct"] < ev[w]["classes_2pct"] for g, w in pairs])
    summary = "; ".join(f"{g}: {ev[g]['classes_2pct']:.0f} digits hold ≥ 2% of samples (WGAN-GP "
                        f"{ev[w]['classes_2pct']:.0f}), class KL {ev[g]['class_kl']:.2f} ({ev[w]['class_kl']:.2f})"
                        for g, w in pairs) + "."
    return verdict, summary, ev


def _cnn_fewer_artefacts(m: Metrics) -> tuple[str, str, dict] | None:
    """Judged on the neurons whose CNN is evaluated, so it shows as soon as one CNN is."""
    ev: dict[str, dict[str, float]] = {}
    pairs = []
    for neuron in ("dbn", "sbn", "real"):
        pair = (f"cnn-{neuron}-wgan-gp", f"mlp-{neuron}-wgan-gp")
        got = _gather(m, pair, ("speckle_rate",))
        if got is not None:
            ev |= got
            pairs.append(pair)
    if not pairs:
        return None
    verdict = _combine([ev[c]["speckle_rate"] < ev[p]["speckle_rate"] for c, p in pairs])
    summary = "; ".join(f"{c}: {ev[c]['speckle_rate']:.2f} isolated pixels per image, MLP {ev[p]['speckle_rate']:.2f}"
                        for c, p in pairs) + "."
    return verdict, summary, ev


def _no_batchnorm_in_critic(m: Metrics) -> tuple[str, str, dict] | None:
    pairs = [(f"mlp-{n}-{o}", f"mlp-{n}-{o}-bnd") for o in ("wgan-gp", "wgan") for n in ("dbn", "sbn")]
    ev = _gather(m, tuple(x for p in pairs for x in p), ("fd",))
    if ev is None:
        return None
    verdict = _combine([ev[plain]["fd"] < ev[bnd]["fd"] for plain, bnd in pairs])
    summary = "; ".join(f"{plain}: FD {ev[plain]['fd']:.1f}, with BatchNorm in D {ev[bnd]['fd']:.1f}"
                        for plain, bnd in pairs) + "."
    return verdict, summary, ev


_CLAIMS: list[tuple[str, str, str, str, Callable[[Metrics], tuple[str, str, dict] | None]]] = [
    ("dbn-vs-sbn", "Exp I (Fig. 4)",
     "DBN's preactivated outputs have more values in the middle and a notch at 0.5; SBN's sit nearer 0 and 1.",
     "SBN has more p near 0 or 1 than DBN, and DBN the deeper notch at 0.5.", _dbn_vs_sbn),
    ("real-u-shape", "Exp II (Fig. 5)",
     "The real-valued model's outputs are even more U-shaped than SBN's.",
     "The real-valued model has more p near 0 or 1 than SBN.", _real_u_shape),
    ("wgan-quality", "Exp III (Fig. 6)",
     "WGAN (weight clipping) gives samples of similar quality to WGAN-GP.",
     f"WGAN's FD is within {SIMILAR_FD_RATIO}× of WGAN-GP's, for DBN and for SBN.", _wgan_like_wgan_gp),
    ("gan-mode-collapse", "Exp III (Fig. 6)",
     "The non-saturating GAN suffers from mode collapse.",
     "The GAN fills fewer digit classes to 2% of its samples than WGAN-GP, for DBN and for SBN.", _gan_mode_collapse),
    ("cnn-artefacts", "Exp IV (Fig. 7)",
     "The CNN model gives fewer artefacts than the MLP model.",
     "Each trained CNN has fewer isolated on-pixels per image (speckle) than the MLP with the same neuron.",
     _cnn_fewer_artefacts),
    ("no-bn-in-critic", "Exp setup (Fig. 8)",
     "For WGAN-GP and WGAN, the critic works better without BatchNorm.",
     "Without BatchNorm in D the FD is lower, for WGAN-GP and WGAN, DBN and SBN.", _no_batchnorm_in_critic),
]


def judge(metrics: Metrics) -> list[Claim]:
    """Every claim, judged from {variant: metrics}; a claim whose variants are not evaluated yet is PENDING."""
    claims = []
    for key, source, paper, rule, decide in _CLAIMS:
        outcome = decide(metrics)
        if outcome is None:
            claims.append(Claim(key, source, paper, rule, PENDING, "Its variants are not all trained and evaluated."))
        else:
            verdict, summary, evidence = outcome
            claims.append(Claim(key, source, paper, rule, verdict, summary, evidence))
    return claims
