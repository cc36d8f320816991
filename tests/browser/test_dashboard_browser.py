"""Every page in headless Chromium: rendered images and plotly charts, no exception box, light/dark/narrow."""

from __future__ import annotations

import pytest

from tests.helpers import BROWSER_PAGES as PAGES
from tests.helpers import full_page_screenshot, wait_until_rendered

pytestmark = pytest.mark.slow

VIEWS = {"light": ("light", 1400, 1000), "dark": ("dark", 1400, 1000), "narrow": ("light", 400, 900)}


@pytest.mark.parametrize("view", VIEWS)
def test_every_page_renders_in_chromium(browser, dashboard_url, screenshots, view):
    scheme, width, height = VIEWS[view]
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for path, (n_images, n_charts, selectors) in PAGES.items():
            page.goto(f"{dashboard_url}/{path}", wait_until="domcontentloaded")
            wait_until_rendered(page, n_images, n_charts, selectors)
            name = path or "overview"
            full_page_screenshot(page, screenshots / f"{name}-{view}.png", width, height)
            assert page.locator('[data-testid="stException"]').count() == 0, f"exception box on {name}"
            images = page.locator('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img').count()
            assert images >= n_images, (name, images)
            assert page.locator(".js-plotly-plot").count() >= n_charts, name
            # the theme is applied: dark pages have a dark background, light pages a light one
            bg = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
            level = sum(int(c) for c in bg[bg.index("(") + 1 : bg.index(")")].split(",")[:3]) / 3
            assert (level < 80) if scheme == "dark" else (level > 180), (name, bg)
            # nothing spills sideways out of a narrow window
            overflow = page.evaluate(
                "document.querySelector('[data-testid=\"stMain\"]').scrollWidth"
                " - document.querySelector('[data-testid=\"stMain\"]').clientWidth"
            )
            assert overflow <= 1, (name, overflow)
        assert not errors, errors
    finally:
        context.close()


def test_corrupt_checkpoint_is_contained_in_the_browser(browser, dashboard_url, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(
            f"{dashboard_url}/samples?variants=mlp-sbn-gan-nobnd,mlp-dbn-wgan-gp,bogus", wait_until="domcontentloaded"
        )
        wait_until_rendered(page, 3, 0, ['[data-testid="stAlertContentError"]'])
        full_page_screenshot(page, screenshots / "samples-corrupt.png", 1400, 1000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "mlp-sbn-gan-nobnd" in page.locator('[data-testid="stAlertContentError"]').first.inner_text()
        assert "bogus" in page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
        assert page.locator('[data-testid="stDownloadButton"]').count() == 1  # the healthy variant still renders
    finally:
        context.close()
