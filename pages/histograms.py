"""Pre-activation histograms (paper Fig. 4): DBN shows a notch at the 0.5 threshold, SBN more mass near 0 and 1,
the real-valued model a deeper U without a notch."""
import streamlit as st

from pages import _charts as charts
from pages import _data as data
from pages import _session as session

SAMPLE_COUNTS = (250, 500, 1000, 2000)

st.title("Pre-activation histograms")
with st.container(border=True):
    names = session.pick_variants("histograms")
    c1, c2, c3 = st.columns(3)
    with c1:
        seed = session.seed_input("histograms")
        n = st.select_slider("Samples per variant", SAMPLE_COUNTS, value=1000, key="histograms_n")
    with c2:
        bins = st.slider("Bins", min_value=10, max_value=200, value=50, step=5, key="histograms_bins")
        layout = st.radio("Layout", ("overlaid", "side by side"), horizontal=True, key="histograms_layout")
    with c3:
        density = st.toggle("Density", value=True, key="histograms_density",
                            help="On: a probability density on [0, 1]. Off: the fraction of pixels in each bin.")
        log_y = st.toggle("Log scale", value=False, key="histograms_log")

if not names:
    st.info("Choose at least one variant above.")
    st.stop()

results = {}
messages = st.container()
for name in names:
    h = data.guarded(messages, name, data.histogram, name, n, seed, bins, density)
    if h is not None:
        results[name] = h

y_title = "density" if density else "fraction of pixels"
if results:
    st.caption(f"{n} samples × 784 pixels per variant, seed {seed}; the dotted line is the DBN threshold 0.5.")
    if layout == "overlaid":
        st.plotly_chart(charts.histograms(results, names, y_title, log_y, height=380), key="histograms_overlaid")
    else:
        for (name, h), col in zip(results.items(), st.columns(len(results))):
            with col:
                st.plotly_chart(charts.histograms({name: h}, names, y_title, log_y, height=380),
                                key=f"histograms_{name}")

    st.subheader("Shape of each histogram")
    st.caption("Mass near 0/1: the fraction of p below 0.05 or above 0.95. Notch depth: 1 − density on "
               "[0.48, 0.52) / density on [0.35, 0.45) ∪ [0.55, 0.65); positive means a dip at the threshold.")
    for (name, h), col in zip(results.items(), st.columns(len(results))):
        with col:
            st.markdown(f"**{name}**")
            st.metric("mass near 0/1", f"{h['mass_near_01']:.1%}")
            st.metric("notch depth", f"{h['notch_depth']:+.2f}")
