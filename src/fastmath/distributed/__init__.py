"""fastmath on Dask: the same kernels and models over Dask arrays and DataFrames.

Install with ``pip install 'fastmath[distributed]'``. Functions take Dask
collections and return Dask collections (or fitted models); plain NumPy,
SciPy and pandas input runs in-process, as the rest of fastmath does. A
current ``distributed.Client`` is used when there is one; otherwise an
embedded ``LocalCluster`` starts on first need (see :func:`get_client`).

Examples
--------
>>> import numpy as np, dask.array as da
>>> import fastmath.distributed as fd
>>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(4, 2))
>>> fd.running_moments(X).mean
array([5., 6.])
"""
from __future__ import annotations

import importlib

_NAMES = {
    "ALS": "als",
    "WorkerLostError": "als",
    "EmbeddedClusterWarning": "_engine",
    "FastmathWorkerPlugin": "_engine",
    "get_client": "_engine",
    **{name: "blockwise" for name in ("avg_pool2d", "conv2d", "linear", "map_rows",
                                      "max_pool2d", "pairwise_sqdist", "predict", "spmm")},
    **{name: "statistics" for name in ("MahalanobisDetector", "RobustZScoreDetector",
                                       "ZScoreDetector", "running_moments")},
    **{name: "metrics" for name in ("average_precision_score", "ranking_metrics_at_k",
                                    "roc_auc_score")},
    "fit_incremental": "linear_model",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
