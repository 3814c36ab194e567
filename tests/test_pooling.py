import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref

CASES = [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0)), (1, 1, 0), ((2, 3), None, (1, 1)), (5, 3, 2)]


def _pairs(kernel, stride, padding):
    k = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    s = k if stride is None else (stride if isinstance(stride, tuple) else (stride, stride))
    p = padding if isinstance(padding, tuple) else (padding, padding)
    return k, s, p


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kernel, stride, padding", CASES)
def test_forward_and_backward(rng, dtype, layout, kernel, stride, padding):
    x = in_layout(rng.standard_normal((2, 3, 9, 8)).astype(dtype), layout)
    k, s, p = _pairs(kernel, stride, padding)
    out, idx = fm.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out, ref.max_pool2d(x, k, s, p).astype(dtype))
    # argmax points at the maximum in each plane
    planes = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, idx.reshape(2, 3, -1), -1).reshape(out.shape), out)
    g = rng.standard_normal(out.shape).astype(dtype)
    gx = fm.max_pool2d_backward(g, idx, x.shape)
    want = np.zeros(planes.shape)
    for n in range(2):
        for c in range(3):
            np.add.at(want[n, c], idx[n, c].ravel(), g[n, c].ravel())
    np.testing.assert_allclose(gx.reshape(planes.shape), want, **tol(dtype))

    avg = fm.avg_pool2d(x, kernel, stride, padding)
    np.testing.assert_allclose(avg, ref.avg_pool2d(x, k, s, p), **tol(dtype))
    gx = fm.avg_pool2d_backward(g, x.shape, kernel, stride, padding)
    # adjoint identity: <avg_pool(x'), g> == <x', grad> for every x'
    probe = rng.standard_normal(x.shape)
    np.testing.assert_allclose((ref.avg_pool2d(probe, k, s, p) * g).sum(), (probe * gx).sum(), **tol(dtype, 10))


def test_nan_wins_max_pool():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    out, idx = fm.max_pool2d(x, 2)
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 5
    assert (out[0, 0].ravel()[1:] == 0).all()


def test_against_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.standard_normal((2, 3, 9, 8))
    for kernel, stride, padding in CASES:
        tx = torch.tensor(x, requires_grad=True)
        to, ti = F.max_pool2d(tx, kernel, stride, padding, return_indices=True)
        out, idx = fm.max_pool2d(x, kernel, stride, padding)
        np.testing.assert_array_equal(out, to.detach().numpy())
        np.testing.assert_array_equal(idx, ti.numpy())
        g = rng.standard_normal(out.shape)
        to.backward(torch.tensor(g))
        np.testing.assert_allclose(fm.max_pool2d_backward(g, idx, x.shape), tx.grad.numpy(), rtol=1e-12)
        tx = torch.tensor(x, requires_grad=True)
        ta = F.avg_pool2d(tx, kernel, stride, padding)
        ta.backward(torch.tensor(g))
        np.testing.assert_allclose(fm.avg_pool2d(x, kernel, stride, padding), ta.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(fm.avg_pool2d_backward(g, x.shape, kernel, stride, padding),
                                   tx.grad.numpy(), rtol=1e-12)


def test_empty_batch():
    out, idx = fm.max_pool2d(np.ones((0, 2, 4, 4)), 2)
    assert out.shape == idx.shape == (0, 2, 2, 2)
    assert fm.max_pool2d_backward(out, idx, (0, 2, 4, 4)).shape == (0, 2, 4, 4)
    with pytest.raises(ValueError, match="non-empty channels, rows and columns"):
        fm.avg_pool2d(np.ones((2, 0, 4, 4)), 2)  # torch refuses an empty plane
    with pytest.raises(ValueError, match="non-empty channels, rows and columns"):
        fm.max_pool2d(np.ones((1, 1, 0, 4)), 2)


def test_several_nans_in_a_window_point_at_the_last_as_torch():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan], [0.0, 2.0, 5.0, 4.0]],
                   [[np.nan, 1.0, 7.0, 8.0], [np.nan, 2.0, 6.0, 5.0]]]])
    out, idx = fm.max_pool2d(x, 2)
    assert np.isnan(out[0, 0]).all() and np.isnan(out[0, 1, 0, 0]) and out[0, 1, 0, 1] == 8.0
    np.testing.assert_array_equal(idx[0, 0, 0], [1, 3])  # flat indices of the NaNs
    assert idx[0, 1, 0, 0] == 4  # the second NaN of the window (row 1, column 0)
    torch = pytest.importorskip("torch")
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx, t_idx.numpy())
    np.testing.assert_array_equal(out, t_out.numpy())


def test_unbatched_images_as_torch(rng):
    x = rng.standard_normal((3, 6, 6))
    out, idx = fm.max_pool2d(x, 2)
    want_out, want_idx = fm.max_pool2d(x[None], 2)
    np.testing.assert_array_equal(out, want_out[0])
    np.testing.assert_array_equal(idx, want_idx[0])
    np.testing.assert_array_equal(fm.max_pool2d_backward(out, idx, x.shape),
                                  fm.max_pool2d_backward(want_out, want_idx, (1,) + x.shape)[0])
    np.testing.assert_array_equal(fm.avg_pool2d(x, 3, 1, 1), fm.avg_pool2d(x[None], 3, 1, 1)[0])
    g = rng.standard_normal((3, 3, 3))
    np.testing.assert_array_equal(fm.avg_pool2d_backward(g, x.shape, 2),
                                  fm.avg_pool2d_backward(g[None], (1,) + x.shape, 2)[0])


def test_bad_input():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="padding .* at most half the kernel size"):
        fm.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="kernel_size .* larger than the padded input"):
        fm.avg_pool2d(x, 5)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        fm.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="stride must be positive"):
        fm.avg_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match=r"x must be 3-D \(C, H, W\) or 4-D"):
        fm.max_pool2d(np.ones((4, 4)), 2)
    out, idx = fm.max_pool2d(x, 2)
    for bad_value in (16, -1):
        bad = idx.copy()
        bad[0, 0, 1, 0] = bad_value
        with pytest.raises(IndexError, match=rf"argmax holds index {bad_value}, outside \[0, 16\)"):
            fm.max_pool2d_backward(out, bad, x.shape)
    with pytest.raises(ValueError, match=r"argmax must have shape \(1, 1, 2, 2\)"):
        fm.max_pool2d_backward(out, idx[..., :1], x.shape)
    with pytest.raises(TypeError, match="argmax must hold integers"):
        fm.max_pool2d_backward(out, idx.astype(float), x.shape)
    with pytest.raises(ValueError, match=r"grad_out must have shape \(1, 1, 2, 2\)"):
        fm.avg_pool2d_backward(np.ones((1, 1, 3, 3)), x.shape, 2)
    with pytest.raises(ValueError, match="input_shape must be"):
        fm.avg_pool2d_backward(out, (4, 4), 2)
