"""explorer.files: the checkpoints folder's files, read defensively (missing = None, malformed = error)."""

from __future__ import annotations

import json
import math

import pytest

from explorer import demo, files
from training.checkpoint import CRITIC_FILE


def test_metrics_tolerate_wrong_types_field_by_field(tmp_path):
    (tmp_path / "metrics.json").write_text(
        json.dumps(
            {
                "real_data": {"fd": 0, "class_hist": [0.1] * 10},
                "variants": {
                    "mlp-dbn-wgan-gp": {"fd": "oops", "precision": True, "recall": 0.5, "class_hist": [1, 2]},
                    "not-a-variant": {"fd": 1.0},
                },
            }
        )
    )
    real, variants = files.all_metrics(tmp_path)
    assert real["fd"] == 0.0 and real["class_hist"] == [0.1] * 10
    m = variants["mlp-dbn-wgan-gp"]
    assert math.isnan(m["fd"]) and math.isnan(m["precision"]) and m["recall"] == 0.5 and m["class_hist"] is None
    assert set(variants) == {"mlp-dbn-wgan-gp"}


def test_fingerprint_changes_when_a_checkpoint_is_rewritten(evaluated_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(evaluated_root))
    before = files.fingerprint("mlp-dbn-wgan")
    assert before[0].endswith("mlp-dbn-wgan")
    demo.write_untrained(evaluated_root / "mlp-dbn-wgan", "mlp-dbn-wgan", seed=99)
    assert files.fingerprint("mlp-dbn-wgan") != before
    assert files.fingerprint("mlp-dbn-wgan-gp", epoch=5)[0].endswith("epoch-005")


def test_the_critic_beside_a_generator_has_its_own_fingerprint(evaluated_root, monkeypatch):
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(evaluated_root))
    name = demo.DEMO_CRITICS[0]
    before = files.fingerprint(name, file=CRITIC_FILE)
    assert before[0] == files.fingerprint(name)[0] and before[1:] != files.fingerprint(name)[1:]
    demo.write_critic(evaluated_root / name, seed=98)
    assert files.fingerprint(name, file=CRITIC_FILE) != before
    with pytest.raises(OSError):
        files.fingerprint("mlp-dbn-wgan", file=CRITIC_FILE)  # a generator without a critic


def test_the_first_page_reads_no_torch():
    """What the Overview imports (the catalogue, the claims, the Hub resolver) leaves torch unimported."""
    import subprocess
    import sys

    code = (
        "import sys; import explorer.files, explorer.tables, explorer.relations, explorer.claims, training.hub; "
        "print('torch' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr
