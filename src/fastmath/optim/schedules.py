"""Learning-rate schedules usable with any optimizer of this package.

Each schedule keeps the optimizer's starting rate as ``base_lr``; call
:meth:`LRSchedule.step` once per epoch (or per update) and it sets
``optimizer.lr`` for the next one. The formulas are torch's closed forms.
"""
from __future__ import annotations

import abc
import math

from .._validation import check_int, check_real

__all__ = ["LRSchedule", "ConstantLR", "StepLR", "ExponentialLR", "CosineAnnealingLR",
           "InverseScalingLR"]


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` that overflows to inf as torch's float arithmetic does."""
    try:
        return base ** exponent
    except OverflowError:
        return math.inf


class LRSchedule(abc.ABC):
    """Base class: ``lr_at(t)`` gives the rate after ``t`` calls of :meth:`step`.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with a numeric ``lr`` attribute; its current ``lr`` is
        the schedule's ``base_lr``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, StepLR
    >>> opt = SGD(np.zeros(2), lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> [round(sched.step(), 3) for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have an 'lr' attribute, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = check_real(optimizer.lr, "optimizer.lr", low=0.0)
        self.last_epoch = 0

    @abc.abstractmethod
    def lr_at(self, t: int) -> float:
        """The learning rate after ``t`` calls of :meth:`step`.

        Parameters
        ----------
        t : int
            Epochs done.

        Returns
        -------
        float
        """

    def step(self) -> float:
        """Advance one epoch, set and return the optimizer's new learning rate.

        Returns
        -------
        float
        """
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        return self.optimizer.lr


class ConstantLR(LRSchedule):
    """The starting rate, always.

    Parameters
    ----------
    optimizer : Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, ConstantLR
    >>> sched = ConstantLR(SGD(np.zeros(2), lr=0.1))
    >>> [sched.step() for _ in range(2)]
    [0.1, 0.1]
    """

    def lr_at(self, t):
        return self.base_lr


class StepLR(LRSchedule):
    """``base_lr * gamma ** (t // step_size)``, as ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between decays, at least 1.
    gamma : float, default 0.1
        Decay factor, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, StepLR
    >>> sched = StepLR(SGD(np.zeros(2), lr=1.0), step_size=2)
    >>> [round(sched.step(), 3) for _ in range(4)]
    [1.0, 0.1, 0.1, 0.01]
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_int(step_size, "step_size", low=1)
        self.gamma = check_real(gamma, "gamma", low=0.0, closed="neither")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * _power(self.gamma, t // self.step_size)


class ExponentialLR(LRSchedule):
    """``base_lr * gamma ** t``, as ``torch.optim.lr_scheduler.ExponentialLR``.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Decay factor per epoch, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, ExponentialLR
    >>> sched = ExponentialLR(SGD(np.zeros(2), lr=1.0), gamma=0.5)
    >>> [sched.step() for _ in range(3)]
    [0.5, 0.25, 0.125]
    """

    def __init__(self, optimizer, gamma):
        self.gamma = check_real(gamma, "gamma", low=0.0, closed="neither")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * _power(self.gamma, t)


class CosineAnnealingLR(LRSchedule):
    """``eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2``, torch's closed form.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs of the half cosine, at least 1.
    eta_min : float, default 0.0
        The rate at ``t = T_max``, finite and >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, CosineAnnealingLR
    >>> sched = CosineAnnealingLR(SGD(np.zeros(2), lr=1.0), T_max=2)
    >>> [round(sched.step(), 3) for _ in range(2)]
    [0.5, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_int(T_max, "T_max", low=1)
        self.eta_min = check_real(eta_min, "eta_min", low=0.0)
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class InverseScalingLR(LRSchedule):
    """``base_lr / (t + 1) ** power_t``: scikit-learn's 'invscaling', counted from 1.

    Parameters
    ----------
    optimizer : Optimizer
    power_t : float, default 0.5
        Finite and > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.optim import SGD, InverseScalingLR
    >>> sched = InverseScalingLR(SGD(np.zeros(2), lr=1.0), power_t=1.0)
    >>> [sched.step() for _ in range(3)]
    [0.5, 0.3333333333333333, 0.25]
    """

    def __init__(self, optimizer, power_t=0.5):
        self.power_t = check_real(power_t, "power_t", low=0.0, closed="neither")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr / _power(t + 1, self.power_t)
