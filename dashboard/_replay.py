"""A link's replay takes one of the server's live slots, as playing does: a replay of more than `free` updates runs
only while its session holds a slot, so links cannot load the server past the runs it allows. A session that must
wait sees its place in line; a fragment renews that place every second and reruns the page once a slot is its own."""

from __future__ import annotations

import streamlit as st

from explorer.playground.slots import CAPACITY, Slots

RETRY_S = 1.0


def may_replay(slots: Slots, owner: str, updates: int, free: int) -> bool:
    """True when the page may replay `updates` now: they are few (at most `free`), or `owner` holds a slot (the
    page releases it when it is not playing). Otherwise the place in line is shown and the page should stop."""
    if updates <= free:
        return True
    place = slots.acquire(owner)
    if place == 0:
        return True
    st.info(
        f"This link replays {updates:,} generator updates. The server replays long links in its {CAPACITY} live "
        f"slots, and they are taken: you are number {place} in line. The replay starts by itself when one frees.",
        icon=":material/hourglass_top:",
    )
    _wait(slots, owner)
    return False


@st.fragment(run_every=RETRY_S)
def _wait(slots: Slots, owner: str) -> None:
    if slots.acquire(owner) == 0:  # also keeps the place in line from lapsing
        st.rerun(scope="app")
