"""Compile (or load from the cache) every public kernel for each of its dtypes.

A unit of work is one registry kernel for one dtype (``softmax[float32]``).
Units whose code is already cached are loaded in this process. The others are
compiled by a pool of worker processes (compilation holds a global lock, so
threads would not help), biggest first. Each worker writes to a cache
directory of its own, so no two processes ever write the same cache file
(concurrent writers can corrupt numba's cache); the parent then merges the
workers' entries into the shared cache and loads every unit from it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context

__all__ = ["WouldCompile", "load_cached", "load_only", "units", "warmup"]

# Seconds one unit took to compile on the development machine (2-core AMD
# EPYC); used only to hand the biggest units out first.
COMPILE_ESTIMATE_S = {"ALS": 17.0, "conv2d_backward": 13.0, "SGDClassifier": 12.5,
                      "RunningMoments": 3.5, "spmv": 3.0, "conv2d": 2.7, "SGDMF": 2.4}


class WouldCompile(BaseException):
    """Raised by :func:`load_only` when a fastmath kernel is not in the cache.

    A ``BaseException``, so that no ``except Exception`` on the way swallows it.
    """


def units(families=None, kernels=None) -> list[tuple]:
    """(registry row, dtype) pairs of the compiled kernels, biggest first."""
    from . import _registry

    rows = [k for k in _registry.select(families, kernels) if k.compiled]
    pairs = [(k, dtype) for k in rows for dtype in k.dtypes]
    return sorted(pairs, key=lambda u: -COMPILE_ESTIMATE_S.get(u[0].name, 1.0))


def unit_name(kernel, dtype) -> str:
    return f"{kernel.name}[{dtype}]"


@contextmanager
def load_only():
    """Inside the block, a fastmath kernel that would compile raises :class:`WouldCompile`.

    Loading from the cache does not count as compiling (numba reports a
    compile only after the cache missed). Only compiles in the calling thread
    are refused: other threads (a Dask worker's tasks) compile as usual.
    """
    import threading

    from numba.core import event

    owner = threading.get_ident()

    class Guard(event.Listener):
        def on_start(self, ev):
            if threading.get_ident() != owner:
                return
            dispatcher = ev.data.get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if module.startswith("fastmath."):
                raise WouldCompile(f"{module}.{dispatcher.py_func.__name__} is not cached")

        def on_end(self, ev):
            pass

    guard = Guard()
    event.register("numba:compile", guard)
    listeners = event._registered["numba:compile"]
    listeners.insert(0, listeners.pop())  # first: the others never see an aborted compile
    try:
        yield
    finally:
        event.unregister("numba:compile", guard)


def _run_example(kernel, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. ConvergenceWarning of a 2-iteration fit
        kernel.example(dtype)


def _load(todo, on_loaded=None) -> list:
    """Load each (kernel, dtype) of ``todo`` whose code is cached; return those that are not."""
    missing = []
    with load_only():
        for kernel, dtype in todo:
            t0 = time.perf_counter()
            try:
                _run_example(kernel, dtype)
            except WouldCompile:
                missing.append((kernel, dtype))
                continue
            if on_loaded is not None:
                on_loaded(kernel, dtype, time.perf_counter() - t0)
    return missing


def load_cached(families=None, kernels=None) -> list[str]:
    """Load the cached kernels of ``families``/``kernels`` into this process; compile nothing.

    Returns
    -------
    list of str
        The units (``"kernel[dtype]"``) not in the cache: they compile on first use.
    """
    return [unit_name(k, dtype) for k, dtype in _load(units(families, kernels))]


# --- worker processes -----------------------------------------------------------

def _init_worker(root: str) -> None:
    """Point this worker at a private cache directory, before numba or fastmath's kernels load."""
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="worker-", dir=root)
    os.environ["FASTMATH_NUM_THREADS"] = "1"
    os.environ["FASTMATH_COMPILE_NOTICE"] = "0"


def _compile_unit(name: str, dtype: str) -> tuple[str, float]:
    from . import _registry

    t0 = time.perf_counter()
    _run_example(_registry.get(name), dtype)
    return os.environ["NUMBA_CACHE_DIR"], time.perf_counter() - t0


def _compile_in_pool(todo, jobs, progress) -> dict:
    """Compile ``todo`` in ``jobs`` worker processes; merge their caches into ours."""
    from ._config import cache

    root = tempfile.mkdtemp(prefix="fastmath-warmup-")
    seconds, private = {}, set()
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                                 initializer=_init_worker, initargs=(root,)) as pool:
            futures = {pool.submit(_compile_unit, k.name, dtype): (k, dtype) for k, dtype in todo}
            for future in as_completed(futures):
                kernel, dtype = futures[future]
                worker_dir, elapsed = future.result()
                private.add(worker_dir)
                seconds[unit_name(kernel, dtype)] = elapsed
                progress.set_postfix_str(unit_name(kernel, dtype))
                progress.update()
        cache.merge([os.path.join(d, cache.version_tag()) for d in sorted(private)],
                    cache.cache_dir())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return seconds


def warmup(verbose: bool = False, *, families=None, kernels=None, jobs: int | None = None,
           progress: bool | None = None) -> dict:
    """Compile every public kernel for each of its dtypes, or load it from the cache.

    With the cache warm this only loads machine code, which is what a later
    process pays on its first call; the first run compiles, in ``jobs``
    worker processes.

    Parameters
    ----------
    verbose : bool
        Print one line per unit and the total.
    families, kernels : list of str, optional
        Only these families (packages, e.g. ``["linalg"]``) or kernels
        (public names, e.g. ``["softmax"]``).
    jobs : int, optional
        Worker processes for the units that need compiling; default: the
        CPUs this process may use. 1 compiles in this process.
    progress : bool, optional
        A progress bar with a total and an ETA (default: on a terminal).

    Returns
    -------
    dict
        ``{"kernel[dtype]": seconds, ..., "total": seconds}``: the compile
        time of each unit compiled, else its load time.

    Examples
    --------
    >>> import fastmath
    >>> times = fastmath.warmup(kernels=["softmax"])
    >>> sorted(times)
    ['softmax[float32]', 'softmax[float64]', 'total']
    """
    import sys

    from tqdm.auto import tqdm

    from ._config import threads
    from ._validation import check_int

    start = time.perf_counter()
    todo_all = units(families, kernels)
    jobs = threads.usable_cpus() if jobs is None else check_int(jobs, "jobs", low=1)
    if progress is None:
        progress = sys.stderr.isatty()
    bar = tqdm(total=len(todo_all), desc="fastmath warmup", unit="kernel",
               disable=not progress, file=sys.stderr)
    report = {}

    def loaded(kernel, dtype, seconds):
        report[unit_name(kernel, dtype)] = seconds
        bar.update()

    missing = _load(todo_all, loaded)
    if missing and jobs > 1 and len(missing) > 1:
        report.update(_compile_in_pool(missing, min(jobs, len(missing)), bar))
        missing = _load(missing)  # what the workers compiled
    for kernel, dtype in missing:  # compile here: one job, or what the pool could not cache
        t0 = time.perf_counter()
        _run_example(kernel, dtype)
        report[unit_name(kernel, dtype)] = time.perf_counter() - t0
        bar.update()
    bar.close()
    report["total"] = time.perf_counter() - start
    if verbose:
        for name, seconds in report.items():
            print(f"{name}: {seconds:.3f} s")
    return report
