"""2-D max and average pooling, forward and backward (NCHW)."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_shape
from . import _kernels as k
from ._geometry import batched, out_size, pair

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _pool_geometry(shape, kernel_size, stride, padding):
    n, c, h, w = shape
    kh, kw = pair(kernel_size, "kernel_size", minimum=1)
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", minimum=1)
    ph, pw = pair(padding, "padding", minimum=0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding {(ph, pw)} must be at most half the kernel size {(kh, kw)}")
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(f"kernel_size {(kh, kw)} is larger than the padded input "
                         f"({h + 2 * ph}, {w + 2 * pw}) of shape {tuple(shape)}")
    oh, ow = out_size(h, 2 * ph, kh, sh), out_size(w, 2 * pw, kw, sw)
    return (kh, kw, sh, sw, ph, pw), (n, c, oh, ow)


def _input_shape(input_shape):
    """``input_shape`` as a 4-tuple, and whether it was the 3-tuple of one unbatched image."""
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}") from None
    if len(shape) not in (3, 4) or min(shape) < 0:
        raise ValueError(f"input_shape must be (N, C, H, W) or (C, H, W), got {input_shape!r}")
    if 0 in shape[-3:]:
        raise ValueError(f"input_shape must have non-empty channels, rows and columns, got "
                         f"{input_shape!r}")
    return ((1,) + shape if len(shape) == 3 else shape), len(shape) == 3


def _batched_grad(grad_out, unbatched):
    grad_out = as_float_array(grad_out, "grad_out", c_contiguous=True)
    if grad_out.ndim != 4 - unbatched:
        raise ValueError(f"grad_out must be {4 - unbatched}-D like input_shape, got shape "
                         f"{grad_out.shape}")
    return grad_out[None] if unbatched else grad_out


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling, as ``torch.nn.functional.max_pool2d(..., return_indices=True)``.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W), or (C, H, W) for one image
        C, H and W must not be 0 (as in torch); N may.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        Implicit -inf padding, at most half the kernel size.

    Returns
    -------
    out : ndarray, shape (N, C, OH, OW)
    argmax : ndarray of int64, shape (N, C, OH, OW)
        Flat index into each input plane (``H * W``) of the maximum. A window
        holding NaN gives NaN and the index of its last NaN, as torch does.

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> out, idx = fm.max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    >>> out[0, 0], idx[0, 0]
    (array([[ 5.,  7.],
           [13., 15.]]), array([[ 5,  7],
           [13, 15]]))
    """
    x, unbatched = batched(as_float_array(x, "x", c_contiguous=True), "x", nonempty_planes=True)
    params, out_shape = _pool_geometry(x.shape, kernel_size, stride, padding)
    out = np.empty(out_shape, dtype=x.dtype)
    argmax = np.empty(out_shape, dtype=np.int64)
    if out.size:
        with kernel_threads(out.size * params[0] * params[1], "elementwise"):
            k.max_pool2d(x, *params, out, argmax)
    return (out[0], argmax[0]) if unbatched else (out, argmax)


def max_pool2d_backward(grad_out, argmax, input_shape):
    """Gradient of :func:`max_pool2d`: each output gradient goes to its argmax.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, OH, OW)
    argmax : array_like of int, same shape
        As returned by :func:`max_pool2d`; checked to lie in ``[0, H * W)``.
    input_shape : tuple (N, C, H, W)

    Returns
    -------
    ndarray, shape ``input_shape``

    Examples
    --------
    >>> import numpy as np
    >>> import fastmath as fm
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> out, argmax = fm.max_pool2d(x, 2)
    >>> fm.max_pool2d_backward(np.ones_like(out), argmax, x.shape)[0, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """
    shape, unbatched = _input_shape(input_shape)
    grad_out = _batched_grad(grad_out, unbatched)
    argmax = np.asarray(argmax)
    if argmax.dtype.kind not in "iu":
        raise TypeError(f"argmax must hold integers, got dtype {argmax.dtype}")
    argmax = np.ascontiguousarray(argmax, dtype=np.int64)
    argmax = argmax[None] if unbatched and argmax.ndim == 3 else argmax
    check_shape(argmax, grad_out.shape, "argmax")
    if grad_out.shape[:2] != shape[:2]:
        raise ValueError(f"grad_out of shape {grad_out.shape} does not match input_shape {shape}")
    plane = shape[2] * shape[3]
    if argmax.size and (argmax.min() < 0 or argmax.max() >= plane):
        bad = argmax.min() if argmax.min() < 0 else argmax.max()
        raise IndexError(f"argmax holds index {bad}, outside [0, {plane}) for planes of {shape[2:]}")
    grad_x = np.zeros(shape, dtype=grad_out.dtype)
    if grad_out.size:
        with kernel_threads(grad_out.size, "elementwise"):
            k.max_pool2d_backward(grad_out, argmax, grad_x)
    return grad_x[0] if unbatched else grad_x


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling, as ``torch.nn.functional.avg_pool2d`` (padding counted as zeros).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W), or (C, H, W) for one image
        C, H and W must not be 0 (as in torch); N may.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        At most half the kernel size.

    Returns
    -------
    ndarray, shape (N, C, OH, OW)

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x, unbatched = batched(as_float_array(x, "x", c_contiguous=True), "x", nonempty_planes=True)
    params, out_shape = _pool_geometry(x.shape, kernel_size, stride, padding)
    out = np.empty(out_shape, dtype=x.dtype)
    if out.size:
        with kernel_threads(out.size * params[0] * params[1], "elementwise"):
            k.avg_pool2d(x, *params, out)
    return out[0] if unbatched else out


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride=None, padding=0):
    """Gradient of :func:`avg_pool2d` with respect to its input.

    Parameters
    ----------
    grad_out : array_like, shape (N, C, OH, OW)
    input_shape : tuple (N, C, H, W)
    kernel_size, stride, padding
        As given to :func:`avg_pool2d`.

    Returns
    -------
    ndarray, shape ``input_shape``

    Examples
    --------
    >>> import numpy as np
    >>> import fastmath as fm
    >>> fm.avg_pool2d_backward(np.ones((1, 1, 1, 1)), (1, 1, 2, 2), 2)[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    shape, unbatched = _input_shape(input_shape)
    grad_out = _batched_grad(grad_out, unbatched)
    params, out_shape = _pool_geometry(shape, kernel_size, stride, padding)
    check_shape(grad_out, out_shape, "grad_out")
    grad_x = np.zeros(shape, dtype=grad_out.dtype)
    if grad_out.size:
        with kernel_threads(grad_out.size * params[0] * params[1], "elementwise"):
            k.avg_pool2d_backward(grad_out, *params, grad_x)
    return grad_x[0] if unbatched else grad_x
