"""Learning-rate schedules usable with any optimizer of this package.

Each schedule keeps the optimizer's starting rate as ``base_lr``; call
:meth:`LRSchedule.step` once per epoch (or per update) and it sets
``optimizer.lr`` for the next one.
"""
from __future__ import annotations

import abc
import math

__all__ = ["LRSchedule", "ConstantLR", "StepLR", "ExponentialLR", "CosineAnnealingLR",
           "InverseScalingLR"]


class LRSchedule(abc.ABC):
    """Base class: ``lr_at(t)`` gives the rate after ``t`` calls of :meth:`step`.

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
            raise TypeError("optimizer must have an 'lr' attribute")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    @abc.abstractmethod
    def lr_at(self, t: int) -> float:
        """The learning rate after ``t`` calls of :meth:`step`."""

    def step(self) -> float:
        """Advance one epoch, set and return the optimizer's new learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        return self.optimizer.lr


def _positive(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return value


class ConstantLR(LRSchedule):
    """The starting rate, always."""

    def lr_at(self, t):
        return self.base_lr


class StepLR(LRSchedule):
    """``base_lr * gamma ** (t // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = int(_positive("step_size", step_size))
        self.gamma = _positive("gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRSchedule):
    """``base_lr * gamma ** t``."""

    def __init__(self, optimizer, gamma):
        self.gamma = _positive("gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** t


class CosineAnnealingLR(LRSchedule):
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2`` (closed form, as torch)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _positive("T_max", T_max)
        if eta_min < 0:
            raise ValueError(f"eta_min must be non-negative, got {eta_min!r}")
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class InverseScalingLR(LRSchedule):
    """``base_lr / (t + 1) ** power_t`` (scikit-learn's 'invscaling', counted from 1)."""

    def __init__(self, optimizer, power_t=0.5):
        self.power_t = _positive("power_t", power_t)
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr / (t + 1) ** self.power_t
