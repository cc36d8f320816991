"""Conditional computation: the gated generator's routing, its gradients, its training, and what the gates measure."""

import json
import math

import numpy as np
import pytest
import torch

from tests.helpers import one_step_weights
from training import gated
from training import rng as streams
from training.config import VariantConfig
from training.networks import Generator, count_parameters
from training.pretrained import BinaryGAN
from training.trainer import TrainOptions, train
from training.variants import GATED_CONTROLS, GATED_CONTROLS_OF, GATED_SUFFIX, REGISTRY, get_variant

FAST = dict(warmup_steps=1, n_critic=1, n_critic_warmup=2, long_critic_every=10**6)
GATED = [name for name, cfg in REGISTRY.items() if cfg.experts and cfg.routing == "gates"]
RANDOM, SOFT, QUARTER = GATED_CONTROLS
# float32 sums of 128-256 products of O(1) terms, in another blocking order: a few ulps of the outputs' O(1) scale
F32_ROW_TOL = dict(rtol=1e-5, atol=1e-5)


def gated_generator(neuron: str = "sbn", seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    return Generator(get_variant(f"mlp-{neuron}-wgan-gp-code{GATED_SUFFIX}"))


def test_the_registry_holds_a_gated_twin_of_each_dense_code_recipe_wgan_gp_and_of_the_gates_estimators():
    assert sorted(GATED) == [
        "mlp-dbn-wgan-gp-code-gated",
        "mlp-sbn-wgan-gp-code-decoupled-st-gated",
        "mlp-sbn-wgan-gp-code-gated",
    ]
    for name in GATED:
        dense = get_variant(name.removesuffix(GATED_SUFFIX))
        assert get_variant(name).replace(name=dense.name, experts=0) == dense.replace(
            experiment=get_variant(name).experiment, description=get_variant(name).description, snapshot_epochs=()
        )


@pytest.mark.parametrize("name", GATED)
def test_the_gated_generator_has_the_dense_generators_parameter_count_within_one_percent(name):
    dense = count_parameters(Generator(get_variant(name.removesuffix(GATED_SUFFIX))))
    assert dense == 939_312
    assert abs(count_parameters(Generator(get_variant(name))) / dense - 1) < 0.01


def test_expert_weights_are_one_hot_at_the_index_the_bits_spell():
    bits = torch.tensor([[a, b, c] for c in (0, 1) for b in (0, 1) for a in (0, 1)], dtype=torch.float32)  # (8, 3)
    w = gated.expert_weights(bits)
    assert torch.equal(w, torch.eye(8))
    assert gated.expert_index(bits).tolist() == list(range(8))


def test_expert_weights_are_multilinear_so_each_bit_has_the_difference_of_its_two_branches_as_gradient():
    """d w_k / d b_j for soft bits, against the closed form of the product."""
    b = torch.tensor([[0.3, 0.8]], requires_grad=True)
    w = gated.expert_weights(b)
    (g0,) = torch.autograd.grad(w[0, 3], b, retain_graph=True)  # w_3 = b0 * b1
    torch.testing.assert_close(g0, torch.tensor([[0.8, 0.3]]))
    (g1,) = torch.autograd.grad(w[0, 0], b)  # w_0 = (1 - b0)(1 - b1)
    torch.testing.assert_close(g1, torch.tensor([[-0.2, -0.7]]))


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
def test_the_training_forward_equals_the_active_experts_own_output(neuron):
    G = gated_generator(neuron).train()
    z = torch.randn(64, 128, generator=torch.Generator().manual_seed(1))
    x, index = G.route(z, 1.0, torch.Generator().manual_seed(2))
    assert x.requires_grad and index is not None
    for k in range(4):
        rows = index == k
        if rows.any():  # each expert alone, on its rows only: another batch size, so float32 rounding may differ
            torch.testing.assert_close(x[rows], G.body.experts[k](z[rows]), **F32_ROW_TOL)


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
def test_without_gradients_only_the_routed_experts_run_and_give_the_same_outputs(neuron):
    G = gated_generator(neuron).eval()
    z = torch.randn(256, 128, generator=torch.Generator().manual_seed(1))
    dense, i_dense = G.route(z, 1.0, torch.Generator().manual_seed(2))
    calls = []
    hooks = [e.register_forward_hook(lambda m, a, o: calls.append(len(a[0]))) for e in G.body.experts]
    with torch.no_grad():
        sparse, i_sparse = G.route(z, 1.0, torch.Generator().manual_seed(2))
    for h in hooks:
        h.remove()
    assert torch.equal(i_dense, i_sparse)
    assert sum(calls) == 256  # every latent through exactly one expert
    torch.testing.assert_close(sparse, dense.detach(), **F32_ROW_TOL)


def test_the_gates_receive_the_straight_through_gradient_of_the_experts_difference():
    """sigmoid-adjusted ST on the gates: dL/da_j = p_j(1 - p_j) * sum_k dL/dx . E_k(z) dw_k/db_j; with one bit of
    difference between two branches this is p(1 - p) * dL/dx . (E_hi - E_lo)."""
    G = gated_generator("dbn").train()
    z = torch.randn(1, 128, generator=torch.Generator().manual_seed(3))
    a = G.body.gate_logits(z).detach()  # (1, 2)
    p = torch.sigmoid(a)
    b = (p > 0.5).float()
    upstream = torch.randn(1, 784, generator=torch.Generator().manual_seed(4))
    a_leaf = a.clone().requires_grad_(True)
    bits = G.neuron(a_leaf, 1.0)
    (G.body(z, bits) * upstream).sum().backward()
    e = [G.body.experts[k](z).detach() for k in range(4)]
    for j in range(2):
        other = int(b[0, 1 - j])  # the other bit stays where it is
        hi, lo = (1 << j) | (other << (1 - j)), other << (1 - j)
        expected = p[0, j] * (1 - p[0, j]) * (upstream * (e[hi] - e[lo])).sum()
        torch.testing.assert_close(a_leaf.grad[0, j], expected, rtol=1e-4, atol=1e-6)


def test_a_gated_dense_generator_consumes_no_extra_noise():
    """The dense generator's logits ignore the slope and the generator: adding the gated path changes no dense run."""
    cfg = get_variant("mlp-sbn-wgan-gp-code")
    torch.manual_seed(0)
    G = Generator(cfg)
    rng = torch.Generator().manual_seed(5)
    z = torch.randn(4, 128)
    G.logits(z, 3.0, rng)
    assert torch.equal(rng.get_state(), torch.Generator().manual_seed(5).get_state())


def test_same_seed_same_weights_for_a_gated_training_step():
    cfg = get_variant(GATED[1])
    results = [one_step_weights(cfg, n_critic=2) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))
    moved = [not torch.equal(a, b) for a, b in zip(results[0], Generator(cfg).parameters(), strict=True)]
    assert all(moved)  # the gate layer and every expert train in one step


@pytest.mark.parametrize("name", GATED)
def test_a_short_gated_run_trains_and_its_samples_carry_their_gates(tmp_path, tiny_mnist, name):
    cfg = get_variant(name).replace(epochs=1, **FAST)
    opts = TrainOptions(
        out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128, seed=1
    )
    out = train(cfg, opts)
    assert json.loads((out / "config.json").read_text())["config"]["experts"] == 4
    g = BinaryGAN.from_pretrained(out)
    s = g.sample(32, seed=3)
    assert s.gates is not None and s.gates.shape == (32, 4) and s.gates.dtype == np.uint8
    assert (s.gates.sum(axis=1) == 1).all()
    again = g.sample(32, seed=3)
    assert np.array_equal(s.binary, again.binary) and np.array_equal(s.gates, again.gates)
    forced = g.sample(32, seed=3, expert=2)
    assert forced.gates is not None and (forced.gates.argmax(axis=1) == 2).all()


def test_dense_samples_carry_no_gates_and_refuse_a_forced_expert(tmp_path, tiny_mnist):
    cfg = get_variant("mlp-dbn-wgan-gp-code").replace(epochs=1, **FAST)
    opts = TrainOptions(out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=64)
    g = BinaryGAN.from_pretrained(train(cfg, opts))
    assert g.sample(4).gates is None
    with pytest.raises(ValueError, match="only be forced on a gated generator"):
        g.sample(4, expert=0)


@pytest.mark.parametrize("expert", [-1, 4, 1.5, True])
def test_an_out_of_range_expert_is_refused_by_name(tmp_path, tiny_mnist, expert):
    cfg = get_variant(GATED[0]).replace(epochs=1, **FAST)
    opts = TrainOptions(out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=64)
    g = BinaryGAN.from_pretrained(train(cfg, opts))
    with pytest.raises(ValueError, match="expert"):
        g.sample(4, expert=expert)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(experts=3), "power of two"),
        (dict(experts=1), "power of two"),
        (dict(experts=128), "outside"),
        (dict(batchnorm="batch"), "batchnorm 'affine'"),
        (dict(arch="cnn"), "arch 'mlp'"),
        (dict(estimator="rloo", estimator_draws=4), "pathwise gradient"),
        (dict(neuron="real", estimator="none"), "dbn or sbn"),
    ],
)
def test_gate_settings_that_cannot_work_are_refused_by_name(changes, match):
    with pytest.raises(ValueError, match=match):
        VariantConfig.from_dict({**get_variant(GATED[1]).to_dict(), **changes})


# ---- the controls: random routing, soft routing, a dense generator one expert wide ----


def control_generator(name: str, seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    return Generator(get_variant(name))


def loaded(name: str) -> BinaryGAN:
    """An untrained generator of `name`, loaded as sampling loads a checkpoint."""
    G = control_generator(name)
    state = {k: v for k, v in G.state_dict().items() if not k.endswith("num_batches_tracked")}
    return BinaryGAN(get_variant(name), state, {"final_slope": 1.0}, "memory")


def test_the_controls_differ_from_the_dbn_gated_variant_in_routing_or_width_only():
    gated_cfg, dense = get_variant(GATED_CONTROLS_OF), get_variant(GATED_CONTROLS_OF.removesuffix(GATED_SUFFIX))
    assert (
        f"{GATED_CONTROLS_OF}-random",
        f"{GATED_CONTROLS_OF}-soft",
        "mlp-dbn-wgan-gp-code-quarter",
    ) == GATED_CONTROLS
    for name, routing in ((RANDOM, "random"), (SOFT, "soft")):
        cfg = get_variant(name)
        assert cfg.routing == routing
        assert cfg.replace(name=gated_cfg.name, routing="gates", description=gated_cfg.description) == gated_cfg
    quarter = get_variant(QUARTER)
    assert quarter.hidden == 256 and not quarter.experts
    assert (
        quarter.replace(
            name=dense.name,
            hidden=1024,
            experiment=dense.experiment,
            description=dense.description,
            snapshot_epochs=dense.snapshot_epochs,
        )
        == dense
    )


def test_the_controls_parameter_counts():
    """Random routing is the four experts alone; soft adds a (128 -> 4) layer where the gates have (128 -> 2) and its
    norm; the quarter-width dense generator is one expert exactly."""
    expert = count_parameters(control_generator(GATED_CONTROLS_OF).body.experts[0])
    assert expert == 236_592
    counts = {name: count_parameters(control_generator(name)) for name in (GATED_CONTROLS_OF, *GATED_CONTROLS)}
    assert counts == {GATED_CONTROLS_OF: 946_630, RANDOM: 4 * expert, SOFT: 4 * expert + 128 * 4 + 4, QUARTER: expert}


def sampling_macs(G: Generator, z: torch.Tensor, gen: torch.Generator) -> float:
    """Multiply-adds per sample of the Linear layers one sampling forward runs, on the rows each receives."""
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        total += output.shape[0] * layer.in_features * layer.out_features

    hooks = [m.register_forward_hook(hook) for m in G.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        G.eval().route(z, 1.0, gen)
    for h in hooks:
        h.remove()
    return total / len(z)


def test_the_controls_multiply_adds_per_sample_when_sampling():
    z = torch.randn(512, 128, generator=torch.Generator().manual_seed(0))
    one_expert = 128 * 256 + 256 * 784
    macs = {
        name: sampling_macs(control_generator(name), z, torch.Generator().manual_seed(1)) for name in GATED_CONTROLS
    }
    assert macs == {RANDOM: one_expert, SOFT: 4 * one_expert + 128 * 4, QUARTER: one_expert}
    assert sampling_macs(control_generator(GATED_CONTROLS_OF), z, torch.Generator()) == one_expert + 128 * 2


def test_random_routing_draws_the_expert_from_the_generator_independent_of_z():
    G = control_generator(RANDOM).eval()
    assert G.body.gate is None  # no gate layer: nothing reads z to route
    z1, z2 = (torch.randn(4000, 128, generator=torch.Generator().manual_seed(s)) for s in (1, 2))
    with torch.no_grad():
        _, i1 = G.route(z1, 1.0, torch.Generator().manual_seed(7))
        _, i2 = G.route(z2, 1.0, torch.Generator().manual_seed(7))
    assert i1 is not None and torch.equal(i1, i2)
    assert torch.equal(i1, torch.randint(4, (4000,), generator=torch.Generator().manual_seed(7)))
    share = np.bincount(i1.numpy(), minlength=4) / 4000
    assert np.abs(share - 0.25).max() < 0.03  # uniform: 4 sd of a share of 4000 draws is 0.027
    with pytest.raises(ValueError, match="from a generator"):
        G.route(z1, 1.0, None)
    with pytest.raises(ValueError, match="drawn at random"):
        loaded(RANDOM).logits(z1)


def test_torch_randint_fills_row_by_row_so_a_prefix_or_a_split_draws_the_same_integers():
    whole = torch.randint(4, (10_000,), generator=torch.Generator().manual_seed(3))
    for chunk in (1, 7, 1024, 4096):
        gen = torch.Generator().manual_seed(3)
        parts = [torch.randint(4, (min(chunk, 10_000 - i),), generator=gen) for i in range(0, 10_000, chunk)]
        assert torch.equal(torch.cat(parts), whole)


def test_random_routing_samples_depend_on_their_seed_and_row_only():
    g = loaded(RANDOM)
    z = np.random.default_rng(0).standard_normal((300, 128)).astype(np.float32)
    s = g.decode(z, seed=5)
    assert s.gates is not None
    expected = torch.randint(4, (300,), generator=streams.generator(5, "routing")).numpy()
    assert np.array_equal(s.gates.argmax(axis=1), expected)  # the "routing" stream, one integer per row in row order
    for other in (g.decode(z, seed=5, chunk=7), g.decode(z[:50], seed=5)):
        assert other.gates is not None
        assert np.array_equal(other.gates, s.gates[: len(other.gates)])
        assert np.array_equal(other.binary, s.binary[: len(other.binary)])
    assert not np.array_equal(g.decode(z, seed=6).gates, s.gates)


@pytest.mark.parametrize("name", [GATED_CONTROLS_OF, RANDOM])
def test_a_forced_expert_gives_the_routed_sample_on_the_rows_routed_to_it(name):
    g = loaded(name)
    z = np.random.default_rng(1).standard_normal((400, 128)).astype(np.float32)
    s = g.decode(z, seed=2)
    assert s.gates is not None
    for k in range(4):
        rows = s.gates.argmax(axis=1) == k
        assert rows.any()
        forced = g.decode(z, seed=2, expert=k)
        assert forced.gates is not None and (forced.gates.argmax(axis=1) == k).all()
        np.testing.assert_allclose(forced.preactivation[rows], s.preactivation[rows], **F32_ROW_TOL)


def test_soft_routing_mixes_every_expert_by_weights_that_sum_to_one():
    G = control_generator(SOFT).eval()
    with torch.no_grad():  # a trained-looking gate: the initial logits are near 0, every weight near 1/4
        G.body.gate.weight.normal_(0, 0.5, generator=torch.Generator().manual_seed(4))
    z = torch.randn(256, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        x, index = G.route(z, 1.0, None)
        w = torch.softmax(G.body.gate_logits(z), dim=1)  # (256, 4)
        experts = torch.stack([e(z) for e in G.body.experts], dim=1)  # (256, 4, 784)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(256))
    assert (w > 0).all() and (w < 1).all()
    torch.testing.assert_close(x, (w.unsqueeze(2) * experts).sum(dim=1))
    assert index is not None and torch.equal(index, w.argmax(dim=1))
    assert len(index.unique()) == 4
    for k in range(4):  # no expert alone gives the output: each contributes
        assert not torch.allclose(x, experts[:, k], **F32_ROW_TOL)


def test_soft_routing_runs_every_expert_and_trains_them_and_its_gate_in_one_step():
    cfg = get_variant(SOFT)
    G = control_generator(SOFT)
    calls = []
    hooks = [e.register_forward_hook(lambda m, a, o: calls.append(len(a[0]))) for e in G.body.experts]
    with torch.no_grad():
        G.route(torch.zeros(16, 128), 1.0, None)
    for h in hooks:
        h.remove()
    assert calls == [16] * 4
    results = [one_step_weights(cfg, n_critic=2) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(results[0], G.parameters(), strict=True))


def test_random_routing_trains_reproducibly_and_its_experts_move_without_a_gate():
    cfg = get_variant(RANDOM)
    results = [one_step_weights(cfg, n_critic=2) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(results[0], control_generator(RANDOM).parameters(), strict=True))


@pytest.mark.parametrize("name", GATED_CONTROLS)
def test_a_short_control_run_trains_and_samples(tmp_path, tiny_mnist, name):
    cfg = get_variant(name).replace(epochs=1, **FAST)
    opts = TrainOptions(out=tmp_path / "run", data_dir=str(tiny_mnist), verify_data=False, progress=False, limit=128)
    g = BinaryGAN.from_pretrained(train(cfg, opts))
    assert g.parameter_count() == count_parameters(control_generator(name))
    s = g.sample(32, seed=3)
    assert (s.gates is None) == (name == QUARTER)
    assert np.array_equal(s.binary, g.sample(32, seed=3).binary)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(routing="random", experts=0), "needs experts"),
        (dict(routing="sideways"), "routing"),
        (dict(hidden=258), "split evenly"),
        (dict(hidden=0), "outside"),
        (dict(arch="cnn", experts=0, routing="gates", hidden=256), "MLP generator's width"),
    ],
)
def test_routing_and_width_settings_that_cannot_work_are_refused_by_name(changes, match):
    with pytest.raises(ValueError, match=match):
        VariantConfig.from_dict({**get_variant(SOFT).to_dict(), **changes})


def test_a_config_written_before_routing_and_hidden_existed_reads_as_gates_and_full_width():
    old = {k: v for k, v in get_variant(GATED_CONTROLS_OF).to_dict().items() if k not in ("routing", "hidden")}
    assert VariantConfig.from_dict(old) == get_variant(GATED_CONTROLS_OF)


# ---- what the gates measure ----


def test_usage_of_an_even_load_has_full_entropy_and_no_variation():
    index = np.repeat(np.arange(4), 25)
    share = gated.expert_share(index, 4)
    assert share.tolist() == [0.25] * 4
    assert gated.entropy_bits(share) == pytest.approx(2.0)
    assert gated.load_cv(share) == pytest.approx(0.0)


def test_a_collapsed_load_has_zero_entropy_the_largest_variation_and_idle_experts():
    m = gated.gating_metrics(np.zeros(50, int), np.arange(50) % 10, np.zeros((3, 4), int), 4)
    assert m["expert_entropy_bits"] == 0.0
    assert m["expert_load_cv"] == pytest.approx(math.sqrt(3))
    assert m["idle_experts"] == 3
    assert m["expert_class_nmi"] == 0.0 and m["gate_flip_rate"] == 0.0


def test_nmi_is_one_when_expert_and_digit_determine_each_other_and_near_zero_when_independent():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 4, 20_000)
    assert gated.normalised_mutual_information(gated.class_by_expert(classes, classes, 4)) == pytest.approx(1.0)
    independent = gated.class_by_expert(rng.integers(0, 4, 20_000), classes, 4)
    # plug-in MI of independent variables is biased up by about (K - 1)(C - 1) / 2N nats
    assert gated.mutual_information(independent) < 5 * 9 / (2 * 20_000)


def test_nmi_matches_its_definition_on_a_small_table():
    joint = np.array([[3, 1, 0], [0, 2, 2]])
    p = joint / 8
    pe, pc = p.sum(1), p.sum(0)
    mi = sum(p[i, j] * math.log(p[i, j] / (pe[i] * pc[j])) for i in range(2) for j in range(3) if p[i, j])
    h = -sum(v * math.log(v) for v in pe) - sum(v * math.log(v) for v in pc)
    assert gated.normalised_mutual_information(joint) == pytest.approx(2 * mi / h)
    assert gated.class_by_expert(np.array([0, 0, 1]), np.array([3, 3, 9]), 2)[0, 3] == 2


def test_flip_rate_counts_changes_between_consecutive_frames():
    assert gated.flip_rate(np.array([[0, 0, 1, 1], [2, 3, 2, 3]])) == pytest.approx((1 + 3) / 6)


def test_interpolation_latents_run_from_one_end_to_the_other_in_consecutive_frames():
    z = gated.interpolation_latents(7, pairs=3, steps=5).reshape(3, 5, 128)
    assert np.allclose(z[:, 2], (z[:, 0] + z[:, 4]) / 2, atol=1e-6)
    assert np.array_equal(z, gated.interpolation_latents(7, pairs=3, steps=5).reshape(3, 5, 128))
