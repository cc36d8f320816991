"""Gradient lab (explorer.gradient_lab): flip maps against brute force, the SBN expectation against exact enumeration, the estimator maps
against autograd through the project's neurons, and the agreement statistics on known vectors."""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import CheckpointError, CheckpointNotFound, load_generator, make_latents
from explorer.demo import write_critic, write_untrained
from explorer.gradient_lab import compute, store
from explorer.gradient_lab.__main__ import main
from explorer.store import sources
from tests.helpers import f32_tol
from training import rng
from training.critic import save_critic
from training.networks import build_discriminator
from training.neurons import binarize
from training.pretrained import Critic, CriticNotFound
from training.variants import REGISTRY, get_variant

REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"
WITH_CRITIC = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-dbn-wgan-gp-st", "mlp-sbn-wgan-gp-st", "mlp-gumbel-wgan-gp")


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory):
    """Seeded untrained generators with critics for the binary variants above, one generator without a critic
    (mlp-dbn-wgan) and a real-valued one with a critic (never offered)."""
    root = tmp_path_factory.mktemp("gradient-lab")
    for i, name in enumerate(WITH_CRITIC + ("mlp-dbn-wgan", "mlp-real-wgan-gp")):
        write_untrained(root / name, name, seed=i)
        if name != "mlp-dbn-wgan":
            write_critic(root / name, seed=10 + i)
    return root


@pytest.fixture
def lab(lab_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(lab_root))
    return lab_root


def random_critic(name: str, seed: int, scale: float = 1.0) -> Critic:
    """A critic with seeded random weights; `scale` > 1 makes it more nonlinear in its input."""
    cfg = get_variant(name)
    torch.manual_seed(seed)
    D = build_discriminator(cfg)
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(scale)
        for m in D.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    state = {k: v for k, v in D.state_dict().items() if not k.endswith("num_batches_tracked")}
    return Critic(cfg, state, {"epoch": 0}, "test")


def flip_tol(critic: Critic, y: np.ndarray, expected: np.ndarray) -> float:
    """flip_effects scores every flipped image in batches (the MLP through its first layer's shortcut); brute force
    scores one image at a time: another path. A flip effect is a difference of two scores, so its rounding error
    is ~eps * |D(y)| per term, summed over the first layer's 784 inputs, not relative to the (smaller) effect."""
    tol = f32_tol(critic.scores(torch.from_numpy(np.atleast_2d(y))).abs().max().item(), terms=784)
    assert tol < 1e-3 * np.abs(expected).max()  # still far below any real flip effect: a wrong pixel fails
    return tol


def brute_force_flips(critic: Critic, y: np.ndarray, pixels) -> np.ndarray:
    base = critic.scores(torch.from_numpy(y[None]))[0]
    out = []
    for i in pixels:
        z = y.copy()
        z[i] = 1.0 - z[i]
        out.append(float(critic.scores(torch.from_numpy(z[None]))[0] - base))
    return np.array(out)


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-dbn-gan"])  # linear first layer; BatchNorm in eval mode
def test_mlp_flip_map_is_brute_force_for_every_pixel(name):
    critic = random_critic(name, seed=1, scale=3.0)
    rng = np.random.default_rng(0)
    y = (rng.random((2, 784)) < 0.2).astype(np.float32)
    delta = compute.flip_effects(critic, y)
    assert delta.shape == (2, 784)
    for row in range(2):
        expected = brute_force_flips(critic, y[row], range(784))
        np.testing.assert_allclose(delta[row], expected, rtol=0, atol=flip_tol(critic, y[row], expected))


def test_cnn_flip_map_runs_every_flipped_image_and_matches_brute_force():
    critic = random_critic("cnn-dbn-wgan-gp", seed=2, scale=2.0)
    assert critic._first is None  # the generic path
    y = (np.random.default_rng(1).random(784) < 0.2).astype(np.float32)
    delta = compute.flip_effects(critic, y)[0]
    pixels = np.random.default_rng(2).choice(784, 60, replace=False)
    expected = brute_force_flips(critic, y, pixels)
    np.testing.assert_allclose(delta[pixels], expected, rtol=0, atol=flip_tol(critic, y, expected))


def test_on_minus_off_is_the_signed_flip_effect():
    critic = random_critic("mlp-dbn-wgan-gp", seed=3, scale=3.0)
    y = (np.random.default_rng(3).random((1, 784)) < 0.3).astype(np.float32)
    t = compute.on_minus_off(critic, y)[0]
    for i in (0, 100, 400, 783):
        on, off = y[0].copy(), y[0].copy()
        on[i], off[i] = 1.0, 0.0
        d = critic.scores(torch.from_numpy(np.stack([on, off])))  # a batch of 2, not on_minus_off's batches
        assert t[i] == pytest.approx(float(d[0] - d[1]), abs=f32_tol(d.abs().max(), terms=784))


def test_sbn_expected_gradient_matches_exact_enumeration():
    """Six pixels are random, the rest have p exactly 0 or 1: E[D(y | y_i=1) - D(y | y_i=0)] is a 64-term sum."""
    critic = random_critic("mlp-sbn-wgan-gp", seed=4, scale=4.0)
    rng = np.random.default_rng(4)
    p = (rng.random(784) < 0.2).astype(np.float32)
    free = np.array([100, 101, 128, 300, 301, 500])
    p[free] = [0.1, 0.5, 0.9, 0.3, 0.7, 0.6]
    exact = np.zeros(784)
    for bits in itertools.product((0.0, 1.0), repeat=len(free)):
        y = p.copy()
        y[free] = bits
        prob = np.prod(np.where(np.array(bits) == 1.0, p[free], 1.0 - p[free]))
        exact += prob * compute.on_minus_off(critic, y)[0]
    mean, se = compute.expected_gradient(critic, p[None], draws=128, seed=0)
    mean, se = mean[0], se[0]
    assert np.all(se > 0)  # every pixel's effect depends on the six random pixels
    z = np.abs(mean - exact) / se
    assert np.all(z < 5) and z.mean() < 1.2, (z.max(), z.mean())  # unbiased: |z| averages ~0.8 for a normal error
    # the error shrinks like 1/sqrt(K): 8 draws are further off than 128 on average
    mean8, _ = compute.expected_gradient(critic, p[None], draws=8, seed=1)
    assert np.abs(mean8[0] - exact).sum() > np.abs(mean - exact).sum()


@pytest.mark.parametrize("name", WITH_CRITIC)
def test_estimator_maps_are_autograd_through_the_neurons(lab, name):
    g, critic = load_generator(name), Critic.from_pretrained(name)
    cfg = critic.cfg
    z, seed = make_latents(4, seed=5), 5
    fwd = compute.forward(g, critic, z, seed)
    maps = compute.estimator_maps(fwd)
    assert set(maps) == ({"sigmoid-st", "st"} | ({"gumbel-st"} if cfg.neuron == "sbn" else set()))
    estimators = {cfg.estimator} if cfg.estimator == "gumbel-st" else {"sigmoid-st", "st"}
    for est in estimators:  # the output-noise stream gives the same Bernoulli draw to sigmoid-st and st
        x = torch.from_numpy(fwd.logits).clone().requires_grad_(True)
        noise = rng.generator(seed, "output-noise")
        y = binarize(x, g.slope, cfg.neuron, est, cfg.gumbel_temperature, noise)
        np.testing.assert_array_equal(y.detach().numpy(), fwd.y)
        critic._net(y).sum().backward()
        np.testing.assert_allclose(maps[est], x.grad.numpy(), rtol=1e-4, atol=1e-7)
    if "gumbel-st" in maps:  # its logistic noise is the one behind this very draw
        np.testing.assert_array_equal((g.slope * fwd.logits + fwd.concrete_noise > 0).astype(np.float32), fwd.y)


def test_slope_slider_recomputes_the_sigmoid_adjusted_estimate(lab):
    g, critic = load_generator("mlp-dbn-wgan-gp"), Critic.from_pretrained("mlp-dbn-wgan-gp")
    fwd = compute.forward(g, critic, make_latents(2, seed=6), 6)
    x = torch.from_numpy(fwd.logits).clone().requires_grad_(True)
    y = binarize(x, 2.5, "dbn", "sigmoid-st")
    critic._net(y).sum().backward()
    at = compute.estimator_maps(fwd, slope=2.5)["sigmoid-st"]
    np.testing.assert_allclose(at, x.grad.numpy(), rtol=1e-4, atol=1e-7)
    assert not np.allclose(at, compute.estimator_maps(fwd)["sigmoid-st"])


def test_far_off_logits_give_a_zero_estimate_without_an_overflow_warning():
    """A trained SBN's logit over a Concrete temperature can pass 709, where exp overflows: the estimate is 0 there
    (the shipped gradient lab warned about it in the page test)."""
    logits = np.array([[-1000.0, -2.0, 0.0, 3.0, 1000.0]], dtype=np.float32)
    grad = np.ones_like(logits)
    with np.errstate(over="raise"):
        est = compute.sigmoid_adjusted(logits, grad, slope=1.0)
    p = 1.0 / (1.0 + np.exp(-np.array([-2.0, 0.0, 3.0])))
    np.testing.assert_allclose(est[0, 1:4], p * (1 - p), rtol=1e-6)
    assert est[0, 0] == 0.0 and est[0, 4] == 0.0


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"])
def test_forward_draws_what_the_generator_draws(lab, name):
    g, critic = load_generator(name), Critic.from_pretrained(name)
    z = make_latents(8, seed=7)
    fwd = compute.forward(g, critic, z, 7)
    s = g.decode(z, seed=7)
    np.testing.assert_array_equal(fwd.y.reshape(8, 28, 28), s.binary)
    np.testing.assert_allclose(fwd.p.reshape(8, 28, 28), s.preactivation, rtol=1e-6)
    np.testing.assert_allclose(fwd.score, critic.scores(torch.from_numpy(fwd.y)).numpy(), rtol=1e-5)


def test_same_seed_same_report_other_seed_other_report(lab):
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    a, b = compute.sample_report(g, critic, 3, 2, draws=4), compute.sample_report(g, critic, 3, 2, draws=4)
    c = compute.sample_report(g, critic, 4, 2, draws=4)
    np.testing.assert_array_equal(a.truth, b.truth)
    np.testing.assert_array_equal(a.truth_se, b.truth_se)
    assert all(np.array_equal(a.estimates[k], b.estimates[k]) for k in a.estimates)
    assert not np.array_equal(a.truth, c.truth)
    assert a.draws == 4 and a.flips is None and set(a.x_agreement) == {"sigmoid-st", "st", "gumbel-st"}


def test_dbn_report_and_comparison_agree_sample_by_sample(lab):
    g, critic = load_generator("mlp-dbn-wgan-gp"), Critic.from_pretrained("mlp-dbn-wgan-gp")
    cmp = compute.compare(g, critic, n=4, seed=8)
    eps = np.finfo(np.float32).eps
    for i in range(4):
        r = compute.sample_report(g, critic, 8, i, n=4)
        np.testing.assert_allclose(r.truth, (1 - 2 * r.fwd.y[i]) * r.flips, rtol=1e-6)
        # The report scores one image's flips and the comparison four images' in one batch: another batch shape,
        # another summation order. Each flip effect is a difference of two scores, so its error is ~eps * |D(y)|
        # per term, not relative to the (much smaller) effect; over 784 pixels the cosine moves by at most
        # ~sqrt(784) * eps * |D(y)| / ||truth||. A factor 16 covers the sums' rounding inside the critic.
        tol = 16 * np.sqrt(784) * eps * abs(float(r.fwd.score[i])) / np.linalg.norm(r.truth)
        assert cmp.agreement.cosine[i] == pytest.approx(r.agreement.cosine[0], abs=tol)
        assert cmp.agreement.sign[i] == pytest.approx(r.agreement.sign[0])
        assert r.draws == 0 and r.truth_se is None and r.x_agreement == {}
    row = cmp.summary()
    assert row["samples"] == 4 and row["draws"] == 0 and np.isnan(row["x_cosine_sigmoid-st"])
    assert row["cosine"] == pytest.approx(cmp.agreement.cosine.mean())


def test_agreement_on_known_vectors():
    e = np.arange(1, 11, dtype=np.float64) * np.array([1, -1] * 5)  # (10,)
    same, opposite = compute.agreement(e, 2 * e), compute.agreement(e, -e)
    assert same.cosine[0] == pytest.approx(1.0) and same.sign[0] == 1.0 and same.sign_top[0] == 1.0
    assert opposite.cosine[0] == pytest.approx(-1.0) and opposite.sign[0] == 0.0
    truth = e.copy()
    truth[-1] = -truth[-1]  # the largest |truth| (the top 10% of 10 pixels is that one pixel) now disagrees
    mixed = compute.agreement(e, truth)
    assert mixed.sign[0] == pytest.approx(0.9) and mixed.sign_top[0] == 0.0
    assert compute.agreement(np.zeros(10), e).cosine[0] == 0.0
    with pytest.raises(ValueError, match="differ in shape"):
        compute.agreement(e, e[:5])


def test_offered_variants_are_binary_with_a_critic(lab):
    assert compute.offered_variants() == [n for n in REGISTRY if n in WITH_CRITIC]
    with pytest.raises(CriticNotFound, match="no critic shipped"):
        Critic.from_pretrained("mlp-dbn-wgan")
    with pytest.raises(CheckpointNotFound, match="not trained yet"):
        Critic.from_pretrained("mlp-sbn-wgan")
    with pytest.raises(ValueError, match="real-valued"):
        compute.forward(
            load_generator("mlp-real-wgan-gp"), Critic.from_pretrained("mlp-real-wgan-gp"), make_latents(1), 0
        )


def test_a_critic_from_another_run_is_refused_naming_the_file(lab_root, tmp_path):
    folder = tmp_path / "mlp-dbn-wgan-gp"
    write_untrained(folder, "mlp-dbn-wgan-gp", seed=0, epochs=19)
    cfg = get_variant("mlp-dbn-wgan-gp")
    save_critic(folder, build_discriminator(cfg), cfg, {"epoch": 20, "final_slope": 1.0})
    with pytest.raises(CheckpointError, match="critic.safetensors.*another run or epoch"):
        Critic.from_pretrained(folder)


def test_work_per_request_is_bounded(lab):
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    with pytest.raises(ValueError, match="number of draws"):
        compute.expected_gradient(critic, np.full((1, 784), 0.5), draws=compute.MAX_DRAWS + 1)
    with pytest.raises(ValueError, match="number of samples"):
        compute.compare(g, critic, n=compute.MAX_COMPARE + 1)
    with pytest.raises(ValueError, match="sample index"):
        compute.sample_report(g, critic, 0, 16, n=16)


def test_a_cnn_critics_work_is_capped_harder_and_a_dbn_has_no_draws():
    assert compute.work_limits("mlp-sbn-wgan-gp", 256, 32) == (256, 32)
    assert compute.work_limits("mlp-dbn-wgan-gp", 256, 32) == (256, 0)
    assert compute.work_limits("cnn-sbn-wgan-gp", 256, 32) == (compute.CNN_MAX_COMPARE, compute.CNN_MAX_DRAWS)
    assert compute.work_limits("cnn-dbn-wgan-gp", 32, 32) == (32, 0)
    assert compute.draw_choices("mlp-sbn-wgan-gp", (8, 16, 32)) == (8, 16, 32)
    assert compute.draw_choices("cnn-sbn-wgan-gp", (8, 16, 32)) == (8,)


def test_the_comparison_table_runs_each_variant_at_the_limits_the_page_asks_for(tmp_path, monkeypatch):
    """So `--write` ships the rows the page looks up: a CNN's capped, a DBN's without draws."""
    for i, name in enumerate(("cnn-sbn-wgan-gp", "cnn-dbn-wgan-gp", "mlp-dbn-wgan-gp")):
        write_untrained(tmp_path / name, name, seed=i)
        write_critic(tmp_path / name, seed=10 + i)
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(tmp_path))
    monkeypatch.setattr(compute, "CNN_MAX_COMPARE", 2)  # small caps keep the CNN flip maps fast
    monkeypatch.setattr(compute, "CNN_MAX_DRAWS", 3)
    rows = {r["variant"]: r for r in compute.comparison_table(None, n=4, draws=5)}
    assert {k: (r["samples"], r["draws"]) for k, r in rows.items()} == {
        "cnn-sbn-wgan-gp": (2, 3),
        "cnn-dbn-wgan-gp": (2, 0),
        "mlp-dbn-wgan-gp": (4, 0),
    }
    shipped = store.shipped_comparison(store.write_comparison(list(rows.values()), tmp_path).parent)
    for name in rows:
        n, draws = compute.work_limits(name, 4, 5)
        assert store.shipped_row(shipped, name, n, draws, sources(tmp_path / name)) is not None, name


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"])
def test_the_plotted_truth_and_estimate_agree_as_the_report_says(lab, name):
    r = compute.sample_report(load_generator(name), Critic.from_pretrained(name), seed=1, index=2, n=4, draws=4)
    truth, estimate = compute.truth_and_estimate(r)
    # DBN: flip effect against g·(1−2y) is (1−2y)·t against (1−2y)·g, a ±1 per pixel that leaves the cosine
    np.testing.assert_allclose(compute.agreement(estimate, truth).cosine, r.agreement.cosine, rtol=1e-6)
    np.testing.assert_array_equal(truth, r.flips if name.startswith("mlp-dbn") else r.truth)
    near = compute.near_threshold(r.fwd, 2, 1.0)
    assert near == np.mean(np.abs(r.fwd.logits[2]) < 2.0) and compute.near_threshold(r.fwd, 2, 100.0) <= near


def test_table_cli_prints_a_row_per_offered_variant(lab, capsys):
    assert main(["--table", "--n", "3", "--draws", "2"]) == 0
    out = capsys.readouterr().out
    for name in WITH_CRITIC:
        assert f"| `{name}` |" in out
    assert out.count("\n") == len(WITH_CRITIC) + 2


def test_table_cli_says_when_no_variant_has_a_critic(tmp_path, monkeypatch, capsys):
    write_untrained(tmp_path / "mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp")
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(tmp_path))
    assert main(["--table"]) == 1
    assert "python -m training critic" in capsys.readouterr().err


def test_the_expectations_draws_are_not_the_samples_own_noise(lab):
    """The first of the K draws must not be the sample itself: the lab draws from a stream of its own."""
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    fwd = compute.forward(g, critic, make_latents(4, seed=3), 3)
    first_draw, _ = compute.expected_gradient(critic, fwd.p, draws=1, seed=3)
    assert not np.allclose(first_draw, compute.on_minus_off(critic, fwd.y))


def test_forward_draws_the_binary_output_that_decode_samples(lab):
    for name in ("mlp-sbn-wgan-gp", "mlp-dbn-wgan-gp"):
        g, critic = load_generator(name), Critic.from_pretrained(name)
        z = make_latents(6, seed=9)
        fwd = compute.forward(g, critic, z, 9)
        np.testing.assert_array_equal(fwd.y.reshape(6, 28, 28), g.decode(z, seed=9).binary)


def test_loading_a_critic_leaves_torchs_global_generator_alone(lab):
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    critic = Critic.from_pretrained("mlp-sbn-wgan-gp")
    load_generator("mlp-sbn-wgan-gp")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert critic.scores(torch.zeros(2, 784)).shape == (2,)


def test_the_shipped_comparison_covers_every_offered_variant_at_the_default_settings():
    offered = compute.offered_variants(REPO_CHECKPOINTS)
    if not offered:
        pytest.skip("no variant with a critic is shipped")
    shipped = store.shipped_comparison(REPO_CHECKPOINTS)
    for name in offered:
        current = sources(REPO_CHECKPOINTS / name)
        n, draws = compute.work_limits(name, compute.COMPARE_SAMPLES, compute.DEFAULT_DRAWS)  # what the page asks for
        assert store.shipped_row(shipped, name, n, draws, current) is not None, name


def test_comparison_rows_ship_and_are_used_only_for_their_settings_and_files(lab, tmp_path):
    rows = compute.comparison_table(["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"], n=4, draws=2)
    path = store.write_comparison(rows[:1], lab)
    store.write_comparison(rows[1:], lab)  # a second write keeps the first variant's row
    shipped = store.shipped_comparison(lab)
    assert list(shipped) == ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"]
    current = sources(lab / "mlp-sbn-wgan-gp")
    row = store.shipped_row(shipped, "mlp-sbn-wgan-gp", 4, 2, current)
    assert row == rows[1]
    assert math.isnan(
        store.shipped_row(shipped, "mlp-dbn-wgan-gp", 4, 0, sources(lab / "mlp-dbn-wgan-gp"))["x_cosine_st"]
    )
    assert store.shipped_row(shipped, "mlp-sbn-wgan-gp", 8, 2, current) is None  # other settings: computed
    assert store.shipped_row(shipped, "mlp-sbn-wgan-gp", 4, 2, {k: "0" * 64 for k in current}) is None  # retrained
    path.write_text(path.read_text().replace('"cosine":', '"cosine": "x", "was":', 1))
    with pytest.raises(CheckpointError, match=str(path)):
        store.shipped_comparison(lab)
    path.unlink()
    assert store.shipped_comparison(lab) == {}
