"""The temperature scan: its numbers on a tiny model, and the registry's temperatures are the ones its rule chose on
the shipped baseline."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from explorer.demo import write_critic, write_untrained
from explorer.estimator_lab import temperature
from training.pretrained import BinaryGAN, Critic
from training.variants import CHOSEN_TEMPERATURE, ESTIMATOR_BASELINE, REGISTRY

REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def test_the_scan_scores_every_estimator_at_every_temperature(tmp_path):
    write_untrained(tmp_path / "m", "mlp-sbn-wgan-gp", seed=0)
    write_critic(tmp_path / "m", seed=1)
    result = temperature.scan(
        BinaryGAN.from_pretrained(tmp_path / "m"), Critic.from_pretrained(tmp_path / "m"), (0,), 0, 16, 32
    )
    keys = {(e, t) for e in temperature.SCANNED for t in temperature.TEMPERATURES}
    assert set(result.mse) == keys == set(result.cosine)
    assert all(math.isfinite(v) and v > 0 for v in result.mse.values())
    assert all(-1 <= v <= 1 for v in result.cosine.values())
    for e in temperature.SCANNED:
        assert result.mse[(e, result.chosen(e))] == min(result.mse[(e, t)] for t in temperature.TEMPERATURES)
    table = temperature.markdown(result)
    assert len(table.splitlines()) == 2 + len(temperature.SCANNED)


@pytest.mark.slow
def test_each_variant_trains_at_the_temperature_the_rule_chose_on_the_shipped_baseline():
    folder = REPO_CHECKPOINTS / ESTIMATOR_BASELINE
    result = temperature.scan(BinaryGAN.from_pretrained(folder), Critic.from_pretrained(folder))
    for e in temperature.SCANNED:
        assert CHOSEN_TEMPERATURE[e] == result.chosen(e), e
        assert REGISTRY[f"{ESTIMATOR_BASELINE}-{e}"].estimator_temperature == result.chosen(e)
