"""The direct path of conv2d for 3x3 layers: which layers take it (a measured
rule) and the call into the register-tile kernels of :mod:`._direct_3x3`.

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
dtypes. NaN and Inf need no detour: each output sums only its own window,
so they reach exactly the outputs whose window holds them.
"""
from __future__ import annotations

import numpy as np

from .._chunks import CHUNKS_PER_THREAD
from .._config.cpu import vector_bytes
from .._config.threads import kernel_threads, threads_for
from . import _direct_3x3

__all__ = ["applies", "forward", "tile_shape"]

#: the most input channels that take the direct kernel, by (stride, dtype)
MAX_CHANNELS = {(2, np.dtype(np.float32)): 32, (2, np.dtype(np.float64)): 256,
                (1, np.dtype(np.float32)): 15, (1, np.dtype(np.float64)): 15}


def applies(geo, dtype) -> bool:
    """Whether a layer (a ``convolution._Geometry``) of ``dtype`` takes the direct kernel."""
    if (geo.r, geo.s, geo.dilation, geo.groups) != (3, 3, (1, 1), 1):
        return False
    stride = geo.stride[0]
    return geo.stride == (stride, stride) and geo.c <= MAX_CHANNELS.get(
        (stride, np.dtype(dtype)), 0)


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
    rk, rows, width = tile_shape(x.itemsize)
    work = geo.flops
    # several channel groups per image when there are few images, so every thread has work
    k_groups = max(1, min(-(-geo.k // rk),
                          -(-CHUNKS_PER_THREAD * threads_for(work, "flops") // geo.n)))
    kernel = _direct_3x3.direct_kernel(rk, rows, width, geo.stride[0])
    with kernel_threads(work, "flops"):
        kernel(x, geo.ph, geo.pw, weight, bias, out, k_groups)
