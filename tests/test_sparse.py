import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref


def _random_csr(rng, shape, density, dtype, index_dtype=np.int32):
    A = sp.random(*shape, density=density, format="csr", random_state=rng, dtype=dtype)
    A.indptr = A.indptr.astype(index_dtype)
    A.indices = A.indices.astype(index_dtype)
    return A


@pytest.fixture(params=[True, False], ids=["gathered", "scalar"])
def row_sums(request, monkeypatch):
    """spmv's two row-sum kernels, whichever this CPU would pick."""
    monkeypatch.setattr("fastmath.linalg.sparse.fast_gathers", lambda: request.param)
    return request.param


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(50, 30), (1, 1), (200, 7), (3, 400)])
def test_matches_reference(rng, dtype, index_dtype, layout, shape, row_sums):
    A = _random_csr(rng, shape, 0.2, dtype, index_dtype)
    x = in_layout(rng.standard_normal(shape[1]).astype(dtype), layout)
    B = in_layout(rng.standard_normal((shape[1], 5)).astype(dtype), layout)
    got_v, got_m = fm.spmv(A, x), fm.spmm(A, B)
    assert got_v.dtype == dtype and got_m.dtype == dtype
    np.testing.assert_allclose(got_v, ref.spmv(A, x), **tol(dtype, 10))
    np.testing.assert_allclose(got_m, ref.spmm(A, B), **tol(dtype, 10))


@pytest.mark.parametrize("fmt", ["coo", "csc", "lil", "dok", "bsr", "dia"])
def test_any_sparse_format(rng, fmt):
    A = sp.random(20, 10, density=0.3, format=fmt, random_state=0)
    B = rng.standard_normal((10, 3))
    np.testing.assert_allclose(fm.spmm(A, B), ref.spmm(A, B), rtol=1e-12, atol=1e-12)
    Aarr = sp.csr_array(A)
    np.testing.assert_allclose(fm.spmv(Aarr, B[:, 0]), ref.spmv(A, B[:, 0]), rtol=1e-12, atol=1e-12)


def test_power_law_rows_and_empty_rows(rng):
    rows = np.minimum(rng.pareto(1.0, 3000).astype(int), 99)
    cols = rng.integers(0, 40, 3000)
    A = sp.csr_matrix((rng.standard_normal(3000), (rows, cols)), shape=(100, 40))
    B = rng.standard_normal((40, 6))
    np.testing.assert_allclose(fm.spmm(A, B), ref.spmm(A, B), rtol=1e-12, atol=1e-12)


def test_empty_shapes(row_sums):
    assert fm.spmv(sp.csr_matrix((0, 4)), np.ones(4)).shape == (0,)
    np.testing.assert_array_equal(fm.spmv(sp.csr_matrix((3, 4)), np.ones(4)), 0)
    assert fm.spmm(sp.csr_matrix((3, 0)), np.ones((0, 2))).shape == (3, 2)
    assert fm.spmm(sp.csr_matrix((3, 4)), np.ones((4, 0))).shape == (3, 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_long_rows_of_both_row_sum_kernels(rng, dtype, row_sums):
    # rows of 0 to 3000 stored values: vector bodies, remainders and empty rows
    lengths = np.array([0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 3000])
    rows = np.repeat(np.arange(lengths.size), lengths)
    cols = rng.integers(0, 5000, rows.size)
    A = sp.csr_matrix((rng.uniform(-1, 1, rows.size).astype(dtype), (rows, cols)),
                      shape=(lengths.size, 5000))
    x = rng.uniform(-1, 1, 5000).astype(dtype)
    expected = A.astype(np.float64) @ x.astype(np.float64)
    np.testing.assert_allclose(fm.spmv(A, x), expected, **tol(dtype, 30))
    np.testing.assert_allclose(fm.spmv(fm.CSRHandle(A), x), expected, **tol(dtype, 30))


def test_nan_propagates(row_sums):
    A = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, np.nan]]))
    got = fm.spmv(A, np.array([1.0, 2.0]))
    assert got[0] == 1.0 and np.isnan(got[1])
    got = fm.spmv(sp.csr_matrix(np.eye(2)), np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(got, [np.inf, 1.0])


def _malformed(indptr, indices, data, shape):
    A = sp.csr_matrix((3, 3))
    A.indptr, A.indices, A.data = (np.asarray(indptr, np.int32), np.asarray(indices, np.int32),
                                   np.asarray(data, float))
    A._shape = shape
    return A


@pytest.mark.parametrize("parts, message", [
    (([0, 2, 1, 3], [0, 1, 2], [1.0, 2, 3]), "non-decreasing"),
    (([0, 1, 2, 3], [0, 5, 1], [1.0, 2, 3]), "column index 5 is out of range"),
    (([0, 1, 2, 3], [0, -1, 1], [1.0, 2, 3]), "column index -1 is out of range"),
    (([1, 1, 2, 3], [0, 1, 2], [1.0, 2, 3]), r"indptr\[0\] must be 0"),
    (([0, 1, 2, 9], [0, 1, 2], [1.0, 2, 3]), r"indptr\[-1\] = 9"),
    (([0, 1, 2], [0, 1, 2], [1.0, 2, 3]), "indptr must be 1-D of length"),
])
def test_malformed_csr_is_rejected(parts, message, row_sums):
    A = _malformed(*parts, (3, 3))
    with pytest.raises(ValueError, match=f"A is malformed: .*{message}|A is malformed.*{message}"):
        fm.spmv(A, np.ones(3))
    with pytest.raises(ValueError, match="A is malformed"):
        fm.spmm(A, np.ones((3, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("position", [0, 7, 8, 18, 19])
def test_an_out_of_range_index_anywhere_in_a_row_is_rejected(rng, dtype, index_dtype, position,
                                                           row_sums):
    # a row of 20 values is two full vectors of 8 and a masked tail of 4; the
    # bad index sits in the first lane, the last full lane, the second vector
    # or the tail, and is never read (huge ones included)
    info = np.iinfo(index_dtype)
    for bad in (40, -1, info.min, info.max, 2**33 if index_dtype == np.int64 else 2**31 - 1):
        indices = rng.integers(0, 40, 20).astype(index_dtype)
        indices[position] = bad
        A = _malformed([0, 0, 20, 20], [0] * 20, rng.standard_normal(20), (3, 40))
        A.indptr, A.indices = A.indptr.astype(index_dtype), indices
        A.data = A.data.astype(dtype)
        assert A.indices.dtype == index_dtype and A.indices[position] == bad
        with pytest.raises(ValueError, match=f"A is malformed: column index {bad} is out of "
                                             r"range \[0, 40\)"):
            fm.spmv(A, np.ones(40, dtype))


def test_masked_kernel_clamps_the_limit_of_int32_indices():
    from fastmath.linalg import _kernels as k
    from fastmath.linalg.sparse import _index_limit
    from fastmath._validation import CSR

    def csr(n_cols, index_dtype):
        return CSR(np.array([0, 3], index_dtype), np.array([0, 1, 2], index_dtype),
                   np.ones(3), (1, n_cols))

    assert _index_limit(csr(2**31 + 5, np.int32)) == 2**31
    assert _index_limit(csr(2**31 + 5, np.int64)) == 2**31 + 5
    assert _index_limit(csr(7, np.int32)) == 7
    # with a limit of 2**31 (more columns than int32 can index), -1 is still out
    # of range: as unsigned it is 2**32 - 1; no lane past x is gathered
    x, out, bounds = np.array([1.0, 2.0, 4.0]), np.zeros(1), np.array([0, 1], np.int64)
    indptr = np.array([0, 3], np.int32)
    assert k.csr_spmv_masked(indptr, np.array([0, -1, 2], np.int32), np.ones(3), x, bounds,
                             2**31, out)
    assert not k.csr_spmv_masked(indptr, np.array([0, 1, 2], np.int32), np.ones(3), x, bounds,
                                 2**31, out)
    assert out[0] == 7.0


def test_bad_input():
    A = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match=r"x must have 3 rows to match A of shape \(3, 3\), got x of shape \(4,\)"):
        fm.spmv(A, np.ones(4))
    with pytest.raises(ValueError, match=r"B must have 3 rows.*\(2, 2\)"):
        fm.spmm(A, np.ones((2, 2)))
    with pytest.raises(TypeError, match="A must be a scipy.sparse matrix"):
        fm.spmv(np.eye(3), np.ones(3))
    with pytest.raises(TypeError, match="x must be a dense array"):
        fm.spmv(A, sp.csr_matrix(np.ones((3, 1))))
    with pytest.raises(TypeError, match="A must hold real numbers"):
        fm.spmv(sp.csr_matrix(np.eye(3, dtype=complex)), np.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_handle_matches_reference(rng, dtype, index_dtype):
    A = _random_csr(rng, (60, 40), 0.1, dtype, index_dtype)
    H = fm.CSRHandle(A)
    x = rng.standard_normal(40).astype(dtype)
    B = rng.standard_normal((40, 3)).astype(dtype)
    assert H.shape == A.shape and H.nnz == A.nnz and H.dtype == dtype
    np.testing.assert_allclose(fm.spmv(H, x), ref.spmv(A, x), **tol(dtype, 10))
    np.testing.assert_allclose(fm.spmm(H, B), ref.spmm(A, B), **tol(dtype, 10))
    assert fm.CSRHandle(H).nnz == H.nnz


def test_handle_keeps_its_checked_structure(rng):
    A = _random_csr(rng, (30, 20), 0.2, np.float64)
    want = ref.spmv(A, np.ones(20))
    H = fm.CSRHandle(A)
    A.indices[0] = 10**6  # the original's structure breaks after the handle was made
    with pytest.raises(ValueError, match="A is malformed"):
        fm.spmv(A, np.ones(20))
    np.testing.assert_allclose(fm.spmv(H, np.ones(20)), want)  # the handle holds its own copy
    assert not H._csr.indices.flags.writeable and not H._csr.indptr.flags.writeable


def test_handle_sees_new_values(rng):
    A = _random_csr(rng, (30, 20), 0.2, np.float64)
    H = fm.CSRHandle(A)
    A.data *= 2.0  # same structure, new values: what repeated products are for
    np.testing.assert_allclose(fm.spmv(H, np.ones(20)), ref.spmv(A, np.ones(20)))


def test_handle_rejects_bad_input():
    bad = sp.csr_matrix((np.ones(2), np.array([0, 9]), np.array([0, 1, 2])), shape=(2, 3))
    with pytest.raises(ValueError, match="A is malformed"):
        fm.CSRHandle(bad)
    with pytest.raises(TypeError, match="A must be a scipy.sparse"):
        fm.CSRHandle(np.ones((2, 2)))
    with pytest.raises(ValueError, match="x must have 2 rows"):
        fm.spmv(fm.CSRHandle(sp.eye(2, format="csr")), np.ones(3))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (1, 1), (40, 30)])
def test_handle_layouts_and_edge_shapes(rng, layout, shape):
    A = _random_csr(rng, shape, 0.3, np.float64)
    H = fm.CSRHandle(A)
    x = in_layout(rng.standard_normal(shape[1]), layout)
    B = in_layout(rng.standard_normal((shape[1], 4)), layout)
    np.testing.assert_allclose(fm.spmv(H, x), ref.spmv(A, x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fm.spmm(H, B), ref.spmm(A, B), rtol=1e-12, atol=1e-12)


def test_handle_propagates_nan_and_converts_other_values_once():
    A = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], dtype=np.int64))
    H = fm.CSRHandle(A)
    assert H.dtype == np.float64
    A.data[:] = 100  # not float: the handle holds its own converted values
    np.testing.assert_array_equal(fm.spmv(H, np.ones(3)), [3.0, 3.0])
    np.testing.assert_array_equal(fm.spmv(H, np.array([1.0, np.nan, np.inf])),
                                  [np.inf, np.nan])
