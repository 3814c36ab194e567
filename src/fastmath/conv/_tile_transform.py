"""Winograd tile transforms ``L d L^T`` on channel vectors, as LLVM vector code.

Every element of a tile is a run of channels, contiguous in memory, so a
transform is the same small linear combination applied lane by lane. Written
as numba loops over channels (one call per tile column, then per row), LLVM
vectorized each call separately and every intermediate went through memory;
a single loop holding the whole tile was left scalar (too many pointers to
check for overlap). :func:`tile_transform` instead emits one straight-line
block per run of channels: it loads the tile as ``<lanes x T>`` values, applies
``L`` to the columns and then to the rows in registers, and stores the result.

``L`` is one of the matrices in :data:`MATRICES`; each row is evaluated term
by term in column order, a coefficient of +-1 as an add or subtract and any
other as a multiply-add (the 'contract' flag lets LLVM fuse them).
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._config.jit import jit

# Bytes of channels one call transforms: an AVX-512 register. Runs written
# into channel planes (NCHW output) are half as wide, see output_tiles_of.
VECTOR_BYTES = 64
PLANE_RUN_BYTES = 32

# Kinds of transform, by the matrix L (rows x columns).
INPUT, GRAD, OUTPUT, S2_INPUT, S2_OUTPUT, S2_GRAD = range(6)
MATRICES = {
    # F(4x4, 3x3): B^T takes a 6x6 input tile to 6x6, A a 4x4 output-gradient
    # tile to 6x6, A^T a 6x6 product tile to the 4x4 output tile
    INPUT: ((4, 0, -5, 0, 1, 0),
            (0, -4, -4, 1, 1, 0),
            (0, 4, -4, -1, 1, 0),
            (0, -2, -1, 2, 1, 0),
            (0, 2, -1, -2, 1, 0),
            (0, 4, 0, -5, 0, 1)),
    GRAD: ((1, 0, 0, 0),
           (1, 1, 1, 1),
           (1, -1, 1, -1),
           (1, 2, 4, 8),
           (1, -2, 4, -8),
           (0, 0, 0, 1)),
    OUTPUT: ((1, 1, 1, 1, 1, 0),
             (0, 1, -1, 2, -2, 0),
             (0, 1, 1, 4, 4, 0),
             (0, 1, -1, 8, -8, 1)),
    # F(4x4, 2x2) of the stride-2 layers: 5x5 input tile, 5x5 product tile
    S2_INPUT: ((2, -1, -2, 1, 0),
               (0, -2, -1, 1, 0),
               (0, 2, -3, 1, 0),
               (0, -1, 0, 1, 0),
               (0, 2, -1, -2, 1)),
    S2_OUTPUT: ((1, 1, 1, 1, 0),
                (0, 1, -1, 2, 0),
                (0, 1, 1, 4, 0),
                (0, 1, -1, 8, 1)),
    # and A (S2_OUTPUT transposed), a 4x4 output-gradient tile to 5x5
    S2_GRAD: ((1, 0, 0, 0),
              (1, 1, 1, 1),
              (1, -1, 1, -1),
              (1, 2, 4, 8),
              (0, 0, 0, 1)),
}
_FLAGS = ("contract",)


def _combine(builder, row, values, splat):
    """sum_j row[j] * values[j], in column order, skipping zero coefficients."""
    acc = None
    for coef, value in zip(row, values):
        if coef == 0:
            continue
        if acc is None:
            acc = (value if coef == 1 else builder.fneg(value, flags=_FLAGS) if coef == -1
                   else builder.fmul(splat(coef), value, flags=_FLAGS))
            continue
        term = value if abs(coef) == 1 else builder.fmul(splat(abs(coef)), value, flags=_FLAGS)
        acc = (builder.fadd(acc, term, flags=_FLAGS) if coef > 0
               else builder.fsub(acc, term, flags=_FLAGS))
    return acc


def _lane_rows(builder, values, lanes):
    """Transpose a tile row held as 4 values over ``lanes`` channels into one
    4-element value per channel (for 1 lane, the values themselves)."""
    if lanes == 1:
        return [_pack(builder, values)]
    i32 = ir.IntType(32)

    def shuffle(x, y, mask):
        return builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(i32, len(mask)), mask))

    # [v0[0], v1[0], v0[1], v1[1], ...] and the same for v2, v3
    pairs = [shuffle(values[b], values[b + 1], [k // 2 + (k % 2) * lanes for k in range(2 * lanes)])
             for b in (0, 2)]
    # [v0[0], v1[0], v2[0], v3[0], v0[1], ...]
    whole = shuffle(pairs[0], pairs[1],
                    [(k // 4) * 2 + k % 2 + (k % 4 // 2) * 2 * lanes for k in range(4 * lanes)])
    return [shuffle(whole, whole, list(range(4 * k, 4 * k + 4))) for k in range(lanes)]


def _pack(builder, scalars):
    """A vector of the given scalars."""
    vec = ir.VectorType(scalars[0].type, len(scalars))
    out = ir.Constant(vec, ir.Undefined)
    for i, x in enumerate(scalars):
        out = builder.insert_element(out, x, ir.Constant(ir.IntType(32), i))
    return out


def _is_flat(t, dtype):
    return isinstance(t, types.Array) and t.ndim == 1 and t.layout == "C" and t.dtype == dtype


@intrinsic
def tile_transform(typingctx, kind, run_bytes, planes, src, s_off, s_row, s_col,
                   dst, d_off, d_row, d_col, d_lane, bias, b_off):
    """``dst`` tile = ``L src L^T`` (+ ``bias``) for one run of channels.

    ``kind`` picks ``L`` from :data:`MATRICES`; the run is ``run_bytes //
    itemsize`` channels (one if that is 0); ``kind``, ``run_bytes`` and
    ``planes`` must be compile-time integers. Tile
    element ``(i, j)`` of channel ``c`` of the run is read from flat
    position ``s_off + i * s_row + j * s_col + c``; element ``(a, b)`` is
    written to ``d_off + a * d_row + b * d_col + c * d_lane``, where
    ``d_lane`` must be 1 unless ``planes`` is 1, and with ``planes`` 1,
    ``d_col`` must be 1 (each row of each channel is then one contiguous
    store, for NCHW output). ``bias`` (a flat array, or None) is added from
    position ``b_off``. Nothing is checked: the caller guarantees every
    position is inside its array.
    """
    if not all(isinstance(t, types.IntegerLiteral) for t in (kind, run_bytes, planes)):
        return None
    if kind.literal_value not in MATRICES:
        return None
    dtype = getattr(src, "dtype", None)
    if (dtype not in (types.float32, types.float64) or not _is_flat(src, dtype)
            or not _is_flat(dst, dtype)
            or not (isinstance(bias, types.NoneType) or _is_flat(bias, dtype))):
        return None
    matrix = MATRICES[kind.literal_value]
    if planes.literal_value and len(matrix) != 4:
        return None  # rows of 4 outputs per channel only
    use_planes = bool(planes.literal_value)

    def codegen(context, builder, sig, args):
        src_a, dst_a = (context.make_array(sig.args[i])(context, builder, args[i]) for i in (3, 7))
        s_off_v, s_row_v, s_col_v = args[4:7]
        d_off_v, d_row_v, d_col_v, d_lane_v = args[8:12]
        elt = context.get_data_type(dtype)
        size = context.get_abi_sizeof(elt)
        lanes = max(1, run_bytes.literal_value // size)
        vec = ir.VectorType(elt, lanes) if lanes > 1 else elt
        intp = context.get_value_type(types.intp)

        def splat(c):
            return ir.Constant(vec, [float(c)] * lanes) if lanes > 1 else ir.Constant(elt, float(c))

        def address(data, off, row, row_step, col, col_step, as_type=vec):
            pos = builder.add(off, builder.add(builder.mul(ir.Constant(intp, row), row_step),
                                               builder.mul(ir.Constant(intp, col), col_step)))
            return builder.bitcast(builder.gep(data, [pos]), as_type.as_pointer())

        side_in = len(matrix[0])
        # columns first: tmp[a][j] = sum_i L[a, i] * src[i][j]
        tmp = [[None] * side_in for _ in matrix]
        for j in range(side_in):
            column = [builder.load(address(src_a.data, s_off_v, i, s_row_v, j, s_col_v), align=size)
                      for i in range(side_in)]
            for a, row in enumerate(matrix):
                tmp[a][j] = _combine(builder, row, column, splat)
        bias_value = None
        if not isinstance(sig.args[12], types.NoneType):
            bias_a = context.make_array(sig.args[12])(context, builder, args[12])
            bias_ptr = builder.bitcast(builder.gep(bias_a.data, [args[13]]), vec.as_pointer())
            bias_value = builder.load(bias_ptr, align=size)
        # then rows: dst[a][b] = sum_j L[b, j] * tmp[a][j]
        for a in range(len(matrix)):
            values = []
            for row in matrix:
                value = _combine(builder, row, tmp[a], splat)
                if bias_value is not None:
                    value = builder.fadd(value, bias_value, flags=_FLAGS)
                values.append(value)
            if not use_planes:
                for b, value in enumerate(values):
                    builder.store(value, address(dst_a.data, d_off_v, a, d_row_v, b, d_col_v),
                                  align=size)
                continue
            rows = _lane_rows(builder, values, lanes)
            for k, row_value in enumerate(rows):
                ptr = address(dst_a.data, d_off_v, a, d_row_v, k, d_lane_v, row_value.type)
                builder.store(row_value, ptr, align=size)
        return context.get_dummy_value()

    sig = types.none(kind, run_bytes, planes, src, types.intp, types.intp, types.intp,
                     dst, types.intp, types.intp, types.intp, types.intp, bias, types.intp)
    return sig, codegen


def channel_runs(kind):
    """A jit function applying :func:`tile_transform` of ``kind`` to every channel.

    It is called as ``run(channels, src, s_off, s_row, s_col, dst, d_off,
    d_row, d_col, bias)`` with the arguments of :func:`tile_transform` for
    channel 0; runs of :data:`VECTOR_BYTES` go first, then single channels.
    """
    @jit
    def run(channels, src, s_off, s_row, s_col, dst, d_off, d_row, d_col, bias):
        lanes = VECTOR_BYTES // src.itemsize
        c = 0
        while c + lanes <= channels:
            tile_transform(kind, VECTOR_BYTES, 0, src, s_off + c, s_row, s_col,
                           dst, d_off + c, d_row, d_col, 1, bias, c)
            c += lanes
        while c < channels:
            tile_transform(kind, 0, 0, src, s_off + c, s_row, s_col,
                           dst, d_off + c, d_row, d_col, 1, bias, c)
            c += 1

    return run
