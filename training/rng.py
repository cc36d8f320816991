"""Every random stream outside training, and the one seed range of the project.

A seed is an integer in [0, MAX_SEED]: the CLI, the API, the dashboard and its address all take that range and refuse
the rest. torch's CPU generator keeps only the low 32 bits of a seed, so a wider range would alias (seed 2**32 would
draw seed 0's numbers while recording another seed).

Each purpose draws from its own stream, a torch.Generator seeded from (seed, purpose, index...):
  - "latents" is torch's generator seeded with the seed itself, as every shipped sample and metric was drawn;
  - every other purpose is the child of numpy's SeedSequence(seed) with spawn key (purpose code, index...), cut to
    the 32 bits torch keeps. A child is a hash of the whole key, never the seed plus an offset, so no two purposes or
    indices of one seed replay each other's numbers (two keys share a generator state with chance 2**-32).
Each purpose has a fixed number of indices, so keys of one purpose never differ only by trailing zeros.

The guarantees the samplers build on (tests/training/test_rng.py):
  - a stream is a function of its key alone: drawing it never moves torch's global generator or another stream;
  - torch's CPU generator fills a tensor element by element, in order, so row i of a row-major draw of (N, D) is the
    same for every N and every split into chunks: a sample depends on its seed and its row, not on its batch.

Training is outside this module: the trainer seeds torch's global generator (initialisation) and its own generator
(data order, latents, neuron noise) with the training seed itself, so that every shipped checkpoint retrains to the
same bytes (docs/reproducible.md says what the two share, and why it stays).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch is imported where a generator is made: the dashboard validates seeds without it
    import torch

MAX_SEED = 2**32 - 1
LATENTS = "latents"

# purpose -> (code, number of indices); a code is never reused for another purpose
PURPOSES: dict[str, tuple[int, int]] = {
    LATENTS: (0, 0),  # the seed itself (see above)
    "output-noise": (1, 0),  # the SBN output layer's Bernoulli uniforms, (N, 784) row by row
    "gate-noise": (2, 0),  # a gated SBN generator's gate uniforms, (N, m) row by row
    "routing": (3, 0),  # an expert drawn at random, independent of z (the random-routing control)
    "paths": (4, 0),  # the evaluation's interpolation paths (gate flip rate)
    "gradient-lab": (5, 0),  # the gradient lab's draws of the expected gradient
    "estimator-lab-truth": (6, 1),  # (sample index,): the estimator lab's exact-gradient draws
    "estimator-lab-draws": (7, 3),  # (sample index, estimator index, budget): one estimator's estimates
    "temperature-scan": (8, 3),  # (sample index, estimator index, temperature index): the temperature choice's draws
    "playground-init": (9, 0),  # the exact world's generator and critic weights (explorer/playground/train.py)
    "playground-data": (10, 0),  # the exact world's real batches, drawn from the 30 bars-and-stripes patterns
    "playground-noise": (11, 0),  # the exact world's neuron noise, estimator draws and penalty mixing
    "playground-draws": (12, 1),  # (estimator index,): the exact world's estimator comparison draws
}


def validate_seed(seed: Any, what: str = "seed") -> int:
    """`seed` as an int in [0, MAX_SEED]; anything else is refused with a message naming it."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{what} must be an integer in [0, 2**32 - 1] = [0, {MAX_SEED}], got {seed!r}")
    return int(seed)


def stream_seed(seed: int, purpose: str, *index: int) -> int:
    """The 32-bit generator state of the stream (seed, purpose, *index)."""
    seed = validate_seed(seed)
    if purpose not in PURPOSES:
        raise ValueError(f"unknown random stream {purpose!r}; known: {', '.join(PURPOSES)}")
    code, arity = PURPOSES[purpose]
    if len(index) != arity or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 0 for i in index):
        raise ValueError(f"stream {purpose!r} takes {arity} non-negative integer index(es), got {index!r}")
    if purpose == LATENTS:
        return seed
    child = np.random.SeedSequence(seed, spawn_key=(code, *(int(i) for i in index)))
    return int(child.generate_state(1, np.uint32)[0])


def generator(seed: int, purpose: str, *index: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh torch.Generator for the stream (seed, purpose, *index)."""
    import torch

    return torch.Generator(device=device).manual_seed(stream_seed(seed, purpose, *index))
