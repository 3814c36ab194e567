"""Measure where a second thread starts to pay, per kind of kernel (fastmath._config.threads.SERIAL_WORK).

For representative kernels of each kind, times one thread against two at
growing sizes (the serial path switched off, alternating, medians) and prints
the work at which two threads first run at least 1.2x faster. Run it on an
idle machine: ``.venv/bin/python scripts/measure-serial-thresholds.py``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import fastmath as fm
from fastmath import metrics, optim, stats
from fastmath._config import threads
from fastmath.bench.timing import measure, quartiles


def _cases(rng):
    """kind -> [(label, make(n) -> (call, work))]."""
    def softmax(n):
        x = rng.standard_normal((max(1, n // 64), 64))
        return (lambda: fm.softmax(x)), x.size

    def adam(n):
        p, g = np.zeros(n), rng.standard_normal(n)
        opt = optim.Adam(p, lr=1e-6)
        return (lambda: opt.step(g)), n

    def pool(n):
        x = rng.standard_normal((max(1, n // 256), 1, 16, 16))
        return (lambda: fm.max_pool2d(x, 2)), x.size

    def spmv(n):
        rows, nnz = max(1, n // 10), max(1, n - n // 10)
        A = sp.csr_matrix((np.ones(nnz), (rng.integers(0, rows, nnz),
                                          rng.integers(0, 1000, nnz))), shape=(rows, 1000))
        x = np.ones(A.shape[1])
        return (lambda: fm.spmv(A, x)), A.nnz + A.shape[0]

    def conv(n):
        x = rng.standard_normal((max(1, n // 4608), 8, 8, 8))
        w = rng.standard_normal((8, 8, 3, 3))
        return (lambda: fm.conv2d(x, w, padding=1)), x.shape[0] * 8 * 64 * 8 * 9

    def moments(n):
        X = rng.standard_normal((max(2, n // 64), 8))
        return (lambda: stats.RunningMoments().update(X)), X.shape[0] * 64

    def auc(n):
        y, s = np.arange(n) % 2, rng.random(n)
        return (lambda: metrics.roc_auc_score(y, s)), n

    return {
        "transcendental": [("softmax", softmax)],
        "elementwise": [("Adam.step", adam), ("max_pool2d", pool)],
        "sparse": [("spmv", spmv)],
        "flops": [("conv2d", conv), ("RunningMoments", moments)],
        "sort": [("roc_auc_score", auc)],
    }


def crossover(make, sizes):
    """(work, speedup of 2 threads) per size, and the first work where 2 threads win by 1.2x."""
    rows, first = [], None
    for n in sizes:
        call, work = make(n)
        one = lambda: _limited(call, 1)  # noqa: E731
        two = lambda: _limited(call, 2)  # noqa: E731
        one(), two()
        samples = measure({"1": one, "2": two}, budget_s=0.4, min_repeat=7)
        speedup = quartiles(samples["1"])[0] / quartiles(samples["2"])[0]
        rows.append((work, speedup))
        if first is None and speedup >= 1.2:
            first = work
    return rows, first


def _limited(call, n):
    with fm.thread_limit(n):
        return call()


def main():
    rng = np.random.default_rng(0)
    saved = dict(threads.SERIAL_WORK)
    threads.SERIAL_WORK.update({k: 0 for k in saved})  # measure the parallel path everywhere
    try:
        sizes = [4 ** k for k in range(2, 12)]
        for kind, cases in _cases(rng).items():
            for label, make in cases:
                rows, first = crossover(make, sizes)
                table = ", ".join(f"{w:,}: {s:.2f}x" for w, s in rows)
                print(f"{kind:15s} {label:15s} two threads win from work {first}; {table}",
                      flush=True)
    finally:
        threads.SERIAL_WORK.update(saved)


if __name__ == "__main__":
    main()
