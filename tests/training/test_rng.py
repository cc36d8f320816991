"""training/rng.py: one seed range, and streams that are functions of (seed, purpose, index) alone."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from training import rng


def test_the_seed_range_is_what_torchs_generator_keeps():
    """Seeds past 2**32 - 1 alias on torch's CPU generator: that is why the range stops there."""
    top = torch.rand(4, generator=torch.Generator().manual_seed(rng.MAX_SEED))
    assert torch.equal(
        torch.rand(4, generator=torch.Generator().manual_seed(rng.MAX_SEED + 1)),
        torch.rand(4, generator=torch.Generator().manual_seed(0)),
    )
    assert not torch.equal(top, torch.rand(4, generator=torch.Generator().manual_seed(0)))
    assert rng.validate_seed(rng.MAX_SEED) == 2**32 - 1 and rng.validate_seed(np.uint32(7)) == 7


@pytest.mark.parametrize("bad", [-1, 2**32, 2**63, 1.0, "3", True, None])
def test_seeds_outside_the_range_are_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"training seed must be an integer in \[0, 2\*\*32 - 1\]"):
        rng.validate_seed(bad, "training seed")
    with pytest.raises(ValueError, match="seed"):
        rng.generator(bad, "output-noise")


def test_a_stream_is_a_function_of_its_key():
    a = torch.rand(8, generator=rng.generator(5, "output-noise"))
    torch.rand(1000)  # the global generator moving changes nothing
    torch.rand(100, generator=rng.generator(5, "gate-noise"))  # nor does another stream
    assert torch.equal(a, torch.rand(8, generator=rng.generator(5, "output-noise")))


def test_streams_of_different_keys_do_not_replay_each_other():
    keys = [
        (seed, purpose, *idx)
        for seed in (0, 1, 2**32 - 1)
        for purpose, idx in [
            ("latents", ()),
            ("output-noise", ()),
            ("gate-noise", ()),
            ("routing", ()),
            ("paths", ()),
            ("gradient-lab", ()),
            ("estimator-lab-truth", (0,)),
            ("estimator-lab-truth", (1,)),
            ("estimator-lab-draws", (1, 0, 0)),
            ("estimator-lab-draws", (1, 0, 2)),
            ("estimator-lab-draws", (0, 1, 2)),
        ]
    ]
    states = [rng.stream_seed(*k) for k in keys]
    assert len(set(states)) == len(keys)
    draws = [torch.rand(64, generator=rng.generator(*k)) for k in keys]
    for a, b in itertools.combinations(draws, 2):
        assert not torch.equal(a, b)


def test_the_latents_stream_is_the_seed_itself():
    """Every shipped sample was drawn from torch's generator seeded with the seed: that stream must not move."""
    assert rng.stream_seed(1234, "latents") == 1234


def test_a_derived_stream_is_not_an_offset_of_the_seed():
    """seed + 2**32 was the old noise stream, which torch read as the seed itself."""
    for seed in (0, 3, 77):
        noise = rng.stream_seed(seed, "output-noise")
        assert noise not in {seed, (seed + 2**32) % 2**32, seed + 1}


@pytest.mark.parametrize(
    "purpose, index, message",
    [
        ("nope", (), "unknown random stream"),
        ("output-noise", (1,), "takes 0"),
        ("estimator-lab-truth", (), "takes 1"),
        ("estimator-lab-truth", (-1,), "non-negative"),
        ("estimator-lab-draws", (1, 2), "takes 3"),
    ],
)
def test_malformed_keys_are_refused(purpose, index, message):
    with pytest.raises(ValueError, match=message):
        rng.stream_seed(0, purpose, *index)


@pytest.mark.parametrize("shape", [(300, 784), (300, 2)])
def test_row_major_draws_are_the_same_whatever_the_chunks(shape):
    """The guarantee the samplers build on: row i of a draw of (N, D) is the same for any N and any chunking."""
    whole = torch.rand(shape, generator=rng.generator(9, "output-noise"))
    g = rng.generator(9, "output-noise")
    chunked = torch.cat([torch.rand(n, shape[1], generator=g) for n in (1, 7, 64, 228)])
    assert torch.equal(whole, chunked)
    assert torch.equal(torch.rand(17, shape[1], generator=rng.generator(9, "output-noise")), whole[:17])
    g = rng.generator(9, "routing")
    ints = torch.randint(4, (300,), generator=rng.generator(9, "routing"))
    assert torch.equal(torch.cat([torch.randint(4, (n,), generator=g) for n in (5, 95, 200)]), ints)
