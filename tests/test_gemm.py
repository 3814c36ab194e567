"""The strided, accumulating GEMM helper of the numba kernels (fastmath._gemm)."""
import numpy as np
import pytest

from fastmath._gemm import gemm

DTYPES = [np.float32, np.float64]


def _views(rng, dtype, m, k, n):
    """(a, b) operand pairs of shapes (m, k), (k, n): contiguous, transposed,
    column ranges of wider buffers, rows of a strided buffer."""
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    wide_a = rng.standard_normal((m, k + 7)).astype(dtype)
    wide_a[:, 3:3 + k] = a
    wide_b = rng.standard_normal((k + 2, n + 5)).astype(dtype)
    wide_b[1:1 + k, 2:2 + n] = b
    yield a, b
    yield np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T  # F-ordered
    yield wide_a[:, 3:3 + k], wide_b[1:1 + k, 2:2 + n]
    yield np.ascontiguousarray(wide_a.T)[3:3 + k].T, b  # a transposed range of rows


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(7, 9, 11), (1, 5, 3), (4, 1, 6), (5, 6, 1), (64, 48, 128)])
@pytest.mark.parametrize("beta", [0.0, 1.0, -0.5])
def test_matches_numpy(dtype, m, k, n, beta):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    for a, b in _views(rng, dtype, m, k, n):
        buf = rng.standard_normal((m + 3, n + 4)).astype(dtype)
        before = buf.copy()
        c = buf[2:2 + m, 1:1 + n]  # a view whose rows are n + 4 apart
        expected = a.astype(np.float64) @ b.astype(np.float64) + beta * c.astype(np.float64)
        gemm(a, b, c, beta)
        tol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(c, expected, rtol=tol, atol=tol * k)
        outside = np.ones(buf.shape, bool)
        outside[2:2 + m, 1:1 + n] = False
        np.testing.assert_array_equal(buf[outside], before[outside])


@pytest.mark.parametrize("dtype", DTYPES)
def test_beta_zero_ignores_nan_in_c(dtype):
    a, b = np.ones((3, 2), dtype), np.ones((2, 4), dtype)
    c = np.full((3, 4), np.nan, dtype)
    gemm(a, b, c, 0.0)
    np.testing.assert_array_equal(c, np.full((3, 4), 2, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty(dtype):
    c = np.full((3, 4), 2, dtype)
    gemm(np.ones((3, 0), dtype), np.ones((0, 4), dtype), c, 0.5)
    np.testing.assert_array_equal(c, np.ones((3, 4), dtype))
    gemm(np.ones((3, 0), dtype), np.ones((0, 4), dtype), c, 0.0)
    np.testing.assert_array_equal(c, np.zeros((3, 4), dtype))
    gemm(np.ones((0, 2), dtype), np.ones((2, 4), dtype), np.ones((0, 4), dtype), 1.0)


def test_bad_operands():
    a, b, c = np.ones((3, 2)), np.ones((2, 4)), np.ones((3, 4))
    with pytest.raises(ValueError, match="shapes"):
        gemm(a, b[:1], c, 0.0)
    with pytest.raises(ValueError, match="shapes"):
        gemm(a, b, c[:2], 0.0)
    with pytest.raises(ValueError, match="unit stride"):
        gemm(np.ones((6, 4))[::2, ::2], b, c, 0.0)
    with pytest.raises(ValueError, match="unit stride"):
        gemm(a, b, np.ones((4, 3)).T, 0.0)
    with pytest.raises(ValueError, match="negative"):
        gemm(a[::-1], b, c, 0.0)
    with pytest.raises(ValueError, match="dtypes"):
        gemm(a.astype(np.float32), b, c, 0.0)
