import pytest
import torch

from training.neurons import binarize, sample_binary


def _grad(neuron: str, estimator: str, x: torch.Tensor, slope: float) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_(True)
    y = binarize(x, slope, neuron, estimator, generator=torch.Generator().manual_seed(0))
    y.sum().backward()
    return y.detach(), x.grad


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
@pytest.mark.parametrize("slope", [1.0, 2.5, 6.1])
def test_sigmoid_adjusted_estimator_gradient_is_s_p_1mp(neuron, slope):
    x = torch.linspace(-4, 4, 101)
    _, grad = _grad(neuron, "sigmoid-st", x, slope)
    p = torch.sigmoid(slope * x)
    torch.testing.assert_close(grad, slope * p * (1 - p))


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
def test_plain_straight_through_gradient_is_one(neuron):
    _, grad = _grad(neuron, "st", torch.linspace(-4, 4, 101), 3.0)
    torch.testing.assert_close(grad, torch.ones(101))


def test_dbn_forward_is_exactly_the_threshold():
    x = torch.randn(10_000)
    y, _ = _grad("dbn", "sigmoid-st", x, 1.7)
    assert torch.equal(y, (torch.sigmoid(1.7 * x) > 0.5).float())
    assert set(y.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("estimator", ["sigmoid-st", "st", "gumbel-st"])
def test_sbn_frequency_of_ones_matches_p(estimator):
    # 200,000 draws at each of five probabilities: the standard error is below 0.0012, so 0.006 is ~5 sigma
    logits = torch.tensor([-2.0, -0.5, 0.0, 0.7, 2.2])
    x = logits.repeat(200_000, 1)
    y = binarize(x, 1.0, "sbn", estimator, temperature=0.5, generator=torch.Generator().manual_seed(1))
    assert set(y.unique().tolist()) == {0.0, 1.0}
    torch.testing.assert_close(y.mean(0), torch.sigmoid(logits), atol=0.006, rtol=0)


def test_gumbel_estimator_gradient_is_the_relaxed_sigmoid():
    x = torch.linspace(-3, 3, 61, requires_grad=True)
    g = torch.Generator().manual_seed(3)
    y = binarize(x, 1.0, "sbn", "gumbel-st", temperature=0.5, generator=g)
    y.sum().backward()
    u = torch.rand(61, generator=torch.Generator().manual_seed(3)).clamp(1e-6, 1 - 1e-6)
    soft = torch.sigmoid((x.detach() + torch.log(u) - torch.log1p(-u)) / 0.5)
    torch.testing.assert_close(x.grad, soft * (1 - soft) / 0.5)
    assert torch.equal(y.detach(), (soft > 0.5).float())


def test_real_neuron_outputs_p_and_backpropagates_through_the_sigmoid():
    x = torch.linspace(-3, 3, 61)
    y, grad = _grad("real", "none", x, 1.0)
    p = torch.sigmoid(x)
    torch.testing.assert_close(y, p)
    torch.testing.assert_close(grad, p * (1 - p))


def test_real_model_binarises_only_when_sampling():
    p = torch.tensor([0.1, 0.5, 0.51, 0.9])
    assert sample_binary(p, "real").tolist() == [0.0, 0.0, 1.0, 1.0]


def test_unknown_neuron_and_estimator_are_refused():
    with pytest.raises(ValueError, match="estimator"):
        binarize(torch.zeros(3), 1.0, "dbn", "reinforce")
    with pytest.raises(ValueError, match="neuron"):
        sample_binary(torch.zeros(3), "ternary")
