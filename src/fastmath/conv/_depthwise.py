"""Numba kernels of depthwise convolution (one input channel per group), direct.

With one input channel per group, im2col + GEMM degenerates into thousands
of one-row products. These kernels instead copy each input plane into a
zero-padded buffer and slide each weight tap along whole output rows, with
no bounds tests in the loop, which LLVM vectorizes. Padding taps multiply
real zeros, so ``inf * 0`` gives NaN there as in the im2col path.
3x3, stride-1 layers with one output per channel (the common depthwise
layer) have their own backward pass: the input gradient is a forward pass
over the zero-padded gradient, and the weight gradient nine long dot
products over the flattened buffers. Geometry as in :mod:`._kernels`.
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
def _fill_interior(xp, plane, top, left, check):
    """Copy ``plane`` into ``xp`` at offset (top, left), row by row (a 2-D slice
    assignment takes numba's generic strided path, about 3x slower). With
    ``check``, returns 0 when every value copied is finite and NaN otherwise
    (the sum of ``v * 0``; ``v - v`` would be folded to 0 under the 'reassoc'
    flag, ``v * 0`` is kept without 'nnan'); the forward pass, which needs no
    check, ran 20% slower with it."""
    zero = plane.dtype.type(0)  # a float32 zero for float32 planes (an int literal widens)
    probe = zero
    for i in range(plane.shape[0]):
        # offsets go into the row views, not the index: a runtime offset
        # added to an unsigned index could wrap, and LLVM would gather
        src, dst = plane[i], xp[top + i, left:]
        for j in range(plane.shape[1]):
            p = np.uint64(j)
            v = src[p]
            dst[p] = v
            if check:
                probe += v * zero
    return probe


@jit
def _taps_3x3(src, top, left, row_step, dh, ker, b, dst):
    """dst[i, j] = b + sum over u, v < 3 of ker[u, v] * src[top + i*row_step + u*dh, left + j + v].

    Nine taps per element in one pass, written once. The loop stays in this
    per-plane function: a helper called per row ran 2.7x slower.
    """
    w00, w01, w02 = ker[0, 0], ker[0, 1], ker[0, 2]
    w10, w11, w12 = ker[1, 0], ker[1, 1], ker[1, 2]
    w20, w21, w22 = ker[2, 0], ker[2, 1], ker[2, 2]
    for i in range(dst.shape[0]):
        y = top + i * row_step
        x0, x1, x2, orow = src[y, left:], src[y + dh, left:], src[y + 2 * dh, left:], dst[i]
        for j in range(dst.shape[1]):
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
            _fill_interior(xp, x[n, kk // k_g], ph, pw, False)
            _plane_forward(xp, w[kk, 0], bias[kk], geo, out[n, kk])


@jit
def _plane_forward(xp, ker, b, geo, dst):
    """dst = b + correlation of the zero-padded plane ``xp`` with ``ker``."""
    oh, ow, r, s, sh, sw, dh, dw = geo.oh, geo.ow, geo.r, geo.s, geo.sh, geo.sw, geo.dh, geo.dw
    if r == 3 and s == 3 and sw == 1 and dw == 1:
        _taps_3x3(xp, 0, 0, sh, dh, ker, b, dst)
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


@jit
def _weight_grad_3x3(gp, xp, oh, acc):
    """acc[u, v] += sum over i < oh, j of g[i, j] * xp[i + u, j + v], for u, v < 3.

    ``gp`` holds g at offset (2, 2) with zeros around it, and has the width
    of ``xp``; both are read as flat rows, so each of the nine sums is one
    long vectorised dot product (the zeros of ``gp`` cancel the positions
    outside g). That needs every value of ``xp`` finite: ``0 * inf`` would
    add NaN. Each plane's sums are added into ``acc`` in float64.
    """
    cols = gp.shape[1]
    # one flat view per row offset, so every read is view[p + constant]
    # (see _fill_interior)
    gf, x0 = gp.ravel()[2 * cols + 2:], xp.ravel()
    x1, x2 = x0[cols:], x0[2 * cols:]
    d00 = d01 = d02 = d10 = d11 = d12 = d20 = d21 = d22 = gp.dtype.type(0)
    for t in range(oh * cols):
        p = np.uint64(t)
        gv = gf[p]
        d00 += gv * x0[p]
        d01 += gv * x0[p + 1]
        d02 += gv * x0[p + 2]
        d10 += gv * x1[p]
        d11 += gv * x1[p + 1]
        d12 += gv * x1[p + 2]
        d20 += gv * x2[p]
        d21 += gv * x2[p + 1]
        d22 += gv * x2[p + 2]
    acc[0, 0] += d00
    acc[0, 1] += d01
    acc[0, 2] += d02
    acc[1, 0] += d10
    acc[1, 1] += d11
    acc[1, 2] += d12
    acc[2, 0] += d20
    acc[2, 1] += d21
    acc[2, 2] += d22


@jit
def _weight_grad_rows(g, xp, acc):
    """acc[u, v] += sum over i, j of g[i, j] * xp[i + u, j + v], for u, v < 3:
    one dot product per row of g, over its own positions only (exact for
    planes holding NaN or Inf)."""
    for u in range(3):
        for v in range(3):
            total = 0.0
            for i in range(g.shape[0]):
                grow, xrow = g[i], xp[i + u, v:]
                dot = g.dtype.type(0)
                for j in range(g.shape[1]):
                    p = np.uint64(j)  # unsigned: no negative-index wraparound in the loop
                    dot += grow[p] * xrow[p]
                total += dot
            acc[u, v] += total


@jit
def _backward_3x3(x, w, g, ph, pw, grad_w, grad_x, c):
    """Both gradients of input channel ``c`` of a 3x3, stride-1, undilated,
    one-output-per-channel layer.

    The input gradient is the correlation of g (zero-padded by two) with the
    flipped kernel, a forward pass written straight into ``grad_x``; the
    weight gradient is :func:`_weight_grad_3x3`, or :func:`_weight_grad_rows`
    for a plane holding NaN or Inf.
    """
    oh, ow = g.shape[2], g.shape[3]
    acc = np.zeros((3, 3))
    xp = np.zeros((oh + 3, ow + 4), x.dtype)  # a spare row for the flat reads
    gp = np.zeros((oh + 4, ow + 4), x.dtype)
    flipped = w[c, 0, ::-1, ::-1]
    zero = x.dtype.type(0)
    for n in range(x.shape[0]):
        probe = _fill_interior(xp, x[n, c], ph, pw, True)
        _fill_interior(gp, g[n, c], 2, 2, False)
        _taps_3x3(gp, ph, pw, 1, 1, flipped, zero, grad_x[n, c])
        if probe == 0:
            _weight_grad_3x3(gp, xp, oh, acc)
        else:
            _weight_grad_rows(g[n, c], xp, acc)
    grad_w[c, 0] = acc


@jit_parallel
def depthwise_backward_3x3(x, w, g, ph, pw, grad_w, grad_x):
    """Weight and input gradients of a 3x3, stride-1, undilated layer with one
    output channel per input channel, parallel over channels (each sums over
    images in order: the result does not depend on the thread count)."""
    for c in prange(x.shape[1]):
        _backward_3x3(x, w, g, ph, pw, grad_w, grad_x, c)


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
