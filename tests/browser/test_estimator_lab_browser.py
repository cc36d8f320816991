"""The estimator lab in headless Chromium on the repository's own checkpoints: it renders from the shipped studies,
with no live computation, no exception box and no script error."""

from __future__ import annotations

import pytest

from explorer.estimator_lab import compute
from tests.helpers import RENDER_TIMEOUT_MS, REPO

pytestmark = pytest.mark.slow


def test_estimator_lab_renders_from_the_shipped_studies(browser, shipped_url, screenshots):
    """The page draws its log-log chart, table and maps from the shipped studies, with no live computation."""
    offered = compute.offered_variants(REPO / "checkpoints")
    if not offered:
        pytest.skip("no SBN variant with a critic is shipped")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for name in offered[:2]:
            page.goto(
                f"{shipped_url}/estimator_lab?est_critic={name}&est_sample=2",
                wait_until="domcontentloaded",
            )
            # Streamlit marks a keyed element's container with st-key-<key>: wait for the drawn chart and table.
            page.wait_for_selector(".st-key-estlab_mse_chart .js-plotly-plot .main-svg", timeout=RENDER_TIMEOUT_MS)
            page.wait_for_selector('.st-key-estlab_table_box [data-testid="stDataFrame"]', timeout=RENDER_TIMEOUT_MS)
            page.wait_for_selector(".st-key-estlab_maps_2 .js-plotly-plot .main-svg", timeout=RENDER_TIMEOUT_MS)
            page.locator(".st-key-estlab_mse_chart").scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots / f"estimator_lab-{name}.png"))
            main = page.locator('[data-testid="stMain"]').inner_text()
            assert main.startswith("Estimator lab") and "Shipped:" in main, name
            assert page.locator(".st-key-estlab_live").count() == 0, name  # nothing to recompute
            assert page.locator('[data-testid="stException"]').count() == 0, name
        assert not errors, errors
    finally:
        context.close()
