"""The dashboard benchmark runs, and a warm re-render of every page stays well under a second."""
from __future__ import annotations

import os

import pytest

from benchmarks import dashboard


@pytest.mark.slow
def test_every_page_re_renders_warm_in_under_a_second(dashboard_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", "/somewhere/else")
    rows = dashboard.run(quick=True, root=dashboard_root)
    assert os.environ["BINARYGAN_CHECKPOINTS"] == "/somewhere/else"  # restored for the tests that follow
    assert [r["page"] for r in rows] == list(dashboard.PAGES)
    for r in rows:
        assert 0 < r["warm_median_ms"] < 1000, r  # typically 25-150 ms on 2 CPU cores
    table = dashboard.format_table(rows)
    assert table.count("\n") == len(rows)
