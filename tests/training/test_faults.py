"""Faults during training: SIGKILL at random points, a full disk, a write that fails half way."""
import errno
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.training.test_trainer import _opts, assert_same_state
from training import checkpoint
from training.checkpoint import STATE_FILE, atomic_write
from training.cli import main
from training.config import get_variant
from training.trainer import TrainingError, train


def _cmd(data, out, resume=False):
    cmd = [sys.executable, "-m", "training", "train", "mlp-dbn-wgan-gp", "--data-dir", str(data), "--out", str(out),
           "--epochs", "3", "--limit", "64", "--no-verify", "--no-progress", "--seed", "5"]
    return cmd + (["--resume"] if resume else [])


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_is_bit_identical(tmp_path, tiny_mnist):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    whole = tmp_path / "whole"
    t0 = time.monotonic()
    subprocess.run(_cmd(tiny_mnist, whole), check=True, env=env, capture_output=True, timeout=900)
    duration = time.monotonic() - t0

    rng = random.Random(1234)
    out, kills = tmp_path / "killed", []
    for _ in range(3):  # three kills, each at a random moment of a (possibly resumed) run
        resume = (out / STATE_FILE).exists()
        proc = subprocess.Popen(_cmd(tiny_mnist, out, resume), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.3, duration)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append(round(delay, 2))
    final = subprocess.run(_cmd(tiny_mnist, out, (out / STATE_FILE).exists()), env=env, capture_output=True,
                           text=True, timeout=900)
    assert final.returncode == 0 or "already finished" in final.stderr, final.stderr
    print(f"killed at {kills} s of a {duration:.1f} s run")
    assert kills, "no kill landed inside a run"
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
        train(get_variant("mlp-dbn-wgan-gp"), _opts(tmp_path / "run", tiny_mnist))
    assert not (tmp_path / "run" / STATE_FILE).exists()


def test_a_disk_that_fills_during_training_is_an_error_message(tmp_path, tiny_mnist, monkeypatch, capsys):
    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
    code = main(["train", "mlp-dbn-wgan-gp", "--data-dir", str(tiny_mnist), "--out", str(tmp_path / "run"),
                 "--epochs", "1", "--limit", "64", "--no-verify", "--no-progress"])
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err
