"""The README stays a front page, and every relative link in it and in docs/ leads somewhere.

The generated tables in docs/ are checked against the shipped files by tests/explorer/test_docs_tables.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import REPO

README_MAX_LINES = 90  # a front door: what it is, the two commands, the pages, the two-line load, three results
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)  # code blocks hold no links


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and the Hub make it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M)}


def relative_links(page: Path) -> list[str]:
    targets = LINK.findall(FENCE.sub("", page.read_text()))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # not https:, mailto:, ...


def test_the_readme_is_a_front_page():
    assert len((REPO / "README.md").read_text().splitlines()) <= README_MAX_LINES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page):
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target} does not exist"
        assert file.is_relative_to(REPO), f"{page.name}: {target} leaves the repository"
        if anchor:
            assert file.suffix == ".md" and anchor in anchors(file), f"{page.name}: no heading for {target}"


def test_the_link_checker_sees_links_and_anchors():
    assert slug("What the code recipe changes") == "what-the-code-recipe-changes"
    assert (
        slug("Gradient lab: how wrong is the straight-through estimator?")
        == "gradient-lab-how-wrong-is-the-straight-through-estimator"
    )
    assert "docs/results.md#what-the-code-recipe-changes" in relative_links(REPO / "README.md")
