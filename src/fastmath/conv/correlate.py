"""2-D correlation and convolution of single images, as scipy.signal."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_choice, result_dtype
from . import _kernels as k

__all__ = ["correlate2d", "convolve2d"]


def _correlate(image, kernel, mode, flip):
    mode = check_choice(mode, ("full", "valid", "same"), "mode")
    image = as_float_array(image, "image", ndim=2)
    kernel = as_float_array(kernel, "kernel", ndim=2)
    dtype = result_dtype(image.dtype, kernel.dtype)
    if flip:
        kernel = kernel[::-1, ::-1]
    kernel = np.ascontiguousarray(kernel, dtype=dtype)
    (h, w), (r, s) = image.shape, kernel.shape
    if 0 in (h, w, r, s):
        raise ValueError(f"image {image.shape} and kernel {kernel.shape} must not be empty")
    if mode == "valid":
        if r > h or s > w:
            raise ValueError(f"mode='valid' needs a kernel no larger than the image in every "
                             f"dimension, got image {image.shape} and kernel {kernel.shape}")
        pads = ((0, 0), (0, 0))
    elif mode == "full":
        pads = ((r - 1, r - 1), (s - 1, s - 1))
    else:
        # scipy centres 'same' in 'full'; the offset differs for the flipped kernel
        top = (r - 1) // 2 if flip else r // 2
        left = (s - 1) // 2 if flip else s // 2
        pads = ((r - 1 - top, top), (s - 1 - left, left))
    padded = np.zeros((h + sum(pads[0]), w + sum(pads[1])), dtype=dtype)
    padded[pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w] = image
    out = np.empty((padded.shape[0] - r + 1, padded.shape[1] - s + 1), dtype=dtype)
    with kernel_threads(out.size * r * s, "flops"):
        k.correlate2d_valid(padded, kernel, out)
    return out


def correlate2d(image, kernel, mode="valid"):
    """2-D cross-correlation with zero fill, as ``scipy.signal.correlate2d``.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (R, S)
    mode : {'valid', 'same', 'full'}
        'valid' needs the kernel no larger than the image.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.correlate2d(np.arange(9.0).reshape(3, 3), np.ones((2, 2)))
    array([[ 8., 12.],
           [20., 24.]])
    """
    return _correlate(image, kernel, mode, flip=False)


def convolve2d(image, kernel, mode="full"):
    """2-D convolution with zero fill, as ``scipy.signal.convolve2d``.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (R, S)
    mode : {'full', 'valid', 'same'}

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.convolve2d(np.eye(2), np.array([[1.0, 2.0]]))
    array([[1., 2., 0.],
           [0., 1., 2.]])
    """
    return _correlate(image, kernel, mode, flip=True)
