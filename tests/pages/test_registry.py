"""explorer.pages is the one list of pages: it names every page file in dashboard/, each once, in its sections."""

from __future__ import annotations

from explorer.pages import BEYOND, PAGES, SECTIONS, by_section, url_path
from tests.helpers import REPO


def test_the_registry_names_every_page_file_once():
    on_disk = {f"dashboard/{f.name}" for f in (REPO / "dashboard").glob("*.py") if not f.name.startswith("_")}
    listed = [p.file for p in PAGES]
    assert sorted(listed) == sorted(on_disk) and len(set(listed)) == len(listed)


def test_each_page_has_its_own_title_and_address_and_a_known_section():
    assert len({p.title for p in PAGES}) == len(PAGES)
    assert len({url_path(p) for p in PAGES}) == len(PAGES)
    assert [url_path(p) for p in PAGES].count("") == 1  # the default page, at the bare address
    assert {p.section for p in PAGES} <= set(SECTIONS)
    assert [p for section in by_section().values() for p in section] == list(PAGES)  # the menu keeps the order


def test_the_playground_is_beyond_the_paper_and_last():
    assert by_section()[BEYOND][-1].name == "playground"
