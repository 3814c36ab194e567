"""Fused dense layer: :func:`linear` and :func:`linear_backward`."""
from __future__ import annotations

import numpy as np

from .._chunks import fixed_chunk_bounds
from .._config.threads import kernel_threads
from .._validation import as_float_array, check_choice, check_shape, result_dtype
from . import _kernels as k

__all__ = ["linear", "linear_backward"]

ACTIVATIONS = {None: k.ACT_NONE, "relu": k.ACT_RELU, "sigmoid": k.ACT_SIGMOID, "tanh": k.ACT_TANH}


def _check_layer(x, weight, bias):
    x = as_float_array(x, "x", ndim=2)
    weight = as_float_array(weight, "weight", ndim=2)
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight must have shape ({x.shape[1]}, d_out) to match x of shape {x.shape}, "
            f"got {weight.shape}"
        )
    dtypes = [x.dtype, weight.dtype]
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        check_shape(bias, (weight.shape[1],), "bias")
        dtypes.append(bias.dtype)
    dtype = result_dtype(*dtypes)
    x, weight = x.astype(dtype, copy=False), weight.astype(dtype, copy=False)
    if bias is not None:
        bias = bias.astype(dtype, copy=False)
    return x, weight, bias, dtype


def linear(x, weight, bias=None, activation=None):
    """Fused dense layer ``act(x @ weight + bias)``.

    The product goes to BLAS (through NumPy, so it shares NumPy's thread
    pool); the bias and the activation are then applied in place in one
    pass, so the output is written twice instead of three times.

    Parameters
    ----------
    x : array_like, shape (n, d_in)
    weight : array_like, shape (d_in, d_out)
    bias : array_like, shape (d_out,), optional
    activation : {None, 'relu', 'sigmoid', 'tanh'}

    Returns
    -------
    ndarray, shape (n, d_out), C-ordered

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> x = np.array([[1.0, -2.0]])
    >>> w = np.eye(2)
    >>> fm.linear(x, w, bias=[0.5, 0.5], activation="relu")
    array([[1.5, 0. ]])
    """
    act = ACTIVATIONS[check_choice(activation, tuple(ACTIVATIONS), "activation")]
    x, weight, bias, dtype = _check_layer(x, weight, bias)
    d_out = weight.shape[1]
    with kernel_threads(x.shape[0] * x.shape[1] * d_out, "flops", blas="outside"):
        out = np.matmul(x, weight)
    if out.size and (bias is not None or act != k.ACT_NONE):
        k.bias_activate_inplace(out, np.zeros(d_out, dtype) if bias is None else bias, act)
    return out


def linear_backward(grad_out, x, weight, out=None, activation=None):
    """Gradients of :func:`linear` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_out : array_like, shape (n, d_out)
        Gradient of the loss with respect to the layer's output.
    x : array_like, shape (n, d_in)
        The layer's input.
    weight : array_like, shape (d_in, d_out)
    out : array_like, shape (n, d_out), optional
        The layer's output (after the activation); required unless
        ``activation`` is None, since the activation's derivative is
        computed from it.
    activation : {None, 'relu', 'sigmoid', 'tanh'}

    Returns
    -------
    grad_x : ndarray, shape (n, d_in)
    grad_weight : ndarray, shape (d_in, d_out)
    grad_bias : ndarray, shape (d_out,)

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> x, w = np.array([[1.0, 2.0]]), np.array([[1.0], [-1.0]])
    >>> y = fm.linear(x, w, activation="relu")
    >>> gx, gw, gb = fm.linear_backward(np.ones_like(y), x, w, y, "relu")
    >>> gb
    array([0.])
    """
    act = ACTIVATIONS[check_choice(activation, tuple(ACTIVATIONS), "activation")]
    x, weight, _, dtype = _check_layer(x, weight, None)
    n, d_out = x.shape[0], weight.shape[1]
    grad_out = as_float_array(grad_out, "grad_out", ndim=2)
    check_shape(grad_out, (n, d_out), "grad_out")
    dtype = result_dtype(dtype, grad_out.dtype)
    x, weight = x.astype(dtype, copy=False), weight.astype(dtype, copy=False)
    grad_out = np.ascontiguousarray(grad_out, dtype=dtype)
    bounds = fixed_chunk_bounds(n, max_chunks=64, min_chunk=64)
    partials = np.empty((bounds.shape[0] - 1, d_out), dtype=dtype)
    if act != k.ACT_NONE:
        if out is None:
            raise ValueError(f"out (the layer's output) is required when activation={activation!r}")
        out = as_float_array(out, "out", ndim=2, dtype=dtype, c_contiguous=True)
        check_shape(out, (n, d_out), "out")
    with kernel_threads(n * d_out, "elementwise"):
        if act == k.ACT_NONE:
            grad_pre = grad_out
            k.column_sums_chunked(grad_pre, partials, bounds)
        else:
            grad_pre = np.empty((n, d_out), dtype=dtype)
            k.activation_grad(grad_out, out, act, grad_pre, partials, bounds)
    grad_bias = partials.sum(axis=0)
    with kernel_threads(n * x.shape[1] * d_out, "flops", blas="outside"):
        grad_x = grad_pre @ weight.T
        grad_weight = x.T @ grad_pre
    return grad_x, grad_weight, grad_bias.astype(dtype, copy=False)
