"""explorer.relations: how registry variants relate across recipes, Fig. 8 and the annealing ablation."""

from __future__ import annotations

import pytest

from explorer import relations
from training.variants import REGISTRY


@pytest.mark.parametrize("neuron", ["dbn", "sbn"])
@pytest.mark.parametrize("recipe", ["paper", "code"])
def test_fig8_grid_covers_every_objective_with_and_without_bn_in_d(neuron, recipe):
    grid = relations.fig8_grid(neuron, recipe)
    assert set(grid) == {(o, bn) for o in ("gan", "wgan", "wgan-gp") for bn in (True, False)}
    for (objective, bn), name in grid.items():
        cfg = REGISTRY[name]
        assert (cfg.objective, cfg.d_batchnorm, cfg.neuron, cfg.arch, cfg.recipe) == (
            objective,
            bn,
            neuron,
            "mlp",
            recipe,
        )
        assert cfg.annealed == (recipe == "paper") and name.endswith("-code") == (recipe == "code")


def test_annealing_pairs_differ_only_in_the_slope_schedule():
    pairs = relations.annealing_pairs()
    assert pairs == {
        "dbn": ("mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp-noanneal", "mlp-dbn-wgan-gp-code"),
        "sbn": ("mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-noanneal", "mlp-sbn-wgan-gp-code"),
    }
    for annealed, fixed, code in pairs.values():
        assert REGISTRY[code].recipe == "code" and not REGISTRY[code].annealed
        a, f = REGISTRY[annealed], REGISTRY[fixed]
        assert a.annealed and not f.annealed
        assert a.replace(name=f.name, slope_annealing_rate=1.0, experiment=f.experiment, description=f.description) == f


def test_recipe_twins_pair_each_experiment_across_the_two_recipes():
    assert relations.recipe_twin("mlp-dbn-wgan-gp") == "mlp-dbn-wgan-gp-code"
    assert relations.recipe_twin("mlp-sbn-gan-nobnd-code") == "mlp-sbn-gan-nobnd"
    assert relations.recipe_twin("mlp-gumbel-wgan-gp") is None  # an extra: the reference code has no such model
    # a code twin named first, then its paper twin, gives one row; the row is always (paper, code)
    assert relations.recipe_pairs(
        ["mlp-sbn-wgan-gp-code", "mlp-real-wgan-gp", "mlp-sbn-wgan-gp", "mlp-gumbel-wgan-gp"]
    ) == [
        ("mlp-sbn-wgan-gp", "mlp-sbn-wgan-gp-code"),
        ("mlp-real-wgan-gp", "mlp-real-wgan-gp-code"),
        ("mlp-gumbel-wgan-gp", None),
    ]


def test_the_fig8_grid_keeps_the_dense_variant_not_its_quarter_width_control():
    """mlp-dbn-wgan-gp-code-quarter shares every Fig. 8 coordinate with mlp-dbn-wgan-gp-code; it is a control of the
    gated generator (docs/conditional.md), not a cell of the grid."""
    assert relations.fig8_grid("dbn", "code")[("wgan-gp", False)] == "mlp-dbn-wgan-gp-code"
