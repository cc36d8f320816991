import json
import struct

import numpy as np
import pytest
import torch

from tests.helpers import make_checkpoint, rewrite_safetensors
from training.checkpoint import CheckpointError, load_checkpoint
from training.pretrained import BinaryGAN


@pytest.fixture
def ckpt(tmp_path):
    return make_checkpoint(tmp_path / "mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp")


def _rewrite(folder, mutate_tensors=None, mutate_meta=None):
    rewrite_safetensors(folder / "generator.safetensors", mutate_tensors, mutate_meta)


def test_roundtrip_gives_the_stored_weights_and_the_config(ckpt):
    cfg, state, prov = load_checkpoint(ckpt)
    assert cfg.name == "mlp-dbn-wgan-gp" and prov["epoch"] == 20
    assert all(t.dtype == torch.float16 for t in state.values())  # as shipped; the model computes in fp32
    assert "body.net.0.weight" in state and not any(k.endswith("num_batches_tracked") for k in state)
    g = BinaryGAN.from_pretrained(ckpt)
    assert g.dtype == torch.float16 and all(p.dtype == torch.float32 for p in g._net.parameters())


@pytest.mark.parametrize("cut", [0, 7, 8, 100, 5000, -1000, -1])
def test_truncation_is_refused(ckpt, cut):
    path = ckpt / "generator.safetensors"
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(CheckpointError, match="generator.safetensors"):
        BinaryGAN.from_pretrained(ckpt)


def test_oversized_header_length_is_refused(ckpt):
    path = ckpt / "generator.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + path.read_bytes()[8:])
    with pytest.raises(CheckpointError, match="header length"):
        BinaryGAN.from_pretrained(ckpt)


def test_flipped_header_bytes_are_refused(ckpt):
    path = ckpt / "generator.safetensors"
    blob = bytearray(path.read_bytes())
    blob[9] ^= 0xFF  # inside the JSON header
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="generator.safetensors"):
        BinaryGAN.from_pretrained(ckpt)


def test_missing_tensor_is_refused(ckpt):
    _rewrite(ckpt, lambda t: t.pop("body.net.4.bias"))
    with pytest.raises(CheckpointError, match="missing tensor.*body.net.4.bias"):
        BinaryGAN.from_pretrained(ckpt)


def test_extra_tensor_is_refused(ckpt):
    _rewrite(ckpt, lambda t: t.__setitem__("backdoor", torch.zeros(3)))
    with pytest.raises(CheckpointError, match="unexpected tensor.*backdoor"):
        BinaryGAN.from_pretrained(ckpt)


def test_wrong_shape_is_refused(ckpt):
    _rewrite(ckpt, lambda t: t.__setitem__("body.net.0.weight", torch.zeros(1024, 64, dtype=torch.float16)))
    with pytest.raises(CheckpointError, match=r"body.net.0.weight.*shape \(1024, 64\).*\(1024, 128\)"):
        BinaryGAN.from_pretrained(ckpt)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(ckpt, bad):
    def poison(t):
        t["body.net.3.weight"][5, 5] = bad

    _rewrite(ckpt, poison)
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        BinaryGAN.from_pretrained(ckpt)


def test_negative_batchnorm_variance_is_refused(ckpt):
    # found by the fuzz test below: one flipped sign bit made every sample NaN
    def poison(t):
        t["body.net.1.running_var"][7] = -1e-3

    _rewrite(ckpt, poison)
    with pytest.raises(CheckpointError, match="body.net.1.running_var.*negative variance"):
        BinaryGAN.from_pretrained(ckpt)


def test_integer_tensor_dtype_is_refused(ckpt):
    _rewrite(ckpt, lambda t: t.__setitem__("body.net.0.bias", torch.zeros(1024, dtype=torch.int64)))
    with pytest.raises(CheckpointError, match="dtype 'I64'"):
        BinaryGAN.from_pretrained(ckpt)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c.__setitem__("epochs", "20"), "'epochs' has type str"),
        (lambda c: c.__setitem__("d_batchnorm", 1), "'d_batchnorm' has type int"),
        (lambda c: c.__setitem__("slope_annealing_rate", 1e9), "outside"),
        (lambda c: c.__setitem__("__class__", "os.system"), "unknown config field"),
        (lambda c: c.pop("arch"), "missing config field"),
        (lambda c: c.__setitem__("neuron", "ternary"), "not one of"),
        (lambda c: c.__setitem__("name", "../../etc"), "not a safe variant name"),
    ],
)
def test_config_json_with_wrong_types_or_unknown_fields_is_refused(ckpt, change, message):
    side = json.loads((ckpt / "config.json").read_text())
    change(side["config"])
    (ckpt / "config.json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match=message):
        BinaryGAN.from_pretrained(ckpt)


def test_the_config_is_stored_once_in_config_json(ckpt):
    """A saved weights file carries its format and provenance only; a copy of the config in an older file's
    metadata is never read, even a hostile one, and config.json's own config is what is validated."""
    from safetensors import safe_open

    with safe_open(str(ckpt / "generator.safetensors"), "pt") as f:
        assert set(f.metadata()) == {"format", "provenance"}
    _rewrite(ckpt, mutate_meta=lambda m: m.__setitem__("config", json.dumps({"__class__": "os.system"})))
    assert BinaryGAN.from_pretrained(ckpt).name == "mlp-dbn-wgan-gp"
    side = json.loads((ckpt / "config.json").read_text())
    side["config"]["latent_dim"] = 64
    (ckpt / "config.json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="config.json.*latent_dim"):
        BinaryGAN.from_pretrained(ckpt)


def test_a_config_json_of_another_run_is_refused(ckpt):
    side = json.loads((ckpt / "config.json").read_text())
    side["provenance"]["seed"] = 5
    (ckpt / "config.json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="different runs or epochs"):
        BinaryGAN.from_pretrained(ckpt)


def test_config_json_that_is_not_json_is_refused(ckpt):
    (ckpt / "config.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(CheckpointError, match="config.json: not valid JSON"):
        BinaryGAN.from_pretrained(ckpt)


def test_a_directory_in_place_of_the_weights_is_refused(ckpt):
    (ckpt / "generator.safetensors").unlink()
    (ckpt / "generator.safetensors").mkdir()
    with pytest.raises(CheckpointError, match="not a regular file"):
        BinaryGAN.from_pretrained(ckpt)


def test_a_symlink_leading_outside_the_checkpoint_is_refused(ckpt, tmp_path):
    outside = make_checkpoint(tmp_path / "elsewhere", "mlp-dbn-wgan-gp", seed=1)
    (ckpt / "generator.safetensors").unlink()
    (ckpt / "generator.safetensors").symlink_to(outside / "generator.safetensors")
    with pytest.raises(CheckpointError, match="outside the checkpoint folder"):
        BinaryGAN.from_pretrained(ckpt)


def test_a_file_path_instead_of_a_folder_is_refused(ckpt):
    with pytest.raises(CheckpointError, match="not a checkpoint folder"):
        BinaryGAN.from_pretrained(ckpt / "config.json")


def test_provenance_slope_is_validated(ckpt):
    def meta(m):
        m["provenance"] = json.dumps({"final_slope": -1.0})

    _rewrite(ckpt, mutate_meta=meta)
    side = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(json.dumps({**side, "provenance": {"final_slope": -1.0}}))
    with pytest.raises(CheckpointError, match="final_slope"):
        BinaryGAN.from_pretrained(ckpt)


MUTATIONS = (
    "truncate",
    "flip bytes",
    "flip header bytes",
    "lie about the header length",
    "insert or delete",
    "trailing garbage",
)


def _mutate(blob: bytes, rng: np.random.Generator, kind: int) -> bytes:
    b = bytearray(blob)
    if kind == 0:  # truncate anywhere
        return bytes(b[: rng.integers(len(b))])
    if kind == 1:  # flip a few bytes anywhere
        for i in rng.integers(0, len(b), rng.integers(1, 8)):
            b[i] ^= int(rng.integers(1, 256))
        return bytes(b)
    (n,) = struct.unpack("<Q", blob[:8])
    if kind == 2:  # flip bytes inside the header
        for i in rng.integers(8, 8 + n, rng.integers(1, 4)):
            b[i] ^= int(rng.integers(1, 256))
        return bytes(b)
    if kind == 3:  # lie about the header length
        return struct.pack("<Q", int(rng.integers(0, 2**63))) + bytes(b[8:])
    if kind == 4:  # insert or delete a run of bytes
        i = int(rng.integers(len(b)))
        return (
            bytes(b[:i] + b[i + int(rng.integers(1, 64)) :])
            if rng.random() < 0.5
            else bytes(b[:i] + rng.bytes(16) + b[i:])
        )
    return bytes(b) + rng.bytes(int(rng.integers(1, 100)))  # trailing garbage


@pytest.mark.slow
def test_fuzz_1000_mutated_checkpoints_load_or_raise_the_documented_error(tmp_path):
    # The CNN generator keeps each case fast; its file has the same structure as every other checkpoint.
    src = make_checkpoint(tmp_path / "src", "cnn-dbn-wgan-gp")
    blob = (src / "generator.safetensors").read_bytes()
    side = (src / "config.json").read_bytes()
    rng = np.random.default_rng(0)
    outcomes: dict[tuple[str, str], dict[str, int]] = {}
    case = tmp_path / "case"
    case.mkdir()
    for i in range(1000):
        if i % 10 == 9:  # every tenth case mutates config.json instead (no safetensors header to aim at)
            target, kind = "config.json", int(rng.choice([0, 1, 4, 5]))
            (case / "generator.safetensors").write_bytes(blob)
            (case / "config.json").write_bytes(_mutate(side, rng, kind))
        else:
            target, kind = "generator.safetensors", int(rng.integers(6))
            (case / "generator.safetensors").write_bytes(_mutate(blob, rng, kind))
            (case / "config.json").write_bytes(side)
        tally = outcomes.setdefault((target, MUTATIONS[kind]), {"loaded": 0, "refused": 0})
        try:
            g = BinaryGAN.from_pretrained(case)
        except CheckpointError:  # any other exception fails the test: it is not the documented error
            tally["refused"] += 1
            continue
        s = g.sample(2, seed=0)
        assert s.binary.shape == (2, 28, 28) and np.isfinite(s.preactivation).all()
        tally["loaded"] += 1
    print(f"fuzz outcomes: {outcomes}")
    assert len(outcomes) == 6 + 4  # every mutation of each file was drawn
    # A weights file whose size disagrees with its header is refused every time: the reader checks sizes and
    # offsets, never guesses.
    for kind in ("truncate", "lie about the header length", "insert or delete", "trailing garbage"):
        assert outcomes["generator.safetensors", kind]["loaded"] == 0, kind
    # Flipped weight bytes can leave a well-formed file: the loaded branch runs too, and must sample finite images.
    assert outcomes["generator.safetensors", "flip bytes"]["loaded"] > 0
