"""Linear scores ``X @ coef.T + intercept`` for dense and sparse X."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._config.threads import kernel_threads


def linear_decision(X, coef, intercept) -> np.ndarray:
    """Scores of shape (n_samples, n_targets), in the dtype of ``coef``.

    ``coef`` may be sparse (after ``sparsify()``).
    """
    if sp.issparse(coef):
        scores = np.asarray((coef @ X.T).T.todense() if sp.issparse(X) else
                            (coef @ np.asarray(X, dtype=coef.dtype).T).T)
        return scores + np.asarray(intercept, dtype=scores.dtype)
    coef = np.atleast_2d(coef)
    if sp.issparse(X):
        scores = np.asarray(X @ coef.T)
    else:
        with kernel_threads(X.shape[0] * coef.size, "flops", blas="outside"):
            scores = np.asarray(X, dtype=coef.dtype) @ coef.T
    return scores + np.asarray(intercept, dtype=scores.dtype)
