"""Convolution: the math of CNNs, forward and backward, and 2-D image correlation."""
from .convolution import conv2d, conv2d_backward
from .correlate import convolve2d, correlate2d
from .pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "convolve2d",
    "correlate2d",
    "max_pool2d",
    "max_pool2d_backward",
]
