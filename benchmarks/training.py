"""Training throughput: the project's step against a plain PyTorch loop, in the same process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.flops import iteration_flops
from benchmarks.roofline import sync, timed
from training import objectives as obj
from training.config import VariantConfig
from training.networks import Discriminator, Generator, build_discriminator
from training.step import train_step
from training.variants import get_variant

CASES = (
    "mlp-dbn-wgan-gp",
    "mlp-sbn-wgan-gp",
    "mlp-real-wgan-gp",
    "mlp-dbn-wgan",
    "mlp-dbn-gan",
    "cnn-dbn-wgan-gp",
    "cnn-real-wgan-gp",
)
QUICK_CASES = ("mlp-dbn-wgan-gp", "cnn-dbn-wgan-gp")
N_CRITIC = 5


def random_data(n_images: int, device: torch.device) -> torch.Tensor:
    return (torch.rand(n_images, 784, device=device) < 0.19).float()  # (N, 784), MNIST's on-pixel rate


def _setup(cfg: VariantConfig, device: torch.device, n_images: int) -> tuple[Generator, Discriminator, torch.Tensor]:
    torch.manual_seed(0)
    G, D = Generator(cfg).to(device), build_discriminator(cfg).to(device)
    return G, D, random_data(n_images, device)


def project_iteration(cfg: VariantConfig, device: torch.device, n_images: int = 4096) -> Callable[[], None]:
    """One generator iteration exactly as the training loop runs it: data resident, no host work per step."""
    G, D, data = _setup(cfg, device, n_images)
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    rng = torch.Generator(device=device).manual_seed(0)
    perm = torch.randperm(n_images, device=device, generator=rng)
    state = {"i": 0}

    def step() -> None:
        i = state["i"] % (n_images // cfg.batch_size)
        state["i"] += 1
        real = data[perm[i * cfg.batch_size : (i + 1) * cfg.batch_size]]
        z = torch.randn(cfg.batch_size, cfg.latent_dim, device=device, generator=rng)
        train_step(cfg, G, D, opt_g, opt_d, real, z, 1.0, N_CRITIC, rng)

    return step


def naive_iteration(cfg: VariantConfig, device: torch.device, n_images: int = 4096) -> Callable[[], None]:
    """The usual straightforward loop: a DataLoader, G re-run per critic step, separate D calls,
    default (unfused) optimisers, and a .item() per step for logging."""
    G, D, data = _setup(cfg, device, n_images)
    D.has_closed_form_input_gradient = False  # the penalty through autograd's double backward, as usually written
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    if cfg.objective == "wgan":
        opt_g, opt_d = (torch.optim.RMSprop(m.parameters(), lr=cfg.lr, alpha=0.9) for m in (G, D))
    else:
        opt_g, opt_d = (torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=(0.5, 0.9)) for m in (G, D))
    loader = DataLoader(TensorDataset(data.cpu()), batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    batches: Iterator[list[torch.Tensor]] = iter(())
    d_loss_fn, g_loss_fn = obj.D_LOSSES[cfg.objective], obj.G_LOSSES[cfg.objective]
    log: list[float] = []

    def step() -> None:
        nonlocal batches
        try:
            (real,) = next(batches)
        except StopIteration:
            batches = iter(loader)
            (real,) = next(batches)
        real = real.to(device)
        z = torch.randn(cfg.batch_size, cfg.latent_dim, device=device)
        for _ in range(N_CRITIC):
            fake = G(z, 1.0).detach()
            d_loss = d_loss_fn(D(real), D(fake))
            if cfg.objective == "wgan-gp":
                alpha = torch.rand(cfg.batch_size, device=device)
                d_loss = d_loss + cfg.gp_lambda * obj.gradient_penalty(D, obj.interpolate(real, fake, alpha))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            if cfg.objective == "wgan":
                obj.clip_weights(D, cfg.clip_value)
            log.append(d_loss.item())
        g_loss = g_loss_fn(D(G(z, 1.0)))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        log.append(g_loss.item())

    return step


def run(device: torch.device, roofline_gflops: float, quick: bool = False) -> list[dict]:
    rows = []
    min_time = 0.5 if quick else 3.0
    for name in QUICK_CASES if quick else CASES:
        cfg = get_variant(name)
        flops = iteration_flops(cfg, N_CRITIC)["iteration"]
        ours = timed(project_iteration(cfg, device), device, min_time)
        naive = timed(naive_iteration(cfg, device), device, min_time)
        sync(device)
        gflops = flops / ours / 1e9
        rows.append(
            {
                "variant": name,
                "ms_per_iteration": ours * 1e3,
                "naive_ms_per_iteration": naive * 1e3,
                "speedup_vs_naive": naive / ours,
                "gflop_per_iteration": flops / 1e9,
                "achieved_gflops": gflops,
                "roofline_share": gflops / roofline_gflops,
            }
        )
    return rows
