"""Row norms of a product with a triangular matrix, ``|| a_i @ U ||^2``, in register tiles.

For Mahalanobis distances ``U = inv(L).T`` is upper triangular, so column
``j`` of the product needs only the first ``j + 1`` features. ``U`` is packed
in strips of ``W`` columns, feature-major (``upack[s, k, c] = U[k, s * W +
c]``, zero padded); a tile of ``R`` centred rows against one strip sums in
``R`` vector registers over the strip's nonzero rows only (about 5/8 of the
multiplies at 32 features), squares the lanes and adds their sum to the rows'
totals: the product itself is never stored.
"""
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from .._config.jit import jit_parallel
from .._vector_ir import VectorIR
from ._kernels import center_rows


@intrinsic
def sq_norm_tile(typingctx, a, i, upack, s, depth, n_cols, sums, R, W):
    """``sums[i + r] += sum_c (a[i + r, :depth] @ upack[s, :depth, c])^2`` for ``r < R``
    and the strip's columns ``c`` below ``n_cols - s * W`` (the padding's lanes are
    left out, so an infinite feature does not meet their zeros).

    ``a`` (n, d), ``upack`` (S, d, W) and ``sums`` (n,) are C-contiguous
    float64 arrays; ``R`` and ``W`` compile-time integers. Nothing is
    checked: the caller guarantees ``i + R <= n``, ``s < S`` and ``depth <= d``.
    """
    if not (isinstance(R, types.IntegerLiteral) and isinstance(W, types.IntegerLiteral)):
        return None
    rows, width = R.literal_value, W.literal_value

    def codegen(context, builder, sig, args):
        aa, ua, sa = (context.make_array(sig.args[j])(context, builder, args[j]) for j in (0, 2, 6))
        first_row, strip, depth_, n_cols_ = args[1], args[3], args[4], args[5]
        v_ir = VectorIR(context, builder, types.float64, width)
        lanes = ir.Constant(ir.VectorType(v_ir.intp, width), list(range(width)))
        valid = builder.icmp_signed("<", lanes, v_ir.splat_int(
            builder.sub(n_cols_, builder.mul(strip, v_ir.const(width)))))
        d = builder.extract_value(aa.shape, 1)
        a_rows = [builder.gep(aa.data, [builder.mul(builder.add(first_row, v_ir.const(r)), d)])
                  for r in range(rows)]
        strip_data = builder.gep(ua.data, [builder.mul(builder.mul(strip, d), v_ir.const(width))])
        accs = v_ir.accumulate_rows(a_rows, strip_data, depth_)
        for r, acc in enumerate(accs):
            z = builder.select(valid, builder.load(acc), v_ir.zero)
            total = builder.gep(sa.data, [builder.add(first_row, v_ir.const(r))])
            builder.store(builder.fadd(builder.load(total), v_ir.lane_sum(builder.fmul(z, z))),
                          total)
        return context.get_dummy_value()

    return types.none(a, i, upack, s, depth, n_cols, sums, R, W), codegen


_KERNELS = {}


def norm_kernel(rows, width):
    """The parallel Mahalanobis kernel for tiles of ``rows`` x ``width``, made once per shape.

    Called as ``kernel(X, mean, upack, depths, bounds, block_rows, out,
    squared)``: ``out[i] = || (X[i] - mean) @ U ||`` (squared if asked) with
    ``U`` packed in ``upack`` and ``depths[s]`` the nonzero rows of strip
    ``s``; chunk ``c`` holds rows ``bounds[c]:bounds[c + 1]``, centred in
    blocks of ``block_rows`` rows that stay in cache. Nothing is validated.
    """
    if (rows, width) not in _KERNELS:
        _KERNELS[rows, width] = _make_kernel(rows, width)
    return _KERNELS[rows, width]


def _make_kernel(rows, width):
    @jit_parallel
    def mahalanobis_tiles(X, mean, upack, depths, bounds, block_rows, out, squared):
        d, n_strips = X.shape[1], upack.shape[0]
        for c in prange(bounds.shape[0] - 1):
            block = np.empty((block_rows, d), np.float64)
            sums = np.empty(block_rows, np.float64)
            for lo in range(bounds[c], bounds[c + 1], block_rows):
                n = min(block_rows, bounds[c + 1] - lo)
                center_rows(X, lo, n, mean, block)
                sums[:n] = 0
                i = 0
                while i + rows <= n:
                    for s in range(n_strips):
                        sq_norm_tile(block, i, upack, s, depths[s], d, sums, rows, width)
                    i += rows
                while i < n:  # the block's last rows, one at a time
                    for s in range(n_strips):
                        sq_norm_tile(block, i, upack, s, depths[s], d, sums, 1, width)
                    i += 1
                for r in range(n):
                    out[lo + r] = sums[r] if squared else np.sqrt(sums[r])

    return mahalanobis_tiles
