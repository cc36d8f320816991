"""`python -m training publish`: a training campaign as a Hugging Face Hub model repository.

The prepared folder is exactly what gets uploaded (`--dry-run --out DIR` stops there):

    README.md                       model card (metadata, samples, metrics, training, usage)
    manifest.json                   {"files": {path: {"sha256", "size"}}, ...} for every other file
    metrics.json, metrics.csv       all variants and the real-data floor
    classifier/                     the evaluation classifier
    images/<variant>.png            sample grids of the headline variants
    <variant>/                      generator.safetensors, config.json, metrics.json, history.json, steps.csv,
                                    critic.safetensors (where shipped),
                                    snapshots/epoch-NNN/{generator.safetensors,config.json},
                                    seeds/seed-N/{metrics.json,history.json} (extra training seeds' numbers)

The upload is one commit that mirrors the folder (files of an older campaign are deleted), tagged with
`--revision`, the tag the explorer pins (training.hubrepo.HUB_REVISION).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from string import Template
from typing import Any

from training.checkpoint import (
    CLASSIFIER_DIR,
    CONFIG_FILE,
    CRITIC_FILE,
    ESTIMATOR_LAB_FILE,
    GENERATOR_FILE,
    GRADLAB_COMPARISON_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    SEEDS_DIR,
    SNAPSHOTS_DIR,
    STEPS_FILE,
    TABLE_CSV_FILE,
    atomic_write,
    checkpoints_root,
    load_checkpoint,
)
from training.critic import load_critic_checkpoint
from training.hubrepo import HUB_REVISION, check_repo_id, check_revision
from training.manifest import MANIFEST_FILE, check_manifest, write_manifest
from training.metrics import METRICS
from training.seeds import shipped_seeds
from training.table import table_markdown
from training.variants import REGISTRY

GRID_VARIANTS = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "cnn-dbn-wgan-gp", "cnn-sbn-wgan-gp")
VARIANT_FILES = (GENERATOR_FILE, CONFIG_FILE, METRICS_FILE, HISTORY_FILE, STEPS_FILE, CRITIC_FILE, ESTIMATOR_LAB_FILE)
SNAPSHOT_FILES = (GENERATOR_FILE, CONFIG_FILE)
SEED_FILES = (METRICS_FILE, HISTORY_FILE)  # <variant>/seeds/seed-N/: an extra training seed's numbers
TABLE_FILES = (METRICS_FILE, TABLE_CSV_FILE, GRADLAB_COMPARISON_FILE)
IMAGES_DIR = "images"
CARD_FILE = "README.md"
GRID_SAMPLES, GRID_COLS, GRID_SEED = 64, 8, 0
PAPER = "https://arxiv.org/abs/1810.04714"


class PublishError(ValueError):
    """The checkpoints cannot be published as they are, or the Hub refused them."""


# ---------------------------------------------------------------------------------------------------
# What gets published.
# ---------------------------------------------------------------------------------------------------


def _regular(path: Path) -> bool:
    if path.is_symlink():
        raise PublishError(f"{path}: a symbolic link; publish copies regular files only")
    return path.is_file()


def collect(source: Path) -> dict[str, Path]:
    """{path in the repository: source file} for every trained variant, the classifier and the metrics
    table; every checkpoint and the classifier are validated on the way."""
    from training.classifier import CLASSIFIER_FILE, load_classifier

    files: dict[str, Path] = {}
    for name in REGISTRY:
        folder = source / name
        if not _regular(folder / GENERATOR_FILE):
            continue
        cfg, _, _ = load_checkpoint(folder)
        if cfg.name != name:
            raise PublishError(f"{folder}: holds variant {cfg.name!r}, not {name!r}")
        if _regular(folder / CRITIC_FILE):
            load_critic_checkpoint(folder)
        files |= {f"{name}/{f}": folder / f for f in VARIANT_FILES if _regular(folder / f)}
        for snap in sorted((folder / SNAPSHOTS_DIR).glob("epoch-*")):
            load_checkpoint(snap, folder)
            files |= {f"{name}/{SNAPSHOTS_DIR}/{snap.name}/{f}": snap / f for f in SNAPSHOT_FILES}
        shipped_seeds(source, name)  # the extra training seeds' numbers (no weights), refused when unreadable
        for seed in sorted((folder / SEEDS_DIR).glob("seed-*")):
            files |= {f"{name}/{SEEDS_DIR}/{seed.name}/{f}": seed / f for f in SEED_FILES if _regular(seed / f)}
    if not files:
        raise PublishError(f"{source}: no trained variant to publish (no <variant>/{GENERATOR_FILE})")
    classifier = source / CLASSIFIER_DIR
    load_classifier(classifier)
    files |= {f"{CLASSIFIER_DIR}/{f}": classifier / f for f in (CLASSIFIER_FILE, CONFIG_FILE)}
    if not _regular(source / METRICS_FILE):
        raise PublishError(f"{source}: no {METRICS_FILE}; build it with `python -m training evaluate --table`")
    files |= {f: source / f for f in TABLE_FILES if _regular(source / f)}
    return files


def read_table(path: Path) -> dict[str, Any]:
    """checkpoints/metrics.json: {"real_data": {...}, "variants": {name: {...}}}."""
    try:
        table = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PublishError(f"{path}: not valid JSON ({e})") from None
    if (
        not isinstance(table, dict)
        or not isinstance(table.get("real_data"), dict)
        or not isinstance(table.get("variants"), dict)
        or not all(isinstance(m, dict) for m in table["variants"].values())
    ):
        raise PublishError(f'{path}: expected {{"real_data": {{...}}, "variants": {{name: {{...}}}}}}')
    return table


def check_source_manifest(source: Path) -> None:
    """Publish only a checkpoints folder that its manifest vouches for, file by file."""
    problems = check_manifest(source)
    if problems:
        raise PublishError(
            f"{source / MANIFEST_FILE} disagrees with the files: {'; '.join(problems[:5])}"
            f"{' ...' if len(problems) > 5 else ''}; if the changes are intended, refresh it with "
            "`python -m training manifest`"
        )


# ---------------------------------------------------------------------------------------------------
# The model card.
# ---------------------------------------------------------------------------------------------------

# The card's prose, with ${placeholders} for what each publication fills in.
CARD_TEMPLATE = Template((Path(__file__).parent / "model_card.md").read_text(encoding="utf-8"))


def _text(v: Any) -> str:
    return "—" if v is None or isinstance(v, bool) else str(v)


def _training_rows(provenance: dict[str, dict[str, Any]]) -> list[str]:
    rows = ["| model | experiment | epochs | seed | hardware | wall time | code commit |", "|---" * 7 + "|"]
    for name, p in provenance.items():
        s = p.get("wall_time_s")
        wall = f"{s / 60:.1f} min" if isinstance(s, (int, float)) and not isinstance(s, bool) else "—"
        rows.append(
            f"| `{name}` | {REGISTRY[name].experiment} | {_text(p.get('epoch'))} | {_text(p.get('seed'))} "
            f"| {_text(p.get('device'))} | {wall} | `{str(p.get('code_commit', '—'))[:12]}` |"
        )
    return rows


MODEL_NAME = "BinaryGAN"
EVAL_TASK = "unconditional-image-generation"
EVAL_DATASET = ("mnist", "MNIST, binarised (test set)", "test")  # (type: the Hub dataset id, name, split)


def eval_results(table: dict[str, Any], names: list[str]) -> list[Any]:
    """The card's `model-index`: the headline metrics of each headline variant that was published and evaluated, on
    the binarised MNIST test digits. The Hub groups results by task and dataset only, so all of them form one group
    and each metric names its variant: `metric_config` is the variant, `metric_name` says it too."""
    from huggingface_hub import EvalResult

    results = []
    for name in (n for n in GRID_VARIANTS if n in names):
        metrics = table["variants"].get(name) or {}
        for m in (m for m in METRICS if m.headline):
            value = metrics.get(m.key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                continue  # not evaluated, or NaN: the Hub's schema wants a number
            results.append(
                EvalResult(
                    task_type=EVAL_TASK,
                    task_name="Unconditional image generation",
                    dataset_type=EVAL_DATASET[0],
                    dataset_name=EVAL_DATASET[1],
                    dataset_split=EVAL_DATASET[2],
                    metric_type=m.key,
                    metric_name=f"{m.label} {m.arrow}".strip() + f" ({name})",
                    metric_config=name,
                    metric_value=round(float(value), 6),
                )
            )
    return results


def usage_code(repo_id: str, variant: str, revision: str) -> str:
    """The card's two-line load (training.pretrained.BinaryGAN, exported by explorer), tested as written in tests/explorer/test_hub.py."""
    pin = "" if revision == HUB_REVISION else f', revision="{revision}"'
    return f'from explorer import BinaryGAN\ng = BinaryGAN.from_pretrained("{repo_id}", variant="{variant}"{pin})\n'


def model_card(
    repo_id: str, revision: str, provenance: dict[str, dict[str, Any]], table: dict[str, Any], images: list[str]
):
    """A huggingface_hub.ModelCard: metadata for the Hub's search, widgets and evaluation results, then the text."""
    from huggingface_hub import ModelCard, ModelCardData

    names = list(provenance)
    results = eval_results(table, names)
    data = ModelCardData(
        license="mit",
        library_name="pytorch",
        datasets=["mnist"],
        pipeline_tag="unconditional-image-generation",
        tags=["gan", "binary-neurons", "straight-through-estimator", "mnist", "pytorch", "safetensors"],
        metrics=[m.key for m in METRICS if m.in_table],
        model_name=MODEL_NAME if results else None,
        eval_results=results or None,
    )
    example = Path(images[0]).stem if images else names[0]
    commands = sorted({p["command"] for p in provenance.values() if isinstance(p.get("command"), str)})
    data_sha = sorted({str(p.get("data_sha256")) for p in provenance.values()})
    real_n = table["real_data"].get("n_samples")
    samples = [f"| `{Path(img).stem}` | ![{Path(img).stem}]({img}) |" for img in images]
    text = CARD_TEMPLATE.substitute(
        n_models=f"{len(names)} generator{'' if len(names) == 1 else 's'}",
        paper=PAPER,
        grid_samples=GRID_SAMPLES,
        grid_seed=GRID_SEED,
        sample_rows="".join(row + "\n" for row in samples),
        classifier_dir=CLASSIFIER_DIR,
        real_n=_text(real_n),
        table=table_markdown(table, names).rstrip("\n"),
        data_sha=", ".join(f"`{s}`" for s in data_sha),
        training_rows="\n".join(_training_rows(provenance)),
        commands="".join(["Commands:\n\n```bash\n", *(c + "\n" for c in commands), "```\n\n"]) if commands else "",
        usage=usage_code(repo_id, example, revision).rstrip("\n"),
        hub_revision=HUB_REVISION,
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + text)


# ---------------------------------------------------------------------------------------------------
# Prepare and upload.
# ---------------------------------------------------------------------------------------------------


def prepare(source: Path, out: Path, repo_id: str, revision: str) -> dict[str, Any]:
    """Write the repository into `out` (new or empty); return its manifest."""
    from training.images import grid_png
    from training.pretrained import BinaryGAN

    source, out = Path(source), Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(f"{out}: exists and is not an empty folder; the prepared repository must hold nothing else")
    check_source_manifest(source)
    files = collect(source)
    table = read_table(source / METRICS_FILE)
    for rel, src in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out / rel)

    provenance = {
        name: json.loads((out / name / CONFIG_FILE).read_text())["provenance"]
        for name in REGISTRY
        if f"{name}/{GENERATOR_FILE}" in files
    }
    images = []
    for name in (n for n in GRID_VARIANTS if n in provenance):
        s = BinaryGAN.from_pretrained(out / name).sample(GRID_SAMPLES, seed=GRID_SEED)
        # the real-valued model's output is p itself; binary models show what they emit
        pixels = s.preactivation if REGISTRY[name].neuron == "real" else s.binary
        atomic_write(out / IMAGES_DIR / f"{name}.png", grid_png(pixels, ncols=GRID_COLS))
        images.append(f"{IMAGES_DIR}/{name}.png")
    model_card(repo_id, revision, provenance, table, images).save(out / CARD_FILE)
    return write_manifest(out)


def upload(api, out: Path, repo_id: str, revision: str) -> str:
    """One commit that makes the repository hold exactly `out`, tagged `revision`; returns the commit URL."""
    from huggingface_hub.utils import HfHubHTTPError

    try:
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="model",
            folder_path=out,
            delete_patterns="*",
            commit_message=f"BinaryGAN checkpoints {revision}",
        )
        api.create_tag(
            repo_id, tag=revision, revision=info.oid, repo_type="model", tag_message=f"BinaryGAN checkpoints {revision}"
        )
    except HfHubHTTPError as e:
        raise PublishError(f"{repo_id}: the Hub refused the upload ({e})") from None
    return info.commit_url


def connect(repo_id: str, revision: str):
    """An authenticated HfApi for an existing (or new) repository that has no tag `revision` yet."""
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.utils import HfHubHTTPError

    token = get_token()  # $HF_TOKEN, else the token `hf auth login` saved
    if not token:
        raise PublishError(
            "no Hugging Face token: run `hf auth login` or set HF_TOKEN to a token with write access "
            "to upload (or use --dry-run)"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="model", exist_ok=True)
        tags = {t.name for t in api.list_repo_refs(repo_id, repo_type="model").tags}
    except HfHubHTTPError as e:
        raise PublishError(f"{repo_id}: cannot create or read the repository ({e})") from None
    if revision in tags:
        raise PublishError(
            f"{repo_id} already has the tag {revision!r}: installed copies pin it, so a new campaign "
            "needs a new tag (--revision, and training.hubrepo.HUB_REVISION to match)"
        )
    return api


def main_publish(args) -> int:
    repo_id = check_repo_id(args.repo_id, "--repo-id")
    revision = check_revision(args.revision or HUB_REVISION, "--revision")
    source = args.checkpoints or checkpoints_root()
    if args.dry_run:
        if args.out is None:
            raise PublishError("--dry-run needs --out DIR, the folder to write the repository into")
        manifest = prepare(source, args.out, repo_id, revision)
        print(
            f"{args.out}: {len(manifest['files']) + 1} files, what `publish` would upload to {repo_id} "
            f"as {revision}; nothing was uploaded"
        )
        return 0
    api = connect(repo_id, revision)  # before preparing: a missing token or a taken tag fails fast
    with tempfile.TemporaryDirectory(prefix="binarygan-publish-") as tmp:
        out = args.out or Path(tmp) / "repo"
        manifest = prepare(source, out, repo_id, revision)
        url = upload(api, out, repo_id, revision)
    print(f"published {len(manifest['files']) + 1} files to {repo_id}, tagged {revision}: {url}")
    return 0
