"""The im2col + GEMM path of conv2d and conv2d_backward, for the layers no
other kernel takes: how images are grouped into column matrices, and the
calls into :mod:`._kernels`.

Small images are unfolded side by side into one column matrix, so that
they still make one wide GEMM: per image, a 512 x 4608 by 4608 x 49
float32 GEMM (7x7 outputs) ran 53 GMAC/s at one thread, eight images side
by side 76 GMAC/s. The backward pass is one pass over tasks, each a chunk
of images times a block of input channels: it reads the chunk's
``grad_out`` once for both gradients and keeps one weight-gradient partial
sum per chunk, chunks and blocks fixed by the sizes so that the result does
not depend on the thread count. Its constants were measured on 1x1, 3x3
and stride-2 layers with 128 to 1024 channels (2026-12-06, one and two
threads): 1024 columns a GEMM and at least two tasks were best or within
5% (the 512 x 7x7 layer's backward 31.0 / 19.3 ms, against 35.3 / 33.5 ms
with 512 columns and one task).
"""
from __future__ import annotations

import numpy as np

from .._config.threads import SERIAL_WORK, kernel_threads
from . import _kernels as k

__all__ = ["backward", "forward"]

GEMM_COLUMNS = 256    # forward: columns per GEMM
WEIGHT_COLUMNS = 1024  # backward: columns (the weight gradient's reduction) per GEMM
COLUMNS_BUDGET = 8 * 2 ** 20  # bytes of one GEMM's column matrix
PARTS_BUDGET = 64 * 2 ** 20   # bytes of the weight gradient's partial sums
MAX_CHUNKS = 16  # backward: chunks of images (one partial sum each)
MIN_TASKS = 2    # backward: chunks x groups x channel blocks, where there are channels


def _images_per_gemm(geo, columns, itemsize):
    """Images side by side in one GEMM: as many as fit in ``columns`` columns
    (at least one; copying a 28x28 layer's ``grad_out`` to pair its images
    cost more than the wider GEMM saved) and in :data:`COLUMNS_BUDGET`."""
    hw = geo.oh * geo.ow
    per_image = hw * geo.c_g * geo.r * geo.s * itemsize
    return max(1, min(columns // max(hw, 1), COLUMNS_BUDGET // max(per_image, 1)))


def _chunks(n, at_least, at_most):
    """How many equal chunks :func:`._kernels._part` cuts ``n`` into."""
    return max(1, min(n, at_most, max(at_least, 1)))


def forward(x, weight, bias, geo, out):
    """conv2d of ``x`` into ``out`` (any layer)."""
    w3 = weight.reshape(geo.groups, geo.k_g, -1)
    per_gemm = min(geo.n, _images_per_gemm(geo, GEMM_COLUMNS, x.itemsize))
    with kernel_threads(geo.flops, "flops", blas="inside",
                        gemm=geo.image_gemm * per_gemm) as threads:
        # per_gemm images a chunk, or fewer so that every thread gets one
        chunks = _chunks(geo.n, max(-(-geo.n // per_gemm), threads), geo.n)
        k.conv_forward(x, w3, bias, geo.kernel_geometry(), chunks,
                       out.reshape(geo.n, geo.groups, geo.k_g, geo.oh * geo.ow))


def backward(grad_out, x, weight, geo, grad_x, input_grad, weight_grad):
    """The input gradient added into ``grad_x`` if ``input_grad``; the weight
    gradient returned if ``weight_grad`` (else None). One pass serves both:
    each task reads its images' ``grad_out`` once."""
    crs = geo.c_g * geo.r * geo.s
    per_gemm = _images_per_gemm(geo, WEIGHT_COLUMNS, x.itemsize)
    max_chunks = max(1, min(MAX_CHUNKS, PARTS_BUDGET // (weight.size * x.itemsize)))
    chunks = _chunks(geo.n, -(-geo.n // per_gemm), max_chunks)
    work = (input_grad + weight_grad) * geo.flops
    # channel blocks only where the work runs on several threads (a size rule, so
    # the result still does not depend on the thread count)
    tasks = MIN_TASKS if work >= SERIAL_WORK["flops"] else 1
    blocks = _chunks(geo.c_g, -(-tasks // (chunks * geo.groups)), geo.c_g)
    parts = np.empty((chunks, geo.groups, geo.k_g, crs if weight_grad else 0), x.dtype)
    w3 = weight.reshape(geo.groups, geo.k_g, crs)
    with kernel_threads(work, "flops", blas="inside",
                        gemm=geo.image_gemm * min(geo.n, per_gemm)):
        k.conv_backward(x, w3, grad_out.reshape(geo.n, geo.groups, geo.k_g, geo.oh * geo.ow),
                        geo.kernel_geometry(), chunks, per_gemm, blocks, parts, grad_x,
                        input_grad, weight_grad)
    if not weight_grad:
        return None
    return (parts[0] if chunks == 1 else parts.sum(axis=0)).reshape(weight.shape)
