"""Gradient lab speed: one sample's page, warm, and the many-sample comparison, per variant with a critic.

    OMP_NUM_THREADS=1 python -m benchmarks.gradient_lab                     # shipped critics, else demo ones
    OMP_NUM_THREADS=1 python -m benchmarks.gradient_lab --root /tmp/ck      # a checkpoints folder holding critics

"Warm" means the generator and critic are loaded and the page has run once, but the sample is new: each timed
run picks another sample, so its maps (784 flips; K draws x 784 flips for SBN) are computed, not read from the
cache. The comparison is what `python -m explorer.gradient_lab --table` computes for one variant, timed once (the page
computes it once per variant and keeps it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _root() -> Path | None:
    from explorer import checkpoints_root
    from explorer.gradient_lab.compute import offered_variants

    shipped = checkpoints_root()
    return shipped if offered_variants(shipped) else None


def measure(root: Path, quick: bool = False, repeats: int = 8) -> list[dict]:
    """[{variant, neuron, draws, api_sample_ms, page_sample_ms, page_max_ms, compare_n, compare_s}]."""
    from streamlit.testing.v1 import AppTest

    from explorer import Critic, load_generator
    from explorer.gradient_lab import compute
    from explorer.pages import BY_NAME

    if str(REPO) not in sys.path:  # the pages import dashboard._data, as under `streamlit run`
        sys.path.insert(0, str(REPO))
    os.environ["BINARYGAN_CHECKPOINTS"] = str(root)
    names = compute.offered_variants(root)
    n = 32 if quick else compute.COMPARE_SAMPLES
    repeats = 3 if quick else repeats
    rows = []
    for name in names:
        g, critic = load_generator(name), Critic.from_pretrained(name)
        sbn = critic.cfg.neuron == "sbn"
        api = []
        for index in range(repeats):
            t0 = time.perf_counter()
            compute.sample_report(g, critic, seed=1, index=index, draws=compute.DEFAULT_DRAWS)
            api.append(time.perf_counter() - t0)
        at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=300)
        at.query_params["critic"] = name
        at.run()
        at.switch_page(BY_NAME["gradient_lab"].file).run()  # first visit: models load, caches fill
        page = []
        for index in range(1, repeats + 1):
            at.number_input(key="gradlab_sample").set_value(index % 16)
            t0 = time.perf_counter()
            at.run()
            page.append(time.perf_counter() - t0)
            if at.exception:
                raise RuntimeError(f"{name}: {at.exception[0].value}")
        cmp = compute.compare(g, critic, n=n, seed=0, draws=compute.DEFAULT_DRAWS)
        rows.append(
            {
                "variant": name,
                "neuron": critic.cfg.neuron,
                "draws": compute.DEFAULT_DRAWS if sbn else 0,
                "api_sample_ms": 1000 * statistics.median(api),
                "page_sample_ms": 1000 * statistics.median(page),
                "page_max_ms": 1000 * max(page),
                "compare_n": n,
                "compare_s": cmp.seconds,
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'variant':<26} {'K':>3} {'maps ms':>8} {'page ms (median / max)':>23} {'comparison':>16}"]
    lines += [
        f"{r['variant']:<26} {r['draws'] or '-':>3} {r['api_sample_ms']:>8.0f} "
        f"{r['page_sample_ms']:>12.0f} / {r['page_max_ms']:<8.0f} {r['compare_s']:>6.1f} s ({r['compare_n']})"
        for r in rows
    ]
    return "\n".join(lines)


def run(quick: bool = False, root: Path | None = None) -> list[dict]:
    """measure() on `root`, the shipped critics, or demo checkpoints in a temporary folder; the caller's
    BINARYGAN_CHECKPOINTS is restored afterwards."""
    saved = os.environ.get("BINARYGAN_CHECKPOINTS")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = root or _root()
            if root is None:
                from explorer import demo

                root = demo.build(Path(tmp) / "checkpoints")
            return measure(Path(root).resolve(), quick)
    finally:
        if saved is None:
            os.environ.pop("BINARYGAN_CHECKPOINTS", None)
        else:
            os.environ["BINARYGAN_CHECKPOINTS"] = saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="checkpoints folder with critics (default: shipped, else demo)")
    parser.add_argument("--quick", action="store_true", help="32-sample comparison, 3 timed samples")
    args = parser.parse_args(argv)
    rows = run(args.quick, args.root)
    print(f"torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}, CPUs: {os.cpu_count()}")
    print(format_table(rows))


if __name__ == "__main__":
    main()
