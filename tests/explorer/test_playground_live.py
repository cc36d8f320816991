"""The exact world, live: labelled updates, the log that replays a run bit for bit, and the caps on a run."""

from __future__ import annotations

import pytest

from explorer.playground import live as lv
from explorer.playground.train import PlaygroundConfig, Run

CONFIG = PlaygroundConfig(every=2)


def test_updates_are_labelled_and_logged():
    live = lv.Live(CONFIG)
    assert live.step_d().startswith("D update 1: critic loss ")
    assert live.step_g().startswith("G update 1: generator loss ")
    label = live.step()
    assert label.startswith("D updates 2–6: critic loss ") and "; G update 2: generator loss " in label
    assert lv.format_log(live.log) == "d1.g1.1" and (live.g_updates, live.d_updates) == (2, 6)
    for _ in range(5):
        live.step_d()
    live.step_g()  # five critic updates and a generator update fold into one step
    assert lv.format_log(live.log) == "d1.g1.2"


def test_a_log_replays_the_run_bit_for_bit():
    live = lv.Live(CONFIG)
    live.step_d(), live.step(), live.step_g()
    assert live.advance(2)[0] == 2
    again = lv.replayed(CONFIG, lv.parse_log(lv.format_log(live.log)))
    assert again.run.final == live.run.final and again.run.history.d_loss == live.run.history.d_loss
    direct = Run(CONFIG)
    direct.run(3)
    assert lv.replayed(CONFIG, lv.parse_log("3")).run.final == direct.final


@pytest.mark.parametrize("bad", ["x", "d0", "3.-1", "g", ".".join(["1"] * (lv.MAX_LOG_TOKENS + 1))])
def test_a_bad_log_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="count|parts"):
        lv.parse_log(bad)


def test_the_cap_bounds_a_replay_and_a_run(monkeypatch):
    assert lv.clip_log(lv.parse_log("5000"), 5) == ([("s", lv.MAX_G_UPDATES)], True)
    assert lv.clip_log(lv.parse_log("10.d3"), 5) == ([("s", 10), ("d", 3)], False)
    monkeypatch.setattr(lv, "MAX_G_UPDATES", 2)
    live = lv.Live(CONFIG)
    assert live.advance(5)[0] == 2 and live.g_updates == 2 and live.at_cap
    assert live.advance(5) == (0, None)
    with pytest.raises(lv.CapReached, match="cap of 2 generator updates"):
        live.step_g()
    with pytest.raises(lv.CapReached):
        lv.replayed(CONFIG, [("s", 3)])


def test_a_frame_budget_stops_after_one_step_at_least():
    live = lv.Live(CONFIG)
    taken, label = live.advance(50, seconds=0.0)
    assert taken == 1 and label is not None and "G update 1" in label


def test_estimators_and_run_b():
    assert "oracle" in lv.estimators_for("sbn") and "oracle" not in lv.estimators_for("dbn")
    assert lv.estimators_for("real") == ("none",)
    for neuron in ("sbn", "dbn", "real"):
        for estimator in lv.estimators_for(neuron):
            PlaygroundConfig(neuron=neuron, estimator=estimator)  # every offered pair is a valid config
    b, note = lv.variant(PlaygroundConfig(estimator="oracle"), "neuron", "dbn")
    assert (b.neuron, b.estimator) == ("dbn", "sigmoid-st") and "oracle" in note
    with pytest.raises(ValueError, match="lr_g"):
        lv.variant(CONFIG, "lr_g", -1.0)


def test_the_views_arrays():
    live = lv.Live(CONFIG)
    live.step()
    masses = lv.pattern_masses(live)
    assert masses.shape == (30,) and 0 <= masses.sum() <= 1
    assert lv.samples(live).shape == (lv.SAMPLES, 4, 4)
    assert lv.histogram(live)["edges"].shape == (26,)
    assert len(lv.losses(live)["D loss"][0]) == 5 and lv.losses(live)["D loss"][0][1] == pytest.approx(0.2)
    rows = lv.agreement_rows(live, repeats=4)
    assert [r["estimator"] for r in rows][:2] == ["sigmoid-st", "st"] and {"cosine", "bias", "variance"} <= set(rows[0])
    with pytest.raises(ValueError, match="SBN"):
        lv.agreement_rows(lv.Live(PlaygroundConfig(neuron="dbn")))
