"""Thread counts: the default, the overrides, the threading layer and the serial path.

How many threads a parallel kernel runs on is decided here and nowhere else:

* the default is the number of CPUs this process may use: its CPU affinity
  and its cgroup CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), as
  counted by loky's ``cpu_count()``; a container limited to 2 CPUs on a
  64-core host uses 2 threads;
* ``FASTMATH_NUM_THREADS`` (environment), :func:`set_num_threads` (the
  whole process) and :func:`thread_limit` (a block of code in the calling
  thread) override it, in increasing precedence;
* work too small to pay for a parallel region runs on one thread
  (:func:`kernel_threads`, thresholds in :data:`SERIAL_WORK`); the serial
  and the parallel path run the same compiled kernel, so they give the same
  result.

The threading layer is TBB (work stealing: a worker that another program
keeps off a core does not hold the others up) when the ``tbb`` package is
installed, else OpenMP with a passive wait policy. Both are threadsafe:
kernels may be called from many Python threads at once.

This module imports numba only when a kernel runs, so that ``import
fastmath`` stays light.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading
from contextlib import contextmanager
from functools import lru_cache

from .._validation import check_int
from .blas import blas_threads

__all__ = ["SERIAL_WORK", "get_num_threads", "kernel_threads", "max_threads",
           "set_num_threads", "thread_limit", "threading_layer", "threads_for"]

ENV_THREADS = "FASTMATH_NUM_THREADS"

# Work below which a kernel runs on one thread, per kind of kernel, in the
# unit of work each call site counts. Measured with
# ``scripts/measure-serial-thresholds.py`` on the 2-core development machine
# (AMD EPYC, idle): two threads first beat one by 1.2x at about 16k elements
# for softmax, Adam and max-pooling, 65k stored values for spmv, 0.5M to 1M
# multiply-adds for conv2d and RunningMoments, and never (up to 4M keys) for
# the radix sort of the curve metrics. Each threshold is set about twice as
# high, because below it a second thread gains little on an idle machine and
# can lose a scheduler time slice on a busy one.
SERIAL_WORK = {
    "elementwise": 32_768,  # elements of a cheap per-element pass (pooling, optimizer steps)
    "transcendental": 32_768,  # elements of a pass with exp/log (softmax, logsumexp)
    "sparse": 131_072,  # stored values plus rows of a sparse product
    "flops": 1_048_576,  # multiply-adds of a dense kernel (convolution, moments, ALS)
    "rows": 16_384,  # rows of a per-row kernel with short rows (top-N, ranking metrics)
    "sort": 4_194_304,  # keys of a radix sort and threshold sweep
}

_global = {"threads": None}  # set_num_threads: the whole process
_local = threading.local()  # thread_limit: the calling thread, for a block


def max_threads() -> int:
    """Largest thread count a kernel can use: the size of numba's thread pool.

    That is ``NUMBA_NUM_THREADS`` when set, else the CPUs of the machine.
    """
    import numba

    return numba.config.NUMBA_NUM_THREADS


def usable_cpus() -> int:
    """CPUs this process may use: affinity and cgroup CPU quotas (loky's count)."""
    from joblib.externals.loky import cpu_count

    return max(1, cpu_count())


@lru_cache(maxsize=None)
def default_threads() -> int:
    """Threads used when nothing overrides them: ``FASTMATH_NUM_THREADS``, else the usable CPUs."""
    value = os.environ.get(ENV_THREADS, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"the environment variable {ENV_THREADS} must be an integer >= 1, "
                             f"got {value!r}") from None
        if n < 1:
            raise ValueError(f"the environment variable {ENV_THREADS} must be an integer >= 1, "
                             f"got {value!r}")
        return min(n, max_threads())
    return min(usable_cpus(), max_threads())


def get_num_threads() -> int:
    """Number of threads the parallel kernels use (in the calling thread).

    Examples
    --------
    >>> import fastmath
    >>> fastmath.get_num_threads() >= 1
    True
    """
    local = getattr(_local, "threads", None)
    if local is not None:
        return local
    return _global["threads"] or default_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads parallel kernels use, for the whole process.

    :func:`thread_limit` overrides it for a block of code in one thread.

    Parameters
    ----------
    n : int
        Between 1 and :func:`max_threads`.

    Raises
    ------
    TypeError
        ``n`` is not an integer.
    ValueError
        ``n`` is out of range.

    Examples
    --------
    >>> import fastmath
    >>> fastmath.set_num_threads(1)
    >>> fastmath.get_num_threads()
    1
    >>> fastmath.set_num_threads(fastmath.max_threads())
    """
    _global["threads"] = check_int(n, "n", low=1, high=max_threads())


@contextmanager
def thread_limit(n: int):
    """Run the parallel kernels called in the block on ``n`` threads.

    Applies to the calling thread only (the innermost block wins), and
    restores its previous setting on exit. ``n = 0`` means the default (:func:`set_num_threads`, else the
    usable CPUs); ``n`` above :func:`max_threads` is clipped.

    Parameters
    ----------
    n : int
        ``>= 0``.

    Raises
    ------
    TypeError
        ``n`` is not an integer.
    ValueError
        ``n`` is negative.

    Examples
    --------
    >>> import fastmath
    >>> with fastmath.thread_limit(1):
    ...     fastmath.get_num_threads()
    1
    """
    n = check_int(n, "n", low=0)
    previous = getattr(_local, "threads", None)
    _local.threads = min(n, max_threads()) if n else (_global["threads"] or default_threads())
    try:
        yield
    finally:
        _local.threads = previous


def threads_for(work: float, kind: str) -> int:
    """Threads for one kernel call of ``work`` units of the given kind (see :data:`SERIAL_WORK`)."""
    if work < SERIAL_WORK[kind]:
        return 1
    return get_num_threads()


# OpenBLAS runs a GEMM of at most this many multiply-adds (m * n * k) on one
# thread by itself (SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD in its
# interface/gemm.c), so kernels whose BLAS calls are all this small need not
# hold its pools: that saves two threadpoolctl round trips (about 20 us).
BLAS_SERIAL_GEMM = 4 * 65_536


@lru_cache(maxsize=None)
def _numba_thread_count():
    """Get and set the calling thread's numba thread count: numba's own C
    entry points once its pool is up, without the two launch locks that
    ``numba.get_num_threads`` and ``numba.set_num_threads`` take on every
    call (about 4 us of each kernel call, a fifth of a small conv2d); numba's
    public functions where its internals differ. Counts come from
    :func:`get_num_threads`, within the pool's size."""
    import numba
    from numba.np.ufunc import parallel

    numba.get_num_threads()  # starts the pool once
    get, set_ = (getattr(parallel, name, None) for name in ("_get_num_threads", "_set_num_threads"))
    if callable(get) and callable(set_):
        return get, set_
    return numba.get_num_threads, numba.set_num_threads


class kernel_threads:  # noqa: N801 (used as a function: ``with kernel_threads(...)``)
    """Run the kernels called in the block on ``threads_for(work, kind)`` threads.

    Entering it returns the thread count. numba's own setting of the calling thread is
    restored on exit. ``blas`` says what the block does with BLAS:
    ``"outside"`` (it calls BLAS itself, e.g. ``np.matmul``: BLAS gets the
    same count), ``"inside"`` (a parallel kernel calls BLAS: BLAS runs on one
    thread, so threads are not multiplied) or None (no BLAS). With
    ``"inside"``, ``gemm`` is the largest m * n * k of the block's BLAS
    calls; up to :data:`BLAS_SERIAL_GEMM` BLAS is left alone.

    A class rather than a generator: it wraps every kernel call, and this
    way costs about 1 us less.
    """

    __slots__ = ("_n", "_previous", "_set", "_blas")

    def __init__(self, work: float, kind: str, blas: str | None = None,
                 gemm: float = float("inf")):
        if blas == "inside" and gemm <= BLAS_SERIAL_GEMM:
            blas = None
        limit = get_num_threads()
        small = work < SERIAL_WORK[kind]
        self._n = 1 if small else limit
        # BLAS is left alone for work too small for it to go parallel on its own (this
        # saves two threadpoolctl round trips, most of a small call's overhead), unless
        # the caller limited fastmath to one thread: then BLAS gets one thread too.
        self._blas = (None if blas is None or (small and limit > 1)
                      else blas_threads(1 if blas == "inside" else self._n))

    def __enter__(self) -> int:
        get_numba_threads, self._set = _numba_thread_count()
        self._previous = get_numba_threads()
        if self._n != self._previous:
            self._set(self._n)
        if self._blas is not None:
            try:
                self._blas.__enter__()
            except BaseException:
                self._restore()
                raise
        return self._n

    def __exit__(self, *exc) -> None:
        try:
            if self._blas is not None:
                self._blas.__exit__(*exc)
        finally:
            self._restore()

    def _restore(self) -> None:
        if self._n != self._previous:
            self._set(self._previous)


# --- the threading layer -----------------------------------------------------

_TBB_LIBRARY = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}


def _preload_tbb() -> bool:
    """Load the ``tbb`` wheel's library so numba's TBB layer can link to it.

    pip installs ``libtbb.so.12`` into ``<prefix>/lib``, which is not on the
    loader's path in a virtual environment; loading it by its full path first
    makes it resolvable.
    """
    name = _TBB_LIBRARY.get(sys.platform)
    if name is None:
        return False
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        files = distribution("tbb").files or []
    except PackageNotFoundError:
        return False
    for f in files:
        if f.name == name:
            try:
                ctypes.CDLL(str(f.locate()), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
                return True
            except OSError:
                return False
    return False


def configure_threading_layer() -> str:
    """Choose numba's threading layer before its first parallel region (idempotent).

    An explicit ``NUMBA_THREADING_LAYER`` is respected. Otherwise TBB when it
    imports, else OpenMP with ``OMP_WAIT_POLICY=PASSIVE`` (unless the user
    set a policy) so idle workers sleep instead of spinning on a busy
    machine, else workqueue, with a warning that it is not threadsafe.
    """
    import warnings

    import numba

    if os.environ.get("NUMBA_THREADING_LAYER"):
        return numba.config.THREADING_LAYER
    for layer, module in (("tbb", "tbbpool"), ("omp", "omppool")):
        if layer == "tbb":
            _preload_tbb()
        elif "OMP_WAIT_POLICY" not in os.environ:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # read when libgomp loads
        try:
            __import__(f"numba.np.ufunc.{module}")
        except ImportError:
            continue
        numba.config.THREADING_LAYER = layer
        return layer
    numba.config.THREADING_LAYER = "workqueue"
    warnings.warn("fastmath: neither the tbb nor the omp threading layer is available, so "
                  "numba uses 'workqueue'; do not call fastmath kernels from several Python "
                  "threads at once (install the 'tbb' package to fix this).",
                  RuntimeWarning, stacklevel=2)
    return "workqueue"


def threading_layer() -> str:
    """Name of numba's threading layer for fastmath's kernels: 'tbb', 'omp' or 'workqueue'.

    Examples
    --------
    >>> import fastmath
    >>> fastmath.threading_layer() in ("tbb", "omp", "workqueue")
    True
    """
    from . import jit  # noqa: F401  (importing it configures the layer)
    import numba

    return numba.config.THREADING_LAYER
