"""Beyond the paper: does an estimator other than straight-through train a better BinaryGAN?

The rule was written down (docs/estimators.md) before any of the estimator variants trained. Over training seeds
0, 1 and 2, with mean and sample sd of the Fréchet distance:
  better       mean + sd < the baseline's mean - sd;
  worse        mean - sd > the baseline's mean + sd;
  no different otherwise; and no verdict with fewer than three seeds of the variant or the baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from explorer.claims import SeedMetrics
from training.seeds import mean_sd
from training.variants import ESTIMATOR_BASELINE, ESTIMATOR_EXPERIMENT, GATED_SUFFIX, GATES_ESTIMATOR, REGISTRY

QUESTION = "Does an estimator other than straight-through train a better BinaryGAN?"
RULE = (
    "Over training seeds 0, 1 and 2: better if its mean FD plus one sd is below the straight-through baseline's mean "
    "minus one sd, worse if its mean minus one sd is above the baseline's mean plus one sd, no different otherwise; "
    "no verdict with fewer than three seeds."
)
SEEDS = (0, 1, 2)
BETTER, WORSE, NO_DIFFERENT, PENDING = "better", "worse", "no different", "no verdict yet"


@dataclass(frozen=True)
class Band:
    """One variant's FD over the judged seeds."""

    variant: str
    values: dict[int, float]  # {seed: FD}, the seeds of SEEDS that are evaluated

    @property
    def complete(self) -> bool:
        return set(self.values) == set(SEEDS)

    @property
    def mean(self) -> float:
        return mean_sd(self.values.values())[0]

    @property
    def sd(self) -> float:
        return mean_sd(self.values.values())[1]


@dataclass(frozen=True)
class EstimatorVerdict:
    estimator: str
    band: Band
    verdict: str  # BETTER, WORSE, NO_DIFFERENT or PENDING


def band(by_seed: SeedMetrics, variant: str) -> Band:
    values = {}
    for seed in SEEDS:
        fd = by_seed.get(seed, {}).get(variant, {}).get("fd")
        if isinstance(fd, (int, float)) and math.isfinite(fd):
            values[seed] = float(fd)
    return Band(variant, values)


def decide(candidate: Band, baseline: Band) -> str:
    if not (candidate.complete and baseline.complete):
        return PENDING
    if candidate.mean + candidate.sd < baseline.mean - baseline.sd:
        return BETTER
    if candidate.mean - candidate.sd > baseline.mean + baseline.sd:
        return WORSE
    return NO_DIFFERENT


def judge_estimators(by_seed: SeedMetrics) -> tuple[Band, list[EstimatorVerdict]]:
    """(the straight-through baseline's band, a verdict per estimator variant, in registry order)."""
    baseline = band(by_seed, ESTIMATOR_BASELINE)
    verdicts = []
    for cfg in REGISTRY.values():
        if cfg.experiment == ESTIMATOR_EXPERIMENT:
            b = band(by_seed, cfg.name)
            verdicts.append(EstimatorVerdict(cfg.estimator, b, decide(b, baseline)))
    return baseline, verdicts


def answer(verdicts: list[EstimatorVerdict]) -> str:
    """The question answered in one sentence from the verdicts: which estimators fall in each verdict."""
    by_verdict = {v: [e.estimator for e in verdicts if e.verdict == v] for v in (BETTER, NO_DIFFERENT, WORSE, PENDING)}
    if by_verdict[BETTER]:
        head = f"Yes: {', '.join(by_verdict[BETTER])} train a better BinaryGAN than straight-through"
    elif by_verdict[PENDING]:
        head = "Not yet known: no estimator judged so far trains a better BinaryGAN than straight-through"
    else:
        head = "No: no estimator trains a better BinaryGAN than straight-through"
    rest = [f"{', '.join(names)}: {v}" for v, names in by_verdict.items() if v != BETTER and names]
    return head + (f" ({'; '.join(rest)})." if rest else ".")


# The gates follow-up (docs/estimators.md, "The gates, if one of them wins"): the SBN-gated generator trained with
# GATES_ESTIMATOR for output and gates, against the same generator trained with straight-through.
GATES_QUESTION = f"Does {GATES_ESTIMATOR} also train the SBN gates better than straight-through?"
GATES_WITH_ESTIMATOR = f"{ESTIMATOR_BASELINE}-{GATES_ESTIMATOR}{GATED_SUFFIX}"
GATES_WITH_ST = ESTIMATOR_BASELINE + GATED_SUFFIX


def judge_gates(by_seed: SeedMetrics) -> tuple[Band, list[EstimatorVerdict]]:
    """(the straight-through SBN-gated band, the one verdict of the GATES_ESTIMATOR-gated variant against it), shaped
    as judge_estimators' answer."""
    st, other = band(by_seed, GATES_WITH_ST), band(by_seed, GATES_WITH_ESTIMATOR)
    return st, [EstimatorVerdict(GATES_ESTIMATOR, other, decide(other, st))]
