"""How registry variants relate: the twin of a variant in the other recipe, the paper's Fig. 8 grid, the
slope-annealing ablation's triples. Names only; no files are read.
"""

from __future__ import annotations

from collections.abc import Iterable

from training.variants import CODE_SUFFIX, GATED_EXPERIMENT, REGISTRY, get_variant


def fig8_grid(neuron: str, recipe: str = "paper") -> dict[tuple[str, bool], str]:
    """{(objective, BN in D): variant} for the paper's Fig. 8: every objective with and without BatchNorm in D, as the
    paper's text describes it (annealed slope) or as its reference code ran it (the "-code" twins)."""
    grid: dict[tuple[str, bool], str] = {
        (c.objective, c.d_batchnorm): c.name
        for c in REGISTRY.values()
        if c.arch == "mlp"
        and c.neuron == neuron
        and c.estimator == "sigmoid-st"
        and c.experiment != GATED_EXPERIMENT  # the gated generators and their controls (one is a narrower dense twin)
        and c.recipe == recipe
        and (c.annealed or recipe == "code")
    }
    if len(grid) != 6:
        raise RuntimeError(f"the registry should hold 6 Fig. 8 variants for {neuron} ({recipe}), found {len(grid)}")
    return grid


def recipe_twin(name: str) -> str | None:
    """The same experiment in the other recipe: a paper-recipe variant's "-code" twin, or a code-recipe variant's
    paper twin; None where the registry has no twin (the extras)."""
    twin = name.removesuffix(CODE_SUFFIX) if name.endswith(CODE_SUFFIX) else name + CODE_SUFFIX
    return twin if twin in REGISTRY and twin != name else None


def recipe_pairs(names: Iterable[str]) -> list[tuple[str, str | None]]:
    """Each named variant with its twin in the other recipe, as (paper recipe, code recipe) rows in the order first
    named, each variant once; an extra without a twin is (name, None)."""
    rows: list[tuple[str, str | None]] = []
    for name in names:
        twin = recipe_twin(name)
        row = (twin, name) if twin is not None and get_variant(name).recipe == "code" else (name, twin)
        if row not in rows:
            rows.append(row)
    return rows


def annealing_pairs() -> dict[str, tuple[str, ...]]:
    """{neuron: (annealed variant, its fixed-slope twin, the code recipe's twin)} for the slope-annealing ablation;
    the code recipe's twin also keeps the slope at 1, with the reference code's BatchNorm and initialisation."""
    return {
        c.neuron: (c.name.removesuffix("-noanneal"), c.name, c.name.removesuffix("-noanneal") + CODE_SUFFIX)
        for c in REGISTRY.values()
        if c.name.endswith("-noanneal") and c.name.removesuffix("-noanneal") in REGISTRY
    }


# What the variant picker filters on: facet -> the value of each variant's config it reads.
FACETS = {
    "recipe": lambda c: c.recipe,
    "neuron": lambda c: c.neuron,
    "objective": lambda c: c.objective,
    "architecture": lambda c: c.arch,
}


def facet_values(facet: str) -> list[str]:
    """The values a facet takes over the registry, in registry order."""
    return list(dict.fromkeys(FACETS[facet](c) for c in REGISTRY.values()))


def matching(chosen: dict[str, list[str]]) -> list[str]:
    """The variants whose every chosen facet has one of its chosen values (a facet with none chosen matches all)."""
    return [n for n, c in REGISTRY.items() if all(not v or FACETS[f](c) in v for f, v in chosen.items())]
