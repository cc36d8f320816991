import json
import subprocess
import sys

import numpy as np
import pytest

from explorer import load_generator
from training.cli import main
from training.config import REGISTRY

PAPER_VARIANTS = {
    "mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp", "mlp-dbn-wgan", "mlp-sbn-wgan", "mlp-dbn-gan",
    "mlp-sbn-gan", "mlp-dbn-wgan-gp-bnd", "mlp-sbn-wgan-gp-bnd", "mlp-dbn-wgan-bnd", "mlp-sbn-wgan-bnd",
    "mlp-dbn-gan-nobnd", "mlp-sbn-gan-nobnd", "cnn-dbn-wgan-gp", "cnn-sbn-wgan-gp", "cnn-real-wgan-gp",
    "mlp-dbn-wgan-gp-noanneal", "mlp-sbn-wgan-gp-noanneal", "mlp-dbn-wgan-gp-st", "mlp-sbn-wgan-gp-st",
    "mlp-gumbel-wgan-gp", "mlp-real-wgan-gp-anneal",
}


def test_list_json_prints_every_variant(capsys):
    assert main(["list", "--json"]) == 0
    variants = json.loads(capsys.readouterr().out)
    code = {v["name"] for v in variants if v["name"].endswith("-code")}
    assert {v["name"] for v in variants} - code == PAPER_VARIANTS
    assert {v["name"] for v in variants} == set(REGISTRY)
    # the reference code's twin of every Exp I-IV and Fig. 8 variant; the extras have none
    assert code == {n + "-code" for n in PAPER_VARIANTS if not n.endswith(("-noanneal", "-st", "-anneal"))
                    and "gumbel" not in n}
    for v in variants:
        for key in ("name", "arch", "neuron", "estimator", "objective", "d_batchnorm", "slope_annealing_rate",
                    "epochs", "experiment", "batchnorm", "init"):
            assert key in v
    by = {v["name"]: v for v in variants}
    assert by["mlp-sbn-wgan-gp"]["batchnorm"] == "batch" and by["mlp-sbn-wgan-gp"]["init"] == "torch"
    for name in code:
        twin = {**by[name.removesuffix("-code")], "slope_annealing_rate": 1.0, "batchnorm": "affine", "init": "reference"}
        assert {k: v for k, v in by[name].items() if k not in ("name", "experiment", "description")} == \
            {k: v for k, v in twin.items() if k not in ("name", "experiment", "description")}
    assert by["mlp-dbn-gan"]["d_batchnorm"] and not by["mlp-dbn-wgan"]["d_batchnorm"]
    assert by["mlp-dbn-gan-nobnd"]["d_batchnorm"] is False and by["mlp-dbn-wgan-bnd"]["d_batchnorm"] is True
    assert by["mlp-dbn-wgan-gp-noanneal"]["slope_annealing_rate"] == 1.0
    assert by["mlp-dbn-wgan-gp"]["slope_annealing_rate"] == 1.1 and by["mlp-dbn-wgan-gp"]["epochs"] == 20
    assert by["mlp-dbn-wgan-gp-st"]["estimator"] == "st" and by["mlp-gumbel-wgan-gp"]["estimator"] == "gumbel-st"
    assert by["mlp-real-wgan-gp"]["neuron"] == "real" and by["cnn-sbn-wgan-gp"]["arch"] == "cnn"
    assert by["mlp-real-wgan-gp"]["slope_annealing_rate"] == 1.0
    assert by["mlp-real-wgan-gp-anneal"]["neuron"] == "real" and by["mlp-real-wgan-gp-anneal"]["slope_annealing_rate"] == 1.1
    assert by["mlp-dbn-gan-nobnd"]["experiment"] == "Fig. 8" and by["mlp-gumbel-wgan-gp"]["experiment"] == "extra"


@pytest.mark.parametrize("argv,message", [
    (["train", "no-such-variant", "--out", "x"], "unknown variant"),
    (["train", "mlp-dbn-wgan-gp", "--out", "x", "--epochs", "-3"], "outside"),
    (["train", "mlp-dbn-wgan-gp", "--out", "x", "--epochs", "10000000"], "outside"),
    (["train", "mlp-dbn-wgan-gp", "--out", "x", "--limit", "0"], "outside"),
    (["train", "mlp-dbn-wgan-gp", "--out", "x", "--seed", "abc"], "not an integer"),
])
def test_bad_arguments_are_refused_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_bad_data_dir_is_an_error_message_not_a_traceback(tmp_path, capsys):
    assert main(["train", "mlp-dbn-wgan-gp", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "train-images-idx3-ubyte.gz: file not found" in err


def test_unavailable_device_is_refused(tmp_path, capsys, tiny_mnist):
    assert main(["train", "mlp-dbn-wgan-gp", "--out", str(tmp_path / "r"), "--data-dir", str(tiny_mnist),
                 "--device", "quantum"]) == 1
    assert "--device" in capsys.readouterr().err


@pytest.mark.slow
def test_end_to_end_smoke_run_through_the_cli(tmp_path, tiny_mnist):
    """The real command, the paper's schedule (100 critic steps per early G step), on 128 images."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "training", "train", "mlp-sbn-wgan-gp", "--data-dir", str(tiny_mnist),
           "--out", str(out), "--epochs", "2", "--limit", "128", "--seed", "4", "--no-verify"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "checkpoint written" in done.stdout and "mlp-sbn-wgan-gp" in done.stderr  # progress bar
    g = load_generator(out)
    assert g.provenance["epoch"] == 2 and g.provenance["seed"] == 4
    first = g.sample(64, seed=11)
    assert np.array_equal(first.binary, load_generator(out).sample(64, seed=11).binary)
