"""The Winograd path of conv2d and conv2d_backward for stride-1 layers: which
layers take it (a measured rule), the checks that send the others to
im2col, and the calls into the kernels of :mod:`._winograd`. Stride-2
layers: :mod:`.winograd_strided`.

The rule, measured at one thread on the AVX-512 development machine
(float32 and float64 alike): Winograd F(4x4, 3x3) was 1.4x to 2.5x faster
than im2col + GEMM on 3x3, stride-1, undilated, single-group layers from 16
input and output channels and 7-pixel outputs up; 0.4x to 0.6x with 3 to 8
input channels or 4 output channels, and 0.9x on a 4x4 output (one tile per
image). Small layers pay more for the extra passes than they save: at one and
two threads, a 7.2M multiply-add layer (1 image, 64 channels, 14x14) ran
0.66x to 1.0x of im2col forward, layers from 19M up 1.4x to 4x (forward and
backward), so the rule also asks for MIN_WORK multiply-adds. Deep layers
with few images pay more for their transformed weights than they save, so
the rule asks for MIN_TILES output tiles above 128 x 128 channels.
"""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from . import _winograd

__all__ = ["applies", "backward", "forward"]

MIN_CHANNELS = 16
MIN_SIDE = 7
MIN_WORK = 2 ** 24  # multiply-adds of the direct convolution (N * K * OH * OW * C * 9)
# Deep layers with few tiles: the transformed weights (36 C K values, written
# on every call: 36 MB for 512 x 512 float32 channels) cost more than the
# multiplies Winograd saves. Above C * K of each entry, a layer needs at least
# so many 4x4 output tiles (N * ceil(OH / 4) * ceil(OW / 4)). Measured forward
# and backward against im2col, 7x7 and 14x14 images, one / two threads,
# float32: 128 x 128 channels with 32 tiles 1.23x-1.48x / 0.82x-0.90x; 256 x 256
# with 32 tiles 0.63x-1.06x / 0.59x-0.64x, with 64 1.14x-1.52x / 0.91x-1.06x;
# 512 x 512 with 8 to 64 tiles 0.22x-1.03x / 0.20x-0.65x, with 128 1.08x-1.40x
# / 1.08x-1.10x. float64: 128 x 128 with 32 tiles 0.97x-1.55x / 0.61x-1.02x;
# 256 x 256 with 32 tiles 0.41x-1.32x / 0.54x-0.88x, with 64 1.22x-1.59x /
# 0.73x-1.27x; 512 x 512 with 32 tiles 0.68x-0.94x / 0.38x-0.74x, with 64
# 1.03x-1.12x, with 128 1.26x-1.36x.
MIN_TILES = ((128 * 128, 64), (256 * 256, 128))
TILES_PER_CHUNK = 64  # one task's tiles; 32 to 256 measured within 5% at one thread, 64 best at two
# From C * K of BY_POSITION_CHANNELS up, the correlation runs position by position
# over passes of up to BY_POSITION_TILES tiles (``_winograd.forward_by_position``),
# reading each transformed weight matrix once a pass instead of once per chunk.
# Measured forward, float32, 8 or 16 images, each call after a torch call (as in
# the bench), against chunk by chunk, one / two threads: 256 x 256 channels on
# 14x14 images 16.1 -> 13.7 / 10.1 -> 9.1 ms, 16 images 35.5 -> 25.5 / 16.3 ->
# 13.8; 512 x 512 on 14x14 73 -> 60 / 42 -> 37; 128 x 128 on 28x28 10.7 -> 10.6
# / 7.8 -> 8.6 (slower: kept chunk by chunk).
BY_POSITION_CHANNELS = 256 * 256
BY_POSITION_TILES = 256
# Memory for the weight gradient's per-group partial sums, 36 * K * C values
# each: up to 16 groups (tasks) within it, and im2col where not even one fits
# (K * C above about 460,000 in float32).
PARTS_BUDGET = 64 * 2 ** 20


def _enough_tiles(geo):
    """Whether the layer has the tiles (:data:`MIN_TILES`) to pay for its
    transformed weights."""
    tiles = geo.n * -(-geo.oh // _winograd.TILE) * -(-geo.ow // _winograd.TILE)
    return all(tiles >= t for channels, t in MIN_TILES if geo.c * geo.k > channels)


def applies(geo, backward=False):
    """Whether a layer (a ``convolution._Geometry``) takes the Winograd kernels.
    The input gradient is a Winograd correlation of ``grad_out`` padded by 2
    minus each padding, so it needs paddings of at most 2."""
    if (geo.r, geo.s, geo.stride, geo.dilation, geo.groups) != (3, 3, (1, 1), (1, 1), 1):
        return False
    side = min(geo.h, geo.w) if backward else min(geo.oh, geo.ow)
    return (min(geo.c, geo.k) >= MIN_CHANNELS and side >= MIN_SIDE and geo.flops >= MIN_WORK
            and (not backward or max(geo.pads) <= 2) and _enough_tiles(geo))


def _tiled(size):
    """Output length rounded up to whole tiles."""
    return _winograd.TILE * -(-size // _winograd.TILE)


def _padded_nhwc(a, top, left, rows, cols):
    """``a`` (N, C, H, W) copied into a zero-padded (N, rows, cols, C) buffer, and
    the largest magnitude copied (inf when a copied value is NaN or infinite;
    the values left out are read by no tile)."""
    buf = np.empty((a.shape[0], rows, cols, a.shape[1]), a.dtype)
    per_row = np.empty(a.shape[0] * rows, a.dtype)
    with kernel_threads(buf.size, "elementwise"):
        _winograd.to_padded_nhwc(a, top, left, buf, per_row)
    largest = float(per_row.max(initial=0.0))  # NaN if a copied value is NaN
    return buf, (largest if np.isfinite(largest) else np.inf)


def _fits(bound, dtype):
    """Whether a bound on a result leaves room for the transforms' growth: they
    scale the terms by at most 361 * 900 (forward) or 225 * 100 * 36 (weight
    gradient), under 2**20."""
    return bound * 2.0 ** 20 < float(np.finfo(dtype).max)


def _correlate(xp, x_max, weight, bias, out):
    """Winograd correlation of the padded NHWC input ``xp`` with ``weight`` (K, C,
    3, 3) into ``out``; False, with ``out`` untouched, when the values could
    overflow the transforms (or are not finite: ``x_max`` is then inf)."""
    n, c = xp.shape[0], xp.shape[3]
    if not _fits(x_max * float(np.abs(weight).max()) * c * 9, xp.dtype):
        return False
    work = n * out.shape[1] * out.shape[2] * out.shape[3] * c * 9
    u = np.empty((36, c, weight.shape[0]), xp.dtype)
    by_position = c * weight.shape[0] >= BY_POSITION_CHANNELS
    rows = BY_POSITION_TILES if by_position else TILES_PER_CHUNK
    with kernel_threads(work, "flops", blas="inside", gemm=rows * c * weight.shape[0]):
        _winograd.weight_transform(weight, u)
        if by_position:
            _winograd.forward_by_position(xp, u, bias, TILES_PER_CHUNK, BY_POSITION_TILES, out)
        else:
            _winograd.forward(xp, u, bias, TILES_PER_CHUNK, out)
    return True


def forward(x, weight, bias, geo, out):
    """conv2d of ``x`` into ``out`` by Winograd; False, with ``out`` untouched,
    when ``x`` or ``weight`` holds a non-finite value or values large enough
    for the transforms to overflow: the im2col path handles those, and NaN
    and Inf then reach exactly their receptive field."""
    xp, x_max = _padded_nhwc(x, geo.ph, geo.pw, _tiled(geo.oh) + 2, _tiled(geo.ow) + 2)
    return _correlate(xp, x_max, weight, bias, out)


def backward(grad_out, x, weight, geo, grad_x):
    """The Winograd parts of conv2d_backward: the input gradient written into
    ``grad_x`` where :func:`applies` with ``backward=True``, and the weight
    gradient where it applies. Returns (whether ``grad_x`` was written, the
    weight gradient or None); what is not done, for the reasons of
    :func:`forward`, is left to im2col. ``grad_out`` is copied once and
    serves both."""
    input_grad, weight_grad = applies(geo, backward=True), applies(geo)
    if not (input_grad or weight_grad):
        return False, None
    # grad_x is a correlation of grad_out padded by 2 - padding with the flipped,
    # transposed weights; the weight gradient reads grad_out's tiles from the
    # same buffer at that offset
    top, left = (2 - geo.pads[0], 2 - geo.pads[2]) if input_grad else (0, 0)
    rows = max(_tiled(geo.h) + 2 if input_grad else 0, top + _tiled(geo.oh))
    cols = max(_tiled(geo.w) + 2 if input_grad else 0, left + _tiled(geo.ow))
    gp, g_max = _padded_nhwc(grad_out, top, left, rows, cols)
    done = input_grad and _correlate(gp, g_max, weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1],
                                     np.zeros(geo.c, x.dtype), grad_x)
    return done, (_weight_grad(x, gp, g_max, top, left, geo) if weight_grad else None)


def _weight_grad(x, gp, g_max, top, left, geo):
    """The weight gradient from ``grad_out`` in the NHWC buffer ``gp`` (at offset
    ``top``, ``left``), or None when the values do not pass :func:`_fits` or
    one group's partial sums would not fit :data:`PARTS_BUDGET`."""
    chunks = -(-geo.n * _tiled(geo.oh) * _tiled(geo.ow) // _winograd.TILE ** 2 // TILES_PER_CHUNK)
    # fixed groups of chunks (set by the sizes only), summed in order: the same
    # result for any thread count
    groups = min(16, chunks, PARTS_BUDGET // (36 * geo.k * geo.c * x.itemsize))
    if groups < 1:
        return None
    xp, x_max = _padded_nhwc(x, geo.ph, geo.pw, _tiled(geo.oh) + 2, _tiled(geo.ow) + 2)
    if not _fits(x_max * g_max * geo.n * geo.oh * geo.ow, x.dtype):
        return None
    parts = np.empty((groups, 36, geo.k, geo.c), x.dtype)
    grad_w = np.empty((geo.k, geo.c, 3, 3), x.dtype)
    with kernel_threads(geo.flops, "flops", blas="inside",
                        gemm=TILES_PER_CHUNK * geo.k * geo.c) as threads:
        _winograd.weight_grad_parts(xp, gp, top, left, geo.oh, geo.ow, TILES_PER_CHUNK, parts,
                                    threads)
        _winograd.weight_grad_from_parts(parts, grad_w)
    return grad_w
