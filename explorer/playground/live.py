"""The exact world, live: a Run stepped by hand or frame by frame, each update labelled, its history written as a
short log that replays it, and the arrays the Playground page draws. No Streamlit here.

The log is a run-length list of actions, written with dots between them: a bare count n is n step()s (n_critic
critic updates, then one generator update), "d3" three critic updates alone and "g2" two generator updates alone,
e.g. "12.d2.g1.5". One config and one log give one run, bit for bit (train.py's streams), so a link that holds
both rebuilds the run where it was. Runs are bounded: MAX_G_UPDATES generator updates, n_critic times as many
critic updates, so that a replay on the shared server takes seconds, not minutes.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import torch

from explorer.playground import gradient, world
from explorer.playground.train import ORACLE, SBN_ONLY, PlaygroundConfig, Run
from training import rng
from training.config import ESTIMATORS, NEURONS
from training.neurons import sample_binary

MAX_G_UPDATES = 3000  # per run: under a minute of one core even for the oracle
MAX_LOG_TOKENS = 200  # actions in a log; stepping alternates them only by hand
STEP, D, G = "s", "d", "g"
# What a second run B may change, with how the page labels it
FIELDS = {
    "neuron": "neuron",
    "estimator": "estimator",
    "objective": "objective",
    "initial_slope": "initial slope",
    "slope_annealing_rate": "slope annealing rate",
    "lr_g": "learning rate G",
    "lr_d": "learning rate D",
}
SAMPLES = 8  # latents shown as 4x4 samples


class CapReached(ValueError):
    """An update beyond the run's cap."""


def estimators_for(neuron: str) -> tuple[str, ...]:
    """The G updates PlaygroundConfig accepts for `neuron`: 'none' for real, the exact gradient for SBN only."""
    if neuron not in NEURONS:
        raise ValueError(f"unknown neuron {neuron!r}: one of {', '.join(NEURONS)}")
    if neuron == "real":
        return ("none",)
    binary = tuple(e for e in ESTIMATORS if e != "none")
    return (*binary, ORACLE) if neuron == "sbn" else tuple(e for e in binary if e not in SBN_ONLY)


def variant(config: PlaygroundConfig, field: str, value: Any) -> tuple[PlaygroundConfig, str]:
    """`config` with one field changed, and a note when the estimator had to change with the neuron (DBN has no
    oracle, the real model no estimator). ValueError, naming the field, when the result is not a valid config."""
    if field not in FIELDS:
        raise ValueError(f"run B cannot change {field!r}: one of {', '.join(FIELDS)}")
    changes: dict[str, Any] = {field: value}
    note = ""
    if field == "neuron" and config.estimator not in estimators_for(value):
        changes["estimator"] = "none" if value == "real" else "sigmoid-st"
        note = f"B's estimator is {changes['estimator']}: {config.estimator} does not apply to the {value} neuron."
    return dataclasses.replace(config, **changes), note


def parse_log(text: str) -> list[tuple[str, int]]:
    """'12.d2.g1' -> [('s', 12), ('d', 2), ('g', 1)]; ValueError with a reason for anything else."""
    if text.strip() == "":
        return []
    tokens = text.split(".")
    if len(tokens) > MAX_LOG_TOKENS:
        raise ValueError(f"the history has {len(tokens)} parts; at most {MAX_LOG_TOKENS} are replayed")
    out: list[tuple[str, int]] = []
    for token in tokens:
        op, count = (token[0], token[1:]) if token[:1] in (STEP, D, G) else (STEP, token)
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{token[:12]!r} is not a count of steps (12), critic updates (d3) or G updates (g1)")
        out = _append(out, op, int(count))
    return out


def format_log(log: list[tuple[str, int]]) -> str:
    return ".".join(str(n) if op == STEP else f"{op}{n}" for op, n in log)


def updates(log: list[tuple[str, int]], n_critic: int) -> tuple[int, int]:
    """(generator updates, critic updates) the log takes."""
    g = sum(n for op, n in log if op in (STEP, G))
    d = sum(n * n_critic if op == STEP else n for op, n in log if op in (STEP, D))
    return g, d


def clip_log(log: list[tuple[str, int]], n_critic: int) -> tuple[list[tuple[str, int]], bool]:
    """The longest start of `log` within the caps, and whether anything was cut."""
    out: list[tuple[str, int]] = []
    g = d = 0
    for op, n in log:
        per_g, per_d = {STEP: (1, n_critic), D: (0, 1), G: (1, 0)}[op]
        room = min(
            (MAX_G_UPDATES - g) // per_g if per_g else n,
            (MAX_G_UPDATES * n_critic - d) // per_d if per_d else n,
            n,
        )
        if room > 0:
            out = _append(out, op, room)
            g, d = g + room * per_g, d + room * per_d
        if room < n:
            return out, True
    return out, False


def _append(log: list[tuple[str, int]], op: str, n: int) -> list[tuple[str, int]]:
    if log and log[-1][0] == op:
        return [*log[:-1], (op, log[-1][1] + n)]
    return [*log, (op, n)]


class Live:
    """A Run and its log. Each update returns its label, as GAN Lab writes it: "D update 12: critic loss 0.41"."""

    def __init__(self, config: PlaygroundConfig) -> None:
        self.run = Run(config)
        self.log: list[tuple[str, int]] = []
        self.d_at: list[int] = []  # the generator updates taken before each critic update: the D curve's x

    @property
    def config(self) -> PlaygroundConfig:
        return self.run.config

    @property
    def g_updates(self) -> int:
        return self.run.g_step

    @property
    def d_updates(self) -> int:
        return len(self.run.history.d_loss)

    @property
    def at_cap(self) -> bool:
        return self.g_updates >= MAX_G_UPDATES

    def _check(self, g: int, d: int) -> None:
        if self.g_updates + g > MAX_G_UPDATES:
            raise CapReached(f"this run has reached the cap of {MAX_G_UPDATES:,} generator updates; reset it")
        if self.d_updates + d > MAX_G_UPDATES * self.config.n_critic:
            raise CapReached(
                f"this run has reached the cap of {MAX_G_UPDATES * self.config.n_critic:,} critic updates; reset it"
            )

    def _d(self) -> float:
        self.d_at.append(self.run.g_step)
        return self.run.step_d()

    def step_d(self) -> str:
        """One critic update."""
        self._check(0, 1)
        loss = self._d()
        self.log = _append(self.log, D, 1)
        return f"D update {self.d_updates}: critic loss {loss:.4g}"

    def step_g(self) -> str:
        """One generator update; n_critic critic updates just before it fold into one step of the log."""
        self._check(1, 0)
        loss = self.run.step_g()
        self.log = _append(self.log, G, 1)
        n = self.config.n_critic
        if len(self.log) >= 2 and self.log[-2][0] == D and self.log[-2][1] >= n and self.log[-1] == (G, 1):
            rest = self.log[-2][1] - n
            head = [*self.log[:-2], *([(D, rest)] if rest else [])]
            self.log = _append(head, STEP, 1)
        return f"G update {self.g_updates}: generator loss {loss:.4g}"

    def step(self) -> str:
        """n_critic critic updates, then one generator update."""
        n = self.config.n_critic
        self._check(1, n)
        d_losses = [self._d() for _ in range(n)]
        loss = self.run.step_g()
        self.log = _append(self.log, STEP, 1)
        return (
            f"D updates {self.d_updates - n + 1}–{self.d_updates}: critic loss {d_losses[-1]:.4g}; "
            f"G update {self.g_updates}: generator loss {loss:.4g}"
        )

    def advance(self, steps: int, seconds: float | None = None) -> tuple[int, str | None]:
        """Up to `steps` step()s, stopping at the cap and, given `seconds`, once that much time has passed (a frame's
        budget on a shared server); the steps taken and the last one's label (None when none was)."""
        start, taken, label = time.perf_counter(), 0, None
        while taken < steps and self.g_updates < MAX_G_UPDATES and self.d_updates + self.config.n_critic <= self._d_cap:
            if seconds is not None and taken and time.perf_counter() - start >= seconds:
                break
            label = self.step()
            taken += 1
        return taken, label

    @property
    def _d_cap(self) -> int:
        return MAX_G_UPDATES * self.config.n_critic

    def replay(self, log: list[tuple[str, int]]) -> None:
        """Take the log's actions (CapReached, before any is taken, when it goes beyond the caps)."""
        g, d = updates(log, self.config.n_critic)
        self._check(g, d)
        for op, n in log:
            for _ in range(n):
                {STEP: self.step, D: self.step_d, G: self.step_g}[op]()


def replayed(config: PlaygroundConfig, log: list[tuple[str, int]]) -> Live:
    live = Live(config)
    live.replay(log)
    return live


# What the page draws -------------------------------------------------------------------------------------------


def pattern_masses(live: Live) -> np.ndarray:
    """p_G on each of the 30 patterns, (30,), in world.patterns() order."""
    return live.run.distribution()[world.pattern_index()].numpy()


def pattern_images() -> np.ndarray:
    """The 30 patterns as (30, 4, 4)."""
    return world.patterns().view(-1, world.SIDE, world.SIDE).numpy()


def preactivated(live: Live) -> np.ndarray:
    """p = sigmoid(theta) of every latent and pixel, (32, 16)."""
    return torch.sigmoid(live.run.logits()).numpy()


def histogram(live: Live, bins: int = 25) -> dict[str, np.ndarray]:
    """{"edges", "heights"} of p over [0, 1], a density, as dashboard/_charts.histograms draws it."""
    heights, edges = np.histogram(preactivated(live), bins=bins, range=(0.0, 1.0), density=True)
    return {"edges": edges, "heights": heights}


def samples(live: Live, n: int = SAMPLES) -> np.ndarray:
    """The first n latents' samples, (n, 4, 4): Bernoulli draws for SBN from a stream of their own (the same
    uniforms every frame, so a sample changes only as the generator does), the threshold for DBN and real."""
    p = torch.sigmoid(live.run.logits()[:n])
    neuron = "sbn" if live.config.neuron == "sbn" else "dbn"  # real: thresholded, as the world measures it
    y = sample_binary(p, neuron, rng.generator(live.config.seed, "output-noise"))
    return y.view(n, world.SIDE, world.SIDE).numpy()


def curves(live: Live) -> dict[str, tuple[list[float], list[float]]]:
    """The exact quantities over generator updates: {"JS": (steps, values), "KL": ...}; KL's infinities are gaps."""
    h = live.run.history
    steps = [float(s) for s in h.exact_steps]
    return {
        "JS": (steps, [e.js for e in h.exact]),
        "KL": (steps, [e.kl if math.isfinite(e.kl) else math.nan for e in h.exact]),
    }


def losses(live: Live) -> dict[str, tuple[list[float], list[float]]]:
    """The losses against generator updates: each critic update at the generator updates taken before it, spread
    evenly within the step, and each generator update at its own count."""
    d_x: list[float] = []
    within, last = 0, -1
    for at in live.d_at:
        within = within + 1 if at == last else 0  # critic updates since the last generator update
        last = at
        d_x.append(at + within / live.config.n_critic)
    g_loss = live.run.history.g_loss
    return {
        "D loss": (d_x, list(live.run.history.d_loss)),
        "G loss": ([float(i + 1) for i in range(len(g_loss))], list(g_loss)),
    }


def agreement_rows(live: Live, repeats: int = 16) -> list[dict[str, Any]]:
    """For SBN: each estimator against the exact gradient at the current generator and critic (gradient.compare),
    one row per estimator. ValueError for the other neurons, which have no exact gradient to compare with."""
    if live.config.neuron != "sbn":
        raise ValueError("the estimators are compared against the true gradient of the SBN only")
    run = live.run
    _, found = gradient.compare(run.logits(), run.critic, run.config.objective, run.slope, repeats, run.config.seed)
    return [{"estimator": name, **dataclasses.asdict(a)} for name, a in found.items()]
