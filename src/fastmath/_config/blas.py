"""BLAS thread pools around fastmath's calls: never multiplied, never left changed.

NumPy and SciPy each load their own OpenBLAS, each with its own thread pool.
A BLAS product that fastmath makes itself (``np.matmul`` in ``linear``,
``gram``, ...) runs on fastmath's thread count for that call, and one made
inside a parallel kernel (numba's ``np.dot``) runs on one thread, so threads
are never multiplied. :func:`blas_threads` sets every loaded BLAS library
through threadpoolctl's library controllers, and restores what it changed.
"""
from __future__ import annotations

import threading
from collections import Counter

__all__ = ["blas_threads"]

_state = {"controllers": None, "baseline": None}
_active = Counter()  # thread count requested -> number of blocks asking for it
_lock = threading.Lock()


def _controllers():
    """threadpoolctl's controllers of the loaded BLAS libraries (found once)."""
    if _state["controllers"] is None:
        import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot calls this BLAS)
        from threadpoolctl import ThreadpoolController

        _state["controllers"] = [c for c in ThreadpoolController().lib_controllers
                                 if c.user_api == "blas"]
    return _state["controllers"]


def _apply() -> None:
    """Set every BLAS to the smallest count any active block asks for, or back to the baseline."""
    controllers = _controllers()
    if _active:
        if _state["baseline"] is None:
            _state["baseline"] = [c.get_num_threads() for c in controllers]
        target = [min(_active)] * len(controllers)
    else:
        target, _state["baseline"] = _state["baseline"], None
    for c, n in zip(controllers, target or []):
        if c.get_num_threads() != n:
            c.set_num_threads(n)


class blas_threads:  # noqa: N801 (used as a function: ``with blas_threads(n):``)
    """Run the BLAS calls made in the block on at most ``n`` threads, then restore.

    The setting is process-wide (each BLAS library has one pool): while blocks
    of several Python threads overlap, BLAS runs on the smallest count any of
    them asked for, and the counts found before the first block are restored
    when the last one ends. A block that finds every BLAS already at ``n``
    and no other block active changes nothing (and takes no lock).
    """

    __slots__ = ("_n", "_counted")

    def __init__(self, n: int):
        self._n = n
        self._counted = False

    def __enter__(self) -> None:
        n = self._n
        if not _active and all(c.get_num_threads() == n for c in _controllers()):
            return
        with _lock:
            _active[n] += 1
            try:
                _apply()
            except BaseException:
                _active[n] -= 1
                if not _active[n]:
                    del _active[n]
                raise
            self._counted = True

    def __exit__(self, *exc) -> None:
        if not self._counted:
            return
        self._counted = False
        n = self._n
        with _lock:
            _active[n] -= 1
            if not _active[n]:
                del _active[n]
            _apply()
