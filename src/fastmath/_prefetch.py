"""A software-prefetch hint for numba kernels (LLVM's ``llvm.prefetch``).

Kernels that visit rows in a shuffled order (SGD epochs) are bound by memory
latency: asking for the next row while working on the current one hides it.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._config.jit import jit

CACHE_LINE_BYTES = 64


@intrinsic
def prefetch(typingctx, arr, index):
    """Hint that ``arr.flat[index]`` (a C-contiguous array) will be read soon.

    A hint only: it never faults, even for an index past the end.
    """
    if not isinstance(arr, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        item = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # read access, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(item, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, index), codegen


@jit
def prefetch_span(a, start, stop):
    """Ask for the cache lines holding ``a.flat[start:stop]`` (C-contiguous ``a``)."""
    for k in range(start, stop, max(1, CACHE_LINE_BYTES // a.itemsize)):
        prefetch(a, k)
    if stop > start:  # an unaligned span may straddle one more line
        prefetch(a, stop - 1)


@jit
def prefetch_row(X, i):
    """Ask for every cache line of row ``i`` of a C-contiguous 2-D array."""
    d = X.shape[1]
    prefetch_span(X, i * d, i * d + d)
