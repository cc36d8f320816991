"""explorer/playground/oracle.py: the rule's verdicts, the table, and the shipped result is the doc's table."""

from __future__ import annotations

import pytest

from explorer.playground import oracle


def test_the_verdict_is_decided_by_non_overlapping_mean_sd_intervals():
    low, high = [1.0, 1.1, 0.9], [2.0, 2.1, 1.9]
    assert oracle.verdict(low, high, lower_is_better=True) == "better"
    assert oracle.verdict(high, low, lower_is_better=True) == "worse"
    assert oracle.verdict(low, high, lower_is_better=False) == "worse"
    assert oracle.verdict(high, low, lower_is_better=False) == "better"
    # 1.5 +- 0.5 reaches 1.9 - 0.1: the intervals overlap
    assert oracle.verdict([1.0, 1.5, 2.0], high, lower_is_better=True) == "no different"


@pytest.fixture(scope="module")
def tiny_result():
    return oracle.campaign(steps=2, seeds=(0, 1), arms=(oracle.ORACLE, "sigmoid-st"), agreement_at=(1, 2), repeats=4)


def test_a_campaign_records_each_runs_final_quantities_and_curve(tiny_result):
    assert set(tiny_result["runs"]) == {oracle.ORACLE, "sigmoid-st"}
    run = tiny_result["runs"]["sigmoid-st"]["1"]
    assert 0 <= run["js"] <= 0.7 and 0 <= run["covered"] <= 30 and run["seconds"] > 0
    assert run["curve"]["step"][0] == 0 and run["curve"]["step"][-1] == 2
    lines = oracle.table(tiny_result).splitlines()
    assert lines[2].startswith("| `oracle` |") and "—" in lines[2]
    assert lines[3].startswith("| `sigmoid-st` |")
    assert set(tiny_result["agreement"]) == {"1", "2"}
    assert len(oracle.agreement_table(tiny_result).splitlines()) == 2 + 8


def test_a_written_result_reads_back_as_the_same_tables(tmp_path, tiny_result):
    path = tmp_path / "oracle.json"
    oracle.write(tiny_result, path)
    again = oracle.read(path)
    assert oracle.table(again) == oracle.table(tiny_result)
    assert oracle.agreement_table(again) == oracle.agreement_table(tiny_result)


def test_the_shipped_result_is_small_and_from_the_stated_campaign():
    assert oracle.RESULT.stat().st_size < 50_000
    shipped = oracle.read()
    assert shipped["steps"] == oracle.STEPS and shipped["seeds"] == list(oracle.SEEDS)
    assert list(shipped["runs"]) == list(oracle.ARMS)
