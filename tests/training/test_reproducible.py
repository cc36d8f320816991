"""`--reproducible`: parsed by train and sweep, applied before torch loads, recorded in the provenance, and the same
weights whichever instruction sets MKL and oneDNN are allowed (an emulated other processor)."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO, needs_avx2
from training import reproducible
from training.cli import build_parser, main
from training.critic import compare_generators, generator_digest
from training.sweep import options_from_args
from training.trainer import TrainingError, TrainOptions, train
from training.variants import get_variant


def tiny_run(out, data, *extra) -> list[str]:
    return [
        "train",
        "mlp-sbn-wgan-gp",
        "--out",
        str(out),
        "--data-dir",
        str(data),
        "--no-verify",
        "--epochs",
        "1",
        "--limit",
        "64",
        "--no-progress",
        "--no-snapshots",
        "--fp32",
        *extra,
    ]


def provenance(out) -> dict:
    return json.loads((out / "config.json").read_text())["provenance"]


def test_train_and_sweep_parse_the_flag():
    parser = build_parser()
    assert parser.parse_args(["train", "mlp-sbn-wgan-gp", "--out", "x", "--reproducible"]).reproducible
    assert not parser.parse_args(["train", "mlp-sbn-wgan-gp", "--out", "x"]).reproducible
    assert options_from_args(parser.parse_args(["sweep", "mlp-sbn-wgan-gp", "--reproducible"])).reproducible
    assert not options_from_args(parser.parse_args(["sweep", "mlp-sbn-wgan-gp"])).reproducible


def test_apply_env_says_whether_torch_can_still_honour_it(monkeypatch):
    for key in reproducible.ENV:
        monkeypatch.delenv(key, raising=False)
    assert "torch" in sys.modules  # this test process loaded it long ago, under other settings
    assert reproducible.apply_env() is False and not reproducible.env_in_effect()  # nothing leaks into this process
    for key, value in reproducible.ENV.items():
        monkeypatch.setenv(key, value)  # as a parent process would have set them before torch loaded
    assert reproducible.apply_env() is True


def test_the_mode_refuses_a_process_whose_torch_loaded_without_it(monkeypatch):
    monkeypatch.delenv("MKL_CBWR", raising=False)
    with pytest.raises(reproducible.ReproducibleModeError, match="before torch loaded"):
        reproducible.apply_runtime()


def test_the_mode_refuses_cuda(tmp_path, tiny_mnist):
    opts = TrainOptions(
        out=tmp_path / "r",
        data_dir=str(tiny_mnist),
        verify_data=False,
        limit=64,
        device="cuda",
        reproducible=True,
        progress=False,
    )
    with pytest.raises(TrainingError, match="CPU mode"):
        train(get_variant("mlp-sbn-wgan-gp").replace(epochs=1), opts)


def test_without_the_flag_the_provenance_says_so(tmp_path, tiny_mnist):
    out = tmp_path / "r"
    assert main(tiny_run(out, tiny_mnist)) == 0
    assert provenance(out)["reproducible"] is False


@needs_avx2
@pytest.mark.slow
def test_in_process_call_reruns_itself_with_the_mode(tmp_path, tiny_mnist, capfd):
    """torch is loaded in this process, so main() runs the command again in a child whose environment holds the
    mode; the child prints the digest of the weights it wrote."""
    out = tmp_path / "r"
    assert main(tiny_run(out, tiny_mnist, "--reproducible")) == 0
    printed = re.search(r"generator tensors sha256 ([0-9a-f]{64})", capfd.readouterr().out)
    assert printed and printed.group(1) == generator_digest(out)
    prov = provenance(out)
    assert prov["reproducible"]["env"] == reproducible.ENV and prov["reproducible"]["onednn"] is False
    assert prov["device"].endswith("AVX2, 1 threads)")
    # resuming must keep the mode: a run that switched half-way matches neither mode's weights
    assert main(tiny_run(out, tiny_mnist, "--resume", "--epochs", "2")) == 1
    assert "--reproducible" in capfd.readouterr().err


@needs_avx2
@pytest.mark.slow
def test_the_weights_do_not_depend_on_the_instruction_sets(tmp_path, tiny_mnist):
    """A processor without AVX-512 and with other thread settings, emulated by capping MKL and oneDNN and asking
    torch for other kernels: without the mode the weights differ from this machine's own (docs/reproducible.md), with
    it they are bit-identical; and the mode's variables are set by the command itself, before torch loads."""
    other = {
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "ATEN_CPU_CAPABILITY": "default",
        "OMP_NUM_THREADS": "2",
        "MKL_CBWR": "AUTO",
    }
    runs = []
    for i, extra in enumerate(({}, other)):
        out = tmp_path / f"run{i}"
        env = {k: v for k, v in os.environ.items() if k not in reproducible.ENV} | extra
        done = subprocess.run(
            [sys.executable, "-m", "training", *tiny_run(out, tiny_mnist, "--reproducible")],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert provenance(out)["reproducible"]["env"] == reproducible.ENV
        runs.append(out)
    assert compare_generators(*runs) == []
