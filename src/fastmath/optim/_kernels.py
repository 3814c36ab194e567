"""Fused, in-place, single-pass optimizer updates over flat parameter arrays.

Every kernel reads each element of the parameter, gradient and state once and
writes it once, in parallel. The update rules are those documented for
``torch.optim`` (single-tensor form). The caller folds the scalars, including
``1 - beta`` terms, and passes them in the parameters' dtype: a Python float
(or an int literal in an expression) would turn float32 arithmetic into float64.
"""
import math

import numpy as np

from numba import prange

from .._config.jit import jit_parallel


@jit_parallel
def sgd_step(p, g, buf, lr, momentum, keep_grad, weight_decay, nesterov, first):
    """``keep_grad`` is ``1 - dampening``."""
    for i in prange(p.shape[0]):
        d = g[i] + weight_decay * p[i]
        if momentum != 0:
            b = d if first else momentum * buf[i] + keep_grad * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        p[i] -= lr * d


@jit_parallel
def adagrad_step(p, g, acc, clr, weight_decay, eps):
    for i in prange(p.shape[0]):
        d = g[i] + weight_decay * p[i]
        s = acc[i] + d * d
        acc[i] = s
        p[i] -= clr * d / (math.sqrt(s) + eps)


@jit_parallel
def rmsprop_step(p, g, sq, gavg, buf, lr, alpha, one_minus_alpha, eps, weight_decay, momentum,
                 centered):
    for i in prange(p.shape[0]):
        d = g[i] + weight_decay * p[i]
        v = alpha * sq[i] + one_minus_alpha * d * d
        sq[i] = v
        if centered:
            a = alpha * gavg[i] + one_minus_alpha * d
            gavg[i] = a
            v = v - a * a
        step = d / (math.sqrt(v) + eps)
        if momentum > 0:
            step = momentum * buf[i] + step
            buf[i] = step
        p[i] -= lr * step


@jit_parallel
def adam_step(p, g, m, v, vmax, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2,
              inv_sqrt_bc2, eps, weight_decay, keep, amsgrad):
    """Adam (``keep == 1``) and AdamW (``weight_decay == 0``, the caller passes
    ``keep = 1 - lr * wd``, the decoupled decay) in one pass."""
    for i in prange(p.shape[0]):
        x = p[i] * keep
        d = g[i] + weight_decay * x
        mi = beta1 * m[i] + one_minus_beta1 * d
        vi = beta2 * v[i] + one_minus_beta2 * d * d
        m[i] = mi
        v[i] = vi
        if amsgrad:  # maximum that propagates NaN, as torch.maximum
            vm = vmax[i]
            if vm != vm or vm > vi:
                vi = vm
            vmax[i] = vi
        p[i] = x - step_size * mi / (math.sqrt(vi) * inv_sqrt_bc2 + eps)


@jit_parallel
def sum_of_squares(g, bounds, partials):
    """partials[c] = sum of g**2 over fixed chunk c, in float64 (no float32 overflow)."""
    for c in prange(bounds.shape[0] - 1):
        acc = 0.0
        for i in range(bounds[c], bounds[c + 1]):
            v = np.float64(g[i])
            acc += v * v
        partials[c] = acc


@jit_parallel
def scale_inplace(g, factor):
    for i in prange(g.shape[0]):
        g[i] *= factor
