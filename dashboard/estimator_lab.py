"""Estimator lab: nine estimators of the SBN generator's gradient at equal budgets of critic evaluations, each set
against the exact gradient for one sample (read from shipped files, or computed live)."""

import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _session as session
from explorer import CheckpointError
from explorer.estimator_lab import compute, reports, store
from explorer.gradient_lab.compute import ESTIMATOR_LABELS, GRID

st.title("Estimator lab")
st.markdown(
    "The generator needs ∂E[D(b)]/∂θ, b ~ Bernoulli(σ(θ)), θ = s·x. Nine estimators of it, each given the same "
    "budget of critic evaluations per latent: the paper's sigmoid-adjusted straight-through and five others at its "
    "cost of one evaluation and one backward pass a draw (ReinMax, ZGR, Gumbel-Rao, GST-1.0, Decoupled ST), RLOO "
    "(one evaluation a draw, at least two draws), DisARM (two a pair) and REBAR (three a draw, two backward "
    "passes). Each is run many times, independently, and set against the exact gradient: bias², variance, their "
    "sum the MSE of one estimate, and the cosine."
)
sbn = compute.offered_variants(data.data_root())
if not sbn:
    st.info("No SBN variant has a critic here: the estimators need a stochastic binary neuron.", icon=":material/info:")
    st.stop()
chosen = st.session_state.get("gradlab_variant")  # the gradient lab's variant, when it is an SBN
c1, c2, c3 = st.columns([2, 1, 1])
est_name = session.address_widget(
    c1.selectbox,
    "SBN variant",
    sbn,
    key="estlab_variant",
    param="est_critic",
    options=sbn,
    default=chosen if chosen in sbn else sbn[0],
    help="Variants with a stochastic binary output and a shipped critic.",
)
with c2:
    seed = session.seed_input("estlab")
est_index = int(
    session.address_widget(
        c3.number_input,
        "Sample",
        0,
        GRID - 1,
        key="estlab_sample",
        param="est_sample",
        options=range(GRID),
        default=0,
        cast=int,
        help=f"One of seed {seed}'s first {GRID} samples.",
    )
)

try:
    shipped_study = data.shipped_study(est_name)
    if shipped_study is not None and shipped_study.sources != data.sources(est_name):
        st.warning(
            f"**{est_name}**'s shipped study was computed from another generator or critic; recompute it "
            f"with `python -m explorer.estimator_lab --write {est_name}`.",
            icon=":material/warning:",
        )
        shipped_study = None
except (CheckpointError, OSError) as e:
    st.warning(f"The shipped study cannot be read, so it is computed here. {e}", icon=":material/warning:")
    shipped_study = None
sample = store.shipped_sample(shipped_study, seed, est_index)
from_file = sample is not None
if sample is None:
    sample = data.kept_study(est_name, seed, est_index)
if sample is None:
    shipped_note = (
        f"Shipped: samples {', '.join(str(x.index) for x in shipped_study.samples)} of seed {shipped_study.seed}."
        if shipped_study is not None
        else "Nothing is shipped for it."
    )
    st.info(
        f"Sample {est_index} of seed {seed} was not precomputed for **{est_name}**. {shipped_note} Computing it "
        f"takes about ten seconds.",
        icon=":material/calculate:",
    )
    if st.button("Recompute live", key="estlab_live", icon=":material/refresh:"):
        bar = st.progress(0.0, text="Estimating…")

        def show_progress(f: float) -> None:
            bar.progress(f, text=f"Estimating… {f:.0%}")

        try:
            sample = data.live_study(est_name, seed, est_index, show_progress)
        except (CheckpointError, OSError) as e:
            st.error(f"**{est_name}**: cannot be studied. {e}", icon=":material/error:")
        bar.empty()
if sample is not None:
    budgets, map_budgets = sample.budgets, sample.map_budgets
    st.caption(
        f"{'Shipped' if from_file else 'Computed live'}: "
        f"{sample.repetitions} independent estimates per estimator and budget. The truth, p(1−p)·"
        f"E[D(b|bᵢ=1) − D(b|bᵢ=0)] over {sample.truth_draws} draws, has its own noise: ‖se‖² = "
        f"{sample.truth_noise2:.3g}, {sample.truth_noise_share:.2%} of ‖truth‖² = {sample.truth_norm2:.3g}; "
        "it is subtracted from bias², with the noise of the mean of the estimates."
    )
    charts.show(
        charts.mse_lines(reports.mse_curves(sample), ESTIMATOR_LABELS, reports.UNBIASED, budgets),
        key="estlab_mse_chart",
        filename=f"{est_name}-sample{est_index}-mse",
    )
    st.caption(
        "Dotted: biased (straight-through family); solid: unbiased. Variance falls as 1/draws; bias does "
        "not, so a biased estimator can lead only at small budgets."
    )
    budget = session.address_widget(
        st.select_slider,
        "Budget for the table",
        budgets,
        key="estlab_budget",
        param="est_budget",
        options=budgets,
        default=reports.default_budget(budgets),
        cast=int,
        fallback=budgets[-1],  # a live study offers other budgets than the shipped one
        help="Critic evaluations per latent that every estimator may spend.",
    )
    shown = pd.DataFrame(reports.sample_rows(sample, budget))
    with st.container(key="estlab_table_box"):  # a dataframe's own key names no element in the browser
        st.dataframe(
            shown,
            hide_index=True,
            key="estlab_table",
            column_config={
                c: st.column_config.NumberColumn(format="%.3g")
                for c in shown.columns
                if shown[c].dtype.kind == "f" and c != "cosine"
            },
        )
    st.caption(
        "Draws: what the budget buys (RLOO needs two, DisARM spends two evaluations a pair, REBAR three a "
        "draw; empty where it buys none). bias² noise: its standard deviation were there no bias."
    )
    c1, c2 = st.columns(2)
    estimator = session.address_widget(
        c1.selectbox,
        "Maps of",
        compute.ESTIMATORS,
        key="estlab_estimator",
        param="est_map",
        options=compute.ESTIMATORS,
        default="sigmoid-st",
        format_func=ESTIMATOR_LABELS.__getitem__,
        help="The estimator whose bias and variance maps are drawn.",
    )
    map_budget = session.address_widget(
        c2.select_slider,
        "at budget",
        map_budgets,
        key="estlab_map_budget",
        param="est_map_budget",
        options=map_budgets,
        default=reports.default_budget(map_budgets),
        cast=int,
        fallback=map_budgets[-1],
        help="Shipped studies keep the maps at a few budgets; a live one at every budget.",
    )
    if (estimator, map_budget) in sample.maps:
        bias_map, var_map = sample.maps[(estimator, map_budget)]
        label = f"{ESTIMATOR_LABELS[estimator]}, budget {map_budget}"
        charts.heatmap_row(
            [
                (sample.truth, "exact ∂E[D]/∂θ", {}),
                (bias_map, f"bias: mean − truth, {label}", {}),
                (var_map, f"variance, {label}", dict(diverging=False, zmin=0.0)),
            ],
            "estlab_maps",
        )
    else:
        st.info(f"{ESTIMATOR_LABELS[estimator]} buys no draw at budget {map_budget}.", icon=":material/info:")
