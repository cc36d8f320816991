import math

import pytest

from explorer import findings, tables
from training.variants import ESTIMATOR_BASELINE, ESTIMATOR_EXPERIMENT, REGISTRY


def seeds(**fds):
    """{seed: {variant: {"fd": value}}} from {variant: [FD at seeds 0, 1, 2]} (None: not evaluated)."""
    out: dict[int, dict] = {}
    for name, values in fds.items():
        for seed, fd in enumerate(values):
            if fd is not None:
                out.setdefault(seed, {})[name] = {"fd": fd}
    return out


BASE = [78.0, 76.0, 80.0]  # mean 78, sd 2: the band is 76..80


@pytest.mark.parametrize(
    ("fds", "verdict"),
    [
        ([70.0, 71.0, 72.0], findings.BETTER),  # 71 + 1 < 76
        ([73.0, 75.0, 77.0], findings.NO_DIFFERENT),  # 75 + 2 = 77, not below 76
        ([85.0, 86.0, 87.0], findings.WORSE),  # 86 - 1 > 80
        ([70.0, 71.0, None], findings.PENDING),  # two seeds only
    ],
)
def test_the_stated_rule_decides_each_estimator(fds, verdict):
    baseline = findings.Band("base", dict(enumerate(BASE)))
    candidate = findings.Band("x", {s: v for s, v in enumerate(fds) if v is not None})
    assert findings.decide(candidate, baseline) == verdict


def test_every_estimator_variant_is_judged_against_the_straight_through_baseline():
    names = [n for n, c in REGISTRY.items() if c.experiment == ESTIMATOR_EXPERIMENT]
    by_seed = seeds(**{ESTIMATOR_BASELINE: BASE, names[0]: [60.0, 61.0, 62.0]})
    baseline, verdicts = findings.judge_estimators(by_seed)
    assert baseline.variant == ESTIMATOR_BASELINE and baseline.mean == pytest.approx(78.0)
    assert [v.band.variant for v in verdicts] == names
    assert verdicts[0].verdict == findings.BETTER
    assert all(v.verdict == findings.PENDING for v in verdicts[1:])  # not trained: no verdict, not "no different"


def test_a_missing_or_non_finite_fd_counts_as_not_evaluated():
    by_seed = {0: {"v": {"fd": math.nan}}, 1: {"v": {"fd": 70.0}}, 2: {"v": {}}}
    assert findings.band(by_seed, "v").values == {1: 70.0}


def test_the_overview_table_lists_the_baseline_then_each_estimator():
    baseline, verdicts = findings.judge_estimators(seeds(**{ESTIMATOR_BASELINE: BASE}))
    table = tables.estimator_table(baseline, verdicts)
    assert table["variant"].tolist()[0] == ESTIMATOR_BASELINE and len(table) == 1 + len(verdicts)
    assert table.loc[0, "FD mean"] == pytest.approx(78.0) and table.loc[0, "FD sd"] == pytest.approx(2.0)


def test_the_answer_names_the_estimators_that_win_and_what_the_others_got():
    names = [n for n, c in REGISTRY.items() if c.experiment == ESTIMATOR_EXPERIMENT]
    winner, loser = REGISTRY[names[0]].estimator, REGISTRY[names[1]].estimator
    _, verdicts = findings.judge_estimators(
        seeds(**{ESTIMATOR_BASELINE: BASE, names[0]: [60.0, 61.0, 62.0], names[1]: [90.0, 91.0, 92.0]})
    )
    text = findings.answer(verdicts)
    assert text.startswith("Yes") and winner in text.split("(")[0] and loser not in text.split("(")[0]
    assert f"{loser}: {findings.WORSE}" in text


def test_with_no_winner_the_answer_is_no_only_once_every_estimator_is_judged():
    names = [n for n, c in REGISTRY.items() if c.experiment == ESTIMATOR_EXPERIMENT]
    all_judged = seeds(**{ESTIMATOR_BASELINE: BASE, **{n: [77.0, 78.0, 79.0] for n in names}})
    assert findings.answer(findings.judge_estimators(all_judged)[1]).startswith("No")
    one_missing = seeds(**{ESTIMATOR_BASELINE: BASE, **{n: [77.0, 78.0, 79.0] for n in names[1:]}})
    assert findings.answer(findings.judge_estimators(one_missing)[1]).startswith("Not yet known")


def test_the_gates_follow_up_judges_the_estimator_gated_generator_against_the_straight_through_one():
    assert REGISTRY[findings.GATES_WITH_ESTIMATOR].estimator == findings.GATES_ESTIMATOR
    assert REGISTRY[findings.GATES_WITH_ST].experts == REGISTRY[findings.GATES_WITH_ESTIMATOR].experts > 0
    st, [verdict] = findings.judge_gates(
        seeds(**{findings.GATES_WITH_ST: BASE, findings.GATES_WITH_ESTIMATOR: [85.0, 86.0, 87.0]})
    )
    assert st.variant == findings.GATES_WITH_ST and verdict.verdict == findings.WORSE
    assert findings.judge_gates(seeds(**{findings.GATES_WITH_ST: BASE}))[1][0].verdict == findings.PENDING
