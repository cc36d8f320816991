"""Dashboard re-render benchmark: how long each page takes to re-run with a warm cache.

    OMP_NUM_THREADS=1 python -m benchmarks.dashboard                # demo checkpoints in a temporary folder
    OMP_NUM_THREADS=1 python -m benchmarks.dashboard --root checkpoints --repeats 20
    OMP_NUM_THREADS=1 python -m benchmarks.dashboard --root checkpoints --cold-only --cold-repeats 7

Each page is opened once in a Streamlit AppTest (first visit: models load, samples are drawn, caches fill), then
re-run `--repeats` times with the same widget values, which is what a browser rerun after a click on an
unrelated widget costs. AppTest runs the page script in-process, so the times include Streamlit's own
script overhead but not the network or the browser's drawing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from explorer import pages as registry

REPO = Path(__file__).resolve().parent.parent
PAGES = tuple(p.name for p in registry.PAGES)


def measure(root: Path, repeats: int = 10, pages: tuple[str, ...] = PAGES) -> list[dict]:
    """[{page, cold_ms, warm_median_ms, warm_max_ms}] for the app served from checkpoints folder `root`."""
    from streamlit.testing.v1 import AppTest

    if str(REPO) not in sys.path:  # the pages import dashboard._data etc., as under `streamlit run`
        sys.path.insert(0, str(REPO))
    os.environ["BINARYGAN_CHECKPOINTS"] = str(root)
    rows = []
    for page in pages:
        at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=300)
        if page != registry.DEFAULT.name:  # the app opens on the default page; switching needs one run first
            at.run()
            at.switch_page(registry.BY_NAME[page].file)
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
        rows.append(
            {
                "page": page,
                "cold_ms": 1000 * cold,
                "warm_median_ms": 1000 * statistics.median(warm),
                "warm_max_ms": 1000 * max(warm),
            }
        )
    return rows


# The process ends as soon as the Overview is rendered (that is the cold start); the stages after it are what the
# first visit to a page with samples adds: torch's import and the first model load.
COLD_START = """
import json, os, sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
t1 = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
t2 = time.perf_counter()
if at.exception or not at.dataframe:
    sys.exit(1)
print(json.dumps({"import_streamlit_s": t1 - t0, "overview_run_s": t2 - t1}), flush=True)
os.close(1)  # the cold start is over: the parent stops its clock at this end of file
from explorer import tables
t3 = time.perf_counter()
variants = len(tables.variant_table(os.environ["BINARYGAN_CHECKPOINTS"]))
t4 = time.perf_counter()
import torch
t5 = time.perf_counter()
from explorer import load_generator
load_generator("mlp-dbn-wgan-gp")
t6 = time.perf_counter()
sys.stderr.write(json.dumps({"variants": variants, "scan_checkpoints_s": t4 - t3, "import_torch_s": t5 - t4, "first_model_load_s": t6 - t5}))
"""


def cold_start(root: Path) -> dict:
    """A fresh Python process, from spawn to the overview page rendered: total seconds and where they went
    (interpreter start, streamlit's import, the Overview's first run), then, after the clock has stopped, what a
    first page with samples adds (checkpoint scan again, torch's import, the first model load)."""
    env = {**os.environ, "BINARYGAN_CHECKPOINTS": str(root), "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", COLD_START, str(REPO / "streamlit_app.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stages = json.loads(proc.stdout.readline() or "{}")  # the child prints one line, then closes stdout
    proc.stdout.read()  # end of file: the child closed it when the overview was rendered
    total = time.perf_counter() - t0
    err = proc.stderr.read()
    if proc.wait(timeout=600) != 0 or not stages:
        raise RuntimeError(f"cold start failed: {err[-2000:]}")
    after = json.loads(err.strip().splitlines()[-1])
    stages["interpreter_s"] = total - stages["import_streamlit_s"] - stages["overview_run_s"]
    return {"total_s": total, **stages, **after}


def cold_start_median(root: Path, repeats: int = 1) -> dict:
    """cold_start() `repeats` times; the median of each number (the machine may be busy)."""
    runs = [cold_start(root) for _ in range(repeats)]
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return out | {"repeats": repeats, "total_all_s": [r["total_s"] for r in runs]}


def cold_start_seconds(root: Path) -> float:
    return cold_start(root)["total_s"]


def format_cold_start(c: dict) -> str:
    return (
        f"cold start, median of {c['repeats']}: {c['total_s']:.2f} s "
        f"(all: {', '.join(f'{t:.2f}' for t in c['total_all_s'])}) = interpreter {c['interpreter_s']:.2f} "
        f"+ import streamlit {c['import_streamlit_s']:.2f} + overview's first run {c['overview_run_s']:.2f}\n"
        f"  then a first page with samples adds: import torch {c['import_torch_s']:.2f} s, "
        f"first model load {c['first_model_load_s']:.2f} s; "
        f"checkpoint scan (catalogue, {c['variants']:.0f} variants) {c['scan_checkpoints_s']:.3f} s"
    )


def format_table(rows: list[dict]) -> str:
    lines = [f"{'page':<22} {'first ms':>9} {'warm median ms':>15} {'warm max ms':>12}"]
    lines += [
        f"{r['page']:<22} {r['cold_ms']:>9.0f} {r['warm_median_ms']:>15.0f} {r['warm_max_ms']:>12.0f}" for r in rows
    ]
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
            cold = cold_start_median(root, 1 if quick else 3)
            return [
                {
                    "page": "cold start (process)",
                    "cold_ms": 1000 * cold["total_s"],
                    "breakdown": cold,
                    "warm_median_ms": float("nan"),
                    "warm_max_ms": float("nan"),
                }
            ] + measure(root, repeats)
    finally:
        if saved is None:
            os.environ.pop("BINARYGAN_CHECKPOINTS", None)
        else:
            os.environ["BINARYGAN_CHECKPOINTS"] = saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="checkpoints folder (default: demo checkpoints in a temp folder)")
    parser.add_argument("--repeats", type=int, default=10, help="warm re-runs per page")
    parser.add_argument("--cold-only", action="store_true", help="only the cold start, with its breakdown")
    parser.add_argument("--cold-repeats", type=int, default=5, help="cold starts to take the median of")
    args = parser.parse_args(argv)
    if args.cold_only:
        root = (args.root or REPO / "checkpoints").resolve()
        print(f"checkpoints: {root}; CPUs: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
        print(format_cold_start(cold_start_median(root, args.cold_repeats)))
        return
    rows = run(root=args.root, repeats=args.repeats)
    print(f"torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}, CPUs: {os.cpu_count()}")
    print(format_table(rows))
    print(format_cold_start(rows[0]["breakdown"]))


if __name__ == "__main__":
    main()
