"""Overview: what BinaryGAN is, and a catalogue of every variant; the variants chosen here carry to other pages."""

from typing import Literal

import streamlit as st

from dashboard import _data as data
from dashboard import _guards as guards
from dashboard import _session as session
from explorer import claims, files, findings, gated, tables
from training.metrics import METRICS

# Filled nodes with dark text and mid-grey edges read well on light and dark backgrounds alike.
DIAGRAM = """
digraph {
  rankdir=LR; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11, color="#888888", fontcolor="#1f2430"];
  edge [color="#888888", fontcolor="#888888", fontname="sans-serif", fontsize=10];
  z [label="z ~ N(0, I)\\n128-d", fillcolor="#dbe7f7"];
  G [label="generator\\nMLP or CNN", fillcolor="#dbe7f7"];
  p [label="p = σ(s·x)\\npreactivated output", fillcolor="#fbe5c8"];
  y [label="binary neuron\\nDBN: p > 0.5\\nSBN: u < p", fillcolor="#fbe5c8"];
  D [label="discriminator\\nGAN / WGAN / WGAN-GP", fillcolor="#dcefd9"];
  real [label="binarised MNIST", fillcolor="#dcefd9"];
  z -> G; G -> p [label="x"]; p -> y; y -> D [label="{0,1}^784"]; real -> D;
  D -> p [style=dashed, constraint=false, label="∂/∂p passes straight through:\\ndy/dx = s·p·(1−p)"];
}
"""

# The first screen shows digits: the three output neurons' samples, drawn into this slot once the text is up
HERO = (("mlp-dbn-wgan-gp", "DBN: p > 0.5"), ("mlp-sbn-wgan-gp", "SBN: a Bernoulli(p) draw"))
HERO_GRID = 6  # k x k samples each

st.title("BinaryGAN Explorer")
st.markdown(
    "**A GAN whose generator emits binary pixels directly, trained end to end through its binary neurons.** "
    "Samples of seed 0, drawn live:"
)
hero = st.container()
st.markdown(
    "BinaryGAN (Dong & Yang, 2018) trains a GAN whose generator ends in **binary neurons**, so it emits "
    "{0, 1} pixels directly, with no post-processing. The output layer computes the *preactivated output* "
    "p = σ(s·x); a deterministic binary neuron (**DBN**) thresholds it at 0.5, a stochastic one (**SBN**) "
    "samples a Bernoulli(p). Binarisation has no useful gradient, so the backward pass pretends it was the "
    "identity on p (the *sigmoid-adjusted straight-through estimator*), and the slope s is annealed "
    "(×1.1 per epoch) to sharpen that estimate as training goes on."
)
st.graphviz_chart(DIAGRAM, width="stretch")

st.subheader("Variants")
root = str(data.data_root())
table = data.variant_table()
if table.attrs.get("metrics_error"):
    st.error(f"The evaluation summary cannot be read, so headline metrics are missing: {table.attrs['metrics_error']}")
trained = int((table["status"] == files.TRAINED).sum())
st.caption(f"{trained} of {len(table)} variants trained. Metrics appear once a variant is evaluated.")
session.pick_variants("overview", "Compare these variants on the other pages")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "BN in D": st.column_config.CheckboxColumn("BN in D"),
        "G params": st.column_config.NumberColumn(format="localized"),
        "D params": st.column_config.NumberColumn(format="localized"),
        **{m.label: st.column_config.NumberColumn(format=f"%.{m.decimals}f") for m in METRICS if m.headline},
        "description": st.column_config.TextColumn(width="large"),
    },
)

st.subheader("The paper's claims, measured")
st.caption(
    "The paper reports these qualitatively. Here each is judged by the stated rule on the evaluation "
    "metrics (10,000 samples per model, see *Training and metrics*), once per training seed, under two "
    "recipes: the paper's text (annealed slope, BatchNorm with batch statistics) and what its reference "
    "code ran (slope fixed at 1, BatchNorm as a learned affine, its initialisation). Verdicts update when "
    "a variant or seed is retrained."
)
BADGE: dict[str, tuple[Literal["green", "red", "orange", "gray"], str]] = {
    claims.SUPPORTED: ("green", ":material/check:"),
    claims.CONTRADICTED: ("red", ":material/close:"),
    claims.MIXED: ("orange", ":material/contrast:"),
    claims.PENDING: ("gray", ":material/hourglass_empty:"),
}
try:
    by_seed = data.seed_metrics()
except files.DataFileError:
    by_seed = {}  # already reported above the catalogue; every claim shows as not measured
for judgement in claims.judge(by_seed):
    with st.container(border=True):
        st.markdown(f"**{judgement.paper}** *{judgement.source}*")
        for column, verdict in zip(st.columns(len(judgement.recipes)), judgement.recipes.values(), strict=True):
            with column:
                colour, icon = BADGE[verdict.verdict]
                st.markdown(f"*{claims.RECIPE_LABELS[verdict.recipe].capitalize()}*")
                st.badge(verdict.tally, color=colour, icon=icon)
                for claim in verdict.seeds:
                    st.markdown(f"Seed {claim.seed}: {claim.summary}")
                if len(verdict.seeds) > 1:
                    st.dataframe(tables.spread_table(verdict.spread), hide_index=True, width="stretch")
        st.caption(f"Rule: {judgement.rule}")

st.subheader("Beyond the paper: other gradient estimators")
baseline, verdicts = findings.judge_estimators(by_seed)
with st.container(border=True):
    st.markdown(f"**{findings.QUESTION}**")
    st.markdown(findings.answer(verdicts))
    st.dataframe(tables.estimator_table(baseline, verdicts), hide_index=True, width="stretch")
    gates_st, gates_verdicts = findings.judge_gates(by_seed)
    st.markdown(
        f"**{findings.GATES_QUESTION}** `{findings.GATES_WITH_ESTIMATOR}` against `{findings.GATES_WITH_ST}`: FD "
        f"**{gates_verdicts[0].verdict}**."
    )
    st.dataframe(tables.estimator_table(gates_st, gates_verdicts), hide_index=True, width="stretch")
    st.caption(f"Rule, stated before the estimator variants trained: {findings.RULE} See docs/estimators.md.")

st.subheader("Beyond the paper: conditional computation")
with st.container(border=True):
    st.markdown(f"**{gated.QUESTION}**")
    try:
        shipped_gates = data.gated_metrics()
        gated_summary, gated_verdicts = shipped_gates["summary"], shipped_gates["verdicts"]
    except files.DataFileError as e:
        if table.attrs.get("metrics_error"):  # the same broken summary, already reported above
            st.info("Not judged: the evaluation summary cannot be read (see above).", icon=":material/info:")
        else:
            st.error(f"The gate metrics cannot be read: {e}", icon=":material/error:")
    else:
        for v in gated_verdicts:
            st.markdown(
                f"`{v.variant}` against `{v.dense}`: FD **{v.quality}**; collapsed seeds: "
                f"{', '.join(map(str, v.collapsed_seeds)) or 'none'}; experts specialise by digit: "
                f"{ {True: 'yes', False: 'no', None: 'no verdict yet'}[v.specialised] }."
            )
        st.dataframe(gated_summary, hide_index=True, width="stretch")
        controls = shipped_gates["control_verdicts"]
        st.markdown(
            f"**{gated.CONTROLS_QUESTION}** Against random routing, soft routing and a dense generator one expert "
            f"wide, the DBN-gated generator's FD gain comes from: **{controls.attribution}**; the gain "
            f"**{controls.parameters}**."
        )
        st.dataframe(shipped_gates["controls"], hide_index=True, width="stretch")
    st.caption(
        "Rules, stated before the gated variants trained (docs/conditional.md): FD better or worse than the dense "
        "twin's when the bands mean ± sd over seeds 0–2 do not overlap; a seed collapses when its usage entropy is "
        f"below {gated.COLLAPSE_BITS:g} bit or an expert is idle; the experts specialise when NMI with the digit "
        f"exceeds {gated.SPECIALISED_NMI:g} in every seed. The controls, by the rule stated before they trained: "
        f"{gated.CONTROLS_RULE} The Conditional computation page has the rest."
    )


def show_hero() -> None:
    columns = st.columns(len(HERO) + 1)
    for column, (name, label) in zip(columns, HERO, strict=False):
        with column:
            views = guards.guarded(st, name, data.sample_views, name, HERO_GRID**2, 0, HERO_GRID)
            if views is not None:
                st.image(views["binary"], caption=f"{label} (`{name}`)", width="stretch")
    with columns[-1]:
        st.markdown(
            "Every pixel is exactly 0 or 1, with no thresholding after the fact. The Samples page shows each "
            "next to its preactivated output p; the Histograms page shows how training pushes p away from 0.5."
        )


with hero:
    show_hero()
