"""fastmath: fast, tested Numba kernels for machine-learning math.

``import fastmath`` is light: the families are imported on first use of one
of their names (the lazy-loading pattern of Scientific Python's SPEC 1), so
numba is imported only when a kernel is. ``dir(fastmath)`` and tab completion
list every public name.

Examples
--------
>>> import fastmath as fm
>>> "softmax" in dir(fm)
True
"""
from __future__ import annotations

import importlib

from ._version import __version__

# The families, importable as ``fastmath.<name>``.
SUBMODULES = ("anomaly", "bench", "conv", "datasets", "linalg", "linear_model", "metrics",
              "optim", "recommend", "stats")

# Public names of the top-level namespace, and the module that defines each.
_CONFIG_NAMES = {
    "get_num_threads": "_config.threads",
    "max_threads": "_config.threads",
    "set_num_threads": "_config.threads",
    "thread_limit": "_config.threads",
    "threading_layer": "_config.threads",
    "set_compile_notice": "_config.notice",
    "warmup": "_warmup",
}
_FAMILY_NAMES = {
    "conv": ("avg_pool2d", "avg_pool2d_backward", "conv2d", "conv2d_backward", "convolve2d",
             "correlate2d", "max_pool2d", "max_pool2d_backward"),
    "linalg": ("CSRHandle", "gram", "linear", "linear_backward", "logsumexp", "matmul", "pairwise_sqdist",
               "softmax", "spmm", "spmv"),
}
_LAZY = {**_CONFIG_NAMES, **{name: family for family, names in _FAMILY_NAMES.items()
                             for name in names}}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | set(SUBMODULES) | {"__version__"})
