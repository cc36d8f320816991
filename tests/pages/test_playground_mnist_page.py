"""The Playground's MNIST world: without data it says how to get it and keeps the exact world; with data it steps the
trainer's updates, keeps them in the address, replays a link and saves a run that loads as a checkpoint."""

from __future__ import annotations

import pytest

from explorer.playground.mnist import MnistRun
from training.data import load_split
from training.pretrained import BinaryGAN

VARIANT = "mlp-dbn-wgan"  # the cheapest update


@pytest.fixture
def world(make_app, checkpoints_root, monkeypatch):
    from dashboard import _data

    def open_page(data_dir, query=""):
        monkeypatch.setenv("BINARYGAN_DATA", str(data_dir))
        _data.mnist_train.clear()  # the split is kept per process; each test names its own folder
        return make_app(checkpoints_root, "playground", "pg_world=mnist" + (f"&{query}" if query else ""), True)

    yield open_page
    _data.mnist_train.clear()


def run_of(at) -> MnistRun:
    return at.session_state["pgm"]["run"]


def test_without_data_the_page_says_how_to_get_it_and_offers_the_exact_world(world, tmp_path, texts):
    at = world(tmp_path / "nothing-here")
    said = " ".join(texts(at, "info"))
    assert "python -m training download" in said and str(tmp_path / "nothing-here") in " ".join(texts(at, "caption"))
    assert "pgm" not in at.session_state
    at.radio(key="pg_world").set_value("exact").run()
    assert not at.exception and at.session_state["pg_exp"]["runs"][0].g_updates == 0


def test_step_trains_the_trainers_update_and_the_address_keeps_it(world, full_mnist, texts):
    at = world(full_mnist, f"pgm_variant={VARIANT}&pgm_seed=2")
    assert not at.error and run_of(at).g_updates == 0
    at.button(key="pgm_do_step").click().run()
    run = run_of(at)
    assert run.g_updates == 1 and dict(at.query_params)["pgm_steps"] == "1"
    assert any("G update 1 (after 100 critic updates)" in m for m in texts(at, "markdown"))
    split = load_split("train", full_mnist)
    direct = MnistRun(VARIANT, 2, split.images, split.sha256)
    direct.step()
    assert run.g_loss == direct.g_loss  # the same trainer update, on the same machine


def test_a_link_replays_its_updates_and_a_saved_run_loads(world, full_mnist, tmp_path, monkeypatch, texts):
    monkeypatch.chdir(tmp_path)  # Save writes under the server's working folder
    at = world(full_mnist, f"pgm_variant={VARIANT}&pgm_seed=1&pgm_steps=2")
    run = run_of(at)
    assert run.g_updates == 2 and run.cfg.name == VARIANT
    at.button(key="pgm_save").click().run()
    (saved,) = (tmp_path / "runs" / "playground").iterdir()
    assert BinaryGAN.from_pretrained(saved).provenance["playground"]["g_updates"] == 2
    assert any(str(saved.relative_to(tmp_path)) in s for s in texts(at, "success"))


def test_a_link_waits_in_line_for_a_live_slot_to_replay(world, full_mnist, texts):
    from dashboard import _data

    slots = _data.playground_slots()
    try:
        slots.acquire("other-1"), slots.acquire("other-2")
        at = world(full_mnist, f"pgm_variant={VARIANT}&pgm_steps=1")
        assert not at.exception and any("number 1 in line" in i for i in texts(at, "info"))
        assert "pgm" not in at.session_state
    finally:
        slots.release("other-1"), slots.release("other-2")
    at.run()
    assert run_of(at).g_updates == 1


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("pgm_steps=oops", "Ignored pgm_steps='oops' in the address"),
        ("pgm_steps=5000", "Ignored pgm_steps='5000' in the address"),
        ("pgm_variant=cnn-dbn-wgan-gp", "Ignored pgm_variant='cnn-dbn-wgan-gp' in the address"),
        ("pgm_seed=-4", "Ignored pgm_seed='-4' in the address"),
    ],
)
def test_bad_address_values_are_messages(world, full_mnist, texts, query, said):
    at = world(full_mnist, f"pgm_variant={VARIANT}&{query}" if "variant" not in query else query)
    assert not at.exception and any(said in w for w in texts(at, "warning")), texts(at, "warning")
    assert run_of(at).g_updates == 0


def test_a_bad_world_in_the_address_is_a_message(make_app, checkpoints_root, texts):
    at = make_app(checkpoints_root, "playground", "pg_world=moon", True)
    assert any("Ignored pg_world='moon'" in w for w in texts(at, "warning"))
