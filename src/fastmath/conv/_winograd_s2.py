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
from ._channel_transpose import block_width, transpose_block
from ._tile_transform import S2_GRAD, S2_INPUT, S2_OUTPUT, channel_runs
from ._winograd import (TILE, chunk_buffers, input_tiles_of, output_tiles_of, summed_parts,
                        tile_grid, tile_origin, weight_grad_parts_of)

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
    row t (of all images), NaN if one is NaN. ``x`` and ``xq`` must be
    C-contiguous."""
    n_img, c_in, h, w = x.shape
    rows, cols, c4 = xq.shape[1], xq.shape[2], xq.shape[3]
    lanes, flat = block_width(x), x.reshape(-1)
    width = min(w, 2 * cols - pl)  # the input columns that land in the buffer
    zero = x.dtype.type(0)
    # blocks of `lanes` channels by 2 * `lanes` input columns, split by parity and
    # transposed in registers: the channels and input columns [0, s_end) they cover
    c_blocks = c_in - c_in % lanes
    s_end = 0
    while s_end + 2 * lanes <= width and (s_end + pl) // 2 + 1 + lanes <= cols:
        s_end += 2 * lanes
    for t in prange(n_img * rows):
        n, i = t // rows, t % rows
        dst = xq[n, i]
        flat_dst = dst.reshape(-1)
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
            for c0 in range(0, c_blocks, lanes):  # input column s: phase (s + pl) % 2
                row0 = ((n * c_in + c0) * h + y) * w
                for s in range(0, s_end, 2 * lanes):
                    j = (s + pl) // 2
                    if (s + pl) % 2 == 0:
                        evens, odds = j * c4 + b0 + c0, j * c4 + b1 + c0
                    else:
                        evens, odds = j * c4 + b1 + c0, (j + 1) * c4 + b0 + c0
                    top = max(top, ordered_key(transpose_block(flat, row0 + s, h * w, flat_dst,
                                                               evens, odds, c4, 2)))
            for c in range(c_in):
                src = x[n, c, y]
                s_start = s_end if c < c_blocks else 0
                for xx in range(s_start, width):  # in order
                    col = xx + pl
                    j = np.uint64(col >> 1)  # unsigned: no wraparound tests
                    if col & 1:
                        dst[j, np.uint64(b1 + c)] = src[np.uint64(xx)]
                    else:
                        dst[j, np.uint64(b0 + c)] = src[np.uint64(xx)]
                top = max_magnitude_key(src[s_start:], width - s_start, top)
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
_output_run = channel_runs(S2_OUTPUT)


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


@jit
def _phase_channels(t, c4):
    """:func:`channel_range` for the buffer's 4C channels."""
    return channel_range(t, c4 // 4)


# the adjoint's G^T also has the last row (0, 1): position t's sums need only the
# channels the forward pass reads there
weight_grad_parts = weight_grad_parts_of(S2_INPUT, S2_GRAD, _phase_channels)


@jit
def _chunk_products(xq, u, p0, cnt, tiles_h, tiles_w, phased, v, m, vr, vr1):
    """m[t, :cnt] = (input tiles p0 .. p0 + cnt - 1 of ``xq``, transformed)[t] @ u[t]
    for the 25 positions t; ``v``, ``vr`` and ``vr1`` are scratch. ``phased``:
    ``xq`` holds the four phases of an input (:func:`to_phases`), so some
    positions need only some of its channels (:func:`channel_range`)."""
    c_in = xq.shape[3]
    _input_tiles(xq, p0, cnt, tiles_h, tiles_w, v, 0)
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


@jit_parallel
def forward(xq, u, bias, tiles_per_chunk, out):
    """out[n, k] = bias[k] + stride-1 2x2 correlation of the buffer ``xq`` of the
    input's phases (:func:`to_phases`) with the weights whose transform is
    ``u``, parallel over fixed chunks of tiles (the result does not depend on
    the thread count). ``xq`` must hold at least ``4 * ceil(OH / 4) + 1`` rows
    and as many columns."""
    n_img, c_in = xq.shape[0], xq.shape[3]
    k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, oh, ow, tiles_per_chunk)
    for chunk in prange(n_chunks):
        p0, cnt, v, m = chunk_buffers(chunk, tiles_per_chunk, total, 25, c_in, k_out, xq)
        vr = np.empty((cnt, c_in // 2), xq.dtype)  # the positions that need fewer phases
        vr1 = np.empty((cnt, c_in // 4), xq.dtype)
        _chunk_products(xq, u, p0, cnt, tiles_h, tiles_w, True, v, m, vr, vr1)
        _output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, out, 0)


@jit_parallel
def input_grad(gp, u, tiles_per_chunk, grad_x):
    """grad_x[n, c, 2Y + p, 2X + q] = phase (p, q) of the input gradient at (Y, X):
    the stride-1 2x2 correlation of the padded NHWC ``grad_out`` buffer ``gp``
    with the flipped weights whose transform is ``u`` (25, K, 4C), channel
    ``slot(p, q) * C + c`` (see :func:`weight_transform`). Each tile's four
    phases are transformed into a small buffer and written interleaved, 8x8
    values of each channel, so the phases never make a full-size copy.
    Parallel over fixed chunks of tiles, like :func:`forward`."""
    n_img, k_out = gp.shape[0], gp.shape[3]
    c4 = u.shape[2]
    rows, cols = (grad_x.shape[2] + 1) // 2, (grad_x.shape[3] + 1) // 2
    tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, rows, cols, tiles_per_chunk)
    for chunk in prange(n_chunks):
        p0, cnt, v, m = chunk_buffers(chunk, tiles_per_chunk, total, 25, k_out, c4, gp)
        tmp = np.empty((TILE, TILE, c4), gp.dtype)
        _chunk_products(gp, u, p0, cnt, tiles_h, tiles_w, False, v, m, v[0], v[0])
        src, tile_step = m.reshape(-1), m.shape[1] * c4
        for q in range(cnt):
            _output_run(c4, src, q * c4, 5 * tile_step, tile_step, tmp.reshape(-1), 0,
                        TILE * c4, c4, None)
            n, y0, x0 = tile_origin(p0 + q, tiles_h, tiles_w)
            _interleave_tile(tmp, n, y0, x0, grad_x)


@jit
def _interleave_tile(tmp, n, y0, x0, grad_x):
    """grad_x[n, c, 2(y0 + i) + p, 2(x0 + j) + q] = tmp[i, j, slot(p, q) * C + c],
    the rows and columns past grad_x's edge dropped."""
    c_in, h, w = grad_x.shape[1], grad_x.shape[2], grad_x.shape[3]
    if 2 * (y0 + TILE) <= h and 2 * (x0 + TILE) <= w:
        for c in range(c_in):
            for i in range(TILE):
                for p in range(2):
                    s0, s1 = SLOTS[p, 0] * c_in + c, SLOTS[p, 1] * c_in + c
                    row = grad_x[n, c, 2 * (y0 + i) + p]
                    for j in range(TILE):  # unsigned: no wraparound tests
                        row[np.uint64(2 * (x0 + j))] = tmp[i, j, s0]
                        row[np.uint64(2 * (x0 + j) + 1)] = tmp[i, j, s1]
        return
    for c in range(c_in):
        for i in range(TILE):
            for p in range(2):
                y = 2 * (y0 + i) + p
                if y >= h:
                    continue
                for j in range(TILE):
                    for q in range(2):
                        xx = 2 * (x0 + j) + q
                        if xx < w:
                            grad_x[n, c, y, xx] = tmp[i, j, SLOTS[p, q] * c_in + c]


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
