"""The oracle experiment: does straight-through's bias cost anything against training with the true gradient?

    python -m explorer.playground.oracle --write    # run the campaign and write oracle.json
    python -m explorer.docs_tables --write          # then docs/playground.md's two tables from it

The rule, stated in docs/playground.md before the campaign ran: each estimator and the oracle train the SBN
generator with WGAN-GP for STEPS generator updates, seeds 0, 1, 2, everything else equal; at the last step an
estimator is better or worse than the oracle on a metric when the intervals mean +- sample sd over the seeds
(training.seeds.mean_sd) do not overlap, and no different when they do.

Beside it, and judged by no rule: each estimator's agreement with the true gradient (gradient.compare) at two states
of the oracle's seed-0 run, early and at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from explorer.playground import gradient
from explorer.playground.train import ORACLE, PlaygroundConfig, Run
from training.seeds import mean_sd

OBJECTIVE = "wgan-gp"
STEPS = 1500
SEEDS = (0, 1, 2)
LR = 3e-3  # both networks
RECORD_EVERY = 50  # the curve's spacing in oracle.json; the trajectory does not depend on it
ARMS = (ORACLE, *gradient.COMPARED)
# metric -> whether lower is better; the first two are the rule's
METRICS = {"js": True, "covered": False, "off_data": True}
AGREEMENT_AT = (100, STEPS)  # generator updates of the oracle's seed-0 run where the estimators are compared
AGREEMENT_REPEATS = 256  # independent estimates per estimator, each over the 32 latents

RESULT = Path(__file__).with_name("oracle.json")


def config(arm: str, seed: int, steps: int = STEPS) -> PlaygroundConfig:
    return PlaygroundConfig(
        neuron="sbn", estimator=arm, objective=OBJECTIVE, lr_g=LR, lr_d=LR, seed=seed, steps=steps, every=RECORD_EVERY
    )


def train_one(arm: str, seed: int, steps: int = STEPS) -> dict[str, Any]:
    """One run's final exact quantities, its curve and its time."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    run = Run(config(arm, seed, steps))
    history = run.run()
    final = run.final
    return {
        "js": final.js,
        "covered": final.covered,
        "off_data": final.off_data,
        "kl": final.kl if final.kl != float("inf") else None,  # JSON has no inf: null is a missed pattern
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,  # one thread: the core's time, whatever else shares the machine
        "curve": {
            "step": history.exact_steps,
            "js": [round(e.js, 5) for e in history.exact],
            "covered": [e.covered for e in history.exact],
        },
    }


def agreement(at: tuple[int, ...] = AGREEMENT_AT, repeats: int = AGREEMENT_REPEATS) -> dict[str, Any]:
    """{step: {estimator: {cosine, bias, variance}}} along the oracle's seed-0 run."""
    run = Run(config(ORACLE, SEEDS[0], max(at)))
    found = {}
    for step in at:
        run.run(step - run.g_step)
        _, by_name = gradient.compare(run.logits(), run.critic, OBJECTIVE, run.slope, repeats, seed=SEEDS[0])
        found[str(step)] = {name: asdict(a) for name, a in by_name.items()}
    return found


def campaign(
    steps: int = STEPS,
    seeds: tuple[int, ...] = SEEDS,
    arms: tuple[str, ...] = ARMS,
    agreement_at: tuple[int, ...] = AGREEMENT_AT,
    repeats: int = AGREEMENT_REPEATS,
) -> dict[str, Any]:
    t0, cpu0 = time.perf_counter(), time.process_time()
    runs = {arm: {str(seed): train_one(arm, seed, steps) for seed in seeds} for arm in arms}
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "objective": OBJECTIVE,
        "neuron": "sbn",
        "steps": steps,
        "seeds": list(seeds),
        "lr": LR,
        "seconds": seconds,  # the campaign's runs, not the agreement
        "cpu_seconds": cpu_seconds,
        "runs": runs,
        "agreement": agreement(agreement_at, repeats),
    }


def verdict(values: list[float], oracle: list[float], lower_is_better: bool) -> str:
    """'better', 'worse' or 'no different' than the oracle: mean +- sd intervals that do not overlap decide."""
    (m, s), (mo, so) = mean_sd(values), mean_sd(oracle)
    if m + s < mo - so:
        return "better" if lower_is_better else "worse"
    if m - s > mo + so:
        return "worse" if lower_is_better else "better"
    return "no different"


def _cell(values: list[float], digits: int) -> str:
    mean, sd = mean_sd(values)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def verdict_rows(result: dict[str, Any]) -> list[dict[str, str]]:
    """One row per arm, column name -> cell: the verdict table, for the page and for docs/."""
    runs = result["runs"]
    values = {arm: {m: [r[m] for r in by_seed.values()] for m in METRICS} for arm, by_seed in runs.items()}
    rows = []
    for arm, v in values.items():
        judged = ["—" if arm == ORACLE else verdict(v[m], values[ORACLE][m], METRICS[m]) for m in ("js", "covered")]
        seconds = mean_sd(r["cpu_seconds"] for r in runs[arm].values())[0]
        rows.append(
            {
                f"G update ({result['steps']} steps, {len(result['seeds'])} seeds)": arm,
                "final JS (nats)": _cell(v["js"], 3),
                "JS vs oracle": judged[0],
                "patterns covered (of 30)": _cell(v["covered"], 1),
                "covered vs oracle": judged[1],
                "mass off the patterns": _cell(v["off_data"], 3),
                "CPU seconds per run": f"{seconds:.0f}",
            }
        )
    return rows


def campaign_cost(result: dict[str, Any]) -> str:
    cpu, wall = result["cpu_seconds"] / 60, result["seconds"] / 60
    return (
        f"The whole campaign: {cpu:.1f} minutes of one core's time (`OMP_NUM_THREADS=1`), "
        f"{wall:.1f} minutes of wall-clock time on the shared machine."
    )


def table(result: dict[str, Any]) -> str:
    rows = verdict_rows(result)
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [f"`{v}`" if i == 0 else v for i, v in enumerate(row.values())]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + campaign_cost(result) + "\n"


def agreement_table(result: dict[str, Any]) -> str:
    states = result["agreement"]
    head = " | ".join(f"{k} at {s}" for s in states for k in ("cosine", "bias", "variance"))
    lines = [f"| estimator (oracle run, seed 0) | {head} |", "|---|" + "---|" * 3 * len(states)]
    for name in next(iter(states.values())):
        cells = " | ".join(f"{states[s][name][k]:.3f}" for s in states for k in ("cosine", "bias", "variance"))
        lines.append(f"| `{name}` | {cells} |")
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any], result_path: Path = RESULT) -> None:
    result_path.write_text(json.dumps(result, indent=1) + "\n")


def read(result_path: Path | None = None) -> dict[str, Any]:
    return json.loads((result_path or RESULT).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.playground.oracle", description=__doc__)
    parser.add_argument("--write", action="store_true", required=True, help="run the campaign and write oracle.json")
    parser.parse_args(argv)
    write(campaign())
    result = read()
    print(table(result) + "\n" + agreement_table(result))
    print(f"wrote {RESULT}; python -m explorer.docs_tables --write puts these tables in docs/playground.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
