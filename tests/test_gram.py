import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(30, 5), (1, 1), (7, 13), (100, 1)])
@pytest.mark.parametrize("weighted", ["none", "positive", "mixed"])
def test_matches_reference(rng, dtype, layout, shape, weighted):
    a = in_layout(rng.standard_normal(shape).astype(dtype), layout)
    w = {"none": None, "positive": rng.random(shape[0]),
         "mixed": rng.standard_normal(shape[0])}[weighted]
    w = None if w is None else in_layout(w.astype(dtype), layout)
    got = fm.gram(a, w)
    assert got.dtype == dtype and got.shape == (shape[1], shape[1])
    np.testing.assert_array_equal(got, got.T)  # exactly symmetric
    np.testing.assert_allclose(got, ref.gram(a, w), **tol(dtype, 10 * shape[0]))


def test_empty():
    np.testing.assert_array_equal(fm.gram(np.ones((0, 3))), np.zeros((3, 3)))
    assert fm.gram(np.ones((4, 0))).shape == (0, 0)


def test_nan_propagates_like_reference():
    a = np.arange(12.0).reshape(4, 3)
    a[1, 2] = np.nan
    got = fm.gram(a)
    want = ref.gram(a)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    w = np.ones(4)
    w[0] = np.nan
    assert np.isnan(fm.gram(np.ones((4, 3)), w)).all()


def test_bad_input():
    with pytest.raises(ValueError, match=r"weights must have shape \(4,\), got \(3,\)"):
        fm.gram(np.ones((4, 2)), np.ones(3))
    with pytest.raises(ValueError, match="a must be 2-D"):
        fm.gram(np.ones(4))
    with pytest.raises(TypeError, match="weights must hold real numbers"):
        fm.gram(np.ones((4, 2)), np.array(["x"] * 4))


def test_negative_weights_and_infinities_as_numpy():
    a = np.array([[np.inf, 1.0], [1.0, 2.0]])
    w = np.array([-1.0, 1.0])
    np.testing.assert_array_equal(fm.gram(a, w), a.T @ (a * w[:, None]))  # -inf, not NaN
