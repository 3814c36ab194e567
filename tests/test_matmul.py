import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol
from hypothesis import given, settings
from hypothesis import strategies as st

import fastmath as fm
import reference as ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", [
    ((5, 7), (7, 3)),             # 2-D
    ((100, 4, 4), (100, 4, 4)),   # stacked 4x4 (vector kernel)
    ((50, 3, 4), (50, 4, 4)),     # (m, 4) @ (4, 4)
    ((6, 8, 8), (6, 8, 8)),       # stacked 8x8 (vector kernel)
    ((3, 16, 16), (3, 16, 16)),   # stacked 16x16 (vector kernel)
    ((5, 3, 8), (5, 8, 8)),       # (m, 8) @ (8, 8)
    ((9, 3, 5), (9, 5, 7)),       # odd widths: k = 5, n = 7
    ((4, 2, 16), (4, 16, 1)),     # n = 1
    ((7, 1, 16, 16), (1, 5, 16, 16)),  # broadcast both ways, 16x16 kernel
    ((2, 17, 16), (2, 16, 16)),   # m past the small kernels, short stack: BLAS
    ((16, 40, 16), (16, 16, 3)),  # m past 16, stack of 16: vector kernel
    ((3, 4, 17), (3, 17, 4)),     # k past the vector kernels: BLAS
    ((4, 8, 8), (8, 8)),          # one matrix against a stack
    ((2, 3, 5, 4), (3, 4, 2)),    # broadcast batch
    ((7, 1, 4, 4), (1, 5, 4, 4)), # broadcast both ways, small kernel
    ((4, 4), (9, 4, 4)),          # 2-D broadcast against a stack
    ((4,), (4, 4)),               # vector @ matrix
    ((3, 4), (4,)),               # matrix @ vector
    ((6, 4, 4), (4,)),
    ((1, 1), (1, 1)),
])
def test_matches_reference(rng, dtype, layout, shapes):
    a = in_layout(rng.standard_normal(shapes[0]).astype(dtype), layout)
    b = in_layout(rng.standard_normal(shapes[1]).astype(dtype), layout)
    got = fm.matmul(a, b)
    want = ref.matmul(a, b)
    assert got.dtype == dtype
    assert got.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(got, want, **tol(dtype, 10))


@pytest.mark.parametrize("shapes", [((0, 4, 4), (0, 4, 4)), ((3, 0), (0, 2)), ((2, 0, 4), (2, 4, 4)),
                                    ((0, 8, 8), (0, 8, 8)), ((2, 0, 16), (2, 16, 16)),
                                    ((5, 4, 4), (5, 4, 0))])
def test_empty(shapes):
    a, b = np.ones(shapes[0]), np.ones(shapes[1])
    got = fm.matmul(a, b)
    np.testing.assert_array_equal(got, np.matmul(a, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [4, 8, 16])
def test_nan_and_inf_propagate_like_numpy(dtype, k):
    a = np.ones((10, k, k), dtype)
    b = np.ones((10, k, k), dtype)
    a[1, 2, 3] = np.nan
    a[2, 0, 0] = np.inf
    b[3, 1, 1] = -np.inf
    a[3, 0, 1] = 0.0  # 0 * -inf -> NaN
    got = fm.matmul(a, b)
    with np.errstate(invalid="ignore"):
        want = np.matmul(a, b)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shapes, vector", [
    (((6, 8, 8), (6, 8, 8)), True),
    (((2, 16, 16), (16, 16)), True),
    (((16, 40, 16), (16, 16, 3)), True),
    (((2, 17, 16), (2, 16, 16)), False),   # more than 16 rows and fewer than 16 products
    (((3, 4, 17), (3, 17, 4)), False),     # k = 17
    (((3, 4, 4), (3, 4, 17)), False),      # n = 17
    (((8, 4), (4, 4)), False),             # no stack
])
def test_dispatch_between_vector_kernel_and_blas(monkeypatch, shapes, vector):
    from fastmath.linalg import products

    calls = []
    real = np.matmul
    monkeypatch.setattr(np, "matmul", lambda *a, **k: calls.append(1) or real(*a, **k))
    got = products.matmul(np.ones(shapes[0]), np.ones(shapes[1]))
    monkeypatch.setattr(np, "matmul", real)
    np.testing.assert_array_equal(got, np.matmul(np.ones(shapes[0]), np.ones(shapes[1])))
    assert (not calls) == vector


@pytest.mark.parametrize("dtype", DTYPES)
def test_vector_kernel_is_packed_fma(dtype):
    """Each output row is one packed FMA chain, not scalar code (numba's own
    loops over these rows stay scalar: SLP vectorization is off in numba)."""
    import re

    import numba

    from fastmath._config.jit import FASTMATH_FLAGS
    from fastmath.linalg._small_gemm import stacked_kernel

    kernel = numba.njit(stacked_kernel(8, 8).py_func, fastmath=set(FASTMATH_FLAGS),
                        error_model="numpy")  # a fresh compile: cached code has no assembly
    x, index = np.ones((2, 8, 8), dtype), np.arange(2)
    kernel(x, x, index, index, 1, np.empty_like(x))
    asm = kernel.inspect_asm(kernel.signatures[0])
    suffix = "ps" if dtype == np.float32 else "pd"
    assert re.search(rf"\tvfmadd\d+{suffix}\s+[^\n]*%[yz]mm", asm)
    assert not re.search(r"\tvfmadd\d+s[sd]\s", asm)


@pytest.mark.parametrize("ahead", [0, 1, 3, 50])
def test_stacked_kernel_prefetching_ahead_changes_nothing(rng, ahead):
    # a hint for products ahead, broadcast operands repeated and the last ones
    # with nothing ahead: every product as np.matmul's
    from fastmath.linalg._small_gemm import stacked_kernel

    a, b = rng.standard_normal((7, 5, 8)), rng.standard_normal((1, 8, 6))
    a_index, b_index = np.arange(7), np.zeros(7, np.int64)
    out = np.full((7, 5, 6), np.nan)
    stacked_kernel(8, 6)(a, b, a_index, b_index, ahead, out)
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-12, atol=1e-12)


def test_dtype_policy():
    i = np.arange(32).reshape(2, 4, 4)
    assert fm.matmul(i, i).dtype == np.float64
    f32 = np.ones((2, 4, 4), np.float32)
    assert fm.matmul(f32, f32).dtype == np.float32
    assert fm.matmul(f32, f32.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(fm.matmul(i, i), np.matmul(i, i).astype(float))


def test_out_argument(rng):
    a, b = rng.standard_normal((8, 4, 4)), rng.standard_normal((8, 4, 4))
    out = np.empty((8, 4, 4))
    res = fm.matmul(a, b, out=out)
    assert res is out
    np.testing.assert_allclose(out, ref.matmul(a, b), **tol(np.float64, 10))
    with pytest.raises(ValueError, match="out must have shape"):
        fm.matmul(a, b, out=np.empty((8, 4, 3)))
    # np.matmul's 'same_kind' casting: a float32 out takes the float64 product,
    # an integer out is refused as there
    with pytest.raises(TypeError, match="casting rule 'same_kind'"):
        np.matmul(a, b, out=np.empty((8, 4, 4), np.int64))
    with pytest.raises(TypeError, match="cannot hold the float64 result under casting rule "
                                        "'same_kind'"):
        fm.matmul(a, b, out=np.empty((8, 4, 4), np.int64))


@pytest.mark.parametrize("shapes", [((8, 4, 4), (8, 4, 4)), ((300, 8), (8, 200))])
@pytest.mark.parametrize("operands,out_dtype", [(np.float64, np.float32),
                                                (np.float32, np.float64),
                                                (np.float64, np.complex128)])
def test_out_of_another_dtype_casts_as_numpy(rng, shapes, operands, out_dtype):
    """The product in the operands' dtype, cast into ``out`` (small-product kernel
    and BLAS path): what np.matmul stores there."""
    a = rng.standard_normal(shapes[0]).astype(operands)
    b = rng.standard_normal(shapes[1]).astype(operands)
    out = np.full(np.matmul(a, b).shape, np.nan, out_dtype)
    assert fm.matmul(a, b, out=out) is out
    expected = np.matmul(a, b, out=np.empty_like(out))
    np.testing.assert_allclose(out, expected, **tol(operands, 10))
    np.testing.assert_allclose(out, ref.matmul(a, b).astype(out_dtype), **tol(operands, 10))


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_written_in_place_or_through_a_copy(rng, dtype):
    """A contiguous ``out`` is written directly; one that overlaps an operand
    (np.matmul's rule: as if the inputs were copied first) or is strided
    still gets the exact product."""
    a = rng.standard_normal((40, 8, 8)).astype(dtype)
    b = rng.standard_normal((40, 8, 8)).astype(dtype)
    expected = ref.matmul(a, b)
    out = np.full_like(a, np.nan)
    assert fm.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, expected, **tol(dtype, 10))
    for target in ("a", "b"):
        x, y = a.copy(), b.copy()
        alias = x if target == "a" else y
        assert fm.matmul(x, y, out=alias) is alias
        np.testing.assert_allclose(alias, expected, **tol(dtype, 10))
    # out one product ahead of a in one buffer: a direct write would overwrite
    # each next product of a before it is read
    buf = np.concatenate([a, np.zeros_like(a[:1])])
    shifted = buf[1:]
    assert fm.matmul(buf[:-1], b, out=shifted) is shifted
    np.testing.assert_allclose(shifted, expected, **tol(dtype, 10))
    strided = np.full((40, 8, 16), np.nan, dtype)[:, :, ::2]
    assert fm.matmul(a, b, out=strided) is strided
    np.testing.assert_allclose(strided, expected, **tol(dtype, 10))
    vec = rng.standard_normal(8).astype(dtype)
    out_v = np.full((40, 8), np.nan, dtype)
    assert fm.matmul(a, vec, out=out_v) is out_v
    np.testing.assert_allclose(out_v, ref.matmul(a, vec), **tol(dtype, 10))


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        fm.matmul(np.ones((3, 4)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="do not broadcast"):
        fm.matmul(np.ones((2, 4, 4)), np.ones((3, 4, 4)))


@pytest.mark.parametrize("bad", [np.ones((2, 2), complex), np.array([["a"]]), np.array([[None]])])
def test_bad_dtype_names_argument(bad):
    with pytest.raises(TypeError, match="^a must hold real numbers"):
        fm.matmul(bad, np.ones((1, 1)))
    with pytest.raises(TypeError, match="^b must hold real numbers"):
        fm.matmul(np.ones((1, 1)), bad)


def test_scalar_rejected():
    with pytest.raises(ValueError, match="a must be at least 1-D"):
        fm.matmul(3.0, np.ones((1, 1)))


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 6),
       k=st.sampled_from([1, 4, 5, 8, 16]), n=st.sampled_from([1, 4, 7, 8, 16]))
def test_hypothesis_shapes(batch, m, k, n):
    rng = np.random.default_rng(len(batch) * 100 + m * 10 + k + n)
    a = rng.standard_normal((*batch, m, k))
    b = rng.standard_normal((*batch[::-1][:1], k, n)) if batch else rng.standard_normal((k, n))
    try:
        want = np.matmul(a, b)
    except ValueError:
        with pytest.raises(ValueError):
            fm.matmul(a, b)
        return
    np.testing.assert_allclose(fm.matmul(a, b), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_2d_products_match_numpy_in_any_layout(rng, dtype):
    """Small 2-D products (one BLAS call, no thread settings): NumPy's result
    and dtype for C, F, strided and byte-swapped operands, and 0-sized ones."""
    a = rng.standard_normal((12, 20)).astype(dtype)
    b = rng.standard_normal((20, 7)).astype(dtype)
    for x, y in [(a, b), (np.asfortranarray(a), b), (a[::2, ::2], b[::2]),
                 (a.astype(a.dtype.newbyteorder()), b), (a[:, :0], b[:0]), (a[:1], b)]:
        got = fm.matmul(x, y)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.matmul(x.astype(dtype), y))
        np.testing.assert_allclose(got, ref.matmul(x.astype(np.float64), y.astype(np.float64)),
                                   **tol(dtype, 10))
