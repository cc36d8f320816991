"""Slope annealing: the annealed run next to its fixed-slope twin, epoch by epoch over the shipped snapshots."""
import plotly.graph_objects as go
import streamlit as st

from explorer import analysis, catalog, render
from pages import _common as ui
from training.config import SNAPSHOT_EPOCHS, get_variant

GRID = 6  # 6 x 6 samples per run
HIST_SAMPLES = 500

st.title("Slope annealing")
st.markdown("The slope s in p = σ(s·x) starts at 1 and, when annealed, grows ×1.1 per epoch (≈ 6.1 by epoch 20), "
            "sharpening the straight-through gradient s·p·(1−p) around the threshold.")
pairs = catalog.annealing_pairs()
with st.container(border=True):
    c1, c2, c3 = st.columns([1, 2, 1])
    with c1:
        neuron = st.radio("Neuron", tuple(pairs), horizontal=True, key="anneal_neuron", format_func=str.upper)
    with c2:
        epoch = st.select_slider("Epoch", SNAPSHOT_EPOCHS, value=SNAPSHOT_EPOCHS[-1], key="anneal_epoch",
                                 help="Generators are kept after these epochs.")
    with c3:
        seed = ui.seed_input("anneal")

runs = pairs[neuron]
st.subheader(f"Epoch {epoch}")
hists = {}
for name, col in zip(runs, st.columns(2)):
    cfg = get_variant(name)
    with col:
        st.markdown(f"**{name}**  \n{'annealed' if cfg.annealed else 'fixed slope'}")
        views = ui.guarded(st, name, ui.sample_views, name, GRID * GRID, seed, GRID, epoch=epoch)
        if views is None:
            continue
        st.metric("slope s at this epoch", f"{views['slope']:.3f}")
        st.image(views["binary"], caption="binary output", width="stretch")
        st.image(views["colormap"], caption="preactivated output p (viridis, 0 → 1)", width="stretch")
        hists[name] = ui.histogram(name, HIST_SAMPLES, seed, 50, True, epoch=epoch)

if hists:
    fig = go.Figure()
    for name, h in hists.items():
        edges = h["edges"]
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=h["heights"], width=edges[1] - edges[0], opacity=0.5,
                    marker_color=ui.colour(runs.index(name)),
                    name=f"{name} (notch {h['notch_depth']:+.2f}, near 0/1 {h['mass_near_01']:.0%})")
    fig.update_layout(barmode="overlay", bargap=0, xaxis_title="preactivated output p", yaxis_title="density",
                      height=340, legend=dict(orientation="h", y=-0.3), margin=dict(t=20, l=10, r=10, b=10))
    st.plotly_chart(fig, key="anneal_hist")
st.image(render.colorbar_png(), caption="p: 0 → 1", width=256)

st.subheader("Across epochs")
left, right = st.columns(2)
with left:
    fig = go.Figure()
    for name in runs:
        cfg = get_variant(name)
        e, s = analysis.slope_schedule(cfg.initial_slope, cfg.slope_annealing_rate, cfg.epochs)
        fig.add_scatter(x=e, y=s, mode="lines+markers", name=name, line_color=ui.colour(runs.index(name)))
    fig.add_vline(x=epoch, line_dash="dot", line_color="gray")
    fig.update_layout(title="slope schedule", xaxis_title="epoch", yaxis_title="slope s", height=320,
                      legend=dict(orientation="h", y=-0.3), margin=dict(t=40, l=10, r=10, b=10))
    st.plotly_chart(fig, key="anneal_schedule")
with right:
    metric = st.selectbox("Metric", catalog.HISTORY_METRICS, key="anneal_metric",
                          format_func=lambda k: catalog.METRICS[k][0])
    fig = go.Figure()
    for name in runs:
        h = ui.evaluation(st, f"**{name}** per-epoch history", ui.history, name)
        if h is not None and h[metric].notna().any():
            h = h.dropna(subset=[metric])  # metrics exist only at snapshot epochs
            fig.add_scatter(x=h["epoch"], y=h[metric], mode="lines+markers", name=name,
                            line_color=ui.colour(runs.index(name)))
    if fig.data:
        fig.add_vline(x=epoch, line_dash="dot", line_color="gray")
        fig.update_layout(title=catalog.METRICS[metric][0], xaxis_title="epoch", height=320,
                          legend=dict(orientation="h", y=-0.3), margin=dict(t=40, l=10, r=10, b=10))
        st.plotly_chart(fig, key="anneal_metric_chart")
    else:
        ui.not_evaluated(st, catalog.METRICS[metric][0])
