"""Vector code for the copies of NCHW rows into channel-last (NHWC) buffers.

A plain copy loop there runs scalar, one element at a time; here a block of
``W`` channels by ``W`` columns (``W`` = the elements in one vector register)
is loaded as ``W`` vectors, transposed in registers
(:meth:`.._vector_ir.VectorIR.transpose`) and stored as ``W`` runs of
channels, one per column. With ``STEP`` 2 each channel gives ``2W``
columns, split into the even and the odd ones first (the phases of a
stride-2 layer).
"""
from numba import types
from numba.extending import intrinsic

from .._config.cpu import vector_bytes
from .._vector_ir import VectorIR


def _width(dtype):
    return vector_bytes() // (4 if dtype == types.float32 else 8)


def _is_flat(t):
    return (isinstance(t, types.Array) and t.ndim == 1 and t.layout == "C"
            and t.dtype in (types.float32, types.float64))


@intrinsic
def block_width(typingctx, a):
    """The ``W`` of :func:`transpose_block` for the dtype of the array ``a``."""
    if not (isinstance(a, types.Array) and a.dtype in (types.float32, types.float64)):
        return None
    width = _width(a.dtype)

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, width)

    return types.intp(a), codegen


@intrinsic
def transpose_block(typingctx, src, s0, s_chan, dst, d0, d1, d_col, STEP):
    """dst[d0 + j * d_col + c] = src[s0 + c * s_chan + STEP * j] for channels and
    columns ``c, j < W``; with ``STEP`` 2 also dst[d1 + j * d_col + c] = src[s0 +
    c * s_chan + 2j + 1] (``d1`` is unused with ``STEP`` 1). ``src`` and ``dst``
    are flat C-contiguous arrays of one dtype, ``STEP`` a compile-time 1 or 2.
    Returns the largest magnitude copied, NaN if a copied value is NaN.
    Nothing is checked: the caller guarantees every position is inside its array."""
    if not (isinstance(STEP, types.IntegerLiteral) and STEP.literal_value in (1, 2)
            and _is_flat(src) and _is_flat(dst) and src.dtype == dst.dtype):
        return None
    step = STEP.literal_value
    width = _width(src.dtype)

    def codegen(context, builder, sig, args):
        sa, da = (context.make_array(sig.args[j])(context, builder, args[j]) for j in (0, 3))
        v_ir = VectorIR(context, builder, sig.args[0].dtype, width)
        start, chan, first, second, col = args[1], args[2], args[4], args[5], args[6]
        halves = [[] for _ in range(step)]
        for c in range(width):
            at = builder.add(start, builder.mul(v_ir.const(c), chan))
            if step == 1:
                halves[0].append(v_ir.load(sa.data, at))
                continue
            lo = v_ir.load(sa.data, at)
            hi = v_ir.load(sa.data, builder.add(at, v_ir.const(width)))
            for half, value in zip(halves, v_ir.split_pairs(lo, hi)):
                half.append(value)
        largest = v_ir.max_magnitude([value for half in halves for value in half])
        for rows, base in zip(halves, (first, second)):
            for j, column in enumerate(v_ir.transpose(rows)):
                v_ir.store(column, da.data, builder.add(base, builder.mul(v_ir.const(j), col)))
        return largest

    return src.dtype(src, s0, s_chan, dst, d0, d1, d_col, STEP), codegen
