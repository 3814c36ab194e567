"""How freed memory goes back to the system: glibc's malloc thresholds, set once.

Kernels allocate temporaries of a few MB per call (the channel-last copies of
a convolution, its partial weight gradients). glibc serves allocations above
its *mmap threshold* with fresh mappings and returns the top of its heap to
the system once more than its *trim threshold* is free there; both adapt to
the sizes freed, and with the allocations of several threads they kept
missing. Measured on the Xeon (2026-12-06, two threads, a 32x32x32x32 -> 64
stride-2 ``conv2d`` forward and backward in a loop): every call faulted
12 MB back in (3,200 page faults) and took 9 to 17 ms, no faster than one
thread (8.4 to 10.3 ms); with the thresholds below, 0 faults and 5.3 ms
(median).

:func:`tune_malloc` sets them when the first kernel module is imported:
allocations up to :data:`MMAP_THRESHOLD` come from the heap, and up to
:data:`TRIM_THRESHOLD` of freed heap is kept for the next call. The setting
is process-wide (there is one allocator): a process may keep that much
memory it freed. Set the environment variable ``FASTMATH_MALLOC_TUNING=0``
to keep glibc's own policy; nothing is changed on other C libraries.
"""
from __future__ import annotations

import ctypes
import os
import platform
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "ENV_TUNING", "malloc_tuned", "tune_malloc"]

ENV_TUNING = "FASTMATH_MALLOC_TUNING"
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 128 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)

_state = {"tuned": None}


def tune_malloc() -> bool:
    """Set glibc's mmap and trim thresholds (once per process); whether they were set."""
    if _state["tuned"] is None:
        _state["tuned"] = _apply()
    return _state["tuned"]


def malloc_tuned() -> bool:
    """Whether :func:`tune_malloc` changed the allocator's thresholds in this process."""
    return bool(_state["tuned"])


def _apply() -> bool:
    if os.environ.get(ENV_TUNING, "1").strip().lower() in ("0", "false", "no", "off", ""):
        return False
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    # mallopt returns 1 on success; either setting also stops glibc's own adaptation
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
