"""SGD losses, their gradients and the codes a fit is configured with (scikit-learn's
definitions); the settings record every compiled step reads."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._config.jit import jit


# Loss codes. The perceptron is the hinge loss with threshold 0.
HINGE, LOG, MODIFIED_HUBER, SQUARED_HINGE = 0, 1, 2, 3
SQUARED_ERROR, HUBER, EPSILON_INSENSITIVE, SQUARED_EPSILON_INSENSITIVE = 4, 5, 6, 7
# Penalty codes and learning-rate schedules.
PENALTY_NONE, PENALTY_L2, PENALTY_L1, PENALTY_ELASTICNET = 0, 1, 2, 3
LR_CONSTANT, LR_OPTIMAL, LR_INVSCALING, LR_ADAPTIVE = 0, 1, 2, 3
LR_PA1, LR_PA2 = 4, 5  # passive-aggressive steps (Crammer et al. 2006), eta0 is their C
# Status of a fit.
OK, DIVERGED = 0, 1

MAX_DLOSS = 1e12


class SGDSettings(NamedTuple):
    """Scalars shared by every sub-problem of one fit (a numba named tuple)."""

    loss: int
    loss_param: float  # hinge threshold, or epsilon of the huber/insensitive losses
    penalty: int
    alpha: float
    l1_ratio: float
    learning_rate: int
    eta0: float
    power_t: float
    fit_intercept: bool
    intercept_decay: float
    max_iter: int
    tol: float  # -inf: run max_iter epochs
    n_iter_no_change: int
    early_stopping: bool
    shuffle: bool
    average: int  # 0: off; otherwise averaging starts at sample number ``average``
    classifier: bool  # validation score: accuracy (True) or R^2 (False)
    wscale_floor: float  # fold wscale into w below this (1e-9 float64, 1e-6 float32)


@jit(fastmath=False)  # scalar, IEEE like scikit-learn's: SGD amplifies a rounding difference
def _log1pexp(x):
    """``log(1 + exp(x))`` without overflow, scikit-learn's piecewise formula."""
    if x <= -37.0:
        return np.exp(x)
    if x <= -2.0:
        return np.log1p(np.exp(x))
    if x <= 18.0:
        return np.log(1.0 + np.exp(x))
    if x <= 33.3:
        return x + np.exp(-x)
    return x


@jit(fastmath=False)
def loss_value(code, param, y, p):
    """Loss of prediction ``p`` for target ``y`` (scikit-learn's definitions).

    The log loss is scikit-learn's half binomial loss on the label ``(y + 1) / 2``.
    """
    if code == HINGE:
        z = p * y
        return param - z if z <= param else 0.0
    if code == LOG:
        return _log1pexp(p) - 0.5 * (y + 1.0) * p
    if code == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    if code == SQUARED_HINGE:
        z = param - p * y
        return z * z if z > 0.0 else 0.0
    if code == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if code == HUBER:
        r = abs(p - y)
        return 0.5 * r * r if r <= param else param * r - 0.5 * param * param
    r = max(0.0, abs(y - p) - param)
    return r if code == EPSILON_INSENSITIVE else r * r


@jit(fastmath=False)
def loss_gradient(code, param, y, p):
    """Derivative of :func:`loss_value` with respect to ``p``."""
    if code == HINGE:
        return -y if p * y <= param else 0.0
    if code == LOG:  # expit(p) - label, in scikit-learn's stable form
        label = 0.5 * (y + 1.0)
        if p > -37.0:
            e = np.exp(-p)
            return ((1.0 - label) - label * e) / (1.0 + e)
        return np.exp(p) - label
    if code == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return -2.0 * (1.0 - z) * y
        return -4.0 * y
    if code == SQUARED_HINGE:
        z = param - p * y
        return -2.0 * y * z if z > 0.0 else 0.0
    if code == SQUARED_ERROR:
        return p - y
    if code == HUBER:
        r = p - y
        if abs(r) <= param:
            return r
        return param if r > 0.0 else -param
    z = y - p
    if code == EPSILON_INSENSITIVE:
        if z > param:
            return -1.0
        return 1.0 if -z > param else 0.0
    if z > param:
        return -2.0 * (z - param)
    return 2.0 * (-z - param) if z < -param else 0.0


# --- row accessors: dense rows vectorize, sparse rows gather (kept ordered:
# AVX-512 gathers are slower than scalar loads on the CPUs we measured) ---
