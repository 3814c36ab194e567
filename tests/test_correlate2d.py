import numpy as np
import pytest
import scipy.signal
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref

SHAPES = [((7, 9), (3, 3)), ((8, 8), (4, 2)), ((5, 6), (5, 6)), ((6, 5), (2, 3)), ((1, 1), (1, 1)),
          ((3, 40), (1, 7))]


def _crop(full, shape, top, left):
    return full[top:top + shape[0], left:left + shape[1]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", SHAPES)
def test_against_reference_and_scipy(rng, dtype, layout, shapes):
    image = in_layout(rng.standard_normal(shapes[0]).astype(dtype), layout)
    kernel = in_layout(rng.standard_normal(shapes[1]).astype(dtype), layout)
    (h, w), (r, s) = shapes
    full = ref.correlate2d_full(image, kernel)
    conv_full = ref.correlate2d_full(image, kernel[::-1, ::-1])
    want = {"full": full, "valid": _crop(full, (h - r + 1, w - s + 1), r - 1, s - 1)}
    for mode in ("full", "valid", "same"):
        got = fm.correlate2d(image, kernel, mode)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, scipy.signal.correlate2d(image, kernel, mode), **tol(dtype, 10))
        if mode in want:
            np.testing.assert_allclose(got, want[mode], **tol(dtype, 10))
        got = fm.convolve2d(image, kernel, mode)
        np.testing.assert_allclose(got, scipy.signal.convolve2d(image, kernel, mode), **tol(dtype, 10))
    np.testing.assert_allclose(fm.convolve2d(image, kernel), conv_full, **tol(dtype, 10))


def test_nan_and_inf_like_scipy():
    image = np.arange(30.0).reshape(5, 6)
    image[2, 3] = np.nan
    image[0, 0] = np.inf
    kernel = np.array([[1.0, 0.0], [0.0, 2.0]])
    for mode in ("valid", "same", "full"):
        np.testing.assert_allclose(fm.correlate2d(image, kernel, mode),
                                   scipy.signal.correlate2d(image, kernel, mode))


def test_bad_input():
    with pytest.raises(ValueError, match=r"mode='valid' needs a kernel no larger.*\(3, 3\).*\(4, 1\)"):
        fm.correlate2d(np.ones((3, 3)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="mode must be one of"):
        fm.convolve2d(np.ones((3, 3)), np.ones((2, 2)), "circular")
    with pytest.raises(ValueError, match="image must be 2-D"):
        fm.correlate2d(np.ones((1, 3, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="must not be empty"):
        fm.correlate2d(np.ones((0, 3)), np.ones((1, 1)), "full")
    with pytest.raises(TypeError, match="kernel must hold real numbers"):
        fm.correlate2d(np.ones((3, 3)), np.ones((2, 2), complex))
