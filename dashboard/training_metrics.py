"""Training and metrics: loss curves and per-epoch metrics for any variants, and a sortable leaderboard that
includes the real-data floor."""

import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from training.metrics import BY_KEY, METRICS, PER_EPOCH

st.title("Training and metrics")
with st.container(border=True):
    names = session.pick_variants("training", limit=session.MAX_SELECTION)
    c1, c2 = st.columns(2)
    with c1:
        smooth = session.address_widget(
            st.slider,
            "Smoothing (steps)",
            key="training_smooth",
            param="smooth",
            options=range(1, 501),
            default=50,
            cast=int,
            min_value=1,
            max_value=500,
            help="A centred rolling mean over this many generator steps; 1 shows the raw losses.",
        )
    with c2:
        keys = [m.key for m in PER_EPOCH]
        key = session.address_widget(
            st.selectbox,
            "Per-epoch metric",
            keys,
            key="training_metric",
            param="metric",
            options=keys,
            default=keys[0],
            format_func=lambda k: BY_KEY[k].label,
            help="An evaluation metric measured on 2,000 samples at every snapshot epoch; "
            "Fréchet distance: lower is closer to the data.",
        )
        metric = BY_KEY[key]


if names:
    messages = st.container()
    losses, per_epoch = {}, {}
    for name in names:
        s = guards.evaluation(messages, f"**{name}** per-step losses", data.steps, name, smooth)
        if s is not None:
            losses[name] = s
        h = guards.evaluation(messages, f"**{name}** per-epoch history", data.history, name)
        if h is not None:
            per_epoch[name] = h
    if losses:
        left, right = st.columns(2)
        with left:
            charts.show(
                charts.lines(
                    {n: (s["step"], s["d_loss"]) for n, s in losses.items()},
                    names,
                    "discriminator loss",
                    "generator step",
                    "D loss (its objective, lower is better for D)",
                ),
                key="training_d_loss",
            )
        with right:
            charts.show(
                charts.lines(
                    {n: (s["step"], s["g_loss"]) for n, s in losses.items()},
                    names,
                    "generator loss",
                    "generator step",
                    "G loss (its objective, lower is better for G)",
                ),
                key="training_g_loss",
            )
    # the evaluation fills metrics only at snapshot epochs; drop the gaps so the points join up
    series = {
        n: (h.dropna(subset=[metric.key])["epoch"], h.dropna(subset=[metric.key])[metric.key])
        for n, h in per_epoch.items()
        if h[metric.key].notna().any()
    }
    if series:
        charts.show(charts.lines(series, names, metric.label, "epoch", metric.label), key="training_metric_chart")
    elif per_epoch:
        guards.not_evaluated(st, f"{metric.label} per epoch")
else:
    st.info("Choose variants above to see their curves.")

st.subheader("Leaderboard")
board = guards.evaluation(st, "The leaderboard", data.leaderboard)
if board is not None and len(board):
    directions = " ".join(f"{m.label} {m.arrow}" for m in METRICS if m.better is not None)
    st.caption(
        f"Click a column header to sort. {directions} (↑ higher is better, ↓ lower is better). "
        "The real-data row is the floor a perfect generator reaches."
    )
    formats = {m.label: st.column_config.NumberColumn(format=f"%.{m.decimals}f") for m in METRICS}
    st.dataframe(board, hide_index=True, width="stretch", key="training_leaderboard", column_config=formats)
    st.download_button(
        "Leaderboard (CSV)",
        board.to_csv(index=False).encode(),
        file_name="leaderboard.csv",
        mime="text/csv",
        key="training_leaderboard_csv",
        icon=":material/download:",
        on_click="ignore",
    )
elif board is not None:
    guards.not_evaluated(st, "The leaderboard")

spread = guards.evaluation(st, "The spread over training seeds", data.seed_spread)
if spread is not None and len(spread):
    st.subheader("Over training seeds")
    st.caption(
        "Variants trained with more than one seed: the mean, the sample standard deviation and each seed's "
        "value. Only seed 0's weights ship; the other seeds ship their metrics."
    )
    st.dataframe(spread, hide_index=True, width="stretch", key="training_seed_spread")
