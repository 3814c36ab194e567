"""Optimizers: fused in-place update steps, gradient clipping, learning-rate schedules."""
from .clipping import clip_grad_norm
from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .schedules import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    InverseScalingLR,
    LRSchedule,
    StepLR,
)

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseScalingLR",
    "LRSchedule",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "clip_grad_norm",
]
