"""BLAS GEMM for numba kernels, on strided views and accumulating: ``c = a @ b + beta * c``.

numba's ``np.dot(a, b, out)`` takes contiguous arrays only (it copies any
other), overwrites ``out`` and calls BLAS with leading dimensions equal to
the shapes. Kernels that multiply column ranges of larger buffers, or sum
products over chunks, would then copy operands and add each product in a
second pass. :func:`gemm` calls the same BLAS routine (SciPy's, through
numba's ``numba_xxgemm`` helper) with each operand's row stride as its
leading dimension and with ``beta``, so neither is needed.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._config.jit import jit

__all__ = ["gemm"]

_N, _T = ord("n"), ord("t")  # BLAS's transpose flags


@intrinsic
def _xxgemm(typingctx, kind, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """numba's ``numba_xxgemm`` (the Fortran GEMM's arguments, by value) with the data
    pointers of the arrays ``a``, ``b``, ``c`` and the scalars ``alpha``, ``beta``."""
    sig = types.int32(kind, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        i8 = ir.IntType(8)
        void_p, intp = i8.as_pointer(), context.get_value_type(types.intp)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(
            ir.IntType(32), [i8] * 3 + [intp] * 3 + [void_p, void_p, intp, void_p, intp]
            + [void_p, void_p, intp]), "numba_xxgemm")
        values = []
        for ty, value in zip(signature.args, args):
            if isinstance(ty, types.Array):
                data = context.make_array(ty)(context, builder, value).data
                values.append(builder.bitcast(data, void_p))
            elif isinstance(ty, types.Float):  # alpha, beta: passed by address
                values.append(builder.bitcast(cgutils.alloca_once_value(builder, value),
                                              void_p))
            else:
                values.append(value)
        values[:3] = [builder.trunc(v, i8) for v in values[:3]]
        return builder.call(fn, values)

    return sig, codegen


@jit(inline="always")
def _operand(a, size):
    """BLAS's transpose flag and leading dimension of ``a`` read as a row-major
    matrix (the flag is for the column-major view of the same memory)."""
    if a.strides[1] == size or a.shape[1] <= 1:
        return _N, max(1, a.strides[0] // size, a.shape[1])
    return _T, max(1, a.strides[1] // size, a.shape[0])


@jit
def gemm(a, b, c, beta):
    """``c[...] = a @ b + beta * c``, in place, for 2-D float arrays of one dtype.

    ``a`` and ``b`` may be any views with unit stride along one axis
    (transposes included), ``c`` a view with unit stride along its rows.
    With ``beta == 0`` the old contents of ``c`` are not read (NaN there
    does not spread).
    """
    m, inner = a.shape
    n = b.shape[1]
    size = c.itemsize
    if b.shape[0] != inner or c.shape[0] != m or c.shape[1] != n:
        raise ValueError("gemm: shapes do not match")
    if a.itemsize != size or b.itemsize != size:
        raise ValueError("gemm: the operands' dtypes differ")
    if m == 0 or n == 0:
        return
    if inner == 0:
        if beta == 0:
            c[...] = 0
        else:
            c *= beta
        return
    if min(a.strides[0], a.strides[1], b.strides[0], b.strides[1], c.strides[0]) < 0:
        raise ValueError("gemm: negative strides")
    if (a.strides[0] != size and a.strides[1] != size) or (
            b.strides[0] != size and b.strides[1] != size) or (
            c.strides[1] != size and n > 1):
        raise ValueError("gemm: an operand has no unit stride")
    ta, lda = _operand(a, size)
    tb, ldb = _operand(b, size)
    ldc = max(1, c.strides[0] // size, n)
    # row-major c = a @ b is column-major c^T = b^T a^T: BLAS gets b first
    _xxgemm(115 if size == 4 else 100, tb, ta, n, m, inner, c.dtype.type(1), b, ldb, a, lda,
            c.dtype.type(beta), c, ldc)
