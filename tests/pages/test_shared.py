"""dashboard._shared.Shared, the cache of long computations every session shares: a result asked for by several
sessions at once is computed once while the others wait, a computation holds up only the sessions that asked for its
own key, and the oldest result makes room for a new one."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from dashboard._shared import Shared

WAIT_S = 10  # a bound on every wait below, so a broken cache fails the test instead of hanging it


def wait_until(condition, what: str) -> None:
    """Poll `condition` until it holds; fail, naming `what`, if it does not within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_S} s: {what}"
        time.sleep(0.01)


def innermost(thread: threading.Thread) -> str:
    """The innermost function the thread is in, outside the threading module (a wait on an event is its caller)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None and frame.f_code.co_filename == threading.__file__:
        frame = frame.f_back
    return frame.f_code.co_name if frame is not None else ""


def test_sessions_asking_at_once_wait_for_one_computation():
    shared, calls, started, release = Shared(), [], threading.Event(), threading.Event()

    def compute() -> str:
        calls.append(1)
        started.set()
        assert release.wait(WAIT_S)
        return "result"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(shared.get(("k",), compute))) for _ in range(4)]
    for t in threads:
        t.start()
    assert started.wait(WAIT_S)
    # every session is now in the cache: computing, or waiting for the one that computes
    wait_until(lambda: all(innermost(t) in ("get", "compute") for t in threads), "all four sessions ask at once")
    assert shared.peek(("k",)) is None  # in flight: peek neither waits nor computes
    release.set()
    for t in threads:
        t.join(WAIT_S)
    assert results == ["result"] * 4 and len(calls) == 1 and shared.peek(("k",)) == "result"


def test_a_long_computation_does_not_hold_up_another_key():
    shared, started, release, fast_done = Shared(), threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        assert release.wait(WAIT_S)
        return "slow"

    slow_visitor = threading.Thread(target=lambda: shared.get(("slow",), slow))
    slow_visitor.start()
    try:
        assert started.wait(WAIT_S)
        fast_visitor = threading.Thread(target=lambda: shared.get(("fast",), lambda: "fast") and fast_done.set())
        fast_visitor.start()
        assert fast_done.wait(WAIT_S), "the fast key waited for the slow one"
        assert shared.peek(("fast",)) == "fast" and shared.peek(("slow",)) is None
    finally:
        release.set()
        slow_visitor.join(WAIT_S)
    assert shared.peek(("slow",)) == "slow"


def test_a_failed_computation_is_not_kept():
    shared = Shared()

    def fail() -> str:
        raise OSError("the files vanished")

    with pytest.raises(OSError):
        shared.get(("k",), fail)
    assert shared.peek(("k",)) is None and shared.get(("k",), lambda: "again") == "again"


def test_the_oldest_result_makes_room():
    shared = Shared()
    for i in range(Shared.MAX_ENTRIES + 1):
        shared.get((i,), lambda i=i: i)
    assert shared.peek((0,)) is None and shared.peek((1,)) == 1
    assert shared.peek((Shared.MAX_ENTRIES,)) == Shared.MAX_ENTRIES
