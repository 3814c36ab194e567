"""Optimizers with fused in-place steps, constructed like ``torch.optim``."""
from __future__ import annotations

import math

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_real
from . import _kernels as k

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


def _check_params(params):
    """One float32/float64 ndarray or a list of them, updated in place."""
    single = isinstance(params, np.ndarray)
    arrays = [params] if single else list(params)
    if not arrays:
        raise ValueError("params must not be empty")
    for i, p in enumerate(arrays):
        if not isinstance(p, np.ndarray):
            raise TypeError(f"params[{i}] must be a numpy.ndarray (updated in place), got {type(p).__name__}")
        if p.dtype not in (np.float32, np.float64):
            raise TypeError(f"params[{i}] must be float32 or float64, got {p.dtype}")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only")
    return arrays, single


def _check_hyper(name, value, low=0.0, high=None, *, open_high=False):
    """A finite real hyper-parameter in [low, high] (or [low, high)): TypeError or ValueError."""
    return check_real(value, name, low=low, high=high, closed="left" if open_high else "both")


class Optimizer:
    """Base class: parameter bookkeeping, gradient checks and per-parameter state.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float
        The learning rate, >= 0; a schedule may change ``lr`` between steps.

    Subclasses name their state arrays in ``_state_names`` and implement
    ``_update(i, flat_param, flat_grad, state)``.
    """

    _state_names: tuple = ()

    def __init__(self, params, lr):
        self.params, self._single = _check_params(params)
        self.lr = _check_hyper("lr", lr)
        self.zero_state()

    def zero_state(self):
        """Forget the step count and every moment/accumulator (the params are kept).

        Returns
        -------
        None
        """
        self.step_count = 0
        self.state = [{name: self._initial_state(name, p) for name in self._state_names}
                      for p in self.params]

    def _initial_state(self, name, p):
        return np.zeros(p.size, dtype=p.dtype)

    def _grads(self, grads):
        grads = [grads] if self._single and not isinstance(grads, (list, tuple)) else list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays, one per param, got {len(grads)}")
        out = []
        for i, (p, g) in enumerate(zip(self.params, grads)):
            g = as_float_array(g, f"grads[{i}]", dtype=p.dtype, c_contiguous=True)
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] must have shape {p.shape} like params[{i}], got {g.shape}")
            out.append(g.reshape(-1))
        return out

    @staticmethod
    def _typed(p, *values):
        """Scalars in the parameter's dtype, so float32 math stays float32."""
        return tuple(p.dtype.type(v) for v in values)

    def step(self, grads):
        """Apply one update to every parameter, in place.

        Parameters
        ----------
        grads : ndarray or list of ndarray
            One gradient per parameter, same shapes (converted to each
            parameter's dtype).

        Returns
        -------
        None
            The parameters are updated in place.
        """
        grads = self._grads(grads)
        self.lr = _check_hyper("lr", self.lr)  # a schedule may have changed it
        self.step_count += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            flat = p.reshape(-1) if p.flags.c_contiguous else np.ascontiguousarray(p).reshape(-1)
            with kernel_threads(flat.size, "elementwise"):
                self._update(flat, g, self.state[i])
            if not p.flags.c_contiguous:  # a strided view: write the result back
                p[...] = flat.reshape(p.shape)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    The update of ``torch.optim.SGD``: ``d = g + weight_decay p``; with
    momentum ``b = momentum b + (1 - dampening) d`` (``b = d`` at the first
    step) and ``d = b`` (or ``d + momentum b`` with Nesterov); ``p -= lr d``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float, default 1e-3
    momentum, dampening, weight_decay : float, default 0.0
        All >= 0.
    nesterov : bool, default False
        Needs ``momentum > 0`` and ``dampening == 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD
    >>> w = np.array([1.0, 2.0])
    >>> opt = SGD(w, lr=0.1, momentum=0.9)
    >>> opt.step(np.array([1.0, 1.0]))
    >>> w
    array([0.9, 1.9])
    """

    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.momentum = _check_hyper("momentum", momentum)
        self.dampening = _check_hyper("dampening", dampening)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)
        super().__init__(params, lr)

    def _update(self, p, g, state):
        k.sgd_step(p, g, state["momentum_buffer"],
                   *self._typed(p, self.lr, self.momentum, 1 - self.dampening, self.weight_decay),
                   self.nesterov, self.step_count == 1)


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay, weight decay and an initial accumulator.

    The update of ``torch.optim.Adagrad``: ``d = g + weight_decay p``,
    ``sum += d**2``, ``p -= lr / (1 + (t - 1) lr_decay) * d / (sqrt(sum) + eps)``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float, default 1e-2
    lr_decay, weight_decay, initial_accumulator_value : float, default 0.0
    eps : float, default 1e-10

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import Adagrad
    >>> w = np.zeros(2)
    >>> Adagrad(w, lr=0.5).step(np.array([1.0, -2.0]))
    >>> w.round(6)
    array([-0.5,  0.5])
    """

    _state_names = ("sum",)

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        self.lr_decay = _check_hyper("lr_decay", lr_decay)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.initial_accumulator_value = _check_hyper("initial_accumulator_value",
                                                      initial_accumulator_value)
        self.eps = _check_hyper("eps", eps)
        super().__init__(params, lr)

    def _initial_state(self, name, p):
        return np.full(p.size, self.initial_accumulator_value, dtype=p.dtype)

    def _update(self, p, g, state):
        clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        k.adagrad_step(p, g, state["sum"], *self._typed(p, clr, self.weight_decay, self.eps))


class RMSprop(Optimizer):
    """RMSprop with smoothing ``alpha``, optional centering and momentum.

    The update of ``torch.optim.RMSprop``: ``v = alpha v + (1 - alpha) d**2``
    (minus the squared running mean of ``d`` when centered), then
    ``p -= lr d / (sqrt(v) + eps)``, through a momentum buffer if ``momentum > 0``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float, default 1e-2
    alpha : float in [0, 1], default 0.99
    eps : float, default 1e-8
    weight_decay, momentum : float, default 0.0
    centered : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import RMSprop
    >>> w = np.zeros(2)
    >>> RMSprop(w, lr=0.01, alpha=0.0).step(np.array([1.0, -2.0]))
    >>> w.round(6)
    array([-0.01,  0.01])
    """

    _state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        self.alpha = _check_hyper("alpha", alpha, 0.0, 1.0)
        self.eps = _check_hyper("eps", eps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.momentum = _check_hyper("momentum", momentum)
        self.centered = bool(centered)
        super().__init__(params, lr)

    def _update(self, p, g, state):
        k.rmsprop_step(p, g, state["square_avg"], state["grad_avg"], state["momentum_buffer"],
                       *self._typed(p, self.lr, self.alpha, 1 - self.alpha, self.eps,
                                    self.weight_decay, self.momentum), self.centered)


class Adam(Optimizer):
    """Adam (Kingma and Ba) with L2 weight decay and optional AMSGrad.

    The update of ``torch.optim.Adam``, bias-corrected moments of
    ``d = g + weight_decay p``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0.0
    amsgrad : bool, default False
        Divide by the running maximum of the second moment.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import Adam
    >>> w = np.zeros(3, dtype=np.float32)
    >>> opt = Adam(w, lr=0.1)
    >>> opt.step(np.array([1.0, -1.0, 0.0]))
    >>> w.round(4)
    array([-0.1,  0.1,  0. ], dtype=float32)
    """

    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair, got {betas!r}")
        self.betas = (_check_hyper("betas[0]", betas[0], 0.0, 1.0, open_high=True),
                      _check_hyper("betas[1]", betas[1], 0.0, 1.0, open_high=True))
        self.eps = _check_hyper("eps", eps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        super().__init__(params, lr)

    def _initial_state(self, name, p):
        if name == "max_exp_avg_sq" and not self.amsgrad:
            return np.zeros(0, dtype=p.dtype)  # never read
        return super()._initial_state(name, p)

    def _update(self, p, g, state):
        b1, b2 = self.betas
        t = self.step_count
        keep = 1 - self.lr * self.weight_decay if self._decoupled else 1.0
        l2 = 0.0 if self._decoupled else self.weight_decay
        k.adam_step(p, g, state["exp_avg"], state["exp_avg_sq"],
                    state["max_exp_avg_sq"] if self.amsgrad else state["exp_avg_sq"],
                    *self._typed(p, self.lr / (1 - b1 ** t), b1, 1 - b1, b2, 1 - b2,
                                 1 / math.sqrt(1 - b2 ** t), self.eps, l2, keep),
                    self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p *= 1 - lr * wd`` first.

    The update of ``torch.optim.AdamW``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        float32/float64 arrays, updated in place by :meth:`step`.
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
    amsgrad : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import AdamW
    >>> w = np.ones(2)
    >>> AdamW(w, lr=0.1, weight_decay=0.5).step(np.array([1.0, -1.0]))
    >>> w.round(4)
    array([0.85, 1.05])
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
