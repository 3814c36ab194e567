import numpy as np
import pytest
import scipy.sparse as sp

from fastmath._validation import as_csr, as_float_array, check_out, check_shape, result_dtype


@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.int8, np.float64),
    (np.int64, np.float64), (np.uint16, np.float64), (np.bool_, np.float64), (np.float16, np.float64),
])
def test_dtype_policy(dtype, expected):
    assert as_float_array(np.ones(3, dtype), "x").dtype == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_byte_swapped_floats_keep_their_precision_in_native_order(dtype):
    """'>f4' data computes in float32 like '<f4' (NumPy keeps it float32); it was
    taken as 'not float32' and upcast to float64."""
    import fastmath as fm

    swapped = np.arange(6, dtype=dtype).reshape(2, 3).astype(np.dtype(dtype).newbyteorder())
    got = as_float_array(swapped, "x")
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, np.arange(6).reshape(2, 3))
    assert result_dtype(swapped.dtype, np.dtype(dtype)) == np.dtype(dtype)
    assert fm.softmax(swapped, axis=-1).dtype == np.dtype(dtype)
    assert fm.matmul(swapped, swapped.T).dtype == np.dtype(dtype)


@pytest.mark.parametrize("bad", [np.ones(2, complex), np.array(["a"]), np.array([object()]),
                                 np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_non_real_raises_type_error_naming_argument(bad):
    with pytest.raises(TypeError, match="^weights must hold real numbers"):
        as_float_array(bad, "weights")


def test_layout_kept_unless_contiguity_needed():
    f = np.asfortranarray(np.ones((3, 4)))
    assert as_float_array(f, "x") is f
    c = as_float_array(f, "x", c_contiguous=True)
    assert c.flags.c_contiguous
    neg = np.arange(10.0)[::-2]
    np.testing.assert_array_equal(as_float_array(neg, "x", c_contiguous=True), neg)


def test_shape_checks_name_expected_and_received():
    with pytest.raises(ValueError, match=r"^x must be 2-D, got 1-D array of shape \(3,\)"):
        as_float_array(np.ones(3), "x", ndim=2)
    with pytest.raises(ValueError, match=r"^b must have shape \(4, \*\), got \(3, 2\)"):
        check_shape(np.ones((3, 2)), (4, None), "b")
    with pytest.raises(ValueError, match=r"out must have shape \(2,\), got \(3,\)"):
        check_out(np.ones(3), (2,), np.dtype(np.float64))


def test_result_dtype():
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert result_dtype(f32, f32) == f32
    assert result_dtype(f32, f64) == f64


def test_csr_conversion_and_checks():
    A = sp.random(5, 4, density=0.5, format="coo", random_state=0)
    csr = as_csr(A, "A")
    assert csr.shape == (5, 4) and csr.nnz == A.nnz
    np.testing.assert_array_equal(
        sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape).toarray(), A.toarray())
    assert csr.indices.dtype == csr.indptr.dtype


def test_csr_int64_indices_kept():
    A = sp.csr_matrix(np.eye(3))
    A.indices = A.indices.astype(np.int64)
    A.indptr = A.indptr.astype(np.int64)
    csr = as_csr(A, "A")
    assert csr.indices.dtype == np.int64 and csr.indptr.dtype == np.int64


def test_csr_mixed_index_types_unified():
    A = sp.csr_matrix(np.eye(3))
    A.indptr = A.indptr.astype(np.int64)
    A.indices = A.indices.astype(np.int32)
    csr = as_csr(A, "A")
    assert csr.indices.dtype == csr.indptr.dtype == np.int64


def test_csr_rejects_dense():
    with pytest.raises(TypeError, match="user_items must be a scipy.sparse"):
        as_csr(np.eye(3), "user_items")
