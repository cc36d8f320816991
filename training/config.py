"""The variant config: one typed dataclass, validated from its own fields. training/variants.py holds the registry.

A field's annotation is its type (a Literal names the allowed values) and a ranged field carries its bounds in its
metadata, so validate_fields reads both from the dataclass; only the rules between fields are written out below.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints

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

ARCHS, NEURONS, ESTIMATORS, OBJECTIVES = get_args(Arch), get_args(Neuron), get_args(Estimator), get_args(Objective)
BATCHNORMS, INITS, RMSPROPS, ROUTINGS = get_args(BatchNorm), get_args(Init), get_args(RMSprop), get_args(Routing)
SCORE_FUNCTION_ESTIMATORS = ("rloo", "disarm")  # unbiased; several critic evaluations per latent, no pathwise gradient
TEMPERED_ESTIMATORS = ("gumbel-rao", "gst", "decoupled-st")  # read estimator_temperature


def ranged(default: Any, lo: float, hi: float) -> Any:
    """A field with a sane range: wide enough for any experiment, narrow enough to refuse hostile or broken configs."""
    return field(default=default, metadata={"range": (lo, hi)})


@dataclass(frozen=True)
class VariantConfig:
    name: str  # registry key, also the checkpoint folder name
    arch: Arch  # "mlp" (Exp I-III) or "cnn" (Exp IV)
    neuron: Neuron  # output neuron of G: deterministic, stochastic binary, or real-valued sigmoid
    estimator: Estimator  # gradient estimator through the binary neuron ("none" for real)
    objective: Objective  # adversarial loss
    d_batchnorm: bool  # BatchNorm in the discriminator's hidden layers
    experiment: str  # which paper experiment/figure this reproduces, or "extra"
    slope_annealing_rate: float = ranged(1.1, 0.5, 2.0)  # slope multiplier after each epoch (1.0 = no annealing)
    initial_slope: float = ranged(1.0, 1e-3, 1e3)  # slope s in p = sigmoid(s * x) at epoch 1
    gumbel_temperature: float = ranged(0.5, 1e-3, 1e2)  # the binary-Concrete relaxation's temperature (gumbel-st)
    # The backward temperature of gumbel-rao, gst and decoupled-st (training/estimators.py), one per variant, chosen
    # in the lab before training (explorer/estimator_lab/temperature.py).
    estimator_temperature: float = ranged(1.0, 1e-3, 1e2)
    # Draws per latent at each generator step for the score-function estimators: rloo takes K >= 2 samples (K critic
    # evaluations), disarm K antithetic pairs (2K). The straight-through estimators draw once.
    estimator_draws: int = ranged(1, 1, 1024)
    # Conditional computation (training/gated.py): 0 is the dense generator; K (a power of two) gives it K experts, by
    # default picked per latent by log2(K) binary gate neurons of the output layer's kind.
    experts: int = ranged(0, 0, 64)
    # How a gated generator picks its experts: "gates" by its binary gate neurons, one expert per latent. The controls
    # of docs/conditional.md: "random" draws one expert per latent uniformly, independent of z, with no gate layer;
    # "soft" mixes all K by a learned softmax of a linear layer of z, every expert running for every latent.
    routing: Routing = "gates"
    hidden: int = ranged(1024, 1, 8192)  # the MLP generator's hidden width; a gated one splits it between its experts
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
    epochs: int = ranged(20, 1, 10_000)  # total training epochs
    batch_size: int = ranged(64, 1, 65_536)  # real and fake examples per step
    latent_dim: int = ranged(128, 128, 128)  # z ~ N(0, I)
    lr: float = ranged(1e-4, 0.0, 1.0)  # learning rate of both optimisers
    gp_lambda: float = ranged(10.0, 0.0, 1e4)  # gradient-penalty weight (wgan-gp)
    clip_value: float = ranged(0.01, 0.0, 10.0)  # weight clipping bound of D (wgan)
    n_critic: int = ranged(5, 1, 1000)  # D updates per G update
    n_critic_warmup: int = ranged(100, 1, 1000)  # D updates for the first warmup_steps G updates, and every
    warmup_steps: int = ranged(25, 0, 10**9)  # G updates that get n_critic_warmup D updates at the start
    long_critic_every: int = ranged(500, 1, 10**9)  # long_critic_every-th G update, n_critic_warmup D updates again
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


@dataclass(frozen=True)
class _Field:
    types: tuple[type, ...]  # what a JSON value of the field may be
    allowed: tuple[str, ...] | None  # a Literal's values
    range: tuple[float, float] | None
    required: bool


def _schema() -> dict[str, _Field]:
    """Each field's JSON types, allowed values and range, read from the dataclass."""
    hints = get_type_hints(VariantConfig)
    schema = {}
    for f in dataclasses.fields(VariantConfig):
        hint = hints[f.name]
        allowed = get_args(hint) if get_origin(hint) is Literal else None
        if allowed is not None:
            kinds: tuple[type, ...] = (str,)
        elif get_origin(hint) is tuple:
            kinds = (list, tuple)  # JSON has no tuple
        elif hint is float:
            kinds = (float, int)
        else:
            assert isinstance(hint, type) and not isinstance(hint, types.GenericAlias), hint
            kinds = (hint,)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        schema[f.name] = _Field(kinds, allowed, f.metadata.get("range"), required)
    return schema


_SCHEMA = _schema()


def validate_fields(d: Any) -> None:
    """Raise ValueError naming the first field that is unknown, missing, mistyped or out of range."""
    if not isinstance(d, dict):
        raise ValueError(f"variant config must be a JSON object, got {type(d).__name__}")
    unknown = sorted(set(d) - set(_SCHEMA))
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(map(str, unknown))}")
    missing = [k for k, f in _SCHEMA.items() if f.required and k not in d]
    if missing:
        raise ValueError(f"missing config field(s): {', '.join(missing)}")
    for key, value in d.items():
        spec = _SCHEMA[key]
        # bool is an int subclass; only a bool field may hold a bool
        if (isinstance(value, bool) and bool not in spec.types) or not isinstance(value, spec.types):
            raise ValueError(f"config field {key!r} has type {type(value).__name__}, expected {spec.types[0].__name__}")
        if spec.range is not None:
            assert isinstance(value, (int, float))  # every ranged field is numeric, checked just above
            lo, hi = spec.range
            if not (lo <= value <= hi):  # also refuses NaN
                raise ValueError(f"config field {key!r} = {value!r} is outside [{lo}, {hi}]")
    for key, spec in _SCHEMA.items():
        if spec.allowed is not None and key in d and d[key] not in spec.allowed:
            raise ValueError(f"config field {key!r} = {d[key]!r} is not one of {', '.join(spec.allowed)}")
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
