"""Gradient lab: for one generated sample, what the critic asks for, what the straight-through estimator passes to
the generator, what flipping each pixel really does, and how far apart they are; then the same over many samples."""
import os
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _session as session
from explorer import CheckpointError, CheckpointNotFound, LoadedGenerator, gradlab
from training.images import grid_png

GRID = 16  # the sample is picked from the seed's first GRID samples
SLOPES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
DRAWS = (8, 16, 32, 64)  # K for the SBN expectation; the API allows up to gradlab.MAX_DRAWS
COMPARE_N = (32, 64, 128, 256)
COMPARE_DRAWS = (8, 16, 32)  # 256 samples x 32 draws is ~40 s of one CPU thread per SBN variant
# A CNN critic scores 784 flipped images in ~0.25 s on one CPU thread, 30x the MLP: its work is capped harder.
CNN_MAX_DRAWS, CNN_MAX_COMPARE = 8, 64
DIVERGING = "RdBu_r"  # blue: the critic wants less of it, red: more

st.title("Gradient lab")
st.markdown(
    "A binary neuron has no gradient, yet the generator trains by backpropagation: the straight-through estimator "
    "passes the critic's gradient **g = ∂D/∂y** through the neuron as if it were the identity on p = σ(s·x) "
    "(the paper's sigmoid-adjusted estimator, **g·s·p(1−p)**) or on x (plain straight-through, **g**). Here one "
    "sample goes through the trained generator and its trained critic, and the estimate is set against the truth: "
    "what turning each pixel on rather than off really does to the critic's score.")

root = data.data_root()
offered = gradlab.offered_variants(root)
if not offered:
    st.info("No variant has a trained critic here yet, so there is nothing to show. A critic is exported from a "
            "training run with `python -m training critic RUN_FOLDER` and shipped beside its generator as "
            "`critic.safetensors`.", icon=":material/hourglass_empty:")
    st.stop()

# ---- view state: widgets, seeded once from the address so a link reproduces the view ----
qp = st.query_params
wanted = qp.get("critic")
if "gradlab_variant" not in st.session_state:
    st.session_state.gradlab_variant = wanted if wanted in offered else offered[0]
    if wanted is not None and wanted not in offered:
        st.info(f"**{wanted[:60]}** has no trained critic here, so it cannot be shown; showing {offered[0]}. "
                f"Variants with a critic: {', '.join(offered)}.", icon=":material/info:")
for key, param, options, default, cast in (("gradlab_sample", "sample", range(GRID), 0, int),
                                           ("gradlab_slope", "slope", SLOPES, 1.0, float),
                                           ("gradlab_draws", "draws", DRAWS, 32, int)):
    if key not in st.session_state:
        try:
            value = cast(qp.get(param, default))
        except ValueError:
            value = default
        st.session_state[key] = value if value in options else default
if st.session_state.gradlab_variant not in offered:  # its critic vanished while the app was open
    st.session_state.gradlab_variant = offered[0]

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        name = st.selectbox("Variant", offered, key="gradlab_variant",
                            help="Variants with a binary output and a shipped critic.")
        st.caption(f"{len(offered)} variant(s) have a critic: {', '.join(offered)}.")
    with c2:
        seed = session.seed_input("gradlab")
        index = st.number_input("Sample", 0, GRID - 1, key="gradlab_sample",
                                help=f"One of the seed's first {GRID} samples, left to right, top to bottom.")
    with c3:
        slope = st.select_slider("Slope s for the sigmoid-adjusted estimate", SLOPES, key="gradlab_slope",
                                 help="Recomputes g·s·p(1−p) at another slope: the larger s, the more the gradient "
                                      "concentrates on pixels near the threshold. This is what slope annealing does.")
        neuron, arch = gradlab.REGISTRY[name].neuron, gradlab.REGISTRY[name].arch
        draw_options = DRAWS if arch == "mlp" else tuple(d for d in DRAWS if d <= CNN_MAX_DRAWS)
        if st.session_state.gradlab_draws not in draw_options:
            st.session_state.gradlab_draws = draw_options[-1]
        draws = st.select_slider("Bernoulli draws K (SBN)", draw_options, key="gradlab_draws", disabled=neuron != "sbn",
                                 help="Draws behind the SBN's expected effect; its standard error shrinks as 1/√K.")
qp.update({"critic": name, "sample": str(index), "slope": f"{slope:g}", "draws": str(draws), "seed": str(seed)})


def _fingerprint(variant: str) -> tuple[str, int, int]:
    st_ = os.stat(root / variant / gradlab.CRITIC_FILE)
    return str(root / variant), st_.st_mtime_ns, st_.st_size  # a shipped run is renamed into place


@st.cache_resource(max_entries=8, show_spinner=False)
def _critic(variant: str, fingerprint: tuple[str, int, int]) -> gradlab.LoadedCritic:
    return gradlab.load_critic(variant)


@st.cache_data(max_entries=64, ttl=data.CACHE_TTL_S, show_spinner=False)
def _report(variant: str, seed: int, index: int, draws: int, fingerprint: tuple[str, int, int]) -> gradlab.SampleReport:
    return gradlab.sample_report(data.generator(variant), _critic(variant, fingerprint), seed, index, GRID, draws)


class _Comparisons:
    """Summaries shared by every session, computed one at a time: visitors who ask for the same table while it is
    being computed wait for it instead of computing it again. (Not st.cache_data: its replay cannot drive a
    progress bar created outside the cached function.)"""
    MAX_ENTRIES = 64

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[tuple, dict] = {}

    def get(self, variant: str, n: int, draws: int, fingerprint: tuple[str, int, int],
            load: Callable[[], tuple[LoadedGenerator, gradlab.LoadedCritic]],
            progress: Callable[[float], None]) -> dict:
        # The instance outlives the script run that made it, so everything run-specific (the checkpoints root behind
        # the fingerprint, the loaders) comes in as arguments, never from the page's globals.
        key = (variant, n, draws, fingerprint)
        with self.lock:
            if key not in self.rows:
                generator, critic = load()
                cmp = gradlab.compare(generator, critic, n, 0, draws, progress)
                if len(self.rows) >= self.MAX_ENTRIES:
                    self.rows.pop(next(iter(self.rows)))
                self.rows[key] = cmp.summary()
            return self.rows[key]


@st.cache_resource(show_spinner=False)
def _comparisons() -> _Comparisons:
    return _Comparisons()


try:
    fp = _fingerprint(name)
    report = _report(name, seed, int(index), int(draws) if neuron == "sbn" else 0, fp)
except (CheckpointError, OSError) as e:  # CheckpointNotFound included: a variant that vanished or fails its checks
    kind = "not trained yet" if isinstance(e, CheckpointNotFound) else "cannot be loaded"
    st.error(f"**{name}**: {kind}. {e}", icon=":material/error:")
    st.stop()

fwd, i = report.fwd, report.index


def heatmap(values: np.ndarray, title: str, diverging: bool = True, zmin: float | None = None,
            zmax: float | None = None) -> go.Figure:
    """A 28x28 map, pixels square, row 0 at the top, so every map on the page lines up with the digit."""
    img = np.asarray(values, dtype=np.float64).reshape(28, 28)
    if diverging:
        bound = float(np.abs(img).max()) or 1.0
        zmin, zmax = -bound, bound
    fig = go.Figure(go.Heatmap(z=img, colorscale=DIVERGING if diverging else "Viridis", zmin=zmin, zmax=zmax,
                               colorbar=dict(thickness=8, len=0.9, tickfont_size=9),
                               hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_layout(title=dict(text=title, font_size=13), height=250, margin=dict(t=36, l=4, r=4, b=4))
    return fig


def row(maps: list[tuple[np.ndarray, str, dict]], key: str) -> None:
    for k, ((values, title, kw), col) in enumerate(zip(maps, st.columns(4))):
        with col:
            charts.show(heatmap(values, title, **kw), key=f"gradlab_{key}_{k}", config={"displayModeBar": False})


left, right = st.columns([1, 3])
with left:
    st.image(grid_png(fwd.y.reshape(-1, 28, 28), 4, scale=2), width="stretch",
             caption=f"{name}, seed {seed}: samples 0–{GRID - 1}; this is sample {i}")
    charts.png_button(grid_png(fwd.y.reshape(-1, 28, 28), 4), f"{name}-seed{seed}-{GRID}.png", "gradlab_png")
with right:
    m1, m2, m3 = st.columns(3)
    m1.metric("critic score D(y)", f"{fwd.score[i]:.3f}")
    m2.metric("slope s (trained)", f"{fwd.slope:.3g}")
    m3.metric("pixels on", f"{int(fwd.y[i].sum())} of 784")
    st.caption(f"{gradlab.REGISTRY[name].description}. Its own estimator: "
               f"**{gradlab.ESTIMATOR_LABELS[fwd.estimator]}**. Critic and generator from epoch "
               f"{_critic(name, fp).epoch}.")

st.subheader("1. Forward, and what the critic asks for")
row([(fwd.logits[i], "logits x", {}), (fwd.p[i], "p = σ(s·x)", dict(diverging=False, zmin=0.0, zmax=1.0)),
     (fwd.y[i], "binary output y", dict(diverging=False, zmin=0.0, zmax=1.0)),
     (fwd.grad[i], "g = ∂D/∂y: red asks for on", {})], "forward")

st.subheader("2. What the generator receives: the estimated ∂D/∂x")
at_slope = gradlab.estimator_maps(fwd, slope)["sigmoid-st"][i]
estimates: list[tuple[np.ndarray, str, dict]] = [(report.estimates["sigmoid-st"], f"sigmoid-adjusted, s = {fwd.slope:.3g}", {}),
             (report.estimates["st"], "plain straight-through: g", {})]
if "gumbel-st" in report.estimates:
    estimates.append((report.estimates["gumbel-st"], f"binary-Concrete, τ = {fwd.temperature:g}", {}))
estimates.append((at_slope, f"sigmoid-adjusted at slider s = {slope:g}", {}))
row(estimates, "estimates")
near = float(np.mean(np.abs(fwd.logits[i]) * slope < 2.0))
st.caption(f"The sigmoid-adjusted estimate weights g by s·p(1−p), largest where x is near 0 (p near 0.5). At "
           f"s = {slope:g}, {near:.0%} of the pixels have |s·x| < 2, where that weight is at least a fifth of its "
           f"peak s/4; annealing s up narrows the gradient to the pixels closest to flipping.")

st.subheader("3. The truth it approximates")
flips, truth, truth_se = report.flips, report.truth, report.truth_se
if flips is not None:  # DBN: the exact flip effects
    prediction = fwd.grad[i] * (1.0 - 2.0 * fwd.y[i])
    truth_x, est_y = flips, prediction
    row([(flips, "Δ = D(y, pixel flipped) − D(y)", {}),
         (prediction, "first-order prediction g·(1−2y)", {}),
         (flips - prediction, "Δ − prediction", {})], "truth")
    st.caption("All 784 flips in one batched call: each pixel of y flipped on its own, scored by the critic. The "
               "estimator's prediction of a flip is the critic's linearisation, g·(1−2y).")
    x_label, y_label = "exact flip effect Δ", "predicted g·(1−2y)"
elif truth is not None and truth_se is not None:  # SBN: the expected gradient over K draws
    truth_x, est_y = truth, fwd.grad[i]
    row([(truth, f"∂E[D]/∂p = E[D(y|yᵢ=1) − D(y|yᵢ=0)], K = {report.draws}", {}),
         (truth_se, "its standard error", dict(diverging=False, zmin=0.0)),
         (fwd.grad[i], "estimate: g at this draw", {})], "truth")
    st.caption(f"The exact gradient of the expected score, estimated from K = {report.draws} fresh Bernoulli draws "
               f"of the whole image: for each draw, every pixel forced on and off. Mean standard error "
               f"{float(np.mean(truth_se)):.2g} against a mean |truth| of {float(np.mean(np.abs(truth))):.2g}.")
    x_label, y_label = f"exact ∂E[D]/∂p (K = {report.draws})", "estimate g = ∂D/∂y"

st.subheader("4. How wrong it is")
a = report.agreement
c1, c2 = st.columns([3, 2])
with c1:
    fig = go.Figure(go.Scattergl(x=truth_x, y=est_y, mode="markers", marker=dict(size=4, opacity=0.6,
                                 color=fwd.y[i], colorscale=[[0, "#56B4E9"], [1, "#E69F00"]]),
                                 hovertemplate="truth %{x:.3g}, estimate %{y:.3g}<extra></extra>"))
    lo, hi = float(min(truth_x.min(), est_y.min())), float(max(truth_x.max(), est_y.max()))
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dot", color="gray"), name="estimate = truth")
    fig.update_layout(xaxis_title=x_label, yaxis_title=y_label, height=360, showlegend=False,
                      margin=dict(t=20, l=10, r=10, b=10))
    charts.show(fig, key="gradlab_scatter")
    st.caption("One dot per pixel; orange pixels are on, blue off.")
with c2:
    st.metric("cosine similarity", f"{a.cosine[0]:.3f}")
    st.metric("pixels whose signs agree", f"{a.sign[0]:.1%}")
    st.metric("signs agree, top 10% of |truth|", f"{a.sign_top[0]:.1%}")
    if report.x_agreement:
        st.markdown("Cosine of each estimator's ∂D/∂x with the exact ∂E[D]/∂x = s·p(1−p)·∂E[D]/∂p:")
        st.dataframe(pd.DataFrame({"estimator": [gradlab.ESTIMATOR_LABELS[e] for e in report.x_agreement],
                                   "cosine": [float(v.cosine[0]) for v in report.x_agreement.values()]}),
                     hide_index=True, key="gradlab_x_cosines")

st.subheader("5. Over many samples, every variant side by side")
st.caption("The same numbers averaged over many samples (seed 0), computed once per variant and cached for every "
           "visitor. The first request takes a few seconds per DBN variant and up to a minute per SBN variant.")
c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
n = c1.select_slider("Samples", COMPARE_N, value=COMPARE_N[-1], key="gradlab_compare_n",
                     help="How many samples (seed 0) each variant's averages are taken over.")
k = c2.select_slider("Draws K (SBN)", COMPARE_DRAWS, value=32, key="gradlab_compare_draws",
                     help="Bernoulli draws behind each SBN sample's expected effect; more draws, less noise, "
                          "longer to compute.")
if c3.button("Compare the variants", key="gradlab_compare", icon=":material/compare_arrows:"):
    st.session_state.gradlab_compare_on = True
if st.session_state.get("gradlab_compare_on"):
    rows = []
    bar = st.progress(0.0, text="Comparing…")
    for j, variant in enumerate(offered):
        def report_progress(f: float, j: int = j, variant: str = variant) -> None:
            bar.progress((j + f) / len(offered), text=f"{variant}: {f:.0%}")
        try:
            cfg = gradlab.REGISTRY[variant]
            cnn = cfg.arch == "cnn"
            vfp = _fingerprint(variant)

            def load(variant: str = variant, vfp: tuple[str, int, int] = vfp
                     ) -> tuple[LoadedGenerator, gradlab.LoadedCritic]:
                return data.generator(variant), _critic(variant, vfp)

            rows.append(_comparisons().get(
                variant, min(n, CNN_MAX_COMPARE) if cnn else n,
                (min(k, CNN_MAX_DRAWS) if cnn else k) if cfg.neuron == "sbn" else 0, vfp, load, report_progress))
        except (CheckpointError, OSError) as e:
            st.error(f"**{variant}**: cannot be compared. {e}", icon=":material/error:")
    bar.empty()
    if rows:
        table = pd.DataFrame(rows)
        fig = go.Figure()
        for metric, label, colour in (("cosine", "cosine similarity", charts.colour(0)),
                                      ("sign_agreement", "sign agreement", charts.colour(1)),
                                      ("sign_agreement_top", "sign agreement, top 10%", charts.colour(2))):
            fig.add_bar(x=table["variant"], y=table[metric], name=label, marker_color=colour)
        fig.update_layout(barmode="group", yaxis_title="mean over samples", yaxis_range=[0, 1.02], height=340,
                          legend=dict(orientation="h", y=-0.35), margin=dict(t=20, l=10, r=10, b=10))
        charts.show(fig, key="gradlab_compare_chart")
        shown = table.rename(columns={"x_cosine_sigmoid-st": "x-cosine sigmoid-adjusted", "x_cosine_st": "x-cosine plain",
                                      "x_cosine_gumbel-st": "x-cosine binary-Concrete"})
        st.dataframe(shown, hide_index=True, key="gradlab_compare_table",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in shown.columns
                                    if shown[c].dtype.kind == "f" and c != "seconds"})
        st.caption("cosine and sign agreement: g against the exact on-minus-off effect (DBN: at the sample; SBN: its "
                   "expectation over K draws). x-cosine (SBN only): each estimator's ∂D/∂x against the exact "
                   f"∂E[D]/∂x. seconds: the first computation on this machine. CNN variants use at most "
                   f"{CNN_MAX_COMPARE} samples and K = {CNN_MAX_DRAWS}: their critic is 30× slower to run.")
else:
    st.info("Press **Compare the variants** to compute the table.", icon=":material/compare_arrows:")
