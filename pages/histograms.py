"""Pre-activation histograms (paper Fig. 4): DBN shows a notch at the 0.5 threshold, SBN more mass near 0 and 1,
the real-valued model a deeper U without a notch."""
import plotly.graph_objects as go
import streamlit as st

from pages import _common as ui

SAMPLE_COUNTS = (250, 500, 1000, 2000)

st.title("Pre-activation histograms")
with st.container(border=True):
    names = ui.pick_variants("histograms")
    c1, c2, c3 = st.columns(3)
    with c1:
        seed = ui.seed_input("histograms")
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
    h = ui.guarded(messages, name, ui.histogram, name, n, seed, bins, density)
    if h is not None:
        results[name] = h

y_title = "density" if density else "fraction of pixels"


def figure(items: dict) -> go.Figure:
    fig = go.Figure()
    for name, h in items.items():
        edges = h["edges"]
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=h["heights"], width=edges[1] - edges[0], name=name,
                    marker_color=ui.colour(names.index(name)), opacity=0.5 if len(items) > 1 else 0.9)
    fig.update_layout(barmode="overlay", bargap=0, xaxis_title="preactivated output p", yaxis_title=y_title,
                      yaxis_type="log" if log_y else "linear", legend=dict(orientation="h", y=-0.25),
                      margin=dict(t=30, l=10, r=10, b=10), height=380)
    fig.add_vline(x=0.5, line_dash="dot", line_color="gray")
    return fig


if results:
    st.caption(f"{n} samples × 784 pixels per variant, seed {seed}; the dotted line is the DBN threshold 0.5.")
    if layout == "overlaid":
        st.plotly_chart(figure(results), key="histograms_overlaid")
    else:
        for (name, h), col in zip(results.items(), st.columns(len(results))):
            with col:
                st.plotly_chart(figure({name: h}), key=f"histograms_{name}")

    st.subheader("Shape of each histogram")
    st.caption("Mass near 0/1: the fraction of p below 0.05 or above 0.95. Notch depth: 1 − density on "
               "[0.48, 0.52) / density on [0.35, 0.45) ∪ [0.55, 0.65); positive means a dip at the threshold.")
    for (name, h), col in zip(results.items(), st.columns(len(results))):
        with col:
            st.markdown(f"**{name}**")
            st.metric("mass near 0/1", f"{h['mass_near_01']:.1%}")
            st.metric("notch depth", f"{h['notch_depth']:+.2f}")
