"""`python -m training publish`: the prepared Hub repository (dry run), what it refuses, and the upload calls."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from huggingface_hub import ModelCard

from tests.helpers import REPO_ID, make_campaign
from training.checkpoint import load_checkpoint
from training.cli import main
from training.manifest import sha256_file, write_manifest
from training.publish import GRID_VARIANTS
from training.table import table_markdown

COMMIT = "c0ffee" * 6 + "c0ff"


@pytest.fixture(scope="module")
def campaign(checkpoints_root, tmp_path_factory) -> Path:
    return make_campaign(tmp_path_factory.mktemp("campaign") / "checkpoints", checkpoints_root)


@pytest.fixture(scope="module")
def dry_run(campaign, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dry-run") / "repo"
    assert main(["publish", "--repo-id", REPO_ID, "--dry-run", "--out", str(out), "--checkpoints", str(campaign)]) == 0
    return out


@pytest.fixture
def own_campaign(campaign, tmp_path) -> Path:
    """A copy that a test may break."""
    return Path(shutil.copytree(campaign, tmp_path / "checkpoints"))


def test_dry_run_model_card_parses_with_the_required_metadata(dry_run, campaign):
    card = ModelCard.load(dry_run / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "mit" and data["library_name"] == "pytorch" and data["datasets"] == ["mnist"]
    assert {"gan", "binary-neurons"} <= set(data["tags"])
    assert {"fd", "precision", "recall"} <= set(data["metrics"])
    text = card.text
    assert "arXiv:1810.04714" in text and "https://arxiv.org/abs/1810.04714" in text
    headline = [n for n in GRID_VARIANTS if (campaign / n).is_dir()]
    assert headline  # the fixture has headline variants, so the card must show their samples
    for name in headline:
        assert f"](images/{name}.png)" in text
        assert (dry_run / "images" / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    table = json.loads((campaign / "metrics.json").read_text())
    assert "| real data (floor) | 0.01 |" in text  # the metrics table opens with the floor
    assert table_markdown(table) in text  # the README's results table, for the variants published
    for name in table["variants"]:
        assert f"| `{name}`" in text
    assert "cpu (demo)" in text  # hardware, from each checkpoint's provenance
    assert f'BinaryGAN.from_pretrained("{REPO_ID}", variant=' in text and ".sample(" in text


def test_dry_run_manifest_lists_every_file_with_its_hash(dry_run):
    manifest = json.loads((dry_run / "manifest.json").read_text())["files"]
    on_disk = {p.relative_to(dry_run).as_posix() for p in dry_run.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest) == on_disk
    for rel, entry in manifest.items():
        assert entry == {"sha256": sha256_file(dry_run / rel), "size": (dry_run / rel).stat().st_size}, rel


def test_dry_run_holds_the_campaign_and_nothing_else(dry_run, campaign):
    top = {p.name for p in dry_run.iterdir()}
    variants = {p.name for p in campaign.iterdir() if (p / "generator.safetensors").is_file()}
    assert top == variants | {"classifier", "images", "metrics.json", "README.md", "manifest.json"}
    for name in variants:
        for rel in (
            Path(name) / f
            for f in ("generator.safetensors", "config.json", "metrics.json", "history.json", "steps.csv")
        ):
            assert (dry_run / rel).read_bytes() == (campaign / rel).read_bytes()
        load_checkpoint(dry_run / name)
        snaps = sorted(p.name for p in (campaign / name / "snapshots").glob("epoch-*"))
        assert sorted(p.name for p in (dry_run / name / "snapshots").glob("epoch-*")) == snaps
        seeds = sorted(p.relative_to(campaign).as_posix() for p in (campaign / name).glob("seeds/*/*"))
        assert sorted(p.relative_to(dry_run).as_posix() for p in (dry_run / name).glob("seeds/*/*")) == seeds
        for rel in seeds:
            assert (dry_run / rel).read_bytes() == (campaign / rel).read_bytes()
    assert any((dry_run / name / "seeds").is_dir() for name in variants)  # the fixture ships a seed
    assert {p.name for p in (dry_run / "classifier").iterdir()} == {"classifier.safetensors", "config.json"}


def test_dry_run_is_reproducible(dry_run, campaign, tmp_path):
    assert (
        main(
            [
                "publish",
                "--repo-id",
                REPO_ID,
                "--dry-run",
                "--out",
                str(tmp_path / "again"),
                "--checkpoints",
                str(campaign),
            ]
        )
        == 0
    )
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (dry_run / "manifest.json").read_bytes()


def _break_metrics_file(root: Path) -> None:
    (root / "mlp-dbn-wgan-gp" / "metrics.json").write_text('{"fd": 0.0}')


def _drop_table(root: Path) -> None:
    (root / "metrics.json").unlink()
    write_manifest(root)


def _drop_classifier(root: Path) -> None:
    shutil.rmtree(root / "classifier")
    write_manifest(root)


def _corrupt_checkpoint(root: Path) -> None:
    path = root / "mlp-sbn-wgan-gp" / "generator.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    write_manifest(root)


def _drop_manifest(root: Path) -> None:
    (root / "manifest.json").unlink()


@pytest.mark.parametrize(
    "breakage, message",
    [
        (_break_metrics_file, "mlp-dbn-wgan-gp/metrics.json: .*manifest"),
        (_drop_manifest, "manifest.json: cannot read the manifest"),
        (_drop_table, "no metrics.json; build it with"),
        (_drop_classifier, "classifier.safetensors: file not found"),
        (_corrupt_checkpoint, "mlp-sbn-wgan-gp/generator.safetensors: .*truncated or corrupt"),
    ],
)
def test_an_incomplete_or_changed_campaign_is_refused(own_campaign, tmp_path, capsys, breakage, message):
    breakage(own_campaign)
    out = tmp_path / "out"
    assert (
        main(["publish", "--repo-id", REPO_ID, "--dry-run", "--out", str(out), "--checkpoints", str(own_campaign)]) == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and re.search(message, err), err


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--repo-id", "no-slash", "--dry-run", "--out", "{tmp}/o"],
            "--repo-id 'no-slash' is not a Hub model repository",
        ),
        (["--repo-id", REPO_ID, "--dry-run"], "--dry-run needs --out"),
        (["--repo-id", REPO_ID, "--revision", "bad tag", "--dry-run", "--out", "{tmp}/o"], "--revision 'bad tag'"),
        (["--repo-id", REPO_ID, "--dry-run", "--out", "{tmp}"], "is not an empty folder"),
    ],
)
def test_bad_arguments_are_refused(campaign, tmp_path, capsys, argv, message):
    (tmp_path / "occupied").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["publish", *argv, "--checkpoints", str(campaign)]) == 1
    assert message in capsys.readouterr().err


class FakeHfApi:
    """Stands in for huggingface_hub.HfApi; records the calls and what the uploaded folder held."""

    calls: list = []
    tags: set = set()

    def __init__(self, token=None):
        self.calls.append(("init", token))

    def create_repo(self, repo_id, repo_type=None, exist_ok=False):
        self.calls.append(("create_repo", repo_id, repo_type, exist_ok))

    def list_repo_refs(self, repo_id, repo_type=None):
        return SimpleNamespace(tags=[SimpleNamespace(name=t) for t in self.tags], branches=[])

    def upload_folder(self, repo_id, repo_type, folder_path, delete_patterns, commit_message):
        folder = Path(folder_path)
        files = {p.relative_to(folder).as_posix(): sha256_file(p) for p in folder.rglob("*") if p.is_file()}
        self.calls.append(("upload_folder", repo_id, delete_patterns, files))
        return SimpleNamespace(oid=COMMIT, commit_url=f"https://huggingface.co/{repo_id}/commit/{COMMIT}")

    def create_tag(self, repo_id, tag, revision, repo_type, tag_message):
        self.calls.append(("create_tag", repo_id, tag, revision))


@pytest.fixture
def fake_api(monkeypatch):
    import huggingface_hub

    FakeHfApi.calls, FakeHfApi.tags = [], set()
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHfApi)
    return FakeHfApi


def test_upload_is_one_commit_of_the_dry_run_folder_then_the_tag(fake_api, campaign, dry_run, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    assert main(["publish", "--repo-id", REPO_ID, "--revision", "v7", "--checkpoints", str(campaign)]) == 0
    (init, token), create, upload, tag = fake_api.calls
    assert token == "hf_test" and create == ("create_repo", REPO_ID, "model", True)
    _, repo, delete_patterns, files = upload
    assert repo == REPO_ID and delete_patterns == "*"  # the commit mirrors the folder: older files go
    shipped = json.loads((dry_run / "manifest.json").read_text())["files"]
    # the same files as the dry run; only the card (which names the tag) and hence the manifest differ
    assert set(files) == set(shipped) | {"manifest.json"}
    assert all(files[rel] == e["sha256"] for rel, e in shipped.items() if rel != "README.md")
    assert tag == ("create_tag", REPO_ID, "v7", COMMIT)
    assert "tagged v7" in capsys.readouterr().out


def test_upload_needs_a_token_and_a_new_tag(fake_api, campaign, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["publish", "--repo-id", REPO_ID, "--checkpoints", str(campaign)]) == 1
    assert "HF_TOKEN" in capsys.readouterr().err and fake_api.calls == []
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    fake_api.tags = {"v1"}
    assert main(["publish", "--repo-id", REPO_ID, "--revision", "v1", "--checkpoints", str(campaign)]) == 1
    assert "already has the tag 'v1'" in capsys.readouterr().err
    assert [c[0] for c in fake_api.calls] == ["init", "create_repo"]  # nothing uploaded


def test_the_card_carries_model_index_results_for_the_headline_variants(dry_run, campaign):
    """The Hub's own parser reads the card's model-index back: one result group per headline variant, its headline
    metrics on the binarised MNIST test set, with the values of metrics.json."""
    from huggingface_hub import metadata_load
    from huggingface_hub.repocard_data import model_index_to_eval_results

    from training.metrics import METRICS

    card = ModelCard.load(dry_run / "README.md")
    results = card.data.eval_results
    table = json.loads((campaign / "metrics.json").read_text())["variants"]
    headline = [n for n in GRID_VARIANTS if n in table]
    keys = [m.key for m in METRICS if m.headline]
    assert card.data.model_name == "BinaryGAN"
    got = {(r.metric_config, r.metric_type): r.metric_value for r in results}
    assert got == {(n, k): pytest.approx(table[n][k]) for n in headline for k in keys if k in table[n]}
    assert {(r.task_type, r.dataset_type, r.dataset_split) for r in results} == {
        ("unconditional-image-generation", "mnist", "test")
    }
    assert all(r.metric_config in r.metric_name and r.dataset_name and r.task_name for r in results)
    # the raw YAML, through the parser the Hub's own code uses
    name, parsed = model_index_to_eval_results(metadata_load(dry_run / "README.md")["model-index"])
    assert name == "BinaryGAN"
    assert sorted((r.metric_config, r.metric_type, r.metric_value) for r in parsed) == sorted(
        (r.metric_config, r.metric_type, r.metric_value) for r in results
    )


def test_publish_uses_the_token_saved_by_hf_auth_login(fake_api, campaign, tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    token_file = tmp_path / "hf-home" / "token"  # where `hf auth login` writes it
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(token_file))
    assert main(["publish", "--repo-id", REPO_ID, "--checkpoints", str(campaign)]) == 1
    assert "hf auth login" in capsys.readouterr().err and fake_api.calls == []
    token_file.parent.mkdir()
    token_file.write_text("hf_saved\n")
    fake_api.tags = {"v1"}  # stop after connecting: the token reached the client
    assert main(["publish", "--repo-id", REPO_ID, "--revision", "v1", "--checkpoints", str(campaign)]) == 1
    assert fake_api.calls[0] == ("init", "hf_saved")
