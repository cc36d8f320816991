"""Samples: binary digits next to their preactivated outputs (paper Fig. 3); raw/threshold/Bernoulli for the
real-valued model (Fig. 5). Every column decodes the same latents."""

import streamlit as st

from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import relations, render

GRID_SIZES = tuple(range(2, 11))  # k x k samples per variant

st.title("Samples")
with st.container(border=True):
    names = session.pick_variants("samples", limit=session.MAX_COMPARE)
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    with c1:
        seed = session.seed_input("samples")
    with c2:
        k = session.address_widget(
            st.select_slider,
            "Grid size",
            GRID_SIZES,
            key="samples_grid",
            param="grid",
            options=GRID_SIZES,
            default=8,
            cast=int,
            format_func=lambda k: f"{k}×{k}",
            help="k×k samples per variant, drawn from the first k² latents of the seed.",
        )
    with c3:
        session.resample_button("samples")
    with c4:
        twins = session.twins_toggle("samples")

if not names:
    st.info("Choose at least one variant above.")
    st.stop()

st.caption(
    f"{k * k} samples per variant from seed {seed}; the same latents in every column. "
    "Beside each binary sample, the preactivated output p of each pixel, in the same ink: 0 white, 1 black."
)


def show(name: str) -> None:
    st.markdown(f"**{name}**")
    views = guards.guarded(st, name, data.sample_views, name, k * k, seed, k)
    if views is None:
        return
    st.caption(f"epoch {views['epoch']}, slope s = {views['slope']:.3g}")
    if views["neuron"] == "real":
        st.image(views["raw"], caption="raw p", width="stretch")
        st.image(views["threshold"], caption="thresholded at 0.5", width="stretch")
        st.image(views["bernoulli"], caption="Bernoulli(p) sample", width="stretch")
    else:
        st.image(views["binary"], caption="binary output", width="stretch")
        st.image(views["colormap"], caption="preactivated output p", width="stretch")
    st.download_button(
        "Download grid (PNG)",
        views["binary"],
        file_name=f"{name}-seed{seed}-{k}x{k}.png",
        mime="image/png",
        key=f"samples_download_{name}",
        icon=":material/download:",
        on_click="ignore",
    )


if twins:  # one row per experiment: the paper's text recipe on the left, its reference code on the right
    for paper, code in relations.recipe_pairs(names):
        left, right = st.columns(2)
        with left:
            show(paper)
        with right:
            if code is None:
                st.info(f"{paper} has no code-recipe twin: it is an extra the paper does not have.")
            else:
                show(code)
else:
    for name, col in zip(names, st.columns(len(names)), strict=True):
        with col:
            show(name)

st.image(render.colorbar_png(), caption="p: 0 → 1", width=256)
