import pytest
import torch

from tests.helpers import one_step_weights
from training import estimators as est
from training import objectives as obj
from training.config import VariantConfig
from training.networks import Generator, build_discriminator
from training.step import score_function_step, train_step
from training.variants import get_variant


def score_function_variant(estimator: str, draws: int) -> VariantConfig:
    # the ST baseline (affine BatchNorm, s = 1, reference initialisation) with a score-function estimator
    return get_variant("mlp-sbn-wgan-gp-code").replace(
        name=f"test-{estimator}", estimator=estimator, estimator_draws=draws
    )


def _step(name: str, n_critic: int = 3):
    cfg = get_variant(name)
    torch.manual_seed(0)
    G, D = Generator(cfg), build_discriminator(cfg)
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    rng = torch.Generator().manual_seed(0)
    real = (torch.rand(64, 784) < 0.2).float()
    losses = train_step(cfg, G, D, opt_g, opt_d, real, torch.randn(64, 128), 1.0, n_critic, rng)
    return cfg, G, D, opt_g, opt_d, losses


@pytest.mark.parametrize("name", ["mlp-dbn-wgan", "mlp-sbn-wgan-bnd"])
def test_weight_clipping_holds_after_a_wgan_step(name):
    cfg, _, D, _, opt_d, _ = _step(name)
    assert isinstance(opt_d, torch.optim.RMSprop) and opt_d.defaults["alpha"] == 0.9
    assert max(p.abs().max().item() for p in D.parameters()) <= cfg.clip_value


def test_wgan_gp_uses_adam_with_the_papers_hyperparameters_and_no_clipping():
    _, _, D, opt_g, opt_d, (d_loss, g_loss) = _step("mlp-dbn-wgan-gp")
    for opt in (opt_g, opt_d):
        assert isinstance(opt, torch.optim.Adam)
        assert opt.defaults["lr"] == 1e-4 and opt.defaults["betas"] == (0.5, 0.9)
    assert max(p.abs().max().item() for p in D.parameters()) > 0.01
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)


def test_a_step_updates_both_networks():
    cfg = get_variant("mlp-sbn-gan")
    torch.manual_seed(0)
    G, D = Generator(cfg), build_discriminator(cfg)
    g0 = [p.clone() for p in G.parameters()]
    d0 = [p.clone() for p in D.parameters()]
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    train_step(
        cfg,
        G,
        D,
        opt_g,
        opt_d,
        torch.rand(64, 784).round(),
        torch.randn(64, 128),
        1.0,
        2,
        torch.Generator().manual_seed(0),
    )
    assert all(not torch.equal(a, b) for a, b in zip(g0, G.parameters(), strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(d0, D.parameters(), strict=True))


@pytest.mark.parametrize("estimator", ["rloo", "disarm"])
def test_a_constant_critic_gives_the_generator_no_gradient(estimator):
    """Both estimators centre the loss (a leave-one-out baseline, an antithetic difference): nothing to learn from a
    critic that scores every image alike."""
    cfg = score_function_variant(estimator, 2)
    torch.manual_seed(0)
    G = Generator(cfg).train()
    D = lambda y: torch.zeros(len(y)) + 3.0  # noqa: E731
    score_function_step(cfg, G, D, torch.randn(8, 128), 1.0, torch.Generator().manual_seed(0))
    assert all(p.grad is not None and torch.all(p.grad == 0) for p in G.parameters())


@pytest.mark.parametrize(("estimator", "draws", "evals"), [("rloo", 3, 3), ("disarm", 2, 4)])
def test_the_generator_step_evaluates_the_critic_the_stated_number_of_times_per_latent(estimator, draws, evals):
    cfg = score_function_variant(estimator, draws)
    torch.manual_seed(0)
    G, D = Generator(cfg).train(), build_discriminator(cfg)
    seen = []

    def counting_critic(y):
        seen.append(len(y))
        assert not y.requires_grad  # score-function estimators never differentiate the critic
        return D(y)

    loss = score_function_step(cfg, G, counting_critic, torch.randn(8, 128), 1.0, torch.Generator().manual_seed(0))
    assert sum(seen) == 8 * evals == 8 * draws * est.CRITIC_EVALS[estimator]
    assert torch.isfinite(loss)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


def test_same_seed_same_weights_for_a_score_function_step():
    cfg = score_function_variant("disarm", 2)
    results = [one_step_weights(cfg, n_critic=1) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))
