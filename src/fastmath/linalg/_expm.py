"""A vectorizable exp for arguments <= 0, used by softmax and logsumexp.

numba lowers ``math.exp`` to a scalar libm call unless Intel SVML is
installed, which keeps loops from vectorizing. This is the classic
Cody-Waite reduction ``x = n ln2 + r`` (|r| <= ln2 / 2), a Taylor polynomial
for ``exp(r)`` and ``2**n`` built from exponent bits, all branch-free so LLVM
vectorizes it. ``2**n`` is applied as two factors so results down to the
smallest subnormal are right; NaN propagates and -inf gives 0.
"""
import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from .._config.jit import FASTMATH_FLAGS_ORDERED, jit


@intrinsic
def _bits_to_f64(typingctx, bits):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _bits_to_f32(typingctx, bits):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


# fdlibm's split of ln 2 (high part has trailing zero bits, so n * hi is exact)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def exp_nonpos64(x):
    """exp(x) for float64 x <= 0 (or NaN), about 1 ulp."""
    x = x if not x < -746.0 else -746.0  # keeps NaN
    fn = np.floor(x * _LOG2E + 0.5)
    r = (x - fn * _LN2_HI) - fn * _LN2_LO
    p = 1.0 / 6227020800.0  # 1/13!
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    n = np.int64(fn)
    n1 = n >> 1
    n2 = n - n1
    return p * _bits_to_f64((n1 + 1023) << 52) * _bits_to_f64((n2 + 1023) << 52)


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def exp_nonpos32(x):
    """exp(x) for float32 x <= 0 (or NaN), about 1 ulp of float32."""
    x = x if not x < np.float32(-104.0) else np.float32(-104.0)
    fn = np.floor(x * np.float32(_LOG2E) + np.float32(0.5))
    r = (x - fn * np.float32(0.693359375)) - fn * np.float32(-2.12194440e-4)
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    n = np.int32(fn)
    n1 = n >> 1
    n2 = n - n1
    return p * _bits_to_f32((n1 + np.int32(127)) << np.int32(23)) * _bits_to_f32(
        (n2 + np.int32(127)) << np.int32(23))


def exp_nonpos(x):
    """exp(x) for x <= 0 in the precision of x (float32 or float64); jitted via overload."""
    return math.exp(x)


@overload(exp_nonpos)
def _exp_nonpos_impl(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: exp_nonpos32(x)
    return lambda x: exp_nonpos64(x)
