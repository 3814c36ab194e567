"""How every kernel is compiled: the fast-math flags and the ``jit`` decorators.

Kernels are declared with :func:`jit` (serial) or :func:`jit_parallel`
(``prange``), never with ``numba.njit`` directly, so that the flags and the
caching policy live here. Importing this module also chooses the threading
layer, installs fastmath's cache locator and the first-compile notice, and
sets the allocator's thresholds (:mod:`.memory`), all before the first kernel
is defined.
"""
from __future__ import annotations

import numba

from . import cache, memory, notice, threads

__all__ = ["FASTMATH_FLAGS", "FASTMATH_FLAGS_ORDERED", "jit", "jit_parallel"]

# LLVM fast-math flags used by every kernel. 'nnan' and 'ninf' are left out on
# purpose: they let LLVM fold ``isnan`` to False, and NaN/Inf must propagate
# exactly as they do in NumPy. 'reassoc' lets LLVM vectorize reductions.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
# For code whose rounding order is part of the algorithm (Cody-Waite range
# reduction, compensated sums): 'reassoc' would fold the correction terms away.
FASTMATH_FLAGS_ORDERED = FASTMATH_FLAGS - {"reassoc"}

threads.configure_threading_layer()
cache.install_locator()
notice.install()
memory.tune_malloc()


def jit(*args, **kwargs):
    """``numba.njit`` with the project's flags: cached, nogil, fastmath set."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    kwargs.setdefault("fastmath", set(FASTMATH_FLAGS))
    kwargs.setdefault("error_model", "numpy")
    return numba.njit(*args, **kwargs)


def jit_parallel(*args, **kwargs):
    """:func:`jit` with ``parallel=True`` for kernels that use ``prange``."""
    kwargs["parallel"] = True
    return jit(*args, **kwargs)
