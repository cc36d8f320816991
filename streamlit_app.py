"""BinaryGAN Explorer: `streamlit run streamlit_app.py`. Pages live in dashboard/, all logic in explorer/."""

import streamlit as st

from dashboard import _data as data
from dashboard import _session as session

st.set_page_config(page_title="BinaryGAN Explorer", page_icon=":material/grid_on:", layout="wide")

PAGES = [
    st.Page("dashboard/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("dashboard/samples.py", title="Samples", icon=":material/grid_view:"),
    st.Page("dashboard/histograms.py", title="Pre-activation histograms", icon=":material/bar_chart:"),
    st.Page("dashboard/interpolation.py", title="Latent interpolation", icon=":material/timeline:"),
    st.Page("dashboard/annealing.py", title="Slope annealing", icon=":material/trending_up:"),
    st.Page("dashboard/objectives.py", title="Objectives and mode collapse", icon=":material/balance:"),
    st.Page("dashboard/training_metrics.py", title="Training and metrics", icon=":material/monitoring:"),
    st.Page("dashboard/gradient_lab.py", title="Gradient lab", icon=":material/science:"),
    st.Page("dashboard/conditional.py", title="Conditional computation", icon=":material/alt_route:"),
]

page = st.navigation(PAGES)
session.init_session()
st.sidebar.caption(f"Checkpoints: `{data.data_root()}`")
page.run()
data.prewarm()
