"""explorer.address: what a page address may ask for."""

from __future__ import annotations

import pytest

from explorer import address


@pytest.mark.parametrize(
    "values, limit, chosen, refused",
    [
        (["mlp-dbn-wgan-gp,bogus"], 4, ["mlp-dbn-wgan-gp"], ["bogus"]),
        (["mlp-dbn-wgan-gp", "mlp-dbn-wgan-gp", " mlp-sbn-wgan-gp "], 4, ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"], []),
        (
            ["mlp-dbn-wgan-gp,mlp-sbn-wgan-gp,mlp-real-wgan-gp"],
            2,
            ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp"],
            ["mlp-real-wgan-gp (more than 2)"],
        ),
        ([], 4, [], []),
        (["../../etc/passwd", "x" * 500], 4, [], ["../../etc/passwd", "x" * 60]),
    ],
)
def test_parse_selection_keeps_known_names_and_refuses_the_rest(values, limit, chosen, refused):
    assert address.parse_selection(values, limit) == (chosen, refused)
