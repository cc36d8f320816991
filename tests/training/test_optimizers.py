import numpy as np
import pytest
import torch

from training import objectives as obj
from training.config import VariantConfig
from training.networks import Generator, build_discriminator
from training.optimizers import TFRMSprop
from training.variants import get_variant


def tf_rmsprop_steps(
    p0: np.ndarray, grads: list[np.ndarray], lr: float, decay: float = 0.9, eps: float = 1e-8
) -> np.ndarray:
    """TensorFlow 1's ApplyRMSProp with momentum 0, written out in float64 from its documented rule."""
    p, ms = p0.astype(np.float64), np.ones_like(p0, dtype=np.float64)
    for g in grads:
        ms = decay * ms + (1 - decay) * g * g
        p = p - lr * g / np.sqrt(ms + eps)
    return p


def test_three_steps_follow_tensorflows_rule():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(5, 3)).astype(np.float32)
    grads = [rng.normal(scale=s, size=(5, 3)).astype(np.float32) for s in (1e-3, 1.0, 10.0)]
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = TFRMSprop([p], lr=0.1)
    for g in grads:
        p.grad = torch.from_numpy(g)
        opt.step()
    # float32 against float64: a few rounding steps of eps32 * |p| each
    np.testing.assert_allclose(p.detach().numpy(), tf_rmsprop_steps(p0, grads, 0.1), rtol=1e-5, atol=1e-6)


def test_first_step_is_lr_times_g_where_torchs_is_lr_times_sign_g():
    """The difference that matters under clipping: a tiny gradient moves TensorFlow's weights by ~lr * g."""
    g = torch.full((4,), 1e-4)
    tf_p, torch_p = torch.nn.Parameter(torch.zeros(4)), torch.nn.Parameter(torch.zeros(4))
    tf_p.grad, torch_p.grad = g.clone(), g.clone()
    TFRMSprop([tf_p], lr=1e-2).step()
    torch.optim.RMSprop([torch_p], lr=1e-2, alpha=0.9).step()
    torch.testing.assert_close(tf_p.detach(), torch.full((4,), -1e-6 / (1 - 0.1 + 1e-9 + 1e-8) ** 0.5))
    assert torch_p.detach().abs().min() > 1e-2  # lr * g / sqrt(0.1 g^2) = lr * sqrt(10)


def test_parameters_without_gradients_are_left_alone():
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    a.grad = torch.ones(2)
    TFRMSprop([a, b], lr=0.5).step()
    assert torch.equal(b.detach(), torch.ones(2)) and not torch.equal(a.detach(), torch.ones(2))


def test_a_decay_outside_the_unit_interval_is_refused_by_name():
    with pytest.raises(ValueError, match="decay 1.5"):
        TFRMSprop([torch.nn.Parameter(torch.ones(1))], lr=0.1, decay=1.5)


@pytest.mark.parametrize(
    ("name", "kind", "label"),
    [
        ("mlp-dbn-wgan-code", TFRMSprop, "rmsprop-tf"),
        ("mlp-dbn-wgan", torch.optim.RMSprop, "rmsprop-torch"),
        ("mlp-dbn-wgan-gp-code", torch.optim.Adam, "adam"),
    ],
)
def test_each_variant_gets_the_optimiser_its_config_names(name, kind, label):
    cfg = get_variant(name)
    G, D = Generator(cfg), build_discriminator(cfg)
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    assert type(opt_g) is kind and type(opt_d) is kind and obj.optimizer_name(cfg) == label


def test_an_unknown_rmsprop_is_refused_by_name():
    data = {**get_variant("mlp-dbn-wgan-code").to_dict(), "rmsprop": "keras"}
    with pytest.raises(ValueError, match="rmsprop"):
        VariantConfig.from_dict(data)
