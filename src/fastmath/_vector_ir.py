"""LLVM IR helpers for the register-tile intrinsics (``<W x T>`` vector code).

numba leaves short loops scalar (its SLP vectorizer is off), so the tile
kernels (:mod:`.linalg._sqdist_tiles`, :mod:`.stats._norm_tiles`,
:mod:`.conv._direct_tiles`) emit their vector code themselves; this module
holds what they share: typed constants, broadcasts, vector loads and stores,
fused multiply-adds and a tile's accumulation loop.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils


class VectorIR:
    """Vector code of ``width`` elements of a float ``dtype`` (a numba type) for one builder."""

    def __init__(self, context, builder, dtype, width):
        self.builder = builder
        self.width = width
        self.elt = context.get_data_type(dtype)
        self.size = context.get_abi_sizeof(self.elt)
        self.vec = ir.VectorType(self.elt, width)
        self.intp = context.get_value_type(types.intp)
        self.i32 = ir.IntType(32)
        self.zero = ir.Constant(self.vec, [0.0] * width)
        self._fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(self.vec, [self.vec] * 3),
            f"llvm.fma.v{width}{'f32' if self.size == 4 else 'f64'}")

    def const(self, value):
        """An intp constant."""
        return ir.Constant(self.intp, value)

    def splat(self, value, vec=None):
        """The scalar ``value`` in every lane (of ``vec``, a vector type, default the float one)."""
        undef = ir.Constant(vec or self.vec, ir.Undefined)
        b = self.builder
        return b.shuffle_vector(b.insert_element(undef, value, ir.Constant(self.i32, 0)), undef,
                                ir.Constant(ir.VectorType(self.i32, self.width), [0] * self.width))

    def splat_int(self, value):
        """The intp ``value`` in every lane of an integer vector."""
        return self.splat(value, ir.VectorType(self.intp, self.width))

    def pointer(self, base, offset):
        """``base + offset`` (elements) as a vector pointer."""
        return self.builder.bitcast(self.builder.gep(base, [offset]), self.vec.as_pointer())

    def load(self, base, offset):
        """One unaligned vector load at ``base + offset``."""
        return self.builder.load(self.pointer(base, offset), align=self.size)

    def store(self, value, base, offset):
        """One unaligned vector store at ``base + offset``."""
        self.builder.store(value, self.pointer(base, offset), align=self.size)

    def store_lanes(self, value, dst, count, whole):
        """Store ``value`` at the element pointer ``dst``: every lane when ``whole``
        (an i1), else only the first ``count`` (a row's last, partial vector)."""
        b = self.builder
        with b.if_else(whole) as (then, partial):
            with then:
                b.store(value, b.bitcast(dst, self.vec.as_pointer()), align=self.size)
            with partial:
                spill = cgutils.alloca_once(b, self.vec)
                b.store(value, spill)
                lanes = b.bitcast(spill, self.elt.as_pointer())
                with cgutils.for_range(b, count) as lane:
                    b.store(b.load(b.gep(lanes, [lane.index])), b.gep(dst, [lane.index]))

    def fma(self, a, b, c):
        return self.builder.call(self._fma, [a, b, c])

    def accumulators(self, n, initial=None):
        """``n`` vector accumulators (allocas that LLVM promotes to registers)."""
        accs = [cgutils.alloca_once(self.builder, self.vec) for _ in range(n)]
        for acc in accs:
            self.builder.store(self.zero if initial is None else initial, acc)
        return accs

    def accumulate_rows(self, rows, strip, depth):
        """Accumulators ``acc[r] = sum_k rows[r][k] * strip[k * width : (k + 1) * width]``
        for ``k < depth``: one broadcast per row and one vector load per step."""
        b = self.builder
        accs = self.accumulators(len(rows))
        with cgutils.for_range(b, depth) as loop:
            features = self.load(strip, b.mul(loop.index, self.const(self.width)))
            for row, acc in zip(rows, accs):
                a = self.splat(b.load(b.gep(row, [loop.index])))
                b.store(self.fma(a, features, b.load(acc)), acc)
        return accs

    def lane_sum(self, value):
        """The sum of a vector's lanes, by halves (a fixed order); a width that is no
        power of two is padded with zeros first."""
        b, width = self.builder, self.width
        padded = 1 << (width - 1).bit_length()
        if padded != width:  # mask indices from `width` on pick the zero vector's lanes
            value = b.shuffle_vector(value, self.zero, ir.Constant(
                ir.VectorType(self.i32, padded), [min(i, width) for i in range(padded)]))
        return self._by_halves(value, padded, b.fadd)

    def _by_halves(self, value, lanes, combine):
        """Lane 0 of ``value`` (``lanes`` wide, a power of two) folded by halves:
        ``combine(low half, high half)`` until one lane is left."""
        b = self.builder
        while lanes > 1:
            lanes //= 2
            lo, hi = (b.shuffle_vector(value, value, ir.Constant(ir.VectorType(self.i32, lanes),
                                                                 list(range(start, start + lanes))))
                      for start in (0, lanes))
            value = combine(lo, hi)
        return b.extract_element(value, ir.Constant(self.i32, 0))

    def split_pairs(self, lo, hi):
        """The even and the odd elements of the ``2 * width`` elements ``lo``, ``hi``."""
        return [self.builder.shuffle_vector(lo, hi, ir.Constant(
            ir.VectorType(self.i32, self.width), [2 * i + first for i in range(self.width)]))
            for first in (0, 1)]

    def transpose(self, rows):
        """The ``width`` x ``width`` block ``rows`` (one vector per row) transposed:
        one stage of two-source shuffles per bit of the index, each swapping the
        lanes and rows that differ in that bit. ``width`` must be a power of two."""
        b, width = self.builder, self.width
        rows = list(rows)
        d = 1
        while d < width:
            lo_mask = [lane if lane & d == 0 else width + lane - d for lane in range(width)]
            hi_mask = [lane + d if lane & d == 0 else width + lane for lane in range(width)]
            for i in range(width):
                if i & d == 0:
                    a, c = rows[i], rows[i + d]
                    rows[i] = b.shuffle_vector(a, c, ir.Constant(ir.VectorType(self.i32, width),
                                                                  lo_mask))
                    rows[i + d] = b.shuffle_vector(a, c, ir.Constant(
                        ir.VectorType(self.i32, width), hi_mask))
            d *= 2
        return rows

    def max_magnitude(self, values):
        """The largest magnitude in the vectors ``values`` (a scalar), NaN if one
        holds a NaN."""
        b, width = self.builder, self.width

        def intrinsic(name, vec):
            suffix = f"v{vec.count}{'f32' if self.size == 4 else 'f64'}"
            arity = 1 if name == "fabs" else 2
            return cgutils.get_or_insert_function(
                b.module, ir.FunctionType(vec, [vec] * arity), f"llvm.{name}.{suffix}")

        def maximum(x, y):
            return b.call(intrinsic("maxnum", x.type), [x, y])

        top, nan = None, None
        for value in values:
            magnitude = b.call(intrinsic("fabs", self.vec), [value])
            unordered = b.fcmp_unordered("uno", value, value)
            top = magnitude if top is None else maximum(top, magnitude)
            nan = unordered if nan is None else b.or_(nan, unordered)
        any_nan = b.icmp_unsigned("!=", b.bitcast(nan, ir.IntType(width)),
                                  ir.Constant(ir.IntType(width), 0))
        return b.select(any_nan, ir.Constant(self.elt, float("nan")),
                        self._by_halves(top, width, maximum))
