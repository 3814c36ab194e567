"""Benchmark cases of the matrix-ops family (issue targets in ``target``)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.special
from sklearn.metrics.pairwise import euclidean_distances

import fastmath as fm

from .peers import torch_peer
from .timing import Case

FAMILY = "matrix"
KERNELS = ("matmul", "linear", "gram", "pairwise_sqdist", "spmm", "spmv", "softmax", "logsumexp")  # what --kernel can select
DTYPES = (np.float32, np.float64)


def _torch_or_skip(case: Case, make):
    """Add the torch peer to ``case`` (``make(torch)`` builds its callable)."""
    torch, why = torch_peer()
    if torch is None:
        case.skipped["torch"] = why
    else:
        case.peers["torch"] = make(torch)
    return case


def _matmul(rng, quick):
    for n in (256,) if quick else (512, 1024, 2048):
        for dt in DTYPES:
            a = rng.standard_normal((n, n)).astype(dt)
            b = rng.standard_normal((n, n)).astype(dt)
            case = Case(FAMILY, "matmul", f"{n}x{n} @ {n}x{n}", dt.__name__,
                        lambda a=a, b=b: fm.matmul(a, b),
                        {"numpy": lambda a=a, b=b: np.matmul(a, b)}, 0.9, "numpy")
            yield _torch_or_skip(case, lambda t, a=a, b=b: (
                lambda ta=t.from_numpy(a), tb=t.from_numpy(b): t.matmul(ta, tb)))


def _batched(rng, quick):
    count = 10_000 if quick else 100_000
    for s in (4, 8, 16):
        for dt in DTYPES:
            a = rng.standard_normal((count, s, s)).astype(dt)
            b = rng.standard_normal((count, s, s)).astype(dt)
            case = Case(FAMILY, "matmul", f"{count} x ({s}x{s} @ {s}x{s})", dt.__name__,
                        lambda a=a, b=b: fm.matmul(a, b),
                        {"numpy": lambda a=a, b=b: np.matmul(a, b)}, 5.0, "numpy")
            yield _torch_or_skip(case, lambda t, a=a, b=b: (
                lambda ta=t.from_numpy(a), tb=t.from_numpy(b): t.matmul(ta, tb)))


def _linear(rng, quick):
    n, d = (1024, 256) if quick else (4096, 512)
    for dt in DTYPES:
        x = rng.standard_normal((n, d)).astype(dt)
        w = rng.standard_normal((d, d)).astype(dt)
        b = rng.standard_normal(d).astype(dt)
        case = Case(FAMILY, "linear", f"relu, n={n}, {d}->{d}", dt.__name__,
                    lambda: fm.linear(x, w, b, "relu"),
                    {"numpy": lambda: np.maximum(x @ w + b, 0)}, 1.3, "numpy")
        yield _torch_or_skip(case, lambda t: (
            lambda tx=t.from_numpy(x), tw=t.from_numpy(w), tb=t.from_numpy(b):
            t.relu(t.addmm(tb, tx, tw))))


def _gram(rng, quick):
    n, d = (5000, 64) if quick else (100_000, 128)
    for dt in DTYPES:
        a = rng.standard_normal((n, d)).astype(dt)
        w = rng.random(n).astype(dt)
        yield Case(FAMILY, "gram", f"{n}x{d}", dt.__name__, lambda: fm.gram(a),
                   {"numpy": lambda: a.T @ a})
        yield Case(FAMILY, "gram", f"{n}x{d} weighted", dt.__name__, lambda: fm.gram(a, w),
                   {"numpy": lambda: a.T @ (a * w[:, None])})


def _sqdist(rng, quick):
    n, d = (1000, 64) if quick else (5000, 64)
    for dt in DTYPES:
        x = rng.standard_normal((n, d)).astype(dt)
        y = rng.standard_normal((n, d)).astype(dt)
        yield Case(FAMILY, "pairwise_sqdist", f"{n}x{n}, d={d}", dt.__name__,
                   lambda: fm.pairwise_sqdist(x, y),
                   {"sklearn": lambda: euclidean_distances(x, y, squared=True)}, 1.5, "sklearn")
        yield Case(FAMILY, "pairwise_sqdist", f"{n}x{n}, d={d}, y=None", dt.__name__,
                   lambda: fm.pairwise_sqdist(x),
                   {"sklearn": lambda: euclidean_distances(x, squared=True)}, 1.5, "sklearn")


def _sparse(rng, quick):
    n_rows, n_cols, nnz, k = (20_000, 5_000, 500_000, 64) if quick else (200_000, 50_000, 5_000_000, 64)
    rows = rng.integers(0, n_rows, nnz)
    # power-law column popularity, as in interaction data
    cols = np.minimum((rng.pareto(1.2, nnz) * n_cols / 50).astype(np.int64), n_cols - 1)
    for dt in DTYPES:
        A = sp.csr_matrix((rng.standard_normal(nnz).astype(dt), (rows, cols)), shape=(n_rows, n_cols))
        B = rng.standard_normal((n_cols, k)).astype(dt)
        x = rng.standard_normal(n_cols).astype(dt)
        yield Case(FAMILY, "spmm", f"CSR {n_rows}x{n_cols} nnz={A.nnz} @ {n_cols}x{k}", dt.__name__,
                   lambda A=A, B=B: fm.spmm(A, B), {"scipy": lambda A=A, B=B: A @ B}, 1.7, "scipy")
        yield Case(FAMILY, "spmv", f"CSR {n_rows}x{n_cols} nnz={A.nnz}", dt.__name__,
                   lambda A=A, x=x: fm.spmv(A, x), {"scipy": lambda A=A, x=x: A @ x})


def _softmax(rng, quick):
    n = 1024 if quick else 4096
    for dt in DTYPES:
        x = (rng.standard_normal((n, n)) * 10).astype(dt)
        case = Case(FAMILY, "softmax", f"{n}x{n}, axis=-1", dt.__name__,
                    lambda x=x: fm.softmax(x, axis=-1),
                    {"scipy": lambda x=x: scipy.special.softmax(x, axis=-1)}, 2.0, "scipy")
        yield _torch_or_skip(case, lambda t, x=x: (lambda tx=t.from_numpy(x): t.softmax(tx, -1)))
        yield Case(FAMILY, "logsumexp", f"{n}x{n}, axis=-1", dt.__name__,
                   lambda x=x: fm.logsumexp(x, axis=-1),
                   {"scipy": lambda x=x: scipy.special.logsumexp(x, axis=-1)})


def cases(quick: bool = False, seed: int = 0):
    """Yield the family's cases one at a time (each builds its own data)."""
    rng = np.random.default_rng(seed)
    for make in (_matmul, _batched, _linear, _gram, _sqdist, _sparse, _softmax):
        yield from make(rng, quick)
