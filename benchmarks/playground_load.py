"""The other pages' render times while Playground runs train on the same server: 0, 1 and 2 live runs.

    python -m benchmarks.playground_load [--quick] [--world exact|mnist] [--pages overview,samples]

A real `streamlit run` of the app on the shipped checkpoints (OMP_NUM_THREADS=1, as on a 2-core Space), driven by
Debian's Chromium through Playwright, with the browser tests' harness (tests/helpers.py: the server, and "rendered"
as the app's own idle flag plus every image decoded and chart drawn). Each live run is a browser session that opened
the Playground on its defaults and pressed Play, so its frames run in the server as a visitor's would. A separate
session then opens each other page, first once to warm the caches with no run playing, then `--repeats` times per
load; the time is from navigation to rendered. The visiting browser shares the 2 cores with the server, as a
visitor's would not, so the times are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from explorer import checkpoints_root
from explorer import pages as registry
from tests.helpers import BROWSER_PAGES, serve, wait_until_rendered

LOADS = (0, 1, 2)
PLAY = {"exact": "pg_world=exact", "mnist": "pg_world=mnist&pgm_speed=10"}
PLAY_BUTTON = {"exact": ".st-key-pg_play button", "mnist": ".st-key-pgm_play button"}


def server_cores(url: str, seconds: float = 10.0) -> float:
    """The cores the server process uses over `seconds` (its CPU time from /proc, children included), as a Space
    would spend them: the browsers that draw the live runs are not counted."""
    port = url.rsplit(":", 1)[1]
    hz = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        total = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if f"--server.port={port}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            except OSError:  # a process that ended meanwhile
                continue
        return total / hz

    before, t0 = cpu(), time.perf_counter()
    time.sleep(seconds)
    return (cpu() - before) / (time.perf_counter() - t0)


def _path(name: str) -> str:
    return next(path for path in BROWSER_PAGES if (path or "overview") == name)


def measure(
    url: str, browser, pages: tuple[str, ...], repeats: int, world: str, loads: tuple[int, ...] = LOADS
) -> list[dict]:
    """[{page, live_runs, median_s, max_s, server_cores}] for each page and load; server_cores is the server's use
    with the runs playing and no visit in progress."""
    visitor = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

    def visit(name: str) -> float:
        t0 = time.perf_counter()
        visitor.goto(f"{url}/{_path(name)}", wait_until="domcontentloaded")
        n_images, n_charts, _ = BROWSER_PAGES[_path(name)]  # its other selectors are the test fixture's
        wait_until_rendered(visitor, n_images, n_charts, [])
        return time.perf_counter() - t0

    for name in pages:  # warm: models loaded, caches filled, as on a server that has served these pages before
        visit(name)
    rows: list[dict] = []
    players: list[Any] = []  # the live runs' browser contexts
    for load in loads:
        while len(players) < load:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/playground?{PLAY[world]}", wait_until="domcontentloaded")
            page.locator(PLAY_BUTTON[world]).first.wait_for(timeout=120_000)
            page.locator(PLAY_BUTTON[world]).first.click()
            page.wait_for_function("() => /(pg_step|pgm_steps)=[1-9]/.test(location.search)", timeout=120_000)
            players.append(context)
        cores = server_cores(url, 3.0 if repeats == 1 else 10.0)
        print(f"  the server with {load} live runs: {cores:.2f} cores", flush=True)
        for name in pages:
            times = [visit(name) for _ in range(repeats)]
            rows.append(
                {
                    "page": name,
                    "live_runs": load,
                    "median_s": statistics.median(times),
                    "max_s": max(times),
                    "server_cores": cores,
                }
            )
            print(f"  {name:<18} live runs {load}: median {rows[-1]['median_s']:.2f} s", flush=True)
    for context in players:
        context.close()
    return rows


def run(quick: bool = False, world: str = "exact", pages: tuple[str, ...] | None = None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if CHROMIUM is None:
        raise RuntimeError("Debian's chromium is not installed (.ci/run installs it)")
    pages = pages or tuple(p.name for p in registry.PAGES if p.name != "playground")
    with tempfile.TemporaryDirectory() as logs, serve(checkpoints_root(), Path(logs)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return measure(url, browser, pages, 1 if quick else 3, world, (0, 1) if quick else LOADS)
        finally:
            browser.close()


def format_table(rows: list[dict]) -> str:
    loads = sorted({r["live_runs"] for r in rows})
    by = {(r["page"], r["live_runs"]): r for r in rows}
    names = list(dict.fromkeys(r["page"] for r in rows))
    lines = [f"{'page':<18}" + "".join(f" {f'{n} live (s)':>12}" for n in loads)]
    lines += [f"{name:<18}" + "".join(f" {by[(name, n)]['median_s']:>12.2f}" for n in loads) for name in names]
    cores = {r["live_runs"]: r["server_cores"] for r in rows}
    lines.append(f"{'server cores':<18}" + "".join(f" {cores[n]:>12.2f}" for n in loads))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0 and 1 live runs, one visit per page")
    parser.add_argument("--world", choices=tuple(PLAY), default="exact", help="the world the live runs train in")
    parser.add_argument("--pages", help="comma-separated page names (default: every page but the Playground)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, chromium: {shutil.which('chromium')}")
    rows = run(args.quick, args.world, tuple(args.pages.split(",")) if args.pages else None)
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
