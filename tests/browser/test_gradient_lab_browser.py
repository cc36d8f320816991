"""The gradient lab in headless Chromium on the repository's own checkpoints: every variant with a shipped critic
renders its maps (or, while none has one, the page says so), with no exception box and no script error."""

from __future__ import annotations

import pytest

from explorer.gradient_lab import compute
from tests.helpers import REPO, full_page_screenshot, wait_until_rendered

pytestmark = pytest.mark.slow


def test_gradient_lab_on_the_shipped_checkpoints(browser, shipped_url, screenshots):
    offered = compute.offered_variants(REPO / "checkpoints")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        if not offered:
            page.goto(f"{shipped_url}/gradient_lab", wait_until="domcontentloaded")
            wait_until_rendered(page, 0, 0, ['[data-testid="stAlertContentInfo"]'])
            full_page_screenshot(page, screenshots / "gradient_lab-shipped.png", 1400, 1000)
            assert "No variant has a trained critic" in page.locator('[data-testid="stAlertContentInfo"]').inner_text()
            assert page.locator('[data-testid="stException"]').count() == 0
        for name in offered:
            page.goto(f"{shipped_url}/gradient_lab?critic={name}", wait_until="domcontentloaded")
            wait_until_rendered(page, 1, 11, ['[data-testid="stMetric"]'])
            full_page_screenshot(page, screenshots / f"gradient_lab-{name}.png", 1400, 1000)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
            chosen = page.locator('[data-testid="stSelectbox"]').first  # Streamlit 1.67 shows the value in an input
            shown = chosen.inner_text() + " " + " ".join(i.input_value() for i in chosen.locator("input").all())
            assert name in shown + page.locator('[data-testid="stMain"]').inner_text(), name
        assert not errors, errors
    finally:
        context.close()
