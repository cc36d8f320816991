"""The background import of torch and the sampling code, released once the first page is drawn."""

from __future__ import annotations

import threading

import streamlit as st

PREWARM_HOLD_S = 10  # the longest the import waits for the first page to be drawn


@st.cache_resource(show_spinner=False)
def prewarm() -> threading.Event:
    """Once per process, before the first page runs: a background thread that imports torch and the sampling code,
    so the first page with samples does not wait for it. The import starts once the returned event is set (the app
    sets it when the page's run ends, st.stop included), so it does not slow the first render; the Overview itself
    needs no torch. A page that needs torch before the thread is done waits on Python's import lock, not twice."""
    import importlib

    drawn = threading.Event()

    def warm() -> None:
        drawn.wait(PREWARM_HOLD_S)
        importlib.import_module("training.sampling")

    threading.Thread(target=warm, name="binarygan-prewarm", daemon=True).start()
    return drawn
