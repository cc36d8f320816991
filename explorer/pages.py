"""The dashboard's pages, listed once: the app's menu, the benchmarks and the tests all read this tuple. Plain data
(no Streamlit), so that the benchmarks, which may not import dashboard/, can read it too."""

from __future__ import annotations

from dataclasses import dataclass

PAPER = "The paper"
BEYOND = "Beyond the paper"
SECTIONS = (PAPER, BEYOND)


@dataclass(frozen=True)
class Page:
    name: str  # dashboard/<name>.py, and the page's address unless it is the default page
    title: str
    icon: str
    section: str

    @property
    def file(self) -> str:
        return f"dashboard/{self.name}.py"


PAGES = (
    Page("overview", "Overview", ":material/home:", PAPER),
    Page("samples", "Samples", ":material/grid_view:", PAPER),
    Page("histograms", "Pre-activation histograms", ":material/bar_chart:", PAPER),
    Page("interpolation", "Latent interpolation", ":material/timeline:", PAPER),
    Page("annealing", "Slope annealing", ":material/trending_up:", PAPER),
    Page("objectives", "Objectives and mode collapse", ":material/balance:", PAPER),
    Page("training_metrics", "Training and metrics", ":material/monitoring:", PAPER),
    Page("gradient_lab", "Gradient lab", ":material/science:", BEYOND),
    Page("estimator_lab", "Estimator lab", ":material/functions:", BEYOND),
    Page("conditional", "Conditional computation", ":material/alt_route:", BEYOND),
    Page("playground", "Playground", ":material/sports_esports:", BEYOND),
)
BY_NAME = {p.name: p for p in PAGES}
DEFAULT = PAGES[0]  # the app opens on it, at the bare address


def url_path(page: Page) -> str:
    return "" if page == DEFAULT else page.name


def by_section() -> dict[str, list[Page]]:
    """The menu: each section's pages in order."""
    return {section: [p for p in PAGES if p.section == section] for section in SECTIONS}
