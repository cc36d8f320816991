"""Shipped JSON stores: a table the repository ships beside the checkpoints, read as JSON only (never unpickled),
its layout a frozen dataclass that `load` checks field by field, and the sha256 of the files it was computed from.

`load` takes int, float, str and bool fields, lists, dicts keyed by str, nested dataclasses and `X | None`. A float
must be finite (JSON has no NaN: a missing value is null, so `float | None`) and takes an int too; a bool is never an
int or a float. Extra fields are refused, not ignored: a store is written only by its --write command, so a field
its dataclass lacks means another format or a damaged file. A field whose JSON name is not a Python name says it
in its metadata, `field(metadata={KEY: "json-name"})`. Every error is a CheckpointError naming the file and the
field (`samples[0].cells[3]: missing 'mse'`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from training.checkpoint import CRITIC_FILE, GENERATOR_FILE, CheckpointError
from training.manifest import sha256_file

T = TypeVar("T")
MAX_BYTES = 4 * 2**20  # a shipped table is far smaller; a larger file is refused unread
KEY = "json"  # the field metadata key for a JSON name that is not a Python name


def read(path: Path, fmt: str) -> dict[str, Any]:
    """A shipped JSON table: a JSON object whose "format" is `fmt`; anything else raises CheckpointError naming
    the file."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CheckpointError(f"{path}: {size} bytes, more than a shipped table can be ({MAX_BYTES})")
        obj = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: not a readable JSON table ({e}); rewrite it with its --write command") from None
    if not isinstance(obj, dict) or obj.get("format") != fmt:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(f"{path}: expected a JSON object of format {fmt!r}, found {found!r}")
    return obj


def json_name(f: dataclasses.Field[Any]) -> str:
    return f.metadata.get(KEY, f.name)


def load(cls: type[T], obj: Any, path: Path, where: str = "") -> T:
    """An instance of the dataclass `cls` from a parsed JSON object, every field checked against its type."""
    fail = _failure(path, where)
    if not isinstance(obj, dict):
        raise fail(f"{str(obj)[:40]!r} is not an object")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = {json_name(f): f for f in fields}
    missing = [k for k in names if k not in obj]
    if missing:
        raise fail(f"missing {missing[0]!r}")
    extra = sorted(set(obj) - set(names))
    if extra:
        raise fail(f"unexpected {str(extra[0])[:40]!r}")
    hints = typing.get_type_hints(cls)
    values = {f.name: _value(hints[f.name], obj[k], path, where, k) for k, f in names.items()}
    return cls(**values)


def _failure(path: Path, where: str) -> typing.Callable[[str], CheckpointError]:
    return lambda what: CheckpointError(f"{path}: {where}: {what}" if where else f"{path}: {what}")


def _value(kind: Any, v: Any, path: Path, where: str, key: str) -> Any:
    """`v`, the value of `key` in the object at `where`, checked against the type `kind`."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        (kind,) = [a for a in args if a is not type(None)]  # X | None is the only union a store has
        return _value(kind, v, path, where, key)
    if dataclasses.is_dataclass(kind):
        return load(kind, v, path, f"{where}.{key}" if where else key)  # type: ignore[arg-type]
    if origin is list and isinstance(v, list):
        return [_value(args[0], x, path, where, f"{key}[{i}]") for i, x in enumerate(v)]
    if origin is dict and isinstance(v, dict):
        return {k: _value(args[1], x, path, where, f"{key}[{k!r}]") for k, x in v.items()}
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not (
        origin is None
        and isinstance(v, kind)
        and (kind is bool or not isinstance(v, bool))
        and (not isinstance(v, float) or math.isfinite(v))
    ):
        name = "finite float" if kind is float else getattr(origin or kind, "__name__", str(kind))
        raise _failure(path, where)(f"{key} = {str(v)[:40]!r} is not a {name}")
    return v


def sources(folder: str | os.PathLike) -> dict[str, str]:
    """sha256 of the generator and critic files in a variant's folder: what a shipped table was computed from, so
    that a retrained variant's old table is recognised as stale."""
    return {f: sha256_file(Path(folder) / f) for f in (GENERATOR_FILE, CRITIC_FILE)}
