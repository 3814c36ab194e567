"""The Winograd path of conv2d and conv2d_backward for stride-2 3x3 layers: which layers
take it (a measured rule), the checks that send the others to im2col, and
the calls into the kernels of :mod:`._winograd_s2`. In the forward pass the
direct kernel of :mod:`.direct` comes first: it takes the float32
layers with up to 32 input channels and all float64 ones this rule takes.

The rule (3x3, undilated, single-group), measured forward against im2col at
one thread on the AVX-512 development machine: float32 1.2x to 1.9x and
float64 1.03x to 1.4x faster from 8 to 64 input channels and 16 output
channels up, outputs from 4x4 and 4.7M multiply-adds up (a 2x2 output: 1.02x
to 1.05x); with 4 input channels 0.89x (float64), 8 output channels 0.78x
(float64) and 128 input channels 0.72x to 0.93x, where the buffers of a
chunk outgrow the L2 cache.

The backward pass (:func:`backward`) takes Winograd F(4x4, 2x2) too, in
float32 with 8 to 32 input channels (and the forward rule): the input
gradient's four phases (its even/odd rows and columns) are each a 2x2
correlation of ``grad_out``, computed as one correlation with 4C output
channels and interleaved; the weight gradient is the adjoint of the forward
transform. Measured against im2col at one and two threads (alternated,
medians): float32 1.0x to 1.28x faster with 8 to 32 input channels, 0.59x to
0.69x with 64; float64 0.63x to 1.11x (0.94x on a 32-channel layer).
"""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from . import _winograd_s2
from .winograd import PARTS_BUDGET, _fits, _padded_nhwc, _tiled

__all__ = ["applies", "backward", "forward"]

CHANNELS = (8, 64)  # input channels, both ends included
MIN_OUT_CHANNELS = 16
MIN_SIDE = 4
MIN_WORK = 2 ** 22  # multiply-adds of the direct convolution
# 16 to 64 measured on four layers, both dtypes: 24 best or within 3%, 32 and 64
# up to 25% slower on a 64-channel layer
TILES_PER_CHUNK = 24
BACKWARD_MAX_CHANNELS = 32  # input channels of the backward rule (float32 only)
# the weight gradient's chunks and fixed groups of chunks: 24 to 192 tiles and
# 2 to 16 groups measured on two layers, 96 and 4 best or within 5%; after the
# copies into the phase buffers got faster, 24 to 96 tiles re-measured on four
# layers at one and two threads: 48 best or within 6% at one thread and up to
# 22% faster than 96 at two (more chunks balance the groups)
GRAD_TILES_PER_CHUNK = 48
GRAD_GROUPS = 4


def applies(geo):
    """Whether a layer (a ``convolution._Geometry``) takes the stride-2 kernels."""
    if (geo.r, geo.s, geo.stride, geo.dilation, geo.groups) != (3, 3, (2, 2), (1, 1), 1):
        return False
    return (CHANNELS[0] <= geo.c <= CHANNELS[1] and geo.k >= MIN_OUT_CHANNELS
            and min(geo.oh, geo.ow) >= MIN_SIDE and geo.flops >= MIN_WORK)


def _phases(x, geo):
    """The four phases of ``x`` in an NHWC buffer for the output's tiles
    (:func:`._winograd_s2.to_phases`), and the largest magnitude copied (NaN
    when a copied value is NaN)."""
    xq = np.empty((geo.n, _tiled(geo.oh) + 1, _tiled(geo.ow) + 1, 4 * geo.c), x.dtype)
    per_row = np.empty(geo.n * xq.shape[1], x.dtype)
    with kernel_threads(xq.size, "elementwise"):
        _winograd_s2.to_phases(x, geo.ph, geo.pw, xq, per_row)
    return xq, float(per_row.max(initial=0.0))


def forward(x, weight, bias, geo, out):
    """conv2d of ``x`` into ``out``; False, with ``out`` untouched, when ``x`` or
    ``weight`` holds a non-finite value or values large enough for the
    transforms to overflow: the im2col path handles those, and NaN and Inf
    then reach exactly their receptive field."""
    xq, largest = _phases(x, geo)
    if not (np.isfinite(largest)
            and _fits(largest * float(np.abs(weight).max()) * geo.c * 9, x.dtype)):
        return False
    u = np.empty((25, 4 * geo.c, geo.k), x.dtype)
    with kernel_threads(geo.flops, "flops", blas="inside",
                        gemm=TILES_PER_CHUNK * 4 * geo.c * geo.k):
        _winograd_s2.weight_transform(weight, u, False, 0, 0)
        _winograd_s2.forward(xq, u, bias, TILES_PER_CHUNK, out)
    return True


def backward(grad_out, x, weight, geo, grad_x):
    """The Winograd parts of conv2d_backward for a float32 layer where :func:`applies`
    with at most :data:`BACKWARD_MAX_CHANNELS` input channels: the input
    gradient written into ``grad_x``, and the weight gradient.
    Returns (whether ``grad_x`` was written, the weight gradient or None);
    what is not done, for the reasons of :func:`forward`, is left to im2col.
    ``grad_out`` is copied once and serves both. Paddings of at most 2."""
    if not (applies(geo) and geo.c <= BACKWARD_MAX_CHANNELS and x.dtype == np.float32
            and max(geo.pads) <= 2):
        return False, None
    # phase (p, q) of grad_x: its rows 2Y + p and columns 2X + q; grad_out is
    # padded so that every phase is a 2x2 correlation over one grid of tiles
    top, left = 1 - (geo.ph + 1) // 2, 1 - (geo.pw + 1) // 2
    rows, cols = (geo.h + 1) // 2, (geo.w + 1) // 2
    gp, g_max = _padded_nhwc(grad_out, top, left, max(_tiled(rows) + 1, top + _tiled(geo.oh)),
                             max(_tiled(cols) + 1, left + _tiled(geo.ow)))
    done = False
    if _fits(g_max * float(np.abs(weight).max()) * geo.k * 9, x.dtype):
        u = np.empty((25, 4 * geo.c, geo.k), x.dtype)
        _winograd_s2.weight_transform(weight, u, True, geo.ph + 2 * top, geo.pw + 2 * left)
        u = np.ascontiguousarray(u.transpose(0, 2, 1))
        with kernel_threads(geo.flops, "flops", blas="inside",
                            gemm=TILES_PER_CHUNK * 4 * geo.c * geo.k):
            _winograd_s2.input_grad(gp, u, TILES_PER_CHUNK, grad_x)
        done = True
    return done, _weight_grad(x, gp, g_max, top, left, geo)


def _weight_grad(x, gp, g_max, top, left, geo):
    """The weight gradient from ``grad_out`` in the NHWC buffer ``gp`` (at offset
    ``top``, ``left``), or None when the values do not pass :func:`_fits` or one group's
    partial sums would not fit :data:`.winograd.PARTS_BUDGET`."""
    chunks = -(-geo.n * _tiled(geo.oh) * _tiled(geo.ow) // 16 // GRAD_TILES_PER_CHUNK)
    # fixed groups of chunks (set by the sizes only), summed in order: the same
    # result for any thread count
    groups = min(GRAD_GROUPS, chunks, PARTS_BUDGET // (25 * geo.k * 4 * geo.c * x.itemsize))
    if groups < 1:
        return None
    xq, x_max = _phases(x, geo)
    if not (np.isfinite(x_max) and _fits(x_max * g_max * geo.n * geo.oh * geo.ow, x.dtype)):
        return None
    parts = np.empty((groups, 25, geo.k, 4 * geo.c), x.dtype)
    grad_w = np.empty((geo.k, geo.c, 3, 3), x.dtype)
    with kernel_threads(geo.flops, "flops", blas="inside",
                        gemm=GRAD_TILES_PER_CHUNK * geo.k * 4 * geo.c) as threads:
        _winograd_s2.weight_grad_parts(xq, gp, top, left, geo.oh, geo.ow, GRAD_TILES_PER_CHUNK,
                                         parts, threads)
        _winograd_s2.weight_grad_from_parts(parts, grad_w)
    return grad_w
