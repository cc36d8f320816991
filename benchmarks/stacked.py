"""Several seeds of one variant in one process: each tensor of S models stacked along a new first axis, the forward
passes run by `torch.func.vmap`, against the project's `train_step` run once per seed.

`stacked_step` is the same training as S calls of `train_step`: the same losses (`critic_loss`), each seed's noise
drawn from its own generator in the same order, and elementwise optimisers (Adam, RMSProp) and clipping, which act on
a stacked tensor as they would on each slice. Tests compare the two to float precision. Only variants without batch
statistics can stack (the code recipe, or no BatchNorm): vmap cannot update one running mean per model in place.

`python -m benchmarks.stacked [--variant NAME] [--sizes 1,2,4,8]` prints the time per model and per iteration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from benchmarks.report import table
from benchmarks.roofline import sync, timed
from benchmarks.training import project_iteration, random_data
from training import objectives as obj
from training.config import SCORE_FUNCTION_ESTIMATORS, VariantConfig, get_variant
from training.networks import Generator, build_discriminator
from training.trainer import critic_loss, penalty_mix

N_CRITIC = 5
VARIANTS = ("mlp-dbn-wgan-gp-code", "mlp-sbn-wgan-gp-code")
SIZES = (1, 2, 4, 8)
COLUMNS = [
    ("variant", "variant", "s"),
    ("how", "how", "s"),
    ("models", "models", "d"),
    ("ms_per_iteration", "ms/it", ".1f"),
    ("ms_per_model", "ms/it per model", ".1f"),
    ("speedup_per_model", "speed-up per model", ".2f"),
]


class Stacked(nn.Module):
    """S copies of one network as stacked parameters (S, ...), so the project's optimisers and clipping take them."""

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        if any(len(list(m.buffers())) for m in models):
            raise ValueError("networks with batch statistics cannot be stacked; use a code-recipe variant")
        params, _ = stack_module_state(models)  # {name: (S, ...)}
        self.names = list(params)
        self.stacked = nn.ParameterList(nn.Parameter(params[k].detach().clone()) for k in self.names)
        self.base = models[0]  # the layout functional_call fills with one model's slices

    def slices(self, skip_grad: bool = False) -> dict[str, torch.Tensor]:
        return {k: (p.detach() if skip_grad else p) for k, p in zip(self.names, self.stacked, strict=True)}


class _CriticLoss(nn.Module):
    """`critic_loss` as a module's forward, so functional_call runs it on one seed's critic."""

    def __init__(self, cfg: VariantConfig, D: nn.Module):
        super().__init__()
        self.cfg, self.D = cfg, D

    def forward(self, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor | None) -> torch.Tensor:
        return critic_loss(self.cfg, self.D, real, fake, alpha)


def stacked_step(
    cfg: VariantConfig,
    G: Stacked,
    D: Stacked,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    slope: float,
    n_critic: int,
    rngs: list[torch.Generator],
) -> tuple[torch.Tensor, torch.Tensor]:
    """One generator iteration for S seeds at once: real (S, B, 784), z (S, B, 128); returns the losses (S,), (S,)."""
    gen = G.base
    assert isinstance(gen, Generator)
    body, neuron = gen.body, gen.neuron
    g_body = {k.removeprefix("body."): v for k, v in G.slices().items()}
    loss_d = _CriticLoss(cfg, D.base)

    def logits_of(params: dict, zs: torch.Tensor) -> torch.Tensor:
        return vmap(lambda p, zi: functional_call(body, p, (zi,)))(params, zs)  # (S, B, 784)

    def per_seed_noise(logits: torch.Tensor) -> torch.Tensor:  # the neuron is elementwise; each seed's own draws
        return torch.stack([neuron(x, slope, r) for x, r in zip(logits, rngs, strict=True)])

    # ---- discriminator block ----
    with torch.no_grad():
        logits = logits_of({k: v.detach() for k, v in g_body.items()}, z)
    params = {f"D.{k}": v for k, v in D.slices().items()}  # the optimiser updates these tensors in place
    for _ in range(n_critic):
        with torch.no_grad():
            fake = per_seed_noise(logits)  # (S, B, 784)
        mixes = [penalty_mix(cfg, real[i], r) for i, r in enumerate(rngs)]
        alpha = None if mixes[0] is None else torch.stack([m for m in mixes if m is not None])
        d_losses = vmap(
            lambda p, r, f, a: functional_call(loss_d, p, (r, f, a)), in_dims=(0, 0, 0, None if alpha is None else 0)
        )(params, real, fake, alpha)  # (S,)
        opt_d.zero_grad(set_to_none=True)
        d_losses.sum().backward()  # the seeds share no parameter, so each slice gets its own seed's gradient
        opt_d.step()
        if cfg.objective == "wgan":
            obj.clip_weights(D, cfg.clip_value)

    # ---- generator block ----
    fake = per_seed_noise(logits_of(g_body, z))
    scores = vmap(lambda p, f: functional_call(D.base, p, (f,)))(D.slices(skip_grad=True), fake)  # (S, B)
    g_losses = torch.stack([obj.G_LOSSES[cfg.objective](s) for s in scores])  # (S,)
    opt_g.zero_grad(set_to_none=True)
    g_losses.sum().backward()
    opt_g.step()
    return d_losses.detach(), g_losses.detach()


def build(cfg: VariantConfig, seeds: list[int], device: torch.device) -> tuple[Stacked, Stacked]:
    """The networks `train` would build for each seed, stacked."""
    if cfg.estimator in SCORE_FUNCTION_ESTIMATORS:
        raise ValueError(
            f"{cfg.name}: the {cfg.estimator} estimator's generator step is not stacked; time it with train_step"
        )
    Gs, Ds = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        Gs.append(Generator(cfg).to(device).train())
        Ds.append(build_discriminator(cfg).to(device).train())
    return Stacked(Gs), Stacked(Ds)


def stacked_iteration(cfg: VariantConfig, size: int, device: torch.device, n_images: int = 4096) -> Callable[[], None]:
    G, D = build(cfg, list(range(size)), device)
    opt_g, opt_d = obj.make_optimizers(cfg, G, D)
    rngs = [torch.Generator(device=device).manual_seed(s) for s in range(size)]
    data = random_data(n_images, device)

    def step() -> None:
        idx = torch.randint(n_images, (size, cfg.batch_size), device=device, generator=rngs[0])
        z = torch.randn(size, cfg.batch_size, cfg.latent_dim, device=device, generator=rngs[0])
        stacked_step(cfg, G, D, opt_g, opt_d, data[idx], z, 1.0, N_CRITIC, rngs)

    return step


def run(variant: str, sizes: tuple[int, ...], device: torch.device, min_time: float = 3.0) -> list[dict]:
    """Milliseconds per iteration and per model for one seed per process (`train_step`) and for each stack size."""
    cfg = get_variant(variant)
    one = timed(project_iteration(cfg, device), device, min_time)
    rows = [
        {
            "variant": variant,
            "models": 1,
            "how": "train_step",
            "ms_per_iteration": one * 1e3,
            "ms_per_model": one * 1e3,
            "speedup_per_model": 1.0,
        }
    ]
    for size in sizes:
        t = timed(stacked_iteration(cfg, size, device), device, min_time)
        sync(device)
        rows.append(
            {
                "variant": variant,
                "models": size,
                "how": "stacked (vmap)",
                "ms_per_iteration": t * 1e3,
                "ms_per_model": t * 1e3 / size,
                "speedup_per_model": one / (t / size),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stacked", description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", help="a code-recipe or no-BatchNorm variant (repeatable)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="stack sizes, comma-separated")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--min-time", type=float, default=3.0, help="seconds each timing runs at least")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    device = torch.device(args.device)
    print(
        f"device {device}, {torch.get_num_threads()} threads; one iteration = {N_CRITIC} critic + 1 generator "
        f"updates, batch 64 per model"
    )
    for variant in args.variant or VARIANTS:
        print(table(run(variant, sizes, device, args.min_time), COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
