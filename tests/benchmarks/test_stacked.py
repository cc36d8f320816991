import pytest
import torch

from benchmarks import stacked
from training import objectives as obj
from training.config import get_variant
from training.networks import Generator, build_discriminator
from training.trainer import train_step

CPU = torch.device("cpu")


@pytest.mark.parametrize("name", ["mlp-sbn-wgan-gp-code", "mlp-dbn-wgan-code", "mlp-dbn-gan-code"])
def test_stacked_step_trains_each_seed_as_train_step_does(name):
    """Noise, penalty, optimiser state and clipping per seed: three iterations of two stacked seeds end where two
    separate runs of train_step end, to float precision (a wrong slice or a shared draw moves a weight by ~lr)."""
    # TensorFlow's RMSProp (the code recipe's WGANs) starts its mean square at 1, so three steps move a weight by
    # ~lr * |g| ~ 1e-8, below what float32 can tell from an untouched init. Stacking is the same for every
    # elementwise optimiser, so this test takes PyTorch's, whose first steps move weights by ~10 * lr.
    cfg, seeds, iters = get_variant(name).replace(rmsprop="torch"), [3, 4], 3
    G, D = stacked.build(cfg, seeds, CPU)
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    torch.manual_seed(9)
    real = (torch.rand(2, iters, 64, 784) < 0.2).float()  # (seed, iteration, B, 784)
    z = torch.randn(2, iters, 64, 128)
    rngs = [torch.Generator().manual_seed(s) for s in seeds]
    losses = [stacked.stacked_step(cfg, G, D, opt_g, opt_d, real[:, k], z[:, k], 1.0, 2, rngs) for k in range(iters)]

    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)
        G1, D1 = Generator(cfg).train(), build_discriminator(cfg).train()
        opt_g1, opt_d1 = obj.make_optimizers(cfg, G1, D1)
        rng = torch.Generator().manual_seed(seed)
        for k in range(iters):
            d_loss, g_loss = train_step(cfg, G1, D1, opt_g1, opt_d1, real[i, k], z[i, k], 1.0, 2, rng)
            torch.testing.assert_close(losses[k][0][i], d_loss, atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(losses[k][1][i], g_loss, atol=1e-6, rtol=1e-5)
        for module, stack in ((G1, G), (D1, D)):
            moved = 0.0
            for pname, p in module.named_parameters():
                torch.testing.assert_close(stack.slices()[pname][i], p, atol=1e-6, rtol=0)
                moved = max(moved, (p - build_like(cfg, module, seed)[pname]).abs().max().item())
            assert moved > 1e-5  # the comparison is between trained weights, not two untouched inits


def build_like(cfg, module, seed):
    torch.manual_seed(seed)
    fresh = Generator(cfg) if isinstance(module, Generator) else build_discriminator(cfg)
    return dict(fresh.named_parameters())


def test_networks_with_batch_statistics_are_refused_by_name():
    with pytest.raises(ValueError, match="batch statistics"):
        stacked.build(get_variant("mlp-dbn-wgan-gp"), [0, 1], CPU)


def test_the_benchmark_reports_time_per_model_for_each_stack_size():
    rows = stacked.run("mlp-dbn-wgan-gp-code", (2,), CPU, min_time=0.01)
    assert [(r["how"], r["models"]) for r in rows] == [("train_step", 1), ("stacked (vmap)", 2)]
    assert rows[1]["ms_per_model"] == pytest.approx(rows[1]["ms_per_iteration"] / 2)
    assert rows[1]["speedup_per_model"] == pytest.approx(rows[0]["ms_per_model"] / rows[1]["ms_per_model"])


def test_score_function_estimators_are_refused_by_name():
    cfg = get_variant("mlp-sbn-wgan-gp-code").replace(estimator="rloo", estimator_draws=2)
    with pytest.raises(ValueError, match="rloo"):
        stacked.build(cfg, [0, 1], CPU)
