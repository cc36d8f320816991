"""explorer.analysis and explorer.render: the numbers and pictures behind the dashboard's views."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from explorer import analysis, render
from tests.helpers import REPO


def uniform(n: int = 200_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


@pytest.mark.parametrize("bins", [10, 50, 200])
def test_histogram_density_integrates_to_one_and_fractions_sum_to_one(bins):
    pre = uniform(10_000)
    edges, dens = analysis.histogram(pre, bins, density=True)
    assert edges.shape == (bins + 1,) and dens.shape == (bins,)
    assert edges[0] == 0.0 and edges[-1] == 1.0
    assert np.sum(dens * np.diff(edges)) == pytest.approx(1.0)
    _, frac = analysis.histogram(pre, bins, density=False)
    assert frac.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="bins"):
        analysis.histogram(pre, 1)


def test_threshold_and_bernoulli_views():
    p = np.array([[0.0, 0.5, 0.51, 1.0]])
    assert analysis.threshold_view(p).tolist() == [[0, 0, 1, 1]]
    big = np.full((200, 28, 28), 0.3)
    b1, b2 = analysis.bernoulli_view(big, seed=1), analysis.bernoulli_view(big, seed=1)
    assert b1.dtype == np.uint8 and set(np.unique(b1)) <= {0, 1}
    assert np.array_equal(b1, b2)  # seeded
    assert not np.array_equal(b1, analysis.bernoulli_view(big, seed=2))
    assert b1.mean() == pytest.approx(0.3, abs=0.01)
    assert analysis.bernoulli_view(np.array([0.0, 1.0]), seed=0).tolist() == [0, 1]


def test_linear_interpolation_walks_the_chord():
    z0, z1 = np.zeros(128), np.ones(128)
    path = analysis.interpolate(z0, z1, 5, "linear")
    assert path.shape == (5, 128) and path.dtype == np.float32
    assert np.allclose(path[:, 0], [0, 0.25, 0.5, 0.75, 1.0])


def test_spherical_interpolation_keeps_the_norm_and_hits_both_ends():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(128), rng.standard_normal(128)
    path = analysis.interpolate(z0, z1, 9, "spherical")
    assert np.allclose(path[0], z0, atol=1e-5) and np.allclose(path[-1], z1, atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    assert np.allclose(norms, np.linspace(np.linalg.norm(z0), np.linalg.norm(z1), 9), rtol=1e-5)
    # the linear midpoint of two independent latents is ~1/sqrt(2) as long: the reason slerp exists
    assert np.linalg.norm(analysis.interpolate(z0, z1, 3, "linear")[1]) < 0.8 * norms[4]
    # equal directions: slerp degenerates to scaling along that direction instead of dividing by sin(0)
    same = analysis.interpolate(z0, 2 * z0, 3, "spherical")
    assert np.allclose(same[1], 1.5 * z0, rtol=1e-5)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_spherical_interpolation_between_opposite_latents_keeps_the_norm(scale):
    """z1 = -z0: every great circle joins them; the path takes one, and never passes through the origin."""
    z0 = np.random.default_rng(1).standard_normal(128)
    path = analysis.interpolate(z0, -scale * z0, 9, "spherical")
    assert np.allclose(path[0], z0, atol=1e-5) and np.allclose(path[-1], -scale * z0, atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    assert np.allclose(norms, np.linspace(1, scale, 9) * np.linalg.norm(z0), rtol=1e-5)
    cosines = (path[1:] * path[:-1]).sum(1) / (norms[1:] * norms[:-1])
    assert np.allclose(cosines, np.cos(np.pi / 8), atol=1e-5)  # equal angular steps along one great circle


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(3), np.zeros(4), 5, "linear"), "shape"),
        ((np.zeros(3), np.zeros(3), 1, "linear"), "steps"),
        ((np.zeros(3), np.zeros(3), 500, "linear"), "steps"),
        ((np.zeros(3), np.zeros(3), 5, "cubic"), "kind"),
    ],
)
def test_interpolate_refuses_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        analysis.interpolate(*args)


def test_pixel_flips_counts_changes_between_consecutive_frames():
    frames = np.zeros((4, 28, 28), dtype=np.uint8)
    frames[1, :2] = 1  # 56 pixels turn on
    frames[2, :2] = 1
    frames[2, 5, 5] = 1  # one more
    assert analysis.pixel_flips(frames).tolist() == [56, 1, 57]
    with pytest.raises(ValueError):
        analysis.pixel_flips(frames[:1])


def test_slope_schedule_is_the_papers():
    e, s = analysis.slope_schedule(1.0, 1.1, 20)
    assert e.tolist() == list(range(1, 21))
    assert s[0] == 1.0 and s[-1] == pytest.approx(1.1**19) and s[-1] == pytest.approx(6.116, abs=1e-3)
    assert np.all(analysis.slope_schedule(1.0, 1.0, 20)[1] == 1.0)


def test_colormap_png_draws_p_in_the_digits_ink():
    pre = np.zeros((4, 28, 28), dtype=np.float32)
    pre[1] = 1.0
    img = np.asarray(Image.open(io.BytesIO(render.colormap_png(pre, ncols=2, scale=1))))
    assert img.shape == (2 * 29 + 1, 2 * 29 + 1, 3)
    assert tuple(img[1, 1]) == (255, 255, 255)  # p = 0: paper
    assert tuple(img[1, 30]) == (0, 0, 0)  # p = 1: ink, as a binary sample's on pixel
    assert tuple(img[0, 0]) == tuple(render.PAD_RGB)


def test_side_by_side_puts_variants_left_to_right_dark_on_white():
    a, b = np.zeros((3, 28, 28)), np.ones((3, 28, 28))
    movie = render.side_by_side([a, b], pad=2)
    assert movie.shape == (3, 32, 2 * 30 + 2)
    assert movie[0, 2, 2] == 1.0 and movie[0, 2, 32] == 0.0


def test_the_numpy_only_modules_import_without_torch():
    """A notebook that only judges claims or computes histograms need not pay for importing torch."""
    code = "import sys, explorer.analysis, explorer.claims; print('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr
