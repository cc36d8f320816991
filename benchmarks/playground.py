"""The exact world's speed on one core: training steps per second and the time to the first frame.

    OMP_NUM_THREADS=1 python -m benchmarks.playground [--quick]

A step is Run.step(): 5 critic updates and one generator update, with the exact quantities (p_G over all 65,536
images, JS, KL, coverage) recomputed every 10 generator updates, the config's default. The first frame is what a
page would show first: a new Run (networks built, the exact quantities at step 0), one step, and the exact
quantities again. It is timed in a fresh process, so the image table's construction and torch's first calls are in
it; the imports before it (torch and the project) are timed beside it, not in it: a page has them loaded already.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = (
    ("sbn", "sigmoid-st"),
    ("sbn", "rloo"),
    ("sbn", "oracle"),
    ("dbn", "sigmoid-st"),
    ("real", "none"),
)
FIRST_FRAME = (
    "import time; t0 = time.perf_counter()\n"
    "from explorer.playground.train import PlaygroundConfig, Run\n"
    "t1 = time.perf_counter()\n"
    "run = Run(PlaygroundConfig(neuron={neuron!r}, estimator={estimator!r})); run.step(); run.exact()\n"
    "print(t1 - t0, time.perf_counter() - t1)"
)


def steps_per_second(neuron: str, estimator: str, steps: int) -> float:
    from explorer.playground.train import PlaygroundConfig, Run

    run = Run(PlaygroundConfig(neuron=neuron, estimator=estimator, every=10))
    run.run(10)  # warm: the first calls of each op are not what a long run pays
    t0 = time.perf_counter()
    run.run(steps)
    return steps / (time.perf_counter() - t0)


def first_frame(neuron: str, estimator: str) -> tuple[float, float]:
    """(seconds to import the playground, seconds from there to the first frame) in a new process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code = FIRST_FRAME.format(neuron=neuron, estimator=estimator)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    imports, frame = out.stdout.strip().splitlines()[-1].split()
    return float(imports), float(frame)


def run(quick: bool = False) -> list[dict]:
    """[{neuron, estimator, steps_per_s, import_s, first_frame_s}], the last two medians of 3 fresh processes."""
    import torch

    torch.set_num_threads(1)
    steps = 20 if quick else 200
    rows = []
    for neuron, estimator in CASES:
        frames = [first_frame(neuron, estimator) for _ in range(1 if quick else 3)]
        rows.append(
            {
                "neuron": neuron,
                "estimator": estimator,
                "steps_per_s": steps_per_second(neuron, estimator, steps),
                "import_s": statistics.median(f[0] for f in frames),
                "first_frame_s": statistics.median(f[1] for f in frames),
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'neuron':<6} {'G update':<12} {'steps/s':>8} {'first frame s':>14} {'imports s':>10}"]
    lines += [
        f"{r['neuron']:<6} {r['estimator']:<12} {r['steps_per_s']:>8.1f} {r['first_frame_s']:>14.3f} "
        f"{r['import_s']:>10.2f}"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 timed steps, one first frame per case")
    args = parser.parse_args(argv)
    print(f"torch threads: 1, CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print(format_table(run(args.quick)))


if __name__ == "__main__":
    main()
