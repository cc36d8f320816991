"""Sixteen browser sessions on one `streamlit run` server at once: no errors, and each sees what it sees alone.
Every session deep-links straight to a page, which must work even before anyone has opened the app's root."""

from __future__ import annotations

import pytest

from tests.helpers import BROWSER_PAGES as PAGES
from tests.helpers import wait_until_rendered

pytestmark = pytest.mark.slow
SESSIONS = 16


def _image_sources(page) -> list[str]:
    # Streamlit names each served image after a hash of its bytes, so equal URLs mean equal pictures.
    return page.eval_on_selector_all('[data-testid="stImage"] img', "imgs => imgs.map(i => i.getAttribute('src'))")


def test_sixteen_sessions_at_once_match_the_same_seed_alone(browser, dashboard_url):
    n_images, n_charts, selectors = PAGES["samples"]

    def open_session(seed: int):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto(f"{dashboard_url}/samples?seed={seed}", wait_until="domcontentloaded")
        return context, page

    solo = {}
    for seed in range(4):
        context, page = open_session(seed)
        wait_until_rendered(page, n_images, n_charts, selectors)
        solo[seed] = _image_sources(page)
        context.close()

    # start all sixteen before waiting on any, so the server runs them together
    sessions = [(i % 4, *open_session(i % 4)) for i in range(SESSIONS)]
    try:
        for seed, _, page in sessions:
            wait_until_rendered(page, n_images, n_charts, selectors)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert _image_sources(page) == solo[seed]
    finally:
        for _, context, _ in sessions:
            context.close()
    assert len({tuple(v) for v in solo.values()}) == 4
