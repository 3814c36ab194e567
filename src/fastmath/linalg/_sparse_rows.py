"""Vector code for the row sums of a CSR product, ``out[i] = sum_p data[p] * x[indices[p]]``.

numba's loop over one row is vectorized by LLVM as a main loop of several
vectors, a vector epilogue and a scalar remainder: three loops whose trip
counts change from row to row. Rows of a few dozen values then spend more
time in mispredicted loop exits than in their products (100,000 rows of
Poisson(20) values took 1.8x as long as rows of exactly 20). Here each row is
one loop of masked vectors of :data:`LANES` values: masked loads of
``indices`` and ``data``, a masked gather of ``x``, one fused multiply-add,
so no value past the row's end is read and the loop runs ``ceil(len / 8)``
times.

Each column index is compared with ``len(x)`` in the same vectors; lanes out
of range are not gathered (no memory outside ``x`` is read) and reported, so
the kernel validates the indices it reads for the cost of one compare.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._vector_ir import VectorIR

# Lanes per vector for both dtypes: measured on the Xeon (AVX-512, one thread,
# 1.8M-2M values in rows of 3, 20, 60 and 200), 8 lanes beat 4 and 16 for
# float32 and float64 alike, e.g. rows of 20: 1.24x SciPy at 8 float32 lanes
# against 0.99x at 4 and 1.04x at 16.
LANES = 8


def _is_vector(t, dtypes):
    return isinstance(t, types.Array) and t.ndim == 1 and t.layout == "C" and t.dtype in dtypes


def _masked(builder, name, vec, ptr_type, args):
    """Call ``llvm.masked.<name>`` (``load`` or ``gather``) for the vector type ``vec``."""
    elt = "f32" if vec.element == ir.FloatType() else (
        "f64" if vec.element == ir.DoubleType() else f"i{vec.element.width}")
    suffix = f"v{vec.count}{elt}"
    ptr = (f"p0{suffix}" if name == "load" else f"v{vec.count}p0{elt}")
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vec, [ptr_type, ir.IntType(32), args[2].type, vec]),
        f"llvm.masked.{name}.{suffix}.{ptr}")
    return builder.call(fn, args)


@intrinsic
def gathered_row_sums(typingctx, indptr, indices, data, x, row0, row1, limit, out):
    """out[i] = sum(data[p] * x[indices[p]] for p in indptr[i]:indptr[i+1]) for rows
    ``row0 <= i < row1``, in vectors of ``data``'s dtype; returns whether some
    index was ``>= limit`` as unsigned (its lane is skipped, ``out`` is then wrong).

    ``indptr`` and ``indices`` share one integer dtype; ``limit`` is ``len(x)``,
    clamped to ``2**31`` for int32 indices so negative ones are caught. The
    caller guarantees that ``indptr`` is non-decreasing, ``indptr[row1] <=
    len(indices), len(data)`` and ``row1 < len(indptr)``; nothing else is trusted.
    """
    floats, ints = (types.float32, types.float64), (types.int32, types.int64)
    if not (_is_vector(indptr, ints) and _is_vector(indices, ints) and indices.dtype == indptr.dtype
            and _is_vector(data, floats) and _is_vector(x, floats) and _is_vector(out, floats)
            and data.dtype == x.dtype == out.dtype):
        return None
    width = LANES

    def codegen(context, builder, sig, args):
        ip, ix, dv, xv, ov = (context.make_array(sig.args[j])(context, builder, args[j])
                              for j in (0, 1, 2, 3, 7))
        b = builder
        v_ir = VectorIR(context, b, data.dtype, width)
        intp = v_ir.intp
        idx_t = context.get_data_type(indices.dtype)
        mask_t = ir.VectorType(ir.IntType(1), width)
        ivec = ir.VectorType(idx_t, width)
        lanes = ir.Constant(ir.VectorType(intp, width), list(range(width)))
        bound = v_ir.splat(b.trunc(args[6], idx_t) if idx_t.width < 64 else args[6], ivec)
        align = ir.Constant(ir.IntType(32), v_ir.size)
        ivec_intp = ir.VectorType(intp, width)
        ptr_vec = ir.VectorType(v_ir.elt.as_pointer(), width)
        base = v_ir.splat_int(b.ptrtoint(xv.data, intp))
        bad = cgutils.alloca_once_value(b, ir.Constant(mask_t, [0] * width))
        with cgutils.for_range_slice(b, args[4], args[5], v_ir.const(1)) as (i, _):
            start = b.sext(b.load(b.gep(ip.data, [i])), intp)
            end = b.sext(b.load(b.gep(ip.data, [b.add(i, v_ir.const(1))])), intp)
            acc = cgutils.alloca_once_value(b, v_ir.zero)
            with cgutils.for_range_slice(b, start, end, v_ir.const(width)) as (p, _):
                live = b.icmp_signed("<", lanes, v_ir.splat_int(b.sub(end, p)))
                idx = _masked(b, "load", ivec, ivec.as_pointer(), [
                    b.bitcast(b.gep(ix.data, [p]), ivec.as_pointer()), align, live,
                    ir.Constant(ivec, [0] * width)])
                inside = b.and_(live, b.icmp_unsigned("<", idx, bound))
                b.store(b.or_(b.load(bad), b.xor(live, inside)), bad)
                values = _masked(b, "load", v_ir.vec, v_ir.vec.as_pointer(), [
                    v_ir.pointer(dv.data, p), align, live, v_ir.zero])
                offsets = b.mul(b.sext(idx, ivec_intp), v_ir.splat_int(v_ir.const(v_ir.size)))
                ptrs = b.inttoptr(b.add(base, offsets), ptr_vec)
                gathered = _masked(b, "gather", v_ir.vec, ptrs.type,
                                   [ptrs, align, inside, v_ir.zero])
                b.store(v_ir.fma(values, gathered, b.load(acc)), acc)
            b.store(v_ir.lane_sum(b.load(acc)), b.gep(ov.data, [i]))
        flags = b.bitcast(b.load(bad), ir.IntType(width))
        return b.icmp_unsigned("!=", flags, ir.Constant(ir.IntType(width), 0))

    return types.boolean(indptr, indices, data, x, row0, row1, limit, out), codegen
