"""The metrics on inputs whose answers are known, and the one list of them every table reads."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from training.data import load_split
from training.metrics import (
    METRICS,
    EvaluationError,
    Metric,
    class_histogram,
    class_kl,
    classes_2pct,
    frechet_distance,
    gaussian_stats,
    knn_radii,
    mass_near_01,
    nearest_hamming,
    notch_depth,
    on_fraction,
    precision_recall,
    speckle_rate,
)


def uniform(n: int = 200_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def test_speckle_counts_pixels_without_4_neighbours():
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 5, 5] = 1  # isolated
    img[0, 10, 10] = img[0, 10, 11] = 1  # a pair: neither is isolated
    img[0, 20, 20] = img[0, 21, 21] = 1  # diagonal neighbours do not count: both isolated
    img[0, 0, 0] = 1  # at the border, outside is off: isolated
    assert speckle_rate(img) == 4.0
    assert speckle_rate(np.concatenate([img, np.zeros_like(img)])) == 2.0  # per image


def test_on_fraction_mean_and_std():
    imgs = np.zeros((2, 28, 28), np.uint8)
    imgs[1, :14] = 1  # half on
    assert on_fraction(imgs) == (0.25, 0.25)


def test_frechet_distance_of_identical_sets_is_zero_and_of_shifted_sets_the_squared_shift():
    f = np.random.default_rng(0).normal(size=(2000, 16))
    stats = gaussian_stats(f)
    assert frechet_distance(*stats, *stats) == pytest.approx(0.0, abs=1e-6)
    shifted = gaussian_stats(f + 3.0)  # same covariance, mean moved by 3 in each of 16 dimensions
    assert frechet_distance(*stats, *shifted) == pytest.approx(16 * 9.0, rel=1e-6)


def test_precision_recall_identical_sets_are_one_and_disjoint_clusters_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8))
    assert precision_recall(a, a.copy()) == (1.0, 1.0)
    assert precision_recall(a, a + 100.0) == (0.0, 0.0)


def test_precision_recall_of_a_dropped_mode():
    rng = np.random.default_rng(1)
    real = np.concatenate([rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 50])
    fake = rng.normal(size=(200, 4))  # only the first mode
    precision, recall = precision_recall(real, fake)
    assert precision > 0.9 and 0.4 < recall <= 0.5


def test_knn_radii_is_the_kth_neighbour_excluding_itself():
    points = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # k=3: for 0 the neighbours are 1, 3, 6 -> radius 6, squared 36; for 10 they are 6, 3, 1 -> 9, squared 81
    assert knn_radii(points, 3).tolist() == [36.0, 25.0, 9.0, 25.0, 81.0]


def test_class_kl_of_the_test_labels_is_zero_and_of_one_class_its_surprise(tiny_mnist):
    labels = load_split("test", tiny_mnist, verify=False).labels
    q = class_histogram(labels)
    assert class_kl(q, q) == pytest.approx(0.0, abs=1e-12)
    uniform = np.full(10, 0.1)
    one = np.eye(10)[3]
    assert class_kl(one, uniform) == pytest.approx(math.log(10))
    assert classes_2pct(one) == 1 and classes_2pct(uniform) == 10
    assert classes_2pct(np.array([0.02, 0.0199] + [0.0] * 8)) == 1


def test_nearest_hamming_matches_brute_force_and_can_leave_one_out():
    rng = np.random.default_rng(0)
    base = (rng.random((50, 28, 28)) < 0.3).astype(np.uint8)
    queries = (rng.random((7, 28, 28)) < 0.3).astype(np.uint8)
    brute = np.array([min(int((q != b).sum()) for b in base) for q in queries])
    assert nearest_hamming(queries, base).tolist() == brute.tolist()
    assert (nearest_hamming(base, base) == 0).all()
    loo = nearest_hamming(base[:10], base, exclude_self=True)
    assert loo.tolist() == [min(int((base[i] != base[j]).sum()) for j in range(50) if j != i) for i in range(10)]


def _symmetric_frechet(mu1, s1, mu2, s2) -> float:
    """The same distance by another route: tr((s1 s2)^(1/2)) = tr((r s2 r)^(1/2)) with r = s1^(1/2), all symmetric."""
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(r @ s2 @ r)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())


def test_frechet_distance_of_rank_deficient_covariances_is_exact():
    """2 samples in 10 dimensions (a rank-1 covariance) against 9 (rank 8): no regularising, no lost digits."""
    rng = np.random.default_rng(10)
    a, b = gaussian_stats(rng.normal(size=(2, 10))), gaussian_stats(rng.normal(size=(9, 10)))
    assert np.linalg.matrix_rank(a[1]) == 1 and np.linalg.matrix_rank(b[1]) == 8
    assert frechet_distance(*a, *b) == pytest.approx(_symmetric_frechet(*a, *b), rel=1e-7)
    assert frechet_distance(*a, *a) == pytest.approx(0.0, abs=1e-7)


def test_frechet_distance_refuses_matrices_that_are_not_covariances():
    mu = np.zeros(4)
    with pytest.raises(EvaluationError, match="imaginary part.*not covariances"):
        frechet_distance(mu, np.eye(4), mu, -np.eye(4))  # tr((-I)^(1/2)) = 4i


def test_every_metric_has_one_entry_and_a_table_format():
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    for m in METRICS:
        assert m.format(None) == "–" and m.format(0.5)
        assert m.better in ("higher", "lower", None)


def test_mass_near_01_counts_values_below_005_or_above_095():
    pre = np.array([0.0, 0.049, 0.05, 0.5, 0.95, 0.951, 1.0, 0.3])
    assert mass_near_01(pre) == pytest.approx(4 / 8)
    assert mass_near_01(uniform()) == pytest.approx(0.10, abs=0.005)
    assert mass_near_01(np.zeros((3, 28, 28))) == 1.0  # any shape; every element counts


def test_notch_depth_is_zero_for_flat_positive_for_a_dip_negative_for_a_bump():
    flat = uniform()
    assert notch_depth(flat) == pytest.approx(0.0, abs=0.05)
    dip = flat[np.abs(flat - 0.5) >= 0.02]  # the centre bins emptied
    assert notch_depth(dip) == pytest.approx(1.0)
    half = np.concatenate([flat, dip])  # the centre at half the flank density
    assert notch_depth(half) == pytest.approx(0.5, abs=0.05)
    bump = np.concatenate([flat, np.full(10_000, 0.5)])
    assert notch_depth(bump) < -1.0


def test_notch_depth_uses_exactly_the_documented_intervals():
    # 2 values in the centre [0.48, 0.52) (width 0.04), 10 in the flanks (width 0.2): 1 - (2/.04)/(10/.2) = 0
    pre = np.array([0.48, 0.519] + [0.35, 0.4, 0.449, 0.55, 0.6, 0.649, 0.36, 0.37, 0.56, 0.57] + [0.45, 0.65, 0.1])
    assert notch_depth(pre) == pytest.approx(0.0)
    assert notch_depth(np.array([0.0, 1.0, 0.5])) == 0.0  # empty flanks: no shoulder, no notch


@pytest.mark.parametrize("fn", [mass_near_01, notch_depth])
def test_shape_metrics_refuse_empty_and_non_finite_input(fn):
    with pytest.raises(ValueError, match="at least one"):
        fn(np.array([]))
    with pytest.raises(ValueError, match="finite"):
        fn(np.array([0.2, np.nan]))


@settings(max_examples=50, deadline=None)
@given(hst.lists(hst.floats(0, 1), min_size=1, max_size=300))
def test_shape_metrics_stay_in_range(values):
    pre = np.array(values)
    assert 0.0 <= mass_near_01(pre) <= 1.0
    assert notch_depth(pre) <= 1.0


@pytest.mark.parametrize(
    ("sd", "text"),
    [
        (0.0, "0"),
        (7e-05, "0.000070"),
        (0.0022, "0.0022"),
        (0.5773, "0.58"),
        (1.03, "1.0"),
        (22.7, "23"),
        (104.9, "105"),
    ],
)
def test_a_spread_over_seeds_prints_two_significant_digits_and_never_an_exponent(sd, text):
    assert Metric.sd_format(sd) == text
