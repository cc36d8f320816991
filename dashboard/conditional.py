"""Conditional computation: binary gate neurons choose which of four experts draws each digit. What each expert draws
on its own, how the load spreads and whether it follows the digit, the gates along a latent path, and the verdicts
over three training seeds against the dense generator, and the controls that ask whether the binary gate matters."""

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import analysis, files, gated
from training.images import grid_png

GRID_SIZES = (3, 4, 5, 6)  # each expert's grid is n x n samples

st.title("Conditional computation")
st.markdown(
    "The talk's last point: binary neurons *open the possibility of a conditional computation graph*. In these "
    "generators, two binary **gate neurons** read the latent z first, and their two bits pick **one of four "
    "experts**, each a quarter of the dense generator's hidden layer. Only that expert runs when sampling, a quarter "
    "of the dense multiply-adds, with the same parameter count. The design, and the rules that judge it (stated "
    "before training), are in docs/conditional.md."
)
variants = gated.gated_variants()
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    with c1:
        name = session.address_widget(
            st.radio,
            "Gates",
            variants,
            key="cc_variant",
            param="gated",
            options=variants,
            # DBN gates first: the generator whose win the page is about
            default=next((n for n in variants if gated.REGISTRY[n].neuron == "dbn"), variants[0]),
            format_func=lambda n: f"{gated.REGISTRY[n].neuron.upper()} gates ({n})",
            help="DBN gates threshold their pre-activation at 0, so each latent has one expert; SBN gates draw "
            "their bits, so a latent may run a different expert from one draw to the next. The output layer is "
            "the same kind as the gates.",
        )
    with c2:
        seed = session.seed_input("cc")
    with c3:
        size = session.address_widget(
            st.select_slider,
            "Samples per expert",
            GRID_SIZES,
            key="cc_grid",
            param="grid",
            options=GRID_SIZES,
            default=4,
            cast=int,
            format_func=lambda k: f"{k} × {k}",
            help="The size of each expert's grid below.",
        )
experts = gated.REGISTRY[name].experts

st.subheader("What each expert draws")
st.caption(
    f"The same {size * size} latents of seed {seed}, forced through each expert in turn, so every expert's style "
    "shows on latents its gates would send elsewhere. Below them, the latents through the experts their own gates "
    "chose."
)
grids = {k: guards.guarded(st, name, data.expert_grid, name, k, size * size, seed, size) for k in range(experts)}
if any(v is None for v in grids.values()):
    st.stop()
for k, col in enumerate(st.columns(experts)):
    with col:
        grid = grids[k]
        assert grid is not None
        st.image(grid["png"], caption=f"expert {k} (gate bits b0 = {k & 1}, b1 = {k >> 1})", width="stretch")
        charts.png_button(grid["png"], f"{name}-expert{k}-seed{seed}.png", f"cc_png_{k}")
own = data.expert_grid(name, None, size * size, seed, size)
left, right = st.columns([1, 2])
with left:
    st.image(own["png"], caption="each latent through its own gates' expert", width="stretch")
    charts.png_button(own["png"], f"{name}-routed-seed{seed}.png", "cc_png_routed")
with right:
    st.dataframe(
        pd.DataFrame(np.asarray(own["experts"]).reshape(size, size)),
        hide_index=False,
        width="stretch",
    )
    st.caption("The expert each sample of the grid on the left ran through, in the same places.")

st.subheader("Over three training seeds")
try:
    shipped = data.gated_metrics()
except files.DataFileError as e:
    st.error(f"The gate metrics cannot be read: {e}", icon=":material/error:")
    st.stop()
verdict = next(v for v in shipped["verdicts"] if v.variant == name)
by_seed = shipped["seeds"][name]
if not by_seed:
    guards.not_evaluated(st, f"The gate metrics of {name}")
    st.stop()
a, b, c = st.columns(3)
a.metric(
    "Quality against the dense generator",
    verdict.quality,
    help=f"FD over seeds 0–2 against {verdict.dense}: better or worse when the bands mean ± sd do not overlap "
    "(the rule of docs/conditional.md, stated before training).",
)
b.metric(
    "Collapsed seeds",
    f"{len(verdict.collapsed_seeds)} of {len(by_seed)}",
    help=f"A seed collapses when its usage entropy is below {gated.COLLAPSE_BITS:g} bit (of 2) or an expert is "
    "never chosen.",
)
specialised = {True: "yes", False: "no", None: "no verdict yet"}[verdict.specialised]
c.metric(
    "Experts specialise by digit",
    specialised,
    help=f"NMI between the expert and the classifier's digit above {gated.SPECIALISED_NMI:g} in every seed "
    "(0: the expert says nothing of the digit; 0.75 is the ceiling with 4 experts and 10 digits).",
)
table = shipped["summary"]
st.dataframe(table, hide_index=True, width="stretch")
st.download_button(
    "Table (CSV)",
    table.to_csv(index=False).encode(),
    file_name="conditional-computation-seeds.csv",
    mime="text/csv",
    key="cc_table_csv",
    icon=":material/download:",
    on_click="ignore",
)

st.subheader(gated.CONTROLS_QUESTION)
controls = shipped["control_verdicts"]
st.caption(
    f"`{gated.GATED}` against three controls on its recipe: the same four experts routed at random or mixed by a "
    "learned softmax, and a dense generator as wide as one expert (its multiply-adds per sample, a quarter of its "
    "parameters). Soft routing's expert, for its gate metrics, is each sample's largest mixture weight."
)
g1, g2 = st.columns(2)
g1.metric(
    "The FD gain over the dense generator comes from",
    controls.attribution,
    help="mixture: any four experts do it; routing: a learned routing, binary or not; binary routing: only the "
    "binary gates; unattributed: none of these patterns (docs/conditional.md).",
)
g2.metric(
    "The gain",
    controls.parameters,
    help="Whether the dense generator one expert wide does worse than the gated one (then the gain needs the "
    "experts' parameters) or not (then the active compute suffices).",
)
st.dataframe(shipped["controls"], hide_index=True, width="stretch")
st.caption(f"Rule, stated before the controls trained: {gated.CONTROLS_RULE}")

usage_col, class_col = st.columns(2)
with usage_col:
    st.markdown("**Expert usage**")
    st.caption("The share of the evaluation's 10,000 latents each expert runs for, per training seed. 0.25 is even.")
    charts.show(charts.usage_bars({f"seed {s}": m.share for s, m in by_seed.items()}), key="cc_usage")
with class_col:
    shown = st.selectbox(
        "Training seed",
        list(by_seed),
        key="cc_class_seed",
        format_func=lambda s: f"seed {s}",
        help="Whose expert × digit table to show.",
    )
    st.caption(
        f"Each expert's samples by the classifier's digit (rows sum to 1). NMI {by_seed[shown].nmi:.3f}: "
        "stripes mean the experts split the digits between them."
    )
    shares = gated.class_shares(by_seed[shown].counts)
    charts.show(charts.class_shares({f"expert {k}": list(row) for k, row in enumerate(shares)}), key="cc_classes")

st.subheader("The gates along a latent path")
p1, p2, p3 = st.columns(3)
start = session.path_seed_input(
    p1, "Start seed", key="cc_start", param="start", default=0, help="The path starts at this seed's first latent."
)
end = session.path_seed_input(
    p2, "End seed", key="cc_end", param="end", default=1, help="The path ends at this seed's first latent."
)
steps = session.address_widget(
    p3.slider,
    "Steps",
    2,
    64,
    key="cc_steps",
    param="steps",
    options=range(2, 65),
    default=16,
    cast=int,
    help="Frames along the straight path, both ends included.",
)
path = analysis.interpolate(data.latents(1, int(start))[0], data.latents(1, int(end))[0], int(steps))
frames, route = data.path_gates(name, path, int(start))
st.image(grid_png(frames, min(int(steps), 16)), caption="the path, left to right", width="stretch")
flips = int((route[1:] != route[:-1]).sum())
noise = (
    " SBN gates redraw at every frame, so they also switch by chance." if gated.REGISTRY[name].neuron == "sbn" else ""
)
st.caption(
    f"The expert of every frame: {flips} switch(es) in {int(steps) - 1} steps. Shipped flip rate over 256 paths: "
    f"{by_seed[shown].flip_rate:.3f} (seed {shown}).{noise}"
)
charts.show(charts.expert_steps(route, experts), key="cc_path")
