"""Conditional computation page: each expert's own samples, usage, expert x digit shares, the gates along a path,
and the verdicts over seeds, on the demo's (untrained) gated generators."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from explorer import analysis, files, gated, load_generator, make_latents
from tests.helpers import REPO
from training.checkpoint import METRICS_FILE


def test_the_sbn_view_draws_every_expert_and_the_routed_grid(app, charts, dashboard_root, monkeypatch):
    at = app("conditional", "gated=mlp-sbn-wgan-gp-code-gated")
    captions = [c for img in at.image for c in img.captions]
    assert captions[:4] == [f"expert {k} (gate bits b0 = {k & 1}, b1 = {k >> 1})" for k in range(4)]
    assert "each latent through its own gates' expert" in captions
    usage, classes, path = charts(at)
    shipped = json.loads((dashboard_root / "mlp-sbn-wgan-gp-code-gated" / METRICS_FILE).read_text())
    assert np.allclose(usage["data"][0]["y"], shipped["expert_share"])
    assert np.allclose(classes["data"][0]["z"], gated.class_shares(np.array(shipped["expert_class_counts"])))
    # the path chart is the experts the generator itself picks along the 16-frame path from seed 0 to seed 1
    monkeypatch.setenv("BINARYGAN_CHECKPOINTS", str(dashboard_root))
    z = analysis.interpolate(make_latents(1, 0)[0], make_latents(1, 1)[0], 16)
    _, route = gated.path_gates(load_generator("mlp-sbn-wgan-gp-code-gated"), z, 0)
    assert np.array_equal(path["data"][0]["y"], route)


def test_the_routed_grid_lists_the_experts_the_gates_chose(app):
    at = app("conditional", "gated=mlp-dbn-wgan-gp-code-gated&grid=3&seed=5")
    table = at.dataframe[0].value
    assert table.shape == (3, 3)
    g = load_generator("mlp-dbn-wgan-gp-code-gated")
    assert np.array_equal(table.to_numpy().ravel(), gated.routes(g, 9, 5)[1])


def test_the_page_opens_on_the_dbn_gates(app):
    assert app("conditional").radio(key="cc_variant").value == "mlp-dbn-wgan-gp-code-gated"


def test_settings_travel_in_the_address(app):
    at = app("conditional", "gated=mlp-dbn-wgan-gp-code-gated&grid=5&start=3&end=9&steps=7")
    assert at.radio(key="cc_variant").value == "mlp-dbn-wgan-gp-code-gated"
    assert at.select_slider(key="cc_grid").value == 5
    assert (at.number_input(key="cc_start").value, at.slider(key="cc_steps").value) == (3, 7)
    at.slider(key="cc_steps").set_value(12).run()
    assert at.query_params["steps"] == "12" and at.query_params["gated"] == "mlp-dbn-wgan-gp-code-gated"


def test_one_seed_gives_no_verdict_yet(app, texts):
    at = app("conditional")
    assert [m.value for m in at.metric] == ["no verdict yet", "0 of 1", "no verdict yet"] + ["no verdict yet"] * 2


def test_three_seeds_are_judged_by_the_stated_rules(make_app, dashboard_root, tmp_path, texts):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    summary = json.loads((root / METRICS_FILE).read_text())
    name, dense = "mlp-sbn-wgan-gp-code-gated", "mlp-sbn-wgan-gp-code"
    shutil.copytree(root / "mlp-sbn-wgan-gp", root / dense)  # any trained folder stands in for the dense twin's
    gated_m = summary["variants"][name] | {"fd": 50.0}
    (root / name / METRICS_FILE).write_text(json.dumps(gated_m))
    dense_m = summary["variants"]["mlp-sbn-wgan-gp"] | {"fd": 80.0}
    (root / dense / METRICS_FILE).write_text(json.dumps(dense_m))
    collapsed = gated_m | {"expert_share": [1.0, 0, 0, 0], "expert_entropy_bits": 0.0, "idle_experts": 3}
    summary["seeds"] = {
        name: {"1": gated_m | {"fd": 51.0}, "2": collapsed | {"fd": 49.0}},
        dense: {"1": dense_m | {"fd": 81.0}, "2": dense_m | {"fd": 79.0}},
    }
    (root / METRICS_FILE).write_text(json.dumps(summary))
    at = make_app(root, "conditional", f"gated={name}")
    quality, collapses, specialised, *_ = (m.value for m in at.metric)
    assert quality == "better" and collapses == "1 of 3"
    assert specialised == ("yes" if gated_m["expert_class_nmi"] > gated.SPECIALISED_NMI else "no")
    table = at.dataframe[1].value
    assert table.loc[table["variant"] == name, "FD mean"].item() == pytest.approx(50.0)
    assert table.loc[table["variant"] == dense, "FD sd"].item() == pytest.approx(1.0)
    assert len(charts_usage := at.get("plotly_chart")) == 3 and charts_usage


def test_a_malformed_gate_metrics_file_is_an_error_not_a_traceback(make_app, dashboard_root, tmp_path, texts):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    path = root / "mlp-sbn-wgan-gp-code-gated" / METRICS_FILE
    path.write_text(json.dumps(json.loads(path.read_text()) | {"expert_share": [0.5, "x"]}))
    at = make_app(root, "conditional")
    assert any("expert_share" in e for e in texts(at, "error"))


def test_an_untrained_gated_variant_is_named(make_app, dashboard_root, tmp_path):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    shutil.rmtree(root / "mlp-sbn-wgan-gp-code-gated")
    at = make_app(root, "conditional", "gated=mlp-sbn-wgan-gp-code-gated")
    assert any("not trained yet" in i.value for i in at.info)


def test_runs_on_the_shipped_checkpoints(make_app, texts):
    """Every shipped gated variant renders its grids, verdicts and charts from the repository's own files."""
    root = REPO / "checkpoints"
    at = make_app(root, "conditional")
    for name in gated.gated_variants():
        at.radio(key="cc_variant").set_value(name).run()
        assert not at.exception and not texts(at, "error"), name
        if files.variant_status(name, root).state != files.TRAINED:
            assert any("not trained yet" in i for i in texts(at, "info")), name
            continue
        assert len(at.get("plotly_chart")) == 3 and len(at.metric) == 5, name
        shipped = gated.gate_metrics(name, root)
        collapsed = sum(m.collapsed for m in shipped.values())
        assert at.metric[1].value == f"{collapsed} of {len(shipped)}", name
        controls = gated.judge_controls(root)
        assert [m.value for m in at.metric[3:]] == [controls.attribution, controls.parameters], name


def test_the_controls_are_judged_by_the_rule_stated_before_they_trained(make_app, dashboard_root, tmp_path):
    root = tmp_path / "checkpoints"
    shutil.copytree(dashboard_root, root)
    summary = json.loads((root / METRICS_FILE).read_text())
    fds = {  # gated no different from soft, both better than random: routing; quarter worse than gated
        gated.DENSE: (46.0, 48.0, 50.0),
        gated.GATED: (31.0, 31.2, 31.4),
        gated.RANDOM: (40.0, 41.0, 42.0),
        gated.SOFT: (31.0, 32.0, 33.0),
        gated.QUARTER: (60.0, 62.0, 64.0),
    }
    summary["seeds"] = {}
    for name, (fd0, *others) in fds.items():
        path = root / name / METRICS_FILE
        path.parent.mkdir(exist_ok=True)
        shipped = json.loads(path.read_text()) if path.exists() else {}  # the demo's gate fields stay
        path.write_text(json.dumps(shipped | {"fd": fd0, "precision": 0.7, "recall": 0.5}))
        summary["seeds"][name] = {str(s): shipped | {"fd": v} for s, v in enumerate(others, 1)}
    (root / METRICS_FILE).write_text(json.dumps(summary))
    at = make_app(root, "conditional")  # the demo's SBN-gated variant: the controls show beside any
    assert [m.value for m in at.metric[3:]] == [gated.ROUTING, gated.NEEDS_PARAMETERS]
    table = at.dataframe[2].value.set_index("variant")
    assert table.loc[gated.SOFT, "gated against it"] == "no different"
    assert table.loc[gated.QUARTER, "FD against dense"] == "worse"
