"""Containment: one bad variant or file shows its own message, and the page goes on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from explorer import files
from training.checkpoint import CheckpointError, CheckpointNotFound

T = TypeVar("T")


def guarded(where: Any, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """fn(*args, **kwargs) or None, after telling `where` (a container) that the variant is untrained or broken."""
    epoch = kwargs.get("epoch")
    what = f"**{name}**" + (f" at epoch {epoch}" if epoch is not None else "")
    try:
        return fn(*args, **kwargs)
    except CheckpointNotFound:
        where.info(f"{what}: not trained yet.", icon=":material/hourglass_empty:")
    except CheckpointError as e:
        where.error(f"{what}: this checkpoint cannot be loaded, so it is skipped. {e}", icon=":material/error:")
    return None


def not_evaluated(where: Any, what: str) -> None:
    where.info(f"{what}: not evaluated yet.", icon=":material/hourglass_empty:")


def evaluation(where: Any, what: str, fn: Callable[..., T | None], *args: Any, **kwargs: Any) -> T | None:
    """fn(*args) for a history, steps or metrics reader: says "not evaluated yet" when the file is missing and
    shows a malformed file's error in `where` only."""
    try:
        value = fn(*args, **kwargs)
    except files.DataFileError as e:
        where.error(f"{what}: {e}", icon=":material/error:")
        return None
    if value is None:
        not_evaluated(where, what)
    return value
