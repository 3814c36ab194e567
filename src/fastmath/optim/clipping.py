"""Gradient clipping by global norm."""
from __future__ import annotations

import math

import numpy as np

from .._chunks import fixed_chunk_bounds
from .._config.threads import kernel_threads
from . import _kernels as k

__all__ = ["clip_grad_norm"]


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale gradients in place so their global norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the norm is taken over all arrays
    together, and they are scaled by ``max_norm / (norm + 1e-6)`` when that is
    below 1.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        float32/float64 arrays, modified in place.
    max_norm : float
    norm_type : float, 2.0 or inf
    error_if_nonfinite : bool
        Raise ``ValueError`` when the norm is NaN or Inf (otherwise NaN
        propagates into the gradients, as in torch).

    Returns
    -------
    float
        The global norm before clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import clip_grad_norm
    >>> g = np.array([3.0, 4.0])
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> g.round(6)
    array([0.6, 0.8])
    """
    arrays = [grads] if isinstance(grads, np.ndarray) else list(grads)
    for i, g in enumerate(arrays):
        if not isinstance(g, np.ndarray) or g.dtype not in (np.float32, np.float64):
            raise TypeError(f"grads[{i}] must be a float32 or float64 numpy.ndarray")
        if not g.flags.writeable:
            raise ValueError(f"grads[{i}] is read-only")
    if not (isinstance(max_norm, (int, float)) and max_norm >= 0):
        raise ValueError(f"max_norm must be a non-negative number, got {max_norm!r}")
    if norm_type not in (2, 2.0, math.inf):
        raise ValueError(f"norm_type must be 2 or inf, got {norm_type!r}")
    if norm_type == math.inf:
        total = max((float(np.max(np.abs(g))) if g.size else 0.0 for g in arrays), default=0.0)
        if any(np.isnan(g).any() for g in arrays):
            total = math.nan
    else:
        squares = 0.0
        for g in arrays:
            flat = g.reshape(-1) if g.flags.c_contiguous else np.ascontiguousarray(g).reshape(-1)
            bounds = fixed_chunk_bounds(flat.size, max_chunks=64, min_chunk=4096)
            partials = np.empty(bounds.size - 1)
            with kernel_threads(flat.size, "elementwise"):
                k.sum_of_squares(flat, bounds, partials)
            squares += float(partials.sum())
        total = math.sqrt(squares)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"the total norm of the gradients is {total}; they hold NaN or Inf")
    coef = max_norm / (total + 1e-6)
    if not coef < 1.0 and not math.isnan(coef):
        return total
    for g in arrays:
        if g.flags.c_contiguous:
            with kernel_threads(g.size, "elementwise"):
                k.scale_inplace(g.reshape(-1), coef)
        else:
            g *= coef
    return total
