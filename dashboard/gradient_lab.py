"""Gradient lab: for one generated sample, what the critic asks for, what the straight-through estimator passes to
the generator, what flipping each pixel really does, and how far apart they are; then the same over many samples.
Other estimators than straight-through are the estimator lab's (dashboard/estimator_lab.py)."""

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _session as session
from explorer import CheckpointError, CheckpointNotFound
from explorer.gradient_lab import compute
from explorer.gradient_lab.compute import GRID
from training.images import grid_png
from training.variants import REGISTRY

SLOPES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
DRAWS = (8, 16, 32, 64)  # K for the SBN expectation; the API allows up to compute.MAX_DRAWS
COMPARE_N = (32, 64, 128, 256)
COMPARE_DRAWS = (8, 16, 32)  # 256 samples x 32 draws is ~40 s of one CPU thread per SBN variant
X_COSINES = {
    "x_cosine_sigmoid-st": "x-cosine sigmoid-adjusted",
    "x_cosine_st": "x-cosine plain",
    "x_cosine_gumbel-st": "x-cosine binary-Concrete",
}

st.title("Gradient lab")
st.markdown(
    "A binary neuron has no gradient, yet the generator trains by backpropagation: the straight-through estimator "
    "passes the critic's gradient **g = ∂D/∂y** through the neuron as if it were the identity on p = σ(s·x) "
    "(the paper's sigmoid-adjusted estimator, **g·s·p(1−p)**) or on x (plain straight-through, **g**). Here one "
    "sample goes through the trained generator and its trained critic, and the estimate is set against the truth: "
    "what turning each pixel on rather than off really does to the critic's score."
)

root = data.data_root()
offered = compute.offered_variants(root)
if not offered:
    st.info(
        "No variant has a trained critic here yet, so there is nothing to show. A critic is exported from a "
        "training run with `python -m training critic RUN_FOLDER` and shipped beside its generator as "
        "`critic.safetensors`.",
        icon=":material/hourglass_empty:",
    )
    st.stop()


def no_critic(wanted: str) -> None:
    st.info(
        f"**{wanted[:60]}** has no trained critic here, so it cannot be shown; showing {offered[0]}. "
        f"Variants with a critic: {', '.join(offered)}.",
        icon=":material/info:",
    )


with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        name = session.address_widget(
            st.selectbox,
            "Variant",
            offered,
            key="gradlab_variant",
            param="critic",
            options=offered,
            default=offered[0],
            refused=no_critic,
            fallback=offered[0],  # its critic vanished while the app was open
            help="Variants with a binary output and a shipped critic.",
        )
        st.caption(f"{len(offered)} variant(s) have a critic: {', '.join(offered)}.")
    with c2:
        seed = session.seed_input("gradlab")
        index = session.address_widget(
            st.number_input,
            "Sample",
            0,
            GRID - 1,
            key="gradlab_sample",
            param="sample",
            options=range(GRID),
            default=0,
            cast=int,
            help=f"One of the seed's first {GRID} samples, left to right, top to bottom.",
        )
    with c3:
        slope = session.address_widget(
            st.select_slider,
            "Slope s for the sigmoid-adjusted estimate",
            SLOPES,
            key="gradlab_slope",
            param="slope",
            options=SLOPES,
            default=1.0,
            cast=float,
            help="Recomputes g·s·p(1−p) at another slope: the larger s, the more the gradient "
            "concentrates on pixels near the threshold. This is what slope annealing does.",
        )
        draw_options = compute.draw_choices(name, DRAWS)
        draws = session.address_widget(
            st.select_slider,
            "Bernoulli draws K (SBN)",
            draw_options,
            key="gradlab_draws",
            param="draws",
            options=draw_options,
            default=32,
            cast=int,
            fallback=draw_options[-1],  # a CNN critic offers fewer draws
            disabled=REGISTRY[name].neuron != "sbn",
            help="Draws behind the SBN's expected effect; its standard error shrinks as 1/√K.",
        )

try:
    report = data.gradient_lab_report(name, seed, int(index), GRID, int(draws))
except (CheckpointError, OSError) as e:  # CheckpointNotFound included: a variant that vanished or fails its checks
    kind = "not trained yet" if isinstance(e, CheckpointNotFound) else "cannot be loaded"
    st.error(f"**{name}**: {kind}. {e}", icon=":material/error:")
    st.stop()

fwd, i = report.fwd, report.index
left, right = st.columns([1, 3])
with left:
    st.image(
        grid_png(fwd.y.reshape(-1, 28, 28), 4, scale=2),
        width="stretch",
        caption=f"{name}, seed {seed}: samples 0–{GRID - 1}; this is sample {i}",
    )
    charts.png_button(grid_png(fwd.y.reshape(-1, 28, 28), 4), f"{name}-seed{seed}-{GRID}.png", "gradlab_png")
with right:
    m1, m2, m3 = st.columns(3)
    m1.metric("critic score D(y)", f"{fwd.score[i]:.3f}")
    m2.metric("slope s (trained)", f"{fwd.slope:.3g}")
    m3.metric("pixels on", f"{int(fwd.y[i].sum())} of 784")
    st.caption(
        f"{REGISTRY[name].description}. Its own estimator: "
        f"**{compute.ESTIMATOR_LABELS[fwd.estimator]}**. Critic and generator from epoch "
        f"{data.critic(name).epoch}."
    )

st.subheader("1. Forward, and what the critic asks for")
charts.heatmap_row(
    [
        (fwd.logits[i], "logits x", {}),
        (fwd.p[i], "p = σ(s·x)", dict(diverging=False, zmin=0.0, zmax=1.0)),
        (fwd.y[i], "binary output y", dict(diverging=False, zmin=0.0, zmax=1.0)),
        (fwd.grad[i], "g = ∂D/∂y: red asks for on", {}),
    ],
    "gradlab_forward",
)

st.subheader("2. What the generator receives: the estimated ∂D/∂x")
estimates: list[tuple[np.ndarray, str, dict]] = [
    (report.estimates["sigmoid-st"], f"sigmoid-adjusted, s = {fwd.slope:.3g}", {}),
    (report.estimates["st"], "plain straight-through: g", {}),
]
if "gumbel-st" in report.estimates:
    estimates.append((report.estimates["gumbel-st"], f"binary-Concrete, τ = {fwd.temperature:g}", {}))
estimates.append((compute.estimator_maps(fwd, slope)["sigmoid-st"][i], f"sigmoid-adjusted at slider s = {slope:g}", {}))
charts.heatmap_row(estimates, "gradlab_estimates")
st.caption(
    f"The sigmoid-adjusted estimate weights g by s·p(1−p), largest where x is near 0 (p near 0.5). At "
    f"s = {slope:g}, {compute.near_threshold(fwd, i, slope):.0%} of the pixels have |s·x| < 2, where that "
    f"weight is at least a fifth of its peak s/4; annealing s up narrows the gradient to the pixels closest to "
    f"flipping."
)

st.subheader("3. The truth it approximates")
if report.flips is not None:  # DBN: the exact flip effects
    prediction = compute.flip_prediction(report)
    charts.heatmap_row(
        [
            (report.flips, "Δ = D(y, pixel flipped) − D(y)", {}),
            (prediction, "first-order prediction g·(1−2y)", {}),
            (report.flips - prediction, "Δ − prediction", {}),
        ],
        "gradlab_truth",
    )
    st.caption(
        "All 784 flips in one batched call: each pixel of y flipped on its own, scored by the critic. The "
        "estimator's prediction of a flip is the critic's linearisation, g·(1−2y)."
    )
    x_label, y_label = "exact flip effect Δ", "predicted g·(1−2y)"
elif report.truth_se is not None:  # SBN: the expected gradient over K draws
    charts.heatmap_row(
        [
            (report.truth, f"∂E[D]/∂p = E[D(y|yᵢ=1) − D(y|yᵢ=0)], K = {report.draws}", {}),
            (report.truth_se, "its standard error", dict(diverging=False, zmin=0.0)),
            (fwd.grad[i], "estimate: g at this draw", {}),
        ],
        "gradlab_truth",
    )
    st.caption(
        f"The exact gradient of the expected score, estimated from K = {report.draws} fresh Bernoulli draws "
        f"of the whole image: for each draw, every pixel forced on and off. Mean standard error "
        f"{float(np.mean(report.truth_se)):.2g} against a mean |truth| of "
        f"{float(np.mean(np.abs(report.truth))):.2g}."
    )
    x_label, y_label = f"exact ∂E[D]/∂p (K = {report.draws})", "estimate g = ∂D/∂y"

st.subheader("4. How wrong it is")
a = report.agreement
c1, c2 = st.columns([3, 2])
with c1:
    charts.show(
        charts.truth_scatter(*compute.truth_and_estimate(report), fwd.y[i], x_label, y_label), key="gradlab_scatter"
    )
    st.caption("One dot per pixel; orange pixels are on, blue off.")
with c2:
    st.metric("cosine similarity", f"{a.cosine[0]:.3f}")
    st.metric("pixels whose signs agree", f"{a.sign[0]:.1%}")
    st.metric("signs agree, top 10% of |truth|", f"{a.sign_top[0]:.1%}")
    if report.x_agreement:
        st.markdown("Cosine of each estimator's ∂D/∂x with the exact ∂E[D]/∂x = s·p(1−p)·∂E[D]/∂p:")
        st.dataframe(
            pd.DataFrame(
                {
                    "estimator": [compute.ESTIMATOR_LABELS[e] for e in report.x_agreement],
                    "cosine": [float(v.cosine[0]) for v in report.x_agreement.values()],
                }
            ),
            hide_index=True,
            key="gradlab_x_cosines",
        )

st.subheader("5. Over many samples, every variant side by side")
st.caption(
    f"The same numbers averaged over many samples (seed 0). Rows for {compute.COMPARE_SAMPLES} samples and "
    f"K = {compute.DEFAULT_DRAWS} ship with the app; other settings are computed once per variant and cached "
    "for every visitor, a few seconds per DBN variant and up to a minute per SBN variant."
)


@st.fragment
def comparison() -> None:
    """A fragment: a long comparison reruns and greys out this section only, and the rest of the page stays usable."""
    c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    n = session.address_widget(
        c1.select_slider,
        "Samples",
        COMPARE_N,
        key="gradlab_compare_n",
        param="compare_n",
        options=COMPARE_N,
        default=COMPARE_N[-1],
        cast=int,
        help="How many samples (seed 0) each variant's averages are taken over.",
    )
    k = session.address_widget(
        c2.select_slider,
        "Draws K (SBN)",
        COMPARE_DRAWS,
        key="gradlab_compare_draws",
        param="compare_draws",
        options=COMPARE_DRAWS,
        default=32,
        cast=int,
        help="Bernoulli draws behind each SBN sample's expected effect; more draws, less noise, longer to compute.",
    )
    if c3.button("Compare the variants", key="gradlab_compare", icon=":material/compare_arrows:"):
        session.to_address(compare=1)  # a link to the page reopens the comparison
    if st.query_params.get("compare") == "1":
        compare(n, k)
    else:
        st.info("Press **Compare the variants** to compute the table.", icon=":material/compare_arrows:")


def compare(n: int, k: int) -> None:
    try:
        shipped_rows = data.shipped_comparison()
    except (CheckpointError, OSError) as e:
        st.warning(
            f"The shipped comparison cannot be read, so every row is computed here. {e}", icon=":material/warning:"
        )
        shipped_rows = {}
    rows = []
    bar = st.progress(0.0, text="Comparing…")
    for j, variant in enumerate(offered):

        def report_progress(f: float, j: int = j, variant: str = variant) -> None:
            bar.progress((j + f) / len(offered), text=f"{variant}: {f:.0%}")

        try:
            rows.append(
                data.comparison_row(variant, *compute.work_limits(variant, n, k), shipped_rows, report_progress)
            )
        except (CheckpointError, OSError) as e:
            st.error(f"**{variant}**: cannot be compared. {e}", icon=":material/error:")
    bar.empty()
    if rows:
        charts.show(charts.agreement_bars(rows), key="gradlab_compare_chart")
        shown = pd.DataFrame(rows).rename(columns=X_COSINES)
        st.dataframe(
            shown,
            hide_index=True,
            key="gradlab_compare_table",
            column_config={
                c: st.column_config.NumberColumn(format="%.3f")
                for c in shown.columns
                if shown[c].dtype.kind == "f" and c != "seconds"
            },
        )
        st.caption(
            "cosine and sign agreement: g against the exact on-minus-off effect (DBN: at the sample; SBN: its "
            "expectation over K draws). x-cosine (SBN only): each estimator's ∂D/∂x against the exact "
            f"∂E[D]/∂x. seconds: how long the row took to compute (shipped rows: when they were written). "
            f"CNN variants use at most "
            f"{compute.CNN_MAX_COMPARE} samples and K = {compute.CNN_MAX_DRAWS}: their critic is 30× slower "
            f"to run."
        )


comparison()
