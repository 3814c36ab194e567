"""Numba kernels of Winograd F(4x4, 3x3) convolution (3x3, stride 1, dilation 1).

Each 4x4 output tile comes from a 6x6 input tile ``d`` and a 3x3 kernel ``g``
as ``Y = A^T [(G g G^T) * (B^T d B)] A`` (Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", 2016): 36 multiplies per tile and channel
pair instead of 144. Over a chunk of tiles the element-wise products summed
over input channels are 36 GEMMs, ``(tiles x C) @ (C x K)``.

The weight gradient uses the adjoint of the same bilinear form: with
``Z = A dY A^T`` for each 4x4 tile of the output gradient, ``dg = G^T [sum
over tiles of Z * (B^T d B)] G``, again 36 GEMMs, ``(K x tiles) @ (tiles x C)``.

Layouts: the input is first copied into a zero-padded NHWC buffer, so the
input transform runs along channels; transformed tiles are ``v[36, tile, C]``,
transformed weights ``u[36, C, K]`` and products ``m[36, tile, K]``, so the
output transform runs along output channels. The coefficients of B^T and A^T
are written out in :func:`_input_tiles` and :func:`_output_tiles`; every
coefficient is a small integer, passed in the data's dtype so that float32
arithmetic stays float32.

Accuracy: the transforms add and subtract terms up to 100 times (input) and
361 times (output) larger than the result's typical term, so the error is a
few hundred ulp of ``max|x| * max|w| * C`` rather than of each output: about
1e-5 relative to the output's largest magnitude in float32 (tested in
``tests/test_conv2d.py``). Non-finite values would spread to whole tiles, so
the caller sends inputs holding them to the direct path.
"""
import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel

# G of F(4x4, 3x3); the weight transform runs in float64 in NumPy.
G = np.array([[1 / 4, 0, 0],
              [-1 / 6, -1 / 6, -1 / 6],
              [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6],
              [0, 0, 1]])
# B^T and A^T, for the reference and the tests; the kernels spell them out.
BT = np.array([[4, 0, -5, 0, 1, 0],
               [0, -4, -4, 1, 1, 0],
               [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0],
               [0, 2, -1, -2, 1, 0],
               [0, 4, 0, -5, 0, 1]], dtype=float)
AT = np.array([[1, 1, 1, 1, 1, 0],
               [0, 1, -1, 2, -2, 0],
               [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], dtype=float)
TILE = 4  # output tile side; input tiles are TILE + 2 wide


@jit_parallel
def weight_transform(weight, u):
    """u[a*6 + b, c, k] = (G g_kc G^T)[a, b] for ``weight`` (K, C, 3, 3), any layout;
    the products are taken in float64. Along k, so each row of u[t] is
    written in order (36 rows written in turn, 4 * C * K bytes apart, would
    share cache sets: measured 3x to 7x slower)."""
    k_out, c_in = weight.shape[0], weight.shape[1]
    for c in prange(c_in):
        g = np.empty((3, 3, k_out))
        for i in range(3):
            for j in range(3):
                for k in range(k_out):
                    g[i, j, k] = weight[k, c, i, j]
        gg = np.empty((6, 3, k_out))  # G g
        for a in range(6):
            for j in range(3):
                for k in range(k_out):
                    gg[a, j, k] = G[a, 0] * g[0, j, k] + G[a, 1] * g[1, j, k] + G[a, 2] * g[2, j, k]
        for a in range(6):  # (G g) G^T
            for b in range(6):
                dst = u[a * 6 + b, c]
                for k in range(k_out):
                    dst[k] = gg[a, 0, k] * G[b, 0] + gg[a, 1, k] * G[b, 1] + gg[a, 2, k] * G[b, 2]


@jit_parallel
def weight_grad_from_parts(parts, grad_w):
    """grad_w[k, c] = G^T S G with S the sum, in group order and in float64, of
    the parts from :func:`weight_grad_parts`; along channels, the parts' rows."""
    n_groups, _, k_out, c_in = parts.shape
    for k in prange(k_out):
        s = np.zeros((36, c_in))
        for t in range(36):
            for g in range(n_groups):
                row = parts[g, t, k]
                for c in range(c_in):
                    s[t, c] += row[c]
        sg = np.empty((6, 3, c_in))
        for a in range(6):  # S G
            for j in range(3):
                for c in range(c_in):
                    sg[a, j, c] = (s[a * 6, c] * G[0, j] + s[a * 6 + 1, c] * G[1, j]
                                   + s[a * 6 + 2, c] * G[2, j] + s[a * 6 + 3, c] * G[3, j]
                                   + s[a * 6 + 4, c] * G[4, j] + s[a * 6 + 5, c] * G[5, j])
        for i in range(3):  # G^T (S G)
            for j in range(3):
                for c in range(c_in):
                    grad_w[k, c, i, j] = (G[0, i] * sg[0, j, c] + G[1, i] * sg[1, j, c]
                                          + G[2, i] * sg[2, j, c] + G[3, i] * sg[3, j, c]
                                          + G[4, i] * sg[4, j, c] + G[5, i] * sg[5, j, c])


@jit_parallel
def to_padded_nhwc(x, pt, pl, xp):
    """xp[n, y + pt, x + pl, c] = x[n, c, y, x], zero elsewhere (columns past the
    buffer's width are left out: no tile reads them)."""
    n_img, c_in, h, w = x.shape
    rows, cols = xp.shape[1], xp.shape[2]
    for t in prange(n_img * rows):
        n = t // rows
        y = t % rows - pt
        dst = xp[n, t % rows]
        if y < 0 or y >= h:
            dst[:, :] = 0
            continue
        width = min(w, cols - pl)
        dst[:pl, :] = 0
        dst[pl + width:, :] = 0
        for c in range(c_in):
            for j in range(width):
                # unsigned indices: no wraparound test, measured 2x faster
                dst[np.uint64(pl + j), np.uint64(c)] = x[n, c, y, np.uint64(j)]


@jit
def tile_grid(n_img, oh, ow, tiles_per_chunk):
    """Tiles down and across an output, the tiles of all images, and the chunks
    of ``tiles_per_chunk`` tiles they make (the last one may be short)."""
    tiles_h = (oh + TILE - 1) // TILE
    tiles_w = (ow + TILE - 1) // TILE
    total = n_img * tiles_h * tiles_w
    return tiles_h, tiles_w, total, (total + tiles_per_chunk - 1) // tiles_per_chunk


@jit
def _tile_origin(p, tiles_h, tiles_w):
    """Image and top-left output pixel of flat tile ``p`` (image-major, then row-major)."""
    per_image = tiles_h * tiles_w
    return p // per_image, (p % per_image) // tiles_w * TILE, (p % tiles_w) * TILE


@jit(inline="always")
def _bt(d0, d1, d2, d3, d4, d5, t0, t1, t2, t3, t4, t5, cst):
    """(t0 .. t5) = B^T (d0 .. d5), element by element along the rows (channels)."""
    c2, c4, c5 = cst[0], cst[1], cst[2]
    for c in range(d0.shape[0]):
        e0, e1, e2, e3, e4, e5 = d0[c], d1[c], d2[c], d3[c], d4[c], d5[c]
        t0[c] = c4 * e0 - c5 * e2 + e4
        t1[c] = -c4 * e1 - c4 * e2 + e3 + e4
        t2[c] = c4 * e1 - c4 * e2 - e3 + e4
        t3[c] = -c2 * e1 - e2 + c2 * e3 + e4
        t4[c] = c2 * e1 - e2 - c2 * e3 + e4
        t5[c] = c4 * e1 - c5 * e3 + e5


@jit
def _input_tiles(xp, p0, cnt, tiles_h, tiles_w, cst, tmp, v):
    """v[a*6 + b, q, :] = (B^T d B)[a, b] for tiles p0 .. p0 + cnt - 1, along channels."""
    for q in range(cnt):
        n, y0, x0 = _tile_origin(p0 + q, tiles_h, tiles_w)
        img = xp[n]
        for j in range(6):  # columns of B^T d
            _bt(img[y0, x0 + j], img[y0 + 1, x0 + j], img[y0 + 2, x0 + j],
                img[y0 + 3, x0 + j], img[y0 + 4, x0 + j], img[y0 + 5, x0 + j],
                tmp[0, j], tmp[1, j], tmp[2, j], tmp[3, j], tmp[4, j], tmp[5, j], cst)
        for a in range(6):  # rows of (B^T d) B
            _bt(tmp[a, 0], tmp[a, 1], tmp[a, 2], tmp[a, 3], tmp[a, 4], tmp[a, 5],
                v[a * 6, q], v[a * 6 + 1, q], v[a * 6 + 2, q], v[a * 6 + 3, q],
                v[a * 6 + 4, q], v[a * 6 + 5, q], cst)


@jit(inline="always")
def _a(d0, d1, d2, d3, t0, t1, t2, t3, t4, t5, cst):
    """(t0 .. t5) = A (d0 .. d3), element by element along the rows (channels)."""
    c2, c4, c8 = cst[0], cst[1], cst[3]
    for k in range(d0.shape[0]):
        e0, e1, e2, e3 = d0[k], d1[k], d2[k], d3[k]
        t0[k] = e0
        t1[k] = e0 + e1 + e2 + e3
        t2[k] = e0 - e1 + e2 - e3
        t3[k] = e0 + c2 * e1 + c4 * e2 + c8 * e3
        t4[k] = e0 - c2 * e1 + c4 * e2 - c8 * e3
        t5[k] = e3


@jit
def _grad_tiles(gp, top, left, p0, cnt, tiles_h, tiles_w, cst, tmp, z):
    """z[a*6 + b, q, :] = (A dY A^T)[a, b] for the 4x4 output-gradient tiles
    p0 .. p0 + cnt - 1 of ``gp`` (NHWC, the gradient at offset ``top``,
    ``left``, zero past it), along channels."""
    for q in range(cnt):
        n, y0, x0 = _tile_origin(p0 + q, tiles_h, tiles_w)
        y0 += top
        x0 += left
        img = gp[n]
        for j in range(4):  # columns of A dY (A's rows are A^T's columns)
            _a(img[y0, x0 + j], img[y0 + 1, x0 + j], img[y0 + 2, x0 + j], img[y0 + 3, x0 + j],
               tmp[0, j], tmp[1, j], tmp[2, j], tmp[3, j], tmp[4, j], tmp[5, j], cst)
        for a in range(6):  # rows of (A dY) A^T
            _a(tmp[a, 0], tmp[a, 1], tmp[a, 2], tmp[a, 3],
               z[a * 6, q], z[a * 6 + 1, q], z[a * 6 + 2, q], z[a * 6 + 3, q], z[a * 6 + 4, q],
               z[a * 6 + 5, q], cst)


@jit(inline="always")
def store_tile(tmp, first, n, y0, x0, out):
    """out[n, :, y0 + i, x0 + j] = tmp[first + i, j, :] for the 4x4 output
    tile at (y0, x0), the parts past the output's edge dropped."""
    rows = min(TILE, out.shape[2] - y0)
    cols = min(TILE, out.shape[3] - x0)
    for k in range(out.shape[1]):
        for i in range(rows):
            for j in range(cols):
                # unsigned: no negative-index wraparound test per store
                out[n, k, np.uint64(y0 + i), np.uint64(x0 + j)] = tmp[first + i, j, k]


@jit
def _output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, cst, tmp, out):
    """out tiles p0 .. p0 + cnt - 1 = A^T m A + bias, along output channels;
    the parts of edge tiles outside the output are dropped."""
    k_out = out.shape[1]
    c2, c4, c8 = cst[0], cst[1], cst[3]
    for q in range(cnt):
        n, y0, x0 = _tile_origin(p0 + q, tiles_h, tiles_w)
        for j in range(6):  # columns of A^T m
            m0, m1, m2 = m[j, q], m[6 + j, q], m[12 + j, q]
            m3, m4, m5 = m[18 + j, q], m[24 + j, q], m[30 + j, q]
            s0, s1, s2, s3 = tmp[0, j], tmp[1, j], tmp[2, j], tmp[3, j]
            for k in range(k_out):
                a0, a1, a2, a3, a4, a5 = m0[k], m1[k], m2[k], m3[k], m4[k], m5[k]
                s0[k] = a0 + a1 + a2 + a3 + a4
                s1[k] = a1 - a2 + c2 * a3 - c2 * a4
                s2[k] = a1 + a2 + c4 * a3 + c4 * a4
                s3[k] = a1 - a2 + c8 * a3 - c8 * a4 + a5
        for i in range(4):  # rows of (A^T m) A, into tmp[4 + i, 0:4]
            e0, e1, e2 = tmp[i, 0], tmp[i, 1], tmp[i, 2]
            e3, e4, e5 = tmp[i, 3], tmp[i, 4], tmp[i, 5]
            o0, o1, o2, o3 = tmp[4 + i, 0], tmp[4 + i, 1], tmp[4 + i, 2], tmp[4 + i, 3]
            for k in range(k_out):
                a0, a1, a2, a3, a4, a5 = e0[k], e1[k], e2[k], e3[k], e4[k], e5[k]
                b = bias[k]
                o0[k] = a0 + a1 + a2 + a3 + a4 + b
                o1[k] = a1 - a2 + c2 * a3 - c2 * a4 + b
                o2[k] = a1 + a2 + c4 * a3 + c4 * a4 + b
                o3[k] = a1 - a2 + c8 * a3 - c8 * a4 + a5 + b
        store_tile(tmp, 4, n, y0, x0, out)


@jit
def _coefficients(dtype_of):
    """The transforms' integer coefficients 2, 4, 5, 8 in the data's dtype."""
    cst = np.empty(4, dtype_of.dtype)
    cst[0], cst[1], cst[2], cst[3] = 2, 4, 5, 8
    return cst


@jit_parallel
def forward(xp, u, bias, tiles_per_chunk, out):
    """out[n, k] = bias[k] + 3x3 correlation of the padded NHWC input ``xp``
    with the weights whose transform is ``u`` (see :func:`weight_transform`).

    Parallel over fixed chunks of tiles (image-major, row-major within an
    image), so the result does not depend on the thread count. ``xp`` must
    hold at least ``4 * ceil(OH / 4) + 2`` rows and as many columns.
    """
    n_img, c_in = xp.shape[0], xp.shape[3]
    k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, oh, ow, tiles_per_chunk)
    cst = _coefficients(xp)
    for chunk in prange(n_chunks):
        p0 = chunk * tiles_per_chunk
        cnt = min(tiles_per_chunk, total - p0)
        # one spare tile per matrix: rows 4 KiB apart would alias in the caches
        v = np.empty((36, cnt + 1, c_in), xp.dtype)
        m = np.empty((36, cnt + 1, k_out), xp.dtype)
        _input_tiles(xp, p0, cnt, tiles_h, tiles_w, cst, np.empty((6, 6, c_in), xp.dtype), v)
        for t in range(36):
            np.dot(v[t, :cnt], u[t], m[t, :cnt])
        _output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, cst, np.empty((8, 6, k_out), xp.dtype),
                      out)


@jit_parallel
def weight_grad_parts(xp, gp, top, left, oh, ow, tiles_per_chunk, parts):
    """parts[g, t] = sum over the tiles of chunk group g of Z[t]^T V[t], (K, C) each.

    ``xp`` is the padded NHWC input as for :func:`forward`, ``gp`` the (OH, OW)
    output gradient in NHWC at offset ``top``, ``left``, with zeros to whole
    tiles past it. Chunks are split into
    ``parts.shape[0]`` fixed groups of consecutive chunks, one task each, so
    the result does not depend on the thread count; the caller sums the
    groups in order and applies G^T . G.
    """
    n_img, c_in = xp.shape[0], xp.shape[3]
    k_out = gp.shape[3]
    tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, oh, ow, tiles_per_chunk)
    cst = _coefficients(xp)
    n_groups = parts.shape[0]
    for group in prange(n_groups):
        acc = parts[group]
        first = n_chunks * group // n_groups
        v = np.empty((36, tiles_per_chunk + 1, c_in), xp.dtype)  # + 1: as in forward
        z = np.empty((36, tiles_per_chunk + 1, k_out), xp.dtype)
        prod = np.empty((k_out, c_in), xp.dtype)
        tmp_v = np.empty((6, 6, c_in), xp.dtype)
        tmp_z = np.empty((6, 4, k_out), xp.dtype)
        for chunk in range(first, n_chunks * (group + 1) // n_groups):
            p0 = chunk * tiles_per_chunk
            cnt = min(tiles_per_chunk, total - p0)
            _input_tiles(xp, p0, cnt, tiles_h, tiles_w, cst, tmp_v, v)
            _grad_tiles(gp, top, left, p0, cnt, tiles_h, tiles_w, cst, tmp_z, z)
            for t in range(36):
                if chunk == first:  # the group's first product goes straight in
                    np.dot(z[t, :cnt].T, v[t, :cnt], acc[t])
                    continue
                np.dot(z[t, :cnt].T, v[t, :cnt], prod)
                dst = acc[t]
                for k in range(k_out):
                    for c in range(c_in):
                        dst[k, c] += prod[k, c]
