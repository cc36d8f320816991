"""Every page in headless Chromium: rendered images and plotly charts, no exception box, light/dark/narrow."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slow

# page url path -> (minimum images, minimum plotly charts, other selectors that must be visible)
PAGES = {
    "": (0, 0, ['[data-testid="stGraphVizChart"] svg', '[data-testid="stDataFrame"]']),
    "samples": (8, 0, ['[data-testid="stDownloadButton"]']),
    "histograms": (0, 1, ['[data-testid="stMetric"]']),
    "interpolation": (3, 2, []),
    "annealing": (5, 3, []),
    "objectives": (3, 1, []),
    "training_metrics": (0, 3, ['[data-testid="stDataFrame"]']),
    "gradient_lab": (1, 11, ['[data-testid="stMetric"]']),
}
VIEWS = {"light": ("light", 1400, 1000), "dark": ("dark", 1400, 1000), "narrow": ("light", 400, 900)}
RENDER_TIMEOUT_MS = 90_000


def wait_until_rendered(page, n_images: int, n_charts: int, selectors: list[str]) -> None:
    page.wait_for_selector("h1", timeout=RENDER_TIMEOUT_MS)
    # the script has finished when the running indicator has been gone for a moment
    deadline = time.monotonic() + RENDER_TIMEOUT_MS / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        quiet_since = None if running else (quiet_since or time.monotonic())
        if quiet_since and time.monotonic() - quiet_since > 1.0:
            break
        page.wait_for_timeout(200)
    if n_images:
        page.wait_for_function(
            f"""() => {{
                const imgs = [...document.querySelectorAll('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img')];
                return imgs.length >= {n_images} && imgs.every(i => i.complete && i.naturalWidth > 0);
            }}""", timeout=RENDER_TIMEOUT_MS)
    if n_charts:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_charts}",
            timeout=RENDER_TIMEOUT_MS)
    for selector in selectors:
        page.wait_for_selector(selector, timeout=RENDER_TIMEOUT_MS)


def full_page_screenshot(page, path, width: int, height: int) -> None:
    """Streamlit scrolls inside its main panel, so grow the window to the content before the shot."""
    content = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(content, height), 8000)})
    page.wait_for_timeout(800)  # plotly and the images re-lay out
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": height})


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
            level = sum(int(c) for c in bg[bg.index("(") + 1: bg.index(")")].split(",")[:3]) / 3
            assert (level < 80) if scheme == "dark" else (level > 180), (name, bg)
            # nothing spills sideways out of a narrow window
            overflow = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollWidth"
                                     " - document.querySelector('[data-testid=\"stMain\"]').clientWidth")
            assert overflow <= 1, (name, overflow)
        assert not errors, errors
    finally:
        context.close()


def test_corrupt_checkpoint_is_contained_in_the_browser(browser, dashboard_url, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/samples?variants=mlp-sbn-gan-nobnd,mlp-dbn-wgan-gp,bogus",
                  wait_until="domcontentloaded")
        wait_until_rendered(page, 3, 0, ['[data-testid="stAlertContentError"]'])
        full_page_screenshot(page, screenshots / "samples-corrupt.png", 1400, 1000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "mlp-sbn-gan-nobnd" in page.locator('[data-testid="stAlertContentError"]').first.inner_text()
        assert "bogus" in page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
        assert page.locator('[data-testid="stDownloadButton"]').count() == 1  # the healthy variant still renders
    finally:
        context.close()
