"""The direct path of conv2d for 3x3, 5x5 and 7x7 layers: which layers take it (a
measured rule) and the call into the register-tile kernels of
:mod:`._direct_tiles`.

Stride 2, against the path each layer took before (Winograd F(4x4, 2x2) of
:mod:`.winograd_strided` from 8 to 64 input channels, im2col + GEMM
otherwise), forward at one thread on the AVX-512 development machine
(2026-12-06, N x C x H x W -> K, pad 1), direct was faster by:

=====================  =======  =======
layer                  float32  float64
=====================  =======  =======
16 x 3 x 64 x 64 -> 16  2.70x    2.15x
32 x 8 x 32 x 32 -> 16  2.06x    1.93x
32 x 16 x 32 x 32 -> 32 1.46x    1.26x
32 x 32 x 32 x 32 -> 64 1.19x    1.15x
8 x 64 x 56 x 56 -> 64  1.00x    1.13x
64 x 128 x 16 x 16      0.92x    1.65x
8 x 256 x 14 x 14       0.64x    1.25x
=====================  =======  =======

so float32 layers with up to 32 input channels and float64 layers with up to
256 take it.

Stride 1, against im2col + GEMM below 16 input channels (where Winograd
F(4x4, 3x3) of :mod:`.winograd` starts) and Winograd from 16, same machine
and date, forward at one thread, direct was faster by:

=======================  =======  =======
layer                    float32  float64
=======================  =======  =======
32 x 1 x 32 x 32 -> 16    2.05x    1.85x
32 x 3 x 32 x 32 -> 16    2.07x    2.16x
32 x 3 x 32 x 32 -> 6     1.67x    2.09x
32 x 6 x 30 x 30 -> 40    1.50x    1.56x
32 x 12 x 32 x 32 -> 24   2.13x    1.89x
32 x 15 x 32 x 32 -> 32   2.05x
4 x 3 x 224 x 224 -> 64   1.94x    1.76x
32 x 16 x 32 x 32 -> 32   1.02x    1.07x
8 x 16 x 56 x 56 -> 64    0.77x    1.07x
64 x 32 x 16 x 16 -> 64   0.78x    0.84x
=======================  =======  =======

so stride-1 layers with fewer than 16 input channels take it, in both
dtypes. Winograd's rule (:mod:`.winograd`, checked first) leaves the
layers with fewer than 16 output channels, outputs under 7x7 or under 2**24
multiply-adds to the path after it. Against im2col there, forward, same
machine and date, one / two threads (one value: one thread):

=========================  =============  =============
layer                      float32        float64
=========================  =============  =============
16 x 16 x 32 x 32 -> 8     3.07x / 2.67x  2.54x / 2.32x
8 x 64 x 16 x 16 -> 4      1.78x / 1.98x  2.25x / 1.92x
4 x 256 x 14 x 14 -> 8     3.04x / 1.90x  2.94x
4 x 512 x 7 x 7 -> 12      1.94x / 1.56x  - / 1.95x
8 x 16 x 16 x 16 -> 16     1.63x          1.55x
4 x 32 x 16 x 16 -> 32     1.93x          1.72x
64 x 32 x 6 x 6 -> 32      1.15x / 1.18x  1.52x / 1.50x
2 x 64 x 14 x 14 -> 64     1.15x / 1.04x  1.25x / 1.17x
64 x 64 x 6 x 6 -> 64      1.00x / 0.99x  1.53x / 1.59x
16 x 128 x 4 x 4 -> 64     1.34x / 1.26x  - / 1.70x
8 x 96 x 6 x 6 -> 96       0.81x / 0.87x  - / 1.35x
8 x 256 x 6 x 6 -> 256     0.65x / 0.66x  1.34x
32 x 512 x 4 x 4 -> 512    0.70x / 0.71x  1.48x
2 x 1024 x 2 x 2 -> 1024   0.68x / 0.63x  1.31x
=========================  =============  =============

so there float32 layers with up to 64 input channels, or up to 15 output
channels (a GEMM too narrow for BLAS), and float64 layers with up to 1024
input channels take it.

5x5 layers at stride 1 (the kernel's taps are compile-time, like its tile),
against im2col + GEMM, forward at one thread, same machine and date
(pad 2), direct faster by (float32 / float64): 16 x 1 x 28 x 28 -> 8
1.30x / 1.47x (two threads 1.26x / 1.37x), 32 x 3 x 32 x 32 -> 16 2.95x /
2.35x, 8 x 3 x 64 x 64 -> 32 2.55x / 2.01x, 32 x 8 x 32 x 32 -> 16 3.15x /
2.47x (two threads 3.04x / 2.56x), 16 x 16 x 32 x 32 -> 32 2.69x / 2.12x,
32 x 32 x 16 x 16 -> 64 1.79x / 1.78x, 8 x 64 x 16 x 16 -> 64 2.01x /
1.92x, 8 x 64 x 8 x 8 -> 64 1.31x / 2.27x, 8 x 128 x 16 x 16 -> 128 1.73x /
1.72x, 4 x 256 x 14 x 14 -> 256 1.34x / 1.35x: so up to 256 input
channels take it (more were not measured).

5x5 at stride 2 and 7x7 at stride 1 and 2 (2026-12-06, same machine,
against im2col + GEMM, forward, one thread unless said; float32 / float64;
N x C x H x H -> K, pad 2 or 3), direct faster by: 7x7 stride 2, 8 x 3 x
224 -> 64 (a ResNet's first layer) 2.01x / 1.45x (two threads 2.02x /
4.19x), 8 x 16 x 56 -> 32 3.16x / 1.90x, 8 x 32 x 56 -> 64 1.89x / 1.46x,
8 x 64 x 28 -> 64 1.97x / 1.48x, 8 x 128 x 28 -> 128 1.53x / 1.27x; 7x7
stride 1, 4 x 1 x 64 -> 8 5.05x / 3.59x, 8 x 3 x 64 -> 16 4.44x / 3.03x,
8 x 32 x 32 -> 32 3.37x / 2.21x, 8 x 64 x 28 -> 64 2.10x / 1.48x, 8 x 128 x
28 -> 128 2.03x / 1.83x; 5x5 stride 2, 8 x 3 x 224 -> 64 1.43x / 1.19x, 8 x
16 x 56 -> 32 2.13x / 1.60x, 8 x 64 x 28 -> 64 1.56x / 1.32x, 8 x 128 x 28
-> 128 1.28x / 1.05x (two threads 1.26x / 1.08x), 8 x 256 x 14 -> 256
0.56x / 1.13x. So 7x7 layers with up to 128 input channels take it, and
5x5 stride-2 layers with up to 128 (float32) or 256 (float64).

The input gradient of a stride-1 layer is a stride-1 correlation of
``grad_out`` (K input channels, C output channels) padded by 2 minus each
padding, with the weights transposed and flipped: the same kernel computes
it when K is below 16 and C at least 8. Against im2col + GEMM, which
unfolds ``x`` once for both gradients (so the weight gradient alone costs
it about as much), conv2d_backward at one thread, same machine and date,
float32 / float64 (N x C x H x W -> K, pad 1; 80 alternated calls, two
runs): 4 x 3 x 16 x 16 -> 8 0.77x-0.79x / 0.77x-0.83x, 32 x 3 x 32 x 32
-> 8 0.86x-0.90x / 0.96x-0.98x, 32 x 6 x 32 x 32 -> 8 0.96x-0.98x /
1.18x-1.19x, 32 x 8 x 16 x 16 -> 8 1.06x / 1.13x, 32 x 8 x 32 x 32 -> 12
1.09x / 1.17x, 16 x 16 x 32 x 32 -> 8 1.42x-1.43x / 1.51x-1.54x, 8 x 64 x
32 x 32 -> 8 1.72x / 1.58x, 8 x 128 x 16 x 16 -> 4 1.64x / 1.79x.

NaN and Inf need no detour: each output sums only its own window, so they
reach exactly the outputs whose window holds them.
"""
from __future__ import annotations

import numpy as np

from .._chunks import CHUNKS_PER_THREAD
from .._config.cpu import vector_bytes
from .._config.threads import kernel_threads, threads_for
from . import _direct_tiles

__all__ = ["applies", "applies_input_grad", "forward", "input_grad", "tile_shape"]

#: the most input channels that take the direct kernel, by (stride, dtype);
#: at stride 1 for the layers Winograd does not take
MAX_CHANNELS = {(2, np.dtype(np.float32)): 32, (2, np.dtype(np.float64)): 256,
                (1, np.dtype(np.float32)): 64, (1, np.dtype(np.float64)): 1024}
#: stride-1 layers with this many output channels or fewer take it with any input channels
NARROW_OUTPUT = 15
#: the most input channels of a 5x5 or 7x7 layer that takes it, by (side, stride, dtype)
MAX_CHANNELS_LARGE = {(5, 1, np.dtype(np.float32)): 256, (5, 1, np.dtype(np.float64)): 256,
                      (5, 2, np.dtype(np.float32)): 128, (5, 2, np.dtype(np.float64)): 256,
                      (7, 1, np.dtype(np.float32)): 128, (7, 1, np.dtype(np.float64)): 128,
                      (7, 2, np.dtype(np.float32)): 128, (7, 2, np.dtype(np.float64)): 128}
#: the most output channels (K, the gradient's input channels) and the fewest
#: input channels (C) of a layer whose input gradient takes the direct kernel
GRAD_MAX_CHANNELS = 15
MIN_GRAD_CHANNELS = 8


def applies(geo, dtype) -> bool:
    """Whether a layer (a ``convolution._Geometry``) of ``dtype`` takes the direct kernel
    (at stride 1, once Winograd has declined it)."""
    stride = geo.stride[0]
    if (geo.dilation, geo.groups) != ((1, 1), 1) or geo.stride != (stride, stride):
        return False
    if geo.r == geo.s and geo.r in (5, 7):
        return geo.c <= MAX_CHANNELS_LARGE.get((geo.r, stride, np.dtype(dtype)), 0)
    key = (stride, np.dtype(dtype))
    if (geo.r, geo.s) != (3, 3) or key not in MAX_CHANNELS:
        return False
    return geo.c <= MAX_CHANNELS[key] or (stride == 1 and geo.k <= NARROW_OUTPUT)


def tile_shape(itemsize: int) -> tuple:
    """``(RK, ROWS, W)``: output channels, rows and columns of a tile.

    ``RK * ROWS`` accumulators of one vector: 4 x 4 of AVX-512's 32 registers
    (stride 2, the 32-channel layer at one thread: 4 x 4 2.48-2.54 ms, 4 x 2
    2.54-2.65, 8 x 2 2.90-2.94, 8 x 1 2.96, 2 x 8 3.44; stride 1, the
    3-channel layer: 4 x 4 and 4 x 2 0.284 ms, 8 x 3 0.295, 8 x 2 and 16 x 1
    0.305, 2 x 8 0.315), 4 x 2 of AVX2's 16.
    """
    width = vector_bytes()
    return 4, (4 if width == 64 else 2), width // itemsize


def forward(x, weight, bias, geo, out):
    """conv2d of C-contiguous ``x`` with ``weight`` and ``bias`` into ``out`` (one dtype)."""
    _correlate(x, weight, bias, geo.stride[0], geo.ph, geo.pw, out)


def applies_input_grad(geo, dtype) -> bool:
    """Whether the input gradient of a layer takes the direct kernel: a stride-1
    3x3 layer whose gradient, a stride-1 correlation of ``grad_out`` with K
    input channels, has at most :data:`GRAD_MAX_CHANNELS` of them and at
    least :data:`MIN_GRAD_CHANNELS` output channels (C), and paddings of at
    most 2."""
    return ((geo.r, geo.s, geo.stride, geo.dilation, geo.groups) == (3, 3, (1, 1), (1, 1), 1)
            and geo.k <= GRAD_MAX_CHANNELS and geo.c >= MIN_GRAD_CHANNELS
            and max(geo.pads) <= 2)


def input_grad(grad_out, weight, geo, grad_x):
    """The input gradient of a layer where :func:`applies_input_grad`, written
    into ``grad_x``: ``grad_out`` padded by 2 minus each padding, correlated
    with the weights transposed and flipped."""
    flipped = np.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    _correlate(grad_out, flipped, np.zeros(geo.c, grad_out.dtype), 1, 2 - geo.pads[0],
               2 - geo.pads[2], grad_x)


def _correlate(x, weight, bias, stride, pt, pl, out):
    """The direct kernel on C-contiguous arrays of one dtype; ``out``'s shape sets the geometry."""
    rk, rows, width = tile_shape(x.itemsize)
    n, k = out.shape[0], out.shape[1]
    if k < rk:  # fewer output channels than a tile: one channel, as many accumulators
        rk, rows = 1, rk * rows
    work = out.size * weight[0].size
    # several channel groups per image when there are few images, so every thread has work
    k_groups = max(1, min(-(-k // rk), -(-CHUNKS_PER_THREAD * threads_for(work, "flops") // n)))
    kernel = _direct_tiles.direct_kernel(rk, rows, width, stride, weight.shape[2])
    with kernel_threads(work, "flops"):
        kernel(x, pt, pl, weight, bias, out, k_groups)
