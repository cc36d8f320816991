"""The app starts importing torch in the background for the first page with samples, whatever the first page does:
a page that stops early (st.stop) lets the import go ahead too."""

from __future__ import annotations

from dashboard import _prewarm


def test_a_first_page_that_stops_early_still_lets_the_import_go_ahead(make_app, checkpoints_root, texts):
    _prewarm.prewarm.clear()  # once per process: this test's app is the first to ask
    at = make_app(checkpoints_root, "gradient_lab", deep_link=True)
    assert any("No variant has a trained critic" in i for i in texts(at, "info"))  # the page called st.stop
    assert _prewarm.prewarm().is_set()  # the cached event of the run above: the import was released
