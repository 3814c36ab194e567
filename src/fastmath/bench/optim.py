"""Benchmark cases of the optimization family (issue targets in ``target``)."""
from __future__ import annotations

import numpy as np

from fastmath.optim import Adam

from .peers import torch_peer
from .timing import Case

FAMILY = "optim"
KERNELS = ("Adam.step", "SGDClassifier")  # what --kernel can select


def _numpy_adam(p, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """A careful NumPy Adam step: in-place ufuncs, one temporary."""
    m *= b1
    m += (1 - b1) * g
    v *= b2
    tmp = g * g
    tmp *= 1 - b2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp /= np.sqrt(1 - b2 ** t)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - b1 ** t)
    p -= tmp


def _adam(rng, n):
    for dtype in (np.float32, np.float64):
        p = rng.standard_normal(n).astype(dtype)
        g = rng.standard_normal(n).astype(dtype) * 1e-3
        opt = Adam(p.copy(), lr=1e-3)
        state = {"p": p.copy(), "m": np.zeros_like(p), "v": np.zeros_like(p), "t": 0}

        def numpy_step(state=state, g=g):
            state["t"] += 1
            _numpy_adam(state["p"], g, state["m"], state["v"], state["t"])

        case = Case(FAMILY, "Adam.step", f"{n:,} params", dtype.__name__,
                    lambda opt=opt, g=g: opt.step(g), {"numpy": numpy_step}, 4.0, "numpy")
        torch, why = torch_peer()
        if torch is None:
            case.skipped["torch (fused)"] = why
        else:
            tp = torch.tensor(p.copy(), requires_grad=True)
            tp.grad = torch.from_numpy(g.copy())
            try:
                topt = torch.optim.Adam([tp], lr=1e-3, fused=True)
                topt.step()
                case.peers["torch (fused)"] = topt.step
            except (RuntimeError, ValueError) as exc:  # fused CPU Adam missing in this build
                case.skipped["torch (fused)"] = f"torch fused Adam unavailable: {exc}"
        yield case


def _sgd_case(kernel, label, X, y, target, n_jobs=None, **params):
    from sklearn import linear_model as sk

    from fastmath.linear_model import SGDClassifier

    params = dict(max_iter=5, tol=None, random_state=0, **params)
    ours = SGDClassifier(n_jobs=n_jobs, **params)
    theirs = sk.SGDClassifier(n_jobs=n_jobs, **params)
    return Case(FAMILY, kernel, label, X.dtype.name, lambda: ours.fit(X, y),
                {"sklearn": lambda: theirs.fit(X, y)}, target, "sklearn")


def _sgd_dense(rng, n, d):
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(np.int64)
    for penalty, target in (("l2", 3.0), ("l1", 5.0), ("elasticnet", 5.0)):
        yield _sgd_case("SGDClassifier", f"log_loss {penalty}, {n:,}x{d}, 5 epochs", X, y,
                        target, loss="log_loss", penalty=penalty)


def _sgd_sparse(rng, n, d, nnz_per_row):
    import scipy.sparse as sp

    nnz = n * nnz_per_row
    X = sp.csr_matrix((rng.random(nnz), rng.integers(0, d, nnz),
                       np.arange(0, nnz + 1, nnz_per_row)), shape=(n, d))
    X.sum_duplicates()
    y = (X @ rng.standard_normal(d) > 0).astype(np.int64)
    yield _sgd_case("SGDClassifier", f"hinge l2, CSR {n:,}x{d:,} ({nnz_per_row} nnz/row), "
                    "5 epochs", X, y, 2.0, loss="hinge")


def _sgd_ovr(rng, n, d, k):
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal((d, k))).argmax(axis=1)
    yield _sgd_case("SGDClassifier", f"{k}-class OvR hinge, {n:,}x{d}, 5 epochs, n_jobs=2", X, y,
                    2.0, n_jobs=2, loss="hinge")


def cases(quick: bool = False, seed: int = 0):
    """Yield the family's cases one at a time (each builds its own data)."""
    rng = np.random.default_rng(seed)
    yield from _adam(rng, 1_000_000 if quick else 10_000_000)
    scale = 10 if quick else 1
    yield from _sgd_dense(rng, 200_000 // scale, 100)
    yield from _sgd_sparse(rng, 500_000 // scale, 10_000, 10)
    yield from _sgd_ovr(rng, 100_000 // scale, 50, 10)
