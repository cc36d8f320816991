"""The Playground in headless Chromium: Play advances the run frame by frame (the fragment's timer), the address
follows it, and Pause stops it, with no exception box and no script error."""

from __future__ import annotations

import re

import pytest

from tests.helpers import BROWSER_PAGES, wait_until_rendered

pytestmark = pytest.mark.slow


def g_updates(page) -> int:
    text = page.locator('[data-testid="stMetric"]').first.inner_text()
    return int(re.search(r"(\d+)\s*$", text.strip()).group(1))


def test_play_advances_frame_by_frame_and_pause_stops(browser, shipped_url, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{shipped_url}/playground?pg_neuron=dbn&pg_obj=wgan&pg_speed=3", wait_until="domcontentloaded")
        wait_until_rendered(page, *BROWSER_PAGES["playground"])
        assert g_updates(page) == 0
        page.locator(".st-key-pg_play button").first.click()
        page.wait_for_function(
            "() => /pg_step=([0-9]+)/.test(location.search) && +location.search.match(/pg_step=([0-9]+)/)[1] >= 6",
            timeout=60_000,
        )  # at least two frames of three G updates each
        page.locator(".st-key-pg_pause button").first.click()
        wait_until_rendered(page, *BROWSER_PAGES["playground"])
        stopped = g_updates(page)
        assert stopped >= 6
        page.wait_for_timeout(2500)  # two frames' time: nothing moves once paused
        assert g_updates(page) == stopped
        page.screenshot(path=str(screenshots / "playground.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors, errors
    finally:
        context.close()
