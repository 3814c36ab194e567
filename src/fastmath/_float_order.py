"""Floats compared as integers, so that a maximum over an array vectorizes.

LLVM vectorizes a float max reduction only under the 'nnan' flag, which the
kernels leave off (NaN must propagate as in NumPy); an integer max vectorizes.
Mapping each IEEE bit pattern ``b`` to ``b ^ ((b >> (width - 1)) & MAX_INT)``
orders the non-NaN floats exactly as signed integers (-0.0 just below +0.0),
and the map is its own inverse.
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._config.jit import jit

_INT_OF = {types.float32: types.int32, types.float64: types.int64}


def _flip(builder, bits, width):
    sign = builder.ashr(bits, ir.Constant(bits.type, width - 1))
    return builder.xor(bits, builder.and_(sign, ir.Constant(bits.type, (1 << (width - 1)) - 1)))


@intrinsic
def ordered_key(typingctx, x):
    """The signed integer that orders float32/float64 ``x`` among non-NaN floats."""
    if x not in _INT_OF:
        return None
    key = _INT_OF[x]

    def codegen(context, builder, sig, args):
        bits = builder.bitcast(args[0], ir.IntType(key.bitwidth))
        return _flip(builder, bits, key.bitwidth)

    return key(x), codegen


@intrinsic
def from_ordered_key(typingctx, key, like):
    """The float (of ``like``'s type) whose :func:`ordered_key` is ``key``."""
    if like not in _INT_OF or key != _INT_OF[like]:
        return None

    def codegen(context, builder, sig, args):
        bits = _flip(builder, args[0], key.bitwidth)
        return builder.bitcast(bits, context.get_value_type(like))

    return like(key, like), codegen


@jit
def max_magnitude_key(values, n, key):
    """max(``key``, the :func:`ordered_key` of ``|values[j]|`` for j < ``n``): a
    NaN's key lies above infinity's, so one NaN makes the result NaN's key."""
    for j in range(n):
        key = max(key, ordered_key(abs(values[j])))
    return key
