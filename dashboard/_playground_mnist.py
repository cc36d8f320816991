"""The Playground's MNIST world: a registry MLP variant trained live by the project's trainer, one generator update
at a time, with its samples, its pre-activation histogram and its losses; a finished run is saved as a checkpoint
folder. The address holds the variant, the seed, the speed and the updates taken. Computing lives in
explorer/playground/mnist.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _replay as replay
from dashboard import _session as session
from explorer import analysis, render
from explorer.playground import mnist
from explorer.playground.slots import CAPACITY
from training.rng import MAX_SEED

TICK_S = 1.0  # seconds between frames while playing
MAX_SPEED = 50  # generator updates per frame
FRAME_BUDGET_S = 0.5  # a frame stops training after this long, so a slow warm-up update cannot pile frames up
SAVED = Path("runs/playground")  # where Save writes, relative to the server's working folder


def no_data(e: mnist.DataError) -> None:
    st.info(
        "The MNIST world trains on the MNIST training split, and this server has none: "
        f"it reads the four IDX files from `{mnist.DEFAULT_DATA_DIR}`, or from the folder `${mnist.DATA_ENV}` names.\n\n"
        "Fetch them (11 MB, checked by sha256) with\n\n"
        "```\npython -m training download --data-dir data/mnist\n```\n\n"
        "then reload this page. The exact world needs no data: choose it above.",
        icon=":material/download:",
    )
    st.caption(f"What the data folder said: {e}")


def zipped(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{folder.name}/{f.name}")
    return buf.getvalue()


def show(owner: str) -> None:
    st.markdown(
        "Real MNIST, trained live by the project's own trainer: the same updates `python -m training train` takes "
        f"for this variant and seed, one generator update at a time, up to {mnist.MAX_G_UPDATES:,} of them. Not "
        "exact, as the 4×4 world is, but real. The first 25 updates each take 100 critic updates (the reference "
        "code's warm-up), so they are slower."
    )
    try:
        split = data.mnist_train()
    except mnist.DataError as e:
        no_data(e)
        return
    ss = st.session_state
    ss.setdefault("pgm_playing", False)
    slots = data.playground_slots()
    with st.container(border=True):
        c1, c2, c3 = st.columns([3, 1, 1])
        variant = str(
            session.address_widget(
                c1.selectbox,
                "Variant",
                mnist.VARIANTS,
                key="pgm_variant",
                param="pgm_variant",
                options=mnist.VARIANTS,
                default="mlp-sbn-wgan-gp",
                refused=session.refusal("pgm_variant", "not an MLP variant of the registry", "mlp-sbn-wgan-gp"),
                help="Its config, as the registry has it: neuron, estimator, objective, recipe.",
            )
        )
        seed = session.int_input(
            c2,
            "Seed",
            0,
            MAX_SEED,
            key="pgm_seed",
            param="pgm_seed",
            default=0,
            what="a seed",
            help="The training seed: initial weights, data order, latents and neuron noise.",
        )
        speed = session.int_input(
            c3,
            "Speed",
            1,
            MAX_SPEED,
            key="pgm_speed",
            param="pgm_speed",
            default=10,
            what="the speed",
            help="Generator updates per frame while playing (a frame a second), fewer during the warm-up.",
        )

    def pause() -> None:
        ss.pgm_playing = False
        slots.release(owner)

    def start(steps: int) -> None:
        run = mnist.MnistRun(variant, seed, split.images, split.sha256)
        if steps:
            bar = st.progress(0.0, text=f"Replaying {steps:,} generator updates…")
            for i in range(steps):
                run.step()
                bar.progress((i + 1) / steps, text=f"Replaying generator update {i + 1:,} of {steps:,}…")
            bar.empty()
        ss.pgm = {"key": (variant, seed), "run": run, "label": "", "saved": None}

    exp = ss.get("pgm")
    if exp is None or exp["key"] != (variant, seed):
        if exp is not None:
            pause()
        raw = st.query_params.get("pgm_steps", "0") if exp is None else "0"
        steps = int(raw) if raw.isdigit() else -1
        if not 0 <= steps <= mnist.MAX_G_UPDATES:
            st.warning(
                f"Ignored pgm_steps={raw[:20]!r} in the address: a count of generator updates in "
                f"[0, {mnist.MAX_G_UPDATES:,}]; starting at update 0.",
                icon=":material/warning:",
            )
            steps = 0
        if not replay.may_replay(slots, owner, steps, 0):
            st.stop()
        start(steps)
    if not ss.pgm_playing:
        slots.release(owner)

    @st.fragment(run_every=TICK_S if ss.pgm_playing else None)
    def live() -> None:
        exp = ss.pgm
        run: mnist.MnistRun = exp["run"]
        b = st.columns(5)
        if b[0].button("Step", key="pgm_do_step", help="One generator update, after its critic updates"):
            if run.at_cap:
                exp["label"] = f"Nothing done: this run has reached the cap of {mnist.MAX_G_UPDATES:,} updates."
            else:
                exp["label"] = run.step()
        if ss.pgm_playing:
            if b[1].button("Pause", key="pgm_pause", icon=":material/pause:"):
                pause()
                st.rerun()
        elif b[1].button("Play", key="pgm_play", icon=":material/play_arrow:", help=f"{speed} updates a second"):
            ss.pgm_playing = True
            st.rerun()
        if b[2].button("Reset", key="pgm_reset", icon=":material/restart_alt:"):
            pause()
            start(0)
            ss.pgm["label"] = "Reset: update 0."
            st.rerun()
        if b[3].button("Save", key="pgm_save", icon=":material/save:", disabled=run.g_updates == 0):
            folder = run.save(SAVED / f"{run.cfg.name}-seed{run.seed}-g{run.g_updates}")
            exp["saved"] = (folder, zipped(folder))
        if ss.pgm_playing:
            place = slots.acquire(owner)
            if place:
                st.info(
                    f"The server trains {CAPACITY} live runs at a time and they are taken: you are number {place} "
                    "in line. Playing starts by itself when one pauses; Step works meanwhile.",
                    icon=":material/hourglass_top:",
                )
            else:
                _, label = run.advance(speed, FRAME_BUDGET_S)
                exp["label"] = label or exp["label"]
                if run.at_cap:
                    pause()
                    exp["label"] = f"Paused at the cap of {mnist.MAX_G_UPDATES:,} generator updates. {exp['label']}"
                    st.rerun()
        session.to_address(pgm_steps=run.g_updates)
        with st.container(key="pgm_label"):
            st.markdown(f"**{exp['label']}**" if exp["label"] else "Update 0: nothing trained yet.")
        if exp["saved"] is not None:
            folder, blob = exp["saved"]
            st.success(
                f"Saved to `{folder}`: generator, critic, config and history, as the trainer writes a checkpoint. "
                f"Load it with `BinaryGAN.from_pretrained({str(folder)!r})`.",
                icon=":material/check_circle:",
            )
            b[4].download_button("Download", blob, f"{folder.name}.zip", "application/zip", key="pgm_download")
        m = st.columns(4)
        m[0].metric("G updates", f"{run.g_updates:,}", help=f"of {mnist.MAX_G_UPDATES:,} a run")
        m[1].metric("Epoch", f"{run.g_updates / run.steps_per_epoch:.2f}", help=f"{run.steps_per_epoch} updates each")
        m[2].metric("Slope", f"{run.slope:.3g}")
        m[3].metric("Training time", f"{run.seconds:.1f} s")
        binary, pre = run.samples()
        left, right = st.columns(2)
        with left:
            st.image(
                render.colormap_png(binary.astype("float32"), ncols=8, scale=2),
                caption=f"Samples of the seed's first {mnist.SAMPLES} latents, as the other pages draw them",
            )
            st.image(render.colormap_png(pre, ncols=8, scale=2), caption="Their preactivated outputs p = σ(s·x)")
        with right:
            edges, heights = analysis.histogram(pre, bins=50)
            hist = charts.histograms({run.cfg.name: {"edges": edges, "heights": heights}}, [run.cfg.name], height=260)
            st.plotly_chart(hist, key="pgm_hist")
            st.caption("The preactivated outputs of the samples above (16 × 784 values).")
        x = [float(i + 1) for i in range(run.g_updates)]
        series = {"D loss": (x, run.d_loss), "G loss": (x, run.g_loss)}
        charts.show(charts.lines(series, list(series), "Losses", "G update", "loss"), key="pgm_losses")

    live()
