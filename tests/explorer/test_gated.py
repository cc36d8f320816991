"""explorer.gated: the shipped gate metrics read defensively, and the rules of docs/conditional.md applied to them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from explorer import files, gated
from training.checkpoint import METRICS_FILE

GATED, DENSE = "mlp-sbn-wgan-gp-code-gated", "mlp-sbn-wgan-gp-code"


def gate_fields(share=(0.25, 0.25, 0.25, 0.25), nmi=0.2, fd=50.0) -> dict:
    share = np.asarray(share, dtype=float)
    p = share[share > 0]
    return {
        "fd": fd,
        "expert_share": share.tolist(),
        "expert_entropy_bits": float(-(p * np.log2(p)).sum()),
        "expert_load_cv": float(share.std() / share.mean()),
        "idle_experts": int((share == 0).sum()),
        "expert_class_nmi": nmi,
        "expert_class_mi_nats": nmi,
        "expert_class_counts": [[10] * 10 for _ in share],
        "gate_flip_rate": 0.1,
    }


def write_root(root: Path, gated_seeds: dict[int, dict], dense_fd: dict[int, float]) -> Path:
    """A checkpoints folder holding only metrics: seed 0 in each variant's own file, the others in the table."""
    for name, seed0 in ((GATED, gated_seeds[0]), (DENSE, {"fd": dense_fd[0]})):
        (root / name).mkdir(parents=True)
        (root / name / METRICS_FILE).write_text(json.dumps(seed0))
    seeds = {
        GATED: {str(s): m for s, m in gated_seeds.items() if s},
        DENSE: {str(s): {"fd": v} for s, v in dense_fd.items() if s},
    }
    (root / METRICS_FILE).write_text(json.dumps({"variants": {}, "seeds": seeds}))
    return root


@pytest.mark.parametrize(
    ("gated_fd", "quality"),
    [((50, 51, 52), "better"), ((78, 80, 82), "no different"), ((95, 96, 97), "worse")],
)
def test_fd_against_the_dense_twin_is_judged_by_overlapping_bands(tmp_path, gated_fd, quality):
    root = write_root(tmp_path, {s: gate_fields(fd=v) for s, v in enumerate(gated_fd)}, {0: 80, 1: 81, 2: 79})
    (verdict,) = [v for v in gated.judge(root) if v.variant == GATED]
    assert verdict.quality == quality and verdict.dense == DENSE


def test_a_seed_collapses_below_one_bit_or_with_an_idle_expert(tmp_path):
    seeds = {
        0: gate_fields(),
        1: gate_fields(share=(0.7, 0.1, 0.1, 0.1)),  # 1.36 bits, every expert busy: not collapsed
        2: gate_fields(share=(0.5, 0.5, 0, 0)),  # 1 bit exactly, but two experts idle
    }
    root = write_root(tmp_path, seeds, {0: 80, 1: 81, 2: 79})
    (verdict,) = [v for v in gated.judge(root) if v.variant == GATED]
    assert verdict.collapsed_seeds == [2]
    assert gated.gate_metrics(GATED, root)[1].entropy_bits == pytest.approx(1.3568, abs=1e-4)


@pytest.mark.parametrize(("nmis", "specialised"), [((0.2, 0.3, 0.11), True), ((0.2, 0.3, 0.09), False)])
def test_experts_specialise_only_when_every_seed_clears_the_nmi_bar(tmp_path, nmis, specialised):
    root = write_root(tmp_path, {s: gate_fields(nmi=v) for s, v in enumerate(nmis)}, {0: 80, 1: 81, 2: 79})
    (verdict,) = [v for v in gated.judge(root) if v.variant == GATED]
    assert verdict.specialised is specialised


def test_fewer_than_three_seeds_give_numbers_but_no_verdict(tmp_path):
    root = write_root(tmp_path, {0: gate_fields(fd=50)}, {0: 80, 1: 81, 2: 79})
    (verdict,) = [v for v in gated.judge(root) if v.variant == GATED]
    assert verdict.quality == "no verdict yet" and verdict.specialised is None
    row = next(line for line in gated.headline(root).splitlines() if f"`{GATED}`" in line)
    assert "50.0 (1 of 3 seeds)" in row and "no verdict yet" in row


def test_the_summary_gives_mean_and_sample_sd_over_seeds(tmp_path):
    root = write_root(tmp_path, {s: gate_fields(fd=v) for s, v in enumerate((50, 52, 54))}, {0: 80, 1: 81, 2: 79})
    table = gated.summary(root).set_index("variant")
    assert table.loc[GATED, "FD mean"] == pytest.approx(52) and table.loc[GATED, "FD sd"] == pytest.approx(2)
    assert table.loc[GATED, "entropy (bits) mean"] == pytest.approx(2.0)
    assert math.isnan(table.loc[DENSE, "NMI mean"])  # a dense generator has no gates
    assert "52.0 ± 2.0" in gated.headline(root) and "80.0 ± 1.0" in gated.headline(root)


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        ({"expert_share": [0.5, 0.5]}, "expert_share"),
        ({"expert_share": [0.5, "x", 0, 0]}, "expert_share"),
        ({"expert_share": [2.0, 0, 0, 0]}, "expert_share"),
        ({"expert_class_counts": [[1, 2], [3]]}, "expert_class_counts"),
        ({"gate_flip_rate": None}, "gate_flip_rate"),
        ({"expert_class_nmi": float("nan")}, "expert_class_nmi"),
        ({"idle_experts": True}, "idle_experts"),
    ],
)
def test_a_damaged_gate_field_is_an_error_naming_the_file_and_the_field(tmp_path, damage, field):
    root = write_root(tmp_path, {0: gate_fields() | damage}, {0: 80})
    with pytest.raises(files.DataFileError, match=field) as e:
        gated.gate_metrics(GATED, root)
    assert str(root / GATED / METRICS_FILE) in str(e.value)


def test_class_shares_normalise_each_expert_and_leave_an_idle_one_at_zero():
    shares = gated.class_shares(np.array([[1, 3] + [0] * 8, [0] * 10]))
    assert shares[0, :2].tolist() == [0.25, 0.75] and shares[1].sum() == 0


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp-code-gated", "mlp-dbn-wgan-gp-code-gated"])
def test_the_pages_grids_agree_on_every_latent_they_share(tmp_path, name):
    """The Conditional computation page shows each expert's grid (every latent forced through it) beside the routed
    grid: a latent routed to expert k is the same digit in both, at every grid size."""
    from explorer.demo import write_untrained
    from training.pretrained import BinaryGAN

    write_untrained(tmp_path / name, name, seed=5)
    g = BinaryGAN.from_pretrained(tmp_path / name)
    for n in (9, 16, 25):
        routed, experts = gated.routes(g, n, seed=3)
        for k in range(g.experts):
            rows = experts == k
            np.testing.assert_array_equal(gated.expert_samples(g, k, n, seed=3)[rows], routed[rows])
    small, small_experts = gated.routes(g, 9, seed=3)
    big, big_experts = gated.routes(g, 25, seed=3)
    np.testing.assert_array_equal(small, big[:9])
    np.testing.assert_array_equal(small_experts, big_experts[:9])


# ---- the controls: does the binary gate matter, or only the mixture? ----

B, W, N, P = gated.BETTER, "worse", gated.NO_DIFFERENT, gated.PENDING


@pytest.mark.parametrize(
    ("gated_vs_random", "gated_vs_soft", "random_vs_dense", "soft_vs_dense", "soft_vs_random", "attribution"),
    [
        (N, N, B, B, N, gated.MIXTURE),
        (B, N, N, B, B, gated.ROUTING),
        (B, N, B, B, B, gated.ROUTING),
        (B, B, B, B, N, gated.BINARY_ROUTING),
        (B, B, N, N, N, gated.BINARY_ROUTING),
        (N, N, N, B, N, gated.UNATTRIBUTED),  # random no better than dense: not the mixture alone, not routing
        (B, N, N, B, N, gated.UNATTRIBUTED),  # gated ≈ soft but soft not better than random
        (W, N, B, B, B, gated.UNATTRIBUTED),  # a control better than the gated variant
        (B, B, B, B, P, P),
    ],
)
def test_the_gain_is_attributed_by_the_stated_rule(
    gated_vs_random, gated_vs_soft, random_vs_dense, soft_vs_dense, soft_vs_random, attribution
):
    gated_vs = {gated.RANDOM: gated_vs_random, gated.SOFT: gated_vs_soft}
    assert gated.attribute(gated_vs, random_vs_dense, soft_vs_dense, soft_vs_random) == attribution


def write_controls(root: Path, fds: dict[str, tuple[float, ...]]) -> Path:
    """A checkpoints folder with the FD (and precision, recall) of each variant's seeds, seed 0 in its own file."""
    seeds: dict[str, dict] = {}
    for name, values in fds.items():
        (root / name).mkdir(parents=True)
        rows = [{"fd": v, "precision": 0.7, "recall": 0.5} for v in values]
        (root / name / METRICS_FILE).write_text(json.dumps(rows[0]))
        seeds[name] = {str(s): m for s, m in enumerate(rows) if s}
    (root / METRICS_FILE).write_text(json.dumps({"variants": {}, "seeds": seeds}))
    return root


CONTROL_FDS = {
    gated.DENSE: (46.0, 48.0, 50.0),
    gated.GATED: (31.0, 31.2, 31.4),
    gated.RANDOM: (40.0, 41.0, 42.0),
    gated.SOFT: (31.0, 32.0, 33.0),
    gated.QUARTER: (60.0, 62.0, 64.0),
}


def test_the_controls_are_judged_against_the_dense_baseline_and_the_gated_variant(tmp_path):
    v = gated.judge_controls(write_controls(tmp_path, CONTROL_FDS))
    assert v.against_dense == {gated.GATED: B, gated.RANDOM: B, gated.SOFT: B, gated.QUARTER: W}
    assert v.gated_against == {gated.RANDOM: B, gated.SOFT: N, gated.QUARTER: B}
    assert v.attribution == gated.ROUTING and v.parameters == gated.NEEDS_PARAMETERS


def test_a_quarter_width_generator_as_good_as_the_gated_one_says_the_gain_needs_only_the_active_compute(tmp_path):
    v = gated.judge_controls(write_controls(tmp_path, CONTROL_FDS | {gated.QUARTER: (30.0, 31.0, 32.0)}))
    assert v.parameters == gated.ACTIVE_COMPUTE


def test_controls_with_fewer_than_three_seeds_get_numbers_but_no_verdict(tmp_path):
    root = write_controls(tmp_path, CONTROL_FDS | {gated.SOFT: (31.0,), gated.QUARTER: (60.0, 62.0)})
    v = gated.judge_controls(root)
    assert v.attribution == P and v.parameters == P and v.against_dense[gated.SOFT] == P
    table = gated.controls_table(root).set_index("variant")
    assert table.loc[gated.SOFT, "seeds"] == 1 and table.loc[gated.SOFT, "FD seed 0"] == 31.0
    assert math.isnan(table.loc[gated.SOFT, "FD seed 1"])
    assert table.loc[gated.QUARTER, "G params"] == 236_592 and table.loc[gated.QUARTER, "MACs / sample"] == 233_472
    text = gated.controls_headline(root)
    assert "31.0 (1 of 3 seeds)" in text and "60.0, 62.0 (2 of 3 seeds)" in text
    assert f"**{P}**" in text


def test_the_controls_table_lists_the_baseline_the_gated_variant_and_each_control_once(tmp_path):
    table = gated.controls_table(write_controls(tmp_path, CONTROL_FDS))
    assert list(table["variant"]) == [gated.DENSE, gated.GATED, *gated.GATED_CONTROLS]
    assert table.set_index("variant").loc[gated.RANDOM, "FD mean"] == pytest.approx(41.0)
    assert "41.0 ± 1.0" in gated.controls_headline(tmp_path)
