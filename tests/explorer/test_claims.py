import math

import pytest

from explorer import claims


def exp_i(dbn_mass=0.83, sbn_mass=0.89, dbn_notch=0.055, sbn_notch=0.026):
    return {
        "mlp-dbn-wgan-gp": {
            "mass_near_01": dbn_mass,
            "notch_depth": dbn_notch,
            "fd": 50.0,
            "classes_2pct": 10,
            "class_kl": 0.01,
            "speckle_rate": 1.3,
        },
        "mlp-sbn-wgan-gp": {
            "mass_near_01": sbn_mass,
            "notch_depth": sbn_notch,
            "fd": 70.0,
            "classes_2pct": 10,
            "class_kl": 0.03,
            "speckle_rate": 2.6,
        },
    }


def by_key(metrics, recipe="paper"):
    return {c.key: c for c in claims.judge_seed(metrics, recipe)}


def code(metrics):
    """The same numbers for the code recipe's twins."""
    return {f"{name}-code": row for name, row in metrics.items()}


def test_nothing_evaluated_leaves_every_claim_pending():
    judged = claims.judge_seed({})
    assert [c.key for c in judged] == [
        "dbn-vs-sbn",
        "real-u-shape",
        "wgan-quality",
        "gan-mode-collapse",
        "cnn-artefacts",
        "no-bn-in-critic",
    ]
    assert all(c.verdict == claims.PENDING and not c.evidence for c in judged)


@pytest.mark.parametrize(
    "kw,verdict",
    [
        ({}, claims.SUPPORTED),
        ({"dbn_mass": 0.95, "sbn_mass": 0.80, "dbn_notch": 0.01, "sbn_notch": 0.2}, claims.CONTRADICTED),
        ({"dbn_mass": 0.95, "sbn_mass": 0.80}, claims.MIXED),  # the notch still agrees with the paper
    ],
)
def test_dbn_vs_sbn_compares_mass_near_0_and_1_and_the_notch(kw, verdict):
    claim = by_key(exp_i(**kw))["dbn-vs-sbn"]
    assert claim.verdict == verdict
    assert claim.evidence["mlp-dbn-wgan-gp"]["mass_near_01"] == exp_i(**kw)["mlp-dbn-wgan-gp"]["mass_near_01"]


def test_a_missing_or_nan_metric_keeps_a_claim_pending():
    m = exp_i()
    m["mlp-sbn-wgan-gp"]["notch_depth"] = math.nan  # what explorer.files gives for a metric a file lacks
    assert by_key(m)["dbn-vs-sbn"].verdict == claims.PENDING


def test_real_u_shape_names_the_annealed_real_model_when_it_is_evaluated():
    m = exp_i() | {"mlp-real-wgan-gp": {"mass_near_01": 0.17}}
    claim = by_key(m)["real-u-shape"]
    assert claim.verdict == claims.CONTRADICTED and "17.0%" in claim.summary and "annealing" not in claim.summary
    m["mlp-real-wgan-gp-anneal"] = {"mass_near_01": 0.93}
    claim = by_key(m)["real-u-shape"]
    assert claim.verdict == claims.CONTRADICTED  # the paper's real model does not anneal: the verdict is about it
    assert "93.0%" in claim.summary and "mlp-real-wgan-gp-anneal" in claim.evidence
    m["mlp-real-wgan-gp"]["mass_near_01"] = 0.95
    assert by_key(m)["real-u-shape"].verdict == claims.SUPPORTED


def test_real_u_shape_reports_the_cnn_pair_without_changing_the_mlp_verdict():
    m = exp_i() | {"mlp-real-wgan-gp": {"mass_near_01": 0.17}, "cnn-real-wgan-gp": {"mass_near_01": 0.934}}
    assert "CNN" not in by_key(m)["real-u-shape"].summary  # half a pair is not reported
    m["cnn-sbn-wgan-gp"] = {"mass_near_01": 0.949}
    claim = by_key(m)["real-u-shape"]
    assert claim.verdict == claims.CONTRADICTED
    assert "CNNs: real-valued 93.4%, SBN 94.9%" in claim.summary and "cnn-real-wgan-gp" in claim.evidence


@pytest.mark.parametrize(
    "dbn_fd,sbn_fd,verdict",
    [
        (60.0, 80.0, claims.SUPPORTED),
        (160.0, 210.0, claims.CONTRADICTED),
        (60.0, 210.0, claims.MIXED),
        (34.0, 47.0, claims.SUPPORTED),
    ],
)
def test_wgan_quality_is_similar_within_the_stated_fd_ratio(dbn_fd, sbn_fd, verdict):
    m = exp_i() | {"mlp-dbn-wgan": {"fd": dbn_fd}, "mlp-sbn-wgan": {"fd": sbn_fd}}
    claim = by_key(m)["wgan-quality"]
    assert claim.verdict == verdict
    assert f"FD {dbn_fd:.1f} against 50.0" in claim.summary


def test_gan_mode_collapse_counts_classes_against_wgan_gp():
    gan = {"mlp-dbn-gan": {"classes_2pct": 5, "class_kl": 0.55}, "mlp-sbn-gan": {"classes_2pct": 5, "class_kl": 0.61}}
    assert by_key(exp_i() | gan)["gan-mode-collapse"].verdict == claims.SUPPORTED
    gan["mlp-sbn-gan"]["classes_2pct"] = 10
    assert by_key(exp_i() | gan)["gan-mode-collapse"].verdict == claims.MIXED


def test_a_counts_mean_over_seeds_is_printed_as_a_mean():
    gan = {"mlp-dbn-gan": {"classes_2pct": 5, "class_kl": 0.55}, "mlp-sbn-gan": {"classes_2pct": 5, "class_kl": 0.61}}
    six = {name: row | {"classes_2pct": 6} for name, row in gan.items()}
    table = claims.markdown(claims.judge({0: exp_i() | gan, 1: exp_i() | six, 2: exp_i() | six}))
    assert "`mlp-dbn-gan`: classes ≥ 2% 5.7 ± 0.58, class KL to test labels 0.550 ± 0" in table


def test_a_wide_spread_prints_its_whole_integer_part_not_an_exponent():
    wgan = {"mlp-dbn-wgan": {"fd": 160.0}, "mlp-sbn-wgan": {"fd": 140.0}}
    wide = {"mlp-dbn-wgan": {"fd": 160.0}, "mlp-sbn-wgan": {"fd": 340.0}}
    table = claims.markdown(claims.judge({0: exp_i() | wgan, 1: exp_i() | wide}))
    assert "`mlp-sbn-wgan`: Fréchet distance 240.0 ± 141<br>" in table
    assert "e+" not in table


def test_cnn_artefacts_are_judged_on_the_cnns_already_evaluated():
    m = exp_i()
    assert by_key(m)["cnn-artefacts"].verdict == claims.PENDING
    m["cnn-dbn-wgan-gp"] = {"speckle_rate": 0.4}
    claim = by_key(m)["cnn-artefacts"]
    assert claim.verdict == claims.SUPPORTED and set(claim.evidence) == {"cnn-dbn-wgan-gp", "mlp-dbn-wgan-gp"}
    m["cnn-sbn-wgan-gp"] = {"speckle_rate": 3.0}  # worse than the SBN MLP's 2.6
    assert by_key(m)["cnn-artefacts"].verdict == claims.MIXED


def test_batchnorm_in_the_critic_is_judged_on_all_four_wgan_pairs():
    m = exp_i() | {
        "mlp-dbn-wgan": {"fd": 166.0},
        "mlp-sbn-wgan": {"fd": 208.0},
        "mlp-dbn-wgan-gp-bnd": {"fd": 292.0},
        "mlp-sbn-wgan-gp-bnd": {"fd": 350.0},
        "mlp-dbn-wgan-bnd": {"fd": 217.0},
    }
    assert by_key(m)["no-bn-in-critic"].verdict == claims.PENDING
    m["mlp-sbn-wgan-bnd"] = {"fd": 233.0}
    claim = by_key(m)["no-bn-in-critic"]
    assert claim.verdict == claims.SUPPORTED and "mlp-sbn-wgan: FD 208.0, with BatchNorm in D 233.0" in claim.summary
    m["mlp-sbn-wgan-bnd"] = {"fd": 150.0}
    assert by_key(m)["no-bn-in-critic"].verdict == claims.MIXED


def test_the_code_recipe_is_judged_on_the_code_twins_only():
    assert by_key(exp_i(), "code")["dbn-vs-sbn"].verdict == claims.PENDING
    claim = by_key(code(exp_i(dbn_mass=0.95, sbn_mass=0.80, dbn_notch=0.01, sbn_notch=0.2)), "code")["dbn-vs-sbn"]
    assert claim.verdict == claims.CONTRADICTED and claim.recipe == "code"
    assert set(claim.evidence) == {"mlp-dbn-wgan-gp-code", "mlp-sbn-wgan-gp-code"}
    assert by_key(code(exp_i()), "paper")["dbn-vs-sbn"].verdict == claims.PENDING


def test_verdicts_count_seeds_and_report_mean_and_sd():
    by_seed = {0: exp_i(sbn_mass=0.89) | code(exp_i()), 1: exp_i(sbn_mass=0.91), 2: exp_i(sbn_mass=0.93)}
    judged = {j.key: j for j in claims.judge(by_seed)}
    paper = judged["dbn-vs-sbn"].recipes["paper"]
    assert paper.verdict == claims.SUPPORTED and paper.tally == "supported in 3 of 3 seeds"
    assert [c.seed for c in paper.seeds] == [0, 1, 2]
    mean, sd, n = paper.spread["mlp-sbn-wgan-gp"]["mass_near_01"]
    assert (mean, n) == (pytest.approx(0.91), 3) and sd == pytest.approx(0.02)
    assert paper.spread["mlp-dbn-wgan-gp"]["mass_near_01"] == (pytest.approx(0.83), 0.0, 3)
    # the code twins were trained with seed 0 only: one seed, said so
    code_verdict = judged["dbn-vs-sbn"].recipes["code"]
    assert code_verdict.verdict == claims.SUPPORTED and code_verdict.tally == "supported (one seed: 0)"
    assert judged["wgan-quality"].recipes["paper"].verdict == claims.PENDING
    assert judged["wgan-quality"].recipes["paper"].tally == claims.PENDING


def test_seeds_that_disagree_make_a_mixed_verdict():
    by_seed = {0: exp_i(), 1: exp_i(dbn_mass=0.95, sbn_mass=0.80, dbn_notch=0.01, sbn_notch=0.2), 2: exp_i()}
    paper = {j.key: j for j in claims.judge(by_seed)}["dbn-vs-sbn"].recipes["paper"]
    assert paper.verdict == claims.MIXED
    assert paper.tally == "supported in 2, contradicted in 1 of 3 seeds"


def test_the_markdown_table_gives_each_recipe_its_tally_and_mean_and_sd():
    by_seed = {0: exp_i(sbn_mass=0.89) | code(exp_i()), 1: exp_i(sbn_mass=0.91), 2: exp_i(sbn_mass=0.93)}
    lines = claims.markdown(claims.judge(by_seed)).splitlines()
    assert lines[0] == "| claim | as the paper's text describes it | as the paper's reference code ran it |"
    assert len(lines) == 2 + len(claims.judge({}))
    row = lines[2].split(" | ")
    assert row[0].startswith("| 1. DBN's preactivated outputs")
    paper, code_cell = row[1].split("<br>"), row[2].removesuffix(" |").split("<br>")
    assert paper[0] == "**supported in 3 of 3 seeds**"
    assert paper[2] == "`mlp-sbn-wgan-gp`: mass near 0/1 0.910 ± 0.020, notch depth 0.026 ± 0"
    assert code_cell[0] == "**supported (one seed: 0)**"
    assert code_cell[1] == "`mlp-dbn-wgan-gp-code`: mass near 0/1 0.830, notch depth 0.055"  # one seed: no ±
    assert lines[4].endswith("| not trained yet | not trained yet |")  # claim 3 has no WGAN pair here


def test_the_headline_gives_each_claim_one_line_with_each_recipes_tally():
    by_seed = {0: exp_i(sbn_mass=0.89) | code(exp_i()), 1: exp_i(sbn_mass=0.91), 2: exp_i(sbn_mass=0.93)}
    lines = claims.headline(claims.judge(by_seed)).splitlines()
    assert lines[0] == "| claim | as the paper's text describes it | as the paper's reference code ran it |"
    assert len(lines) == 2 + len(claims.judge({}))
    assert lines[2].startswith("| 1. DBN's preactivated outputs")
    assert lines[2].endswith(" *(Exp I (Fig. 4))* | supported in 3 of 3 seeds | supported (one seed: 0) |")
    assert lines[4].endswith("| not trained yet | not trained yet |")
