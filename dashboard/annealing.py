"""Slope annealing: the annealed run next to its fixed-slope twin, epoch by epoch over the shipped snapshots."""

import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import analysis, relations, render
from training.metrics import BY_KEY, PER_EPOCH
from training.variants import SNAPSHOT_EPOCHS, get_variant

GRID = 6  # 6 x 6 samples per run
HIST_SAMPLES = 500

st.title("Slope annealing")
st.markdown(
    "The slope s in p = σ(s·x) starts at 1 and, when annealed, grows ×1.1 per epoch (≈ 6.1 by epoch 20), "
    "sharpening the straight-through gradient s·p·(1−p) around the threshold."
)
pairs = relations.annealing_pairs()
with st.container(border=True):
    c1, c2, c3 = st.columns([1, 2, 1])
    with c1:
        neuron = session.address_widget(
            st.radio,
            "Neuron",
            tuple(pairs),
            key="anneal_neuron",
            param="neuron",
            options=tuple(pairs),
            default=tuple(pairs)[0],
            horizontal=True,
            format_func=str.upper,
            help="DBN thresholds p at 0.5; SBN samples each pixel from Bernoulli(p).",
        )
    with c2:
        epoch = session.address_widget(
            st.radio,  # every kept epoch in sight: a slider would show only the chosen one
            "Epoch",
            SNAPSHOT_EPOCHS,
            key="anneal_epoch",
            param="epoch",
            options=SNAPSHOT_EPOCHS,
            default=SNAPSHOT_EPOCHS[-1],
            cast=int,
            horizontal=True,
            help="Generators are kept after these epochs only.",
        )
    with c3:
        seed = session.seed_input("anneal")

runs = pairs[neuron]
st.subheader(f"Epoch {epoch}")
st.caption(
    "The third run is the paper's reference code as it really ran: the slope stays at 1 there too, and its "
    "BatchNorm is a learned affine rather than batch statistics."
)
hists = {}
for name, col in zip(runs, st.columns(len(runs)), strict=True):
    cfg = get_variant(name)
    with col:
        kind = "annealed" if cfg.annealed else "fixed slope" + (", reference code" if cfg.recipe == "code" else "")
        st.markdown(f"**{name}**  \n{kind}")
        views = guards.guarded(st, name, data.sample_views, name, GRID * GRID, seed, GRID, epoch=epoch)
        if views is None:
            continue
        st.metric("slope s at this epoch", f"{views['slope']:.3f}")
        st.image(views["binary"], caption="binary output", width="stretch")
        st.image(views["colormap"], caption="preactivated output p (white 0 → black 1)", width="stretch")
        charts.png_button(views["binary"], f"{name}-epoch{epoch}-seed{seed}.png", f"anneal_png_{name}")
        hists[name] = data.histogram(name, HIST_SAMPLES, seed, 50, True, epoch=epoch)

if hists:
    labels = {n: f"{n} (notch {h['notch_depth']:+.2f}, near 0/1 {h['mass_near_01']:.0%})" for n, h in hists.items()}
    charts.show(charts.histograms(hists, runs, labels=labels, height=340), key="anneal_hist")
st.image(render.colorbar_png(), caption="p: 0 → 1", width=256)

st.subheader("Across epochs")
left, right = st.columns(2)
with left:
    schedules = {}
    for name in runs:
        cfg = get_variant(name)
        schedules[name] = analysis.slope_schedule(cfg.initial_slope, cfg.slope_annealing_rate, cfg.epochs)
    charts.show(
        charts.lines(schedules, runs, "slope schedule", "epoch", "slope s", marker_epoch=epoch), key="anneal_schedule"
    )
with right:
    keys = [m.key for m in PER_EPOCH]
    metric = BY_KEY[
        session.address_widget(
            st.selectbox,
            "Metric",
            keys,
            key="anneal_metric",
            param="metric",
            options=keys,
            default=keys[0],
            format_func=lambda k: BY_KEY[k].label,
            help="An evaluation metric measured on 2,000 samples at every snapshot epoch.",
        )
    ]
    curves = {}
    for name in runs:
        h = guards.evaluation(st, f"**{name}** per-epoch history", data.history, name)
        if h is not None and h[metric.key].notna().any():
            h = h.dropna(subset=[metric.key])  # metrics exist only at snapshot epochs
            curves[name] = (h["epoch"], h[metric.key])
    if curves:
        charts.show(charts.lines(curves, runs, metric.label, "epoch", marker_epoch=epoch), key="anneal_metric_chart")
    else:
        guards.not_evaluated(st, metric.label)
