"""The new estimators inside training: ReinMax as a neuron, RLOO and DisARM as the trainer's generator step."""

import json
import math

import pytest
import torch

from training import estimators as est
from training.config import VariantConfig, get_variant
from training.neurons import binarize
from training.pretrained import BinaryGAN
from training.trainer import TrainOptions, train

FAST = dict(warmup_steps=1, n_critic=1, n_critic_warmup=2, long_critic_every=10**6)
BASELINE = "mlp-sbn-wgan-gp-code"  # the ST baseline: affine BatchNorm, s = 1, reference initialisation


def variant(estimator: str, draws: int = 1) -> VariantConfig:
    return get_variant(BASELINE).replace(name=f"test-{estimator}", estimator=estimator, estimator_draws=draws)


def test_the_reinmax_neuron_passes_back_reinmax_weight_times_slope():
    x = torch.randn(4, 784, requires_grad=True)
    upstream = torch.randn(4, 784)
    rng = torch.Generator().manual_seed(0)
    y = binarize(x, 1.7, "sbn", "reinmax", generator=rng)
    y.backward(upstream)
    p = torch.sigmoid(1.7 * x.detach())
    assert set(y.detach().unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(x.grad, 1.7 * est.reinmax_weight(p, y.detach()) * upstream)


def test_the_reinmax_neuron_agrees_with_the_reinmax_estimator_draw_by_draw():
    """Same draw, same critic: the training path and training/estimators.py give the same estimate."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    f = lambda y: critic(y).squeeze(-1)  # noqa: E731
    theta = torch.randn(3, 784)
    x = theta.clone().requires_grad_(True)
    f(binarize(x, 1.0, "sbn", "reinmax", generator=torch.Generator().manual_seed(4))).sum().backward()
    direct = est.reinmax(theta, f, 1, torch.Generator().manual_seed(4))
    torch.testing.assert_close(x.grad, direct)


@pytest.mark.parametrize(("estimator", "draws"), [("reinmax", 1), ("rloo", 2), ("disarm", 1)])
def test_a_short_run_trains_and_records_its_estimator(tmp_path, tiny_mnist, estimator, draws):
    cfg = variant(estimator, draws).replace(epochs=1, **FAST)
    opts = TrainOptions(
        out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128, seed=1
    )
    out = train(cfg, opts)
    side = json.loads((out / "config.json").read_text())
    assert side["config"]["estimator"] == estimator and side["config"]["estimator_draws"] == draws
    rows = [r.split(",") for r in (out / "steps.csv").read_text().splitlines()[1:]]
    assert rows and all(math.isfinite(float(r[3])) for r in rows)  # the generator's loss, every step
    assert BinaryGAN.from_pretrained(out).sample(4, seed=0).binary.shape == (4, 28, 28)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(neuron="dbn", estimator="reinmax"), "needs neuron 'sbn'"),
        (dict(estimator="rloo", estimator_draws=1), "at least 2 for rloo"),
        (dict(estimator="sigmoid-st", estimator_draws=4), "needs a score-function estimator"),
        (dict(estimator="disarm", estimator_draws=0), "estimator_draws"),
    ],
)
def test_estimator_settings_that_cannot_work_are_refused_by_name(changes, match):
    with pytest.raises(ValueError, match=match):
        VariantConfig.from_dict({**get_variant(BASELINE).to_dict(), **changes})
