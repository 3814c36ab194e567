"""Numba kernels of the convolution family (NCHW, C-contiguous, no validation).

A convolution's geometry travels as one :class:`Geometry` record: kernel size
(r, s), stride (sh, sw), the top/left padding (ph, pw), dilation (dh, dw) and
the output size (oh, ow). Padding is implicit (out-of-range reads are zero),
so no padded copy of the input is made.
"""
from typing import NamedTuple

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel
from .._gemm import gemm


class Geometry(NamedTuple):
    """The integers of one convolution, as the kernels take them (a numba named tuple)."""

    r: int
    s: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int
    dw: int
    oh: int
    ow: int
    pointwise: bool  # 1x1, stride 1, no padding: the input planes are the columns


# --- im2col / col2im for one image and one channel group ----------------------

@jit
def _flat(geo, img):
    """Whether im2col and col2im take the flat path: stride 1 and output rows as
    wide as the image's, so each tap is one shifted copy of the whole plane."""
    return geo.sh == 1 and geo.sw == 1 and geo.ow == img.shape[2]


@jit
def im2col(img, c0, n_ch, geo, cols, j0):
    """cols[(c, u, v), j0 + (i, j)] = img[c0 + c, i*sh - ph + u*dh, j*sw - pw + v*dw]
    (0 outside): one image's columns from column ``j0`` on (images side by side)."""
    if _flat(geo, img):
        _im2col_flat(img, c0, n_ch, geo, cols, j0)
    else:
        _im2col_rows(img, c0, n_ch, geo, cols, j0)


@jit
def _tap_shift(geo, u, v, h, w):
    """For one tap of a stride-1 layer whose output rows are as wide as the input's:
    the flat offset from an output position to its input pixel, the column shift
    ``dx``, the output rows [i0, i1) that fall inside the image, and the flat
    output range [lo, hi) whose shifted positions stay inside the plane."""
    dy = u * geo.dh - geo.ph
    dx = v * geo.dw - geo.pw
    shift = dy * w + dx
    i0 = min(geo.oh, max(0, -dy))
    i1 = max(i0, min(geo.oh, h - dy))
    lo = min(geo.oh * geo.ow, max(i0 * geo.ow, -shift))  # a tap above a short image: none
    hi = max(lo, min(i1 * geo.ow, h * w - shift))
    return shift, dx, i0, i1, lo, hi


@jit
def _edge_columns(flat, d, ow, dx, i0, i1):
    """Zero the entries ``flat[d + i*ow + j]`` of output rows [i0, i1) whose input
    column j + dx falls outside the row (a flat shift would take the
    neighbouring row's pixel)."""
    j0, j1 = (0, min(-dx, ow)) if dx < 0 else (max(0, ow - dx), ow)
    for i in range(i0, i1):
        for j in range(j0, j1):
            flat[np.uint64(d + i * ow + j)] = 0


@jit
def _tap_table(geo, h, w):
    """:func:`_tap_shift` of every tap (u, v), as rows of an int array."""
    taps = np.empty((geo.r * geo.s, 6), np.int64)
    for t in range(geo.r * geo.s):
        taps[t, 0], taps[t, 1], taps[t, 2], taps[t, 3], taps[t, 4], taps[t, 5] = _tap_shift(
            geo, t // geo.s, t % geo.s, h, w)
    return taps


@jit(inline="always")
def _tap_row(taps, row, c0, hw, ld, j0):
    """Row ``row`` of a column matrix with rows ``ld`` apart, from column ``j0``
    on: its tap's dx, i0, i1, lo, hi (:func:`_tap_table`), the flat offset
    ``p`` of its input plane shifted by the tap and the row's own flat offset."""
    rs = taps.shape[0]
    t = row % rs
    return (taps[t, 1], taps[t, 2], taps[t, 3], taps[t, 4], taps[t, 5],
            (c0 + row // rs) * hw + taps[t, 0], row * ld + j0)


@jit
def _im2col_flat(img, c0, n_ch, geo, cols, j0):
    """:func:`im2col` for stride 1 with ``ow == w``: each tap's row is the plane
    shifted by one flat offset (one long copy), then its edge columns zeroed.
    Row by row, the copies are ``ow`` elements long, too short for LLVM's
    vector loop (measured 2.3x to 4.8x slower on 28 to 32-pixel images).
    Flat unsigned indices: slicing views per row cost more than the copies
    on 7x7 images (2.9 ms against 1.0 for 512 channels of 8 images)."""
    n_out = geo.oh * geo.ow
    hw = img.shape[1] * img.shape[2]
    taps = _tap_table(geo, img.shape[1], img.shape[2])
    src, dst = img.reshape(-1), cols.reshape(-1)
    for row in range(n_ch * geo.r * geo.s):
        dx, i0, i1, lo, hi, p, d = _tap_row(taps, row, c0, hw, cols.shape[1], j0)
        for q in range(lo):  # p + q >= 0 for q >= lo, by the tap's range
            dst[np.uint64(d + q)] = 0
        for q in range(lo, hi):
            dst[np.uint64(d + q)] = src[np.uint64(p + q)]
        for q in range(hi, n_out):
            dst[np.uint64(d + q)] = 0
        if dx != 0:  # the entries whose input column falls off the row
            _edge_columns(dst, d, geo.ow, dx, i0, i1)


@jit(inline="always")
def _row_tap(geo, row, w, ld, j0):
    """Row ``row`` of a column matrix with rows ``ld`` apart, from column ``j0``
    on: its channel and tap row (c, u), the input column offset ``off`` of
    its tap column, the output columns [ja, jb) whose input column j*sw +
    off is inside [0, w), and the row's flat offset."""
    rs = geo.r * geo.s
    off = (row % geo.s) * geo.dw - geo.pw
    ja = min(geo.ow, max(0, (-off + geo.sw - 1) // geo.sw))
    jb = max(ja, min(geo.ow, (w - 1 - off) // geo.sw + 1))
    return row // rs, (row // geo.s) % geo.r, off, ja, jb, row * ld + j0


@jit
def _im2col_rows(img, c0, n_ch, geo, cols, j0):
    """:func:`im2col`, one output row at a time (any stride and width)."""
    sh, sw, ph, dh, oh, ow = geo.sh, geo.sw, geo.ph, geo.dh, geo.oh, geo.ow
    h, w = img.shape[1], img.shape[2]
    src, dst = img.reshape(-1), cols.reshape(-1)
    for row in range(n_ch * geo.r * geo.s):
        c, u, off, ja, jb, d = _row_tap(geo, row, w, cols.shape[1], j0)
        for i in range(oh):
            y = i * sh - ph + u * dh
            base = d + i * ow
            if y < 0 or y >= h:
                for j in range(ow):
                    dst[np.uint64(base + j)] = 0
                continue
            p = ((c0 + c) * h + y) * w + off  # p + j * sw >= 0 for j >= ja
            for j in range(ja):
                dst[np.uint64(base + j)] = 0
            for j in range(ja, jb):
                dst[np.uint64(base + j)] = src[np.uint64(p + j * sw)]
            for j in range(jb, ow):
                dst[np.uint64(base + j)] = 0


@jit
def col2im_add(cols, c0, n_ch, geo, img, j0):
    """Scatter-add the columns from column ``j0`` on back into one image: the
    adjoint of :func:`im2col`.

    Contributions reach each pixel in tap order, whichever path runs. On the
    flat path (stride 1, ``ow == w``) the entries of ``cols`` that fall
    outside the image are overwritten with zeros first.
    """
    if _flat(geo, img):
        _col2im_add_flat(cols, c0, n_ch, geo, img, j0)
    else:
        _col2im_add_rows(cols, c0, n_ch, geo, img, j0)


@jit
def _col2im_add_flat(cols, c0, n_ch, geo, img, j0):
    hw = img.shape[1] * img.shape[2]
    taps = _tap_table(geo, img.shape[1], img.shape[2])
    src, dst = cols.reshape(-1), img.reshape(-1)
    for row in range(n_ch * geo.r * geo.s):
        dx, i0, i1, lo, hi, p, d = _tap_row(taps, row, c0, hw, cols.shape[1], j0)
        if dx != 0:
            _edge_columns(src, d, geo.ow, dx, i0, i1)
        # views carry the offsets: the loop stays a contiguous vector add
        dv, sv = dst[p + lo:p + hi], src[d + lo:d + hi]
        for q in range(hi - lo):
            dv[q] += sv[q]


@jit
def _col2im_add_rows(cols, c0, n_ch, geo, img, j0):
    sh, sw, ph, dh, oh, ow = geo.sh, geo.sw, geo.ph, geo.dh, geo.oh, geo.ow
    h, w = img.shape[1], img.shape[2]
    src, dst = cols.reshape(-1), img.reshape(-1)
    for row in range(n_ch * geo.r * geo.s):  # in tap order, as the flat path
        c, u, off, ja, jb, d = _row_tap(geo, row, w, cols.shape[1], j0)
        for i in range(oh):
            y = i * sh - ph + u * dh
            if y < 0 or y >= h:
                continue
            p = ((c0 + c) * h + y) * w + off
            base = d + i * ow
            for j in range(ja, jb):
                dst[np.uint64(p + j * sw)] += src[np.uint64(base + j)]


@jit
def _part(n, parts, i):
    """Part ``i`` of ``range(n)`` cut into ``parts`` equal parts, as (start, stop):
    :func:`fastmath._chunks.fixed_chunk_bounds` without the array."""
    return i * n // parts, (i + 1) * n // parts


@jit
def _image_columns(x, n0, m, c0, n_ch, geo, cols):
    """The columns of channels ``c0`` to ``c0 + n_ch`` of images ``n0`` to
    ``n0 + m``, side by side; a single pointwise image's planes are used in place."""
    if m == 1 and geo.pointwise:  # rows of a 2-D C array: the layout stays C
        first = n0 * x.shape[1] + c0
        return x.reshape((x.shape[0] * x.shape[1], geo.oh * geo.ow))[first:first + n_ch]
    for i in range(m):  # pointwise layers take im2col's flat path: a plain copy
        im2col(x[n0 + i], c0, n_ch, geo, cols, i * geo.oh * geo.ow)
    return cols


@jit
def _side_by_side(g4, n0, m, g, gcat):
    """grad_out of images ``n0`` to ``n0 + m`` (group ``g``) as one (K_g, m * OH*OW)
    matrix: the array itself for one image, else copied into ``gcat``."""
    if m == 1:
        return g4[n0, g]
    hw = g4.shape[3]
    for i in range(m):
        gcat[:, i * hw:(i + 1) * hw] = g4[n0 + i, g]
    return gcat


@jit_parallel
def conv_forward(x, w3, bias, geo, n_chunks, out4):
    """out4[n, g] = w3[g] @ im2col(x[n], g) + bias, parallel over chunks of images.

    ``w3`` is (groups, K_g, C_g*R*S), ``out4`` is (N, groups, K_g, OH*OW),
    ``n_chunks`` equal chunks of images (:func:`_part`). A chunk's images are
    unfolded side by side into one column matrix, so the GEMM is wide even
    when the images are small; extra memory is one such matrix per thread
    (and its product, for chunks of several images). The caller holds BLAS
    at one thread.
    """
    groups, k_g, crs = w3.shape
    c_g = crs // (geo.r * geo.s)
    hw = geo.oh * geo.ow
    for chunk in prange(n_chunks):
        n0, n1 = _part(x.shape[0], n_chunks, chunk)
        m = n1 - n0
        cols = np.empty((crs, m * hw), dtype=x.dtype)
        prod = np.empty((k_g if m > 1 else 0, m * hw), dtype=x.dtype)
        for g in range(groups):
            col = _image_columns(x, n0, m, g * c_g, c_g, geo, cols)
            if m == 1:
                np.dot(w3[g], col, out4[n0, g])  # straight into the output
            else:
                np.dot(w3[g], col, prod)
            for i in range(m):
                dst = out4[n0 + i, g]
                for kk in range(k_g):
                    b = bias[g * k_g + kk]
                    if m == 1:
                        for j in range(hw):
                            dst[kk, j] += b
                    else:
                        src = prod[kk, i * hw:(i + 1) * hw]
                        for j in range(hw):
                            dst[kk, j] = src[j] + b


SMALL_BLOCK = 2 ** 14  # weight-gradient blocks (K_g x rows) computed transposed


@jit_parallel
def conv_backward(x, w3, g4, geo, n_chunks, per_gemm, n_blocks, parts, grad_x, input_grad,
                  weight_grad):
    """The gradients of one of ``n_chunks`` equal chunks of images, one channel
    group and one of ``n_blocks`` blocks of its input channels per task, with
    ``per_gemm`` images side by side in each GEMM. If ``weight_grad``,
    parts[chunk, g, :, rows of the block] = the weight gradient over the
    chunk's images (the caller sums the chunks in order, so the result does
    not depend on the thread count); if ``input_grad``, the input gradient of
    the block's channels added into ``grad_x``. The weights come as ``w3``
    (groups, K_g, C_g*R*S)."""
    groups, k_g, crs = w3.shape
    rs = geo.r * geo.s
    c_g = crs // rs
    hw = geo.oh * geo.ow
    for task in prange(n_chunks * groups * n_blocks):
        chunk, g, blk = task // (groups * n_blocks), (task // n_blocks) % groups, task % n_blocks
        c0, c1 = _part(c_g, n_blocks, blk)
        n_ch = c1 - c0
        n_first, n_end = _part(x.shape[0], n_chunks, chunk)
        rows = n_ch * rs
        small_block = k_g * rows <= SMALL_BLOCK
        block_t = np.empty((rows if weight_grad and small_block else 0, k_g), dtype=x.dtype)
        m = min(per_gemm, n_end - n_first)
        # buffers for m images, allocated again only for a shorter last group
        gcat = np.empty((k_g if m > 1 else 0, m * hw), dtype=x.dtype)
        cols = np.empty((rows if weight_grad else 0, m * hw), dtype=x.dtype)
        dcols = np.empty((rows if input_grad else 0, m * hw), dtype=x.dtype)
        for n0 in range(n_first, n_end, per_gemm):
            if n_end - n0 < m:
                m = n_end - n0
                gcat = np.empty((k_g if m > 1 else 0, m * hw), dtype=x.dtype)
                cols = np.empty((rows if weight_grad else 0, m * hw), dtype=x.dtype)
                dcols = np.empty((rows if input_grad else 0, m * hw), dtype=x.dtype)
            go = _side_by_side(g4, n0, m, g, gcat)
            if weight_grad:
                col = _image_columns(x, n0, m, g * c_g + c0, n_ch, geo, cols)
                acc = parts[chunk, g, :, c0 * rs:c0 * rs + rows]
                first = n0 == n_first
                if small_block:
                    # col @ go.T, then transposed: OpenBLAS ran that shape 1.1x to
                    # 1.5x faster than go @ col.T (one thread)
                    np.dot(col, go.T, block_t)
                    if first:
                        acc[...] = block_t.T
                    else:
                        acc += block_t.T
                else:  # summed in place by the GEMM (adding a transpose ran 17 ms
                    # for a 512 x 4608 weight)
                    gemm(go, col.T, acc, 0.0 if first else 1.0)
            if input_grad:  # the block's rows of w3[g].T: OpenBLAS's transposed-A
                # GEMM ran ~8% faster than on a transposed copy
                gemm(w3[g, :, c0 * rs:c0 * rs + rows].T, go, dcols, 0.0)
                for i in range(m):
                    col2im_add(dcols, g * c_g + c0, n_ch, geo, grad_x[n0 + i], i * hw)


@jit_parallel
def channel_sums(g, partials):
    """partials[n, k] = sum of g[n, k, :] (the bias gradient before the sum over n)."""
    n_img, k_ch = g.shape[0], g.shape[1]
    for t in prange(n_img * k_ch):
        row = g[t // k_ch, t % k_ch]
        acc = 0.0
        for j in range(row.shape[0]):
            acc += row[j]
        partials[t // k_ch, t % k_ch] = acc


# --- single-image 2-D correlation ---------------------------------------------

@jit_parallel
def correlate2d_valid(img, ker, out):
    """out[i, j] = sum_uv img[i + u, j + v] * ker[u, v]; img is already zero-padded."""
    r, s = ker.shape
    oh, ow = out.shape
    for i in prange(oh):
        orow = out[i]
        for j in range(ow):
            orow[j] = 0
        for u in range(r):
            irow = img[i + u]
            for v in range(s):
                kv = ker[u, v]
                for j in range(ow):
                    orow[j] += kv * irow[j + v]


# --- pooling -------------------------------------------------------------------

@jit_parallel
def max_pool2d(x, kh, kw, sh, sw, ph, pw, out, argmax):
    """Max over each window (padding never wins); argmax is the flat index into H*W.

    A NaN in a window wins, and the last NaN in row-major order gives the
    index, as in torch (``val > best or isnan(val)`` updates).
    """
    n_img, n_ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for t in prange(n_img * n_ch):
        plane = x[t // n_ch, t % n_ch]
        o = out[t // n_ch, t % n_ch]
        a = argmax[t // n_ch, t % n_ch]
        for i in range(oh):
            for j in range(ow):
                best = -np.inf
                best_at = -1
                for u in range(kh):
                    y = i * sh - ph + u
                    if y < 0 or y >= h:
                        continue
                    for v in range(kw):
                        xx = j * sw - pw + v
                        if xx < 0 or xx >= w:
                            continue
                        val = plane[y, xx]
                        if best_at < 0 or val > best or val != val:
                            best = val
                            best_at = y * w + xx
                o[i, j] = best
                a[i, j] = best_at


@jit_parallel
def max_pool2d_backward(grad_out, argmax, grad_x):
    """grad_x[n, c].flat[argmax] += grad_out (grad_x zeroed by the caller)."""
    n_img, n_ch = grad_out.shape[0], grad_out.shape[1]
    w = grad_x.shape[3]
    for t in prange(n_img * n_ch):
        g = grad_out[t // n_ch, t % n_ch]
        a = argmax[t // n_ch, t % n_ch]
        dst = grad_x[t // n_ch, t % n_ch]
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                k = a[i, j]
                dst[k // w, k % w] += g[i, j]


@jit_parallel
def avg_pool2d(x, kh, kw, sh, sw, ph, pw, out):
    """Mean over each window, zero padding counted (torch's count_include_pad=True)."""
    n_img, n_ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    inv = 1.0 / (kh * kw)
    for t in prange(n_img * n_ch):
        plane = x[t // n_ch, t % n_ch]
        o = out[t // n_ch, t % n_ch]
        for i in range(oh):
            for j in range(ow):
                acc = 0.0
                for u in range(kh):
                    y = i * sh - ph + u
                    if y < 0 or y >= h:
                        continue
                    for v in range(kw):
                        xx = j * sw - pw + v
                        if 0 <= xx < w:
                            acc += plane[y, xx]
                o[i, j] = acc * inv


@jit_parallel
def avg_pool2d_backward(grad_out, kh, kw, sh, sw, ph, pw, grad_x):
    """Spread each output gradient evenly over its window (grad_x zeroed by the caller)."""
    n_img, n_ch, h, w = grad_x.shape
    oh, ow = grad_out.shape[2], grad_out.shape[3]
    inv = 1.0 / (kh * kw)
    for t in prange(n_img * n_ch):
        g = grad_out[t // n_ch, t % n_ch]
        dst = grad_x[t // n_ch, t % n_ch]
        for i in range(oh):
            for j in range(ow):
                share = g[i, j] * inv
                for u in range(kh):
                    y = i * sh - ph + u
                    if y < 0 or y >= h:
                        continue
                    for v in range(kw):
                        xx = j * sw - pw + v
                        if 0 <= xx < w:
                            dst[y, xx] += share
