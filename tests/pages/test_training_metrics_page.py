"""Training and metrics page: loss curves, per-epoch metrics, the leaderboard with the real-data floor."""

from __future__ import annotations

from explorer import demo
from training.variants import REGISTRY


def test_loss_curves_metric_curves_and_leaderboard(app, charts):
    at = app("training_metrics")
    d_loss, g_loss, metric = charts(at)
    names = ["mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp"]
    for chart in (d_loss, g_loss):
        assert [t["name"] for t in chart["data"]] == names
    # per-epoch metrics exist at snapshot epochs only, and the real-valued run keeps no snapshots
    assert [t["name"] for t in metric["data"]] == names[:2]
    assert d_loss["layout"]["title"]["text"] == "discriminator loss"
    for chart in (d_loss, g_loss, metric):  # every axis says what it measures
        assert chart["layout"]["xaxis"]["title"]["text"] and chart["layout"]["yaxis"]["title"]["text"]
    assert 0 < len(d_loss["data"][0]["x"]) <= 2000 and d_loss["data"][0]["x"][-1] > 18_000
    assert list(metric["data"][0]["x"]) == [1, 2, 5, 10, 15, 20]
    board = at.dataframe[0].value
    assert board["variant"].iloc[0] == "real data (floor)"
    assert len(board) == 1 + len(demo.DEMO_VARIANTS)
    assert {"Fréchet distance", "precision", "recall", "class KL to test labels"} <= set(board.columns)


def test_metric_choice_and_smoothing(app, charts):
    at = app("training_metrics")
    raw = charts(at)[0]["data"][0]["y"]
    at.slider(key="training_smooth").set_value(500).run()
    smooth = charts(at)[0]["data"][0]["y"]
    assert smooth.std() < raw.std()
    at.selectbox(key="training_metric").set_value("notch_depth").run()
    assert charts(at)[2]["layout"]["title"]["text"] == "notch depth"


def test_without_evaluation_files_everything_is_not_evaluated_yet(make_app, checkpoints_root):
    at = make_app(checkpoints_root, "training_metrics")
    assert not at.get("plotly_chart") and not at.dataframe
    infos = [i.value for i in at.info]
    assert sum("not evaluated yet" in i for i in infos) == 3 * 2 + 1  # steps + history per variant, leaderboard


def test_a_link_with_more_than_four_variants_reopens_with_all_of_them(app):
    """The Training page compares up to eight; its own address must bring all of them back, not the first four."""
    names = list(REGISTRY)[:6]
    at = app("training_metrics", "variants=" + ",".join(names))
    assert at.multiselect(key="training_variants").value == names
    assert dict(at.query_params)["variants"] == ",".join(names)
    assert not at.warning
