"""Benchmark cases of the convolution family (issue targets in ``target``)."""
from __future__ import annotations

import numpy as np
import scipy.signal

import fastmath as fm

from .peers import torch_peer
from .timing import Case

FAMILY = "conv"
KERNELS = ("conv2d", "conv2d fwd+bwd", "correlate2d")  # what --kernel can select
# (N, C, H, W, K, R, stride, groups): the layers plus a stride-2 and a depthwise one
LAYERS = [
    (32, 3, 32, 32, 16, 3, 1, 1),
    (32, 16, 32, 32, 32, 3, 1, 1),
    (64, 32, 16, 16, 64, 3, 1, 1),
    (8, 64, 56, 56, 64, 3, 1, 1),
    (16, 1, 28, 28, 8, 5, 1, 1),
    (32, 32, 32, 32, 64, 3, 2, 1),
    (32, 64, 32, 32, 64, 3, 1, 64),
]
QUICK_LAYERS = [(4, 3, 16, 16, 8, 3, 1, 1), (4, 8, 16, 16, 8, 3, 2, 8)]


def _layer_cases(rng, layer, dtype):
    n, c, h, w, k, r, stride, groups = layer
    pad = r // 2
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c // groups, r, r)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    name = f"N{n} C{c} {h}x{w} K{k} R{r}" + (f" s{stride}" if stride > 1 else "") + (
        " depthwise" if groups == c and groups > 1 else "")
    target = 1.0 if dtype == np.float32 else 1.5
    torch, why = torch_peer()
    fwd = Case(FAMILY, "conv2d", name, dtype.__name__,
               lambda: fm.conv2d(x, wt, b, stride, pad, 1, groups), target=target, target_peer="torch")
    y = fm.conv2d(x, wt, b, stride, pad, 1, groups)
    g = rng.standard_normal(y.shape).astype(dtype)

    def ours_both():
        fm.conv2d(x, wt, b, stride, pad, 1, groups)
        fm.conv2d_backward(g, x, wt, stride, pad, 1, groups)

    both = Case(FAMILY, "conv2d fwd+bwd", name, dtype.__name__, ours_both, target=target,
                target_peer="torch")
    if torch is None:
        fwd.skipped["torch"] = both.skipped["torch"] = why
        return [fwd, both]
    F = torch.nn.functional
    tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, wt, b, g))

    def torch_fwd():
        with torch.no_grad():
            F.conv2d(tx, tw, tb, stride, pad, 1, groups)

    def torch_both():
        xx, ww, bb = (t.detach().requires_grad_() for t in (tx, tw, tb))
        F.conv2d(xx, ww, bb, stride, pad, 1, groups).backward(tg)

    fwd.peers["torch"] = torch_fwd
    both.peers["torch"] = torch_both
    return [fwd, both]


def cases(quick: bool = False, seed: int = 0):
    """Yield the family's cases one at a time (each builds its own data)."""
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        for layer in QUICK_LAYERS if quick else LAYERS:
            yield from _layer_cases(rng, layer, dtype)
    size = 128 if quick else 512
    for dtype in (np.float32, np.float64):
        image = rng.standard_normal((size, size)).astype(dtype)
        for r in (3, 5, 7):
            kernel = rng.standard_normal((r, r)).astype(dtype)
            for mode in ("valid", "same"):
                yield Case(FAMILY, "correlate2d", f"{size}x{size} * {r}x{r} {mode}", dtype.__name__,
                           lambda image=image, kernel=kernel, mode=mode: fm.correlate2d(image, kernel, mode),
                           {"scipy": lambda image=image, kernel=kernel, mode=mode:
                            scipy.signal.correlate2d(image, kernel, mode)}, 5.0, "scipy")
