"""Conditional computation: binary gate neurons choose which expert of the generator runs (beyond the paper).

The talk's closing point is that binary neurons "open the possibility of conditional computation graph" (Bengio,
Leonard & Courville 2013). Here a latent z first meets m = log2(K) binary gate neurons, the same kind (DBN or SBN) and
estimator as the output layer; their bits b spell the index k = sum_j b_j 2^j of the one expert that runs:

    a = BN(W_g z)                       (B, m)    gate pre-activations
    b = neuron(a)                       (B, m)    binary, with the output neuron's estimator in the backward pass
    x = sum_k w_k(b) E_k(z)             (B, 784)  w_k(b) = prod_j (b_j if bit j of k is set else 1 - b_j)
    y = neuron(x)                       (B, 784)  the usual binary output layer

Each expert E_k is the dense MLP generator's body with a K-th of its hidden width (1024 / K units), so the gated
generator has the dense one's parameter count (plus the gate layer and K - 1 extra output biases: +0.8% at K = 4).

Why a binary code rather than K free gates: exactly one expert is active by construction, with no one-hot constraint
or sparsity penalty to tune. (For DBN gates, each bit is a hyperplane through latent space, and two cut it into four
cells; it is a flat code, not a tree: bit 1 does not depend on bit 0.)
No load-balancing term: the adversarial loss is the dense generator's, so the comparison stays fair, and whether the
critic alone keeps every expert in use is the question (collapse is reported, not prevented).

w(b) is multilinear in b, so straight-through has a gradient for every gate: d x / d b_j = sum_k (d w_k / d b_j) E_k(z).
That needs every expert's output, so the generator's training step runs all K (the dense generator's multiply-adds);
without gradients (the critic's updates, sampling) only the active expert runs, on the latents routed to it.

Two controls share the experts (docs/conditional.md, "Does the binary gate matter?"): random routing, one expert per
latent drawn uniformly and independent of z, with no gate layer (so no gradient to route); and soft routing,
x = sum_k softmax(W_g z)_k E_k(z), a learned real-valued mixture for which every expert always runs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from training import rng


def gate_bits(experts: int) -> int:
    """m = log2(K) gate neurons for K experts."""
    return int(math.log2(experts))


def expert_weights(bits: torch.Tensor) -> torch.Tensor:
    """(B, m) gate bits -> (B, K) multilinear weights w_k(b); one-hot for binary bits, expert k = sum_j b_j 2^j."""
    w = torch.ones_like(bits[:, :1])  # (B, 1)
    for j in range(bits.shape[1]):
        b = bits[:, j : j + 1]  # (B, 1)
        w = torch.cat([w * (1 - b), w * b], dim=1)  # (B, 2^(j+1)): bit j is the high bit so far
    return w


def expert_index(bits: torch.Tensor) -> torch.Tensor:
    """(B, m) binary gate bits -> (B,) int64 index of the active expert."""
    place = 2 ** torch.arange(bits.shape[1], device=bits.device)
    return (bits.round().long() * place).sum(dim=1)


class GatedMLPGeneratorBody(nn.Module):
    """The gate layer (z -> m gate pre-activations, or K logits for soft routing; None for random routing) and K
    experts (z -> x), built by training/networks.py from its own layers; the gate neurons themselves are the
    Generator's."""

    def __init__(self, gate: nn.Module | None, experts: list[nn.Module], out_features: int):
        super().__init__()
        self.gate = gate
        self.experts = nn.ModuleList(experts)
        self.out_features = out_features

    def gate_logits(self, z: torch.Tensor) -> torch.Tensor:  # (B, 128) -> (B, m), or (B, K) for soft routing
        assert self.gate is not None, "random routing has no gate layer"
        return self.gate(z)

    def forward(self, z: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:  # (B, 128), (B, m) -> (B, 784)
        if not (torch.is_grad_enabled() and bits.requires_grad):
            return self.routed(z, expert_index(bits))
        # one-hot in value, so exactly the active expert's output: every expert runs only for the gates' gradient
        return self.mixture(z, expert_weights(bits))

    def mixture(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:  # (B, 128), (B, K) -> (B, 784)
        """sum_k w_k E_k(z): every expert runs on every latent."""
        out = torch.stack([e(z) for e in self.experts], dim=1)  # (B, K, 784)
        return (w.unsqueeze(2) * out).sum(dim=1)

    def routed(self, z: torch.Tensor, index: torch.Tensor) -> torch.Tensor:  # (B, 128), (B,) -> (B, 784)
        """Each latent through its own expert only: the compute that conditional computation saves."""
        active = index.unique().tolist()
        if len(active) == 1:  # one latent, or a batch the gates all send one way: no gather and scatter
            return self.experts[active[0]](z)
        out = z.new_empty(len(z), self.out_features)
        for k in active:
            rows = (index == k).nonzero().squeeze(1)  # (B_k,)
            out[rows] = self.experts[k](z[rows])
        return out


# ---------------------------------------------------------------------------------------------------
# What the gates did: pure functions of the active experts (N,) and the classifier's digits (N,), for metrics.json.
# ---------------------------------------------------------------------------------------------------

N_CLASSES = 10
FLIP_PAIRS = 256  # latent pairs whose linear interpolations measure the gate flip rate
FLIP_STEPS = 16  # frames per interpolation, both ends included


def one_hot(index: np.ndarray, experts: int) -> np.ndarray:
    """(N,) expert indices -> (N, K) uint8 gate pattern, 1 at the active expert."""
    return np.eye(experts, dtype=np.uint8)[np.asarray(index)]


def expert_share(index: np.ndarray, experts: int) -> np.ndarray:
    """(K,) share of latents routed to each expert."""
    return np.bincount(np.asarray(index), minlength=experts)[:experts] / len(index)


def entropy_bits(p: np.ndarray) -> float:
    """Shannon entropy in bits of a distribution (zeros contribute nothing); log2(K) when the load is even."""
    p = np.asarray(p, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def load_cv(share: np.ndarray) -> float:
    """Coefficient of variation of the experts' loads (population sd / mean): 0 when even, sqrt(K - 1) when one
    expert takes every latent."""
    share = np.asarray(share, dtype=np.float64)
    return float(share.std() / share.mean())


def class_by_expert(index: np.ndarray, classes: np.ndarray, experts: int) -> np.ndarray:
    """(K, 10) counts: how many of each expert's samples the classifier reads as each digit."""
    joint = np.zeros((experts, N_CLASSES), dtype=np.int64)
    np.add.at(joint, (np.asarray(index), np.asarray(classes)), 1)
    return joint


def mutual_information(joint: np.ndarray) -> float:
    """I(E; C) in nats of a contingency table (K, C) of counts."""
    p = np.asarray(joint, dtype=np.float64) / np.sum(joint)
    pe, pc = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / (pe @ pc)[nz])).sum())


def normalised_mutual_information(joint: np.ndarray) -> float:
    """NMI = I(E; C) / ((H(E) + H(C)) / 2), scikit-learn's default normalisation: 0 when the expert says nothing of
    the digit, 1 when each determines the other. With K = 4 experts and 10 even digits its ceiling is
    2 log 4 / (log 4 + log 10) = 0.75. 0 when either side is constant (one expert, or one digit)."""
    p = np.asarray(joint, dtype=np.float64) / np.sum(joint)
    h = entropy_bits(p.sum(axis=1)) + entropy_bits(p.sum(axis=0))
    return 0.0 if h == 0 else float(2 * mutual_information(joint) / (h * math.log(2)))


def flip_rate(index_path: np.ndarray) -> float:
    """Share of consecutive frames whose active expert differs, over interpolations (P, T) of expert indices."""
    index_path = np.asarray(index_path)
    return float((index_path[:, 1:] != index_path[:, :-1]).mean())


def interpolation_latents(seed: int, pairs: int = FLIP_PAIRS, steps: int = FLIP_STEPS) -> np.ndarray:
    """(pairs * steps, 128) float32: linear paths between pairs of N(0, I) latents, frames of a path consecutive;
    their ends come from the "paths" stream of `seed`, not from the samples' latents."""
    ends = torch.randn(2, pairs, 1, 128, generator=rng.generator(seed, "paths"), dtype=torch.float64)  # (2, P, 1, 128)
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)[None, :, None]  # (1, T, 1)
    return ((1 - t) * ends[0] + t * ends[1]).reshape(-1, 128).float().numpy()


def gating_metrics(index: np.ndarray, classes: np.ndarray, path_index: np.ndarray, experts: int) -> dict:
    """metrics.json's conditional-computation numbers from the active expert and digit of each evaluation sample,
    and the active experts along interpolations (P, T)."""
    share = expert_share(index, experts)
    joint = class_by_expert(index, classes, experts)
    return {
        "expert_share": [float(v) for v in share],
        "expert_entropy_bits": entropy_bits(share),
        "expert_load_cv": load_cv(share),
        "idle_experts": int((share == 0).sum()),
        "expert_class_nmi": normalised_mutual_information(joint),
        "expert_class_mi_nats": mutual_information(joint),
        "expert_class_counts": joint.tolist(),
        "gate_flip_rate": flip_rate(path_index),
    }


# `evaluate --check` tolerances (rtol, atol): shares and counts move only when a gate pre-activation sits at its
# threshold on another CPU, the classifier's digits by a few samples.
GATING_TOLERANCES = {
    "expert_share": (0, 1e-3),
    "expert_entropy_bits": (0, 1e-3),
    "expert_load_cv": (0, 1e-3),
    "idle_experts": (0, 0),
    "expert_class_nmi": (0, 1e-3),
    "expert_class_mi_nats": (0, 1e-3),
    "expert_class_counts": (0, 10),
    "gate_flip_rate": (0, 1e-3),
}
