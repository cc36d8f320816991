"""In headless Chromium: the sidebar menu at first paint, and a copied address that reproduces its view."""

from __future__ import annotations

import pytest

from explorer.pages import by_section
from tests.helpers import serve, wait_until_rendered

pytestmark = pytest.mark.slow

TITLES = [p.title for section in by_section().values() for p in section]  # the menu, in its order
# Every state of the sidebar's menu, from the first paint on: a MutationObserver installed before any script of
# the page runs records the link texts each time the menu changes.
RECORD_MENUS = r"""
window.__menus = [];
new MutationObserver(() => {
  const links = [...document.querySelectorAll('[data-testid="stSidebarNav"] a')].map(a => a.innerText.trim().split('\n').pop().trim());
  const last = window.__menus[window.__menus.length - 1];
  if (links.length && JSON.stringify(links) !== JSON.stringify(last)) window.__menus.push(links);
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def test_the_menu_is_the_apps_from_the_first_paint(browser, checkpoints_root, tmp_path):
    """A fresh server, first visited on a deep link, then on its front page: the menu never lists files."""
    with serve(checkpoints_root, tmp_path) as url:
        for path, heading in (("samples", "Samples"), ("", "BinaryGAN Explorer")):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(RECORD_MENUS)
            page = context.new_page()
            try:
                page.goto(f"{url}/{path}", wait_until="commit")
                wait_until_rendered(page, 0, 0, [])
                assert page.locator("h1").first.inner_text().startswith(heading)
                menus = page.evaluate("window.__menus")
                assert menus and all(m == TITLES for m in menus), menus
            finally:
                context.close()


def images(page) -> list[str]:
    """The bytes (base64) of every image on the page, in order."""
    return page.evaluate("""async () => {
        const imgs = [...document.querySelectorAll('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img')];
        return Promise.all(imgs.map(async i => {
            const b = new Uint8Array(await (await fetch(i.src)).arrayBuffer());
            let s = ''; for (const x of b) s += String.fromCharCode(x); return btoa(s);
        }));
    }""")


def test_a_copied_link_reproduces_the_view_in_a_fresh_browser(browser, dashboard_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/samples", wait_until="domcontentloaded")
        wait_until_rendered(page, 6, 0, [])
        default = images(page)
        seed = page.get_by_label("Seed", exact=True)  # change the view in the page itself, as a user does
        seed.fill("11")
        seed.press("Enter")
        page.wait_for_function("() => location.search.includes('seed=11')", timeout=60_000)
        wait_until_rendered(page, 6, 0, [])
        shown, link = images(page), page.url
    finally:
        context.close()
    assert "seed=11" in link and "grid=8" in link and "variants=" in link
    assert shown != default  # the new seed drew other samples
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})  # a new profile: no session, no cookies
    page = fresh.new_page()
    try:
        page.goto(link, wait_until="domcontentloaded")
        wait_until_rendered(page, 6, 0, [])
        assert page.get_by_label("Seed", exact=True).input_value() == "11"
        assert images(page) == shown
    finally:
        fresh.close()


def query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


@pytest.mark.parametrize(
    ("path", "settings", "check"),
    [
        # eight variants: the Training page's own limit, not the four of the side-by-side pages
        (
            "training_metrics",
            "variants=mlp-dbn-wgan-gp,mlp-sbn-wgan-gp,mlp-real-wgan-gp,mlp-dbn-wgan,mlp-sbn-wgan,mlp-dbn-gan",
            ("variants", "mlp-dbn-wgan-gp,mlp-sbn-wgan-gp,mlp-real-wgan-gp,mlp-dbn-wgan,mlp-sbn-wgan,mlp-dbn-gan"),
        ),
        ("interpolation", "ends=two+samples+from+a+grid&start_sample=3&end_sample=12", ("end_sample", "12")),
    ],
)
def test_the_sidebar_link_is_the_address_and_reopens_the_view(browser, dashboard_url, path, settings, check):
    """The copy-link box holds what the address bar holds, and that link, opened afresh, keeps the settings."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/{path}?{settings}", wait_until="domcontentloaded")
        wait_until_rendered(page, 0, 0, ['[data-testid="stSidebar"] [data-testid="stCode"]'])
        page.wait_for_function(f"() => location.search.includes('{check[0]}=')", timeout=60_000)
        box = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text().strip()
        assert box.split("?")[0].endswith(f"/{path}")
        assert query(box) == query(page.url) and query(box)[check[0]] == check[1]
    finally:
        context.close()
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = fresh.new_page()
    try:
        page.goto(box, wait_until="domcontentloaded")
        wait_until_rendered(page, 0, 0, [])
        page.wait_for_function(f"() => location.search.includes('{check[0]}=')", timeout=60_000)
        assert query(page.url)[check[0]] == check[1]
    finally:
        fresh.close()
