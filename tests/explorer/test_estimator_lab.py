"""Estimator lab: its numbers hang together, unbiased estimators show no bias beyond their noise while
straight-through does on a nonlinear critic, the shipped form round-trips and refuses bad files by name, and the
repository ships a study for every SBN variant the lab offers."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import CheckpointError, load_generator, make_latents
from explorer.demo import write_critic, write_untrained
from explorer.estimator_lab import compute, reports, store
from explorer.gradient_lab import compute as gradient_lab
from explorer.gradient_lab.compute import ESTIMATOR_LABELS
from explorer.store import sources
from training import rng
from training.checkpoint import ESTIMATOR_LAB_FILE, meta_state
from training.networks import build_discriminator
from training.pretrained import Critic
from training.variants import get_variant

REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"
SMALL = dict(budgets=(1, 2, 4, 8), repetitions=64, truth_draws=32)  # quick, yet every estimator has a budget


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("estimator-lab")
    for i, name in enumerate(("mlp-sbn-wgan-gp", "mlp-dbn-wgan-gp")):
        write_untrained(root / name, name, seed=i)
        write_critic(root / name, seed=10 + i)
    return root


@pytest.fixture
def lab(lab_root, monkeypatch) -> Path:
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(lab_root))
    return lab_root


@pytest.fixture(scope="module")
def small_study(lab_root) -> compute.Study:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BINARYGAN_CHECKPOINTS", os.fspath(lab_root))
        return compute.study("mlp-sbn-wgan-gp", indices=(0, 2), **SMALL)


class Quadratic(torch.nn.Module):
    """D(y) = (w . (y - 1/2))² with w on a few pixels. Its exact expected gradient is known, and straight-through
    is biased on it: E[dD/dy_i] = 2 w_i w.(p - 1/2), while dE[D]/dp_i = that + w_i² (1 - 2 p_i)."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.register_buffer("w", w)

    def forward(self, y: torch.Tensor) -> torch.Tensor:  # (B, 784) -> (B,)
        return ((y - 0.5) @ self.w) ** 2


def quadratic_critic(pixels: int = 24, seed: int = 3) -> Critic:
    rng = torch.Generator().manual_seed(seed)
    w = torch.zeros(784)
    w[torch.randperm(784, generator=rng)[:pixels]] = torch.randn(pixels, generator=rng)
    cfg = get_variant("mlp-sbn-wgan-gp")
    zeros = {k: torch.zeros(v.shape) for k, v in meta_state(lambda: build_discriminator(cfg)).items()}
    critic = Critic(cfg, zeros, {"epoch": 0}, "test")
    critic._net, critic._first, critic._rest = Quadratic(w), None, None  # every flipped image through D itself
    return critic


def test_numbers_are_internally_consistent(small_study):
    assert [x.index for x in small_study.samples] == [0, 2] and small_study.budgets == SMALL["budgets"]
    for x in small_study.samples:
        assert x.truth.shape == x.truth_se.shape == (784,) and x.truth_noise2 > 0
        assert ("rloo", 1) not in x.cells and ("disarm", 1) not in x.cells  # not applicable at one evaluation
        assert ("rebar", 2) not in x.cells and x.cells[("rebar", 4)].draws == 1
        for (e, b), c in x.cells.items():
            assert c.draws == compute.draws_at(e, b) and c.critic_evals <= b
            assert c.backward == c.draws * compute.BACKWARD[e]
            assert c.mse == pytest.approx(c.bias2 + c.variance)
            assert c.bias2 == max(c.bias2_raw, 0.0) and c.bias2_noise > 0 and c.variance > 0
            assert -1 <= c.cosine <= 1
            bias, var = x.maps[(e, b)]
            assert bias.shape == var.shape == (784,) and (var >= 0).all()
            assert float(var.astype(np.float64).sum()) == pytest.approx(c.variance, rel=1e-5)
            # ||bias map||² is bias2_raw plus the two noise terms that were subtracted
            assert float(np.sum(bias.astype(np.float64) ** 2)) == pytest.approx(
                c.bias2_raw + c.variance / x.repetitions + x.truth_noise2, rel=1e-4
            )
        # more draws, less variance: each draw is independent
        for e in ("sigmoid-st", "reinmax", "disarm"):
            assert x.cells[(e, 8)].variance < x.cells[(e, 2)].variance


def test_unbiased_estimators_show_no_bias_and_straight_through_does(lab):
    critic = quadratic_critic()
    g = load_generator("mlp-sbn-wgan-gp")
    x = compute.study_sample(g, critic, 0, seed=1, budgets=(8,), repetitions=512, truth_draws=256)
    p = gradient_lab.forward(g, critic, make_latents(1, 1), 1).p[0].astype(np.float64)
    w = critic._net.w.double().numpy()
    exact = p * (1 - p) * (2 * w * (w @ (p - 0.5)) + w**2 * (1 - 2 * p))
    np.testing.assert_allclose(x.truth, exact, atol=4 * float(x.truth_se.max()))  # the truth, within its noise
    for e in reports.UNBIASED + ("reinmax",):  # ReinMax is exact for a quadratic: df/dy is linear in each y_i
        c = x.cells[(e, 8)]
        assert abs(c.bias2_raw) < 4 * c.bias2_noise, (e, c)
    st = x.cells[("sigmoid-st", 8)]
    st_bias = p * (1 - p) * w**2 * (1 - 2 * p)
    assert st.bias2_raw > 10 * st.bias2_noise
    # under a bias b, bias2_raw also carries the cross term 2 b.(noise of the mean and of the truth)
    var = x.maps[("sigmoid-st", 8)][1].astype(np.float64) / x.repetitions + x.truth_se.astype(np.float64) ** 2
    cross = 2 * math.sqrt(float(np.sum(st_bias**2 * var)))
    assert abs(st.bias2_raw - float(np.sum(st_bias**2))) < 4 * (st.bias2_noise + cross)


def test_same_seed_same_numbers_and_other_seed_others(lab):
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    a = compute.study_sample(g, critic, 1, seed=0, **SMALL)
    b = compute.study_sample(g, critic, 1, seed=0, **SMALL)
    c = compute.study_sample(g, critic, 1, seed=4, **SMALL)
    assert a.cells == b.cells
    np.testing.assert_array_equal(a.truth, b.truth)
    assert a.cells[("rloo", 4)] != c.cells[("rloo", 4)]
    # the sample is the page's: row 1 of the seed's 16 latents
    fwd = gradient_lab.forward(g, critic, make_latents(16, 0), 0)
    truth, _ = compute.exact_gradient(
        critic, fwd.p[1], SMALL["truth_draws"], rng.generator(0, "estimator-lab-truth", 1)
    )
    np.testing.assert_allclose(a.truth, truth, rtol=1e-4, atol=1e-9)  # p from a batch of 16, not 1


def test_the_truth_is_p_one_minus_p_times_the_labs_expected_gradient(lab):
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    p = gradient_lab.forward(g, critic, make_latents(1, 0), 0).p[0]
    truth, se = compute.exact_gradient(critic, p, 16, torch.Generator().manual_seed(7))
    mean, std_err = gradient_lab.expected_gradient(critic, p[None], 16, generator=torch.Generator().manual_seed(7))
    np.testing.assert_allclose(truth, p * (1 - p) * mean[0], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(se, p * (1 - p) * std_err[0], rtol=1e-5, atol=1e-9)
    big, big_se = compute.exact_gradient(
        critic, p, 256, torch.Generator().manual_seed(7)
    )  # two blocks of 128: the noise halves, roughly
    assert float(np.mean(big_se)) < 0.4 * float(np.mean(se))
    with pytest.raises(ValueError, match="equal blocks"):
        compute.exact_gradient(critic, p, 257, torch.Generator().manual_seed(7))


def test_refuses_a_dbn_and_bad_arguments(lab):
    g, critic = load_generator("mlp-dbn-wgan-gp"), Critic.from_pretrained("mlp-dbn-wgan-gp")
    with pytest.raises(ValueError, match="SBN"):
        compute.study_sample(g, critic, 0, **SMALL)
    g, critic = load_generator("mlp-sbn-wgan-gp"), Critic.from_pretrained("mlp-sbn-wgan-gp")
    for bad in (dict(index=-1), dict(index=True), dict(repetitions=1), dict(budgets=(0,))):
        with pytest.raises(ValueError):
            compute.study_sample(g, critic, **({"index": 0} | SMALL | bad))
    assert compute.offered_variants() == ["mlp-sbn-wgan-gp"]


def test_json_round_trip_keeps_numbers_and_the_chosen_maps(small_study, lab):
    path = store.write(small_study, map_budgets=(2,))
    assert path == lab / "mlp-sbn-wgan-gp" / ESTIMATOR_LAB_FILE
    back = store.read(path)
    assert back.variant == small_study.variant and back.budgets == small_study.budgets
    assert back.sources == sources(lab / "mlp-sbn-wgan-gp") and not store.stale(back)
    for x, y in zip(small_study.samples, back.samples, strict=True):
        assert y.cells == x.cells and y.index == x.index and y.repetitions == 64 and y.truth_draws == 32
        assert set(y.maps) == {k for k in x.maps if k[1] == 2}
        for k, (bias, var) in y.maps.items():  # float16, scaled to the largest magnitude
            np.testing.assert_allclose(bias, x.maps[k][0], atol=1e-3 * np.abs(x.maps[k][0]).max())
            np.testing.assert_allclose(var, x.maps[k][1], atol=1e-3 * x.maps[k][1].max())
        np.testing.assert_allclose(y.truth, x.truth, atol=1e-3 * np.abs(x.truth).max())
    assert store.shipped("mlp-sbn-wgan-gp").samples[1].index == 2 and store.shipped("mlp-dbn-wgan-gp") is None
    assert reports.table(back.samples, 2)[0]["mse"] == pytest.approx(
        np.mean([x.cells[("sigmoid-st", 2)].mse for x in small_study.samples])
    )
    path.unlink()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda text: text[: len(text) // 2], "not a readable JSON table"),  # truncated
        (lambda text: "\x00\xff" + text, "not a readable JSON table"),
        (lambda text: json.dumps({"format": "something-else/1"}), "expected a JSON object of format"),
        (lambda text: json.dumps([1, 2]), "expected a JSON object of format"),
        (lambda text: text.replace('"mse"', '"mse_"', 1), "missing 'mse'"),
        (lambda text: text.replace('"variant": "mlp-sbn-wgan-gp"', '"variant": "nope"'), "unknown variant"),
        (lambda text: _edit(text, lambda o: o["samples"][0]["truth"].update(f16="AAAA")), "bytes where 1568"),
        (lambda text: _edit(text, lambda o: o["samples"][0]["truth"].update(f16="not base64!")), "not base64"),
        (lambda text: _edit(text, lambda o: o["samples"][0]["cells"][0].update(bias2="1")), "bias2 = '1'"),
        (lambda text: _edit(text, lambda o: o["samples"][0]["cells"][0].update(budget=999)), "is not studied"),
    ],
)
def test_a_damaged_file_is_an_error_naming_it(small_study, tmp_path, damage, message):
    path = tmp_path / ESTIMATOR_LAB_FILE
    path.write_text(damage(json.dumps(store.to_json(small_study))), errors="surrogateescape")
    with pytest.raises(CheckpointError, match=message) as info:
        store.read(path)
    assert str(path) in str(info.value)


def _edit(text: str, change) -> str:
    obj = json.loads(text)
    change(obj)
    return json.dumps(obj)


def test_a_study_of_another_critic_is_stale(small_study, lab, tmp_path):
    other = compute.Study(
        small_study.variant, 0, small_study.budgets, small_study.samples, {k: "0" * 64 for k in small_study.sources}
    )
    assert store.stale(other) and not store.stale(small_study)


def test_the_page_takes_a_shipped_sample_only_for_its_seed_and_opens_at_budget_8(small_study):
    x = store.shipped_sample(small_study, 0, 2)
    assert x is small_study.sample(2)
    assert store.shipped_sample(small_study, 1, 2) is None and store.shipped_sample(small_study, 0, 1) is None
    assert store.shipped_sample(None, 0, 2) is None
    assert x.budgets == list(SMALL["budgets"]) and x.map_budgets == x.budgets  # a computed study keeps every map
    assert reports.default_budget(x.budgets) == 8 and reports.default_budget([1, 2, 4]) == 4
    assert x.truth_noise_share == pytest.approx(x.truth_noise2 / x.truth_norm2)


def test_table_and_markdown_summarise_over_samples(small_study):
    rows = reports.table(small_study.samples, 2)
    assert [r["estimator"] for r in rows] == list(compute.ESTIMATORS)
    rebar = rows[compute.ESTIMATORS.index("rebar")]
    assert rebar["draws"] == 0 and math.isnan(rebar["mse"])  # 3 evaluations a draw: none fits a budget of 2
    st = rows[0]
    values = [x.cells[("sigmoid-st", 2)].cosine for x in small_study.samples]
    assert st["cosine"] == pytest.approx(np.mean(values)) and st["cosine_sd"] == pytest.approx(np.std(values, ddof=1))
    assert reports.best(small_study.samples, 2) in compute.ESTIMATORS
    text = reports.markdown(small_study, (2,))
    assert "| 2 | REBAR | – | not applicable |" in text and "lowest MSE" in text


def test_the_shipped_studies_cover_every_offered_sbn_variant():
    offered = compute.offered_variants(REPO_CHECKPOINTS)
    if not offered:
        pytest.skip("no SBN variant with a critic is shipped")
    total = 0
    for name in offered:
        path = REPO_CHECKPOINTS / name / ESTIMATOR_LAB_FILE
        assert path.is_file(), f"write it with `python -m explorer.estimator_lab --write {name}`"
        assert path.stat().st_size < 300 * 1024
        total += path.stat().st_size
        s = store.read(path)
        assert s.variant == name and not store.stale(s, REPO_CHECKPOINTS), name
        assert [x.index for x in s.samples] == list(compute.SHIPPED_SAMPLES) and s.budgets == compute.BUDGETS
        for x in s.samples:
            assert {b for _, b in x.maps} == set(compute.MAP_BUDGETS)
            assert {k for k in x.cells} == {
                (e, b) for e in compute.ESTIMATORS for b in compute.BUDGETS if compute.draws_at(e, b)
            }
    assert total < 4 * 2**20


def test_the_estimators_headline_table_has_a_row_per_estimator_of_the_shipped_files():
    table = reports.headline(REPO_CHECKPOINTS)
    assert [line.split(" | ")[0] for line in table.splitlines()[2:]] == [
        f"| {ESTIMATOR_LABELS[e]}" for e in compute.ESTIMATORS
    ]


def test_extending_a_study_adds_the_missing_estimators_as_a_full_study_computes_them(small_study, lab, tmp_path):
    """A study shipped before ZGR and GST existed grows by their rows: the estimates are the same draws as a full
    study's (each estimator has its own stream), scored against the shipped (float16) truth."""
    new = ("zgr", "gst")
    old_samples = tuple(
        dataclasses.replace(
            x,
            cells={k: c for k, c in x.cells.items() if k[0] not in new},
            maps={k: m for k, m in x.maps.items() if k[0] not in new},
        )
        for x in small_study.samples
    )
    path = store.write(dataclasses.replace(small_study, samples=old_samples), tmp_path)
    extended = compute.extend(store.read(path))
    for full, grown in zip(small_study.samples, extended.samples, strict=True):
        assert set(grown.cells) == set(full.cells)
        for key in [k for k in full.cells if k[0] in new]:
            a, b = full.cells[key], grown.cells[key]
            assert b.variance == a.variance and b.draws == a.draws  # the same estimates, bit for bit
            assert b.cosine == pytest.approx(a.cosine, rel=1e-2) and b.mse == pytest.approx(a.mse, rel=1e-2)
        kept = next(k for k in full.cells if k[0] not in new)
        assert grown.cells[kept] == full.cells[kept]  # what was shipped is kept as it was


def test_extending_a_study_of_changed_files_is_refused(small_study, lab, tmp_path):
    stale = dataclasses.replace(small_study, sources={k: "0" * 64 for k in small_study.sources})
    with pytest.raises(ValueError, match="changed since the study"):
        compute.extend(stale)
