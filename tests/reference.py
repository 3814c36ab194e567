"""Plain NumPy references every kernel is tested against.

Deliberately simple and obviously correct: loops or direct formulas, no
tricks. Inputs are converted to float64 and the result cast back at the end.
"""
import numpy as np


def matmul(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    a2 = np.broadcast_to(a2, batch + a2.shape[-2:])
    b2 = np.broadcast_to(b2, batch + b2.shape[-2:])
    out = np.zeros(batch + (a2.shape[-2], b2.shape[-1]))
    for p in range(a2.shape[-1]):  # sum of outer products, one k at a time
        out += a2[..., :, p, None] * b2[..., None, p, :]
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def activation(v, name):
    if name is None:
        return v
    if name == "relu":
        return np.where(v < 0, 0.0, v)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-v))
    if name == "tanh":
        return np.tanh(v)
    raise ValueError(name)


def activation_derivative_from_output(y, name):
    if name is None:
        return np.ones_like(y)
    if name == "relu":
        return (y > 0).astype(np.float64)
    if name == "sigmoid":
        return y * (1 - y)
    if name == "tanh":
        return 1 - y * y
    raise ValueError(name)


def linear(x, w, b, act):
    v = np.asarray(x, np.float64) @ np.asarray(w, np.float64)
    if b is not None:
        v = v + np.asarray(b, np.float64)
    return activation(v, act)


def linear_backward(g, x, w, y, act):
    g = np.asarray(g, np.float64)
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    gp = g if act is None else g * activation_derivative_from_output(np.asarray(y, np.float64), act)
    return gp @ w.T, x.T @ gp, gp.sum(axis=0)


def gram(a, weights=None):
    a = np.asarray(a, np.float64)
    w = np.ones(a.shape[0]) if weights is None else np.asarray(weights, np.float64)
    return a.T @ np.diag(w) @ a


def pairwise_sqdist(x, y=None):
    x = np.asarray(x, np.float64)
    y = x if y is None else np.asarray(y, np.float64)
    out = np.empty((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        out[i] = ((x[i] - y) ** 2).sum(axis=1)
    return out


def spmv(A, x):
    dense = np.asarray(A.toarray(), np.float64)
    return dense @ np.asarray(x, np.float64)


def spmm(A, B):
    dense = np.asarray(A.toarray(), np.float64)
    return dense @ np.asarray(B, np.float64)


def softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def logsumexp(x, axis=-1):
    x = np.asarray(x, np.float64)
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m, axis=axis)
