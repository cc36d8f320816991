"""Variant configs: one typed dataclass per model variant, and a registry keyed by name."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

from training.estimators import CHOSEN_TEMPERATURE

Arch = Literal["mlp", "cnn"]
Neuron = Literal["dbn", "sbn", "real"]
Estimator = Literal[
    "sigmoid-st", "st", "gumbel-st", "reinmax", "rloo", "disarm", "gumbel-rao", "gst", "decoupled-st", "none"
]
Objective = Literal["gan", "wgan", "wgan-gp"]
BatchNorm = Literal["batch", "affine"]
Init = Literal["torch", "reference"]
RMSprop = Literal["torch", "tf"]
Routing = Literal["gates", "random", "soft"]

ARCHS = ("mlp", "cnn")
NEURONS = ("dbn", "sbn", "real")
ESTIMATORS = ("sigmoid-st", "st", "gumbel-st", "reinmax", "rloo", "disarm", "gumbel-rao", "gst", "decoupled-st", "none")
TEMPERED_ESTIMATORS = ("gumbel-rao", "gst", "decoupled-st")  # read estimator_temperature
SCORE_FUNCTION_ESTIMATORS = ("rloo", "disarm")  # unbiased; several critic evaluations per latent, no pathwise gradient
OBJECTIVES = ("gan", "wgan", "wgan-gp")
BATCHNORMS = ("batch", "affine")
INITS = ("torch", "reference")
RMSPROPS = ("torch", "tf")
ROUTINGS = ("gates", "random", "soft")

# The reference code's recipe (see docs/reproducing.md, "Two recipes"): its twin of a variant is NAME + CODE_SUFFIX.
CODE_SUFFIX = "-code"

SNAPSHOT_EPOCHS = (1, 2, 5, 10, 15, 20)


@dataclass(frozen=True)
class VariantConfig:
    name: str  # registry key, also the checkpoint folder name
    arch: Arch  # "mlp" (Exp I-III) or "cnn" (Exp IV)
    neuron: Neuron  # output neuron of G: deterministic, stochastic binary, or real-valued sigmoid
    estimator: Estimator  # gradient estimator through the binary neuron ("none" for real)
    objective: Objective  # adversarial loss
    d_batchnorm: bool  # BatchNorm in the discriminator's hidden layers
    experiment: str  # which paper experiment/figure this reproduces, or "extra"
    slope_annealing_rate: float = 1.1  # slope multiplier after each epoch (1.0 = no annealing)
    initial_slope: float = 1.0  # slope s in p = sigmoid(s * x) at epoch 1
    gumbel_temperature: float = 0.5  # temperature of the binary-Concrete relaxation (gumbel-st only)
    # The backward temperature of gumbel-rao, gst and decoupled-st (training/estimators.py), one per variant, chosen
    # in the lab before training (explorer/estimator_lab/temperature.py).
    estimator_temperature: float = 1.0
    # Draws per latent at each generator step for the score-function estimators: rloo takes K >= 2 samples (K critic
    # evaluations), disarm K antithetic pairs (2K). The straight-through estimators draw once.
    estimator_draws: int = 1
    # Conditional computation (training/gated.py): 0 is the dense generator; K (a power of two) gives it K experts, by
    # default picked per latent by log2(K) binary gate neurons of the output layer's kind.
    experts: int = 0
    # How a gated generator picks its experts: "gates" by its binary gate neurons, one expert per latent. The controls
    # of docs/conditional.md: "random" draws one expert per latent uniformly, independent of z, with no gate layer;
    # "soft" mixes all K by a learned softmax of a linear layer of z, every expert running for every latent.
    routing: Routing = "gates"
    hidden: int = 1024  # the MLP generator's hidden width; a gated generator splits it evenly between its experts
    # Every BatchNorm of G and D: "batch" normalises with batch statistics (running ones when sampling), as the
    # paper's text says; "affine" is what the reference code ran: gamma * x / sqrt(1 + 1e-3) + beta per unit.
    batchnorm: BatchNorm = "batch"
    init: Init = (
        "torch"  # weights of G and D: PyTorch's defaults, or the reference's N(0, 0.02) cut at 2 sd, zero biases
    )
    # The WGANs' RMSProp: "torch" is PyTorch's (accumulator from 0, eps outside the root), as the paper's text leaves
    # it; "tf" is TensorFlow's, which the reference code ran (accumulator from 1, eps inside the root). Not read by
    # the other objectives, which use Adam.
    rmsprop: RMSprop = "torch"
    epochs: int = 20  # total training epochs
    batch_size: int = 64  # real and fake examples per step
    latent_dim: int = 128  # z ~ N(0, I)
    lr: float = 1e-4  # learning rate of both optimisers
    gp_lambda: float = 10.0  # gradient-penalty weight (wgan-gp)
    clip_value: float = 0.01  # weight clipping bound of D (wgan)
    n_critic: int = 5  # D updates per G update
    n_critic_warmup: int = 100  # D updates for the first warmup_steps G updates and every long_critic_every-th
    warmup_steps: int = 25  # G updates that get n_critic_warmup D updates at the start
    long_critic_every: int = 500  # every this many G updates, n_critic_warmup D updates again
    snapshot_epochs: tuple[int, ...] = ()  # epochs after which a generator snapshot is kept
    description: str = ""  # one line for tables and the dashboard

    def __post_init__(self) -> None:
        validate_fields(dataclasses.asdict(self))

    @property
    def annealed(self) -> bool:
        return self.slope_annealing_rate != 1.0

    @property
    def recipe(self) -> str:
        """ "code" for the reference code's BatchNorm and initialisation, "paper" for the text's."""
        return "code" if (self.batchnorm, self.init) == ("affine", "reference") else "paper"

    @property
    def d_couples_examples(self) -> bool:
        """Whether one example's critic score depends on the rest of its batch (batch-statistics BatchNorm in D)."""
        return self.d_batchnorm and self.batchnorm == "batch"

    def slope_at(self, epoch: int) -> float:
        """Slope used during 1-based `epoch` (1.0, 1.1, ..., 1.1**19 for the default schedule)."""
        return self.initial_slope * self.slope_annealing_rate ** (epoch - 1)

    def critic_steps(self, g_step: int) -> int:
        """D updates before G update number `g_step` (0-based, global); the reference code's schedule."""
        if g_step < self.warmup_steps or g_step % self.long_critic_every == 0:
            return self.n_critic_warmup
        return self.n_critic

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["snapshot_epochs"] = list(self.snapshot_epochs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VariantConfig:
        validate_fields(d)
        d = dict(d)
        d["snapshot_epochs"] = tuple(d.get("snapshot_epochs", ()))
        return cls(**d)

    def replace(self, **changes: Any) -> VariantConfig:
        return dataclasses.replace(self, **changes)


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "arch": (str,),
    "neuron": (str,),
    "estimator": (str,),
    "objective": (str,),
    "d_batchnorm": (bool,),
    "experiment": (str,),
    "slope_annealing_rate": (float, int),
    "initial_slope": (float, int),
    "gumbel_temperature": (float, int),
    "estimator_temperature": (float, int),
    "estimator_draws": (int,),
    "experts": (int,),
    "routing": (str,),
    "hidden": (int,),
    "batchnorm": (str,),
    "init": (str,),
    "rmsprop": (str,),
    "epochs": (int,),
    "batch_size": (int,),
    "latent_dim": (int,),
    "lr": (float, int),
    "gp_lambda": (float, int),
    "clip_value": (float, int),
    "n_critic": (int,),
    "n_critic_warmup": (int,),
    "warmup_steps": (int,),
    "long_critic_every": (int,),
    "snapshot_epochs": (list, tuple),
    "description": (str,),
}
_REQUIRED = ("name", "arch", "neuron", "estimator", "objective", "d_batchnorm", "experiment")
# Sane ranges: wide enough for any experiment, narrow enough to refuse hostile or broken configs.
_RANGES: dict[str, tuple[float, float]] = {
    "slope_annealing_rate": (0.5, 2.0),
    "initial_slope": (1e-3, 1e3),
    "gumbel_temperature": (1e-3, 1e2),
    "estimator_temperature": (1e-3, 1e2),
    "estimator_draws": (1, 1024),
    "experts": (0, 64),
    "hidden": (1, 8192),
    "epochs": (1, 10_000),
    "batch_size": (1, 65_536),
    "latent_dim": (128, 128),
    "lr": (0.0, 1.0),
    "gp_lambda": (0.0, 1e4),
    "clip_value": (0.0, 10.0),
    "n_critic": (1, 1000),
    "n_critic_warmup": (1, 1000),
    "warmup_steps": (0, 10**9),
    "long_critic_every": (1, 10**9),
}


def validate_fields(d: Any) -> None:
    """Raise ValueError naming the first field that is unknown, missing, mistyped or out of range."""
    if not isinstance(d, dict):
        raise ValueError(f"variant config must be a JSON object, got {type(d).__name__}")
    unknown = sorted(set(d) - set(_FIELD_TYPES))
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(map(str, unknown))}")
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise ValueError(f"missing config field(s): {', '.join(missing)}")
    for key, value in d.items():
        types = _FIELD_TYPES[key]
        # bool is an int subclass; only d_batchnorm may be a bool
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise ValueError(f"config field {key!r} has type {type(value).__name__}, expected {types[0].__name__}")
        if key in _RANGES:
            assert isinstance(value, (int, float))  # every ranged field's types are numeric, checked just above
            lo, hi = _RANGES[key]
            if not (lo <= value <= hi):  # also refuses NaN
                raise ValueError(f"config field {key!r} = {value!r} is outside [{lo}, {hi}]")
    for key, allowed in (
        ("arch", ARCHS),
        ("neuron", NEURONS),
        ("estimator", ESTIMATORS),
        ("objective", OBJECTIVES),
        ("batchnorm", BATCHNORMS),
        ("init", INITS),
        ("rmsprop", RMSPROPS),
        ("routing", ROUTINGS),
    ):
        if key in d and d[key] not in allowed:
            raise ValueError(f"config field {key!r} = {d[key]!r} is not one of {', '.join(allowed)}")
    if (d["neuron"] == "real") != (d["estimator"] == "none"):
        raise ValueError("the real-valued neuron needs estimator 'none', and binary neurons need an estimator")
    if d["estimator"] in ("gumbel-st", "reinmax", *TEMPERED_ESTIMATORS, *SCORE_FUNCTION_ESTIMATORS) and (
        d["neuron"] != "sbn"
    ):
        raise ValueError(f"the {d['estimator']} estimator is for Bernoulli samples, so it needs neuron 'sbn'")
    if d.get("estimator_temperature", 1.0) != 1.0 and d["estimator"] not in TEMPERED_ESTIMATORS:
        raise ValueError(
            f"config field 'estimator_temperature' is read by {', '.join(TEMPERED_ESTIMATORS)} only, "
            f"not by {d['estimator']}"
        )
    draws = d.get("estimator_draws", 1)
    if d["estimator"] == "rloo" and draws < 2:
        raise ValueError("config field 'estimator_draws' must be at least 2 for rloo: its baseline leaves one draw out")
    if d["estimator"] not in SCORE_FUNCTION_ESTIMATORS and draws != 1:
        raise ValueError(
            f"config field 'estimator_draws' = {draws} needs a score-function estimator "
            f"({', '.join(SCORE_FUNCTION_ESTIMATORS)}); {d['estimator']} draws once"
        )
    experts = d.get("experts", 0)
    if experts:
        if experts < 2 or experts & (experts - 1):
            raise ValueError(f"config field 'experts' = {experts} must be 0 (dense) or a power of two from 2")
        why = {
            d["arch"] != "mlp": "the experts split the MLP generator's hidden layer, so it needs arch 'mlp'",
            d.get("batchnorm", "batch") != "affine": "with batch statistics an expert's output would depend on which "
            "latents the gates send it, so it needs batchnorm 'affine'",
            d["neuron"] == "real": "the gates are binary neurons of the output layer's kind, so it needs dbn or sbn",
            d["estimator"] in SCORE_FUNCTION_ESTIMATORS: "the gates train by the output estimator's pathwise gradient, "
            f"which {d['estimator']} does not give",
        }
        if True in why:
            raise ValueError(f"config field 'experts' = {experts}: {why[True]}")
    if d.get("routing", "gates") != "gates" and not experts:
        raise ValueError(f"config field 'routing' = {d['routing']!r} routes between experts, so it needs experts")
    hidden = d.get("hidden", 1024)
    if hidden != 1024 and d["arch"] != "mlp":
        raise ValueError(f"config field 'hidden' = {hidden} is the MLP generator's width, so it needs arch 'mlp'")
    if experts and hidden % experts:
        raise ValueError(f"config field 'hidden' = {hidden} must split evenly between {experts} experts")
    snaps = d.get("snapshot_epochs", ())
    if not all(isinstance(e, int) and not isinstance(e, bool) and 1 <= e <= 10_000 for e in snaps):
        raise ValueError("config field 'snapshot_epochs' must hold epoch numbers in [1, 10000]")
    if (
        not isinstance(d["name"], str)
        or not d["name"]
        or len(d["name"]) > 100
        or not all(c.isalnum() or c in "-_." for c in d["name"])
        or d["name"].startswith(".")
    ):
        raise ValueError(f"config field 'name' = {d['name']!r} is not a safe variant name")


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
_VARIANTS += [
    dense.replace(
        name=dense.name + GATED_SUFFIX,
        experts=GATED_EXPERTS,
        experiment=GATED_EXPERIMENT,
        snapshot_epochs=(),
        description=f"{dense.neuron.upper()} gates choose 1 of {GATED_EXPERTS} experts (a quarter of the hidden "
        "layer each); code recipe, WGAN-GP",
    )
    for dense in _VARIANTS
    if dense.name in ("mlp-dbn-wgan-gp" + CODE_SUFFIX, "mlp-sbn-wgan-gp" + CODE_SUFFIX)
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
