"""Gradient clipping by global norm."""
from __future__ import annotations

import math

import numpy as np

from .._chunks import fixed_chunk_bounds
from .._config.threads import kernel_threads
from .._validation import check_real
from . import _kernels as k

__all__ = ["clip_grad_norm"]


def _sum_of_squares(flat: np.ndarray) -> float:
    """``sum(flat**2)`` in float64, by fixed chunks (the same for any thread count)."""
    bounds = fixed_chunk_bounds(flat.size, max_chunks=64, min_chunk=4096)
    partials = np.empty(bounds.size - 1)
    with kernel_threads(flat.size, "elementwise"):
        k.sum_of_squares(flat, bounds, partials)
    return float(partials.sum())


def _two_norm(arrays) -> float:
    """The global 2-norm, without overflow: squares are summed in float64, and rescaled
    by the largest magnitude when even that overflows (values beyond 1e154)."""
    flats = [g.reshape(-1) if g.flags.c_contiguous else np.ascontiguousarray(g).reshape(-1)
             for g in arrays]
    squares = sum(_sum_of_squares(f) for f in flats)
    if math.isfinite(squares) or math.isnan(squares):
        return math.sqrt(squares)
    biggest = max(float(np.max(np.abs(f))) if f.size else 0.0 for f in flats)
    if not math.isfinite(biggest):
        return math.inf
    scaled = sum(float(np.sum(np.square(f / biggest, dtype=np.float64))) for f in flats)
    return biggest * math.sqrt(scaled)


def _p_norm(arrays, p: float) -> float:
    if p == math.inf:
        total = max((float(np.max(np.abs(g))) if g.size else 0.0 for g in arrays), default=0.0)
        return math.nan if any(np.isnan(g).any() for g in arrays) else total
    if p == 2.0:
        return _two_norm(arrays)
    with np.errstate(over="ignore"):
        powers = sum(float(np.sum(np.abs(g.astype(np.float64)) ** p)) for g in arrays)
    return powers ** (1.0 / p)


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale gradients in place so their global norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the norm is taken over all arrays
    together, and they are scaled by ``max_norm / (norm + 1e-6)`` when that is
    below 1. The 2-norm sums the squares in float64 (rescaling by the largest
    magnitude if even that overflows), so float32 gradients of 1e30 give a
    finite norm.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        float32/float64 arrays, modified in place.
    max_norm : float
        >= 0; any real scalar type (``np.float32(1.0)``, ``np.int64(1)``).
    norm_type : float or 'inf', default 2.0
        The p of the p-norm, > 0; ``inf`` (or 'inf') is the largest magnitude.
    error_if_nonfinite : bool, default False
        Raise ``ValueError`` when the norm is NaN or Inf (otherwise NaN
        propagates into the gradients, as in torch).

    Returns
    -------
    float
        The global norm before clipping.

    Raises
    ------
    TypeError
        A gradient is not a float32/float64 ndarray, or a parameter is not a number.
    ValueError
        ``max_norm`` is negative or NaN, ``norm_type`` is not > 0, or (with
        ``error_if_nonfinite``) the norm is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import clip_grad_norm
    >>> g = np.array([3.0, 4.0])
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> g.round(6)
    array([0.6, 0.8])
    >>> clip_grad_norm(np.full(14, 1e30, np.float32), 1.0) > 3.7e30
    True
    """
    arrays = [grads] if isinstance(grads, np.ndarray) else list(grads)
    for i, g in enumerate(arrays):
        if not isinstance(g, np.ndarray) or g.dtype not in (np.float32, np.float64):
            raise TypeError(f"grads[{i}] must be a float32 or float64 numpy.ndarray, got "
                            f"{type(g).__name__}" + (f" of {g.dtype}" if hasattr(g, "dtype") else ""))
        if not g.flags.writeable:
            raise ValueError(f"grads[{i}] is read-only")
    max_norm = check_real(max_norm, "max_norm", low=0.0)
    if isinstance(norm_type, str):
        if norm_type.lower() != "inf":
            raise ValueError(f"norm_type must be a number > 0 or 'inf', got {norm_type!r}")
        norm_type = math.inf
    elif not isinstance(norm_type, (int, float, np.integer, np.floating)) or isinstance(
            norm_type, (bool, np.bool_)):
        raise TypeError(f"norm_type must be a number > 0 or 'inf', got {norm_type!r}")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0, got {norm_type!r}")
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise TypeError(f"error_if_nonfinite must be a bool, got {error_if_nonfinite!r}")
    total = _p_norm(arrays, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"the total norm of the gradients is {total}; they hold NaN or Inf")
    coef = max_norm / (total + 1e-6)
    if not coef < 1.0 and not math.isnan(coef):
        return total
    for g in arrays:
        if g.flags.c_contiguous:
            with kernel_threads(g.size, "elementwise"):
                k.scale_inplace(g.reshape(-1), g.dtype.type(coef))
        else:
            g *= coef
    return total
