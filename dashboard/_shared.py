"""Long computations every session shares: computed once, and a computation holds up only those who asked for its
key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")


class Shared:
    """Results shared by every session, computed once: visitors who ask for a result while it is being computed wait
    for it instead of computing it again, and a computation holds up only those who asked for the same key. (Not
    st.cache_data: its replay cannot drive a progress bar created outside the cached function.)"""

    MAX_ENTRIES = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the two dicts; never held while computing
        self._results: dict[tuple[Any, ...], Any] = {}
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        # The instance outlives the script run that made it, so everything run-specific (the files behind the
        # result, the loaders) comes in through `key` and `compute`, never from a page's globals.
        with self._lock:
            if key in self._results:
                return self._results[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._results:  # computed by whoever held key_lock before us
                    return self._results[key]
            try:
                result = compute()
                with self._lock:
                    if len(self._results) >= self.MAX_ENTRIES:
                        self._results.pop(next(iter(self._results)))  # the oldest
                    self._results[key] = result
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return result

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The result if it is kept; never waits, never computes."""
        with self._lock:
            return self._results.get(key)


@st.cache_resource(show_spinner=False)
def shared() -> Shared:
    """One per process; a key starts with what it is ("compare", "estlab"), so results of different kinds never meet."""
    return Shared()
