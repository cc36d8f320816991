import json

import numpy as np
import pytest
import torch

from tests.helpers import assert_same_state, train_options, training_state
from training import objectives
from training.checkpoint import STATE_FILE
from training.pretrained import BinaryGAN
from training.trainer import TrainingError, TrainOptions, is_finished, train
from training.variants import get_variant

# The paper's schedule spends 100 critic steps on each of the first 25 generator steps; tests shorten it.
FAST = dict(warmup_steps=1, n_critic=1, n_critic_warmup=2, long_critic_every=10**6)


@pytest.mark.parametrize(
    "name",
    [
        "mlp-sbn-wgan-gp",
        "mlp-dbn-wgan",
        "cnn-real-wgan-gp",
        "mlp-gumbel-wgan-gp",
        "mlp-sbn-gan-code",
        "cnn-dbn-wgan-gp-code",
    ],
)
def test_run_writes_a_loadable_checkpoint_with_provenance(tmp_path, tiny_mnist, name):
    cfg = get_variant(name).replace(epochs=2, **FAST)
    out = train(cfg, train_options(tmp_path / "run", tiny_mnist, seed=3))
    side = json.loads((out / "config.json").read_text())
    prov = side["provenance"]
    assert side["config"] == cfg.to_dict()
    assert prov["seed"] == 3 and prov["epoch"] == 2 and prov["train_images"] == 128
    assert prov["final_slope"] == pytest.approx(cfg.slope_at(2))
    for key in ("code_commit", "data_sha256", "wall_time_s", "device", "versions", "command"):
        assert prov[key] not in (None, "")
    assert (prov["recipe"], prov["batchnorm"], prov["init"]) == (cfg.recipe, cfg.batchnorm, cfg.init)
    # the CPU kernels' instruction set: same-seed runs match bit for bit only on the same kernels
    assert f", {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads)" in prov["device"]
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    steps = (out / "steps.csv").read_text().splitlines()
    assert steps[0] == "step,epoch,d_loss,g_loss" and len(steps) == 1 + 2 * 2
    assert sorted(p.name for p in (out / "snapshots").iterdir()) == ["epoch-001", "epoch-002"]
    g = BinaryGAN.from_pretrained(out)
    s = g.sample(16, seed=5)
    assert s.binary.shape == (16, 28, 28) and set(np.unique(s.binary)) <= {0, 1}
    assert np.array_equal(s.binary, BinaryGAN.from_pretrained(out).sample(16, seed=5).binary)


def test_same_seed_same_run(tmp_path, tiny_mnist):
    cfg = get_variant("mlp-sbn-wgan-gp").replace(epochs=1, **FAST)
    a = train(cfg, train_options(tmp_path / "a", tiny_mnist, seed=1))
    b = train(cfg, train_options(tmp_path / "b", tiny_mnist, seed=1))
    c = train(cfg, train_options(tmp_path / "c", tiny_mnist, seed=2))
    assert_same_state(a, b)
    assert not torch.equal(training_state(a)["G.body.net.0.weight"], training_state(c)["G.body.net.0.weight"])


@pytest.mark.parametrize("name", ["mlp-dbn-wgan-gp", "mlp-sbn-gan"])  # the GAN has BatchNorm in D too
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, tiny_mnist, name):
    cfg = get_variant(name).replace(epochs=3, **FAST)
    whole = train(cfg, train_options(tmp_path / "whole", tiny_mnist))
    part = train(cfg.replace(epochs=1), train_options(tmp_path / "part", tiny_mnist))
    train(cfg, train_options(part, tiny_mnist, resume=True))
    assert_same_state(whole, part)
    assert (whole / "steps.csv").read_text() == (part / "steps.csv").read_text()
    strip = lambda h: [{k: v for k, v in e.items() if k != "wall_time_s"} for e in h]  # noqa: E731
    assert strip(json.loads((whole / "history.json").read_text())) == strip(
        json.loads((part / "history.json").read_text())
    )


def test_resume_refuses_another_seed_and_a_fresh_run_refuses_to_overwrite(tmp_path, tiny_mnist):
    cfg = get_variant("mlp-dbn-wgan-gp").replace(epochs=1, **FAST)
    out = train(cfg, train_options(tmp_path / "run", tiny_mnist))
    with pytest.raises(TrainingError, match="--resume"):
        train(cfg, train_options(out, tiny_mnist))
    with pytest.raises(TrainingError, match="another seed"):
        train(cfg.replace(epochs=2), train_options(out, tiny_mnist, seed=9, resume=True))
    with pytest.raises(TrainingError, match="already finished"):
        train(cfg, train_options(out, tiny_mnist, resume=True))
    with pytest.raises(TrainingError, match="no training state"):
        train(cfg, train_options(tmp_path / "empty", tiny_mnist, resume=True))


def test_nan_loss_stops_training_and_keeps_the_last_goodtraining_state(tmp_path, tiny_mnist, monkeypatch):
    cfg = get_variant("mlp-dbn-wgan-gp").replace(epochs=1, **FAST)
    out = train(cfg, train_options(tmp_path / "run", tiny_mnist))
    before = {p: (out / p).read_bytes() for p in (STATE_FILE, "generator.safetensors", "history.json")}
    monkeypatch.setitem(objectives.G_LOSSES, "wgan-gp", lambda d_fake: d_fake.mean() * float("nan"))
    with pytest.raises(TrainingError, match="NaN or infinite loss|loss became"):
        train(cfg.replace(epochs=2), train_options(out, tiny_mnist, resume=True))
    assert {p: (out / p).read_bytes() for p in before} == before
    assert not (out / "snapshots" / "epoch-002").exists()


def test_too_little_data_for_one_batch_is_refused(tmp_path, tiny_mnist):
    with pytest.raises(TrainingError, match="fewer than one batch"):
        train(
            get_variant("mlp-dbn-wgan-gp"),
            TrainOptions(out=tmp_path / "r", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=10),
        )


def test_output_path_that_is_a_file_is_reported_before_training(tmp_path, tiny_mnist):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TrainingError, match="not writable"):
        train(get_variant("mlp-dbn-wgan-gp"), train_options(blocker / "run", tiny_mnist))


def test_a_run_from_before_the_recipe_fields_is_finished_and_resumes(tmp_path, tiny_mnist):
    # runs trained before `batchnorm` and `init` existed recorded configs without them: they mean the defaults
    cfg = get_variant("mlp-dbn-wgan").replace(epochs=1, **FAST)
    out = train(cfg, train_options(tmp_path / "run", tiny_mnist, seed=0))
    side = json.loads((out / "config.json").read_text())
    for key in ("batchnorm", "init"):
        del side["config"][key]
    (out / "config.json").write_text(json.dumps(side))
    assert is_finished(out, cfg)
    assert not is_finished(out, cfg.replace(batchnorm="affine"))
    train(cfg.replace(epochs=2), train_options(out, tiny_mnist, seed=0, resume=True))
    assert is_finished(out, cfg.replace(epochs=2))


def test_an_aliasing_seed_is_refused_before_anything_trains(tmp_path, tiny_mnist):
    with pytest.raises(TrainingError, match=r"training seed must be an integer in \[0, 2\*\*32 - 1\]"):
        train(get_variant("mlp-dbn-wgan-gp"), train_options(tmp_path / "run", tiny_mnist, seed=2**32))
    assert not (tmp_path / "run").exists()
