"""A binary GAN trained in the exact world, one labelled update at a time.

`Run(config)` holds a generator (world.generator_network), a critic MLP 16 -> hidden -> 1 and their Adam optimisers
(betas 0.5, 0.9, as training/objectives.py gives the Adam objectives). `step_d()` is one critic update, `step_g()`
one generator update, `step()` n_critic of the first then one of the second. Each update sees all 32 latents once,
so the expectation over z is exact and only the neuron's noise is sampled; the critic's real batch is 32 patterns
drawn uniformly. The generator update uses the config's estimator, as training/step.py applies it (through the
neuron, or a score-function estimate on the pre-activation), or "oracle": the exact gradient of gradient.py.

Every random number comes from three streams of training/rng.py derived from the seed: "playground-init" (weights),
"playground-data" (real batches) and "playground-noise" (neuron noise, estimator draws, penalty mixing); torch's
global generator is never read, so one config gives one trajectory, bit for bit, on one machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from explorer.playground import gradient, world
from training import estimators, rng
from training import objectives as obj
from training.config import ESTIMATORS, NEURONS, OBJECTIVES, SCORE_FUNCTION_ESTIMATORS, TEMPERED_ESTIMATORS
from training.neurons import binarize, sample_binary
from training.variants import CHOSEN_TEMPERATURE

ORACLE = "oracle"
MAX_STEPS = 100_000  # generator updates per run: minutes on one core, never hours
# what needs Bernoulli samples: the SBN-only estimators of training/config.py, and the exact SBN gradient
SBN_ONLY = ("gumbel-st", "reinmax", *TEMPERED_ESTIMATORS, *SCORE_FUNCTION_ESTIMATORS, ORACLE)


def _check_range(name: str, value: object, lo: float, hi: float, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not lo <= value <= hi:  # also refuses NaN
        kind = "an integer" if integer else "a number"
        raise ValueError(f"playground config field {name!r} must be {kind} in [{lo}, {hi}], got {value!r}")


@dataclass(frozen=True)
class PlaygroundConfig:
    neuron: str = "sbn"  # training.config.NEURONS
    estimator: str = "sigmoid-st"  # training.config.ESTIMATORS ("none" for real), or "oracle" (SBN only)
    objective: str = "wgan-gp"  # training.config.OBJECTIVES
    initial_slope: float = 1.0  # the neuron's slope s in sigmoid(s * x) at the start
    slope_annealing_rate: float = 1.0  # the slope's multiplier every `anneal_every` generator updates
    anneal_every: int = 100
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    seed: int = 0
    every: int = 10  # generator updates between recomputations of the exact quantities
    steps: int = 1000  # the cap on generator updates: run() stops there
    n_critic: int = 5  # critic updates per step()
    g_hidden: int = 64
    d_hidden: int = 64
    gp_lambda: float = 10.0  # WGAN-GP's penalty weight, as the project's
    clip_value: float = 0.01  # WGAN's weight clipping bound, as the project's

    def __post_init__(self) -> None:
        for name, allowed in (
            ("neuron", NEURONS),
            ("estimator", (*ESTIMATORS, ORACLE)),
            ("objective", OBJECTIVES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"playground config field {name!r} = {getattr(self, name)!r} is not one of {', '.join(allowed)}"
                )
        if (self.neuron == "real") != (self.estimator == "none"):
            raise ValueError("playground config field 'estimator': the real neuron takes 'none', a binary one not")
        if self.estimator in SBN_ONLY and self.neuron != "sbn":
            raise ValueError(f"playground config field 'estimator' = {self.estimator!r} needs neuron 'sbn'")
        _check_range("initial_slope", self.initial_slope, 1e-3, 1e3)
        _check_range("slope_annealing_rate", self.slope_annealing_rate, 0.5, 2.0)
        _check_range("anneal_every", self.anneal_every, 1, MAX_STEPS, integer=True)
        _check_range("lr_g", self.lr_g, 1e-6, 1.0)
        _check_range("lr_d", self.lr_d, 1e-6, 1.0)
        rng.validate_seed(self.seed, "playground config field 'seed'")
        _check_range("every", self.every, 1, MAX_STEPS, integer=True)
        _check_range("steps", self.steps, 1, MAX_STEPS, integer=True)
        _check_range("n_critic", self.n_critic, 1, 100, integer=True)
        _check_range("g_hidden", self.g_hidden, 1, 1024, integer=True)
        _check_range("d_hidden", self.d_hidden, 1, 1024, integer=True)
        _check_range("gp_lambda", self.gp_lambda, 0.0, 1e4)
        _check_range("clip_value", self.clip_value, 0.0, 10.0)

    def slope_at(self, g_step: int) -> float:
        return self.initial_slope * self.slope_annealing_rate ** (g_step // self.anneal_every)


@dataclass
class History:
    """The curves of a run: one loss per update, and the exact quantities every `every` generator updates."""

    d_loss: list[float] = field(default_factory=list)  # per critic update
    g_loss: list[float] = field(default_factory=list)  # per generator update (the oracle's: the exact E[f])
    exact_steps: list[int] = field(default_factory=list)  # the generator update each entry of `exact` follows
    exact: list[world.Exact] = field(default_factory=list)


class Run:
    def __init__(self, config: PlaygroundConfig) -> None:
        self.config = config
        init = rng.generator(config.seed, "playground-init")
        self.G = world.generator_network(config.g_hidden, init)
        self.D = world.mlp([world.PIXELS, config.d_hidden, 1], init)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=(0.5, 0.9))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=(0.5, 0.9))
        self.data = rng.generator(config.seed, "playground-data")
        self.noise = rng.generator(config.seed, "playground-noise")
        self.g_step = 0
        self.history = History()
        self._record()

    def critic(self, y: torch.Tensor) -> torch.Tensor:
        """Scores (N,) of images (N, 16)."""
        return self.D(y).squeeze(-1)

    @property
    def slope(self) -> float:
        return self.config.slope_at(self.g_step)

    def logits(self) -> torch.Tensor:
        """theta = slope * x of the 32 latents, (32, 16), without gradient."""
        with torch.no_grad():
            return self.slope * self.G(world.latents())

    def distribution(self) -> torch.Tensor:
        """The exact p_G now, (65536,) float64."""
        return world.exact_distribution(self.logits(), self.config.neuron)

    def step_d(self) -> float:
        """One critic update on 32 patterns and the 32 latents' outputs; returns its loss."""
        cfg = self.config
        real = world.patterns()[torch.randint(world.PATTERNS, (world.LATENTS,), generator=self.data)]  # (32, 16)
        p = torch.sigmoid(self.logits())
        fake = p if cfg.neuron == "real" else sample_binary(p, cfg.neuron, self.noise)  # (32, 16)
        scores = self.critic(torch.cat([real, fake]))  # (64,)
        loss = obj.D_LOSSES[cfg.objective](scores[: len(real)], scores[len(real) :])
        if cfg.objective == "wgan-gp":
            alpha = torch.rand(len(real), generator=self.noise)
            loss = loss + cfg.gp_lambda * obj.gradient_penalty(self.critic, obj.interpolate(real, fake, alpha))
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if cfg.objective == "wgan":
            obj.clip_weights(self.D, cfg.clip_value)
        self.history.d_loss.append(float(loss.detach()))
        return self.history.d_loss[-1]

    def step_g(self) -> float:
        """One generator update by the config's estimator, or the exact gradient; returns the generator's loss."""
        cfg, slope = self.config, self.slope
        self.D.requires_grad_(False)  # only G's gradients are used
        self.opt_g.zero_grad(set_to_none=True)
        x = self.G(world.latents())  # (32, 16) pre-activation
        if cfg.estimator == ORACLE:
            f_all = gradient.image_losses(self.critic, cfg.objective)
            theta = slope * x.detach()
            expected, grad = gradient.exact_objective(theta, f_all)  # (32,), (32, 16) d E[f] / d theta, float64
            x.backward((slope * grad / len(x)).float())  # the loss is the mean over latents
            loss = float(expected.mean())
        elif cfg.estimator in SCORE_FUNCTION_ESTIMATORS:
            f = gradient.losses(self.critic, cfg.objective)
            theta = slope * x.detach()
            draws = gradient.DRAWS[cfg.estimator]
            estimate = estimators.FUNCTIONS[cfg.estimator](theta, f, draws, self.noise)  # (32, 16)
            x.backward(slope * estimate / len(x))
            with torch.no_grad():  # the loss of one fresh sample, for the curve only; drawn after the estimate
                loss = float(f(sample_binary(torch.sigmoid(theta), "sbn", self.noise)).mean())
        else:
            temperature = CHOSEN_TEMPERATURE.get(cfg.estimator, 0.5)  # 0.5: gumbel-st's, as the project's default
            y = binarize(x, slope, cfg.neuron, cfg.estimator, temperature, self.noise)
            g_loss = obj.G_LOSSES[cfg.objective](self.critic(y))
            g_loss.backward()
            loss = float(g_loss.detach())
        self.opt_g.step()
        self.D.requires_grad_(True)
        self.g_step += 1
        self.history.g_loss.append(loss)
        if self.g_step % cfg.every == 0:
            self._record()
        return loss

    def step(self) -> None:
        """n_critic critic updates, then one generator update."""
        for _ in range(self.config.n_critic):
            self.step_d()
        self.step_g()

    def run(self, steps: int | None = None) -> History:
        """step() until `steps` more generator updates (default: up to the config's cap) or the cap is reached."""
        end = self.config.steps if steps is None else min(self.config.steps, self.g_step + steps)
        while self.g_step < end:
            self.step()
        return self.history

    def exact(self) -> world.Exact:
        return world.measure(self.distribution())

    def _record(self) -> None:
        self.history.exact_steps.append(self.g_step)
        self.history.exact.append(self.exact())

    @property
    def final(self) -> world.Exact:
        """The exact quantities now (recomputed unless the last update just recorded them)."""
        if self.history.exact_steps[-1] != self.g_step:
            self._record()
        return self.history.exact[-1]
