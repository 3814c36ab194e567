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
output transform runs along output channels. B^T, A and A^T are in
:data:`._tile_transform.MATRICES`, whose vector code applies them to a run of
channels at a time (:func:`._tile_transform.tile_transform`).

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
from .._gemm import gemm
from .._float_order import from_ordered_key, max_magnitude_key, ordered_key
from ._channel_transpose import block_width, transpose_block
from ._tile_transform import (GRAD, INPUT, MATRICES, OUTPUT, PLANE_RUN_BYTES, channel_runs,
                              tile_transform)

# G of F(4x4, 3x3); the weight transform runs in float64 in NumPy.
G = np.array([[1 / 4, 0, 0],
              [-1 / 6, -1 / 6, -1 / 6],
              [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6],
              [0, 0, 1]])
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


@jit
def summed_parts(parts, k):
    """s[t, c] = sum over groups g, in order and in float64, of parts[g, t, k, c]."""
    n_groups, positions, _, c_in = parts.shape
    s = np.zeros((positions, c_in))
    for t in range(positions):
        for g in range(n_groups):
            row = parts[g, t, k]
            for c in range(c_in):
                s[t, c] += row[c]
    return s


@jit_parallel
def weight_grad_from_parts(parts, grad_w):
    """grad_w[k, c] = G^T S G with S the sum, in group order and in float64, of
    the parts from :func:`weight_grad_parts`; along channels, the parts' rows."""
    k_out, c_in = parts.shape[2], parts.shape[3]
    for k in prange(k_out):
        s = summed_parts(parts, k)
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
def to_padded_nhwc(x, pt, pl, xp, largest):
    """xp[n, y + pt, x + pl, c] = x[n, c, y, x], zero elsewhere (columns past the
    buffer's width are left out: no tile reads them); largest[t] = the largest
    magnitude copied into buffer row t (of all images), NaN if one is NaN.
    ``x`` and ``xp`` must be C-contiguous."""
    n_img, c_in, h, w = x.shape
    rows, cols = xp.shape[1], xp.shape[2]
    zero = x.dtype.type(0)
    lanes, flat = block_width(x), x.reshape(-1)
    for t in prange(n_img * rows):
        n = t // rows
        y = t % rows - pt
        dst = xp[n, t % rows]
        largest[t] = 0
        if y < 0 or y >= h:
            dst[:, :] = 0
            continue
        width = min(w, cols - pl)
        dst[:pl, :] = 0
        dst[pl + width:, :] = 0
        # blocks of `lanes` channels by `lanes` columns transposed in registers,
        # the rest one element at a time
        c_blocks, j_blocks = c_in - c_in % lanes, max(0, width - width % lanes)
        top = ordered_key(zero)
        flat_dst = dst.reshape(-1)
        for c0 in range(0, c_blocks, lanes):
            s0 = ((n * c_in + c0) * h + y) * w
            for j0 in range(0, j_blocks, lanes):
                top = max(top, ordered_key(transpose_block(
                    flat, s0 + j0, h * w, flat_dst, (pl + j0) * c_in + c0, 0, c_in, 1)))
        for c in range(c_in):
            src = x[n, c, y]
            j_start = j_blocks if c < c_blocks else 0
            for j in range(j_start, width):
                # unsigned indices: no wraparound test, measured 2x faster
                dst[np.uint64(pl + j), np.uint64(c)] = src[np.uint64(j)]
            top = max_magnitude_key(src[j_start:], width - j_start, top)
        largest[t] = from_ordered_key(top, zero)


@jit
def tile_grid(n_img, oh, ow, tiles_per_chunk):
    """Tiles down and across an output, the tiles of all images, and the chunks
    of ``tiles_per_chunk`` tiles they make (the last one may be short)."""
    tiles_h = (oh + TILE - 1) // TILE
    tiles_w = (ow + TILE - 1) // TILE
    total = n_img * tiles_h * tiles_w
    return tiles_h, tiles_w, total, (total + tiles_per_chunk - 1) // tiles_per_chunk


@jit
def chunk_buffers(chunk, tiles_per_chunk, total, positions, c_in, k_out, like):
    """The first tile and the tile count of ``chunk``, and its scratch in ``like``'s
    dtype: transformed tiles (positions, count + 1, c_in) and products
    (positions, count + 1, k_out). One spare tile per matrix: rows 4 KiB
    apart would alias in the caches."""
    p0 = chunk * tiles_per_chunk
    cnt = min(tiles_per_chunk, total - p0)
    v = np.empty((positions, cnt + 1, c_in), like.dtype)
    m = np.empty((positions, cnt + 1, k_out), like.dtype)
    return p0, cnt, v, m


@jit
def tile_origin(p, tiles_h, tiles_w):
    """Image and top-left output pixel of flat tile ``p`` (image-major, then row-major)."""
    per_image = tiles_h * tiles_w
    return p // per_image, (p % per_image) // tiles_w * TILE, (p % tiles_w) * TILE


def input_tiles_of(kind):
    """The jit function ``input_tiles(xp, p0, cnt, tiles_h, tiles_w, v, first)``
    of transform ``kind``: ``v[a*s + b, first + q, :] = (L d L^T)[a, b]`` for
    tiles ``p0 + q``, ``q < cnt``, of the NHWC buffer ``xp``, along channels,
    with L (s x s) from :data:`._tile_transform.MATRICES`."""
    run = channel_runs(kind)
    side = len(MATRICES[kind])

    @jit
    def input_tiles(xp, p0, cnt, tiles_h, tiles_w, v, first):
        c_in = xp.shape[3]
        row, tile_step = xp.shape[2] * c_in, v.shape[1] * c_in
        for q in range(cnt):
            n, y0, x0 = tile_origin(p0 + q, tiles_h, tiles_w)
            run(c_in, xp.reshape(-1), ((n * xp.shape[1] + y0) * xp.shape[2] + x0) * c_in,
                row, c_in, v.reshape(-1), (first + q) * c_in, side * tile_step, tile_step, None)

    return input_tiles


_input_tiles = input_tiles_of(INPUT)


def grad_tiles_of(kind):
    """The jit function ``grad_tiles(gp, top, left, p0, cnt, tiles_h, tiles_w, z)``
    of transform ``kind``: ``z[a*s + b, q, :] = (L dY L^T)[a, b]`` for the 4x4
    output-gradient tiles p0 .. p0 + cnt - 1 of ``gp`` (NHWC, the gradient at
    offset ``top``, ``left``, zero past it), along channels."""
    run = channel_runs(kind)
    side = len(MATRICES[kind])

    @jit
    def grad_tiles(gp, top, left, p0, cnt, tiles_h, tiles_w, z):
        k_out = gp.shape[3]
        row, tile_step = gp.shape[2] * k_out, z.shape[1] * k_out
        for q in range(cnt):
            n, y0, x0 = tile_origin(p0 + q, tiles_h, tiles_w)
            origin = ((n * gp.shape[1] + y0 + top) * gp.shape[2] + x0 + left) * k_out
            run(k_out, gp.reshape(-1), origin, row, k_out, z.reshape(-1), q * k_out,
                side * tile_step, tile_step, None)

    return grad_tiles


@jit(inline="always")
def store_tile(tmp, n, y0, x0, out):
    """out[n, :, y0 + i, x0 + j] = tmp[i, j, :] for the 4x4 output
    tile at (y0, x0), the parts past the output's edge dropped."""
    rows = min(TILE, out.shape[2] - y0)
    cols = min(TILE, out.shape[3] - x0)
    for k in range(out.shape[1]):
        for i in range(rows):
            for j in range(cols):
                # unsigned: no negative-index wraparound test per store
                out[n, k, np.uint64(y0 + i), np.uint64(x0 + j)] = tmp[i, j, k]


def output_tiles_of(kind):
    """The jit function ``output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, out,
    first)`` of transform ``kind``: output tiles ``p0 .. p0 + cnt - 1`` = ``L
    m L^T + bias`` along output channels, ``m[:, first + q]`` holding the s x
    s products of tile ``p0 + q``. Edge tiles go through a 4 x 4 x K buffer, dropping what falls
    outside the output; whole tiles go straight into the output planes, by
    runs of :data:`PLANE_RUN_BYTES` of channels across all the tiles: the
    planes are 4 KiB apart for a 32 x 32 output, so every plane a run writes
    takes a way of the same L1 cache set, and a run must leave the next tile's
    rows (the same cache lines) in the cache."""
    run = channel_runs(kind)
    side = len(MATRICES[kind][0])

    @jit
    def output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, out, first):
        k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
        src, dst = m.reshape(-1), out.reshape(-1)
        tile_step = m.shape[1] * k_out
        lanes = PLANE_RUN_BYTES // out.itemsize
        k = 0
        while k < k_out:
            vector = k + lanes <= k_out
            for q in range(cnt):
                n, y0, x0 = tile_origin(p0 + q, tiles_h, tiles_w)
                if y0 + TILE > oh or x0 + TILE > ow:
                    continue
                d_off = ((n * k_out + k) * oh + y0) * ow + x0
                if vector:
                    tile_transform(kind, PLANE_RUN_BYTES, 1, src, (first + q) * k_out + k,
                                   side * tile_step, tile_step, dst, d_off, ow, 1, oh * ow, bias, k)
                else:
                    tile_transform(kind, 0, 1, src, (first + q) * k_out + k, side * tile_step,
                                   tile_step, dst, d_off, ow, 1, oh * ow, bias, k)
            k += lanes if vector else 1
        tmp = np.empty((TILE, TILE, k_out), out.dtype)
        for q in range(cnt):
            n, y0, x0 = tile_origin(p0 + q, tiles_h, tiles_w)
            if y0 + TILE > oh or x0 + TILE > ow:
                run(k_out, src, (first + q) * k_out, side * tile_step, tile_step,
                    tmp.reshape(-1), 0, TILE * k_out, k_out, bias)
                store_tile(tmp, n, y0, x0, out)

    return output_tiles


_output_tiles = output_tiles_of(OUTPUT)


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
    for chunk in prange(n_chunks):
        p0, cnt, v, m = chunk_buffers(chunk, tiles_per_chunk, total, 36, c_in, k_out, xp)
        _input_tiles(xp, p0, cnt, tiles_h, tiles_w, v, 0)
        for t in range(36):
            np.dot(v[t, :cnt], u[t], m[t, :cnt])
        _output_tiles(m, bias, p0, cnt, tiles_h, tiles_w, out, 0)


@jit_parallel
def forward_by_position(xp, u, bias, tiles_per_chunk, tiles_per_pass, out):
    """:func:`forward` in the other loop order, for layers whose transformed
    weights ``u`` are large (many channels) against their tiles: in passes of
    up to ``tiles_per_pass`` tiles, the input transforms of a pass's tiles
    (parallel over chunks), then one GEMM per position over all of them
    (parallel over the 36 positions: each ``u[t]`` is read once a pass, not
    once per chunk), then the output transforms. The same products as
    :func:`forward`, summed by GEMMs of other heights."""
    n_img, c_in = xp.shape[0], xp.shape[3]
    k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w, total, _ = tile_grid(n_img, oh, ow, tiles_per_chunk)
    rows = min(tiles_per_pass, total)
    v = np.empty((36, rows + 1, c_in), xp.dtype)  # + 1: as in chunk_buffers
    m = np.empty((36, rows + 1, k_out), xp.dtype)
    for start in range(0, total, tiles_per_pass):
        count = min(tiles_per_pass, total - start)
        n_chunks = -(-count // tiles_per_chunk)
        for chunk in prange(n_chunks):
            q0 = chunk * tiles_per_chunk
            _input_tiles(xp, start + q0, min(tiles_per_chunk, count - q0), tiles_h, tiles_w, v,
                         q0)
        for t in prange(36):
            np.dot(v[t, :count], u[t], m[t, :count])
        for chunk in prange(n_chunks):
            q0 = chunk * tiles_per_chunk
            _output_tiles(m, bias, start + q0, min(tiles_per_chunk, count - q0), tiles_h,
                          tiles_w, out, q0)


def weight_grad_parts_of(input_kind, grad_kind, channel_range=None):
    """The parallel jit function ``weight_grad_parts(xp, gp, top, left, oh, ow,
    tiles_per_chunk, parts, workers)`` of a pair of transforms: ``parts[g, t]``
    = the sum over the tiles of chunk group g of ``Z[t]^T V[t]``, (K, C) each,
    with ``V`` the input tiles (``input_kind``) and ``Z`` the output-gradient
    tiles (``grad_kind``). ``channel_range``, a jit function ``(t, C) -> (lo,
    hi)``, limits position t to the input channels [lo, hi) (the other
    columns of ``parts[g, t]`` are 0); default all.

    ``xp`` is the NHWC input buffer the forward pass reads, ``gp`` the (OH, OW)
    output gradient in NHWC at offset ``top``, ``left``, with zeros to whole
    tiles past it. Chunks are split into ``parts.shape[0]`` fixed groups of
    consecutive chunks, so the result does not depend on the thread count; the
    caller sums the groups in order and applies G^T . G. ``workers`` tasks
    (the thread count) take the groups in turn, each with one set of scratch
    buffers allocated before the parallel loop: allocated per group in the
    worker threads, buffers of some sizes went back to the system and were
    faulted in again on every call (2x slower on a small layer), and fresh
    buffers per group left the cache (2x slower with 16 groups). Each chunk's
    products are added into the group's sums by the GEMM itself (:func:`.._gemm.gemm`).
    """
    input_tiles, grad_tiles = input_tiles_of(input_kind), grad_tiles_of(grad_kind)
    positions = len(MATRICES[input_kind]) ** 2
    limited = channel_range is not None
    channel_range = channel_range or _all_channels

    @jit_parallel
    def weight_grad_parts(xp, gp, top, left, oh, ow, tiles_per_chunk, parts, workers):
        n_img, c_in = xp.shape[0], xp.shape[3]
        k_out = gp.shape[3]
        tiles_h, tiles_w, total, n_chunks = tile_grid(n_img, oh, ow, tiles_per_chunk)
        n_groups = parts.shape[0]
        n_workers = max(1, min(workers, n_groups))
        rows = min(tiles_per_chunk, total) + 1  # + 1: as in forward
        v_all = np.empty((n_workers, positions, rows, c_in), xp.dtype)
        z_all = np.empty((n_workers, positions, rows, k_out), xp.dtype)
        for worker in prange(n_workers):
            v, z = v_all[worker], z_all[worker]
            for group in range(worker, n_groups, n_workers):
                acc = parts[group]
                first = n_chunks * group // n_groups
                if limited:
                    for t in range(positions):
                        lo, hi = channel_range(t, c_in)
                        acc[t, :, :lo] = 0
                        acc[t, :, hi:] = 0
                for chunk in range(first, n_chunks * (group + 1) // n_groups):
                    p0 = chunk * tiles_per_chunk
                    cnt = min(tiles_per_chunk, total - p0)
                    input_tiles(xp, p0, cnt, tiles_h, tiles_w, v, 0)
                    grad_tiles(gp, top, left, p0, cnt, tiles_h, tiles_w, z)
                    beta = 0.0 if chunk == first else 1.0  # the group's first product goes straight in
                    for t in range(positions):
                        lo, hi = channel_range(t, c_in)
                        gemm(z[t, :cnt].T, v[t, :cnt, lo:hi], acc[t, :, lo:hi], beta)

    return weight_grad_parts


@jit
def _all_channels(t, c_in):
    return 0, c_in


weight_grad_parts = weight_grad_parts_of(INPUT, GRAD)
