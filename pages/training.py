"""Training and metrics: loss curves and per-epoch metrics for any variants, and a sortable leaderboard that
includes the real-data floor."""
import plotly.graph_objects as go
import streamlit as st

from explorer import catalog
from pages import _common as ui

MAX_CURVES = 8

st.title("Training and metrics")
with st.container(border=True):
    names = ui.pick_variants("training", limit=MAX_CURVES)
    c1, c2 = st.columns(2)
    with c1:
        smooth = st.slider("Smoothing (steps)", min_value=1, max_value=500, value=50, key="training_smooth",
                           help="A centred rolling mean over this many generator steps.")
    with c2:
        metric = st.selectbox("Per-epoch metric", catalog.HISTORY_METRICS, key="training_metric",
                              format_func=lambda k: catalog.METRICS[k][0])


def line_chart(title: str, x_title: str, series: dict, key: str) -> None:
    fig = go.Figure()
    for name, (x, y) in series.items():
        fig.add_scatter(x=x, y=y, mode="lines" if len(x) > 50 else "lines+markers", name=name,
                        line_color=ui.colour(names.index(name)))
    fig.update_layout(title=title, xaxis_title=x_title, height=320, legend=dict(orientation="h", y=-0.3),
                      margin=dict(t=40, l=10, r=10, b=10))
    st.plotly_chart(fig, key=key)


if names:
    messages = st.container()
    losses, per_epoch = {}, {}
    for name in names:
        s = ui.evaluation(messages, f"**{name}** per-step losses", ui.steps, name, smooth)
        if s is not None:
            losses[name] = s
        h = ui.evaluation(messages, f"**{name}** per-epoch history", ui.history, name)
        if h is not None:
            per_epoch[name] = h
    if losses:
        left, right = st.columns(2)
        with left:
            line_chart("discriminator loss", "generator step",
                       {n: (s["step"], s["d_loss"]) for n, s in losses.items()}, "training_d_loss")
        with right:
            line_chart("generator loss", "generator step",
                       {n: (s["step"], s["g_loss"]) for n, s in losses.items()}, "training_g_loss")
    # the evaluation fills metrics only at snapshot epochs; drop the gaps so the points join up
    series = {n: (h.dropna(subset=[metric])["epoch"], h.dropna(subset=[metric])[metric]) for n, h in per_epoch.items()
              if h[metric].notna().any()}
    if series:
        line_chart(catalog.METRICS[metric][0], "epoch", series, "training_metric_chart")
    elif per_epoch:
        ui.not_evaluated(st, f"{catalog.METRICS[metric][0]} per epoch")
else:
    st.info("Choose variants above to see their curves.")

st.subheader("Leaderboard")
board = ui.evaluation(st, "The leaderboard", ui.leaderboard)
if board is not None and len(board):
    directions = " ".join(f"{label} {'↑' if up else '↓'}" for label, up in catalog.METRICS.values() if up is not None)
    st.caption(f"Click a column header to sort. {directions} (↑ higher is better, ↓ lower is better). "
               "The real-data row is the floor a perfect generator reaches.")
    formats = {label: st.column_config.NumberColumn(format="%.0f" if key == "classes_2pct" else "%.4f")
               for key, (label, _) in catalog.METRICS.items()}
    st.dataframe(board, hide_index=True, width="stretch", key="training_leaderboard", column_config=formats)
elif board is not None:
    ui.not_evaluated(st, "The leaderboard")
