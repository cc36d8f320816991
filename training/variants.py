"""The registry: every variant the project trains, by name. The config's schema is training/config.py."""

from __future__ import annotations

import json
from typing import Any

from training.config import VariantConfig

# The reference code's recipe (see docs/reproducing.md, "Two recipes"): its twin of a variant is NAME + CODE_SUFFIX.
CODE_SUFFIX = "-code"

SNAPSHOT_EPOCHS = (1, 2, 5, 10, 15, 20)

# The one temperature of each tempered estimator, chosen by explorer/estimator_lab/temperature.py's rule before any
# of its variants trained (docs/estimators.md, "The temperatures"); the estimator lab studies them at these too.
CHOSEN_TEMPERATURE = {"gumbel-rao": 2.0, "gst": 2.0, "decoupled-st": 2.0}


def _v(name: str, experiment: str, description: str, **kw: Any) -> VariantConfig:
    arch, neuron, *_ = name.split("-")
    kw.setdefault("arch", arch)
    kw.setdefault("neuron", neuron)
    kw.setdefault("estimator", "none" if kw["neuron"] == "real" else "sigmoid-st")
    if kw["neuron"] == "real":
        # Exp II: p = sigmoid(x); annealing exists only to sharpen the binary neurons' estimator.
        kw.setdefault("slope_annealing_rate", 1.0)
    return VariantConfig(name=name, experiment=experiment, description=description, **kw)


_VARIANTS = [
    _v(
        "mlp-dbn-wgan-gp",
        "Exp I (Fig. 3a, 4)",
        "MLP, deterministic binary neurons, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
        snapshot_epochs=SNAPSHOT_EPOCHS,
    ),
    _v(
        "mlp-sbn-wgan-gp",
        "Exp I (Fig. 3b, 4)",
        "MLP, stochastic binary neurons, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
        snapshot_epochs=SNAPSHOT_EPOCHS,
    ),
    _v(
        "mlp-real-wgan-gp",
        "Exp II (Fig. 5)",
        "MLP, real-valued sigmoid output, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
    ),
    _v("mlp-dbn-wgan", "Exp III (Fig. 6)", "MLP, DBN, WGAN with weight clipping", objective="wgan", d_batchnorm=False),
    _v("mlp-sbn-wgan", "Exp III (Fig. 6)", "MLP, SBN, WGAN with weight clipping", objective="wgan", d_batchnorm=False),
    _v(
        "mlp-dbn-gan",
        "Exp III (Fig. 6)",
        "MLP, DBN, non-saturating GAN, BatchNorm in D",
        objective="gan",
        d_batchnorm=True,
    ),
    _v(
        "mlp-sbn-gan",
        "Exp III (Fig. 6)",
        "MLP, SBN, non-saturating GAN, BatchNorm in D",
        objective="gan",
        d_batchnorm=True,
    ),
    _v("mlp-dbn-wgan-gp-bnd", "Fig. 8", "MLP, DBN, WGAN-GP with BatchNorm in D", objective="wgan-gp", d_batchnorm=True),
    _v("mlp-sbn-wgan-gp-bnd", "Fig. 8", "MLP, SBN, WGAN-GP with BatchNorm in D", objective="wgan-gp", d_batchnorm=True),
    _v("mlp-dbn-wgan-bnd", "Fig. 8", "MLP, DBN, WGAN with BatchNorm in D", objective="wgan", d_batchnorm=True),
    _v("mlp-sbn-wgan-bnd", "Fig. 8", "MLP, SBN, WGAN with BatchNorm in D", objective="wgan", d_batchnorm=True),
    _v("mlp-dbn-gan-nobnd", "Fig. 8", "MLP, DBN, GAN without BatchNorm in D", objective="gan", d_batchnorm=False),
    _v("mlp-sbn-gan-nobnd", "Fig. 8", "MLP, SBN, GAN without BatchNorm in D", objective="gan", d_batchnorm=False),
    _v(
        "cnn-dbn-wgan-gp",
        "Exp IV (Fig. 7)",
        "CNN, deterministic binary neurons, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
    ),
    _v(
        "cnn-sbn-wgan-gp",
        "Exp IV (Fig. 7)",
        "CNN, stochastic binary neurons, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
    ),
    _v(
        "cnn-real-wgan-gp",
        "Exp IV (Fig. 7)",
        "CNN, real-valued sigmoid output, WGAN-GP",
        objective="wgan-gp",
        d_batchnorm=False,
    ),
    _v(
        "mlp-dbn-wgan-gp-noanneal",
        "slope-annealing ablation",
        "Exp I's DBN with the slope fixed at 1.0",
        objective="wgan-gp",
        d_batchnorm=False,
        slope_annealing_rate=1.0,
        snapshot_epochs=SNAPSHOT_EPOCHS,
    ),
    _v(
        "mlp-sbn-wgan-gp-noanneal",
        "slope-annealing ablation",
        "Exp I's SBN with the slope fixed at 1.0",
        objective="wgan-gp",
        d_batchnorm=False,
        slope_annealing_rate=1.0,
        snapshot_epochs=SNAPSHOT_EPOCHS,
    ),
    _v(
        "mlp-dbn-wgan-gp-st",
        "extra",
        "DBN with the plain straight-through estimator (identity backward)",
        objective="wgan-gp",
        d_batchnorm=False,
        estimator="st",
    ),
    _v(
        "mlp-sbn-wgan-gp-st",
        "extra",
        "SBN with the plain straight-through estimator (identity backward)",
        objective="wgan-gp",
        d_batchnorm=False,
        estimator="st",
    ),
    _v(
        "mlp-gumbel-wgan-gp",
        "extra",
        "binary-Concrete (Gumbel-sigmoid) straight-through estimator, tau 0.5",
        neuron="sbn",
        estimator="gumbel-st",
        objective="wgan-gp",
        d_batchnorm=False,
    ),
    # Exp II's model lacks the U-shape the paper reports; is that because it alone does not anneal its slope?
    _v(
        "mlp-real-wgan-gp-anneal",
        "extra",
        "Exp II's real-valued model with the binary models' slope annealing",
        objective="wgan-gp",
        d_batchnorm=False,
        slope_annealing_rate=1.1,
    ),
]


def _code_twin(paper: VariantConfig) -> VariantConfig:
    """The variant as the reference code ran it: slope fixed at 1, affine BatchNorm, its initialisation, and for the
    WGANs TensorFlow's RMSProp.

    It keeps the 60,000 training images (the reference trained on all 70,000), because evaluation uses the test digits.
    """
    return paper.replace(
        name=paper.name + CODE_SUFFIX,
        experiment=f"{paper.experiment}, code recipe",
        slope_annealing_rate=1.0,
        batchnorm="affine",
        init="reference",
        rmsprop="tf" if paper.objective == "wgan" else "torch",
        description=f"{paper.description}; as the reference code ran it",
    )


_CODE_TWINS = (
    "mlp-dbn-wgan-gp",
    "mlp-sbn-wgan-gp",
    "mlp-real-wgan-gp",
    "mlp-dbn-wgan",
    "mlp-sbn-wgan",
    "mlp-dbn-gan",
    "mlp-sbn-gan",
    "mlp-dbn-wgan-gp-bnd",
    "mlp-sbn-wgan-gp-bnd",
    "mlp-dbn-wgan-bnd",
    "mlp-sbn-wgan-bnd",
    "mlp-dbn-gan-nobnd",
    "mlp-sbn-gan-nobnd",
    "cnn-dbn-wgan-gp",
    "cnn-sbn-wgan-gp",
    "cnn-real-wgan-gp",
)
_VARIANTS += [_code_twin(v) for name in _CODE_TWINS for v in _VARIANTS if v.name == name]

# Beyond the paper: other gradient estimators for SBN (training/estimators.py), each on the code recipe's SBN WGAN-GP,
# the setting in which straight-through's SBN trains cleanly; the baseline is mlp-sbn-wgan-gp-code. docs/estimators.md
# states the rule that judges them. RLOO and DisARM spend 8 critic evaluations per latent at each generator step.
ESTIMATOR_BASELINE = "mlp-sbn-wgan-gp" + CODE_SUFFIX
ESTIMATOR_EXPERIMENT = "estimators (beyond the paper)"
_ESTIMATOR_VARIANTS = (
    ("reinmax", 1, "ReinMax (second-order straight-through, Liu et al. 2023)"),
    ("rloo", 8, "REINFORCE with a leave-one-out baseline over 8 draws (Kool et al. 2019)"),
    ("disarm", 4, "DisARM over 4 antithetic pairs (Dong, Mnih & Tucker 2020)"),
)
# At straight-through's cost, each with the one temperature the lab chose (docs/estimators.md, "The temperatures");
# ZGR is ReinMax for a binary unit, so it has no variant of its own.
_tau = {k: f"tau {v:g}" for k, v in CHOSEN_TEMPERATURE.items()}
_CHEAP_ESTIMATOR_VARIANTS = (
    ("gumbel-rao", f"Gumbel-Rao, {_tau['gumbel-rao']}, 10 local draws (Paulus et al. 2021)"),
    ("gst", f"gapped straight-through GST-1.0, {_tau['gst']} (Fan et al. 2022)"),
    ("decoupled-st", f"decoupled straight-through, backward {_tau['decoupled-st']} (Shah et al. 2024)"),
)
_baseline = next(v for v in _VARIANTS if v.name == ESTIMATOR_BASELINE)
_VARIANTS += [
    _baseline.replace(
        name=f"{ESTIMATOR_BASELINE}-{estimator}",
        estimator=estimator,
        estimator_draws=draws,
        experiment=ESTIMATOR_EXPERIMENT,
        snapshot_epochs=(),
        description=f"the code recipe's SBN, WGAN-GP, trained with {label}",
    )
    for estimator, draws, label in _ESTIMATOR_VARIANTS
]
_VARIANTS += [
    _baseline.replace(
        name=f"{ESTIMATOR_BASELINE}-{estimator}",
        estimator=estimator,
        estimator_temperature=CHOSEN_TEMPERATURE[estimator],
        experiment=ESTIMATOR_EXPERIMENT,
        snapshot_epochs=(),
        description=f"the code recipe's SBN, WGAN-GP, trained with {label}",
    )
    for estimator, label in _CHEAP_ESTIMATOR_VARIANTS
]

# Beyond the paper: conditional computation (training/gated.py), binary gate neurons choosing one of 4 experts, on the
# code recipe's WGAN-GP with DBN and with SBN gates; each is compared with its dense twin NAME minus GATED_SUFFIX.
GATED_SUFFIX = "-gated"
GATED_EXPERIMENT = "conditional computation (beyond the paper)"
GATED_EXPERTS = 4
# The SBN gates once more with the cheap estimator that beat straight-through by the most, for output and gates alike
# (docs/estimators.md, "The gates, if one of them wins"); its dense twin is that estimator's variant.
GATES_ESTIMATOR = "decoupled-st"
_VARIANTS += [
    dense.replace(
        name=dense.name + GATED_SUFFIX,
        experts=GATED_EXPERTS,
        experiment=GATED_EXPERIMENT,
        snapshot_epochs=(),
        description=f"{dense.neuron.upper()} gates choose 1 of {GATED_EXPERTS} experts (a quarter of the hidden "
        "layer each); code recipe, WGAN-GP"
        + ("" if dense.estimator == "sigmoid-st" else f"; output and gates trained with {dense.estimator}"),
    )
    for dense in _VARIANTS
    if dense.name
    in ("mlp-dbn-wgan-gp" + CODE_SUFFIX, "mlp-sbn-wgan-gp" + CODE_SUFFIX, f"{ESTIMATOR_BASELINE}-{GATES_ESTIMATOR}")
]

# Does the binary gate matter, or only the mixture? Controls of the DBN-gated variant, on its recipe (docs/conditional.md
# states the rule that judges them): the same 4 experts routed at random or mixed by a softmax, and a dense generator
# as wide as one expert (the gated one's multiply-adds per sample, a quarter of its parameters).
GATED_CONTROLS_OF = "mlp-dbn-wgan-gp" + CODE_SUFFIX + GATED_SUFFIX
_gated = next(v for v in _VARIANTS if v.name == GATED_CONTROLS_OF)
_dense = next(v for v in _VARIANTS if v.name == GATED_CONTROLS_OF.removesuffix(GATED_SUFFIX))
_VARIANTS += [
    _gated.replace(
        name=f"{GATED_CONTROLS_OF}-random",
        routing="random",
        description=f"each latent runs 1 of {GATED_EXPERTS} experts drawn at random, independent of z (no gates); "
        "code recipe, DBN, WGAN-GP",
    ),
    _gated.replace(
        name=f"{GATED_CONTROLS_OF}-soft",
        routing="soft",
        description=f"a learned softmax of z mixes all {GATED_EXPERTS} experts (no binary gates); code recipe, DBN, "
        "WGAN-GP",
    ),
    _dense.replace(
        name=_dense.name + "-quarter",
        hidden=_dense.hidden // GATED_EXPERTS,
        experiment=GATED_EXPERIMENT,
        snapshot_epochs=(),
        description=f"dense MLP generator as wide as one expert ({_dense.hidden // GATED_EXPERTS} hidden units); "
        "code recipe, DBN, WGAN-GP",
    ),
]
GATED_CONTROLS = tuple(v.name for v in _VARIANTS[-3:])

REGISTRY: dict[str, VariantConfig] = {v.name: v for v in _VARIANTS}


class UnknownVariantError(ValueError):
    """A variant name that is not in the registry."""


def get_variant(name: str) -> VariantConfig:
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownVariantError(f"unknown variant {name!r}; known variants: {', '.join(REGISTRY)}") from None


def registry_json() -> str:
    return json.dumps([v.to_dict() for v in REGISTRY.values()], indent=2)
