"""Faults during training: SIGKILL at chosen steps and mid-write, a full disk, a write that fails half way."""

import errno
import json
import os
import signal
import subprocess
import sys

import pytest
from safetensors import safe_open

from tests.helpers import assert_same_state, train_options
from training import checkpoint
from training.checkpoint import GENERATOR_FILE, STATE_FILE, atomic_write
from training.cli import main
from training.trainer import TrainingError, train
from training.variants import get_variant

# The child runs the real CLI; before it does, it wraps one call so that the process SIGKILLs itself on the n-th
# call: a training step ("step") or the rename that publishes a file ("publish", a file name). The kill lands at
# a chosen point of the run, whatever the machine's speed, and the run cannot finish before it.
KILL_AT = """
import os, signal, sys
from training import cli, trainer

kind, what, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
calls = 0

def hit():
    global calls
    calls += 1
    if calls == nth:
        os.kill(os.getpid(), signal.SIGKILL)

if kind == "step":
    real_step = trainer.train_step
    def train_step(*args, **kwargs):
        hit()
        return real_step(*args, **kwargs)
    trainer.train_step = train_step
else:  # after the temporary file is written and fsynced, before os.replace publishes it
    real_replace = os.replace
    def replace(src, dst, *args, **kwargs):
        if os.path.basename(dst) == what:
            hit()
        return real_replace(src, dst, *args, **kwargs)
    os.replace = replace
sys.exit(cli.main(sys.argv[4:]))
"""
STEPS_PER_EPOCH = 3  # --limit 192 images in batches of 64


def _saved_epoch(out) -> int:
    """The last epoch the training state on disk covers: where --resume continues from."""
    with safe_open(out / STATE_FILE, "pt") as f:
        return json.loads(f.metadata()["state"])["progress"]["epoch"]


def _args(data, out, resume=False):
    args = [
        "train",
        "mlp-dbn-wgan-gp",
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--epochs",
        "3",
        "--limit",
        str(64 * STEPS_PER_EPOCH),
        "--no-verify",
        "--no-progress",
        "--seed",
        "5",
    ]
    return args + (["--resume"] if resume else [])


@pytest.mark.slow
def test_sigkill_at_chosen_points_then_resume_is_bit_identical(tmp_path, tiny_mnist):
    # One thread in every run: the killed and the whole run must take the same arithmetic path to match bit for bit.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    whole = tmp_path / "whole"
    subprocess.run(
        [sys.executable, "-m", "training", *_args(tiny_mnist, whole)],
        check=True,
        env=env,
        capture_output=True,
        timeout=900,
    )

    out = tmp_path / "killed"
    # (kind, what, n-th call of this process, the epoch the saved state holds afterwards)
    kills = [
        ("step", "", STEPS_PER_EPOCH + 2, 1),  # mid-epoch 2, after epoch 1's state was saved
        ("publish", STATE_FILE, 1, 1),  # resumed at epoch 2: killed while saving its state
        ("publish", GENERATOR_FILE, 3, 2),
    ]  # epoch 2 again, then killed mid-epoch 3's snapshot
    for kind, what, nth, saved_epoch in kills:
        resume = (out / STATE_FILE).exists()
        run = subprocess.run(
            [sys.executable, "-c", KILL_AT, kind, what, str(nth), *_args(tiny_mnist, out, resume)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == -signal.SIGKILL, (kind, what, nth, run.returncode, run.stderr)
        state_epoch = _saved_epoch(out)
        assert state_epoch == saved_epoch, (kind, what, state_epoch)
        if kind == "publish":  # killed between the write and the rename: the temporary file is left behind
            assert list(out.rglob(f".{what}.*.tmp")), list(out.rglob("*"))
    final = subprocess.run(
        [sys.executable, "-m", "training", *_args(tiny_mnist, out, resume=True)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert final.returncode == 0, final.stderr
    assert_same_state(whole, out)
    assert (whole / "steps.csv").read_text() == (out / "steps.csv").read_text()
    assert not list(out.rglob("*.tmp"))  # half-written files of killed runs are cleared on resume


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "state.bin"
    target.write_bytes(b"last good state")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, b"x" * 1000)
    assert target.read_bytes() == b"last good state"
    assert [p.name for p in tmp_path.iterdir()] == ["state.bin"]  # the temporary file is gone


def test_a_nearly_full_disk_is_reported_before_training(tmp_path, tiny_mnist, monkeypatch):
    usage = type("usage", (), {"free": 5 * 2**20, "total": 2**30, "used": 2**30})
    monkeypatch.setattr("training.trainer.shutil.disk_usage", lambda path: usage)
    with pytest.raises(TrainingError, match="only 5 MiB free"):
        train(get_variant("mlp-dbn-wgan-gp"), train_options(tmp_path / "run", tiny_mnist))
    assert not (tmp_path / "run" / STATE_FILE).exists()


def test_a_disk_that_fills_during_training_is_an_error_message(tmp_path, tiny_mnist, monkeypatch, capsys):
    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
    code = main(
        [
            "train",
            "mlp-dbn-wgan-gp",
            "--data-dir",
            str(tiny_mnist),
            "--out",
            str(tmp_path / "run"),
            "--epochs",
            "1",
            "--limit",
            "64",
            "--no-verify",
            "--no-progress",
        ]
    )
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err
