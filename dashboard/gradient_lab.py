"""Gradient lab: for one generated sample, what the critic asks for, what the straight-through estimator passes to
the generator, what flipping each pixel really does, and how far apart they are; then the same over many samples;
then five gradient estimators at equal budgets of critic evaluations (read from shipped files, or computed live)."""
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import _charts as charts
from dashboard import _data as data
from dashboard import _session as session
from explorer import CheckpointError, CheckpointNotFound, estimator_lab, gradlab
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


class _Shared:
    """Results shared by every session, computed one at a time: visitors who ask for the same result while it is
    being computed wait for it instead of computing it again. (Not st.cache_data: its replay cannot drive a
    progress bar created outside the cached function.)"""
    MAX_ENTRIES = 64

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: dict[tuple, Any] = {}

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        # The instance outlives the script run that made it, so everything run-specific (the checkpoints root behind
        # the fingerprint, the loaders) comes in through `key` and `compute`, never from the page's globals.
        with self.lock:
            if key not in self.results:
                result = compute()
                if len(self.results) >= self.MAX_ENTRIES:
                    self.results.pop(next(iter(self.results)))
                self.results[key] = result
            return self.results[key]

    def peek(self, key: tuple) -> Any:
        return self.results.get(key)


@st.cache_resource(show_spinner=False)
def _shared() -> _Shared:
    return _Shared()


def _files(variant: str) -> tuple[tuple[str, int, int], ...]:
    """Path, mtime and size of the generator and critic: the key of everything computed from both."""
    out = []
    for f in (gradlab.GENERATOR_FILE, gradlab.CRITIC_FILE):
        st_ = os.stat(root / variant / f)
        out.append((str(root / variant / f), st_.st_mtime_ns, st_.st_size))
    return tuple(out)


@st.cache_data(max_entries=64, ttl=data.CACHE_TTL_S, show_spinner=False)
def _sources(folder: str, files: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    return gradlab.sources(folder)


@st.cache_data(max_entries=32, ttl=data.CACHE_TTL_S, show_spinner=False)
def _shipped_study(folder: str, variant: str, stamp: tuple[int, int]) -> estimator_lab.Study | None:
    return estimator_lab.shipped(variant, folder)


@st.cache_data(max_entries=4, ttl=data.CACHE_TTL_S, show_spinner=False)
def _shipped_comparison(folder: str, stamp: tuple[int, int]) -> dict[str, dict[str, Any]]:
    return gradlab.shipped_comparison(folder)


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
st.caption(f"The same numbers averaged over many samples (seed 0). Rows for {gradlab.COMPARE_SAMPLES} samples and "
           f"K = {gradlab.DEFAULT_DRAWS} ship with the app; other settings are computed once per variant and cached "
           "for every visitor, a few seconds per DBN variant and up to a minute per SBN variant.")
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
    table_path = root / gradlab.GRADLAB_COMPARISON_FILE
    try:
        stamp = (table_path.stat().st_mtime_ns, table_path.stat().st_size) if table_path.is_file() else (0, 0)
        shipped_rows = _shipped_comparison(str(root), stamp)
    except (CheckpointError, OSError) as e:
        st.warning(f"The shipped comparison cannot be read, so every row is computed here. {e}",
                   icon=":material/warning:")
        shipped_rows = {}
    bar = st.progress(0.0, text="Comparing…")
    for j, variant in enumerate(offered):
        def report_progress(f: float, j: int = j, variant: str = variant) -> None:
            bar.progress((j + f) / len(offered), text=f"{variant}: {f:.0%}")
        try:
            cfg = gradlab.REGISTRY[variant]
            cnn = cfg.arch == "cnn"
            vfp = _fingerprint(variant)
            vn = min(n, CNN_MAX_COMPARE) if cnn else n
            vk = (min(k, CNN_MAX_DRAWS) if cnn else k) if cfg.neuron == "sbn" else 0
            files = _files(variant)
            shipped_row = gradlab.shipped_row(shipped_rows, variant, vn, vk, _sources(str(root / variant), files))

            def compute(variant: str = variant, vfp: tuple[str, int, int] = vfp, vn: int = vn, vk: int = vk,
                        progress: Callable[[float], None] = report_progress) -> dict:
                return gradlab.compare(data.generator(variant), _critic(variant, vfp), vn, 0, vk, progress).summary()

            rows.append(shipped_row or _shared().get(("compare", variant, vn, vk, files), compute))
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
                   f"∂E[D]/∂x. seconds: how long the row took to compute (shipped rows: when they were written). "
                   f"CNN variants use at most "
                   f"{CNN_MAX_COMPARE} samples and K = {CNN_MAX_DRAWS}: their critic is 30× slower to run.")
else:
    st.info("Press **Compare the variants** to compute the table.", icon=":material/compare_arrows:")

st.subheader("6. Five estimators at equal budgets")
st.markdown(
    "The generator needs ∂E[D(b)]/∂θ, b ~ Bernoulli(σ(θ)), θ = s·x. Five estimators of it, each given the same "
    "budget of critic evaluations per latent: the paper's sigmoid-adjusted straight-through, ReinMax (one "
    "evaluation and one backward pass a draw), RLOO (one evaluation a draw, at least two draws), DisARM (two a "
    "pair) and REBAR (three a draw, two backward passes). Each is run many times, independently, and set against "
    "the exact gradient: bias², variance, their sum the MSE of one estimate, and the cosine.")
sbn = estimator_lab.offered_variants(root)
if not sbn:
    st.info("No SBN variant has a critic here: the estimators need a stochastic binary neuron.", icon=":material/info:")
    st.stop()
est_default = name if name in sbn else sbn[0]
session.from_address("estlab_variant", "est_critic", sbn, est_default)
session.from_address("estlab_sample", "est_sample", range(GRID), 0, int)
c1, c2 = st.columns([2, 1])
est_name = c1.selectbox("SBN variant", sbn, key="estlab_variant",
                        help="Variants with a stochastic binary output and a shipped critic.")
est_index = int(c2.number_input("Sample", 0, GRID - 1, key="estlab_sample",
                                help=f"One of seed {seed}'s first {GRID} samples; the seed is the page's."))
session.to_address(est_critic=est_name, est_sample=est_index)

study_path = root / est_name / estimator_lab.ESTIMATOR_LAB_FILE
try:
    stamp = (study_path.stat().st_mtime_ns, study_path.stat().st_size) if study_path.is_file() else (0, 0)
    shipped_study = _shipped_study(str(root), est_name, stamp)
    est_files = _files(est_name)
    if shipped_study is not None and shipped_study.sources != _sources(str(root / est_name), est_files):
        st.warning(f"**{est_name}**'s shipped study was computed from another generator or critic; recompute it "
                   f"with `python -m explorer.estimator_lab --write {est_name}`.", icon=":material/warning:")
        shipped_study = None
except (CheckpointError, OSError) as e:
    st.warning(f"The shipped study cannot be read, so it is computed here. {e}", icon=":material/warning:")
    shipped_study, est_files = None, ()
live_key = ("estlab", est_name, seed, est_index, est_files)
sample = shipped_study.sample(est_index) if shipped_study is not None and shipped_study.seed == seed else None
from_file = sample is not None
if sample is None:
    sample = _shared().peek(live_key)
if sample is None:
    shipped_note = (f"Shipped: samples {', '.join(str(x.index) for x in shipped_study.samples)} of seed "
                    f"{shipped_study.seed}." if shipped_study is not None else "Nothing is shipped for it.")
    st.info(f"Sample {est_index} of seed {seed} was not precomputed for **{est_name}**. {shipped_note} Computing it "
            f"takes about ten seconds.", icon=":material/calculate:")
    if st.button("Recompute live", key="estlab_live", icon=":material/refresh:"):
        bar = st.progress(0.0, text="Estimating…")

        def show_progress(f: float) -> None:
            bar.progress(f, text=f"Estimating… {f:.0%}")

        def compute_study() -> estimator_lab.SampleStudy:
            return estimator_lab.study_sample(data.generator(est_name), _critic(est_name, _fingerprint(est_name)),
                                              est_index, seed, progress=show_progress)

        try:
            sample = _shared().get(live_key, compute_study)
        except (CheckpointError, OSError) as e:
            st.error(f"**{est_name}**: cannot be studied. {e}", icon=":material/error:")
        bar.empty()
if sample is not None:
    budgets = sorted({b for _, b in sample.cells})
    map_budgets = sorted({b for _, b in sample.maps})
    session.from_address("estlab_budget", "est_budget", budgets, 8 if 8 in budgets else budgets[-1], int)
    session.from_address("estlab_estimator", "est_map", estimator_lab.ESTIMATORS, "sigmoid-st")
    session.from_address("estlab_map_budget", "est_map_budget", map_budgets, 8 if 8 in map_budgets else map_budgets[-1],
                         int)
    for key, choices in (("estlab_budget", budgets), ("estlab_map_budget", map_budgets)):
        if st.session_state[key] not in choices:  # a live study offers other budgets than the shipped one
            st.session_state[key] = choices[-1]
    noise = sample.truth_noise2 / sample.truth_norm2 if sample.truth_norm2 > 0 else float("nan")
    st.caption(f"{'Shipped' if from_file else 'Computed live'}: "
               f"{sample.repetitions} independent estimates per estimator and budget. The truth, p(1−p)·"
               f"E[D(b|bᵢ=1) − D(b|bᵢ=0)] over {sample.truth_draws} draws, has its own noise: ‖se‖² = "
               f"{sample.truth_noise2:.3g}, {noise:.2%} of ‖truth‖² = {sample.truth_norm2:.3g}; it is subtracted "
               "from bias², with the noise of the mean of the estimates.")
    fig = go.Figure()
    for j, (est, (xs, ys)) in enumerate(estimator_lab.mse_curves(sample).items()):
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=estimator_lab.LABELS[est],
                        line=dict(color=charts.colour(j), dash="solid" if est in estimator_lab.UNBIASED else "dot"),
                        hovertemplate="budget %{x}: MSE %{y:.3g}<extra>" + estimator_lab.LABELS[est] + "</extra>")
    fig.update_xaxes(type="log", title="critic evaluations per latent", tickvals=budgets)
    fig.update_yaxes(type="log", title="MSE = bias² + variance")
    fig.update_layout(height=360, margin=dict(t=20, l=10, r=10, b=10), legend=dict(orientation="h", y=-0.25))
    charts.show(fig, key="estlab_mse_chart", filename=f"{est_name}-sample{est_index}-mse")
    st.caption("Dotted: biased (straight-through family); solid: unbiased. Variance falls as 1/draws; bias does "
               "not, so a biased estimator can lead only at small budgets.")
    budget = st.select_slider("Budget for the table", budgets, key="estlab_budget",
                              help="Critic evaluations per latent that every estimator may spend.")
    session.to_address(est_budget=budget)
    shown = pd.DataFrame(estimator_lab.sample_rows(sample, budget))
    with st.container(key="estlab_table_box"):  # a dataframe's own key names no element in the browser
        st.dataframe(shown, hide_index=True, key="estlab_table",
                     column_config={c: st.column_config.NumberColumn(format="%.3g") for c in shown.columns
                                    if shown[c].dtype.kind == "f" and c != "cosine"})
    st.caption("Draws: what the budget buys (RLOO needs two, DisARM spends two evaluations a pair, REBAR three a "
               "draw; empty where it buys none). bias² noise: its standard deviation were there no bias.")
    c1, c2 = st.columns(2)
    estimator = c1.selectbox("Maps of", estimator_lab.ESTIMATORS, key="estlab_estimator",
                             format_func=estimator_lab.LABELS.__getitem__,
                             help="The estimator whose bias and variance maps are drawn.")
    map_budget = c2.select_slider("at budget", map_budgets, key="estlab_map_budget",
                                  help="Shipped studies keep the maps at a few budgets; a live one at every budget.")
    session.to_address(est_map=estimator, est_map_budget=map_budget)
    if (estimator, map_budget) in sample.maps:
        bias_map, var_map = sample.maps[(estimator, map_budget)]
        label = f"{estimator_lab.LABELS[estimator]}, budget {map_budget}"
        row([(sample.truth, "exact ∂E[D]/∂θ", {}), (bias_map, f"bias: mean − truth, {label}", {}),
             (var_map, f"variance, {label}", dict(diverging=False, zmin=0.0))], "estlab_maps")
    else:
        st.info(f"{estimator_lab.LABELS[estimator]} buys no draw at budget {map_budget}.", icon=":material/info:")

