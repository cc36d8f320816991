"""The one temperature of each estimator that has one, chosen in the lab before any of them trains.

The rule (docs/estimators.md, "The temperatures"): on the baseline's trained critic (ESTIMATOR_BASELINE), for the
lab's shipped samples of seed 0, each candidate temperature's estimate at one draw (a training step's budget) is
scored by its MSE against the exact gradient, relative to the truth's squared norm; the temperature with the lowest
mean over the samples is the one the variant trains with. `python -m explorer.estimator_lab.temperature` prints the
scan, and tests/explorer/test_estimator_lab_temperature.py holds the registry to its choice.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch

from explorer.estimator_lab.compute import REPETITIONS, SHIPPED_SAMPLES, TRUTH_DRAWS, _summarise, exact_gradient
from explorer.gradient_lab import compute as gradient_lab
from training import rng
from training.estimators import FUNCTIONS
from training.pretrained import BinaryGAN, Critic, load_generator
from training.sampling import make_latents
from training.variants import ESTIMATOR_BASELINE

TEMPERATURES = (0.1, 0.25, 0.5, 1.0, 2.0)
SCANNED = ("gumbel-rao", "gst", "decoupled-st")


@dataclass(frozen=True)
class Scan:
    """Relative MSE (MSE / ||truth||²) and cosine at one draw, per estimator and temperature, mean over samples."""

    mse: dict[tuple[str, float], float]
    cosine: dict[tuple[str, float], float]

    def chosen(self, estimator: str) -> float:
        return min(TEMPERATURES, key=lambda t: self.mse[(estimator, t)])


def scan(
    generator: BinaryGAN,
    critic: Critic,
    indices: tuple[int, ...] = SHIPPED_SAMPLES,
    seed: int = 0,
    repetitions: int = REPETITIONS,
    truth_draws: int = TRUTH_DRAWS,
) -> Scan:
    mse: dict[tuple[str, float], list[float]] = {}
    cosine: dict[tuple[str, float], list[float]] = {}
    for index in indices:
        z = make_latents(index + 1, seed, generator.latent_dim)[index:]  # (1, 128): the page's sample `index`
        fwd = gradient_lab.forward(generator, critic, z, seed)
        truth, se = exact_gradient(critic, fwd.p[0], truth_draws, rng.generator(seed, "estimator-lab-truth", index))
        theta = torch.from_numpy(fwd.slope * fwd.logits).repeat(repetitions, 1)  # (R, 784)
        norm2 = float(np.sum(truth**2))
        for e in SCANNED:
            for t in TEMPERATURES:
                draws = rng.generator(seed, "temperature-scan", index, SCANNED.index(e), TEMPERATURES.index(t))
                estimates = FUNCTIONS[e](theta, critic.differentiable, 1, draws, temperature=t)  # type: ignore[call-arg]
                cell, _ = _summarise(e, 1, 1, estimates.detach().double().numpy(), truth, se)
                mse.setdefault((e, t), []).append(cell.mse / norm2)
                cosine.setdefault((e, t), []).append(cell.cosine)
    mean = lambda d: {k: float(np.mean(v)) for k, v in d.items()}  # noqa: E731
    return Scan(mean(mse), mean(cosine))


def markdown(result: Scan) -> str:
    head = "| estimator | " + " | ".join(f"τ = {t:g}" for t in TEMPERATURES) + " | chosen |"
    rows = [head, "|---" * (len(TEMPERATURES) + 2) + "|"]
    for e in SCANNED:
        cells = [f"{result.mse[(e, t)]:.2f} ({result.cosine[(e, t)]:.2f})" for t in TEMPERATURES]
        rows.append(f"| {e} | " + " | ".join(cells) + f" | {result.chosen(e):g} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown(scan(load_generator(ESTIMATOR_BASELINE), Critic.from_pretrained(ESTIMATOR_BASELINE))))
    sys.exit(0)
