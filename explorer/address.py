"""The page address's values, parsed: what a query string may ask for, checked against the registry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from training.variants import REGISTRY


def parse_selection(values: Iterable[Any], limit: int) -> tuple[list[str], list[str]]:
    """(known variant names in order, without repeats, at most `limit`; everything refused, as text).

    Accepts what a query string gives: names, or comma-separated lists of names.
    """
    chosen: list[str] = []
    refused: list[str] = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip()
            if not item or item in chosen:
                continue
            if item not in REGISTRY:
                refused.append(item[:60])
            elif len(chosen) >= limit:
                refused.append(f"{item} (more than {limit})")
            else:
                chosen.append(item)
    return chosen, refused
