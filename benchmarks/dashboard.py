"""Dashboard re-render benchmark: how long each page takes to re-run with a warm cache.

    OMP_NUM_THREADS=1 python -m benchmarks.dashboard                # demo checkpoints in a temporary folder
    OMP_NUM_THREADS=1 python -m benchmarks.dashboard --root checkpoints --repeats 20

Each page is opened once in a Streamlit AppTest (first visit: models load, samples are drawn, caches fill), then
re-run `--repeats` times with the same widget values, which is what a browser rerun after a click on an
unrelated widget costs. AppTest runs the page script in-process, so the times include Streamlit's own
script overhead but not the network or the browser's drawing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = ("overview", "samples", "histograms", "interpolation", "annealing", "objectives", "training_metrics",
         "gradient_lab")


def measure(root: Path, repeats: int = 10, pages: tuple[str, ...] = PAGES) -> list[dict]:
    """[{page, cold_ms, warm_median_ms, warm_max_ms}] for the app served from checkpoints folder `root`."""
    from streamlit.testing.v1 import AppTest

    if str(REPO) not in sys.path:  # the pages import dashboard._data etc., as under `streamlit run`
        sys.path.insert(0, str(REPO))
    os.environ["BINARYGAN_CHECKPOINTS"] = str(root)
    rows = []
    for page in pages:
        at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=300)
        if page != "overview":  # the app opens on the overview; switching needs one run first
            at.run()
            at.switch_page(f"dashboard/{page}.py")
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        warm = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        rows.append({"page": page, "cold_ms": 1000 * cold, "warm_median_ms": 1000 * statistics.median(warm),
                     "warm_max_ms": 1000 * max(warm)})
    return rows


COLD_START = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
sys.exit(1 if at.exception or not at.dataframe else 0)
"""


def cold_start_seconds(root: Path) -> float:
    """A fresh Python process, from spawn to the overview page rendered (imports, model loads, first run)."""
    env = {**os.environ, "BINARYGAN_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD_START, str(REPO / "streamlit_app.py")], env=env, check=True,
                   capture_output=True, timeout=600)
    return time.perf_counter() - t0


def format_table(rows: list[dict]) -> str:
    lines = [f"{'page':<22} {'first ms':>9} {'warm median ms':>15} {'warm max ms':>12}"]
    lines += [f"{r['page']:<22} {r['cold_ms']:>9.0f} {r['warm_median_ms']:>15.0f} {r['warm_max_ms']:>12.0f}"
              for r in rows]
    return "\n".join(lines)


def run(quick: bool = False, root: Path | None = None, repeats: int | None = None) -> list[dict]:
    """measure() on `root`, or on demo checkpoints built in a temporary folder (what `python -m benchmarks` calls).

    BINARYGAN_CHECKPOINTS is restored afterwards, so the caller's own checkpoints stay in effect."""
    repeats = repeats or (3 if quick else 10)
    saved = os.environ.get("BINARYGAN_CHECKPOINTS")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if root is None:
                from explorer import demo

                root = demo.build(Path(tmp) / "checkpoints")
            root = Path(root).resolve()
            return [{"page": "cold start (process)", "cold_ms": 1000 * cold_start_seconds(root),
                     "warm_median_ms": float("nan"), "warm_max_ms": float("nan")}] + measure(root, repeats)
    finally:
        if saved is None:
            os.environ.pop("BINARYGAN_CHECKPOINTS", None)
        else:
            os.environ["BINARYGAN_CHECKPOINTS"] = saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="checkpoints folder (default: demo checkpoints in a temp folder)")
    parser.add_argument("--repeats", type=int, default=10, help="warm re-runs per page")
    args = parser.parse_args(argv)
    rows = run(root=args.root, repeats=args.repeats)
    print(f"torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}, CPUs: {os.cpu_count()}")
    print(format_table(rows))


if __name__ == "__main__":
    main()
