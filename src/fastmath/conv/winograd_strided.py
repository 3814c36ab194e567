"""The Winograd path of conv2d for stride-2 3x3 layers (forward): which layers
take it (a measured rule), the checks that send the others to im2col, and
the calls into the kernels of :mod:`._winograd_s2`.

The rule (3x3, undilated, single-group), measured forward against im2col at
one thread on the AVX-512 development machine: float32 1.2x to 1.9x and
float64 1.03x to 1.4x faster from 8 to 64 input channels and 16 output
channels up, outputs from 4x4 and 4.7M multiply-adds up (a 2x2 output: 1.02x
to 1.05x); with 4 input channels 0.89x (float64), 8 output channels 0.78x
(float64) and 128 input channels 0.72x to 0.93x, where the buffers of a
chunk outgrow the L2 cache.

The backward pass stays on im2col. A Winograd backward (the input gradient
as one 2x2 correlation of ``grad_out`` per phase, the weight gradient as the
adjoint of the forward transform) was measured against it on five layers
at one and two threads: float32 1.15x to 1.43x faster with 16 to 32 input
channels but 0.72x to 0.96x with 8 or 64, float64 0.62x to 1.23x. Too
narrow a win for its code; it was not kept.
"""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from . import _winograd_s2
from .winograd import _fits, _tiled

__all__ = ["applies", "forward"]

CHANNELS = (8, 64)  # input channels, both ends included
MIN_OUT_CHANNELS = 16
MIN_SIDE = 4
MIN_WORK = 2 ** 22  # multiply-adds of the direct convolution
# 16 to 64 measured on four layers, both dtypes: 24 best or within 3%, 32 and 64
# up to 25% slower on a 64-channel layer
TILES_PER_CHUNK = 24


def applies(geo):
    """Whether a layer (a ``convolution._Geometry``) takes the stride-2 kernels."""
    if (geo.r, geo.s, geo.stride, geo.dilation, geo.groups) != (3, 3, (2, 2), (1, 1), 1):
        return False
    return (CHANNELS[0] <= geo.c <= CHANNELS[1] and geo.k >= MIN_OUT_CHANNELS
            and min(geo.oh, geo.ow) >= MIN_SIDE and geo.flops >= MIN_WORK)


def forward(x, weight, bias, geo, out):
    """conv2d of ``x`` into ``out``; False, with ``out`` untouched, when ``x`` or
    ``weight`` holds a non-finite value or values large enough for the
    transforms to overflow: the im2col path handles those, and NaN and Inf
    then reach exactly their receptive field."""
    xq = np.empty((geo.n, _tiled(geo.oh) + 1, _tiled(geo.ow) + 1, 4 * geo.c), x.dtype)
    per_row = np.empty(geo.n * xq.shape[1], x.dtype)
    with kernel_threads(xq.size, "elementwise"):
        _winograd_s2.to_phases(x, geo.ph, geo.pw, xq, per_row)
    largest = float(per_row.max(initial=0.0))  # NaN if a copied value is NaN
    if not (np.isfinite(largest)
            and _fits(largest * float(np.abs(weight).max()) * geo.c * 9, x.dtype)):
        return False
    u = np.empty((25, 4 * geo.c, geo.k), x.dtype)
    with kernel_threads(geo.flops, "flops", blas="inside",
                        gemm=TILES_PER_CHUNK * 4 * geo.c * geo.k):
        _winograd_s2.weight_transform(weight, u)
        _winograd_s2.forward(xq, u, bias, TILES_PER_CHUNK, out)
    return True
