"""Vectorizable exp and expm1 for arguments <= 0, used by softmax and logsumexp,
and the sigmoid and tanh built on them (the activations of ``linear``).

numba lowers ``math.exp`` to a scalar libm call unless Intel SVML is
installed, which keeps loops from vectorizing. This is the classic
Cody-Waite reduction ``x = n ln2 + r`` (|r| <= ln2 / 2), a Taylor polynomial
for ``exp(r)`` and ``2**n`` built from exponent bits, all branch-free so LLVM
vectorizes it. ``2**n`` is applied as two factors so results down to the
smallest subnormal are right; NaN propagates and -inf gives 0.

numba with Intel's SVML would vectorize ``math.exp`` and ``math.tanh``
itself, but the PyPI builds of llvmlite have no SVML support
(``llvmlite.binding.targets.has_svml()`` is False; ``numba -s``: "SVML
Operational: False" even with intel-cmplr-lib-rt's libsvml.so on the library
path), so these stay ours.
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
def _reduced64(x):
    """``(n, expm1(r))`` with x = n ln2 + r, |r| <= ln2 / 2 (float64)."""
    fn = np.floor(x * _LOG2E + 0.5)
    r = (x - fn * _LN2_HI) - fn * _LN2_LO
    p = 1.0 / 6227020800.0  # 1/13!; expm1(r) = r (1 + r/2 + r^2/6 + ...)
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
    return fn, p * r


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def exp_nonpos64(x):
    """exp(x) for float64 x <= 0 (or NaN), about 1 ulp."""
    x = x if not x < -746.0 else -746.0  # keeps NaN
    fn, em = _reduced64(x)
    n = np.int64(fn)
    n1 = n >> 1
    n2 = n - n1
    return (em + 1.0) * _bits_to_f64((n1 + 1023) << 52) * _bits_to_f64((n2 + 1023) << 52)


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _reduced32(x):
    """``(n, expm1(r))`` with x = n ln2 + r, |r| <= ln2 / 2 (float32)."""
    fn = np.floor(x * np.float32(_LOG2E) + np.float32(0.5))
    r = (x - fn * np.float32(0.693359375)) - fn * np.float32(-2.12194440e-4)
    p = np.float32(1.0 / 40320.0)
    p = p * r + np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    return fn, p * r


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def exp_nonpos32(x):
    """exp(x) for float32 x <= 0 (or NaN), about 1 ulp of float32."""
    x = x if not x < np.float32(-104.0) else np.float32(-104.0)
    fn, em = _reduced32(x)
    n = np.int32(fn)
    n1 = n >> 1
    n2 = n - n1
    return (em + np.float32(1.0)) * _bits_to_f32((n1 + np.int32(127)) << np.int32(23)) * (
        _bits_to_f32((n2 + np.int32(127)) << np.int32(23)))


def _by_precision(f32, f64):
    """Make the decorated plain-Python function, in jitted code, call ``f32`` on
    float32 arguments and ``f64`` on the others."""
    def register(stub):
        @overload(stub)
        def _impl(x):
            if isinstance(x, types.Float) and x.bitwidth == 32:
                return lambda x: f32(x)
            return lambda x: f64(x)
        return stub
    return register


@_by_precision(exp_nonpos32, exp_nonpos64)
def exp_nonpos(x):
    """exp(x) for x <= 0 in the precision of x (float32 or float64)."""
    return math.exp(x)


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def expm1_nonpos64(x):
    """exp(x) - 1 for float64 x <= 0 (or NaN), a few ulp: ``2**n expm1(r) + (2**n - 1)``."""
    x = x if not x < -60.0 else -60.0  # exp(-60) - 1 rounds to -1
    fn, em = _reduced64(x)
    scale = _bits_to_f64((np.int64(fn) + 1023) << 52)  # n >= -87: a normal number
    return scale * em + (scale - 1.0)


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def expm1_nonpos32(x):
    """exp(x) - 1 for float32 x <= 0 (or NaN), a few ulp of float32."""
    x = x if not x < np.float32(-30.0) else np.float32(-30.0)
    fn, em = _reduced32(x)
    scale = _bits_to_f32((np.int32(fn) + np.int32(127)) << np.int32(23))
    return scale * em + (scale - np.float32(1.0))


@_by_precision(expm1_nonpos32, expm1_nonpos64)
def expm1_nonpos(x):
    """exp(x) - 1 for x <= 0 in the precision of x."""
    return math.expm1(x)


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _sigmoid64(v):
    t = exp_nonpos64(-abs(v))
    s = 1.0 / (1.0 + t)
    return s if v >= 0.0 else t * s


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _sigmoid32(v):
    one = np.float32(1.0)
    t = exp_nonpos32(-abs(v))
    s = one / (one + t)
    return s if v >= np.float32(0.0) else t * s


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _tanh64(v):
    e = expm1_nonpos64(-2.0 * abs(v))
    t = -e / (2.0 + e)
    return t if v >= 0.0 else -t


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _tanh32(v):
    a = abs(v)
    e = expm1_nonpos32(-(a + a))
    t = -e / (np.float32(2.0) + e)
    return t if v >= np.float32(0.0) else -t


@_by_precision(_sigmoid32, _sigmoid64)
def sigmoid(v):
    """1 / (1 + exp(-v)) in the precision of ``v`` (float32 or float64), branch-free:
    with t = exp(-|v|), 1 / (1 + t) for v >= 0 and t / (1 + t) below, so nothing
    overflows and NaN stays NaN."""
    return 1.0 / (1.0 + math.exp(-v))


@_by_precision(_tanh32, _tanh64)
def tanh(v):
    """tanh(v) in the precision of ``v``: with e = expm1(-2|v|), -e / (2 + e) with
    the sign of v (accurate near 0, where 1 - exp(-2|v|) would cancel)."""
    return math.tanh(v)
