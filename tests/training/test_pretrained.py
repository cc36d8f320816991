"""training/pretrained.py: one model API, BinaryGAN and Critic, from_pretrained and save_pretrained."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from explorer.demo import write_critic
from tests.helpers import make_checkpoint
from training.checkpoint import CheckpointNotFound
from training.pretrained import BinaryGAN, Critic, CriticNotFound
from training.variants import UnknownVariantError


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-code-gated", "cnn-dbn-wgan-gp"])
def test_a_saved_generator_loads_back_to_identical_samples(tmp_path, name):
    make_checkpoint(tmp_path / "a", name, seed=3)
    g = BinaryGAN.from_pretrained(tmp_path / "a")
    back = BinaryGAN.from_pretrained(g.save_pretrained(tmp_path / "b"))
    assert back.config == g.config and back.provenance == g.provenance and back.dtype == g.dtype
    a, b = g.sample(40, seed=7), back.sample(40, seed=7)
    np.testing.assert_array_equal(a.binary, b.binary)
    np.testing.assert_array_equal(a.preactivation, b.preactivation)  # the same weights through the same path
    for key, value in g._net.state_dict().items():
        assert torch.equal(value, back._net.state_dict()[key]), key


def test_a_saved_critic_loads_back_to_identical_scores(tmp_path):
    make_checkpoint(tmp_path / "a", "mlp-sbn-wgan-gp", seed=1)
    write_critic(tmp_path / "a", seed=2)
    critic = Critic.from_pretrained(tmp_path / "a")
    back = Critic.from_pretrained(critic.save_pretrained(tmp_path / "critic-only"))
    y = (torch.rand(5, 784, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    assert torch.equal(critic.scores(y), back.scores(y))
    assert back.provenance == critic.provenance and back.name == "mlp-sbn-wgan-gp"


def test_a_folder_without_a_critic_says_so(tmp_path):
    make_checkpoint(tmp_path / "a", "mlp-dbn-wgan-gp")
    with pytest.raises(CriticNotFound, match="no critic shipped"):
        Critic.from_pretrained(tmp_path / "a")


def test_a_variant_name_reads_the_checkpoints_folder(tmp_path, monkeypatch):
    make_checkpoint(tmp_path / "mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp", seed=4)
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", os.fspath(tmp_path))
    g = BinaryGAN.from_pretrained("mlp-dbn-wgan-gp")
    assert g.source == str(tmp_path / "mlp-dbn-wgan-gp")
    # a folder laid out like the Hub repository, with variant=
    same = BinaryGAN.from_pretrained(tmp_path, variant="mlp-dbn-wgan-gp")
    np.testing.assert_array_equal(g.sample(4).binary, same.sample(4).binary)
    with pytest.raises(CheckpointNotFound, match="not trained yet"):
        BinaryGAN.from_pretrained("mlp-sbn-wgan-gp")


def test_what_cannot_be_found_is_named(tmp_path):
    with pytest.raises(UnknownVariantError, match="mlp-xyz"):
        BinaryGAN.from_pretrained("mlp-xyz")
    with pytest.raises(CheckpointNotFound, match="no such checkpoint folder.*variant="):
        BinaryGAN.from_pretrained(tmp_path / "missing" / "run")
    with pytest.raises(CheckpointNotFound, match="not a BinaryGAN variant"):
        BinaryGAN.from_pretrained(tmp_path, variant="mlp-xyz")
