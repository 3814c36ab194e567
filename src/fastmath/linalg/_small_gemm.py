"""Stacks of narrow products, (m, k) @ (k, n) with k and n up to 16, in LLVM vector code.

numba compiles with LLVM's SLP vectorizer switched off (``NUMBA_SLP_VECTORIZE``
defaults to 0), and a row of 4 to 16 outputs is too short for its loop
vectorizer, so a plain numba loop over these products runs scalar: every
formulation tried ran 1.4 to 7 GFLOP/s, slower than ``np.matmul``'s one BLAS
call per matrix. :func:`rows_times_matrix` therefore emits the vector code
itself: each output row is one ``<n x T>`` value, built from ``k`` broadcast
fused multiply-adds of the row of ``a`` against the rows of ``b``.
"""
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config.jit import jit_parallel
from .._prefetch import prefetch_span

MAX_WIDTH = 16  # largest k and n taken here
# The rows of b stay in registers while the rows of a stream past when they
# fit in half of AVX-512's 32 registers (16 x 64 bytes); larger b are re-read
# from L1 for every row.
_HOISTED_BYTES = 16 * 64
# Operands asked for ahead of their product (see prefetch_distance).
_PREFETCH_BYTES = 4096


def _is_matrix(t, dtype):
    return (isinstance(t, types.Array) and t.ndim == 2 and t.layout == "C"
            and t.dtype == dtype)


@intrinsic
def rows_times_matrix(typingctx, a, b, out, k, n):
    """``out[:] = a @ b`` for C-contiguous ``a`` (m, k), ``b`` (k, n), ``out`` (m, n).

    ``k`` and ``n`` must be compile-time integers (between 1 and
    :data:`MAX_WIDTH`); the shapes are not checked, the caller guarantees them.
    """
    if not (isinstance(k, types.IntegerLiteral) and isinstance(n, types.IntegerLiteral)):
        return None
    width, depth = n.literal_value, k.literal_value
    dtype = getattr(out, "dtype", None)
    if (not 1 <= width <= MAX_WIDTH or not 1 <= depth <= MAX_WIDTH
            or dtype not in (types.float32, types.float64)
            or not all(_is_matrix(t, dtype) for t in (a, b, out))):
        return None

    def codegen(context, builder, sig, args):
        av, bv, ov = (context.make_array(t)(context, builder, v)
                      for t, v in zip(sig.args[:3], args[:3]))
        elt = context.get_data_type(dtype)
        size = context.get_abi_sizeof(elt)
        vec = ir.VectorType(elt, width)
        intp = context.get_value_type(types.intp)
        i32 = ir.IntType(32)
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vec, [vec] * 3),
            f"llvm.fma.v{width}{'f32' if size == 4 else 'f64'}")
        undef = ir.Constant(vec, ir.Undefined)
        splat_mask = ir.Constant(ir.VectorType(i32, width), [0] * width)

        def load_row(base, offset):  # one unaligned <width x T> load
            ptr = builder.gep(base, [offset])
            return builder.load(builder.bitcast(ptr, vec.as_pointer()), align=size)

        def b_rows():
            return [load_row(bv.data, ir.Constant(intp, r * width)) for r in range(depth)]

        hoisted = b_rows() if depth * width * size <= _HOISTED_BYTES else None
        m = builder.extract_value(av.shape, 0)
        with cgutils.for_range(builder, m) as loop:
            rows = hoisted or b_rows()
            a_row = builder.gep(av.data, [builder.mul(loop.index, ir.Constant(intp, depth))])
            acc = None
            for r in range(depth):
                a_val = builder.load(builder.gep(a_row, [ir.Constant(intp, r)]))
                splat = builder.shuffle_vector(
                    builder.insert_element(undef, a_val, ir.Constant(i32, 0)), undef, splat_mask)
                acc = (builder.fmul(splat, rows[r]) if acc is None
                       else builder.call(fma, [splat, rows[r], acc]))
            out_row = builder.gep(ov.data, [builder.mul(loop.index, ir.Constant(intp, width))])
            builder.store(acc, builder.bitcast(out_row, vec.as_pointer()), align=size)
        return context.get_dummy_value()

    return types.none(a, b, out, k, n), codegen


_KERNELS = {}


def prefetch_distance(m, k, n, itemsize):
    """How many products ahead the stacked kernel asks for its operands: about
    :data:`_PREFETCH_BYTES` of them, for operands of 256 bytes to
    :data:`_HOISTED_BYTES`; none (0) otherwise.

    Measured on the Xeon at one thread, 100,000 products with fresh outputs:
    16x16 float32 0.86x-0.95x np.matmul without, 1.09x-1.22x with 1 to 8
    products ahead (4 best); 8x8 float64 1.18x -> 1.45x; 8x8 float32 1.66x ->
    1.83x-1.95x; 16x16 float64 (2 KB operands, rows of b re-read from L1)
    1.04x without, 1.03x, 0.99x and 0.95x at 1, 2 and 8 ahead; 4x4 float32
    (64 bytes, 4 FMAs a product) 2.82x-3.21x without, 2.21x-2.38x with 64 ahead.
    """
    size = max(m * k, k * n) * itemsize
    return max(1, _PREFETCH_BYTES // size) if 256 <= size <= _HOISTED_BYTES else 0


def stacked_kernel(k, n):
    """The parallel kernel for stacks of (m, k) @ (k, n) products, made once per (k, n).

    It is called as ``kernel(a, b, a_index, b_index, ahead, out)`` with
    C-contiguous ``a`` (A, m, k), ``b`` (B, k, n), ``out`` (T, m, n), int64
    indices of length T into the stacks of ``a`` and ``b`` and ``ahead`` from
    :func:`prefetch_distance`, and writes ``out[t] = a[a_index[t]] @
    b[b_index[t]]``. Nothing is validated.
    """
    if (k, n) not in _KERNELS:
        _KERNELS[k, n] = _make_kernel(k, n)
    return _KERNELS[k, n]


def _make_kernel(k, n):
    @jit_parallel
    def stacked_products(a, b, a_index, b_index, ahead, out):
        count = out.shape[0]
        a_size, b_size = a.shape[1] * a.shape[2], b.shape[1] * b.shape[2]
        for t in prange(count):
            if ahead and t + ahead < count:
                prefetch_span(a, a_index[t + ahead] * a_size, (a_index[t + ahead] + 1) * a_size)
                prefetch_span(b, b_index[t + ahead] * b_size, (b_index[t + ahead] + 1) * b_size)
            rows_times_matrix(a[a_index[t]], b[b_index[t]], out[t], k, n)

    return stacked_products
