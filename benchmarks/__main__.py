"""`python -m benchmarks [--quick] [--json PATH]`: training, sampling, Playground and dashboard speed on this machine.

The Playground's render times under load need a browser and a server: `python -m benchmarks.playground_load`."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

from benchmarks import gated, playground, roofline, sampling, training
from benchmarks.report import table


def machine(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"device": torch.cuda.get_device_name(device), "torch": torch.__version__}
    return {
        "device": f"cpu: {platform.processor() or platform.machine()}",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few cases, short timings (CI)")
    parser.add_argument("--json", type=Path, default=Path("artifacts/benchmarks.json"), help="where to write results")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the dashboard timings")
    args = parser.parse_args(argv)
    device = torch.device(args.device)

    peak = roofline.matmul_gflops(device, min_time=0.3 if args.quick else 2.0)
    results: dict = {"machine": machine(device), "quick": args.quick, "roofline_gflops": peak}
    print(f"machine: {results['machine']}\nroofline (fp32 matmul 1024^3): {peak:.1f} GFLOP/s\n")

    results["training"] = training.run(device, peak, args.quick)
    print("training, one iteration = 5 critic updates + 1 generator update, batch 64")
    print(
        table(
            results["training"],
            [
                ("variant", "variant", "s"),
                ("ms_per_iteration", "ms/it", ".1f"),
                ("naive_ms_per_iteration", "naive ms/it", ".1f"),
                ("speedup_vs_naive", "speed-up", ".2f"),
                ("gflop_per_iteration", "GFLOP/it", ".2f"),
                ("achieved_gflops", "GFLOP/s", ".1f"),
                ("roofline_share", "of roofline", ".0%"),
            ],
        )
    )

    results["sampling"] = sampling.run(args.quick)
    print("\nsampling")
    print(
        table(
            results["sampling"],
            [
                ("variant", "variant", "s"),
                ("n", "samples", "d"),
                ("seconds", "seconds", ".3f"),
                ("samples_per_s", "samples/s", ",.0f"),
                ("plain_loop_seconds", "plain loop s", ".3f"),
                ("interp_64_frames_ms", "64-frame interp ms", ".1f"),
            ],
        )
    )

    results["gated"] = gated.run(args.quick)
    print("\nconditional computation: sampling with only the active expert, against the dense generator")
    print(table(results["gated"], gated.COLUMNS))

    results["playground"] = playground.run(args.quick)
    print("\nthe Playground's exact world, one core")
    print(playground.format_table(results["playground"]))
    results["playground_mnist"] = playground.mnist_rows(args.quick)
    print("\nthe Playground's MNIST world, one core")
    print(playground.format_mnist_table(results["playground_mnist"]))

    if not args.no_dashboard:
        from benchmarks import dashboard
        from explorer import checkpoints_root

        shipped = checkpoints_root()
        root = shipped if any(shipped.glob("*/generator.safetensors")) else None  # else demo checkpoints
        results["dashboard"] = dashboard.run(args.quick, root=root)
        results["dashboard_checkpoints"] = str(root or "demo")
        print("\ndashboard")
        print(dashboard.format_table(results["dashboard"]))

        from benchmarks import gradient_lab

        results["gradient_lab"] = gradient_lab.run(args.quick)
        print("\ngradient lab (one sample's page, warm; the many-sample comparison)")
        print(gradient_lab.format_table(results["gradient_lab"]))

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
