"""The Playground's speed on one core: the exact world's training steps per second and time to the first frame, and
the MNIST world's generator updates per second.

    OMP_NUM_THREADS=1 python -m benchmarks.playground [--quick]

A step is Run.step(): 5 critic updates and one generator update, with the exact quantities (p_G over all 65,536
images, JS, KL, coverage) recomputed every 10 generator updates, the config's default. The first frame is what a
page would show first: a new Run (networks built, the exact quantities at step 0), one step, and the exact
quantities again. It is timed twice in a fresh process: the process's first frame pays the imports that torch
defers to first use (torch.optim's first optimiser imports torch._dynamo, seconds on a loaded core) and the image
table's construction; the second, another seed's new Run, is what every later visit of a page waits for. The imports
before both (torch and the project) are timed beside them.
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
    "def frame(seed):\n"
    "    run = Run(PlaygroundConfig(neuron={neuron!r}, estimator={estimator!r}, seed=seed)); run.step(); run.exact()\n"
    "frame(0); t2 = time.perf_counter(); frame(1); t3 = time.perf_counter()\n"
    "print(t1 - t0, t2 - t1, t3 - t2)"
)


def steps_per_second(neuron: str, estimator: str, steps: int) -> float:
    from explorer.playground.train import PlaygroundConfig, Run

    run = Run(PlaygroundConfig(neuron=neuron, estimator=estimator, every=10))
    run.run(10)  # warm: the first calls of each op are not what a long run pays
    t0 = time.perf_counter()
    run.run(steps)
    return steps / (time.perf_counter() - t0)


def first_frame(neuron: str, estimator: str) -> tuple[float, float, float]:
    """(seconds to import the playground, the process's first frame, a second frame) in a new process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code = FIRST_FRAME.format(neuron=neuron, estimator=estimator)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    imports, cold, warm = out.stdout.strip().splitlines()[-1].split()
    return float(imports), float(cold), float(warm)


MNIST_CASES = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp")


def mnist_rows(quick: bool = False) -> list[dict]:
    """[{variant, warmup_steps_per_s, steps_per_s, start_s}] of the MNIST world on the training split, or [] with a
    note when the data is absent. The warm-up is the reference code's first 25 generator updates, each after 100
    critic updates; steps_per_s is the updates after it, each after 5."""
    import torch

    from explorer.playground.mnist import DataError, MnistRun, training_split

    torch.set_num_threads(1)
    try:
        split = training_split()
    except DataError as e:
        print(f"MNIST world skipped: {e}")
        return []
    rows = []
    for variant in MNIST_CASES:
        t0 = time.perf_counter()
        live = MnistRun(variant, 0, split.images, split.sha256)
        started = time.perf_counter() - t0
        warmup = live.cfg.warmup_steps
        t0 = time.perf_counter()
        live.advance(warmup)
        warm_rate = warmup / (time.perf_counter() - t0)
        steps = 20 if quick else 200
        t0 = time.perf_counter()
        live.advance(steps)
        rows.append(
            {
                "variant": variant,
                "start_s": started,
                "warmup_steps_per_s": warm_rate,
                "steps_per_s": steps / (time.perf_counter() - t0),
            }
        )
    return rows


def format_mnist_table(rows: list[dict]) -> str:
    lines = [f"{'variant':<18} {'steps/s':>8} {'warm-up steps/s':>16} {'new run s':>10}"]
    lines += [
        f"{r['variant']:<18} {r['steps_per_s']:>8.1f} {r['warmup_steps_per_s']:>16.2f} {r['start_s']:>10.2f}"
        for r in rows
    ]
    return "\n".join(lines)


def run(quick: bool = False) -> list[dict]:
    """[{neuron, estimator, steps_per_s, import_s, cold_frame_s, first_frame_s}], the last three medians of 3 fresh
    processes (first_frame_s is the second frame of a process, as a page's later visits see it)."""
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
                "cold_frame_s": statistics.median(f[1] for f in frames),
                "first_frame_s": statistics.median(f[2] for f in frames),
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [
        f"{'neuron':<6} {'G update':<12} {'steps/s':>8} {'first frame s':>14} {'process first s':>16} {'imports s':>10}"
    ]
    lines += [
        f"{r['neuron']:<6} {r['estimator']:<12} {r['steps_per_s']:>8.1f} {r['first_frame_s']:>14.3f} "
        f"{r['cold_frame_s']:>16.2f} {r['import_s']:>10.2f}"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 timed steps, one first frame per case")
    args = parser.parse_args(argv)
    print(f"torch threads: 1, CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print(format_table(run(args.quick)))
    print("\nthe MNIST world, one core (a new run: the networks built; the split is read once per server)")
    print(format_mnist_table(mnist_rows(args.quick)))


if __name__ == "__main__":
    main()
