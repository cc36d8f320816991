"""The Playground in headless Chromium: Play advances the run frame by frame (the fragment's timer), the address
follows it, and Pause stops it, with no exception box and no script error; a session beyond the server's live slots
waits in line, and plays once a playing session is closed."""

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


def steps_in_address(page) -> int:
    found = re.search(r"pg_step=([0-9]+)", page.url)
    return int(found.group(1)) if found else 0


def test_a_third_session_waits_in_line_and_plays_once_a_playing_session_is_closed(browser, shipped_url, screenshots):
    from explorer.playground.slots import CAPACITY, LEASE_S

    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(CAPACITY + 1)]
    try:
        pages = [c.new_page() for c in contexts]
        for page in pages:
            page.goto(f"{shipped_url}/playground?pg_neuron=dbn&pg_obj=wgan&pg_speed=1", wait_until="domcontentloaded")
            wait_until_rendered(page, *BROWSER_PAGES["playground"])
            page.locator(".st-key-pg_play button").first.click()
            page.wait_for_timeout(1500)  # its first frame: it takes a slot, or its place in line
        *playing, waiting = pages
        for page in playing:
            page.wait_for_function("() => /pg_step=[0-9]+/.test(location.search)", timeout=30_000)
        line = waiting.locator('[data-testid="stAlertContentInfo"]').filter(has_text="number 1 in line")
        line.wait_for(timeout=30_000)
        waiting.screenshot(path=str(screenshots / "playground-queued.png"))
        assert steps_in_address(waiting) == 0
        contexts[0].close()  # a playing session ends mid-run: its lease lapses and the next in line plays
        waiting.wait_for_function(
            "() => /pg_step=([0-9]+)/.test(location.search) && +location.search.match(/pg_step=([0-9]+)/)[1] >= 2",
            timeout=int((LEASE_S + 30) * 1000),
        )
        assert line.count() == 0
        assert all(p.locator('[data-testid="stException"]').count() == 0 for p in pages[1:])
    finally:
        for c in contexts[1:]:
            c.close()
