"""Squared distances in register tiles: the product and its epilogue in one pass, in LLVM vector code.

For a short feature dimension (d = 64, say) a GEMM spends much of its time
loading and storing its output, and the pass that turns the products into
distances reads and writes all of it again. Here each tile of ``R`` rows of
``x`` against ``W`` columns of ``y`` is summed in ``R`` vector registers
over the whole of ``d`` and written once, already as a distance.

``y`` is packed in strips of ``W`` points, feature-major (``ypack[s, k, c]
= y[s * W + c, k]``, zero padded), so that one vector load gives feature
``k`` of a strip's ``W`` points; each row of ``x`` contributes broadcasts.
The strips of a group (about :data:`GROUP_BYTES`) stay in L2 while all the
rows of a chunk pass over them.
"""
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from .._config.cpu import vector_bytes
from .._config.jit import jit, jit_parallel
from .._vector_ir import VectorIR

# Packed strips of y kept in L2 while the rows of x pass (5000 x 5000, d = 64,
# float64, one thread, Intel Xeon with AVX-512: 128 KiB 55.7 ms, 512 KiB 51.5,
# 1 MiB 49.8).
GROUP_BYTES = 2**20


def tile_shape(itemsize: int) -> tuple:
    """``(R, W)``: rows and columns of a tile for the CPU numba compiles for.

    ``R`` rows of two vectors each take ``2R`` of the vector registers, with
    two more for a strip's features and one for a broadcast: 8 rows of two
    512-bit vectors with AVX-512's 32 registers (measured at d = 64: 6 x 16
    float64 ran 1.2x slower, 12 x 16 1.08x, 4 x 32 1.2x), 4 rows of two
    256-bit vectors with AVX2's 16.
    """
    width = vector_bytes()
    return (8 if width == 64 else 4), 2 * width // itemsize


def _is_array(t, ndim, dtype):
    return isinstance(t, types.Array) and t.ndim == ndim and t.layout == "C" and t.dtype == dtype


@intrinsic
def sqdist_tile(typingctx, x, i, ypack, s, xx, yy, out, R, W):
    """``out[i:i+R, s*W:(s+1)*W] = max(xx[i:i+R, None] + yy[None, s*W:(s+1)*W] - 2 x y^T, 0)``.

    ``x`` (n, d), ``ypack`` (S, d, W), ``xx`` (n,), ``yy`` (S * W,) and
    ``out`` (n, m) are C-contiguous arrays of one float dtype; ``R`` and
    ``W`` are compile-time integers. Columns past ``m`` (the last strip's
    padding) are not written. NaN is kept. Nothing is checked: the caller
    guarantees ``i + R <= n``, ``s < S`` and ``m <= S * W``.
    """
    if not (isinstance(R, types.IntegerLiteral) and isinstance(W, types.IntegerLiteral)):
        return None
    rows, width = R.literal_value, W.literal_value
    dtype = getattr(out, "dtype", None)
    if dtype not in (types.float32, types.float64) or not (
            _is_array(x, 2, dtype) and _is_array(ypack, 3, dtype) and _is_array(xx, 1, dtype)
            and _is_array(yy, 1, dtype) and _is_array(out, 2, dtype)):
        return None

    def codegen(context, builder, sig, args):
        xa, pa, xxa, yya, oa = (context.make_array(sig.args[j])(context, builder, args[j])
                                for j in (0, 2, 4, 5, 6))
        first_row, strip = args[1], args[3]
        v_ir = VectorIR(context, builder, dtype, width)
        const, splat, zero = v_ir.const, v_ir.splat, v_ir.zero

        d = builder.extract_value(xa.shape, 1)
        m = builder.extract_value(oa.shape, 1)
        x_rows = [builder.gep(xa.data, [builder.mul(builder.add(first_row, const(r)), d)])
                  for r in range(rows)]
        strip_data = builder.gep(pa.data, [builder.mul(builder.mul(strip, d), const(width))])
        accs = v_ir.accumulate_rows(x_rows, strip_data, d)

        col0 = builder.mul(strip, const(width))
        yy_strip = v_ir.load(yya.data, col0)
        cols = builder.sub(m, col0)
        whole = builder.icmp_signed(">=", cols, const(width))
        two = ir.Constant(v_ir.vec, [2.0] * width)
        for r in range(rows):
            row = builder.add(first_row, const(r))
            xx_row = splat(builder.load(builder.gep(xxa.data, [row])))
            v = builder.fsub(builder.fadd(xx_row, yy_strip), builder.fmul(two, builder.load(accs[r])))
            v = builder.select(builder.fcmp_ordered("<", v, zero), zero, v)  # NaN compares false
            dst = builder.gep(oa.data, [builder.add(builder.mul(row, m), col0)])
            v_ir.store_lanes(v, dst, cols, whole)  # the last strip: its first `cols` columns
        return context.get_dummy_value()

    return types.none(x, i, ypack, s, xx, yy, out, R, W), codegen


_KERNELS = {}


def tiled_kernel(rows, width, symmetric=False):
    """The parallel kernel for tiles of ``rows`` x ``width``, made once per shape.

    Called as ``kernel(x, ypack, xx, yy, out, bounds, group)``: the rows of
    chunk ``c`` are ``bounds[c]:bounds[c + 1]``, and ``group`` strips are done
    for all of a chunk's rows before the next group. ``symmetric`` (``y`` is
    ``x``): a tile of rows ``i:i+R`` starts at the strip holding column ``i``,
    and when a chunk's rows are done, the entries above the diagonal are
    copied below it (:func:`mirror_rows`). Nothing is validated (see
    :func:`sqdist_tile`).
    """
    key = rows, width, bool(symmetric)
    if key not in _KERNELS:
        _KERNELS[key] = _make_kernel(*key)
    return _KERNELS[key]


def _make_kernel(rows, width, symmetric):
    @jit_parallel
    def sqdist_tiles(x, ypack, xx, yy, out, bounds, group):
        n_strips = ypack.shape[0]
        for c in prange(bounds.shape[0] - 1):
            for g in range(0, n_strips, group):
                i = bounds[c]
                while i + rows <= bounds[c + 1]:
                    for s in range(max(g, i // width if symmetric else 0),
                                   min(g + group, n_strips)):
                        sqdist_tile(x, i, ypack, s, xx, yy, out, rows, width)
                    i += rows
                while i < bounds[c + 1]:  # the chunk's last rows, one at a time
                    for s in range(max(g, i // width if symmetric else 0),
                                   min(g + group, n_strips)):
                        sqdist_tile(x, i, ypack, s, xx, yy, out, 1, width)
                    i += 1
            if symmetric:
                mirror_rows(out, bounds[c], bounds[c + 1])

    return sqdist_tiles


MIRROR_TILE = 64  # square blocks of the mirror: its transposed reads stay in L1


@jit
def mirror_rows(d, i0, i1):
    """d[j, i] = d[i, j] for rows i0 <= i < i1 and every j > i, and d[i, i] = 0:
    rows whose entries right of the diagonal are final, mirrored below it
    (the values tiles wrote there are replaced), while they are in cache."""
    n = d.shape[0]
    for i in range(i0, i1):
        d[i, i] = 0
    for j0 in range(i0, n, MIRROR_TILE):
        for j in range(j0, min(n, j0 + MIRROR_TILE)):
            dst = d[j]
            for i in range(i0, min(i1, j)):
                dst[i] = d[i, j]
