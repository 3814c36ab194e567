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


@pytest.mark.parametrize("boundary", ["fill", "wrap", "circular", "symm", "symmetric"])
@pytest.mark.parametrize("shapes", [((5, 6), (3, 3)), ((3, 7), (4, 4)), ((2, 2), (6, 7))])
def test_boundaries_as_scipy(rng, boundary, shapes):
    image, kernel = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    for mode in ("full", "same"):
        for ours, theirs in ((fm.correlate2d, scipy.signal.correlate2d),
                             (fm.convolve2d, scipy.signal.convolve2d)):
            np.testing.assert_allclose(
                ours(image, kernel, mode, boundary, fillvalue=-1.5),
                theirs(image, kernel, mode, boundary, fillvalue=-1.5), rtol=1e-13, atol=1e-13)


def test_fill_matches_a_padded_reference(rng):
    image, kernel = rng.standard_normal((4, 5)), rng.standard_normal((3, 2))
    padded = np.pad(image, ((2, 2), (1, 1)), constant_values=2.5)
    want = ref.correlate2d_full(padded, kernel)[2:-2, 1:-1]
    np.testing.assert_allclose(fm.correlate2d(image, kernel, fillvalue=2.5), want, rtol=1e-13)


def test_valid_swaps_a_larger_kernel_as_scipy(rng):
    small, large = rng.standard_normal((2, 3)), rng.standard_normal((5, 6))
    for ours, theirs in ((fm.correlate2d, scipy.signal.correlate2d),
                         (fm.convolve2d, scipy.signal.convolve2d)):
        got = ours(small, large, "valid")
        assert got.shape == (4, 4)
        np.testing.assert_allclose(got, theirs(small, large, "valid"), rtol=1e-12, atol=1e-12)
    # the swapped correlation is the flipped correlation of the swapped inputs
    np.testing.assert_allclose(fm.correlate2d(small, large, "valid"),
                               fm.correlate2d(large, small, "valid")[::-1, ::-1], rtol=1e-12,
                               atol=1e-12)


def test_default_mode_is_full_as_scipy(rng):
    image, kernel = rng.standard_normal((4, 4)), rng.standard_normal((2, 3))
    assert fm.correlate2d(image, kernel).shape == (5, 6)
    assert fm.convolve2d(in1=image, in2=kernel).shape == (5, 6)


def test_empty_operands_as_scipy():
    np.testing.assert_array_equal(fm.correlate2d(np.ones((0, 3)), np.arange(4.0).reshape(2, 2),
                                                 fillvalue=1.0), [[6.0, 6.0, 6.0, 6.0]])
    assert fm.correlate2d(np.ones((3, 3)), np.ones((0, 2)), "valid").shape == (4, 2)
    assert not fm.correlate2d(np.ones((3, 3)), np.ones((0, 2))).any()
    with pytest.raises(ValueError, match="non-empty in1"):
        fm.correlate2d(np.ones((0, 3)), np.ones((2, 2)), boundary="wrap")


def test_bad_input():
    with pytest.raises(ValueError, match=r"one must be at least as large.*\(3, 3\).*\(4, 1\)"):
        fm.correlate2d(np.ones((3, 3)), np.ones((4, 1)), "valid")
    with pytest.raises(ValueError, match="mode must be one of"):
        fm.convolve2d(np.ones((3, 3)), np.ones((2, 2)), "circular")
    with pytest.raises(ValueError, match="boundary must be one of"):
        fm.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="reflect")
    with pytest.raises(ValueError, match="in1 must be 2-D"):
        fm.correlate2d(np.ones((1, 3, 3)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="in2 must hold real numbers"):
        fm.correlate2d(np.ones((3, 3)), np.ones((2, 2), complex))
    with pytest.raises(TypeError, match="fillvalue must be a real number"):
        fm.correlate2d(np.ones((3, 3)), np.ones((2, 2)), fillvalue=[1.0, 2.0])
