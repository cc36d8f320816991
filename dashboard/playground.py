"""Playground: a binary GAN trained live in the exact world (4x4 bars-and-stripes), one labelled update at a time,
with p_G over every image and, for SBN, the true gradient beside each estimator's; or on MNIST, by the project's
trainer (dashboard/_playground_mnist.py). The address holds the settings and the updates taken, so a link rebuilds
the run where it was. Computing lives in explorer/playground/."""

import uuid
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _playground_mnist as mnist_world
from dashboard import _replay as replay
from dashboard import _session as session
from explorer import render
from explorer.playground import live as lv
from explorer.playground import oracle, world
from explorer.playground.slots import CAPACITY
from explorer.playground.train import PlaygroundConfig
from training.config import NEURONS, OBJECTIVES
from training.rng import MAX_SEED

TICK_S = 1.0  # seconds between frames while playing
MAX_SPEED = 50  # generator updates per frame
REPLAY_FREE = 300  # generator updates a link replays outside the live slots: under 10 s of one core, even the oracle's
DEFAULT_SPEED = 20  # 20 generator updates a second, a fifth of a second of one core for SBN's
FRAME_BUDGET_S = 0.5  # a frame stops stepping A after this long, so that a slow estimator cannot pile frames up
NO_B = "none"
WORLDS = {"exact": "The exact world (4×4)", "mnist": "MNIST, live"}


class Interval:
    """The numbers in [lo, hi], as a Container for the address helpers (NaN and infinities are outside)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.lo <= value <= self.hi


# field -> (address, label, lowest, highest, default, step, format, help)
NUMBERS: dict[str, tuple[str, str, float, float, float, float, str, str]] = {
    "initial_slope": ("pg_slope", "Initial slope", 0.1, 10.0, 1.0, 0.1, "%.2f", "s in σ(s·x) at the start."),
    "slope_annealing_rate": (
        "pg_anneal",
        "Slope annealing rate",
        0.5,
        2.0,
        1.0,
        0.01,
        "%.2f",
        "The slope's multiplier every 100 generator updates; 1 keeps it fixed.",
    ),
    "lr_g": ("pg_lrg", "Learning rate G", 1e-5, 0.1, 3e-3, 1e-4, "%.5f", "Adam (β 0.5, 0.9) for the generator."),
    "lr_d": ("pg_lrd", "Learning rate D", 1e-5, 0.1, 3e-3, 1e-4, "%.5f", "Adam (β 0.5, 0.9) for the critic."),
}
B_DEFAULTS = {"initial_slope": 2.0, "slope_annealing_rate": 1.1, "lr_g": 1e-3, "lr_d": 1e-3}  # B's differs from A's
CHOICES = {"neuron": ("pg_neuron", NEURONS), "objective": ("pg_obj", OBJECTIVES)}


def number(container: Any, field: str, key: str, param: str | None = None, default: float | None = None) -> float:
    address, label, lo, hi, default_a, step, fmt, help_text = NUMBERS[field]
    default = default_a if default is None else default
    param = param or address
    return float(
        session.address_widget(
            container.number_input,
            label,
            lo,
            hi,
            key=key,
            param=param,
            options=Interval(lo, hi),
            default=default,
            cast=float,
            refused=session.refusal(param, f"the {label.lower()} is a number in [{lo:g}, {hi:g}]", default),
            step=step,
            format=fmt,
            help=help_text,
        )
    )


def choice(container: Any, label: str, options: tuple[str, ...], key: str, param: str, default: str, **kw: Any) -> str:
    """A selectbox in the address; a kept choice that the options no longer hold (another neuron's estimator)
    becomes `default`."""
    return str(
        session.address_widget(
            container.selectbox,
            label,
            options,
            key=key,
            param=param,
            options=options,
            default=default,
            fallback=default,
            refused=session.refusal(param, f"not one of {', '.join(options)}", default),
            **kw,
        )
    )


def forget_b_value() -> None:
    st.query_params.pop("pg_bval", None)  # another field's value: the new field's widget starts at its default


st.title("Playground")
ss = st.session_state
ss.setdefault("pg_owner", uuid.uuid4().hex)
world_name = str(
    session.address_widget(
        st.radio,
        "World",
        tuple(WORLDS),
        key="pg_world",
        param="pg_world",
        options=tuple(WORLDS),
        default="exact",
        refused=session.refusal("pg_world", f"not one of {', '.join(WORLDS)}", "exact"),
        format_func=WORLDS.get,
        horizontal=True,
        label_visibility="collapsed",
    )
)
if world_name == "mnist":
    ss.pg_playing = False  # one live run per session: the exact world's pauses
    mnist_world.show(ss.pg_owner)
    st.stop()
ss.pgm_playing = False
st.markdown(
    "A binary GAN small enough to know exactly: 4×4 images, the 30 bars-and-stripes patterns as the data, a generator "
    "from 32 latents. The generator's distribution over all 65,536 images is computed, not sampled, so the "
    "divergences are exact, and for the stochastic binary neuron so is the gradient each estimator approximates "
    "(docs/playground.md). Step the critic (D) and the generator (G) by hand, or play; the address keeps the "
    f"settings and the updates taken, up to {lv.MAX_G_UPDATES:,} generator updates a run."
)
ss.setdefault("pg_playing", False)
slots = data.playground_slots()

with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    neuron = choice(c1, "Neuron", NEURONS, "pg_neuron", "pg_neuron", "sbn", help="The generator's output neuron.")
    offered = lv.estimators_for(neuron)
    estimator = choice(
        c2,
        "Estimator",
        offered,
        "pg_est",
        "pg_est",
        "sigmoid-st" if "sigmoid-st" in offered else offered[0],
        help="How the generator's gradient passes the neuron; 'oracle' is the exact gradient (SBN only).",
    )
    objective = choice(c3, "Objective", OBJECTIVES, "pg_obj", "pg_obj", "wgan-gp")
    seed = session.int_input(
        c4,
        "Seed",
        0,
        MAX_SEED,
        key="pg_seed",
        param="pg_seed",
        default=0,
        what="a seed",
        help="Weights, real batches and neuron noise all come from it: one seed, one trajectory.",
    )
    d1, d2, d3, d4, d5 = st.columns(5)
    numbers = {field: number(col, field, f"pg_{field}") for col, field in zip((d1, d2, d3, d4), NUMBERS, strict=True)}
    speed = session.int_input(
        d5,
        "Speed",
        1,
        MAX_SPEED,
        key="pg_speed",
        param="pg_speed",
        default=DEFAULT_SPEED,
        what="the speed",
        help="Generator updates per frame while playing (a frame a second).",
    )
    b1, b2 = st.columns([1, 3])
    b_field = choice(
        b1,
        "Run B beside it changes",
        (NO_B, *lv.FIELDS),
        "pg_b",
        "pg_b",
        NO_B,
        format_func=lambda f: "nothing (A alone)" if f == NO_B else lv.FIELDS[f],
        on_change=forget_b_value,
        help="A second run, the same seed and settings but this one field, stepped together with A.",
    )
    b_value: Any = None
    if b_field in NUMBERS:
        b_value = number(b2, b_field, f"pg_bval_{b_field}", "pg_bval", B_DEFAULTS[b_field])
    elif b_field != NO_B:
        b_options = lv.estimators_for(neuron) if b_field == "estimator" else dict(CHOICES)[b_field][1]
        current = {"neuron": neuron, "estimator": estimator, "objective": objective}[b_field]
        others = [o for o in b_options if o != current]
        if others:
            b_value = choice(b2, f"B's {lv.FIELDS[b_field]}", tuple(others), f"pg_bval_{b_field}", "pg_bval", others[0])
        else:
            b2.info(f"The {neuron} neuron has no other {lv.FIELDS[b_field]}: A runs alone.", icon=":material/info:")
            b_field = NO_B
    else:
        st.query_params.pop("pg_bval", None)

try:
    config_a = PlaygroundConfig(
        neuron=neuron,
        estimator=estimator,
        objective=objective,
        seed=seed,
        initial_slope=numbers["initial_slope"],
        slope_annealing_rate=numbers["slope_annealing_rate"],
        lr_g=numbers["lr_g"],
        lr_d=numbers["lr_d"],
    )
except ValueError as e:
    st.error(f"These settings do not make a run: {e}.", icon=":material/error:")
    st.stop()
config_b, b_note = None, ""
if b_field != NO_B:
    try:
        config_b, b_note = lv.variant(config_a, b_field, b_value)
    except ValueError as e:
        st.error(f"Run B cannot be built: {e}. A runs alone.", icon=":material/error:")
    if config_b == config_a:
        st.info("B's value is A's: choose another to compare.", icon=":material/info:")
        config_b = None


def address_log() -> list[tuple[str, int]]:
    """The updates the address asks for, mended with a message when they cannot be replayed."""
    raw = st.query_params.get("pg_step", "")
    try:
        log = lv.parse_log(raw)
    except ValueError as e:
        st.warning(
            f"Ignored pg_step={raw[:20]!r} in the address: {e}; starting at update 0.", icon=":material/warning:"
        )
        return []
    clipped, cut = lv.clip_log(log, config_a.n_critic)
    if cut:
        g, _ = lv.updates(log, config_a.n_critic)
        st.warning(
            f"The address asks for {g:,} generator updates, beyond the cap of {lv.MAX_G_UPDATES:,} per run; "
            f"replaying to the cap.",
            icon=":material/warning:",
        )
    return clipped


def build(log: list[tuple[str, int]], a: lv.Live | None = None) -> None:
    """A (unless given, already at `log`) and B replayed to `log`."""
    g, _ = lv.updates(log, config_a.n_critic)
    with st.spinner(f"Replaying {g:,} generator updates…" if g else "Building the run…"):
        runs = [a or lv.replayed(config_a, log)] + ([lv.replayed(config_b, log)] if config_b is not None else [])
    ss.pg_exp = {"key": (config_a, config_b), "runs": runs, "label": ss.get("pg_exp", {}).get("label", ""), "agree": {}}


def pause() -> None:
    ss.pg_playing = False
    slots.release(ss.pg_owner)


exp = ss.get("pg_exp")
if exp is None:
    log = address_log()
    if not replay.may_replay(slots, ss.pg_owner, lv.updates(log, config_a.n_critic)[0], REPLAY_FREE):
        st.stop()
    build(log)
elif exp["key"] != (config_a, config_b):
    if exp["key"][0] == config_a:  # only B changed: B replays A's updates, so the two stay in step
        build(exp["runs"][0].log, exp["runs"][0])
    else:
        pause()
        build([])
        ss.pg_exp["label"] = "Settings changed: a new run from update 0."
if not ss.pg_playing:
    slots.release(ss.pg_owner)


def act(action: str) -> None:
    """Every run takes the same update; the label is A's (and B's loss beside it)."""
    exp = ss.pg_exp
    try:
        if action == "play":
            a, *others = exp["runs"]
            taken, first = a.advance(speed, FRAME_BUDGET_S)
            labels = [first, *(other.advance(taken)[1] for other in others)]  # B takes as many: the two stay in step
            if exp["runs"][0].at_cap:
                pause()
                labels = [f"Paused at the cap of {lv.MAX_G_UPDATES:,} generator updates. " + (labels[0] or "")]
        else:
            labels = [getattr(r, action)() for r in exp["runs"]]
    except lv.CapReached as e:
        pause()
        exp["label"] = f"Nothing done: {e}."
        return
    exp["label"] = " · ".join(f"{'AB'[i]}: {t}" if len(labels) > 1 else t for i, t in enumerate(labels) if t)


def views(i: int, run: lv.Live, where: Any) -> None:
    exact = run.run.final
    with where:
        name = "A" if i == 0 else f"B ({lv.FIELDS[b_field]} {session.format_value(b_value)})"
        c = run.config
        st.subheader(f"{name}: {c.neuron}, {c.estimator}, {c.objective}")
        m = st.columns(4)
        m[0].metric("G updates", run.g_updates, help=f"{run.d_updates} critic updates; slope {run.run.slope:.3g} now")
        m[1].metric("JS (nats)", f"{exact.js:.4f}", help="JS(p_data, p_G), exact; at most log 2 = 0.693.")
        m[2].metric("KL (nats)", f"{exact.kl:.3f}" if exact.kl != float("inf") else "∞", help="KL(p_data ‖ p_G).")
        m[3].metric("Patterns covered", f"{exact.covered} / {world.PATTERNS}")
        st.plotly_chart(charts.pattern_bars(lv.pattern_masses(run), i, 1 / world.PATTERNS), key=f"pg_patterns_{i}")
        st.caption(
            f"p_G on each of the 30 patterns (dotted: the data's 1/30). Mass off the patterns: **{exact.off_data:.3f}**."
        )
        st.image(render.colormap_png(lv.samples(run), ncols=lv.SAMPLES, scale=12), caption="Samples of 8 latents")
        hist = charts.histograms({name: lv.histogram(run)}, [name], height=240)
        st.plotly_chart(hist, key=f"pg_hist_{i}")
        st.caption("Preactivated outputs p = σ(θ) of all 32 latents and 16 pixels.")
        if c.neuron == "sbn":
            at = (run.g_updates, run.d_updates)
            kept = ss.pg_exp["agree"].get(i)
            if kept is None or kept[0] != at:
                kept = (at, lv.agreement_rows(run))
                ss.pg_exp["agree"][i] = kept
            st.dataframe(pd.DataFrame(kept[1]), hide_index=True, key=f"pg_agree_{i}")
            st.caption(
                "Each estimator against the true gradient at this generator and critic: cosine, relative bias and "
                "relative variance over 16 independent estimates."
            )


@st.fragment(run_every=TICK_S if ss.pg_playing else None)
def live() -> None:
    b = st.columns(5)
    action = None
    if b[0].button("Step D", key="pg_do_d", help="One critic update", icon=":material/shield:"):
        action = "step_d"
    if b[1].button("Step G", key="pg_do_g", help="One generator update", icon=":material/brush:"):
        action = "step_g"
    if b[2].button("Step", key="pg_do_step", help="5 critic updates, then one generator update"):
        action = "step"
    if ss.pg_playing:
        if b[3].button("Pause", key="pg_pause", icon=":material/pause:"):
            pause()
            st.rerun()
    elif b[3].button("Play", key="pg_play", icon=":material/play_arrow:", help=f"{speed} G updates a second"):
        ss.pg_playing = True
        st.rerun()
    if b[4].button("Reset", key="pg_reset", icon=":material/restart_alt:"):
        pause()
        build([])
        ss.pg_exp["label"] = "Reset: update 0."
        st.rerun()
    if action is not None:
        act(action)
    if ss.pg_playing:
        place = slots.acquire(ss.pg_owner)
        if place:
            st.info(
                f"The server trains {CAPACITY} live runs at a time and they are taken: you are number {place} in "
                "line. Playing starts by itself when one pauses; the step buttons work meanwhile.",
                icon=":material/hourglass_top:",
            )
        else:
            act("play")
            if not ss.pg_playing:
                st.rerun()
    exp = ss.pg_exp
    session.to_address(pg_step=lv.format_log(exp["runs"][0].log))
    with st.container(key="pg_label"):
        st.markdown(f"**{exp['label']}**" if exp["label"] else "Update 0: nothing trained yet.")
    if b_note:
        st.caption(b_note)
    runs = exp["runs"]
    columns = st.columns(len(runs))
    for i, run in enumerate(runs):
        views(i, run, columns[i])
    names = ["A"] + (["B"] if len(runs) > 1 else [])
    k1, k2 = st.columns(2)
    with k1:
        series = {f"{n} {q}": xy for n, r in zip(names, runs, strict=True) for q, xy in lv.curves(r).items()}
        charts.show(charts.lines(series, list(series), "Exact divergences", "G update", "nats"), key="pg_js")
    with k2:
        series = {f"{n} {q}": xy for n, r in zip(names, runs, strict=True) for q, xy in lv.losses(r).items()}
        charts.show(charts.lines(series, list(series), "Losses", "G update", "loss"), key="pg_losses")


live()

st.subheader("Does straight-through's bias cost anything? The oracle experiment")
st.markdown(
    "Each estimator and the exact gradient (the oracle) train the SBN generator with WGAN-GP for "
    f"{oracle.STEPS} generator updates, seeds {', '.join(map(str, oracle.SEEDS))}; by the rule stated before the "
    "runs (docs/playground.md), an estimator is better or worse than the oracle when the intervals mean ± sd over "
    "the seeds do not overlap."
)
try:
    result = oracle.read()
    st.dataframe(oracle.verdict_rows(result), hide_index=True, width="stretch")
    st.caption(oracle.campaign_cost(result))
except (OSError, ValueError, KeyError) as e:
    st.error(f"The oracle's shipped result ({oracle.RESULT.name}) cannot be read: {e}", icon=":material/error:")
