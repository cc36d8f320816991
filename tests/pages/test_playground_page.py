"""Playground page: a live run in the exact world, stepped by labelled updates; the address rebuilds the run where
it was; bad address values are messages; playing takes one of the server's few live slots."""

from __future__ import annotations

import time

import pytest

from explorer.playground import live as lv
from explorer.playground.train import PlaygroundConfig, Run

SMALL = "pg_neuron=dbn&pg_obj=wgan"  # the cheapest run: no penalty, no estimator table


@pytest.fixture
def playground(make_app, checkpoints_root):
    return lambda query="": make_app(checkpoints_root, "playground", query, deep_link=True)


def live_runs(at):
    return at.session_state["pg_exp"]["runs"]


def agreement_tables(at):
    return [d for d in at.dataframe if not d.value.columns[0].startswith("G update")]


def label(at):
    return " ".join(m.value for m in at.markdown if m.value.startswith("**") or m.value.startswith("Update 0"))


def test_renders_with_defaults_and_steps_reset(playground, charts, texts):
    t0 = time.perf_counter()
    at = playground()
    first_frame = time.perf_counter() - t0
    assert not at.error and not at.warning
    assert "Update 0" in label(at) and live_runs(at)[0].g_updates == 0
    assert len(charts(at)) >= 4 and agreement_tables(at)  # patterns, histogram, divergences, losses; the SBN's table
    assert first_frame < 60
    at.button(key="pg_do_g").click().run()
    assert not at.exception and live_runs(at)[0].g_updates == 1
    assert "G update 1: generator loss" in label(at) and dict(at.query_params)["pg_step"] == "g1"
    at.button(key="pg_do_d").click().run()
    assert "D update 1: critic loss" in label(at) and live_runs(at)[0].g_updates == 1
    at.button(key="pg_do_step").click().run()
    assert "G update 2" in label(at) and dict(at.query_params)["pg_step"] == "g1.d1.1"
    at.button(key="pg_reset").click().run()
    assert not at.exception and live_runs(at)[0].g_updates == 0 and dict(at.query_params)["pg_step"] == ""


def test_the_address_replays_the_run_to_its_step(playground):
    at = playground(f"{SMALL}&pg_seed=3&pg_lrg=0.01&pg_step=3.g1")
    config = PlaygroundConfig(neuron="dbn", estimator="sigmoid-st", objective="wgan", seed=3, lr_g=0.01, lr_d=3e-3)
    direct = Run(config)
    direct.run(3)
    direct.step_g()
    (shown,) = live_runs(at)
    assert shown.config == config and shown.g_updates == 4
    assert shown.run.final.js == direct.final.js
    js = next(m for m in at.metric if m.label == "JS (nats)")
    assert js.value == f"{direct.final.js:.4f}"


@pytest.mark.parametrize(
    "query, said",
    [
        ("pg_neuron=tanh", "Ignored pg_neuron='tanh' in the address: not one of dbn, sbn, real; using sbn"),
        ("pg_lrg=-0.1", "Ignored pg_lrg='-0.1' in the address: the learning rate g is a number in [1e-05, 0.1]"),
        ("pg_neuron=dbn&pg_est=oracle", "Ignored pg_est='oracle' in the address: not one of sigmoid-st, st"),
        ("pg_step=oops", "Ignored pg_step='oops' in the address"),
        (f"{SMALL}&pg_step=99999", "asks for 99,999 generator updates, beyond the cap of 3,000"),
    ],
)
def test_bad_address_values_are_messages(playground, monkeypatch, texts, query, said):
    monkeypatch.setattr(lv, "MAX_G_UPDATES", 3)  # the cap's message, without replaying 3,000 updates
    if "99999" in query:
        said = "asks for 99,999 generator updates, beyond the cap of 3"
    at = playground(query)
    assert any(said in w for w in texts(at, "warning")), texts(at, "warning")
    assert live_runs(at)[0].g_updates == (3 if "99999" in query else 0)


def test_run_b_steps_beside_a(playground):
    at = playground(f"{SMALL}&pg_b=neuron&pg_bval=sbn&pg_step=1")
    a, b = live_runs(at)
    assert (a.config.neuron, b.config.neuron) == ("dbn", "sbn") and a.g_updates == b.g_updates == 1
    at.button(key="pg_do_g").click().run()
    assert [r.g_updates for r in live_runs(at)] == [2, 2] and "A: G update 2" in label(at)
    assert len(agreement_tables(at)) == 1  # B is the SBN: its estimators against the truth
    a = live_runs(at)[0]
    at.selectbox(key="pg_b").set_value("objective").run()  # a new B replays A's updates; A goes on as it was
    a2, b2 = live_runs(at)
    assert a2 is a and b2.config.objective == "gan" and b2.g_updates == 2 and not at.exception


def test_run_b_changes_one_number_or_says_why_it_cannot(playground, texts):
    at = playground(f"{SMALL}&pg_b=slope_annealing_rate")
    a, b = live_runs(at)
    assert (a.config.slope_annealing_rate, b.config.slope_annealing_rate) == (1.0, 1.1)
    assert dict(at.query_params)["pg_bval"] == "1.1"
    at = playground("pg_neuron=real&pg_b=estimator")
    assert any("no other estimator" in i for i in texts(at, "info")) and len(live_runs(at)) == 1


def test_play_takes_a_slot_and_waits_in_line_when_full(playground, texts):
    from dashboard import _data

    at = playground(f"{SMALL}&pg_speed=2")
    at.button(key="pg_play").click().run()
    assert not at.exception and live_runs(at)[0].g_updates == 2 and at.session_state["pg_playing"]
    slots = _data.playground_slots()
    owner = at.session_state["pg_owner"]
    assert slots.holds(owner)
    at.button(key="pg_pause").click().run()
    assert not slots.holds(owner) and not at.session_state["pg_playing"]
    try:
        slots.acquire("other-1"), slots.acquire("other-2")
        at.button(key="pg_play").click().run()
        assert any("you are number 1 in line" in i for i in texts(at, "info"))
        assert live_runs(at)[0].g_updates == 2  # nothing advanced while waiting
    finally:
        for o in ("other-1", "other-2", owner):
            slots.release(o)


def test_a_long_link_replays_only_in_a_live_slot(playground, texts):
    from dashboard import _data

    slots = _data.playground_slots()
    long_link = f"{SMALL}&pg_step=301"  # one more generator update than a link replays outside the slots
    try:
        slots.acquire("other-1"), slots.acquire("other-2")
        at = playground(long_link)
        assert not at.exception and any(
            "replays 301 generator updates" in i and "number 1 in line" in i for i in texts(at, "info")
        )
        assert "pg_exp" not in at.session_state and dict(at.query_params)["pg_step"] == "301"  # the link is kept
        slots.release("other-1")
        at.run()  # the waiting fragment's next tick reruns the page the same way
        assert not at.exception and live_runs(at)[0].g_updates == 301
        assert not slots.holds(at.session_state["pg_owner"])  # replayed, not playing: the slot is free again
    finally:
        slots.release("other-1"), slots.release("other-2")
    short = playground(f"{SMALL}&pg_step=300")
    assert live_runs(short)[0].g_updates == 300  # a short link replays at once, whatever the slots


def test_the_oracle_verdicts_are_on_the_page(playground):
    from explorer.playground import oracle

    at = playground(SMALL)
    table = next(d.value for d in at.dataframe if d.value.columns[0].startswith("G update"))
    assert list(table.iloc[:, 0]) == list(oracle.ARMS)
    verdicts = table[[c for c in table.columns if c.endswith("vs oracle")]].iloc[1:]
    assert verdicts.isin(["better", "worse", "no different"]).all().all()  # each arm judged on both metrics


def test_an_unreadable_oracle_result_is_a_message(playground, monkeypatch, tmp_path):
    from explorer.playground import oracle

    bad = tmp_path / "oracle.json"
    bad.write_text('{"runs": ')  # truncated
    monkeypatch.setattr(oracle, "RESULT", bad)
    at = playground(SMALL)
    assert not at.exception and any("oracle.json" in e.value for e in at.error)
