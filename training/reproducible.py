"""`--reproducible`: a CPU mode in which a seed gives the same weights on any x86-64 processor with AVX2.

Without it the float sums inside the kernels run in an order that depends on the processor: MKL picks its sgemm
code path by instruction set, oneDNN picks its convolutions by instruction set (and blocks them by cache size), and
the thread count splits every parallel sum. docs/reproducible.md has the evidence; the mode pins all of these:

- one thread (OpenMP and MKL), never adjusted at run time;
- MKL's conditional numerical reproducibility, branch COMPATIBLE: the same sgemm code on Intel and AMD alike
  (a branch such as AVX2 holds on Intel processors only; MKL falls back to its AUTO choice on others);
- torch's own kernels dispatched to AVX2 (AVX-512 machines would otherwise take their own);
- oneDNN off (`apply_runtime`): the CNNs' convolutions then run as ATen's im2col + MKL sgemm, which CNR covers.

MKL, OpenMP and ATen read their variables once, when torch loads or first calls them, so `ENV` must be in the
environment before `import torch`; this module imports no torch at the top for that reason.
"""

from __future__ import annotations

import os
import sys

ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MKL_DYNAMIC": "FALSE",
    "OMP_DYNAMIC": "FALSE",
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "avx2",
}
CAPABILITY = "AVX2"  # what torch.backends.cpu.get_cpu_capability() reports under ATEN_CPU_CAPABILITY=avx2


class ReproducibleModeError(ValueError):
    """The mode cannot hold in this process or on this machine (a ValueError: the CLI prints it as an error)."""


def env_in_effect(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return all(environ.get(k) == v for k, v in ENV.items())


def apply_env() -> bool:
    """Put ENV into this process's environment and return True, unless torch is already loaded under other settings:
    then change nothing and return False, and the caller must run the command again in a fresh process with ENV
    (see `rerun`)."""
    if "torch" in sys.modules and not env_in_effect():
        return False
    os.environ.update(ENV)
    return True


def rerun(argv: list[str]) -> int:
    """Run `python -m training ARGV` in a child process whose environment holds ENV; its exit status."""
    import subprocess

    return subprocess.call([sys.executable, "-m", "training", *argv], env=os.environ | ENV)


def apply_runtime() -> dict[str, object]:
    """After torch is loaded: check that ENV took effect, switch oneDNN off, and return the mode as the provenance
    records it. Refuses a machine without AVX2 (torch would silently fall back to its plain kernels) and a process
    whose environment was set too late."""
    import torch

    if not env_in_effect():
        raise ReproducibleModeError(
            "--reproducible: the environment was not set before torch loaded; run it as "
            "`python -m training ... --reproducible` or set " + " ".join(f"{k}={v}" for k, v in ENV.items())
        )
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != CAPABILITY:
        raise ReproducibleModeError(
            f"--reproducible needs a processor with AVX2; torch's kernels run {capability} here"
        )
    torch.set_num_threads(1)
    torch.backends.mkldnn.set_flags(False)  # oneDNN has no reproducible mode; its convolutions fall back to MKL
    return {"env": dict(ENV), "onednn": False, "threads": torch.get_num_threads(), "cpu_capability": capability}
