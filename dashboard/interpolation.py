"""Latent interpolation: one path through latent space, decoded by several variants side by side, with the
number of pixels that flip between frames (a smooth binary generator flips few) and a playable animation."""

import numpy as np
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import analysis, files
from training.images import grid_png

SOURCES = ("two seeds", "two samples from a grid")
PICK_GRID = 4  # the sample grid to pick end points from is PICK_GRID x PICK_GRID

st.title("Latent interpolation")
with st.container(border=True):
    names = session.pick_variants("interp")
    c1, c2, c3 = st.columns(3)
    with c1:
        source = session.address_widget(
            st.radio,
            "End points",
            SOURCES,
            key="interp_source",
            param="ends",
            options=SOURCES,
            default=SOURCES[0],
            help="Where the path starts and ends: the first latent of two seeds, or two samples "
            "picked from one seed's grid.",
        )
    with c2:
        steps = session.address_widget(
            st.slider,
            "Steps",
            key="interp_steps",
            param="steps",
            options=range(2, 65),
            default=16,
            cast=int,
            min_value=2,
            max_value=64,
            help="Frames along the path, both end points included.",
        )
    with c3:
        kind = session.address_widget(
            st.radio,
            "Path",
            analysis.INTERPOLATIONS,
            key="interp_kind",
            param="path",
            options=analysis.INTERPOLATIONS,
            default=analysis.INTERPOLATIONS[0],
            horizontal=True,
            help="Linear: a straight line between the two latents. Spherical: along the great circle, "
            "which keeps every frame's latent at the typical length of a Gaussian vector.",
            format_func=lambda k: {"linear": "linear (lerp)", "spherical": "spherical (slerp)"}[k],
        )

    if source == "two seeds":
        a, b = st.columns(2)
        seed_a = session.path_seed_input(
            a,
            "Start seed",
            key="interp_seed_a",
            param="start",
            default=0,
            help="The path starts at this seed's first latent vector.",
        )
        seed_b = session.path_seed_input(
            b,
            "End seed",
            key="interp_seed_b",
            param="end",
            default=1,
            help="The path ends at this seed's first latent vector.",
        )
        z0, z1 = data.latents(1, int(seed_a))[0], data.latents(1, int(seed_b))[0]
        noise_seed = int(seed_a)
    else:
        seed = session.seed_input("interp", "Grid seed")
        grid_z = data.latents(PICK_GRID**2, seed)  # (16, 128)
        shown = next((n for n in names if files.variant_status(n).state == files.TRAINED), None)
        frames = guards.guarded(st, shown, data.decode, shown, grid_z, seed) if shown else None
        if frames is not None:
            charts.png_button(
                grid_png(frames, PICK_GRID),
                f"{shown}-seed{seed}-grid.png",
                "interp_grid_png",
                "Download the grid (PNG)",
            )
            st.image(
                grid_png(frames, PICK_GRID, scale=3),
                width=PICK_GRID * 29 * 3,
                caption=f"{shown}, seed {seed}: samples 0–{PICK_GRID**2 - 1}, left to right, top to bottom",
            )
        a, b = st.columns(2)
        i0 = session.address_widget(
            a.number_input,
            "Start sample",
            0,
            PICK_GRID**2 - 1,
            key="interp_i0",
            param="start_sample",  # not "start": the two modes' end points are different things
            options=range(PICK_GRID**2),
            default=0,
            cast=int,
            help="The grid's sample the path starts at, counted from 0, left to right, top to bottom.",
        )
        i1 = session.address_widget(
            b.number_input,
            "End sample",
            0,
            PICK_GRID**2 - 1,
            key="interp_i1",
            param="end_sample",
            options=range(PICK_GRID**2),
            default=PICK_GRID**2 - 1,
            cast=int,
            help="The grid's sample the path ends at.",
        )
        z0, z1 = grid_z[int(i0)], grid_z[int(i1)]
        noise_seed = seed

if not names:
    st.info("Choose at least one variant above.")
    st.stop()

path = analysis.interpolate(z0, z1, steps, kind)  # (T, 128)
decoded = {}
for name in names:
    frames = guards.guarded(st, name, data.decode, name, path, noise_seed)
    if frames is not None:
        decoded[name] = frames  # (T, 28, 28)
if not decoded:
    st.stop()

st.subheader("The same path through every generator")
st.caption(f"{steps} frames along a {kind} path, left to right.")
per_row = min(steps, 16)
for name, frames in decoded.items():
    png = grid_png(frames, per_row)
    st.image(png, caption=name, width="stretch")
    charts.png_button(png, f"{name}-{kind}-{steps}-frames.png", f"interp_png_{name}")

st.subheader("Pixels that flip between consecutive frames")
st.caption(
    "Few flips per step means a smooth latent space. A stochastic neuron resamples its pixels at every "
    "frame, so SBN flips even where p barely moves."
)
flips = {name: (np.arange(1, steps), analysis.pixel_flips(frames)) for name, frames in decoded.items()}
fig = charts.lines(flips, names, x_title="step (frame t−1 → t)", y_title="pixels flipped")
charts.show(fig, key="interp_flips")

st.subheader("Animation")
st.caption("Press play, or drag the slider; the variants run left to right.")
st.plotly_chart(data.animation(decoded), key="interp_animation")
