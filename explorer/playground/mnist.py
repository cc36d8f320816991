"""The MNIST world, live: a registry MLP variant trained by the project's own trainer (training/trainer.py's start,
epoch_order and batch_step), one generator update at a time, for at most MAX_G_UPDATES of them. Not exact, as the
4x4 world is, but real: the same seed takes the same updates as `python -m training train` on the same images, bit
for bit on one machine, and a run saved here loads with BinaryGAN.from_pretrained like any shipped checkpoint.

Its initial weights come from torch's global generator, seeded as the trainer seeds it; here that happens under a
lock inside torch.random.fork_rng, so the server's global generator is the same after a run starts as before.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training import trainer
from training.checkpoint import HISTORY_FILE, atomic_write_json, inference_state
from training.critic import save_critic
from training.data import DATA_ENV as DATA_ENV
from training.data import DEFAULT_DATA_DIR as DEFAULT_DATA_DIR
from training.data import DataError as DataError
from training.data import Split, load_split
from training.pretrained import BinaryGAN
from training.provenance import epoch_record, run_record
from training.rng import validate_seed
from training.sampling import make_latents
from training.variants import REGISTRY

MAX_G_UPDATES = 1000  # per run: a minute or two of one core after the critic's warm-up
SAMPLES = 16  # latents of the page's seed shown as samples, the same ones every frame
VARIANTS = tuple(name for name, c in REGISTRY.items() if c.arch == "mlp")  # a CNN update is seconds on a shared core
_INIT = threading.Lock()  # two runs starting at once must not interleave their seeding of the global generator


def training_split() -> Split:
    """The MNIST training split from the usual data folder ($BINARYGAN_DATA, else data/mnist), sha256-checked;
    DataError, naming the folder and how to fill it, when it is not there."""
    return load_split("train")


class MnistRun:
    """One live run of a registry variant on `images` (N, 28, 28) uint8 in {0, 1}, the training split's."""

    def __init__(self, variant: str, seed: int, images: np.ndarray, data_sha256: str) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"{variant!r} is not an MLP variant of the registry (the MNIST world trains those only)")
        self.cfg = cfg = REGISTRY[variant]
        self.seed = validate_seed(seed, "seed")
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) < cfg.batch_size:
            raise ValueError(f"the MNIST world needs (N >= {cfg.batch_size}, 28, 28) images, got {images.shape}")
        self.data = torch.from_numpy(images).view(len(images), -1)  # (N, 784) uint8, shared between runs, read only
        self.steps_per_epoch = len(images) // cfg.batch_size
        cpu = torch.device("cpu")
        with _INIT, torch.random.fork_rng(devices=[]):
            self.G, self.D, self.opt_g, self.opt_d, self.rng = trainer.start(cfg, self.seed, cpu)
        self.run = run_record(cfg, self.seed, data_sha256, len(images), cpu, False)
        self.order = torch.empty(0, dtype=torch.long)
        self.d_loss: list[float] = []  # D's last loss of each generator update
        self.g_loss: list[float] = []
        self.elapsed: list[float] = []  # training seconds (not drawing) up to the end of each generator update
        self.view_latents = make_latents(SAMPLES, self.seed)

    @property
    def g_updates(self) -> int:
        return len(self.g_loss)

    @property
    def seconds(self) -> float:
        return self.elapsed[-1] if self.elapsed else 0.0

    @property
    def at_cap(self) -> bool:
        return self.g_updates >= MAX_G_UPDATES

    @property
    def epoch(self) -> int:
        """The 1-based epoch the next update belongs to."""
        return self.g_updates // self.steps_per_epoch + 1

    @property
    def slope(self) -> float:
        return self.cfg.slope_at(self.epoch)

    def step(self) -> str:
        """One generator update, with the critic updates the schedule puts before it; its label."""
        if self.at_cap:
            raise ValueError(f"this run has reached the cap of {MAX_G_UPDATES:,} generator updates; reset it")
        i = self.g_updates % self.steps_per_epoch
        if i == 0:
            self.order = trainer.epoch_order(self.data, self.rng)
        n_critic = self.cfg.critic_steps(self.g_updates)
        t0 = time.perf_counter()
        d, g = trainer.batch_step(
            self.cfg, self.G, self.D, self.opt_g, self.opt_d, self.data, self.order, i, self.g_updates, self.slope,
            self.rng,
        )  # fmt: skip
        self.elapsed.append(self.seconds + time.perf_counter() - t0)
        self.d_loss.append(float(d))
        self.g_loss.append(float(g))
        return (
            f"G update {self.g_updates} (after {n_critic} critic updates): critic loss {self.d_loss[-1]:.4g}, "
            f"generator loss {self.g_loss[-1]:.4g}"
        )

    def advance(self, steps: int, seconds: float | None = None) -> tuple[int, str | None]:
        """Up to `steps` updates, stopping at the cap and, given `seconds`, once that much time has passed; the
        updates taken and the last one's label."""
        start, taken, label = time.perf_counter(), 0, None
        while taken < steps and not self.at_cap:
            if seconds is not None and taken and time.perf_counter() - start >= seconds:
                break
            label = self.step()
            taken += 1
        return taken, label

    def history(self) -> list[dict[str, Any]]:
        """The trainer's history.json records, one per epoch begun: its slope and mean losses (the last epoch's
        over the updates taken so far)."""
        records = []
        for start in range(0, self.g_updates, self.steps_per_epoch):
            end = min(start + self.steps_per_epoch, self.g_updates)
            d, g = self.d_loss[start:end], self.g_loss[start:end]
            epoch = start // self.steps_per_epoch + 1
            records.append(
                {
                    "epoch": epoch,
                    "slope": self.cfg.slope_at(epoch),
                    "wall_time_s": round(self.elapsed[end - 1], 3),  # at the epoch's end, as the trainer records it
                    "d_loss": sum(d) / len(d),
                    "g_loss": sum(g) / len(g),
                }
            )
        return records

    def provenance(self) -> dict[str, Any]:
        record = epoch_record(self.run, self.epoch, self.cfg.epochs, self.slope, self.seconds)
        return record | {
            "playground": {"g_updates": self.g_updates, "of_epochs": self.g_updates / self.steps_per_epoch}
        }

    def model(self) -> BinaryGAN:
        """The generator as it is now, as the other pages' model class (float32, eval mode, a copy)."""
        state = {k: v.clone() for k, v in inference_state(self.G).items()}
        return BinaryGAN(self.cfg, state, self.provenance(), source="playground")

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(binary (SAMPLES, 28, 28) uint8, preactivation p (SAMPLES, 28, 28)) of the seed's first latents."""
        s = self.model().decode(self.view_latents, seed=self.seed)
        return s.binary, s.preactivation

    def save(self, folder: str | Path) -> Path:
        """A checkpoint folder as the trainer writes one, lean: generator, critic, config and history; the other
        pages' model class and `BinaryGAN.from_pretrained(folder)` read it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        prov = self.provenance()
        self.model().save_pretrained(folder)
        save_critic(folder, self.D, self.cfg, prov, torch.float32)
        atomic_write_json(folder / HISTORY_FILE, self.history())
        return folder
