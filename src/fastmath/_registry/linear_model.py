"""Registry rows of the SGD linear models (``fastmath.linear_model``)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._types import Case, Kernel

FAMILY = "linear_model"


def _classifier_example(dtype):
    """One dense and one sparse fit compile the whole trainer (dense and CSR rows)."""
    from fastmath.linear_model import SGDClassifier

    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], dtype)
    y = [0, 1, 2, 0]
    dense = SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    sparse = SGDClassifier(loss="log_loss", penalty="elasticnet", average=True, max_iter=2,
                           random_state=0).fit(sp.csr_matrix(X), y)
    return dense.predict(X), sparse.predict_proba(sp.csr_matrix(X))


def _regressor_example(dtype):
    from fastmath.linear_model import SGDRegressor

    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], dtype)
    return SGDRegressor(max_iter=2, tol=None, random_state=0).fit(X, [1.0, 2.0, 0.0, 1.0]).predict(X)


def _sgd_case(kernel, label, X, y, target, n_jobs=None, **params):
    from sklearn import linear_model as sk

    from fastmath.linear_model import SGDClassifier

    params = dict(max_iter=5, tol=None, random_state=0, **params)
    ours = SGDClassifier(n_jobs=n_jobs, **params)
    theirs = sk.SGDClassifier(n_jobs=n_jobs, **params)
    return Case(FAMILY, kernel, label, X.dtype.name, lambda: ours.fit(X, y),
                {"sklearn": lambda: theirs.fit(X, y)}, target, "sklearn")


def _classifier_cases(size, rng):
    scale = {"quick": 10, "asv": 4, "full": 1}[size]
    n, d = 200_000 // scale, 100
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(np.int64)
    for penalty, target in (("l2", 3.0), ("l1", 5.0), ("elasticnet", 5.0)):
        yield _sgd_case("SGDClassifier", f"log_loss {penalty}, {n:,}x{d}, 5 epochs", X, y,
                        target, loss="log_loss", penalty=penalty)
    n, d, per_row = 500_000 // scale, 10_000, 10
    nnz = n * per_row
    Xs = sp.csr_matrix((rng.random(nnz), rng.integers(0, d, nnz),
                        np.arange(0, nnz + 1, per_row)), shape=(n, d))
    Xs.sum_duplicates()
    ys = (Xs @ rng.standard_normal(d) > 0).astype(np.int64)
    yield _sgd_case("SGDClassifier", f"hinge l2, CSR {n:,}x{d:,} ({per_row} nnz/row), 5 epochs",
                    Xs, ys, 2.0, loss="hinge")
    n, d, k = 100_000 // scale, 50, 10
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal((d, k))).argmax(axis=1)
    yield _sgd_case("SGDClassifier", f"{k}-class OvR hinge, {n:,}x{d}, 5 epochs, n_jobs=2", X, y,
                    2.0, n_jobs=2, loss="hinge")


def _classifier_sweep(n, dtype, rng):
    from sklearn import linear_model as sk

    from fastmath.linear_model import SGDClassifier

    rows = max(4, n // 8)
    X = rng.standard_normal((rows, 8)).astype(dtype)
    y = np.arange(rows) % 2
    params = dict(max_iter=5, tol=None, random_state=0)
    ours, theirs = SGDClassifier(**params), sk.SGDClassifier(**params)
    return (lambda: ours.fit(X, y)), {"sklearn": lambda: theirs.fit(X, y)}


KERNELS = [
    Kernel("SGDClassifier", FAMILY, _classifier_example, _classifier_cases, _classifier_sweep,
           ("sklearn",)),
    Kernel("SGDRegressor", FAMILY, _regressor_example, peers=("sklearn",)),
]
