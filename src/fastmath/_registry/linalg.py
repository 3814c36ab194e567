"""Registry rows of the matrix-ops family (``fastmath.linalg``)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..bench.peers import add_torch
from ._types import Case, Kernel

FAMILY = "linalg"


def _fm():
    import fastmath.linalg as la

    return la


def _rand(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _csr(rng, n_rows, n_cols, nnz, dtype, index_dtype=np.int32):
    """A CSR matrix with power-law column popularity, as in interaction data."""
    rows = rng.integers(0, n_rows, nnz)
    cols = np.minimum((rng.pareto(1.2, nnz) * n_cols / 50).astype(np.int64), n_cols - 1)
    A = sp.csr_matrix((rng.standard_normal(nnz).astype(dtype), (rows, cols)), shape=(n_rows, n_cols))
    A.indices, A.indptr = A.indices.astype(index_dtype), A.indptr.astype(index_dtype)
    return A


# --- examples: one small call per dtype, every compiled path -------------------

def _matmul_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    x, w = _rand(rng, (8, 4), dtype), _rand(rng, (4, 3), dtype)
    stack, square = _rand(rng, (2, 3, 4), dtype), _rand(rng, (2, 4, 4), dtype)
    # the stacked kernels are compiled per (k, n): the bench's three squares
    squares = [_rand(rng, (2, s, s), dtype) for s in (8, 16)]
    return la.matmul(x, w), la.matmul(stack, square), *(la.matmul(q, q) for q in squares)


def _linear_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    x, w = _rand(rng, (8, 4), dtype), _rand(rng, (4, 3), dtype)
    return [la.linear(x, w, np.zeros(3, dtype), act) for act in (None, "relu", "sigmoid", "tanh")]


def _linear_backward_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    x, w = _rand(rng, (8, 4), dtype), _rand(rng, (4, 3), dtype)
    y = la.linear(x, w, None, "relu")
    return la.linear_backward(y, x, w, y, "relu"), la.linear_backward(y, x, w)


def _gram_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    a = _rand(rng, (8, 4), dtype)
    return la.gram(a), la.gram(a, np.ones(8, dtype))


def _pairwise_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    x = _rand(rng, (8, 4), dtype)
    nan_x = x.copy()
    nan_x[0, 0] = np.nan
    return la.pairwise_sqdist(nan_x), la.pairwise_sqdist(x, nan_x)


def _sparse_example(name):
    """scipy's int32 indices; int64 ones (over 2**31 stored values) compile on first use."""
    def example(dtype):
        la, rng = _fm(), np.random.default_rng(0)
        x = _rand(rng, (4, 4), dtype)
        A = _csr(rng, 8, 4, 16, dtype)
        return la.spmv(A, x[0]) if name == "spmv" else la.spmm(A, x)
    return example


def _softmax_example(name):
    def example(dtype):
        la = _fm()
        x = _rand(np.random.default_rng(0), (8, 4), dtype)
        return getattr(la, name)(x, axis=-1), getattr(la, name)(x, axis=0)
    return example


def _handle_example(dtype):
    la, rng = _fm(), np.random.default_rng(0)
    A = la.CSRHandle(_csr(rng, 6, 5, 12, dtype))
    return la.spmv(A, _rand(rng, 5, dtype)), la.spmm(A, _rand(rng, (5, 3), dtype))


# --- benchmark cases -----------------------------------------------------------

def _matmul_cases(size, rng):
    la = _fm()
    sizes = {"quick": (256,), "asv": (768,), "full": (512, 1024, 2048)}[size]
    for n in sizes:
        for dt in (np.float32, np.float64):
            a, b = _rand(rng, (n, n), dt), _rand(rng, (n, n), dt)
            case = Case(FAMILY, "matmul", f"{n}x{n} @ {n}x{n}", dt.__name__,
                        lambda a=a, b=b: la.matmul(a, b),
                        {"numpy": lambda a=a, b=b: np.matmul(a, b)}, 0.9, "numpy")
            yield add_torch(case, lambda t, a=a, b=b: (
                lambda ta=t.from_numpy(a), tb=t.from_numpy(b): t.matmul(ta, tb)))
    count = {"quick": 10_000, "asv": 100_000, "full": 100_000}[size]
    for s in (4, 8, 16):
        for dt in (np.float32, np.float64):
            a, b = _rand(rng, (count, s, s), dt), _rand(rng, (count, s, s), dt)
            case = Case(FAMILY, "matmul", f"{count} x ({s}x{s} @ {s}x{s})", dt.__name__,
                        lambda a=a, b=b: la.matmul(a, b),
                        {"numpy": lambda a=a, b=b: np.matmul(a, b)}, 5.0, "numpy")
            yield add_torch(case, lambda t, a=a, b=b: (
                lambda ta=t.from_numpy(a), tb=t.from_numpy(b): t.matmul(ta, tb)))


def _linear_cases(size, rng):
    la = _fm()
    n, d = (1024, 256) if size == "quick" else (4096, 512)
    for dt in (np.float32, np.float64):
        x, w, b = _rand(rng, (n, d), dt), _rand(rng, (d, d), dt), _rand(rng, d, dt)
        case = Case(FAMILY, "linear", f"relu, n={n}, {d}->{d}", dt.__name__,
                    lambda x=x, w=w, b=b: la.linear(x, w, b, "relu"),
                    {"numpy": lambda x=x, w=w, b=b: np.maximum(x @ w + b, 0)}, 1.3, "numpy")
        yield add_torch(case, lambda t, x=x, w=w, b=b: (
            lambda tx=t.from_numpy(x), tw=t.from_numpy(w), tb=t.from_numpy(b):
            t.relu(t.addmm(tb, tx, tw))))


def _linear_backward_cases(size, rng):
    la = _fm()
    n, d = (1024, 256) if size == "quick" else (4096, 512)
    for dt in (np.float32, np.float64):
        x, w = _rand(rng, (n, d), dt), _rand(rng, (d, d), dt)
        y = la.linear(x, w, None, "relu")
        g = _rand(rng, (n, d), dt)

        def numpy_backward(x=x, w=w, y=y, g=g):
            pre = g * (y > 0)
            return pre @ w.T, x.T @ pre, pre.sum(axis=0)

        yield Case(FAMILY, "linear_backward", f"relu, n={n}, {d}->{d}", dt.__name__,
                   lambda x=x, w=w, y=y, g=g: la.linear_backward(g, x, w, y, "relu"),
                   {"numpy": numpy_backward})


def _gram_cases(size, rng):
    la = _fm()
    n, d = {"quick": (5000, 64), "asv": (50_000, 64), "full": (100_000, 128)}[size]
    for dt in (np.float32, np.float64):
        a, w = _rand(rng, (n, d), dt), rng.random(n).astype(dt)
        yield Case(FAMILY, "gram", f"{n}x{d}", dt.__name__, lambda a=a: la.gram(a),
                   {"numpy": lambda a=a: a.T @ a})
        yield Case(FAMILY, "gram", f"{n}x{d} weighted", dt.__name__, lambda a=a, w=w: la.gram(a, w),
                   {"numpy": lambda a=a, w=w: a.T @ (a * w[:, None])})


def _pairwise_cases(size, rng):
    from sklearn.metrics.pairwise import euclidean_distances

    la = _fm()
    n, d = {"quick": (1000, 64), "asv": (2000, 64), "full": (5000, 64)}[size]
    for dt in (np.float32, np.float64):
        x, y = _rand(rng, (n, d), dt), _rand(rng, (n, d), dt)
        yield Case(FAMILY, "pairwise_sqdist", f"{n}x{n}, d={d}", dt.__name__,
                   lambda x=x, y=y: la.pairwise_sqdist(x, y),
                   {"sklearn": lambda x=x, y=y: euclidean_distances(x, y, squared=True)},
                   1.5, "sklearn")
        yield Case(FAMILY, "pairwise_sqdist", f"{n}x{n}, d={d}, y=None", dt.__name__,
                   lambda x=x: la.pairwise_sqdist(x),
                   {"sklearn": lambda x=x: euclidean_distances(x, squared=True)}, 1.5, "sklearn")


def _sparse_shape(size):
    return {"quick": (20_000, 5_000, 500_000), "asv": (100_000, 20_000, 2_000_000),
            "full": (200_000, 50_000, 5_000_000)}[size]


def _spmm_cases(size, rng):
    la = _fm()
    n_rows, n_cols, nnz = _sparse_shape(size)
    for dt in (np.float32, np.float64):
        A, B = _csr(rng, n_rows, n_cols, nnz, dt), _rand(rng, (n_cols, 64), dt)
        yield Case(FAMILY, "spmm", f"CSR {n_rows}x{n_cols} nnz={A.nnz} @ {n_cols}x64", dt.__name__,
                   lambda A=A, B=B: la.spmm(A, B), {"scipy": lambda A=A, B=B: A @ B}, 1.7, "scipy")


def _spmv_cases(size, rng):
    la = _fm()
    n_rows, n_cols, nnz = _sparse_shape(size)
    for dt in (np.float32, np.float64):
        A, x = _csr(rng, n_rows, n_cols, nnz, dt), _rand(rng, n_cols, dt)
        yield Case(FAMILY, "spmv", f"CSR {n_rows}x{n_cols} nnz={A.nnz}", dt.__name__,
                   lambda A=A, x=x: la.spmv(A, x), {"scipy": lambda A=A, x=x: A @ x},
                   1.0, "scipy")
        handle = la.CSRHandle(A)  # checked once: what repeated products pay
        yield Case(FAMILY, "spmv", f"CSRHandle {n_rows}x{n_cols} nnz={A.nnz}", dt.__name__,
                   lambda H=handle, x=x: la.spmv(H, x), {"scipy": lambda A=A, x=x: A @ x},
                   1.0, "scipy")


def _softmax_cases(name):
    def cases(size, rng):
        import scipy.special

        la = _fm()
        n = {"quick": 1024, "asv": 2048, "full": 4096}[size]
        for dt in (np.float32, np.float64):
            x = _rand(rng, (n, n), dt, 10.0)
            ours, peer = getattr(la, name), getattr(scipy.special, name)
            case = Case(FAMILY, name, f"{n}x{n}, axis=-1", dt.__name__,
                        lambda x=x: ours(x, axis=-1), {"scipy": lambda x=x: peer(x, axis=-1)},
                        2.0, "scipy")
            if name == "softmax":
                add_torch(case, lambda t, x=x: (lambda tx=t.from_numpy(x): t.softmax(tx, -1)))
            yield case
    return cases


# --- sweeps: one kernel over sizes, against its main peer --------------------------

def _softmax_sweep(name):
    def sweep(n, dtype, rng):
        import scipy.special

        la = _fm()
        rows = max(1, n // 1024)
        x = _rand(rng, (rows, max(1, n // rows)), dtype)
        ours, peer = getattr(la, name), getattr(scipy.special, name)
        return (lambda: ours(x, axis=-1)), {"scipy": lambda: peer(x, axis=-1)}
    return sweep


def _sparse_sweep(name):
    def sweep(n, dtype, rng):
        la = _fm()
        n_rows = max(1, n // 10)
        A = _csr(rng, n_rows, max(1, n_rows // 4), n, dtype)
        if name == "spmv":
            x = _rand(rng, A.shape[1], dtype)
            return (lambda: la.spmv(A, x)), {"scipy": lambda: A @ x}
        B = _rand(rng, (A.shape[1], 16), dtype)
        return (lambda: la.spmm(A, B)), {"scipy": lambda: A @ B}
    return sweep


def _matmul_sweep(n, dtype, rng):
    la = _fm()
    a = _rand(rng, (max(1, n // 16), 4, 4), dtype)
    return (lambda: la.matmul(a, a)), {"numpy": lambda: np.matmul(a, a)}


def _pairwise_sweep(n, dtype, rng):
    from sklearn.metrics.pairwise import euclidean_distances

    la = _fm()
    rows = max(1, int(np.sqrt(n / 16)))
    x = _rand(rng, (rows, 16), dtype)
    return (lambda: la.pairwise_sqdist(x, x)), {
        "sklearn": lambda: euclidean_distances(x, x, squared=True)}


def _linear_sweep(n, dtype, rng):
    la = _fm()
    rows = max(1, n // 64)
    x, w, b = _rand(rng, (rows, 64), dtype), _rand(rng, (64, 64), dtype), _rand(rng, 64, dtype)
    return (lambda: la.linear(x, w, b, "relu")), {"numpy": lambda: np.maximum(x @ w + b, 0)}


KERNELS = [
    Kernel("matmul", FAMILY, _matmul_example, _matmul_cases, _matmul_sweep, ("numpy", "torch")),
    Kernel("linear", FAMILY, _linear_example, _linear_cases, _linear_sweep, ("numpy", "torch")),
    Kernel("linear_backward", FAMILY, _linear_backward_example, _linear_backward_cases,
           peers=("numpy",)),
    Kernel("gram", FAMILY, _gram_example, _gram_cases, peers=("numpy",)),
    Kernel("pairwise_sqdist", FAMILY, _pairwise_example, _pairwise_cases, _pairwise_sweep,
           ("sklearn",)),
    Kernel("spmv", FAMILY, _sparse_example("spmv"), _spmv_cases, _sparse_sweep("spmv"),
           ("scipy",)),
    Kernel("spmm", FAMILY, _sparse_example("spmm"), _spmm_cases, _sparse_sweep("spmm"),
           ("scipy",)),
    Kernel("CSRHandle", FAMILY, _handle_example, None, peers=()),
    Kernel("softmax", FAMILY, _softmax_example("softmax"), _softmax_cases("softmax"),
           _softmax_sweep("softmax"), ("scipy", "torch")),
    Kernel("logsumexp", FAMILY, _softmax_example("logsumexp"), _softmax_cases("logsumexp"),
           _softmax_sweep("logsumexp"), ("scipy",)),
]
