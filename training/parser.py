"""The command line's grammar: every command's arguments and how each is checked; training/cli.py runs them."""

from __future__ import annotations

import argparse
from pathlib import Path

from training.rng import MAX_SEED
from training.variants import UnknownVariantError, get_variant

MAX_EPOCHS = 10_000
REPRODUCIBLE_HELP = (
    "CPU mode whose weights are the same on any x86-64 processor with AVX2: one thread, MKL's "
    "COMPATIBLE reproducibility branch, torch's AVX2 kernels, oneDNN off (docs/reproducible.md); slower"
)


def _bounded_int(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside [{lo}, {hi}]")
        return value

    return parse


def _variant(text: str) -> str:
    try:
        return get_variant(text).name
    except UnknownVariantError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seeds(text: str) -> str:
    from training.seeds import SeedError, parse_seeds

    try:
        parse_seeds(text, MAX_SEED)
    except SeedError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _options(*adders) -> argparse.ArgumentParser:
    """A parent parser: options that several commands share, defined once."""
    parent = argparse.ArgumentParser(add_help=False)
    for add in adders:
        add(parent)
    return parent


def build_parser(prog: str = "python -m training") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Train and inspect BinaryGAN variants.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = _options(
        lambda p: p.add_argument(
            "--data-dir", help="folder with the four MNIST IDX gzip files (default: $BINARYGAN_DATA or data/mnist)"
        ),
        lambda p: p.add_argument(
            "--no-verify", action="store_true", help="skip the MNIST sha256 check (tiny test data sets)"
        ),
    )
    smoke = _options(
        lambda p: p.add_argument(
            "--limit", type=_bounded_int(1, 60_000), help="train on the first N images (smoke runs)"
        ),
        lambda p: p.add_argument("--no-progress", action="store_true", help="no progress bar"),
    )
    seed = _options(lambda p: p.add_argument("--seed", type=_bounded_int(0, MAX_SEED), default=0))
    run = _options(  # what a generator's training run takes, one run (train) or many (sweep)
        lambda p: p.add_argument(
            "--epochs", type=_bounded_int(1, MAX_EPOCHS), help="total epochs (default: the variant's, 20)"
        ),
        lambda p: p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)"),
        lambda p: p.add_argument("--reproducible", action="store_true", help=REPRODUCIBLE_HELP),
    )
    checkpoints = _options(
        lambda p: p.add_argument("--checkpoints", type=Path, help="checkpoints folder (default: the repo's)")
    )
    classifier = _options(
        lambda p: p.add_argument("--classifier", type=Path, help="classifier folder (default: checkpoints/classifier)")
    )

    p = sub.add_parser("list", help="list the registered variants")
    p.add_argument("--json", action="store_true", help="print every variant config as a JSON list")

    p = sub.add_parser("download", help="fetch the four MNIST IDX files (11 MB) into --data-dir, checked by sha256")
    p.add_argument(
        "--data-dir", help="folder to fetch the MNIST IDX gzip files into (default: $BINARYGAN_DATA or data/mnist)"
    )

    p = sub.add_parser("train", help="train one variant into a checkpoint folder", parents=[data, smoke, seed, run])
    p.add_argument("name", type=_variant, help="variant name (see `list`)")
    p.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    p.add_argument(
        "--no-snapshots",
        action="store_true",
        help="keep no generator snapshot per epoch, only the last (timing runs); evaluate --history then "
        "has only the final epoch to measure",
    )
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files from the usual mirrors first")
    p.add_argument("--fp32", action="store_true", help="store generator weights in fp32 (default fp16)")

    p = sub.add_parser(
        "classifier", help="train the evaluation classifier (CNN on binarised MNIST)", parents=[data, smoke, seed]
    )
    p.add_argument("--out", type=Path, default=Path("checkpoints/classifier"), help="folder to write")
    p.add_argument("--epochs", type=_bounded_int(1, 100), default=8)

    p = sub.add_parser(
        "evaluate",
        help="metrics of a checkpoint against the binarised test set",
        parents=[data, checkpoints, classifier],
    )
    p.add_argument("target", nargs="?", help="variant name (looked up in checkpoints/) or checkpoint/run folder")
    p.add_argument("--n", type=_bounded_int(10, 100_000), default=10_000, help="generated samples (default 10000)")
    p.add_argument("--seed", type=_bounded_int(0, MAX_SEED), default=0, help="latent and neuron-noise seed")
    p.add_argument("--out", type=Path, help="metrics file to write (default: TARGET/metrics.json)")
    p.add_argument(
        "--history",
        action="store_true",
        help="also evaluate every snapshots/epoch-NNN cheaply and merge into TARGET/history.json",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="recompute and compare with the existing metrics.json instead of writing it",
    )
    p.add_argument(
        "--table",
        action="store_true",
        help="rebuild CHECKPOINTS/metrics.json and .csv (all variants + the real-data floor)",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="with --table, also print it as Markdown (the tables of docs/results.md)",
    )

    p = sub.add_parser(
        "sweep",
        help="train, evaluate and ship variants; one independent job per variant",
        parents=[data, smoke, run, classifier],
    )
    p.add_argument("names", nargs="*", type=_variant, help="variants (default: all)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="folder of run folders (default: runs)")
    p.add_argument("--ship", type=Path, help="checkpoints folder to ship into (default: do not ship)")
    p.add_argument(
        "--seeds",
        type=_seeds,
        default="0",
        help="training seeds, e.g. 0,1,2 or 0-2 (default 0); each seed is its own job and run folder, "
        "and seeds other than 0 ship their metrics and history only",
    )
    p.add_argument("--n", type=_bounded_int(10, 100_000), default=10_000, help="samples for the final metrics")
    p.add_argument("--history-n", type=_bounded_int(10, 100_000), default=2_000, help="samples per epoch")
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: one job after another in this process; ray: each (variant, seed) job is a Ray task "
        "(1 CPU, or 1 GPU with --device cuda); needs pip install -e .[ray]",
    )
    p.add_argument("--address", help="with --engine ray: the cluster's HOST:PORT (default: start a local instance)")

    p = sub.add_parser("critic", help="write RUN/critic.safetensors (the trained D) from RUN's training state")
    p.add_argument("runs", nargs="+", type=Path, help="run folders holding train_state.safetensors")
    p.add_argument("--out", type=Path, help="folder to write critic.safetensors into (default: the run folder)")
    p.add_argument("--fp32", action="store_true", help="store the critic in fp32 (default fp16)")
    p.add_argument(
        "--for",
        dest="adopt_for",
        type=Path,
        metavar="SHIPPED",
        help="RUN retrained SHIPPED's variant with the same seed: if its generator is bit-identical to "
        "SHIPPED's, write SHIPPED/critic.safetensors with SHIPPED's provenance",
    )

    p = sub.add_parser(
        "compare",
        help="is a (retrained) run's generator bit-identical to a shipped one? "
        "Tensor bytes are compared; the files' provenance is not",
    )
    p.add_argument("run", type=Path, help="run or checkpoint folder")
    p.add_argument(
        "shipped",
        type=Path,
        help="shipped checkpoint folder, e.g. checkpoints/mlp-dbn-wgan-gp "
        "(also checked against its folder's manifest.json)",
    )

    p = sub.add_parser(
        "manifest",
        help="write (or --check) checkpoints/manifest.json: every file's sha256 and size",
        parents=[checkpoints],
    )
    p.add_argument("--check", action="store_true", help="compare the files with the manifest instead of writing it")

    p = sub.add_parser(
        "publish",
        help="publish the checkpoints as a Hugging Face Hub model repository ($HF_TOKEN or `hf auth login`)",
        parents=[checkpoints],
    )
    p.add_argument("--repo-id", required=True, help="ORG/NAME of the model repository, created if missing")
    p.add_argument(
        "--revision",
        help="tag for the new commit, the revision the explorer pins "
        "(default: training.hubrepo.HUB_REVISION); refused if the repository has it already",
    )
    p.add_argument("--out", type=Path, help="new or empty folder to prepare the repository in (default: temporary)")
    p.add_argument("--dry-run", action="store_true", help="only prepare --out, exactly as it would be uploaded")

    sub.add_parser(
        "app",
        help="start the dashboard (streamlit run streamlit_app.py) from this source checkout",
        description="Start the dashboard; other arguments go to streamlit run, e.g. --server.port=8600.",
    )
    return parser
