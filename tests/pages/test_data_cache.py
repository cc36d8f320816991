"""dashboard._data.cached: a cached accessor is read afresh when the files behind it change, and not otherwise;
two accessors with the same arguments keep their own entries."""

from __future__ import annotations

import streamlit as st

from dashboard._data import cached


def test_the_files_key_decides_when_a_result_is_computed_again():
    version, calls = {"v": 1}, []

    @cached(st.cache_data, lambda name, n=2: (name, version["v"]))
    def read(name: str, n: int = 2) -> list[int]:
        calls.append((name, n))
        return [version["v"]] * n

    assert read("a") == [1, 1] and read("a") == [1, 1] and read("a", n=2) == [1, 1]
    assert calls == [("a", 2)]  # the default and the explicit argument are one key
    version["v"] = 2  # the file was rewritten
    assert read("a") == [2, 2] and calls == [("a", 2), ("a", 2)]
    read("b", 3)
    assert calls[-1] == ("b", 3)
    read.clear()
    read("b", 3)
    assert len(calls) == 4


def test_two_accessors_with_the_same_arguments_do_not_share_entries():
    @cached(st.cache_data, lambda name: 0)
    def first(name: str) -> str:
        return "first " + name

    @cached(st.cache_data, lambda name: 0)
    def second(name: str) -> str:
        return "second " + name

    assert (first("x"), second("x"), first("x")) == ("first x", "second x", "first x")


def test_models_are_shared_read_only_resources():
    @cached(st.cache_resource, lambda name: 0)
    def model(name: str) -> dict[str, str]:
        return {"name": name}

    assert model("m") is model("m")
