"""The Playground's line for live runs: a cap on runs playing at once, a place in line beyond it, leases that a
release or a dead session's silence frees, and one lock under concurrent sessions."""

from __future__ import annotations

import threading

import pytest

from explorer.playground.slots import Slots


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_beyond_the_cap_a_request_gets_its_place_in_line():
    slots = Slots(capacity=2, lease_s=10, clock=Clock())
    assert slots.acquire("a") == 0 and slots.acquire("b") == 0
    assert slots.acquire("c") == 1 and slots.acquire("d") == 2
    assert slots.acquire("c") == 1  # asking again keeps the place
    assert slots.acquire("a") == 0  # a holder renews
    assert slots.counts() == (2, 2)


def test_a_release_frees_the_slot_for_the_first_in_line():
    slots = Slots(capacity=2, lease_s=10, clock=Clock())
    for owner in "abc":
        slots.acquire(owner)
    assert slots.acquire("d") == 2
    slots.release("a")
    assert slots.acquire("d") == 2  # c is first in line: the free slot waits for it
    assert slots.acquire("c") == 0 and slots.acquire("d") == 1
    slots.release("nobody")  # releasing what is not held is nothing
    assert slots.holds("b") and slots.holds("c") and not slots.holds("a")


def test_an_unrenewed_lease_expires_and_its_slot_goes_on():
    clock = Clock()
    slots = Slots(capacity=1, lease_s=10, clock=clock)
    assert slots.acquire("a") == 0 and slots.acquire("b") == 1
    clock.now = 9.0
    assert slots.acquire("b") == 1  # b renews its place; a renews nothing
    clock.now = 10.5  # a's lease ran out at 10: its session is gone
    assert slots.acquire("b") == 0 and not slots.holds("a")
    clock.now = 30.0  # b's lease expired too, and a line of one that stopped asking is empty
    assert slots.counts() == (0, 0)


def test_a_bad_capacity_or_lease_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        Slots(capacity=0)
    with pytest.raises(ValueError, match="lease_s"):
        Slots(lease_s=0)


def test_concurrent_acquire_and_release_never_exceed_the_cap():
    slots = Slots(capacity=2, lease_s=60)
    held, over = [], []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def session(name: str) -> None:
        start.wait()
        for _ in range(200):
            if slots.acquire(name) == 0:
                with lock:
                    held.append(name)
                    if sum(slots.holds(o) for o in map(str, range(8))) > 2:
                        over.append(name)
                slots.release(name)
            else:
                slots.release(name)  # gives up its place in line

    threads = [threading.Thread(target=session, args=(str(i),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert held and not over
    assert slots.counts() == (0, 0)
