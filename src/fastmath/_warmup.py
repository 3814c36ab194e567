"""Compile (or load from the cache) every public kernel for float32 and float64."""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp


def _matrix_calls(dtype):
    import fastmath as fm

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 4)).astype(dtype)
    w = rng.standard_normal((4, 3)).astype(dtype)
    b = np.zeros(3, dtype)
    nan_x = x.copy()
    nan_x[0, 0] = np.nan
    stack = rng.standard_normal((2, 3, 4)).astype(dtype)
    square = rng.standard_normal((2, 4, 4)).astype(dtype)
    y = fm.linear(x, w, b, "relu")
    calls = {
        "matmul": lambda: (fm.matmul(x, w), fm.matmul(stack, square)),
        "linear": lambda: fm.linear(x, w, b, "tanh"),
        "linear_backward": lambda: (fm.linear_backward(y, x, w, y, "relu"),
                                    fm.linear_backward(y, x, w)),
        "gram": lambda: fm.gram(x, np.ones(8, dtype)),
        "pairwise_sqdist": lambda: (fm.pairwise_sqdist(nan_x), fm.pairwise_sqdist(x, nan_x)),
        "softmax": lambda: fm.softmax(x),
        "logsumexp": lambda: fm.logsumexp(x),
    }
    for index_dtype in (np.int32, np.int64):
        A = sp.random(8, 4, density=0.5, format="csr", random_state=0, dtype=dtype)
        A.indices, A.indptr = A.indices.astype(index_dtype), A.indptr.astype(index_dtype)
        calls[f"spmv[{np.dtype(index_dtype).name}]"] = lambda A=A: fm.spmv(A, x[0])
        calls[f"spmm[{np.dtype(index_dtype).name}]"] = lambda A=A: fm.spmm(A, x[:4])
    return calls


def _conv_calls(dtype):
    import fastmath as fm

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 6)).astype(dtype)
    w = rng.standard_normal((2, 2, 3, 3)).astype(dtype)
    w1 = rng.standard_normal((2, 2, 1, 1)).astype(dtype)
    g = np.ones((2, 2, 4, 4), dtype)
    pooled, argmax = fm.max_pool2d(x, 2)
    return {
        "conv2d": lambda: (fm.conv2d(x, w), fm.conv2d(x, w1)),
        "conv2d_backward": lambda: (fm.conv2d_backward(g, x, w),
                                    fm.conv2d_backward(np.ones((2, 2, 6, 6), dtype), x, w1)),
        "max_pool2d": lambda: fm.max_pool2d_backward(pooled, argmax, x.shape),
        "avg_pool2d": lambda: fm.avg_pool2d_backward(fm.avg_pool2d(x, 2), x.shape, 2),
        "correlate2d": lambda: fm.correlate2d(x[0, 0], w[0, 0], "same"),
    }


def _optim_calls(dtype):
    from fastmath import optim

    p = np.zeros((3, 2), dtype)
    g = np.ones((3, 2), dtype)
    return {
        "SGD": lambda: optim.SGD(p, lr=0.0, momentum=0.9).step(g),
        "Adagrad": lambda: optim.Adagrad(p, lr=0.0).step(g),
        "RMSprop": lambda: optim.RMSprop(p, lr=0.0, centered=True).step(g),
        "Adam": lambda: optim.Adam(p, lr=0.0, amsgrad=True).step(g),
        "clip_grad_norm": lambda: optim.clip_grad_norm(g.copy(), 0.1),
        "SGDClassifier": lambda: _sgd_fits(dtype),
    }


def _sgd_fits(dtype):
    """One SGD fit compiles the whole trainer (dense and sparse share it)."""
    from fastmath.linear_model import SGDClassifier

    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype)
    return SGDClassifier(max_iter=1, tol=None).fit(X, [0, 1, 2])


def _recommend_calls(dtype):
    import scipy.sparse as sp

    from fastmath.metrics import ranking_metrics_at_k
    from fastmath.recommend import ALS, SGDMF

    data = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [1, 1, 0]], dtype))
    quiet = dict(iterations=1, dtype=dtype, show_progress=False)

    def als():
        for kw in (dict(solver="cg"), dict(solver="cholesky"), dict(implicit=False)):
            model = ALS(factors=2, **quiet, **kw).fit(data)
        model.recommend([0, 1], data[[0, 1]], N=2)
        return ranking_metrics_at_k(model, data, data, K=2)

    calls = {"ALS": als}
    if dtype == np.float32:  # SGDMF factors are always float32
        calls["SGDMF"] = lambda: SGDMF(factors=2, epochs=1, show_progress=False).fit(data)
    return calls


def _stats_calls(dtype):
    from fastmath import anomaly, metrics, stats

    X = np.random.default_rng(0).standard_normal((20, 3)).astype(dtype)
    y = np.arange(20) % 2
    return {
        "RunningMoments": lambda: stats.RunningMoments().update(X),
        "mahalanobis": lambda: anomaly.MahalanobisDetector().fit(X).predict(X),
        "roc_auc_score": lambda: (metrics.roc_auc_score(y, X[:, 0]),
                                  metrics.average_precision_score(y, X[:, 0])),
    }


# One entry a family; each maps a kernel name to a call that compiles it.
FAMILY_CALLS = {"matrix": _matrix_calls, "conv": _conv_calls, "optim": _optim_calls,
                "recommend": _recommend_calls, "stats": _stats_calls}


def warmup(verbose: bool = False) -> dict:
    """Compile every public kernel for float32 and float64.

    With the on-disk cache warm this only loads machine code, which is what a
    later process pays on its first call; the very first run compiles.

    Parameters
    ----------
    verbose : bool
        Print one line per kernel and the total.

    Returns
    -------
    dict
        ``{"kernel[dtype]": seconds, ..., "total": seconds}``.

    Examples
    --------
    >>> import fastmath
    >>> times = fastmath.warmup()
    >>> times["total"] > 0
    True
    """
    report = {}
    start = time.perf_counter()
    for make_calls in FAMILY_CALLS.values():
        for dtype in (np.float32, np.float64):
            for name, call in make_calls(dtype).items():
                t0 = time.perf_counter()
                call()
                report[f"{name}[{np.dtype(dtype).name}]"] = time.perf_counter() - t0
                if verbose:
                    print(f"{name}[{np.dtype(dtype).name}]: {report[f'{name}[{np.dtype(dtype).name}]']:.3f} s")
    report["total"] = time.perf_counter() - start
    if verbose:
        print(f"total: {report['total']:.3f} s")
    return report
