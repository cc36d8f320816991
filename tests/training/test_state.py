import pytest
import torch

from training import objectives as obj
from training.checkpoint import CheckpointError
from training.errors import TrainingError
from training.networks import Generator, build_discriminator
from training.state import check_resumable, load_state, progress_record, save_state
from training.step import train_step
from training.variants import get_variant


def _run(name: str, seed: int):
    """A variant's networks, optimisers and generator after one step from `seed`: the optimisers hold moments."""
    cfg = get_variant(name)
    torch.manual_seed(seed)
    G, D = Generator(cfg).train(), build_discriminator(cfg).train()
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    rng = torch.Generator().manual_seed(seed)
    real = (torch.rand(64, 784, generator=torch.Generator().manual_seed(1)) < 0.2).float()
    train_step(cfg, G, D, opt_g, opt_d, real, torch.randn(64, 128, generator=rng), 1.0, 2, rng)
    return cfg, G, D, opt_g, opt_d, rng, real


def _continue(cfg, G, D, opt_g, opt_d, rng, real) -> list[torch.Tensor]:
    train_step(cfg, G, D, opt_g, opt_d, real, torch.randn(64, 128, generator=rng), 1.0, 2, rng)
    return [p.detach().clone() for p in (*G.parameters(), *D.parameters())]


def test_a_loaded_state_continues_exactly_as_the_run_that_saved_it(tmp_path):
    cfg, G, D, opt_g, opt_d, rng, real = _run("mlp-sbn-gan", seed=0)  # BatchNorm in D: buffers must come back too
    progress = progress_record(1, 2.5, [{"epoch": 1}], 0, cfg, False)
    save_state(tmp_path / "state", G, D, opt_g, opt_d, rng, progress)
    _, G2, D2, opt_g2, opt_d2, rng2, _ = _run("mlp-sbn-gan", seed=7)  # another starting point, overwritten by the load
    assert load_state(tmp_path / "state", G2, D2, opt_g2, opt_d2, rng2) == progress
    resumed = _continue(cfg, G2, D2, opt_g2, opt_d2, rng2, real)
    original = _continue(cfg, G, D, opt_g, opt_d, rng, real)
    assert all(torch.equal(a, b) for a, b in zip(original, resumed, strict=True))


def test_a_state_of_another_variant_is_refused(tmp_path):
    cfg, G, D, opt_g, opt_d, rng, _ = _run("mlp-dbn-wgan-gp", seed=0)
    save_state(tmp_path / "state", G, D, opt_g, opt_d, rng, progress_record(1, 1.0, [], 0, cfg, False))
    _, G2, D2, opt_g2, opt_d2, rng2, _ = _run("cnn-dbn-wgan-gp", seed=0)
    with pytest.raises(CheckpointError, match="does not fit this variant"):
        load_state(tmp_path / "state", G2, D2, opt_g2, opt_d2, rng2)


def test_a_run_resumes_only_with_its_seed_recipe_and_mode_and_only_to_more_epochs(tmp_path):
    cfg = get_variant("mlp-dbn-wgan-gp").replace(epochs=2)
    saved = progress_record(1, 1.0, [], 3, cfg, False)
    check_resumable(saved, cfg.replace(epochs=5), 3, False, tmp_path)  # only the total may grow
    with pytest.raises(TrainingError, match="another seed or config"):
        check_resumable(saved, cfg, 4, False, tmp_path)
    with pytest.raises(TrainingError, match="another seed or config"):
        check_resumable(saved, cfg.replace(gp_lambda=1.0), 3, False, tmp_path)
    with pytest.raises(TrainingError, match="started without --reproducible"):
        check_resumable(saved, cfg, 3, True, tmp_path)
    with pytest.raises(TrainingError, match="already finished 1 epochs"):
        check_resumable(saved, cfg.replace(epochs=1), 3, False, tmp_path)


def test_a_state_from_before_the_reproducible_mode_resumes_without_it(tmp_path):
    cfg = get_variant("mlp-dbn-wgan-gp").replace(epochs=2)
    saved = progress_record(1, 1.0, [], 0, cfg, False)
    del saved["reproducible"]
    check_resumable(saved, cfg, 0, False, tmp_path)
    with pytest.raises(TrainingError, match="started without --reproducible"):
        check_resumable(saved, cfg, 0, True, tmp_path)
