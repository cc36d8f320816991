"""The MNIST world: the trainer's own updates, one at a time; torch's global generator untouched; a saved run loads
as a checkpoint; bounded and refusing bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from explorer.playground import mnist
from training.checkpoint import load_checkpoint
from training.data import load_split
from training.pretrained import BinaryGAN
from training.trainer import TrainOptions, train
from training.variants import REGISTRY

VARIANT = "mlp-dbn-wgan"  # the cheapest update: no penalty, no estimator draws


@pytest.fixture(scope="module")
def split(tiny_mnist):
    return load_split("train", tiny_mnist, verify=False)


def test_a_live_epoch_is_the_trainers_epoch_bit_for_bit(split, tiny_mnist, tmp_path):
    limit = 2 * REGISTRY[VARIANT].batch_size  # an epoch of two updates
    run = mnist.MnistRun(VARIANT, 3, split.images[:limit], split.sha256)
    run.advance(2)
    cfg = dataclasses.replace(REGISTRY[VARIANT], epochs=1)
    opts = TrainOptions(
        out=tmp_path / "run", data_dir=str(tiny_mnist), seed=3, limit=limit, verify_data=False, snapshots=False,
        progress=False, weights_dtype=torch.float32,
    )  # fmt: skip
    _, trained, _ = load_checkpoint(train(cfg, opts), tmp_path)
    live = run.model()._net.state_dict()
    assert trained.keys() <= live.keys()
    for key, value in trained.items():
        assert torch.equal(value, live[key]), key  # the same path, the same machine: identical


def test_starting_and_stepping_leave_the_global_generator_alone(split):
    before = torch.random.get_rng_state()
    run = mnist.MnistRun(VARIANT, 0, split.images, split.sha256)
    run.step()
    run.samples()
    assert torch.equal(torch.random.get_rng_state(), before)


def test_one_seed_one_run_and_another_seed_another(split):
    a, b, c = (mnist.MnistRun(VARIANT, s, split.images, split.sha256) for s in (0, 0, 1))
    for r in (a, b, c):
        r.advance(2)
    assert a.g_loss == b.g_loss and a.g_loss != c.g_loss
    assert np.array_equal(a.samples()[0], b.samples()[0])


def test_a_saved_run_loads_as_a_checkpoint_with_its_provenance(split, tmp_path):
    run = mnist.MnistRun("mlp-sbn-wgan-gp", 1, split.images, split.sha256)
    run.advance(3)
    folder = run.save(tmp_path / "saved")
    g = BinaryGAN.from_pretrained(folder)
    assert g.name == "mlp-sbn-wgan-gp" and g.provenance["playground"]["g_updates"] == 3
    assert g.provenance["seed"] == 1 and g.provenance["data_sha256"] == split.sha256
    assert np.array_equal(g.decode(run.view_latents, seed=1).binary, run.samples()[0])
    assert (folder / "critic.safetensors").is_file() and (folder / "history.json").is_file()


def test_the_cap_stops_a_run(split, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_G_UPDATES", 2)
    run = mnist.MnistRun(VARIANT, 0, split.images, split.sha256)
    assert run.advance(10)[0] == 2 and run.at_cap
    with pytest.raises(ValueError, match="cap of 2 generator updates"):
        run.step()


@pytest.mark.parametrize(
    ("variant", "seed", "shape", "match"),
    [
        ("cnn-dbn-wgan-gp", 0, None, "not an MLP variant"),
        ("bogus", 0, None, "not an MLP variant"),
        (VARIANT, -1, None, "seed"),
        (VARIANT, 0, (10, 28, 28), "needs"),
        (VARIANT, 0, (100, 784), "needs"),
    ],
)
def test_bad_input_is_refused_with_its_name(split, variant, seed, shape, match):
    images = split.images if shape is None else np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match=match):
        mnist.MnistRun(variant, seed, images, split.sha256)
