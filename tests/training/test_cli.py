import importlib
import json
import os
import signal
import subprocess
import sys
import tomllib

import numpy as np
import pytest

from tests.helpers import REPO, free_port, wait_until_healthy
from training.cli import main
from training.pretrained import BinaryGAN
from training.variants import CODE_SUFFIX, REGISTRY


def test_list_json_prints_every_variant(capsys):
    assert main(["list", "--json"]) == 0
    variants = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in variants] == list(REGISTRY)
    code = {v["name"] for v in variants if v["name"].endswith(CODE_SUFFIX)}
    paper = {v["name"]: v for v in variants if v["name"] not in code}
    # The reference code ran the paper's experiments (Exp I-IV and Fig. 8): each of those has its code-recipe twin,
    # and the project's own extras and ablations have none. Derived from the registry, so adding a variant to
    # either group keeps this true; a paper experiment left without its twin breaks it.
    ran_by_the_code = {n for n, v in paper.items() if v["experiment"].startswith(("Exp ", "Fig. "))}
    assert ran_by_the_code and ran_by_the_code != set(paper)  # both groups exist
    assert code == {n + CODE_SUFFIX for n in ran_by_the_code}
    for v in variants:
        for key in (
            "name",
            "arch",
            "neuron",
            "estimator",
            "objective",
            "d_batchnorm",
            "slope_annealing_rate",
            "epochs",
            "experiment",
            "batchnorm",
            "init",
            "rmsprop",
        ):
            assert key in v
    by = {v["name"]: v for v in variants}
    assert by["mlp-sbn-wgan-gp"]["batchnorm"] == "batch" and by["mlp-sbn-wgan-gp"]["init"] == "torch"
    for name in code:
        paper = by[name.removesuffix("-code")]
        # the reference code's weight-clipped WGANs ran TensorFlow's RMSProp
        rmsprop = "tf" if paper["objective"] == "wgan" else paper["rmsprop"]
        twin = {**paper, "slope_annealing_rate": 1.0, "batchnorm": "affine", "init": "reference", "rmsprop": rmsprop}
        assert {k: v for k, v in by[name].items() if k not in ("name", "experiment", "description")} == {
            k: v for k, v in twin.items() if k not in ("name", "experiment", "description")
        }
    assert by["mlp-dbn-gan"]["d_batchnorm"] and not by["mlp-dbn-wgan"]["d_batchnorm"]
    assert by["mlp-dbn-gan-nobnd"]["d_batchnorm"] is False and by["mlp-dbn-wgan-bnd"]["d_batchnorm"] is True
    assert by["mlp-dbn-wgan-gp-noanneal"]["slope_annealing_rate"] == 1.0
    assert by["mlp-dbn-wgan-gp"]["slope_annealing_rate"] == 1.1 and by["mlp-dbn-wgan-gp"]["epochs"] == 20
    assert by["mlp-dbn-wgan-gp-st"]["estimator"] == "st" and by["mlp-gumbel-wgan-gp"]["estimator"] == "gumbel-st"
    assert by["mlp-real-wgan-gp"]["neuron"] == "real" and by["cnn-sbn-wgan-gp"]["arch"] == "cnn"
    assert by["mlp-real-wgan-gp"]["slope_annealing_rate"] == 1.0
    assert (
        by["mlp-real-wgan-gp-anneal"]["neuron"] == "real"
        and by["mlp-real-wgan-gp-anneal"]["slope_annealing_rate"] == 1.1
    )
    assert by["mlp-dbn-gan-nobnd"]["experiment"] == "Fig. 8" and by["mlp-gumbel-wgan-gp"]["experiment"] == "extra"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "no-such-variant", "--out", "x"], "unknown variant"),
        (["train", "mlp-dbn-wgan-gp", "--out", "x", "--epochs", "-3"], "outside"),
        (["train", "mlp-dbn-wgan-gp", "--out", "x", "--epochs", "10000000"], "outside"),
        (["train", "mlp-dbn-wgan-gp", "--out", "x", "--limit", "0"], "outside"),
        (["train", "mlp-dbn-wgan-gp", "--out", "x", "--seed", "abc"], "not an integer"),
        # 2**32 would train seed 0's weights on torch's 32-bit CPU generator while recording another seed
        (["train", "mlp-dbn-wgan-gp", "--out", "x", "--seed", "4294967296"], "outside [0, 4294967295]"),
        (["evaluate", "mlp-dbn-wgan-gp", "--seed", "4294967296"], "outside [0, 4294967295]"),
        (["sweep", "mlp-dbn-wgan-gp", "--seeds", "4294967295-4294967296"], "within [0, 4294967295]"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_bad_data_dir_is_an_error_message_not_a_traceback(tmp_path, capsys):
    assert main(["train", "mlp-dbn-wgan-gp", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "train-images-idx3-ubyte.gz: file not found" in err
    assert "--download" in err and "BINARYGAN_DATA" in err  # what to do about it


def test_unavailable_device_is_refused(tmp_path, capsys, tiny_mnist):
    assert (
        main(
            [
                "train",
                "mlp-dbn-wgan-gp",
                "--out",
                str(tmp_path / "r"),
                "--data-dir",
                str(tiny_mnist),
                "--device",
                "quantum",
            ]
        )
        == 1
    )
    assert "--device" in capsys.readouterr().err


@pytest.mark.slow
def test_end_to_end_smoke_run_through_the_cli(tmp_path, tiny_mnist):
    """The real command, the paper's schedule (100 critic steps per early G step), on 128 images."""
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "training",
        "train",
        "mlp-sbn-wgan-gp",
        "--data-dir",
        str(tiny_mnist),
        "--out",
        str(out),
        "--epochs",
        "2",
        "--limit",
        "128",
        "--seed",
        "4",
        "--no-verify",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "checkpoint written" in done.stdout and "mlp-sbn-wgan-gp" in done.stderr  # progress bar
    g = BinaryGAN.from_pretrained(out)
    assert g.provenance["epoch"] == 2 and g.provenance["seed"] == 4
    first = g.sample(64, seed=11)
    assert np.array_equal(first.binary, BinaryGAN.from_pretrained(out).sample(64, seed=11).binary)


def test_the_binarygan_console_script_is_the_same_cli(monkeypatch, capsys):
    """pyproject's [project.scripts] entry resolves to a callable that runs this CLI under the name binarygan."""
    target = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["binarygan"]
    module, attr = target.split(":")
    console = getattr(importlib.import_module(module), attr)
    monkeypatch.setattr(sys, "argv", ["binarygan", "list"])
    assert console() == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("mlp-dbn-wgan-gp ")
    monkeypatch.setattr(sys, "argv", ["binarygan", "--help"])
    with pytest.raises(SystemExit):
        console()
    usage = capsys.readouterr().out
    assert usage.startswith("usage: binarygan ") and "app" in usage and "evaluate" in usage


def test_train_no_snapshots_keeps_only_the_final_generator(tmp_path, tiny_mnist):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "mlp-dbn-wgan-gp",
                "--out",
                str(out),
                "--data-dir",
                str(tiny_mnist),
                "--no-verify",
                "--epochs",
                "1",
                "--limit",
                "64",
                "--no-progress",
                "--no-snapshots",
            ]
        )
        == 0
    )
    assert not (out / "snapshots").exists() and BinaryGAN.from_pretrained(out).epoch == 1
    with pytest.raises(SystemExit):
        main(["train", "mlp-dbn-wgan-gp", "--out", str(out), "--no-eval"])  # the old name said more than it did
    with pytest.raises(SystemExit):
        main(["list", "--server.port=1"])  # only `app` passes unknown options on


@pytest.mark.slow
def test_binarygan_app_serves_the_dashboard(tmp_path):
    port = free_port()
    env = os.environ | {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "training",
            "app",
            "--server.headless=true",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, timeout_s=120)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the group this test started: streamlit and its children
        server.wait(timeout=30)


def test_list_runs_without_loading_torch():
    code = "import sys; from training.cli import main; main(['list']); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("command", ["train", "sweep", "classifier", "evaluate"])
def test_shared_options_mean_the_same_in_every_command(command):
    """Options defined once in a parent parser: --data-dir and --no-verify everywhere, --limit where it trains."""
    from training.parser import build_parser

    argv = {
        "train": ["train", "mlp-dbn-wgan-gp", "--out", "x"],
        "sweep": ["sweep"],
        "classifier": ["classifier"],
        "evaluate": ["evaluate", "x"],
    }[command]
    args = build_parser().parse_args([*argv, "--data-dir", "d", "--no-verify"])
    assert args.data_dir == "d" and args.no_verify is True
    if command != "evaluate":
        assert build_parser().parse_args([*argv, "--limit", "640"]).limit == 640


def test_list_has_a_header_and_columns_that_line_up(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "variant" and len(lines) == len(REGISTRY) + 1
    at = lines[0].index("experiment")  # the second column starts at one offset on every line
    assert all(line[at - 2 : at] == "  " and line[at] != " " for line in lines)
