"""The sweep on Ray: a real local Ray instance runs tiny jobs; results land where a local sweep puts them."""

from __future__ import annotations

import json

import pytest

from tests.helpers import needs_avx2
from training import reproducible
from training.cli import main
from training.critic import compare_generators
from training.errors import TrainingError
from training.ray_sweep import gather, sweep_ray
from training.sweep import SweepOptions

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e .[ray] (CI installs it)")


@pytest.fixture(scope="module")
def local_ray():
    """One real local Ray instance for the module: starting its workers is the slow part (torch imports)."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


LIMIT, N, HISTORY_N = 128, 64, 32  # tiny jobs


def _opts(tmp_path, tiny_mnist, tiny_classifier, **kw) -> SweepOptions:
    return SweepOptions(
        runs=tmp_path / "runs",
        ship=tmp_path / "checkpoints",
        data_dir=str(tiny_mnist),
        limit=LIMIT,
        epochs=1,
        n=N,
        history_n=HISTORY_N,
        classifier=tiny_classifier,
        verify_data=False,
        progress=False,
        **kw,
    )


@pytest.mark.slow
def test_two_jobs_run_as_ray_tasks_and_land_in_the_checkpoints_layout(tmp_path, tiny_mnist, tiny_classifier, local_ray):
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier, seeds=(0, 1))
    logs: list[str] = []
    runs = sweep_ray(["mlp-dbn-gan"], opts, log=logs.append)
    assert runs == [tmp_path / "runs" / "mlp-dbn-gan", tmp_path / "runs" / "seed-1" / "mlp-dbn-gan"]
    assert logs[0].startswith("2 jobs submitted to Ray (1 CPU each, 2 available)")
    assert sum("done" in line for line in logs) == 2
    assert ray.is_initialized()  # the caller's session is left running
    ship = tmp_path / "checkpoints"
    assert (ship / "mlp-dbn-gan" / "generator.safetensors").is_file()
    assert sorted(p.name for p in (ship / "mlp-dbn-gan" / "seeds" / "seed-1").iterdir()) == [
        "history.json",
        "metrics.json",
    ]
    table = json.loads((ship / "metrics.json").read_text())
    assert set(table["variants"]) == {"mlp-dbn-gan"} and set(table["seeds"]["mlp-dbn-gan"]) == {"1"}
    # a rerun finds both runs finished: nothing trains again, and the shipped bytes stay the same
    weights = (ship / "mlp-dbn-gan" / "generator.safetensors").read_bytes()
    logs.clear()
    sweep_ray(["mlp-dbn-gan"], opts, log=logs.append)
    assert (ship / "mlp-dbn-gan" / "generator.safetensors").read_bytes() == weights


@pytest.mark.slow
def test_a_failing_job_is_reported_by_name_and_the_others_still_ship(tmp_path, tiny_mnist, tiny_classifier, local_ray):
    opts = _opts(tmp_path, tiny_mnist, tiny_classifier)
    # a file where the run folder should be: that job cannot start, the other one can
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "mlp-sbn-gan").write_text("not a folder")
    with pytest.raises(TrainingError, match=r"1 of 2 jobs failed.*mlp-sbn-gan \(seed 0\)"):
        sweep_ray(["mlp-dbn-gan", "mlp-sbn-gan"], opts, log=lambda _: None)
    assert (tmp_path / "checkpoints" / "mlp-dbn-gan" / "generator.safetensors").is_file()


@needs_avx2
@pytest.mark.slow
def test_the_reproducible_mode_reaches_the_ray_workers(tmp_path, tiny_mnist, tiny_classifier, local_ray):
    """A worker's process starts before its job arrives, so the mode's variables must come with the task (its
    runtime_env): the job records the mode, and it trains the bytes that a local `sweep --reproducible` trains."""
    opts = _opts(tmp_path / "ray", tiny_mnist, tiny_classifier, reproducible=True)
    (on_ray,) = sweep_ray(["mlp-sbn-wgan-gp"], opts, log=lambda _: None)
    provenance = json.loads((on_ray / "config.json").read_text())["provenance"]
    assert provenance["reproducible"]["env"] == reproducible.ENV
    local = tmp_path / "local"
    args = ["--data-dir", str(tiny_mnist), "--no-verify", "--limit", str(LIMIT), "--epochs", "1", "--no-progress"]
    args += ["--n", str(N), "--history-n", str(HISTORY_N), "--reproducible"]
    assert main(["sweep", "mlp-sbn-wgan-gp", "--runs", str(local), *args]) == 0
    assert compare_generators(on_ray, local / "mlp-sbn-wgan-gp") == []


def test_gathered_files_cannot_escape_their_run_folder(tmp_path):
    opts = SweepOptions(runs=tmp_path / "runs")
    with pytest.raises(ValueError, match="outside its run folder"):
        gather("mlp-dbn-gan", 0, {"../../evil": b"x"}, opts)
    assert not (tmp_path / "evil").exists()
