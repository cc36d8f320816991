"""Data out: every chart's numbers as CSV, the leaderboard as CSV, and a PNG wherever samples are shown."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard import _charts

# page -> the least number of PNG downloads it offers with the default selection (samples shown)
PNG_PAGES = {"samples": 3, "interpolation": 3, "annealing": 2, "objectives": 3}
CHART_PAGES = ("histograms", "interpolation", "annealing", "objectives", "training_metrics")


def buttons(at, suffix: str) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if b.proto.label.endswith(suffix)]


@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_chart_has_its_numbers_as_csv(app, page):
    at = app(page)
    charts = [c for c in at.get("plotly_chart") if "frames" not in c.proto.spec]  # the animation is pictures
    assert charts and len(buttons(at, "(CSV)")) >= len(charts)


def test_the_leaderboard_downloads_as_csv(app):
    at = app("training_metrics")
    assert "Leaderboard (CSV)" in buttons(at, "(CSV)")


@pytest.mark.parametrize("page", PNG_PAGES)
def test_samples_download_as_png_wherever_they_are_shown(app, page):
    at = app(page)
    images, pngs = at.image, buttons(at, "(PNG)")
    assert images and len(pngs) >= PNG_PAGES[page]


def test_chart_csv_holds_the_plotted_numbers():
    edges = np.linspace(0, 1, 5)
    fig = _charts.histograms({"a": {"edges": edges, "heights": np.array([1.0, 2.0, 3.0, 4.0])}}, ["a"])
    table = pd.read_csv(io.BytesIO(_charts.figure_csv(fig)))
    assert list(table.columns) == ["series", "x", "y"]
    np.testing.assert_allclose(table["x"], [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(table["y"], [1, 2, 3, 4])
    fig = _charts.lines({"a": ([1, 2], [5.0, 6.0]), "b": ([1, 2, 3], [7.0, 8.0, 9.0])}, ["a", "b"])
    table = pd.read_csv(io.BytesIO(_charts.figure_csv(fig)))
    assert table.values.tolist() == [["a", 1, 5.0], ["a", 2, 6.0], ["b", 1, 7.0], ["b", 2, 8.0], ["b", 3, 9.0]]
    fig = _charts.class_shares({"real data": [0.1] * 10, "x": [0.0] * 9 + [1.0]})
    table = pd.read_csv(io.BytesIO(_charts.figure_csv(fig)))
    assert len(table) == 20 and table.loc[(table.y == "x") & (table.x == 9), "value"].item() == 1.0
