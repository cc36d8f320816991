"""Checkpoints from the Hugging Face Hub, offline: a local Hub cache built from a `publish --dry-run` folder,
read by the real huggingface_hub client with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import constants, scan_cache_dir

from explorer import CheckpointError, CheckpointNotFound, load_generator
from tests.helpers import REPO, REPO_ID, build_hub_cache
from training import hub
from training.checkpoint import atomic_write_json
from training.classifier import EvalClassifier, save_classifier
from training.cli import main
from training.hubrepo import HUB_REVISION, HubConfigError
from training.manifest import write_manifest
from training.publish import prepare
from training.variants import REGISTRY


def snapshot(cache: Path) -> Path:
    """The one cached snapshot folder of the test repository."""
    (folder,) = (cache / f"models--{REPO_ID.replace('/', '--')}" / "snapshots").iterdir()
    return folder


@pytest.fixture(scope="module")
def hub_folder(checkpoints_root, tmp_path_factory) -> Path:
    """What `publish --dry-run` prepares from the fixture checkpoints (plus a classifier and a metrics table)."""
    source = Path(shutil.copytree(checkpoints_root, tmp_path_factory.mktemp("campaign") / "checkpoints"))
    torch.manual_seed(0)
    save_classifier(source / "classifier", EvalClassifier(), {"test_accuracy": 0.1, "seed": 0, "epochs": 0})
    atomic_write_json(source / "metrics.json", {"real_data": {"fd": 0.0}, "variants": {}})
    write_manifest(source)
    out = tmp_path_factory.mktemp("hub") / "repo"
    prepare(source, out, REPO_ID, HUB_REVISION)
    return out


@pytest.fixture
def offline_hub(hub_folder, tmp_path, monkeypatch) -> Path:
    """This process, offline, with an empty local checkpoints folder and the Hub cache built from hub_folder."""
    cache = tmp_path / "hf-cache"
    build_hub_cache(hub_folder, cache, REPO_ID, HUB_REVISION)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(tmp_path / "empty"))
    monkeypatch.setenv("BINARYGAN_HUB_REPO", REPO_ID)
    monkeypatch.delenv("BINARYGAN_HUB_REVISION", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    # huggingface_hub reads both variables once, when it is imported, and this process imported it already
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


OFFLINE_LOAD = """
import json, sys
import numpy as np
from explorer import load_generator
out = {}
for name, epoch in json.loads(sys.argv[1]):
    g = load_generator(name, epoch)
    s = g.sample(64, seed=3)
    np.save(f"{sys.argv[2]}/{name}-{epoch}.npy", np.stack([s.binary.astype(np.float32), s.preactivation]))
    out[f"{name}-{epoch}"] = g.source
print(json.dumps(out))
"""


@pytest.mark.slow
def test_offline_hub_load_matches_the_local_checkpoint(hub_folder, checkpoints_root, tmp_path):
    """A fresh interpreter with the real environment: the client reads HF_HUB_OFFLINE and HF_HUB_CACHE itself
    (the other tests patch its constants in this process). Slow: a second interpreter imports torch."""
    cache = tmp_path / "hf-cache"
    commit = build_hub_cache(hub_folder, cache, REPO_ID, HUB_REVISION)
    info = scan_cache_dir(cache)  # the client's own cache reader accepts the layout
    assert not info.warnings and [r.repo_id for r in info.repos] == [REPO_ID]
    assert [sorted(r.refs) for r in next(iter(info.repos)).revisions] == [[HUB_REVISION]]
    (tmp_path / "empty").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "BINARYGAN_"))}
    env |= {
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_CACHE": str(cache),
        "BINARYGAN_CHECKPOINTS": str(tmp_path / "empty"),
        "BINARYGAN_HUB_REPO": REPO_ID,
        # this process's thread count: the same kernels and summation order, so the samples match bit for bit
        "OMP_NUM_THREADS": str(torch.get_num_threads()),
    }
    wanted = [("mlp-dbn-wgan-gp", None), ("mlp-sbn-wgan-gp", 5), ("cnn-dbn-wgan-gp", None)]
    run = subprocess.run(
        [sys.executable, "-c", OFFLINE_LOAD, json.dumps(wanted), str(tmp_path)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    sources = json.loads(run.stdout.splitlines()[-1])
    for name, epoch in wanted:
        assert sources[f"{name}-{epoch}"].startswith(str(snapshot(cache) / name)) and snapshot(cache).name == commit
        local = load_generator(
            checkpoints_root / name if epoch is None else checkpoints_root / name / "snapshots" / f"epoch-{epoch:03d}"
        ).sample(64, seed=3)
        binary, pre = np.load(tmp_path / f"{name}-{epoch}.npy")
        np.testing.assert_array_equal(binary, local.binary)
        np.testing.assert_array_equal(pre, local.preactivation)


def test_progress_is_reported_in_the_calling_thread(offline_hub):
    seen = []
    with hub.download_progress(lambda p: seen.append((p, threading.get_ident()))):
        load_generator("mlp-real-wgan-gp")
    load_generator("mlp-real-wgan-gp")  # outside the block: no more reports
    reports = [p for p, _ in seen]
    manifest = json.loads((snapshot(offline_hub) / "manifest.json").read_text())["files"]
    files = sorted(rel for rel in manifest if rel.startswith("mlp-real-wgan-gp/"))
    # all cached already: one report, complete, and no download
    assert reports and all(p.total_files == len(files) for p in reports)
    assert reports[-1].done_files == len(files)
    assert reports[-1].done_bytes == reports[-1].total_bytes == sum(manifest[f]["size"] for f in files)
    assert reports[-1].fraction == 1.0 and "MB" in reports[-1].text
    assert {t for _, t in seen} == {threading.get_ident()}


def partial_cache(hub_folder: Path, cache: Path, keep: str) -> None:
    """The Hub cache after fetching only the manifest and one variant: the other variants' links are absent."""
    build_hub_cache(hub_folder, cache, REPO_ID, HUB_REVISION)
    snap = snapshot(cache)
    for link in [p for p in snap.rglob("*") if p.is_symlink()]:
        rel = link.relative_to(snap).as_posix()
        if rel != "manifest.json" and not rel.startswith(f"{keep}/"):
            link.resolve().unlink()
            link.unlink()


def test_a_variant_needs_only_its_own_files(offline_hub, hub_folder):
    shutil.rmtree(offline_hub)
    partial_cache(hub_folder, offline_hub, "mlp-sbn-wgan-gp")
    seen = []
    with hub.download_progress(seen.append):
        g = load_generator("mlp-sbn-wgan-gp", epoch=5)
    assert g.epoch == 5 and seen[-1].done_files == seen[-1].total_files
    # another variant is not in the cache, and offline nothing can fetch it: said so, by file
    with pytest.raises(
        CheckpointNotFound,
        match=r"mlp-dbn-wgan-gp/.* is not in the Hugging Face cache .* "
        r"HF_HUB_OFFLINE is set",
    ):
        load_generator("mlp-dbn-wgan-gp")


def card_code(card: Path) -> list[str]:
    """The model card's Python blocks: the two-line load, then sampling to a PNG."""
    import re

    return re.findall(r"```python\n(.*?)```", card.read_text(), re.S)


def test_the_cards_usage_runs_offline_from_the_cache(offline_hub, hub_folder, checkpoints_root, tmp_path, monkeypatch):
    """The model card's usage examples, executed as written, against the cache built from `publish --dry-run`:
    they may import only the package's public names (`from explorer import ...`)."""
    load, save = card_code(hub_folder / "README.md")
    assert [ln for ln in load.splitlines() if ln.strip()] == [
        "from explorer import BinaryGAN",
        f'g = BinaryGAN.from_pretrained("{REPO_ID}", variant="mlp-dbn-wgan-gp")',
    ]
    namespace: dict = {}
    exec(load, namespace)
    g = namespace["g"]
    assert type(g).__name__ == "BinaryGAN" and g.name == "mlp-dbn-wgan-gp"
    assert Path(g.source) == snapshot(offline_hub) / "mlp-dbn-wgan-gp"
    local = load_generator(checkpoints_root / "mlp-dbn-wgan-gp").sample(16, seed=2)
    np.testing.assert_array_equal(g.sample(16, seed=2).binary, local.binary)
    assert all(ln.startswith("from explorer import ") for ln in save.splitlines() if ln.startswith(("from", "import")))
    monkeypatch.chdir(tmp_path)
    exec(save, namespace)
    assert (tmp_path / "samples.png").read_bytes().startswith(b"\x89PNG")


def test_from_pretrained_takes_the_hub_conventions(offline_hub, hub_folder, tmp_path, monkeypatch):
    from explorer import BinaryGAN

    monkeypatch.setenv("BINARYGAN_HUB_REPO", "someone/else")  # the environment is the dashboard's, not this path's
    cache = tmp_path / "own-cache"
    build_hub_cache(hub_folder, cache, REPO_ID, HUB_REVISION)
    g = BinaryGAN.from_pretrained(REPO_ID, variant="mlp-sbn-wgan-gp", epoch=5, cache_dir=cache, local_files_only=True)
    assert g.epoch == 5 and str(cache) in g.source
    # a local folder laid out like the repository (the dry run itself) loads the same weights
    same = BinaryGAN.from_pretrained(hub_folder, variant="mlp-sbn-wgan-gp", epoch=5)
    np.testing.assert_array_equal(g.sample(8, seed=1).preactivation, same.sample(8, seed=1).preactivation)
    with pytest.raises(CheckpointNotFound, match="at revision v999"):
        BinaryGAN.from_pretrained(REPO_ID, variant="mlp-dbn-wgan-gp", revision="v999")
    with pytest.raises(CheckpointNotFound, match="not a BinaryGAN variant"):
        BinaryGAN.from_pretrained(REPO_ID, variant="mlp-xyz")
    with pytest.raises(HubConfigError):
        BinaryGAN.from_pretrained("a/../b", variant="mlp-dbn-wgan-gp")


def test_from_pretrained_checks_the_manifest(offline_hub, hub_folder, tmp_path):
    from explorer import BinaryGAN

    blob = (snapshot(offline_hub) / "mlp-dbn-wgan-gp" / "generator.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="generator.safetensors does not match the manifest"):
        BinaryGAN.from_pretrained(REPO_ID, variant="mlp-dbn-wgan-gp")
    local = Path(shutil.copytree(hub_folder, tmp_path / "repo"))
    (local / "mlp-dbn-wgan-gp" / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="config.json does not match the manifest"):
        BinaryGAN.from_pretrained(local, variant="mlp-dbn-wgan-gp")


@pytest.mark.parametrize(
    "rel, change",
    [
        ("mlp-dbn-wgan-gp/generator.safetensors", "flip"),  # same size, other content
        ("mlp-dbn-wgan-gp/generator.safetensors", "truncate"),
        ("mlp-dbn-wgan-gp/config.json", "flip"),
        ("mlp-dbn-wgan-gp/snapshots/epoch-005/generator.safetensors", "flip"),
    ],
)
def test_a_tampered_file_in_the_cache_is_refused(offline_hub, rel, change):
    link = snapshot(offline_hub) / rel
    blob = link.resolve()
    data = bytearray(blob.read_bytes())
    if change == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        del data[-100:]
    blob.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"{rel} does not match the manifest .* not used") as err:
        load_generator("mlp-dbn-wgan-gp")
    assert not isinstance(err.value, CheckpointNotFound)
    assert "Delete the repository's cache folder" in str(err.value)
    load_generator("cnn-dbn-wgan-gp")  # the other variants are untouched and still load


def test_the_final_epoch_without_a_snapshot_is_the_checkpoint_itself(offline_hub):
    g = load_generator("mlp-real-wgan-gp", epoch=20)  # shipped once, as the checkpoint, not as a snapshot
    assert g.epoch == 20 and Path(g.source) == snapshot(offline_hub) / "mlp-real-wgan-gp"
    with pytest.raises(CheckpointNotFound, match="epoch 7"):
        load_generator("mlp-sbn-wgan-gp", epoch=7)


def test_offline_without_a_cached_copy_says_so(offline_hub):
    shutil.rmtree(offline_hub)
    with pytest.raises(
        CheckpointNotFound,
        match=rf"{REPO_ID} at revision {HUB_REVISION}: manifest.json is not "
        r"in the Hugging Face cache .* HF_HUB_OFFLINE is set",
    ):
        load_generator("mlp-dbn-wgan-gp")


def test_an_unreachable_hub_is_asked_once_and_the_cache_still_serves(offline_hub, monkeypatch):
    """Not offline by setting, but the Hub does not answer (a closed port): the client is not left to retry five
    times; the cached files load, and an empty cache says how to load checkpoints on this machine."""
    import socket

    from training import hub

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", closed)
    monkeypatch.setattr(hub, "_reachable", {})
    tries = []
    real = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: tries.append(a) or real(*a, **k))
    assert load_generator("mlp-dbn-wgan-gp").sample(2, seed=0).binary.shape == (2, 28, 28)
    shutil.rmtree(offline_hub)
    monkeypatch.setattr(hub, "_commits", {})
    with pytest.raises(CheckpointNotFound, match=r"could not be reached\. Checkpoints on this machine load from"):
        load_generator("mlp-sbn-wgan-gp")
    assert len(tries) == 1 and hub._reachable == {closed: False}


def test_a_variant_the_repository_lacks_is_not_trained_yet(offline_hub):
    with pytest.raises(CheckpointNotFound, match=rf"mlp-dbn-gan: not trained yet \(not in the .*{REPO_ID}"):
        load_generator("mlp-dbn-gan")


def test_a_pinned_revision_missing_from_the_cache_is_not_found(offline_hub, monkeypatch):
    monkeypatch.setenv("BINARYGAN_HUB_REVISION", "v999")
    with pytest.raises(CheckpointNotFound, match="at revision v999"):
        load_generator("mlp-dbn-wgan-gp")


def test_local_checkpoints_come_first_and_never_reach_the_hub(offline_hub, checkpoints_root, monkeypatch):
    shutil.rmtree(offline_hub)  # the Hub cannot answer: anything asked of it would fail
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(checkpoints_root))
    assert load_generator("mlp-dbn-wgan-gp").source == str(checkpoints_root / "mlp-dbn-wgan-gp")
    with pytest.raises(CheckpointNotFound, match="no generator.safetensors"):
        load_generator("mlp-dbn-gan")  # not trained locally: the local folder is the whole answer
    assert hub.checkpoints_dir() == checkpoints_root


def test_checkpoints_dir_is_the_verified_hub_snapshot_when_nothing_is_local(offline_hub, hub_folder):
    folder = hub.checkpoints_dir()
    assert folder.parent.name == "snapshots"
    assert json.loads((folder / "metrics.json").read_text()) == json.loads((hub_folder / "metrics.json").read_text())
    assert (folder / "classifier" / "classifier.safetensors").read_bytes() == (
        hub_folder / "classifier" / "classifier.safetensors"
    ).read_bytes()


@pytest.mark.parametrize(
    "var, value",
    [("BINARYGAN_HUB_REPO", "no-slash"), ("BINARYGAN_HUB_REPO", "a/../b"), ("BINARYGAN_HUB_REVISION", "../refs")],
)
def test_a_bad_repository_setting_is_a_clear_error(offline_hub, monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(HubConfigError, match=rf"{var}={value!r}|{var} {value!r}"):
        load_generator("mlp-dbn-wgan-gp")


@pytest.fixture
def hub_with_metrics(hub_folder, tmp_path, monkeypatch) -> Path:
    """offline_hub's setting, for a repository whose variant has its metrics.json and history.json, as published."""
    repo = Path(shutil.copytree(hub_folder, tmp_path / "repo"))
    atomic_write_json(repo / "mlp-dbn-wgan-gp" / "metrics.json", {"fd": 1.0})
    atomic_write_json(repo / "mlp-dbn-wgan-gp" / "history.json", [{"epoch": 20}])
    write_manifest(repo)
    cache = tmp_path / "hf-cache"
    build_hub_cache(repo, cache, REPO_ID, HUB_REVISION)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(tmp_path / "empty"))
    monkeypatch.setenv("BINARYGAN_HUB_REPO", REPO_ID)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_evaluate_never_writes_into_the_hub_cache(hub_with_metrics, hub_folder, tiny_mnist, capsys):
    """With no local checkpoints a variant name used to resolve in the cache, and evaluate replaced the cache's
    metrics.json link with a file (history.json with --history): the next load refused the variant as altered."""
    load_generator("mlp-dbn-wgan-gp")  # the dashboard fetched it
    before = {p: (p.is_symlink(), p.read_bytes()) for p in hub_with_metrics.rglob("*") if p.is_file()}
    common = ["--n", "80", "--data-dir", str(tiny_mnist), "--no-verify", "--classifier", str(hub_folder / "classifier")]
    in_cache = snapshot(hub_with_metrics) / "mlp-dbn-wgan-gp"
    assert main(["evaluate", "mlp-dbn-wgan-gp", "--history", *common]) == 1
    assert "mlp-dbn-wgan-gp: not trained yet" in capsys.readouterr().err  # a name means a local checkpoint
    assert main(["evaluate", str(in_cache), *common]) == 1
    assert "never written to" in capsys.readouterr().err
    assert (
        main(["evaluate", str(in_cache), "--out", str(hub_with_metrics.parent / "m.json"), "--history", *common]) == 1
    )
    assert "never written to" in capsys.readouterr().err
    assert {p: (p.is_symlink(), p.read_bytes()) for p in hub_with_metrics.rglob("*") if p.is_file()} == before
    load_generator("mlp-dbn-wgan-gp")  # still verified against the manifest


def test_preload_fills_and_verifies_the_cache_or_stands_aside(offline_hub, checkpoints_root, monkeypatch, capsys):
    """`python -m explorer.hub --preload`, the Space's build step."""
    assert hub.main(["--preload"]) == 0
    assert f"into {snapshot(offline_hub)}" in capsys.readouterr().out
    blob = (snapshot(offline_hub) / "classifier" / "config.json").resolve()
    blob.write_bytes(blob.read_bytes() + b" ")
    assert hub.main(["--preload"]) == 1  # a build that would ship a bad file fails, naming it
    assert "classifier/config.json does not match the manifest" in capsys.readouterr().err
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(checkpoints_root))  # the image carries checkpoints/
    assert hub.main(["--preload"]) == 0 and "nothing to preload" in capsys.readouterr().out


class _FakeHub:
    """A local HTTP server that answers the few Hub endpoints the client's downloads use, for one repository:
    HEAD/GET /{repo}/resolve/{revision}/{path} and GET /api/models/{repo}/tree/{revision}. It counts the requests,
    so a test can see what a fetch asked for, with the real client and no internet."""

    def __init__(self, folder: Path, repo_id: str, revision: str):
        import re
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.commit = hashlib.sha1((folder / "manifest.json").read_bytes()).hexdigest()
        self.requests: list[tuple[str, str]] = []
        files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def answer(self, body: bool) -> None:
                path = self.path.split("?")[0]
                hub.requests.append((self.command, path))
                resolve = re.fullmatch(rf"/{repo_id}/resolve/([^/]+)/(.+)", path)
                tree = re.fullmatch(rf"/api/models/{repo_id}/tree/([^/]+)", path)
                rev = (resolve or tree).group(1) if (resolve or tree) else None
                if rev not in (revision, hub.commit):
                    self.send_response(404)
                    self.send_header("X-Error-Code", "RevisionNotFound" if rev else "RepoNotFound")
                    self.end_headers()
                    return
                if tree:
                    data = json.dumps(
                        [
                            {
                                "type": "file",
                                "oid": hashlib.sha1(p.read_bytes()).hexdigest(),
                                "size": p.stat().st_size,
                                "path": rel,
                            }
                            for rel, p in files.items()
                        ]
                    ).encode()
                    headers = {"Content-Type": "application/json"}
                else:
                    rel = resolve.group(2)
                    if rel not in files:
                        self.send_response(404)
                        self.send_header("X-Error-Code", "EntryNotFound")
                        self.end_headers()
                        return
                    data = files[rel].read_bytes()
                    headers = {"ETag": f'"{hashlib.sha1(data).hexdigest()}"', "X-Repo-Commit": hub.commit}
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_HEAD(self):
                self.answer(body=False)

            def do_GET(self):
                self.answer(body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def downloads(self) -> list[str]:
        """The file paths fetched with GET, in order."""
        return [
            p.split("/resolve/", 1)[1].split("/", 1)[1] for m, p in self.requests if m == "GET" and "/resolve/" in p
        ]


@pytest.fixture
def local_hub(hub_folder, tmp_path, monkeypatch):
    """The real client, online, against _FakeHub serving the `publish --dry-run` folder; an empty cache."""
    fake = _FakeHub(hub_folder, REPO_ID, HUB_REVISION)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(tmp_path / "empty"))
    monkeypatch.setenv("BINARYGAN_HUB_REPO", REPO_ID)
    monkeypatch.delenv("BINARYGAN_HUB_REVISION", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", fake.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", fake.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    yield fake
    fake.server.shutdown()


def test_a_first_fetch_downloads_one_variant_in_one_snapshot_download(local_hub, hub_folder, checkpoints_root):
    from explorer import BinaryGAN

    seen = []
    with hub.download_progress(seen.append):
        g = BinaryGAN.from_pretrained(REPO_ID, variant="mlp-sbn-wgan-gp", epoch=5)
    manifest = json.loads((hub_folder / "manifest.json").read_text())["files"]
    variant = sorted(rel for rel in manifest if rel.startswith("mlp-sbn-wgan-gp/"))
    # the manifest, then only that variant's files, each once; the tree listed once (snapshot_download)
    assert local_hub.downloads()[0] == "manifest.json"
    assert sorted(local_hub.downloads()[1:]) == variant
    assert [p for m, p in local_hub.requests if "/api/models/" in p] == [
        f"/api/models/{REPO_ID}/tree/{local_hub.commit}"
    ]
    # progress: from nothing to everything, by file and by byte, in this thread
    assert seen[0].done_files == 0 and seen[-1].done_files == seen[-1].total_files == len(variant)
    assert seen[-1].done_bytes == seen[-1].total_bytes == sum(manifest[r]["size"] for r in variant)
    assert [p.done_files for p in seen] == sorted(p.done_files for p in seen)
    local = load_generator(checkpoints_root / "mlp-sbn-wgan-gp" / "snapshots" / "epoch-005").sample(8, seed=4)
    np.testing.assert_array_equal(g.sample(8, seed=4).binary, local.binary)
    # a second load: the files are cached and the tag was resolved to its commit, so nothing is asked again
    before = len(local_hub.requests)
    BinaryGAN.from_pretrained(REPO_ID, variant="mlp-sbn-wgan-gp")
    assert local_hub.requests[before:] == []


def test_after_start_up_a_tour_makes_no_hub_request(local_hub, hub_folder, monkeypatch):
    """The Space without checkpoints/: start-up resolves the pinned tag to a commit and fetches the campaign; then
    every page's loads (each variant, its critic, the folder of metrics) come from the cache with no request."""
    from explorer import BinaryGAN, Critic

    monkeypatch.setattr(hub, "_commits", {})  # a fresh process
    hub.checkpoints_dir()  # the Space's start-up (its preload)
    assert local_hub.requests, "start-up fetched nothing"
    started = len(local_hub.requests)
    names = sorted({rel.split("/")[0] for rel in json.loads((hub_folder / "manifest.json").read_text())["files"]})
    variants = [n for n in names if n in REGISTRY]
    for _ in range(2):  # a visitor's tour, then another's
        hub.checkpoints_dir()
        for name in variants:
            g = BinaryGAN.from_pretrained(name)
            hub.locate(name)
            if (Path(g.source) / "critic.safetensors").exists():
                Critic.from_pretrained(name)
    assert len(variants) >= 3 and local_hub.requests[started:] == []


def test_from_pretrained_leaves_torchs_global_generator_alone(offline_hub, hub_folder, tmp_path):
    """A notebook that seeds torch and then loads a model draws the same numbers as one that does not load."""
    from explorer import BinaryGAN

    cache = tmp_path / "own-cache"
    build_hub_cache(hub_folder, cache, REPO_ID, HUB_REVISION)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    BinaryGAN.from_pretrained(REPO_ID, variant="mlp-sbn-wgan-gp", cache_dir=cache, local_files_only=True)
    BinaryGAN.from_pretrained(hub_folder, variant="mlp-dbn-wgan-gp")
    assert torch.equal(torch.random.get_rng_state(), before)
