"""Argument parsing and output sizes shared by convolution and pooling."""
from __future__ import annotations

import numbers

import numpy as np


def pair(value, name: str, *, minimum: int) -> tuple:
    """An int or a pair of ints, each at least ``minimum``, as a tuple of two."""
    if type(value) is int and value >= minimum:  # the common case, without the ABC checks
        return value, value
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                  for v in items):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in items):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(items[0]), int(items[1])


def out_size(size: int, pad_total: int, extent: int, stride: int) -> int:
    """Output length of a window of ``extent`` sliding with ``stride`` (floor mode)."""
    return (size + pad_total - extent) // stride + 1


def conv_padding(padding, kernel_hw, dilation, stride):
    """Padding as ((top, bottom), (left, right)); 'valid' and 'same' as in torch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"padding='same' needs stride 1, got stride={stride}")
            pads = []
            for k, d in zip(kernel_hw, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same'; got {padding!r}")
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph), (pw, pw)


def batched(x: np.ndarray, name: str, *, nonempty_planes: bool = False):
    """``x`` as (N, C, H, W), and whether it came unbatched as (C, H, W) (torch accepts both).

    With ``nonempty_planes``, zero channels, rows or columns raise
    ``ValueError`` as torch's pooling does (an empty batch is fine).
    """
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} must be 3-D (C, H, W) or 4-D (N, C, H, W), got {x.ndim}-D "
                         f"array of shape {x.shape}")
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    if nonempty_planes and 0 in x4.shape[1:]:
        raise ValueError(f"{name} must have non-empty channels, rows and columns (only the "
                         f"batch may be empty), got shape {x.shape}")
    return x4, unbatched
