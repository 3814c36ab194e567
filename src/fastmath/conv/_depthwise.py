"""Numba kernels of depthwise convolution (one input channel per group), direct.

With one input channel per group, im2col + GEMM degenerates into thousands
of one-row products. These kernels instead copy each input plane into a
zero-padded buffer and slide each weight tap along whole output rows, with
no bounds tests in the loop, which LLVM vectorizes. Padding taps multiply
real zeros, so ``inf * 0`` gives NaN there as in the im2col path.
Geometry as in :mod:`._kernels`.
"""
import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel


_CHUNKS = 256  # parallel tasks of the forward kernel: enough to balance, each reusing a buffer


@jit
def _padded_shape(geo, h, w):
    """A buffer holding the padded plane and every position a tap reads."""
    rows = max(geo.ph + h, (geo.oh - 1) * geo.sh + (geo.r - 1) * geo.dh + 1)
    cols = max(geo.pw + w, (geo.ow - 1) * geo.sw + (geo.s - 1) * geo.dw + 1)
    return rows, cols


@jit
def _row_3x3(x0, x1, x2, ker, b, orow):
    """One output row of a 3x3, column-stride-1 tap set: nine taps per element in
    one pass, so the row is written once instead of accumulated tap by tap."""
    w00, w01, w02 = ker[0, 0], ker[0, 1], ker[0, 2]
    w10, w11, w12 = ker[1, 0], ker[1, 1], ker[1, 2]
    w20, w21, w22 = ker[2, 0], ker[2, 1], ker[2, 2]
    for j in range(orow.shape[0]):
        p = np.uint64(j)  # unsigned: no negative-index wraparound in the loop
        orow[p] = (b + w00 * x0[p] + w01 * x0[p + 1] + w02 * x0[p + 2]
                   + w10 * x1[p] + w11 * x1[p + 1] + w12 * x1[p + 2]
                   + w20 * x2[p] + w21 * x2[p + 1] + w22 * x2[p + 2])


@jit_parallel
def depthwise_forward(x, w, bias, geo, k_g, out):
    """out[n, k] = bias[k] + correlation of x[n, k // k_g] with w[k, 0], per output plane."""
    n_img, n_out = out.shape[0], out.shape[1]
    h, width = x.shape[2], x.shape[3]
    rows, cols = _padded_shape(geo, h, width)
    ph, pw = geo.ph, geo.pw
    planes = n_img * n_out
    n_chunks = min(planes, _CHUNKS)
    for c in prange(n_chunks):
        # one buffer per chunk of planes: its border stays zero, only the
        # interior is overwritten plane after plane
        xp = np.zeros((rows, cols), x.dtype)
        for t in range(planes * c // n_chunks, planes * (c + 1) // n_chunks):
            n, kk = t // n_out, t % n_out
            xp[ph:ph + h, pw:pw + width] = x[n, kk // k_g]
            _plane_forward(xp, w[kk, 0], bias[kk], geo, out[n, kk])


@jit
def _plane_forward(xp, ker, b, geo, dst):
    """dst = b + correlation of the zero-padded plane ``xp`` with ``ker``."""
    oh, ow, r, s, sh, sw, dh, dw = geo.oh, geo.ow, geo.r, geo.s, geo.sh, geo.sw, geo.dh, geo.dw
    if r == 3 and s == 3 and sw == 1 and dw == 1:
        for i in range(oh):
            y = i * sh
            _row_3x3(xp[y], xp[y + dh], xp[y + 2 * dh], ker, b, dst[i])
        return
    for i in range(oh):
        orow = dst[i]
        for j in range(ow):
            orow[j] = b
        for u in range(r):
            xrow = xp[i * sh + u * dh]
            for v in range(s):
                wv = ker[u, v]
                off = v * dw
                # unsigned positions: numba's negative-index wraparound
                # would keep these loops from vectorizing
                if sw == 1:
                    for j in range(ow):
                        orow[j] += wv * xrow[np.uint64(j + off)]
                else:
                    for j in range(ow):
                        orow[j] += wv * xrow[np.uint64(j * sw + off)]


@jit
def _tap_row_3(grow, gp, xrow, gxrow, w0, w1, w2):
    """One gradient row against one kernel row of width 3 (column stride and
    dilation 1): the three weight-gradient dot products, returned, and the
    input gradient added into ``gxrow`` in gather form (``gp`` is ``grow``
    with two zeros each side), one pass each."""
    d0 = d1 = d2 = grow.dtype.type(0)
    for j in range(grow.shape[0]):
        p = np.uint64(j)  # unsigned: no negative-index wraparound in the loop
        gj = grow[p]
        d0 += gj * xrow[p]
        d1 += gj * xrow[p + 1]
        d2 += gj * xrow[p + 2]
    for j in range(grow.shape[0] + 2):
        p = np.uint64(j)
        gxrow[p] += w0 * gp[p + 2] + w1 * gp[p + 1] + w2 * gp[p]
    return d0, d1, d2


@jit_parallel
def depthwise_backward(x, w, g, geo, k_g, grad_w, grad_x):
    """Weight and input gradients, parallel over input channels.

    Each input channel owns its ``k_g`` output channels, their weight
    gradients and its input-gradient planes, and sums over images in order,
    so the result does not depend on the thread count. Weight gradients add
    each row's dot product into float64.
    """
    n_img, n_ch, h, width = x.shape
    rows, cols = _padded_shape(geo, h, width)
    oh, ow, r, s, sh, sw, dh, dw = geo.oh, geo.ow, geo.r, geo.s, geo.sh, geo.sw, geo.dh, geo.dw
    rows3 = s == 3 and sw == 1 and dw == 1
    for c in prange(n_ch):
        acc = np.zeros((k_g, r, s))
        xp = np.zeros((rows, cols), x.dtype)  # its border stays zero; images overwrite the interior
        gxp = np.empty((rows, cols), x.dtype)
        gp = np.zeros(ow + 4, x.dtype)  # one gradient row with two zeros each side
        for n in range(n_img):
            xp[geo.ph:geo.ph + h, geo.pw:geo.pw + width] = x[n, c]
            gxp[...] = 0
            for q in range(k_g):
                kk = c * k_g + q
                ker, gplane = w[kk, 0], g[n, kk]
                for i in range(oh):
                    grow = gplane[i]
                    if rows3:
                        gp[2:2 + ow] = grow
                        for u in range(r):
                            y = i * sh + u * dh
                            d0, d1, d2 = _tap_row_3(grow, gp, xp[y], gxp[y],
                                                    ker[u, 0], ker[u, 1], ker[u, 2])
                            acc[q, u, 0] += d0
                            acc[q, u, 1] += d1
                            acc[q, u, 2] += d2
                        continue
                    for u in range(r):
                        y = i * sh + u * dh
                        xrow, gxrow = xp[y], gxp[y]
                        for v in range(s):
                            wv = ker[u, v]
                            dot = x.dtype.type(0)
                            off = v * dw
                            if sw == 1:  # unsigned positions, as in the forward kernel
                                for j in range(ow):
                                    dot += grow[j] * xrow[np.uint64(j + off)]
                                for j in range(ow):
                                    gxrow[np.uint64(j + off)] += wv * grow[j]
                            else:
                                for j in range(ow):
                                    dot += grow[j] * xrow[np.uint64(j * sw + off)]
                                for j in range(ow):
                                    gxrow[np.uint64(j * sw + off)] += wv * grow[j]
                            acc[q, u, v] += dot
            grad_x[n, c] = gxp[geo.ph:geo.ph + h, geo.pw:geo.pw + width]
        for q in range(k_g):
            grad_w[c * k_g + q, 0] = acc[q]
