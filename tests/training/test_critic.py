"""Critic checkpoints: exported from a real (tiny) training run, loaded through the same hostile-file checks as a
generator, shipped by the sweep; and the tensor-by-tensor comparison of a retrained generator with a shipped one."""

from __future__ import annotations

import json
import shutil
import struct

import pytest
import torch
from safetensors.torch import load_file

from explorer.demo import write_critic
from tests.helpers import REPO_ID, make_campaign, rewrite_safetensors
from training.checkpoint import CRITIC_FILE, STATE_FILE, CheckpointError, save_generator
from training.cli import main
from training.config import VariantConfig
from training.critic import (
    CRITIC_FORMAT,
    adopt_critic,
    compare_generators,
    export_critic,
    load_critic_checkpoint,
    save_critic,
)
from training.manifest import write_manifest
from training.networks import Generator, build_discriminator
from training.pretrained import Critic
from training.sweep import ship_run
from training.trainer import TrainOptions, train
from training.variants import get_variant

FAST = dict(warmup_steps=1, n_critic=1, n_critic_warmup=2, long_critic_every=10**6)


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_mnist):
    cfg = get_variant("mlp-sbn-wgan-gp").replace(epochs=1, **FAST)
    out = tmp_path_factory.mktemp("critic") / "mlp-sbn-wgan-gp"
    return train(
        cfg, TrainOptions(out=out, data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128, seed=2)
    )


@pytest.fixture
def exported(run, tmp_path):
    """A copy of the run with its critic exported: a checkpoint folder holding generator, config and critic."""
    folder = tmp_path / "mlp-sbn-wgan-gp"
    shutil.copytree(run, folder)
    export_critic(folder)
    return folder


def test_export_writes_d_of_the_state_in_fp16_with_the_generators_provenance(exported):
    state = {k[2:]: v for k, v in load_file(exported / STATE_FILE).items() if k.startswith("D.")}
    cfg, weights, prov = load_critic_checkpoint(exported)
    side = json.loads((exported / "config.json").read_text())
    assert cfg.to_dict() == side["config"] and prov == side["provenance"] and prov["epoch"] == 1
    assert set(weights) == set(state) and all(w.dtype == torch.float16 for w in weights.values())
    for k, v in state.items():
        assert torch.equal(weights[k], v.half()), k  # fp16 storage, nothing else changed
    raw = (exported / CRITIC_FILE).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert header["__metadata__"]["format"] == CRITIC_FORMAT
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"F16"}
    critic = Critic.from_pretrained(exported)
    y = torch.bernoulli(torch.full((3, 784), 0.2), generator=torch.Generator().manual_seed(0))
    D = build_discriminator(cfg)
    D.load_state_dict(state)
    torch.testing.assert_close(critic.scores(y), D(y).detach(), rtol=1e-2, atol=1e-2)  # fp16 rounding only


def test_export_is_refused_when_the_state_is_another_epoch(exported):
    side = json.loads((exported / "config.json").read_text())
    side["provenance"]["epoch"] = 2  # as if the generator of the next epoch was written, its state not yet
    (exported / "config.json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match=rf"{STATE_FILE}: epoch 1 .*epoch 2.*try again"):
        export_critic(exported)


def test_export_refuses_a_folder_without_training_state(exported):
    (exported / STATE_FILE).unlink()
    with pytest.raises(CheckpointError, match=f"{STATE_FILE}: file not found"):
        export_critic(exported)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda t: t.pop("net.4.bias"), "missing tensor.*net.4.bias"),
        (lambda t: t.__setitem__("backdoor", torch.zeros(2)), "unexpected tensor.*backdoor"),
        (lambda t: t.__setitem__("net.0.weight", torch.zeros(512, 10, dtype=torch.float16)), r"shape \(512, 10\)"),
        (lambda t: t["net.2.weight"].__setitem__((0, 0), float("nan")), "NaN or infinite"),
        (lambda t: t.__setitem__("net.0.bias", torch.zeros(512, dtype=torch.int64)), "dtype 'I64'"),
    ],
)
def test_tampered_tensors_are_refused_naming_the_critic(exported, mutate, message):
    rewrite_safetensors(exported / CRITIC_FILE, mutate)
    with pytest.raises(CheckpointError, match=f"{CRITIC_FILE}.*{message}"):
        Critic.from_pretrained(exported)


def test_tampered_metadata_and_files_are_refused(exported):
    path = exported / CRITIC_FILE
    original = path.read_bytes()
    rewrite_safetensors(path, mutate_meta=lambda m: m.__setitem__("format", "binarygan-generator/1"))
    with pytest.raises(CheckpointError, match="format 'binarygan-generator/1', expected 'binarygan-critic/1'"):
        Critic.from_pretrained(exported)
    rewrite_safetensors(
        path,
        mutate_meta=lambda m: (
            m.__setitem__("format", CRITIC_FORMAT)
            or m.__setitem__("provenance", json.dumps({**json.loads(m["provenance"]), "epoch": 3}))
        ),
    )
    with pytest.raises(CheckpointError, match="critic.safetensors: its provenance differs.*another run or epoch"):
        Critic.from_pretrained(exported)
    path.write_bytes(original[:100])
    with pytest.raises(CheckpointError, match=f"{CRITIC_FILE}: header length"):
        Critic.from_pretrained(exported)
    path.write_bytes(b"\0" * (64 * 2**20 + 1))
    with pytest.raises(CheckpointError, match="larger than any critic"):
        Critic.from_pretrained(exported)
    # a generator file renamed to a critic
    shutil.copyfile(exported / "generator.safetensors", path)
    with pytest.raises(CheckpointError, match="format 'binarygan-generator/1'"):
        Critic.from_pretrained(exported)


def test_a_critic_linking_outside_its_folder_is_refused(exported, tmp_path):
    outside = tmp_path / "elsewhere.safetensors"
    shutil.move(exported / CRITIC_FILE, outside)
    (exported / CRITIC_FILE).symlink_to(outside)
    with pytest.raises(CheckpointError, match="resolves outside"):
        Critic.from_pretrained(exported)


def test_cli_exports_a_critic_and_compares_generators(run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(run, out)
    (out / CRITIC_FILE).unlink(missing_ok=True)
    assert main(["critic", str(out)]) == 0
    assert load_critic_checkpoint(out)[2]["epoch"] == 1
    assert main(["critic", str(out), str(run), "--out", str(tmp_path)]) == 1
    assert "--out and --for take one run folder" in capsys.readouterr().err

    # The same weights under other provenance (another commit, another wall time): bit-identical tensors.
    cfg, _, prov = load_critic_checkpoint(out)
    ship = tmp_path / "checkpoints"
    G = Generator(cfg)
    G.load_state_dict({k: v.float() for k, v in load_file(run / "generator.safetensors").items()}, strict=False)
    save_generator(ship / cfg.name, G, cfg, {**prov, "code_commit": "other", "wall_time_s": 1.0})
    assert (ship / cfg.name / "generator.safetensors").read_bytes() != (run / "generator.safetensors").read_bytes()
    assert compare_generators(run, ship / cfg.name) == []
    write_manifest(ship)
    capsys.readouterr()
    assert main(["compare", str(run), str(ship / cfg.name)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("matches manifest.json") and lines[-1].endswith("generator tensors are bit-identical")

    # One value nudged by one fp16 step: named, counted, and the command fails.
    with torch.no_grad():
        G.body.net[0].bias[3] = torch.nextafter(G.body.net[0].bias[3].half(), torch.tensor(10.0).half()).float()
    save_generator(ship / cfg.name, G, cfg, {**prov, "code_commit": "other", "wall_time_s": 1.0})
    assert compare_generators(run, ship / cfg.name)[0].startswith("body.net.0.bias: 1 of 1024 values differ")
    assert main(["compare", str(run), str(ship / cfg.name)]) == 1
    assert "generator.safetensors: sha256 differs from the manifest" in capsys.readouterr().out
    write_manifest(ship)
    assert main(["compare", str(run), str(ship / cfg.name)]) == 1
    assert "1 of" in capsys.readouterr().out


def test_ship_run_exports_and_ships_the_critic_of_the_final_epoch(run, tmp_path):
    folder = tmp_path / "runs" / "mlp-sbn-wgan-gp"
    shutil.copytree(run, folder)
    (folder / CRITIC_FILE).unlink(missing_ok=True)
    for name in ("metrics.json", "history.json"):  # what the evaluation would have written
        (folder / name).write_text("{}" if name == "metrics.json" else "[]")
    cfg = VariantConfig.from_dict(json.loads((folder / "config.json").read_text())["config"])
    dest = ship_run(folder, tmp_path / "checkpoints", cfg)
    assert (dest / CRITIC_FILE).read_bytes() == (folder / CRITIC_FILE).read_bytes()
    assert Critic.from_pretrained(dest).epoch == 1
    # shipping again keeps the critic's bytes; a critic of another epoch is exported afresh
    assert (ship_run(folder, tmp_path / "checkpoints", cfg) / CRITIC_FILE).read_bytes() == (
        dest / CRITIC_FILE
    ).read_bytes()
    side = json.loads((folder / "config.json").read_text())
    save_critic(folder, build_discriminator(cfg), cfg, {**side["provenance"], "epoch": 7})
    assert Critic.from_pretrained(ship_run(folder, tmp_path / "checkpoints", cfg)).provenance == side["provenance"]
    # a run folder without training state ships without a critic, as before
    (folder / STATE_FILE).unlink()
    (folder / CRITIC_FILE).unlink()
    assert not (ship_run(folder, tmp_path / "checkpoints", cfg) / CRITIC_FILE).exists()


def test_a_batchnorm_critic_keeps_its_running_statistics(tmp_path, tiny_mnist):
    cfg = get_variant("mlp-dbn-gan").replace(epochs=1, **FAST)
    out = train(
        cfg,
        TrainOptions(
            out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128, seed=1
        ),
    )
    export_critic(out, dtype=torch.float32)
    _, weights, _ = load_critic_checkpoint(out)
    state = {k[2:]: v for k, v in load_file(out / STATE_FILE).items() if k.startswith("D.")}
    assert torch.equal(weights["net.1.running_var"], state["net.1.running_var"])
    assert not torch.equal(state["net.1.running_var"], torch.ones(512))  # training moved them
    D = build_discriminator(cfg)
    D.load_state_dict(state)
    y = torch.bernoulli(torch.full((4, 784), 0.2), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        Critic.from_pretrained(out).scores(y), D.eval()(y).detach()
    )  # scored with running statistics


def test_publish_carries_a_critic_and_refuses_a_broken_one(checkpoints_root, tmp_path, capsys):
    campaign = make_campaign(tmp_path / "checkpoints", checkpoints_root)
    write_critic(campaign / "mlp-dbn-wgan-gp")
    write_manifest(campaign)
    out = tmp_path / "repo"
    assert main(["publish", "--repo-id", REPO_ID, "--dry-run", "--out", str(out), "--checkpoints", str(campaign)]) == 0
    rel = f"mlp-dbn-wgan-gp/{CRITIC_FILE}"
    assert (out / rel).read_bytes() == (campaign / rel).read_bytes()
    assert rel in json.loads((out / "manifest.json").read_text())["files"]
    assert not (out / "mlp-sbn-wgan-gp" / CRITIC_FILE).exists()
    (campaign / rel).write_bytes(b"\x10\0\0\0\0\0\0\0{not json at all}")
    write_manifest(campaign)
    assert (
        main(
            [
                "publish",
                "--repo-id",
                REPO_ID,
                "--dry-run",
                "--out",
                str(tmp_path / "repo2"),
                "--checkpoints",
                str(campaign),
            ]
        )
        == 1
    )
    assert f"{rel}: header is not valid JSON" in capsys.readouterr().err


def test_a_bit_identical_retraining_lends_the_shipped_generator_its_critic(run, tmp_path, tiny_mnist):
    shipped = tmp_path / "shipped" / "mlp-sbn-wgan-gp"  # a shipped folder: generator and config, no state
    shipped.mkdir(parents=True)
    for name in ("generator.safetensors", "config.json"):
        shutil.copyfile(run / name, shipped / name)
    cfg = get_variant("mlp-sbn-wgan-gp").replace(epochs=1, **FAST)
    opts = dict(data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128)
    again = train(cfg, TrainOptions(out=tmp_path / "again", seed=2, **opts))
    assert main(["critic", str(again), "--for", str(shipped)]) == 0
    cfg_loaded, state, provenance = load_critic_checkpoint(shipped)
    assert provenance == json.loads((shipped / "config.json").read_text())["provenance"]
    meta = json.loads(
        (shipped / CRITIC_FILE).read_bytes()[8 : 8 + struct.unpack("<Q", (shipped / CRITIC_FILE).read_bytes()[:8])[0]]
    )
    assert (
        json.loads(meta["__metadata__"]["retrained_by"])
        == json.loads((again / "config.json").read_text())["provenance"]
    )
    D = {k[2:]: v for k, v in load_file(run / STATE_FILE).items() if k.startswith("D.")}
    assert all(torch.equal(state[k], D[k].half().float()) for k in state)  # the shipped run's own critic, to fp16

    other = train(cfg, TrainOptions(out=tmp_path / "other", seed=3, **opts))
    (shipped / CRITIC_FILE).unlink()
    with pytest.raises(CheckpointError, match="not bit-identical.*its critic is not the shipped generator's"):
        adopt_critic(other, shipped)
    assert not (shipped / CRITIC_FILE).exists()
