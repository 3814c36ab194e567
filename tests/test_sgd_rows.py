"""The SGD row operations give the same numbers for dense and CSR rows, and NumPy's."""
import numba
import numpy as np
import pytest
import scipy.sparse as sp

from fastmath.linear_model._sgd_rows import (
    CsrRows,
    DenseRows,
    row_add_average,
    row_axpy,
    row_dot,
    row_sqnorm,
)


@numba.njit
def _apply(rows, w, aw, i, c):
    dot = row_dot(rows, w, i)
    sq = row_sqnorm(rows, i)
    dsq, dl1 = row_axpy(rows, w, i, c, True)
    row_add_average(rows, aw, i, c, 0.5)
    return dot, sq, dsq, dl1


def _both(X, dtype, index):
    csr = sp.csr_matrix(X)
    return [DenseRows(np.ascontiguousarray(X, dtype)),
            CsrRows(csr.indptr.astype(index), csr.indices.astype(index), csr.data.astype(dtype))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_row_operations_match_numpy(dtype, index):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 7)) * (rng.random((5, 7)) < 0.4)
    X[3] = 0.0  # an empty row
    w0 = rng.standard_normal(7)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for i in range(X.shape[0]):
        x = X[i].astype(dtype).astype(np.float64)
        for rows in _both(X, dtype, index):
            w = w0.astype(dtype)
            aw = np.zeros(7, dtype)
            dot, sq, dsq, dl1 = _apply(rows, w, aw, i, dtype(0.25))
            w_ref = w0.astype(dtype).astype(np.float64)
            new = w_ref + 0.25 * x
            np.testing.assert_allclose(dot, w_ref @ x, rtol=rtol, atol=1e-6)
            np.testing.assert_allclose(sq, x @ x, rtol=rtol)
            np.testing.assert_allclose(w, new, rtol=rtol)
            np.testing.assert_allclose(dsq, new @ new - w_ref @ w_ref, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(dl1, np.abs(new).sum() - np.abs(w_ref).sum(),
                                       rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(aw, -0.5 * 0.25 * x, rtol=rtol)
