"""The shipped JSON stores' loader: a JSON object checked against a dataclass, every refusal naming the file and
the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from explorer import CheckpointError
from explorer.store import KEY, load, read

PATH = Path("shelf/table.json")


@dataclass(frozen=True)
class Leaf:
    name: str
    count: int
    share: float
    ok: bool
    note: float | None = field(metadata={KEY: "note-or-null"})


@dataclass(frozen=True)
class Tree:
    leaves: list[Leaf]
    tags: dict[str, str]


def leaf(**change):
    return {"name": "a", "count": 2, "share": 0.5, "ok": True, "note-or-null": None} | change


def test_a_valid_object_becomes_the_dataclass_with_ints_taken_as_floats():
    tree = load(Tree, {"leaves": [leaf(share=1, **{"note-or-null": 3})], "tags": {"k": "v"}}, PATH)
    assert tree == Tree([Leaf("a", 2, 1.0, True, 3.0)], {"k": "v"})
    assert isinstance(tree.leaves[0].share, float)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"count": "2"}, "leaves[1]: count = '2' is not a int"),
        ({"count": True}, "leaves[1]: count = 'True' is not a int"),  # a bool is no number
        ({"share": float("nan")}, "leaves[1]: share = 'nan' is not a finite float"),
        ({"ok": 1}, "leaves[1]: ok = '1' is not a bool"),
        ({"note-or-null": "x"}, "leaves[1]: note-or-null = 'x' is not a finite float"),
        ({"name": None}, "leaves[1]: name = 'None' is not a str"),
    ],
)
def test_a_wrong_type_names_the_file_and_the_field(change, message):
    with pytest.raises(CheckpointError) as info:
        load(Tree, {"leaves": [leaf(), leaf(**change)], "tags": {}}, PATH)
    assert str(info.value) == f"{PATH}: {message}"


def test_a_missing_field_is_named():
    obj = {"leaves": [{k: v for k, v in leaf().items() if k != "share"}], "tags": {}}
    with pytest.raises(CheckpointError, match=r"table\.json: leaves\[0\]: missing 'share'"):
        load(Tree, obj, PATH)


def test_an_extra_field_is_refused_not_ignored():
    with pytest.raises(CheckpointError, match=r"table\.json: leaves\[0\]: unexpected 'colour'"):
        load(Tree, {"leaves": [leaf(colour="red")], "tags": {}}, PATH)
    with pytest.raises(CheckpointError, match=r"table\.json: unexpected 'more'"):
        load(Tree, {"leaves": [], "tags": {}, "more": 1}, PATH)


def test_containers_of_the_wrong_kind_are_named():
    with pytest.raises(CheckpointError, match=r"tags\['k'\] = '1' is not a str"):
        load(Tree, {"leaves": [], "tags": {"k": 1}}, PATH)
    with pytest.raises(CheckpointError, match="leaves = 'x' is not a list"):
        load(Tree, {"leaves": "x", "tags": {}}, PATH)
    with pytest.raises(CheckpointError, match=r"leaves\[0\]: '3' is not an object"):
        load(Tree, {"leaves": [3], "tags": {}}, PATH)


def test_read_refuses_a_foreign_or_unreadable_file_by_name(tmp_path):
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"format": "other/1"}))
    with pytest.raises(CheckpointError, match=f"{path}: expected a JSON object of format 'mine/1'"):
        read(path, "mine/1")
    path.write_text('{"format": "mine/1"')
    with pytest.raises(CheckpointError, match=f"{path}: not a readable JSON table"):
        read(path, "mine/1")
    path.write_text(json.dumps({"format": "mine/1", "x": 1}))
    assert read(path, "mine/1") == {"format": "mine/1", "x": 1}
