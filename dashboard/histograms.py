"""Pre-activation histograms (paper Fig. 4): DBN shows a notch at the 0.5 threshold, SBN more mass near 0 and 1,
the real-valued model a deeper U without a notch."""

import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import relations, tables

SAMPLE_COUNTS = (250, 500, 1000, 2000)
LAYOUTS = ("overlaid", "side by side")

st.title("Pre-activation histograms")
with st.container(border=True):
    names = session.pick_variants("histograms")
    c1, c2, c3 = st.columns(3)
    with c1:
        seed = session.seed_input("histograms")
        n = session.address_widget(
            st.select_slider,
            "Samples per variant",
            SAMPLE_COUNTS,
            key="histograms_n",
            param="n",
            options=SAMPLE_COUNTS,
            default=1000,
            cast=int,
            help="How many samples' 784 pixels go into each histogram.",
        )
    with c2:
        bins = session.address_widget(
            st.slider,
            "Bins",
            key="histograms_bins",
            param="bins",
            options=range(10, 201, 5),
            default=50,
            cast=int,
            min_value=10,
            max_value=200,
            step=5,
            help="The number of equal-width intervals [0, 1] is cut into; more bins show finer "
            "detail, such as the notch at 0.5, but noisier bars.",
        )
        layout = session.address_widget(
            st.radio,
            "Layout",
            LAYOUTS,
            key="histograms_layout",
            param="layout",
            options=LAYOUTS,
            default=LAYOUTS[0],
            horizontal=True,
            help="Overlaid: all variants on one chart. Side by side: one chart per variant.",
        )
    with c3:
        density = session.address_widget(
            st.toggle,
            "Density",
            key="histograms_density",
            param="density",
            options=(True, False),
            default=True,
            cast=session.flag,
            help="On: a probability density on [0, 1]. Off: the fraction of pixels in each bin.",
        )
        log_y = session.address_widget(
            st.toggle,
            "Log scale",
            key="histograms_log",
            param="log",
            options=(True, False),
            default=True,  # on a linear axis the mass at 0 and 1 flattens the middle, where the notch would be
            cast=session.flag,
            help="A logarithmic y axis, which makes the small bars in the middle of [0, 1] visible.",
        )
        if session.twins_toggle("histograms"):
            names = [n for row in relations.recipe_pairs(names) for n in row if n is not None]

if not names:
    st.info("Choose at least one variant above.")
    st.stop()

results = {}
messages = st.container()
for name in names:
    h = guards.guarded(messages, name, data.histogram, name, n, seed, bins, density)
    if h is not None:
        results[name] = h

y_title = "density" if density else "fraction of pixels"
if results:
    st.caption(f"{n} samples × 784 pixels per variant, seed {seed}; the dotted line is the DBN threshold 0.5.")
    if layout == "overlaid":
        charts.show(
            charts.histograms(results, names, y_title, log_y, height=380),
            key="histograms_overlaid",
            filename=f"histograms-seed{seed}",
        )
    else:
        for (name, h), col in zip(results.items(), st.columns(len(results)), strict=True):
            with col:
                charts.show(charts.histograms({name: h}, names, y_title, log_y, height=380), key=f"histograms_{name}")

    st.subheader("Shape of each histogram")
    st.caption(
        "Mass near 0/1: the fraction of p below 0.05 or above 0.95. Notch depth: 1 − density on "
        "[0.48, 0.52) / density on [0.35, 0.45) ∪ [0.55, 0.65); positive means a dip at the threshold."
    )
    spread = guards.evaluation(st, "The spread over training seeds", data.seed_spread)
    for (name, h), col in zip(results.items(), st.columns(len(results)), strict=True):
        with col:
            st.markdown(f"**{name}**")
            st.metric("mass near 0/1", f"{h['mass_near_01']:.1%}")
            st.metric("notch depth", f"{h['notch_depth']:+.3f}")
            mass = tables.seed_band(spread, name, "mass_near_01") if spread is not None else None
            notch = tables.seed_band(spread, name, "notch_depth") if spread is not None else None
            if mass is not None and notch is not None:
                st.caption(
                    f"Over {mass[2]} training seeds (evaluation samples): mass {mass[0]:.1%} ± {mass[1]:.1%}, "
                    f"notch {notch[0]:+.3f} ± {notch[1]:.3f} (mean ± sd)."
                )
