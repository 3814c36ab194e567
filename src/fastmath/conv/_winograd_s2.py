"""Numba kernels of stride-2 3x3 convolution as Winograd F(4x4, 2x2).

A stride-2 3x3 correlation splits by the parity of the input coordinates
into four stride-1 correlations: with the phase planes ``P_pq[i, j] =
x[2i + p, 2j + q]`` and the weight taps ``w_pq[a, b] = w[2a + p, 2b + q]``
(2x2, 2x1, 1x2 and 1x1 for the four parities), ``out = sum_pq P_pq (*)
w_pq``. Stacking the phases as 4C channels and padding every ``w_pq`` to 2x2
with zeros makes one stride-1 2x2 correlation, which Winograd F(4x4, 2x2)
computes with 25 multiplies per 4x4 output tile and channel pair: 6.25 C per
output instead of 9 C direct.

F(4x4, 2x2) uses the points 0, 1, -1, 2 and infinity: ``Y = A^T [(G g G^T)
* (B^T d B)] A`` with the 5x5 input tile ``d``. Layouts and chunks follow
:mod:`._winograd`: an NHWC buffer of the phases, transformed tiles ``v[25,
tile, 4C]``, transformed weights ``u[25, 4C, K]``, products ``m[25, tile,
K]``; B^T and A^T are in :data:`._tile_transform.MATRICES`. The transforms
scale terms by at most 36 (input) and 121 (output).
"""
import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel
from .._float_order import from_ordered_key, max_magnitude_key, ordered_key
from ._tile_transform import S2_GRAD, S2_INPUT, S2_OUTPUT
from ._winograd import (input_tiles_of, output_tiles_of, summed_parts, tile_grid,
                        weight_grad_parts_of)

G = np.array([[1 / 2, 0],
              [-1 / 2, -1 / 2],
              [-1 / 6, 1 / 6],
              [1 / 6, 1 / 3],
              [0, 1]])
# output tiles are 4x4 (TILE in _winograd); input tiles are 5x5
# Channel slot of phase (p, q) in the NHWC buffer: (0, 1), (0, 0), (1, 0), (1, 1),
# so that the phases a transformed position needs are one contiguous range
# (see :func:`channel_range`).
SLOTS = np.array([[1, 0], [2, 3]])


@jit_parallel
def to_phases(x, pt, pl, xq, largest):
    """xq[n, i, j, slot(p, q) * C + c] = x[n, c, 2i + p - pt, 2j + q - pl], zero
    outside ``x``; :data:`SLOTS` orders the phases (columns past the buffer's
    width are left out). largest[t] = the largest magnitude copied into buffer
    row t (of all images), NaN if one is NaN."""
    n_img, c_in, h, w = x.shape
    rows, cols = xq.shape[1], xq.shape[2]
    width = min(w, 2 * cols - pl)  # the input columns that land in the buffer
    zero = x.dtype.type(0)
    for t in prange(n_img * rows):
        n, i = t // rows, t % rows
        dst = xq[n, i]
        top = ordered_key(zero)
        for p in range(2):
            y = 2 * i + p - pt
            if y < 0 or y >= h:
                dst[:, SLOTS[p, 0] * c_in:SLOTS[p, 0] * c_in + c_in] = 0
                dst[:, SLOTS[p, 1] * c_in:SLOTS[p, 1] * c_in + c_in] = 0
                continue
            for q in range(2):
                # zero the columns j that no input column 2j + q - pl reaches
                j0, j1 = _column_range(q, pl, w, cols)
                base = SLOTS[p, q] * c_in
                dst[:j0, base:base + c_in] = 0
                dst[j1:, base:base + c_in] = 0
            b0, b1 = SLOTS[p, 0] * c_in, SLOTS[p, 1] * c_in
            for c in range(c_in):
                src = x[n, c, y]
                for xx in range(width):  # the row read once, in order
                    col = xx + pl
                    j = np.uint64(col >> 1)  # unsigned: no wraparound tests
                    if col & 1:
                        dst[j, np.uint64(b1 + c)] = src[np.uint64(xx)]
                    else:
                        dst[j, np.uint64(b0 + c)] = src[np.uint64(xx)]
                top = max_magnitude_key(src, width, top)
        largest[t] = from_ordered_key(top, zero)


@jit
def _column_range(q, pl, w, cols):
    """The columns j of the buffer with 0 <= 2j + q - pl < w."""
    j0 = min(cols, max(0, (pl - q + 1) // 2))
    return j0, max(j0, min(cols, (w - 1 + pl - q) // 2 + 1))


@jit
def weight_transform(weight, u, flipped, top, left):
    """u[a*5 + b, slot(p, q) * C + c, k] = (G w_pq G^T)[a, b] for ``weight`` (K, C,
    3, 3), products in float64.

    Forward (``flipped`` False; ``top``, ``left`` unused): ``w_pq[i, j] =
    weight[k, c, 2i + p, 2j + q]``. Input gradient (``flipped`` True): ``w_pq[i,
    j] = weight[k, c, p + top - 2i, q + left - 2j]``; the rows y = 2Y + p and
    columns x = 2X + q of the input gradient are the 2x2 correlation of
    ``grad_out`` with these (``u[t].T``), for ``top = pad_top + 2 * (1 -
    (pad_top + 1) // 2)`` with ``grad_out`` padded by ``1 - (pad_top + 1) //
    2`` rows (the same for columns). Taps past the kernel are 0.
    """
    k_out, c_in = weight.shape[0], weight.shape[1]
    for pqc in range(4 * c_in):  # one (phase, channel) row of each u[t]
        p, q, c = pqc // (2 * c_in), (pqc // c_in) % 2, pqc % c_in
        row = SLOTS[p, q] * c_in + c
        g = np.zeros((2, 2, k_out))
        for i in range(2):
            for j in range(2):
                a, b = (p + top - 2 * i, q + left - 2 * j) if flipped else (2 * i + p, 2 * j + q)
                if 0 <= a <= 2 and 0 <= b <= 2:  # the other taps stay 0
                    for k in range(k_out):
                        g[i, j, k] = weight[k, c, a, b]
        # along k, so each u[t] row is written in order (rows 25 apart in
        # memory written in turn would share cache sets)
        for a in range(5):
            for b in range(5):
                c00, c01 = G[a, 0] * G[b, 0], G[a, 0] * G[b, 1]
                c10, c11 = G[a, 1] * G[b, 0], G[a, 1] * G[b, 1]
                dst = u[a * 5 + b, row]
                for k in range(k_out):
                    dst[k] = c00 * g[0, 0, k] + c01 * g[0, 1, k] + c10 * g[1, 0, k] + c11 * g[1, 1, k]


_input_tiles = input_tiles_of(S2_INPUT)
_output_tiles = output_tiles_of(S2_OUTPUT)
weight_grad_parts = weight_grad_parts_of(S2_INPUT, S2_GRAD)


@jit
def channel_range(t, c_in):
    """The channels [lo, hi) of the NHWC buffer that transformed position ``t``
    needs: G's last row is (0, 1), so phases with one tap row (p = 1) are zero
    in row a = 4, and those with one tap column (q = 1) in column b = 4; the
    other phases cover 81 of the 100 channel positions."""
    a, b = t // 5, t % 5
    if a == 4 and b == 4:
        return c_in, 2 * c_in  # phase (0, 0)
    if a == 4:
        return 0, 2 * c_in  # phases (0, 1), (0, 0)
    if b == 4:
        return c_in, 3 * c_in  # phases (0, 0), (1, 0)
    return 0, 4 * c_in


@jit_parallel
def forward(xq, u, bias, tiles_per_chunk, out, phased):
    """out[n, k] = bias[k] + stride-1 2x2 correlation of the NHWC buffer ``xq``
    with the weights whose transform is ``u``, parallel over fixed chunks of
    tiles (the result does not depend on the thread count). ``xq`` must hold
    at least ``4 * ceil(OH / 4) + 1`` rows and as many columns. ``phased``:
    ``xq`` holds the four phases of an input (:func:`to_phases`), so some
    positions need only some of its channels (:func:`channel_range`)."""
    n_img, c_in = xq.shape[0], xq.shape[3]
    k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, oh, ow, tiles_per_chunk)
    for chunk in prange(n_chunks):
        p0 = chunk * tiles_per_chunk
        cnt = min(tiles_per_chunk, total - p0)
        # one spare tile per matrix: rows 4 KiB apart would alias in the caches
        v = np.empty((25, cnt + 1, c_in), xq.dtype)
        m = np.empty((25, cnt + 1, k_out), xq.dtype)
        vr = np.empty((cnt, c_in // 2), xq.dtype)  # the positions that need fewer phases
        vr1 = np.empty((cnt, c_in // 4), xq.dtype)
        _input_tiles(xq, p0, cnt, tiles_h, tiles_w, v)
        for t in range(25):
            lo, hi = channel_range(t, c_in // 4) if phased else (0, c_in)
            if hi - lo == c_in:
                np.dot(v[t, :cnt], u[t], m[t, :cnt])
                continue
            part = vr if hi - lo == vr.shape[1] else vr1
            for r in range(cnt):
                src = v[t, r]
                dst = part[r]
                for c in range(hi - lo):
                    dst[c] = src[lo + c]
            np.dot(part[:cnt], u[t, lo:hi], m[t, :cnt])
        _output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, out)


@jit_parallel
def from_phases(planes, grad_x):
    """grad_x[n, c, 2Y + p, 2X + q] = planes[n, slot(p, q) * C + c, Y, X]: the input
    gradient from its four phases."""
    n_img, c_in, h, w = grad_x.shape
    for t in prange(n_img * c_in):
        n, c = t // c_in, t % c_in
        for y in range(h):
            src0 = planes[n, SLOTS[y % 2, 0] * c_in + c, y // 2]  # the even columns
            src1 = planes[n, SLOTS[y % 2, 1] * c_in + c, y // 2]
            dst = grad_x[n, c, y]
            for j in range(w // 2):  # unsigned: no wraparound tests
                dst[np.uint64(2 * j)] = src0[np.uint64(j)]
                dst[np.uint64(2 * j + 1)] = src1[np.uint64(j)]
            if w % 2:
                dst[w - 1] = src0[w // 2]


@jit_parallel
def weight_grad_from_parts(parts, grad_w):
    """grad_w[k, c, 2i + p, 2j + q] = (G^T S_pq G)[i, j], with S the sum, in group
    order and in float64, of the parts from :func:`weight_grad_parts` and S_pq
    its columns of phase (p, q); along channels, the parts' rows."""
    k_out, c4 = parts.shape[2], parts.shape[3]
    c_in = c4 // 4
    for k in prange(k_out):
        s = summed_parts(parts, k)
        sg = np.empty((5, 2, c4))  # S G
        for a in range(5):
            for j in range(2):
                for c in range(c4):
                    sg[a, j, c] = (s[a * 5, c] * G[0, j] + s[a * 5 + 1, c] * G[1, j]
                                   + s[a * 5 + 2, c] * G[2, j] + s[a * 5 + 3, c] * G[3, j]
                                   + s[a * 5 + 4, c] * G[4, j])
        for p in range(2):
            for q in range(2):
                base = SLOTS[p, q] * c_in
                for i in range(2 - p):  # the taps of this phase
                    for j in range(2 - q):
                        for c in range(c_in):
                            grad_w[k, c, 2 * i + p, 2 * j + q] = (
                                G[0, i] * sg[0, j, base + c] + G[1, i] * sg[1, j, base + c]
                                + G[2, i] * sg[2, j, base + c] + G[3, i] * sg[3, j, base + c]
                                + G[4, i] * sg[4, j, base + c])
