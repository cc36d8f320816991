"""TensorFlow 1's RMSProp, the optimiser the reference code's WGANs ran (`tf.train.RMSPropOptimizer`).

PyTorch's `torch.optim.RMSprop` differs in two places, and both matter under weight clipping, where the critic's
gradients are tiny:
- TensorFlow's mean-square accumulator starts at 1, not 0, so the first steps are about lr * g, not lr * sign(g);
- its epsilon sits inside the square root: p -= lr * g / sqrt(ms + eps), not lr * g / (sqrt(ms) + eps).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class TFRMSprop(torch.optim.Optimizer):
    """ms <- decay * ms + (1 - decay) * g^2, with ms = 1 at the start;  p <- p - lr * g / sqrt(ms + eps).

    TensorFlow's update with momentum 0 (the reference code's setting; its momentum term is then lr * g / ...).
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, decay: float = 0.9, eps: float = 1e-8):
        if not (0.0 <= decay < 1.0):
            raise ValueError(f"TFRMSprop decay {decay} is outside [0, 1)")
        super().__init__(params, {"lr": lr, "decay": decay, "eps": eps})

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]  # no closure: RMSProp needs one gradient
        for group in self.param_groups:
            lr, decay, eps = group["lr"], group["decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.ones_like(p, memory_format=torch.preserve_format)
                ms = state["square_avg"]
                ms.mul_(decay).addcmul_(p.grad, p.grad, value=1.0 - decay)
                p.addcdiv_(p.grad, ms.add(eps).sqrt_(), value=-lr)
