"""The new estimators inside training: ReinMax as a neuron, RLOO and DisARM as the trainer's generator step."""

import json
import math

import pytest
import torch

from training import estimators as est
from training.config import VariantConfig
from training.networks import Generator
from training.neurons import binarize
from training.pretrained import BinaryGAN
from training.trainer import TrainOptions, train
from training.variants import get_variant

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


@pytest.mark.parametrize(
    ("estimator", "temperature"), [("reinmax", None), ("gumbel-rao", 2.0), ("gst", 0.5), ("decoupled-st", 2.0)]
)
def test_the_neuron_agrees_with_its_estimator_draw_by_draw(estimator, temperature):
    """Same draw, same critic: the training path and training/estimators.py give the same estimate."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    f = lambda y: critic(y).squeeze(-1)  # noqa: E731
    theta = 2 * torch.randn(3, 784)
    x = theta.clone().requires_grad_(True)
    kw = {} if temperature is None else {"temperature": temperature}
    f(binarize(x, 1.0, "sbn", estimator, generator=torch.Generator().manual_seed(4), **kw)).sum().backward()
    direct = est.FUNCTIONS[estimator](theta, f, 1, torch.Generator().manual_seed(4), **kw)
    torch.testing.assert_close(x.grad, direct)


def test_the_registry_trains_each_tempered_estimator_at_its_scanned_temperature():
    """Each variant reads its own temperature, and the neuron is handed it (not gumbel-st's field)."""
    for name in ("gumbel-rao", "gst", "decoupled-st"):
        cfg = get_variant(f"{BASELINE}-{name}")
        assert cfg.estimator == name and cfg.estimator_temperature == 2.0 and cfg.gumbel_temperature == 0.5
    x = torch.randn(2, 784, requires_grad=True)
    cfg = get_variant(f"{BASELINE}-decoupled-st")
    Generator(cfg).neuron(x, 1.0, torch.Generator().manual_seed(0)).sum().backward()
    s = torch.sigmoid(x.detach() / 2.0)
    torch.testing.assert_close(x.grad, s * (1 - s) / 2.0)


@pytest.mark.parametrize(
    ("estimator", "draws"), [("reinmax", 1), ("rloo", 2), ("disarm", 1), ("gumbel-rao", 1), ("gst", 1)]
)
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
        (dict(neuron="dbn", estimator="gst"), "needs neuron 'sbn'"),
        (dict(estimator="sigmoid-st", estimator_temperature=2.0), "estimator_temperature"),
        (dict(estimator="gumbel-rao", estimator_temperature=0.0), "estimator_temperature"),
    ],
)
def test_estimator_settings_that_cannot_work_are_refused_by_name(changes, match):
    with pytest.raises(ValueError, match=match):
        VariantConfig.from_dict({**get_variant(BASELINE).to_dict(), **changes})
