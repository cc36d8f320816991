"""BinaryGAN Explorer: `streamlit run streamlit_app.py`. Pages live in dashboard/, all logic in explorer/."""

import streamlit as st

from dashboard import _data as data
from dashboard import _session as session
from dashboard._prewarm import prewarm
from explorer import pages

st.set_page_config(page_title="BinaryGAN Explorer", page_icon=":material/grid_on:", layout="wide")

page = st.navigation(
    {
        section: [
            st.Page(p.file, title=p.title, icon=p.icon, url_path=pages.url_path(p), default=p == pages.DEFAULT)
            for p in in_section
        ]
        for section, in_section in pages.by_section().items()
    }
)
session.init_session()
data.show_root()
drawn = prewarm()
try:
    page.run()
finally:  # st.stop and st.rerun end a run with an exception: the import and the link still go ahead
    drawn.set()
    session.copy_link(page.url_path)
