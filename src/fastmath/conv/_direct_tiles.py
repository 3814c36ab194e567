"""Numba kernels of the direct convolution, 3x3, 5x5 and 7x7 at stride 1 or 2,
in register tiles of LLVM vector code.

Each image is first copied into a zero-padded buffer laid out so that the
input of tap ``(kh, kw)`` under ``W`` consecutive outputs of a row is one
contiguous vector. At stride 1 that is the padded image itself (``xd[c, Y,
0, X] = x[c, Y - pad_top, X - pad_left]``); at stride 2 each row is split by
column parity (``xd[c, Y, q, j] = x[c, Y - pad_top, 2j + q - pad_left]``,
eight pairs of columns a step, by vector shuffles), and tap ``(kh, kw)``
reads phase ``kw % 2`` from column ``j + kw // 2``. A tile of ``RK`` output
channels by ``ROWS`` output rows by ``W`` columns is summed in ``RK *
ROWS`` vector registers over all channels and taps, each tap one broadcast
weight per output channel, and written once.
"""
import numpy as np
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config.jit import jit, jit_parallel
from .._vector_ir import VectorIR


@intrinsic
def conv_tile(typingctx, xd, x0, c_stride, row_stride, phase_stride, weight, w0, n_c, bias,
              k0, out, o0, k_stride, o_row, cols, RK, ROWS, W, STRIDE, SIDE):
    """Output channels ``k0 : k0 + RK``, rows and columns from flat offset ``o0``
    of ``out``: ``ROWS`` rows (``o_row`` apart) by ``min(cols, W)`` columns,
    channels ``k_stride`` apart.

    ``xd`` (flat) holds one padded image, at ``STRIDE`` 2 split by column
    parity: channel ``c``, padded row ``Y`` and phase ``q`` start at ``x0 + c
    * c_stride + Y * row_stride + q * phase_stride`` (``phase_stride`` unused
    at ``STRIDE`` 1), where ``x0`` points at the tile's first output column.
    ``weight`` is the flat (K, C, SIDE, SIDE) weight with row ``k0`` at
    ``w0``. ``RK``, ``ROWS``, ``W``, ``STRIDE`` (1 or 2) and ``SIDE`` (the
    kernel's height and width) are compile-time integers.
    Nothing is checked: the caller keeps every read and write inside the
    arrays.
    """
    if not all(isinstance(t, types.IntegerLiteral) for t in (RK, ROWS, W, STRIDE, SIDE)):
        return None
    n_k, n_rows, width = RK.literal_value, ROWS.literal_value, W.literal_value
    stride, side = STRIDE.literal_value, SIDE.literal_value
    dtype = getattr(out, "dtype", None)
    if dtype not in (types.float32, types.float64) or any(
            getattr(a, "dtype", None) != dtype for a in (xd, weight, bias)):
        return None

    def codegen(context, builder, sig, args):
        xa, wa, ba, oa = (context.make_array(sig.args[j])(context, builder, args[j])
                          for j in (0, 5, 8, 10))
        x0_, cs, rs, ps, w0_, nc, k0_, o0_, ks, orow, cols_ = (
            args[j] for j in (1, 2, 3, 4, 6, 7, 9, 11, 12, 13, 14))
        v_ir = VectorIR(context, builder, dtype, width)
        const, splat, vec = v_ir.const, v_ir.splat, v_ir.vec

        accs = [[cgutils.alloca_once(builder, vec) for _ in range(n_rows)] for _ in range(n_k)]
        for r in range(n_k):
            b = splat(builder.load(builder.gep(ba.data, [builder.add(k0_, const(r))])))
            for acc in accs[r]:
                builder.store(b, acc)
        taps = builder.mul(nc, const(side * side))
        w_rows = [builder.gep(wa.data, [builder.add(w0_, builder.mul(const(r), taps))])
                  for r in range(n_k)]
        x_base = builder.gep(xa.data, [x0_])
        with cgutils.for_range(builder, nc) as loop:
            x_c = builder.gep(x_base, [builder.mul(loop.index, cs)])
            w_c = builder.mul(loop.index, const(side * side))
            for kh in range(side):
                for kw in range(side):
                    inputs = []
                    for rr in range(n_rows):  # padded row stride * (row + rr) + kh
                        if stride == 2:
                            offset = builder.add(builder.mul(const(2 * rr + kh), rs),
                                                 builder.add(builder.mul(const(kw % 2), ps),
                                                             const(kw // 2)))
                        else:
                            offset = builder.add(builder.mul(const(rr + kh), rs), const(kw))
                        inputs.append(v_ir.load(x_c, offset))
                    for r in range(n_k):
                        wv = splat(builder.load(builder.gep(w_rows[r],
                                                            [builder.add(w_c, const(side * kh + kw))])))
                        for rr in range(n_rows):
                            builder.store(v_ir.fma(wv, inputs[rr], builder.load(accs[r][rr])),
                                          accs[r][rr])

        whole = builder.icmp_signed(">=", cols_, const(width))
        for r in range(n_k):
            for rr in range(n_rows):
                v = builder.load(accs[r][rr])
                dst = builder.gep(oa.data, [builder.add(o0_, builder.add(
                    builder.mul(const(r), ks), builder.mul(const(rr), orow)))])
                v_ir.store_lanes(v, dst, cols_, whole)  # a row's last columns: some lanes
        return context.get_dummy_value()

    return types.none(xd, x0, c_stride, row_stride, phase_stride, weight, w0, n_c, bias, k0,
                      out, o0, k_stride, o_row, cols, RK, ROWS, W, STRIDE, SIDE), codegen


@intrinsic
def _split_pairs(typingctx, src, s0, evens, e0, odds, o0, W):
    """evens[e0 + i] = src[s0 + 2i] and odds[o0 + i] = src[s0 + 2i + 1] for i < W
    (1-D C-contiguous arrays, ``W`` a compile-time integer): two vector loads and
    two two-source shuffles. Nothing is checked."""
    if not isinstance(W, types.IntegerLiteral):
        return None
    width = W.literal_value

    def codegen(context, builder, sig, args):
        sa, ea, oa = (context.make_array(sig.args[j])(context, builder, args[j]) for j in (0, 2, 4))
        v_ir = VectorIR(context, builder, sig.args[0].dtype, width)
        lo = v_ir.load(sa.data, args[1])
        hi = v_ir.load(sa.data, builder.add(args[1], v_ir.const(width)))
        for dst, half, offset in zip((ea, oa), v_ir.split_pairs(lo, hi), (args[3], args[5])):
            v_ir.store(half, dst.data, offset)
        return context.get_dummy_value()

    return types.none(src, s0, evens, e0, odds, o0, W), codegen


SPLIT_WIDTH = 8  # pairs split per step of :func:`split_columns`


@jit
def split_columns(x, n, pt, pl, xd):
    """xd[c, Y, q, j] = x[n, c, Y - pt, 2j + q - pl], zero outside ``x``."""
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    rows, cols = xd.shape[1], xd.shape[3]
    for c in range(c_in):
        for y_pad in range(rows):
            y = y_pad - pt
            dst = xd[c, y_pad]
            if y < 0 or y >= h:
                dst[:, :] = 0
                continue
            src = x[n, c, y]
            for q in range(2):  # zero the j with no input column 2j + q - pl
                j0 = min(cols, max(0, (pl - q + 1) // 2))
                j1 = max(j0, min(cols, (w - 1 + pl - q) // 2 + 1))
                dst[q, :j0] = 0
                dst[q, j1:] = 0
            # input column s lands in phase (s + pl) % 2 at j = (s + pl) // 2
            s = 0
            while s + 2 * SPLIT_WIDTH <= w and (s + pl) // 2 + 1 + SPLIT_WIDTH <= cols:
                j = (s + pl) // 2
                if (s + pl) % 2 == 0:
                    _split_pairs(src, s, dst[0], j, dst[1], j, SPLIT_WIDTH)
                else:
                    _split_pairs(src, s, dst[1], j, dst[0], j + 1, SPLIT_WIDTH)
                s += 2 * SPLIT_WIDTH
            for s in range(s, min(w, 2 * cols - pl)):
                dst[(s + pl) % 2, (s + pl) // 2] = src[s]


@jit
def pad_rows(x, n, pt, pl, xd):
    """xd[c, Y, 0, X] = x[n, c, Y - pt, X - pl], zero outside ``x``."""
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    rows, cols = xd.shape[1], xd.shape[3]
    x0, x1 = min(cols, pl), min(cols, pl + w)
    # element loops: slice assignments cost more than the copy on small images
    for c in range(c_in):
        for y_pad in range(rows):
            y = y_pad - pt
            if y < 0 or y >= h:
                for j in range(cols):
                    xd[c, y_pad, 0, j] = 0
                continue
            for j in range(x0):
                xd[c, y_pad, 0, j] = 0
            for j in range(x0, x1):
                xd[c, y_pad, 0, j] = x[n, c, y, j - pl]
            for j in range(x1, cols):
                xd[c, y_pad, 0, j] = 0


_KERNELS = {}


def direct_kernel(rk, rows, width, stride=2, side=3):
    """The parallel kernel for tiles of ``rk`` channels x ``rows`` rows x ``width``
    columns at ``stride`` (1 or 2) for ``side`` x ``side`` weights, made once
    per shape.

    Called as ``kernel(x, pt, pl, weight, bias, out, k_groups)`` with
    C-contiguous ``x`` (N, C, H, W), ``weight`` (K, C, side, side), ``bias`` (K,)
    and ``out`` (N, K, OH, OW) of one dtype; work items are (image, group of
    output channels), ``k_groups`` groups per image. Nothing is validated.
    """
    key = (rk, rows, width, stride, side)
    if key not in _KERNELS:
        _KERNELS[key] = _make_kernel(*key)
    return _KERNELS[key]


def _make_kernel(rk, rows, width, stride, side):
    # One function, whose closure holds only integers: numba's cache keys a
    # closure by its cells, and a cell holding another kernel would give every
    # process a new key (and a recompile).
    @jit_parallel
    def direct_conv(x, pt, pl, weight, bias, out, k_groups):
        n_img, c_in = x.shape[0], x.shape[1]
        k_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
        # stride 2: two column phases of ow / width vectors and (side - 1) // 2
        # columns more; stride 1: one phase, side - 1 columns more
        rows_pad = stride * (oh - 1) + side
        cols_pad = -(-ow // width) * width + (side - 1) // stride
        cs, rs, ps = rows_pad * stride * cols_pad, stride * cols_pad, cols_pad
        per_group = -(-(-(-k_out // k_groups)) // rk) * rk  # whole tiles but the last
        wf, of = weight.ravel(), out.ravel()
        plane, taps = oh * ow, c_in * side * side
        for item in prange(n_img * k_groups):
            n, g = item // k_groups, item % k_groups
            k0 = g * per_group
            k1 = min(k_out, k0 + per_group)
            if k0 >= k1:
                continue
            xd = np.empty((c_in, rows_pad, stride, cols_pad), x.dtype)
            if stride == 2:
                split_columns(x, n, pt, pl, xd)
            else:
                pad_rows(x, n, pt, pl, xd)
            xf = xd.ravel()
            for k in range(k0, k1, rk):
                y = 0
                while y < oh:
                    all_rows = y + rows <= oh  # else the last rows, one at a time
                    for col in range(0, ow, width):
                        x0 = stride * y * rs + col
                        o0 = ((n * k_out + k) * oh + y) * ow + col
                        cols = min(width, ow - col)
                        if k + rk <= k1 and all_rows:
                            conv_tile(xf, x0, cs, rs, ps, wf, k * taps, c_in, bias, k, of, o0,
                                      plane, ow, cols, rk, rows, width, stride, side)
                        elif k + rk <= k1:
                            conv_tile(xf, x0, cs, rs, ps, wf, k * taps, c_in, bias, k, of, o0,
                                      plane, ow, cols, rk, 1, width, stride, side)
                        else:  # the last channels, one at a time
                            for kk in range(k, k1):
                                o1 = o0 + (kk - k) * plane
                                if all_rows:
                                    conv_tile(xf, x0, cs, rs, ps, wf, kk * taps, c_in, bias, kk,
                                              of, o1, plane, ow, cols, 1, rows, width, stride,
                                              side)
                                else:
                                    conv_tile(xf, x0, cs, rs, ps, wf, kk * taps, c_in, bias, kk,
                                              of, o1, plane, ow, cols, 1, 1, width, stride,
                                              side)
                    y += rows if all_rows else 1

    return direct_conv
