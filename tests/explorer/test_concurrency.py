"""Many sessions sampling and interpolating at once through one shared (cached) model."""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from explorer import load_generator, make_latents
from explorer.analysis import interpolate, pixel_flips

SESSIONS = 16


def _fingerprint(g) -> str:
    h = hashlib.sha256()
    for k, v in sorted(g._net.state_dict().items()):
        h.update(k.encode() + v.numpy().tobytes())
    return h.hexdigest()


def _session(g, i: int):
    seed = i % 4  # sessions share seeds, so equal requests meet under contention
    samples = g.sample(256, seed=seed)
    z = make_latents(2, seed=seed)
    path = g.decode(interpolate(z[0], z[1], 32, "spherical" if i % 2 else "linear"), seed=seed)
    return samples.binary, samples.preactivation, path.binary, pixel_flips(path.binary)


def test_sixteen_concurrent_sessions_get_their_solo_results_and_leave_the_model_untouched(use_checkpoints):
    models = [load_generator(name) for name in ("mlp-sbn-wgan-gp", "cnn-dbn-wgan-gp")]
    for g in models:
        before = _fingerprint(g)
        solo = [_session(g, i) for i in range(SESSIONS)]
        with ThreadPoolExecutor(SESSIONS) as pool:
            together = list(pool.map(partial(_session, g), range(SESSIONS)))
        for a, b in zip(solo, together, strict=True):
            for x, y in zip(a, b, strict=True):
                assert np.array_equal(x, y)
        assert _fingerprint(g) == before
        assert not g._net.training and not any(p.requires_grad for p in g._net.parameters())
