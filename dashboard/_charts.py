"""The dashboard's plotly charts, built one way on every page: variant colours, histograms of preactivated
outputs, line charts over steps or epochs, the classifier's class shares, and the gradient lab's 28x28 maps."""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explorer import render

# Okabe-Ito: colour-blind safe, and every entry reads on both the light and the dark background.
COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#D55E00", "#0072B2", "#999999", "#F0E442")
LEGEND_BELOW = dict(legend=dict(orientation="h", y=-0.3), margin=dict(t=40, l=10, r=10, b=10))
DIVERGING = "RdBu_r"  # a signed map: blue where the critic wants less, red where it wants more


def colour(i: int) -> str:
    """The i-th variant's colour; pages index by position in the selection, so charts on a page agree."""
    return COLOURS[i % len(COLOURS)]


def histograms(
    hists: dict[str, dict[str, Any]],
    order: Sequence[str],
    y_title: str = "density",
    log_y: bool = False,
    labels: dict[str, str] | None = None,
    height: int = 360,
) -> go.Figure:
    """Overlaid histograms of preactivated outputs ({name: {"edges", "heights"}}, as pages._data.histogram gives);
    each variant coloured by its place in `order`, the DBN threshold 0.5 dotted."""
    fig = go.Figure()
    for name, h in hists.items():
        edges = h["edges"]  # (bins + 1,)
        fig.add_bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=h["heights"],
            width=edges[1] - edges[0],
            name=(labels or {}).get(name, name),
            marker_color=colour(list(order).index(name)),
            opacity=0.5 if len(hists) > 1 else 0.9,
        )
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        xaxis_title="preactivated output p",
        yaxis_title=y_title,
        yaxis_type="log" if log_y else "linear",
        height=height,
        **LEGEND_BELOW,
    )
    if log_y:
        fig.update_yaxes(dtick=1, exponentformat="power")  # one labelled tick per decade, not plotly's 2 and 5 too
    fig.add_vline(x=0.5, line_dash="dot", line_color="gray")
    return fig


def lines(
    series: dict[str, tuple[Any, Any]],
    order: Sequence[str],
    title: str = "",
    x_title: str = "",
    y_title: str = "",
    marker_epoch: float | None = None,
    height: int = 320,
) -> go.Figure:
    """One line per variant ({name: (x, y)}), coloured by its place in `order`; markers where points are few;
    `marker_epoch` draws a dotted vertical line there."""
    fig = go.Figure()
    for name, (x, y) in series.items():
        fig.add_scatter(
            x=x,
            y=y,
            mode="lines" if len(x) > 50 else "lines+markers",
            name=name,
            line_color=colour(list(order).index(name)),
        )
    if marker_epoch is not None:
        fig.add_vline(x=marker_epoch, line_dash="dot", line_color="gray")
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=height, **LEGEND_BELOW)
    return fig


def class_shares(rows: dict[str, list[float]]) -> go.Figure:
    """A heatmap of the share of samples in each digit class ({row label: 10 shares})."""
    z = np.array(list(rows.values()))  # (rows, 10)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(d) for d in range(10)],
            y=list(rows),
            colorscale=render.INK_SCALE,
            zmin=0,
            text=np.round(z, 2),
            texttemplate="%{text}",
            colorbar=dict(title="share"),
        )
    )
    fig.update_layout(
        xaxis_title="digit", yaxis_autorange="reversed", height=90 + 40 * len(rows), margin=dict(t=20, l=10, r=10, b=10)
    )
    return fig


def usage_bars(shares: dict[str, np.ndarray]) -> go.Figure:
    """Grouped bars of each expert's share of the latents ({label: (K,) shares}), an even load dotted."""
    fig = go.Figure()
    for i, (label, share) in enumerate(shares.items()):
        fig.add_bar(x=[f"expert {k}" for k in range(len(share))], y=list(share), name=label, marker_color=colour(i))
    k = len(next(iter(shares.values()), [1]))
    fig.add_hline(y=1 / k, line_dash="dot", line_color="gray")
    fig.update_layout(barmode="group", yaxis_title="share of latents", yaxis_range=[0, 1], height=320, **LEGEND_BELOW)
    return fig


def expert_steps(route: np.ndarray, experts: int) -> go.Figure:
    """The active expert of each frame along a path, as a step line."""
    fig = go.Figure(go.Scatter(x=list(range(len(route))), y=list(route), mode="lines+markers", line_shape="hv"))
    fig.update_layout(
        xaxis_title="frame",
        yaxis=dict(title="expert", tickvals=list(range(experts)), range=[-0.5, experts - 0.5]),
        height=240,
        margin=dict(t=20, l=10, r=10, b=10),
    )
    return fig


def heatmap(
    values: np.ndarray, title: str, diverging: bool = True, zmin: float | None = None, zmax: float | None = None
) -> go.Figure:
    """A 28x28 map, pixels square, row 0 at the top, so every map lines up with the digit; a diverging map is
    centred on 0."""
    img = np.asarray(values, dtype=np.float64).reshape(28, 28)
    if diverging:
        bound = float(np.abs(img).max()) or 1.0
        zmin, zmax = -bound, bound
    fig = go.Figure(
        go.Heatmap(
            z=img,
            colorscale=DIVERGING if diverging else render.INK_SCALE,
            zmin=zmin,
            zmax=zmax,
            colorbar=dict(thickness=8, len=0.9, tickfont_size=9, ticks="outside", nticks=5),
            hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_layout(title=dict(text=title, font_size=13), height=250, margin=dict(t=36, l=4, r=4, b=4))
    return fig


def heatmap_row(maps: Sequence[tuple[np.ndarray, str, dict[str, Any]]], key: str) -> None:
    """Up to four maps side by side, (values, title, heatmap options) each, keyed f"{key}_{position}"."""
    import streamlit as st

    for k, ((values, title, kw), col) in enumerate(zip(maps, st.columns(4), strict=False)):  # up to four
        with col:
            show(heatmap(values, title, **kw), key=f"{key}_{k}", config={"displayModeBar": False})


def truth_scatter(truth: np.ndarray, estimate: np.ndarray, on: np.ndarray, x_title: str, y_title: str) -> go.Figure:
    """One dot per pixel, its estimate against its truth, orange where the pixel is on; dotted: estimate = truth."""
    on_off = [[0, COLOURS[1]], [1, COLOURS[0]]]  # blue off, orange on
    fig = go.Figure(
        go.Scattergl(
            x=truth,
            y=estimate,
            mode="markers",
            marker=dict(size=4, opacity=0.6, color=on, colorscale=on_off),
            hovertemplate="truth %{x:.3g}, estimate %{y:.3g}<extra></extra>",
        )
    )
    lo, hi = float(min(truth.min(), estimate.min())), float(max(truth.max(), estimate.max()))
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dot", color="gray"), name="estimate = truth")
    fig.update_layout(
        xaxis_title=x_title, yaxis_title=y_title, height=360, showlegend=False, margin=dict(t=20, l=10, r=10, b=10)
    )
    return fig


def agreement_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """The gradient lab's comparison: per variant, cosine and sign agreements of g with the truth, grouped."""
    fig = go.Figure()
    for j, (metric, label) in enumerate(
        (
            ("cosine", "cosine similarity"),
            ("sign_agreement", "sign agreement"),
            ("sign_agreement_top", "sign agreement, top 10%"),
        )
    ):
        fig.add_bar(
            y=[r["variant"] for r in rows],
            x=[r[metric] for r in rows],
            name=label,
            marker_color=colour(j),
            orientation="h",  # long variant names read along their own row, never over each other
        )
    fig.update_layout(
        barmode="group",
        xaxis_title="mean over samples",
        xaxis_range=[0, 1.02],
        yaxis=dict(autorange="reversed", automargin=True),
        height=120 + 60 * len(rows),
        legend=dict(orientation="h", y=-0.25),
        margin=dict(t=20, l=10, r=10, b=10),
    )
    return fig


def mse_lines(
    curves: dict[str, tuple[list[int], list[float]]],
    labels: dict[str, str],
    unbiased: Container[str],
    budgets: Sequence[int],
) -> go.Figure:
    """MSE against budget on log-log axes, one line per estimator ({estimator: (budgets, MSE)}); biased dotted."""
    fig = go.Figure()
    for j, (est, (xs, ys)) in enumerate(curves.items()):
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name=labels[est],
            line=dict(color=colour(j), dash="solid" if est in unbiased else "dot"),
            hovertemplate="budget %{x}: MSE %{y:.3g}<extra>" + labels[est] + "</extra>",
        )
    fig.update_xaxes(type="log", title="critic evaluations per latent", tickvals=list(budgets))
    fig.update_yaxes(type="log", title="MSE = bias² + variance")
    fig.update_layout(height=360, margin=dict(t=20, l=10, r=10, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def figure_rows(fig: go.Figure) -> list[dict[str, Any]]:
    """The numbers behind a figure, one row per point: {series, x, y} for lines, bars and scatters, and
    {series, x, y, value} for heatmaps (x the column, y the row label)."""
    rows: list[dict[str, Any]] = []
    for i, trace in enumerate(fig.data):
        name = trace.name or f"series {i + 1}"
        if trace.type == "heatmap":
            z = np.asarray(trace.z, dtype=np.float64)
            xs = list(trace.x) if trace.x is not None else list(range(z.shape[1]))
            ys = list(trace.y) if trace.y is not None else list(range(z.shape[0]))
            rows += [
                {"series": name, "x": xs[c], "y": ys[r], "value": z[r, c]}
                for r in range(z.shape[0])
                for c in range(z.shape[1])
            ]
        elif getattr(trace, "y", None) is not None:
            ys = list(trace.y)
            xs = list(trace.x) if trace.x is not None else list(range(len(ys)))
            rows += [{"series": name, "x": x, "y": y} for x, y in zip(xs, ys, strict=True)]
    return rows


def figure_csv(fig: go.Figure) -> bytes:
    """figure_rows as CSV: what a chart's download button hands out."""
    import pandas as pd

    return pd.DataFrame(figure_rows(fig)).to_csv(index=False).encode()


def show(fig: go.Figure, key: str, filename: str | None = None, **kwargs: Any) -> None:
    """st.plotly_chart, and below it a button that downloads the chart's numbers as CSV."""
    import streamlit as st

    st.plotly_chart(fig, key=key, **kwargs)
    st.download_button(
        "Chart data (CSV)",
        figure_csv(fig),
        file_name=f"{filename or key}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
        help="The numbers this chart draws, one row per point.",
    )


def png_button(png: bytes, filename: str, key: str, label: str = "Download (PNG)") -> None:
    """A download button for a sample grid that is shown above it."""
    import streamlit as st

    st.download_button(
        label, png, file_name=filename, mime="image/png", key=key, icon=":material/download:", on_click="ignore"
    )


def pattern_bars(masses: np.ndarray, colour_index: int, reference: float, height: int = 260) -> go.Figure:
    """The generator's exact probability of each data pattern (bars), the data's share of each dotted."""
    fig = go.Figure(
        go.Bar(
            x=[f"#{i + 1}" for i in range(len(masses))],
            y=masses,
            marker_color=colour(colour_index),
            name="p_G",
            hovertemplate="pattern %{x}: p_G %{y:.4f}<extra></extra>",
        )
    )
    fig.add_hline(
        y=reference, line_dash="dot", line_color="gray", annotation_text="data", annotation_position="top left"
    )
    fig.update_layout(
        xaxis_title="bars-and-stripes pattern", yaxis_title="p_G", height=height, margin=dict(t=20, l=10, r=10, b=10)
    )
    return fig
