"""explorer/playground/world.py: the bars-and-stripes data, the exact p_G, and its divergences."""

from __future__ import annotations

import math

import pytest
import torch

from explorer.playground import world
from training.neurons import sample_binary


def concentrated_logits() -> torch.Tensor:
    """Logits (32, 16) whose latent l mostly draws pattern l % 30, with noise so every image has some mass."""
    noise = torch.randn(world.LATENTS, world.PIXELS, generator=torch.Generator().manual_seed(3))
    target = world.patterns()[torch.arange(world.LATENTS) % world.PATTERNS]
    return 3.0 * (2 * target - 1) + noise


def test_the_data_is_the_30_bars_and_stripes_images_uniformly():
    grids = world.patterns().view(-1, world.SIDE, world.SIDE)
    assert len(torch.unique(grids.flatten(1), dim=0)) == 30
    for g in grids:  # every row constant, or every column constant
        assert bool((g == g[:, :1]).all()) or bool((g == g[:1, :]).all())
    p = world.data_distribution()
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-15)
    assert set(p[p > 0].tolist()) == {1 / 30}
    assert world.patterns_covered(p) == 30 and world.mass_off_data(p) == 0.0


def test_image_indices_round_trip():
    assert torch.equal(world.image_index(world.all_images()), torch.arange(world.IMAGES))


def test_the_sbn_distribution_sums_to_one_and_matches_monte_carlo():
    theta = concentrated_logits()
    p_g = world.exact_distribution(theta, "sbn")
    # 65,536 x 32 float64 products of 16 factors, each good to a few ulps, summed: far below 1e-12
    assert float(p_g.sum()) == pytest.approx(1.0, abs=1e-12)
    n_rounds = 6000  # 6000 x 32 = 192,000 samples
    probabilities = torch.sigmoid(theta).repeat(n_rounds, 1)
    y = sample_binary(probabilities, "sbn", torch.Generator().manual_seed(0))
    frequency = torch.bincount(world.image_index(y), minlength=world.IMAGES).double() / len(y)
    covered = world.pattern_index()[p_g[world.pattern_index()] >= world.COVERED_THRESHOLD]
    assert len(covered) == 30
    expected = p_g[covered]
    standard_error = (expected * (1 - expected) / len(y)).sqrt()
    assert bool(((frequency[covered] - expected).abs() <= 4 * standard_error).all())


def test_dbn_and_real_put_a_point_mass_on_each_latents_thresholded_output():
    theta = concentrated_logits()
    for neuron in ("dbn", "real"):
        p_g = world.exact_distribution(theta, neuron)
        assert float(p_g.sum()) == 1.0
        # latents 30 and 31 repeat patterns 0 and 1, so those two get 2/32
        assert sorted(p_g[p_g > 0].tolist()) == [1 / 32] * 28 + [2 / 32] * 2
        assert world.patterns_covered(p_g) == 30 and world.mass_off_data(p_g) == 0.0


def test_js_is_zero_on_itself_symmetric_and_at_most_log_2():
    data = world.data_distribution()
    assert world.js_divergence(data, data) == 0.0
    other = world.exact_distribution(torch.randn(32, 16, generator=torch.Generator().manual_seed(1)), "sbn")
    js = world.js_divergence(data, other)
    assert 0 < js <= math.log(2)
    assert js == pytest.approx(world.js_divergence(other, data), rel=1e-12)
    disjoint = torch.zeros(world.IMAGES, dtype=torch.float64)
    disjoint[1] = 1.0  # a single pixel on: not a pattern
    assert world.js_divergence(data, disjoint) == pytest.approx(math.log(2), rel=1e-12)


def test_kl_of_the_data_is_infinite_when_p_misses_a_pattern():
    data = world.data_distribution()
    assert world.kl_divergence(data, data) == 0.0
    missing = data.clone()
    missing[world.pattern_index()[0]] = 0.0
    missing /= missing.sum()
    assert world.kl_divergence(data, missing) == math.inf
    assert world.patterns_covered(missing) == 29
    assert world.kl_divergence(missing, data) == pytest.approx(math.log(30 / 29), rel=1e-12)


def test_measure_reads_every_quantity():
    half = 0.5 * world.data_distribution()
    half[1] = 0.5  # half the mass on one non-pattern image
    exact = world.measure(half)
    assert exact.covered == 30 and exact.off_data == pytest.approx(0.5)
    assert exact.kl == pytest.approx(math.log(2), rel=1e-12)  # p_data / p_G = 2 on every pattern
