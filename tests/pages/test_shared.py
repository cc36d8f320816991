"""dashboard._data.Shared, the cache of long computations every session shares: a result asked for by several
sessions at once is computed once while the others wait, and the oldest result makes room for a new one."""

from __future__ import annotations

import threading
import time

from dashboard._data import Shared


def test_sessions_asking_at_once_wait_for_one_computation():
    shared, calls, started = Shared(), [], threading.Event()

    def compute() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "result"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(shared.get(("k",), compute))) for _ in range(4)]
    for t in threads:
        t.start()
    assert started.wait(5)
    assert shared.peek(("k",)) is None  # in flight: peek neither waits nor computes
    for t in threads:
        t.join(5)
    assert results == ["result"] * 4 and len(calls) == 1 and shared.peek(("k",)) == "result"


def test_the_oldest_result_makes_room():
    shared = Shared()
    for i in range(Shared.MAX_ENTRIES + 1):
        shared.get((i,), lambda i=i: i)
    assert shared.peek((0,)) is None and shared.peek((1,)) == 1
    assert shared.peek((Shared.MAX_ENTRIES,)) == Shared.MAX_ENTRIES
