"""The sweep: train, evaluate and ship on tiny data; skip finished runs, resume interrupted ones."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file

import training.trainer as trainer
from explorer import files
from tests.helpers import make_checkpoint
from training.cli import main
from training.errors import TrainingError
from training.manifest import check_manifest, write_manifest
from training.seeds import SeedError, ship_seed
from training.sweep import SweepError, SweepOptions, run_variant, ship_run, shipped_snapshots, sweep
from training.variants import get_variant

# The paper's schedule spends 100 critic steps on each of the first 25 generator steps; tests shorten it.
FAST = dict(warmup_steps=1, n_critic=1, n_critic_warmup=2, long_critic_every=10**6)


def _cfg(epochs: int = 2):
    return get_variant("mlp-dbn-wgan-gp").replace(epochs=epochs, **FAST)


def _opts(tmp_path, tiny_mnist, tiny_classifier, **kw) -> SweepOptions:
    return SweepOptions(
        runs=tmp_path / "runs",
        data_dir=str(tiny_mnist),
        limit=128,
        n=64,
        history_n=32,
        classifier=tiny_classifier,
        verify_data=False,
        progress=False,
        **kw,
    )


def test_sweep_trains_evaluates_ships_then_skips(tmp_path, tiny_mnist, tiny_classifier, tiny_reference):
    ship = tmp_path / "checkpoints"
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier, ship=ship)
    logs: list[str] = []
    run = run_variant(_cfg(), opts, tiny_reference, logs.append)
    assert logs[0].endswith(f"training in {run}")
    history = json.loads((run / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2] and all("fd" in h and "d_loss" in h for h in history)

    dest = ship / "mlp-dbn-wgan-gp"
    shipped = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert shipped == [
        "config.json",
        "critic.safetensors",
        "generator.safetensors",
        "history.json",
        "metrics.json",
        "snapshots/epoch-001/config.json",
        "snapshots/epoch-001/generator.safetensors",
        "steps.csv",
    ]  # epoch 2 is the final one: the main folder, shipped once
    assert (dest / "steps.csv").read_bytes() == (run / "steps.csv").read_bytes()
    table = json.loads((ship / "metrics.json").read_text())
    assert table["variants"]["mlp-dbn-wgan-gp"] == json.loads((dest / "metrics.json").read_text())
    assert not [p for p in ship.iterdir() if p.name.startswith(".")]  # no temporary folders left behind
    write_manifest(ship)
    assert check_manifest(ship) == []

    weights = (run / "generator.safetensors").read_bytes()
    logs.clear()
    run_variant(_cfg(), opts, tiny_reference, logs.append)
    assert logs[:2] == [
        f"mlp-dbn-wgan-gp: finished run in {run}, not training",
        "mlp-dbn-wgan-gp: metrics are up to date",
    ]
    assert (run / "generator.safetensors").read_bytes() == weights
    assert check_manifest(ship) == []  # shipping again gives the same bytes


def test_sweep_resumes_an_interrupted_run(tmp_path, tiny_mnist, tiny_classifier, tiny_reference, monkeypatch):
    save_state = trainer.save_state

    def interrupt_after_saving(*args, **kwargs):
        save_state(*args, **kwargs)
        raise KeyboardInterrupt  # as if the job were killed right after epoch 1

    monkeypatch.setattr(trainer, "save_state", interrupt_after_saving)
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier)
    with pytest.raises(KeyboardInterrupt):
        run_variant(_cfg(), opts, tiny_reference)
    monkeypatch.setattr(trainer, "save_state", save_state)
    run = tmp_path / "runs" / "mlp-dbn-wgan-gp"
    assert json.loads((run / "config.json").read_text())["provenance"]["epoch"] == 1

    logs: list[str] = []
    run_variant(_cfg(), opts, tiny_reference, logs.append)
    assert logs[0] == f"mlp-dbn-wgan-gp: resuming in {run}"
    assert json.loads((run / "config.json").read_text())["provenance"]["epoch"] == 2
    assert [h["epoch"] for h in json.loads((run / "history.json").read_text())] == [1, 2]
    assert (run / "metrics.json").is_file()


def test_shipped_snapshots_leave_out_the_final_epoch():
    assert shipped_snapshots(get_variant("mlp-sbn-wgan-gp"), 20) == [1, 2, 5, 10, 15]
    assert shipped_snapshots(get_variant("mlp-sbn-wgan-gp-noanneal"), 5) == [1, 2]
    assert shipped_snapshots(get_variant("cnn-dbn-wgan-gp"), 20) == []


def test_ship_refuses_a_run_without_its_snapshots(tmp_path):
    run = make_checkpoint(tmp_path / "run", "mlp-dbn-wgan-gp", snapshots=(1, 2, 5))
    for name in ("metrics.json", "history.json", "steps.csv"):
        (run / name).write_text("{}")
    with pytest.raises(SweepError, match="epoch-010"):
        ship_run(run, tmp_path / "ship", get_variant("mlp-dbn-wgan-gp"))
    assert not (tmp_path / "ship" / "mlp-dbn-wgan-gp").exists()


def test_sweep_cli_rejects_unknown_variants_and_devices(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "no-such-variant"])
    assert main(["sweep", "mlp-dbn-wgan-gp", "--device", "nonsense"]) == 1
    assert "not a device name" in capsys.readouterr().err


def test_extra_seeds_train_apart_and_ship_their_numbers_only(tmp_path, tiny_mnist, tiny_classifier, tiny_reference):
    ship = tmp_path / "checkpoints"
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier, ship=ship, seeds=(0, 1))
    runs = sweep(["mlp-dbn-wgan-gp"], replace(opts, epochs=1))
    assert runs == [tmp_path / "runs" / "mlp-dbn-wgan-gp", tmp_path / "runs" / "seed-1" / "mlp-dbn-wgan-gp"]
    assert [json.loads((r / "config.json").read_text())["provenance"]["seed"] for r in runs] == [0, 1]
    assert not torch.equal(
        load_file(runs[0] / "generator.safetensors")["body.net.0.weight"],
        load_file(runs[1] / "generator.safetensors")["body.net.0.weight"],
    )

    extra = ship / "mlp-dbn-wgan-gp" / "seeds" / "seed-1"
    assert sorted(p.name for p in extra.iterdir()) == ["history.json", "metrics.json"]  # no weights
    assert (extra / "metrics.json").read_bytes() == (runs[1] / "metrics.json").read_bytes()
    table = json.loads((ship / "metrics.json").read_text())
    assert table["seeds"] == {"mlp-dbn-wgan-gp": {"1": json.loads((runs[1] / "metrics.json").read_text())}}
    assert table["variants"]["mlp-dbn-wgan-gp"] == json.loads((runs[0] / "metrics.json").read_text())
    by_seed = files.seed_metrics(ship)
    assert (
        sorted(by_seed) == [0, 1]
        and by_seed[1]["mlp-dbn-wgan-gp"]["fd"] == table["seeds"]["mlp-dbn-wgan-gp"]["1"]["fd"]
    )


def test_a_run_folder_holding_another_seed_is_not_shipped_as_this_one(
    tmp_path, tiny_mnist, tiny_classifier, tiny_reference
):
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier)
    run = run_variant(_cfg(1), opts, tiny_reference)  # seed 0
    with pytest.raises(SeedError, match="trained with seed 0, not 1"):
        ship_seed(run, tmp_path / "ship", "mlp-dbn-wgan-gp", 1)
    (tmp_path / "runs" / "seed-1").mkdir()
    (tmp_path / "runs" / "mlp-dbn-wgan-gp").rename(tmp_path / "runs" / "seed-1" / "mlp-dbn-wgan-gp")
    with pytest.raises(TrainingError, match="another seed"):  # not silently taken as seed 1's run
        run_variant(_cfg(1), opts, tiny_reference, seed=1)


def test_sweep_cli_parses_seed_lists_and_refuses_bad_ones(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "mlp-dbn-wgan-gp", "--seeds", "0,x"])
    assert "'x' is not a seed" in capsys.readouterr().err
