"""The machine's own dense fp32 matmul throughput: the roofline every other number is compared with."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device, min_time: float = 0.5, warmup: int = 2) -> float:
    """Median seconds per call over repeated calls that together take at least `min_time`."""
    for _ in range(warmup):
        fn()
    sync(device)
    times: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 3:
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def matmul_gflops(device: torch.device, n: int = 1024, min_time: float = 0.5) -> float:
    """Square n x n fp32 matmul, the dense peak a well-shaped layer can reach."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32
    seconds = timed(lambda: a @ b, device, min_time)
    return 2 * n**3 / seconds / 1e9
