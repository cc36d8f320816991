"""FLOPs of one training iteration, counted analytically from the layer shapes.

A dense or convolutional layer's forward costs 2 * (multiply-adds); its backward costs the same again for
the weight gradient and again for the input gradient. The gradient penalty adds a forward on the
interpolates, their input gradient (one more pass), and the double backward through that input gradient
(two more passes).
"""

from __future__ import annotations

import torch
from torch import nn

from training.config import VariantConfig
from training.networks import Generator, build_discriminator


def forward_flops(module: nn.Module, example: torch.Tensor) -> int:
    """2 * multiply-adds of the Linear, Conv2d and ConvTranspose2d layers on `example`'s batch."""
    total = 0

    def hook(layer: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(layer, nn.Linear):
            total += 2 * output.shape[0] * layer.in_features * layer.out_features
        elif isinstance(layer, nn.Conv2d):
            k = layer.kernel_size[0] * layer.kernel_size[1] * layer.in_channels // layer.groups
            total += 2 * output.numel() * k
        elif isinstance(layer, nn.ConvTranspose2d):
            k = layer.kernel_size[0] * layer.kernel_size[1] * layer.out_channels // layer.groups
            total += 2 * inputs[0].numel() * k

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))
    ]
    try:
        with torch.no_grad():
            module.eval()(example)
    finally:
        for h in handles:
            h.remove()
    return total


def iteration_flops(cfg: VariantConfig, n_critic: int = 5) -> dict[str, int]:
    """FLOPs of one generator iteration: n_critic D updates plus one G update, batch cfg.batch_size."""
    b = cfg.batch_size
    f_g = forward_flops(Generator(cfg).body, torch.zeros(b, cfg.latent_dim))
    f_d = forward_flops(build_discriminator(cfg), torch.zeros(b, 784))
    d_step = 3 * (2 * f_d)  # forward on real and fake, then weight and input gradients
    if cfg.objective == "wgan-gp":
        d_step += f_d + f_d + 2 * f_d  # interpolates: forward, input gradient, double backward
    g_step = 3 * f_g + 2 * f_d  # G forward + backward; D forward + input gradient only
    return {"g_logits": f_g, "d_step": d_step, "g_step": g_step, "iteration": f_g + n_critic * d_step + g_step}
