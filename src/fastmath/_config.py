"""Runtime configuration: threads, threading layer, fastmath flags, JIT cache.

This is the one place that decides how every kernel is compiled. Kernels are
declared with :func:`jit` (serial) or :func:`jit_parallel` (``prange``), never
with ``numba.njit`` directly, so that the flags and caching policy live here.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numba
import numpy as np

__all__ = [
    "FASTMATH_FLAGS",
    "FASTMATH_FLAGS_ORDERED",
    "get_num_threads",
    "fixed_chunk_bounds",
    "jit",
    "jit_parallel",
    "max_threads",
    "set_num_threads",
    "thread_limit",
    "threading_layer",
]

# LLVM fast-math flags used by every kernel. 'nnan' and 'ninf' are left out on
# purpose: they let LLVM fold ``isnan`` to False, and NaN/Inf must propagate
# exactly as they do in NumPy. 'reassoc' lets LLVM vectorize reductions.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
# For code whose rounding order is part of the algorithm (Cody-Waite range
# reduction, compensated sums): 'reassoc' would fold the correction terms away.
FASTMATH_FLAGS_ORDERED = FASTMATH_FLAGS - {"reassoc"}

_PACKAGE_DIR = Path(__file__).resolve().parent


def _choose_threading_layer() -> str:
    """Pick a threading layer that survives concurrent calls from Python threads.

    ``workqueue`` aborts the process when two Python threads enter parallel code
    at once, so we ask for 'threadsafe' (tbb, then omp) whenever one of those
    is importable, and respect an explicit ``NUMBA_THREADING_LAYER``.
    """
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return numba.config.THREADING_LAYER
    for module in ("tbbpool", "omppool"):
        try:
            __import__(f"numba.np.ufunc.{module}")
        except ImportError:
            continue
        return "threadsafe"
    return "workqueue"


def _choose_cache_dir() -> str | None:
    """Return a writable cache directory when numba's default one is unusable.

    numba writes its cache beside the source file. When the installed package
    is read-only (a system site-packages, a container image), fall back to the
    user cache directory, then to a per-user temporary directory. An explicit
    ``NUMBA_CACHE_DIR`` always wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    if os.access(_PACKAGE_DIR, os.W_OK):
        return None
    candidates = []
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        candidates.append(Path(xdg) / "fastmath" / "numba")
    home = os.environ.get("HOME")
    if home:
        candidates.append(Path(home) / ".cache" / "fastmath" / "numba")
    candidates.append(Path(tempfile.gettempdir()) / f"fastmath-numba-{os.getuid()}")
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return str(path)
    return None


numba.config.THREADING_LAYER = _choose_threading_layer()
if numba.config.THREADING_LAYER == "workqueue":
    warnings.warn(
        "fastmath: neither the omp nor the tbb threading layer is available, so "
        "numba uses 'workqueue'; do not call fastmath kernels from several Python "
        "threads at once (install libgomp or the 'tbb' package to fix this).",
        RuntimeWarning,
        stacklevel=2,
    )
_cache_dir = _choose_cache_dir()
if _cache_dir is not None:
    numba.config.CACHE_DIR = _cache_dir


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


def fixed_chunk_bounds(n: int, max_chunks: int, min_chunk: int = 1):
    """Bounds of at most ``max_chunks`` equal chunks of ``range(n)``, as int64.

    Parallel reductions sum per chunk and then combine the chunks in order;
    because the chunks do not depend on the thread count, neither does the
    result.
    """
    n_chunks = max(1, min(max_chunks, n // max(1, min_chunk)))
    return np.linspace(0, n, n_chunks + 1).astype(np.int64)


def set_num_threads(n: int) -> None:
    """Set the number of threads used by parallel kernels.

    Like ``numba.set_num_threads``, the setting belongs to the calling Python
    thread; other threads keep the default (all cores).

    Parameters
    ----------
    n : int
        Between 1 and ``numba.config.NUMBA_NUM_THREADS`` (the cores found at
        start-up, or the ``NUMBA_NUM_THREADS`` environment variable).

    Examples
    --------
    >>> import fastmath
    >>> fastmath.set_num_threads(1)
    >>> fastmath.get_num_threads()
    1
    >>> fastmath.set_num_threads(fastmath.max_threads())
    """
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    n = n.__index__()
    limit = numba.config.NUMBA_NUM_THREADS
    if not 1 <= n <= limit:
        raise ValueError(f"n must be between 1 and {limit}, got {n}")
    numba.set_num_threads(n)


@contextmanager
def thread_limit(n: int):
    """Run the parallel kernels called inside the block on ``n`` threads (0: all cores).

    ``n`` above :func:`max_threads` is clipped; the previous setting of the
    calling thread is restored on exit.
    """
    if isinstance(n, bool) or not hasattr(n, "__index__") or n.__index__() < 0:
        raise ValueError(f"the number of threads must be an integer >= 0, got {n!r}")
    n = n.__index__()
    previous = numba.get_num_threads()
    numba.set_num_threads(max_threads() if n == 0 else min(n, max_threads()))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def get_num_threads() -> int:
    """Number of threads parallel kernels use (in the calling thread)."""
    return numba.get_num_threads()


def max_threads() -> int:
    """Largest value :func:`set_num_threads` accepts."""
    return numba.config.NUMBA_NUM_THREADS


def threading_layer() -> str:
    """Name of the numba threading layer requested ('threadsafe' unless unavailable)."""
    return numba.config.THREADING_LAYER
