"""2-D correlation and convolution of single images, drop-ins for scipy.signal's."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_choice, result_dtype
from . import _kernels as k

__all__ = ["correlate2d", "convolve2d"]

MODES = ("full", "valid", "same")
BOUNDARIES = {"fill": "constant", "circular": "wrap", "wrap": "wrap", "symmetric": "symmetric",
              "symm": "symmetric"}  # SciPy's names -> np.pad's


def _swap_needed(mode, shape1, shape2) -> bool:
    """SciPy's rule: in 'valid' mode the larger operand goes first; one must be larger in every axis."""
    if mode != "valid":
        return False
    first_larger = all(a >= b for a, b in zip(shape1, shape2))
    second_larger = all(b >= a for a, b in zip(shape1, shape2))
    if not (first_larger or second_larger):
        raise ValueError(f"For 'valid' mode, one must be at least as large as the other in "
                         f"every dimension; got in1 {tuple(shape1)} and in2 {tuple(shape2)}")
    return not first_larger


def _correlate_valid_padded(image, kernel, mode, boundary, fillvalue, flip):
    """Correlate ``kernel`` over ``image`` padded for ``mode`` (SciPy's 'same' centring)."""
    (h, w), (r, s) = image.shape, kernel.shape
    if mode == "valid":
        pads = ((0, 0), (0, 0))
    elif mode == "full":
        pads = ((r - 1, r - 1), (s - 1, s - 1))
    else:
        # scipy centres 'same' in 'full'; the offset differs for the flipped kernel
        top = (r - 1) // 2 if flip else r // 2
        left = (s - 1) // 2 if flip else s // 2
        pads = ((r - 1 - top, top), (s - 1 - left, left))
    pads = tuple((max(0, a), max(0, b)) for a, b in pads)
    if BOUNDARIES[boundary] == "constant":
        padded = np.pad(image, pads, mode="constant", constant_values=fillvalue)
    elif image.size == 0:
        raise ValueError(f"boundary={boundary!r} needs a non-empty in1, got shape {image.shape}")
    else:
        padded = np.pad(image, pads, mode=BOUNDARIES[boundary])
    padded = np.ascontiguousarray(padded)
    out_shape = {"valid": (h - r + 1, w - s + 1), "full": (h + r - 1, w + s - 1),
                 "same": (h, w)}[mode]
    out = np.zeros(tuple(max(0, n) for n in out_shape), dtype=image.dtype)
    if out.size and kernel.size:
        with kernel_threads(out.size * r * s, "flops"):
            k.correlate2d_valid(padded, kernel, out)
    return out


def _correlate(in1, in2, mode, boundary, fillvalue, flip):
    mode = check_choice(mode, MODES, "mode")
    boundary = check_choice(boundary, tuple(BOUNDARIES), "boundary")
    image = as_float_array(in1, "in1", ndim=2)
    kernel = as_float_array(in2, "in2", ndim=2)
    if np.ndim(fillvalue) != 0 or np.asarray(fillvalue).dtype.kind not in "biuf":
        raise TypeError(f"fillvalue must be a real number, got {fillvalue!r}")
    fillvalue = float(fillvalue)  # NaN and inf are allowed, as in SciPy
    dtype = result_dtype(image.dtype, kernel.dtype)
    image, kernel = image.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
    swapped = _swap_needed(mode, image.shape, kernel.shape)
    if swapped:
        image, kernel = kernel, image
    if flip:
        kernel = kernel[::-1, ::-1]
    out = _correlate_valid_padded(image, np.ascontiguousarray(kernel), mode, boundary, fillvalue,
                                  flip)
    return out[::-1, ::-1].copy() if swapped and not flip else out


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """2-D cross-correlation, as ``scipy.signal.correlate2d``.

    Parameters
    ----------
    in1 : array_like, shape (H, W)
    in2 : array_like, shape (R, S)
    mode : {'full', 'valid', 'same'}, default 'full'
        'full' is every overlap, 'valid' only the positions where ``in2``
        (or ``in1``, when it is the smaller in every dimension: SciPy swaps
        them) lies inside the other, 'same' the size of ``in1``, centred.
    boundary : {'fill', 'wrap', 'circular', 'symm', 'symmetric'}, default 'fill'
        How ``in1`` is extended past its edges: ``fillvalue``, periodic, or
        mirrored.
    fillvalue : float, default 0
        The value outside ``in1`` with ``boundary='fill'``.

    Returns
    -------
    ndarray
        float32 when both inputs are float32, else float64.

    Raises
    ------
    ValueError
        An input is not 2-D, or in 'valid' mode neither input is at least as
        large as the other in every dimension, or ``mode``/``boundary`` is unknown.

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.correlate2d(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), mode="valid")
    array([[ 8., 12.],
           [20., 24.]])
    >>> fm.correlate2d(np.ones((2, 2)), np.ones((2, 2)), boundary="wrap")
    array([[4., 4., 4.],
           [4., 4., 4.],
           [4., 4., 4.]])
    """
    return _correlate(in1, in2, mode, boundary, fillvalue, flip=False)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """2-D convolution, as ``scipy.signal.convolve2d``.

    Parameters
    ----------
    in1 : array_like, shape (H, W)
    in2 : array_like, shape (R, S)
    mode : {'full', 'valid', 'same'}, default 'full'
    boundary : {'fill', 'wrap', 'circular', 'symm', 'symmetric'}, default 'fill'
    fillvalue : float, default 0
        As in :func:`correlate2d`.

    Returns
    -------
    ndarray
        float32 when both inputs are float32, else float64.

    Raises
    ------
    ValueError
        As in :func:`correlate2d`.

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.convolve2d(np.eye(2), np.array([[1.0, 2.0]]))
    array([[1., 2., 0.],
           [0., 1., 2.]])
    """
    return _correlate(in1, in2, mode, boundary, fillvalue, flip=True)
