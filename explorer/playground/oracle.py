"""The oracle experiment: does straight-through's bias cost anything against training with the true gradient?

    python -m explorer.playground.oracle --write    # run the campaign, write oracle.json and the table in the doc
    python -m explorer.playground.oracle --check    # exit 1 if the doc's table is not oracle.json's

The rule, stated in docs/playground.md before the campaign ran: each estimator and the oracle train the SBN
generator with WGAN-GP for STEPS generator updates, seeds 0, 1, 2, everything else equal; at the last step an
estimator is better or worse than the oracle on a metric when the intervals mean +- sample sd over the seeds
(training.seeds.mean_sd) do not overlap, and no different when they do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from explorer.playground import gradient
from explorer.playground.train import ORACLE, PlaygroundConfig, Run
from training.checkpoint import REPO_CHECKPOINTS
from training.seeds import mean_sd

OBJECTIVE = "wgan-gp"
STEPS = 1500
SEEDS = (0, 1, 2)
LR = 3e-3  # both networks
RECORD_EVERY = 50  # the curve's spacing in oracle.json; the trajectory does not depend on it
ARMS = (ORACLE, *gradient.COMPARED)
# metric -> whether lower is better; the first two are the rule's
METRICS = {"js": True, "covered": False, "off_data": True}

RESULT = Path(__file__).with_name("oracle.json")
DOC = REPO_CHECKPOINTS.parent / "docs" / "playground.md"
BEGIN = "<!-- generated: playground-oracle (python -m explorer.playground.oracle --write) -->\n"
END = "<!-- end generated: playground-oracle -->"


def config(arm: str, seed: int, steps: int = STEPS) -> PlaygroundConfig:
    return PlaygroundConfig(
        neuron="sbn", estimator=arm, objective=OBJECTIVE, lr_g=LR, lr_d=LR, seed=seed, steps=steps, every=RECORD_EVERY
    )


def train_one(arm: str, seed: int, steps: int = STEPS) -> dict[str, Any]:
    """One run's final exact quantities, its curve and its time."""
    t0 = time.perf_counter()
    run = Run(config(arm, seed, steps))
    history = run.run()
    final = run.final
    return {
        "js": final.js,
        "covered": final.covered,
        "off_data": final.off_data,
        "kl": final.kl if final.kl != float("inf") else None,  # JSON has no inf: null is a missed pattern
        "seconds": time.perf_counter() - t0,
        "curve": {
            "step": history.exact_steps,
            "js": [round(e.js, 5) for e in history.exact],
            "covered": [e.covered for e in history.exact],
        },
    }


def campaign(steps: int = STEPS, seeds: tuple[int, ...] = SEEDS, arms: tuple[str, ...] = ARMS) -> dict[str, Any]:
    t0 = time.perf_counter()
    runs = {arm: {str(seed): train_one(arm, seed, steps) for seed in seeds} for arm in arms}
    return {
        "objective": OBJECTIVE,
        "neuron": "sbn",
        "steps": steps,
        "seeds": list(seeds),
        "lr": LR,
        "seconds": time.perf_counter() - t0,
        "runs": runs,
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


def table(result: dict[str, Any]) -> str:
    runs = result["runs"]
    values = {arm: {m: [r[m] for r in by_seed.values()] for m in METRICS} for arm, by_seed in runs.items()}
    lines = [
        f"| G update ({result['steps']} steps, {len(result['seeds'])} seeds) | final JS (nats) | vs oracle "
        "| patterns covered (of 30) | vs oracle | mass off the patterns | seconds per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm, v in values.items():
        judged = ["—" if arm == ORACLE else verdict(v[m], values[ORACLE][m], METRICS[m]) for m in ("js", "covered")]
        seconds = mean_sd(r["seconds"] for r in runs[arm].values())[0]
        lines.append(
            f"| `{arm}` | {_cell(v['js'], 3)} | {judged[0]} | {_cell(v['covered'], 1)} | {judged[1]} "
            f"| {_cell(v['off_data'], 3)} | {seconds:.0f} |"
        )
    minutes = result["seconds"] / 60
    lines.append(f"\nThe whole campaign: {minutes:.1f} minutes on one core (`OMP_NUM_THREADS=1`).")
    return "\n".join(lines) + "\n"


def _replace(text: str, body: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC}: no block between {BEGIN.strip()!r} and {END!r}")
    return text[: start + len(BEGIN)] + body + text[end:]


def write(result: dict[str, Any], result_path: Path = RESULT, doc: Path = DOC) -> None:
    result_path.write_text(json.dumps(result, indent=1) + "\n")
    doc.write_text(_replace(doc.read_text(), table(result)))


def check(result_path: Path = RESULT, doc: Path = DOC) -> bool:
    """Whether the doc's table is the one the result file gives."""
    text = doc.read_text()
    return _replace(text, table(json.loads(result_path.read_text()))) == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.playground.oracle", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="run the campaign, write the JSON and the doc's table")
    action.add_argument("--check", action="store_true", help="exit 1 if the doc's table is stale")
    args = parser.parse_args(argv)
    if args.check:
        fresh = check()
        print(f"{DOC.name}: the oracle table is {'up to date' if fresh else 'stale'}")
        return 0 if fresh else 1
    write(campaign())
    print(table(json.loads(RESULT.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
