"""The conditional-computation page in headless Chromium on the repository's own checkpoints: every gated variant
draws its experts' grids, usage, expert x digit map and path, with no exception box and no script error."""

from __future__ import annotations

import pytest

from explorer import files, gated
from tests.helpers import BROWSER_PAGES, REPO, full_page_screenshot, wait_until_rendered

pytestmark = pytest.mark.slow


def test_conditional_computation_on_the_shipped_checkpoints(browser, shipped_url, screenshots):
    shipped = [
        n for n in gated.gated_variants() if files.variant_status(n, REPO / "checkpoints").state == files.TRAINED
    ]
    if not shipped:
        pytest.skip("no gated variant is shipped yet")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for name in shipped:
            page.goto(f"{shipped_url}/conditional?gated={name}", wait_until="domcontentloaded")
            wait_until_rendered(page, *BROWSER_PAGES["conditional"])
            full_page_screenshot(page, screenshots / f"conditional-{name}.png", 1400, 1000)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
            assert name in page.locator('[data-testid="stMain"]').inner_text(), name
        assert not errors, errors
    finally:
        context.close()
