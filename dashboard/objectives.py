"""Objectives and mode collapse (paper Fig. 8): GAN / WGAN / WGAN-GP, with and without BatchNorm in D, for DBN
and SBN; each variant's class histogram from the evaluation classifier makes mode collapse visible."""

import numpy as np
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import files, relations

OBJECTIVES = (("gan", "GAN"), ("wgan", "WGAN"), ("wgan-gp", "WGAN-GP"))
BN_IN_D = ((True, "BatchNorm in D"), (False, "no BatchNorm in D"))
GRID = 5
RECIPES = {"paper": "paper's text", "code": "reference code"}

st.title("Objectives and mode collapse")
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    with c1:
        neuron = session.address_widget(
            st.radio,
            "Neuron",
            ("dbn", "sbn"),
            key="objectives_neuron",
            param="neuron",
            options=("dbn", "sbn"),
            default="dbn",
            horizontal=True,
            format_func=str.upper,
            help="DBN thresholds p at 0.5; SBN samples each pixel from Bernoulli(p).",
        )
    with c2:
        recipe = session.address_widget(
            st.radio,
            "Recipe",
            tuple(RECIPES),
            key="objectives_recipe",
            param="recipe",
            options=tuple(RECIPES),
            default="paper",
            horizontal=True,
            format_func=RECIPES.__getitem__,
            help="The paper's text (slope annealed, BatchNorm with batch statistics) or what its "
            "reference code ran (slope fixed at 1, BatchNorm as a learned affine).",
        )
    with c3:
        seed = session.seed_input("objectives")
grid = relations.fig8_grid(neuron, recipe)

try:
    real, metrics = data.all_metrics()
except files.DataFileError as e:
    st.error(f"Evaluation metrics cannot be read: {e}")
    real, metrics = None, {}

st.caption(f"{GRID * GRID} samples per variant, seed {seed}; the paper found that GAN suffers mode collapse.")
header = st.columns([1, 3, 3])
for (_bn, bn_label), col in zip(BN_IN_D, header[1:], strict=True):
    col.markdown(f"**{bn_label}**")
for objective, label in OBJECTIVES:
    row = st.columns([1, 3, 3])
    row[0].markdown(f"**{label}**")
    for (bn, _), col in zip(BN_IN_D, row[1:], strict=True):
        name = grid[(objective, bn)]
        with col:
            st.caption(f"{label}, {'BN' if bn else 'no BN'} in D: {name}")
            views = guards.guarded(st, name, data.sample_views, name, GRID * GRID, seed, GRID)
            if views is not None:
                st.image(views["binary"], width="stretch")
                charts.png_button(views["binary"], f"{name}-seed{seed}-{GRID}x{GRID}.png", f"objectives_png_{name}")
            m = metrics.get(name)
            if m and not np.isnan(m["class_kl"]):
                st.caption(f"class KL {m['class_kl']:.3f} · classes ≥ 2%: {m['classes_2pct']:.0f}")

st.subheader("Class histograms")
st.caption(
    "The share of samples the evaluation classifier assigns to each digit. Balanced rows are healthy; "
    "a row dominated by a few digits is mode collapse."
)
rows = {"real data": real["class_hist"]} if real and real["class_hist"] else {}
for objective, _label in OBJECTIVES:
    for bn, _ in BN_IN_D:
        name = grid[(objective, bn)]
        if metrics.get(name) and metrics[name]["class_hist"]:
            rows[name] = metrics[name]["class_hist"]
missing = [grid[k] for k in grid if grid[k] not in rows]
if len(rows) > (1 if "real data" in rows else 0):
    charts.show(charts.class_shares(rows), key="objectives_classes")
if missing:
    guards.not_evaluated(st, "Class histogram of " + ", ".join(missing))
