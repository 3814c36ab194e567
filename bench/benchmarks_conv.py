"""asv benchmarks of the convolution family: time and peak memory of every kernel."""
import numpy as np

import fastmath as fm

from ._warm import warm_all

DTYPES = ["float32", "float64"]


class Conv:
    param_names = ["dtype"]
    params = [DTYPES]
    timeout = 600  # a clean checkout compiles the kernels in the first setup

    def setup(self, dtype):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((8, 16, 32, 32)).astype(dtype)
        self.w = rng.standard_normal((32, 16, 3, 3)).astype(dtype)
        self.wd = rng.standard_normal((16, 1, 3, 3)).astype(dtype)
        self.g = rng.standard_normal((8, 32, 32, 32)).astype(dtype)
        self.pooled, self.argmax = fm.max_pool2d(self.x, 2)
        self.image = rng.standard_normal((512, 512)).astype(dtype)
        self.kernel = rng.standard_normal((5, 5)).astype(dtype)
        warm_all(self, dtype)

    def time_conv2d(self, dtype):
        fm.conv2d(self.x, self.w, padding=1)

    def time_conv2d_depthwise(self, dtype):
        fm.conv2d(self.x, self.wd, padding=1, groups=16)

    def time_conv2d_backward(self, dtype):
        fm.conv2d_backward(self.g, self.x, self.w, padding=1)

    def time_max_pool2d(self, dtype):
        fm.max_pool2d(self.x, 2)

    def time_max_pool2d_backward(self, dtype):
        fm.max_pool2d_backward(self.pooled, self.argmax, self.x.shape)

    def time_avg_pool2d(self, dtype):
        fm.avg_pool2d(self.x, 3, 1, 1)

    def time_avg_pool2d_backward(self, dtype):
        fm.avg_pool2d_backward(self.x, self.x.shape, 3, 1, 1)

    def time_correlate2d(self, dtype):
        fm.correlate2d(self.image, self.kernel, "same")

    def time_convolve2d(self, dtype):
        fm.convolve2d(self.image, self.kernel, "valid")

    def peakmem_conv2d(self, dtype):
        fm.conv2d(self.x, self.w, padding=1)

    def peakmem_conv2d_backward(self, dtype):
        fm.conv2d_backward(self.g, self.x, self.w, padding=1)

    def peakmem_max_pool2d(self, dtype):
        fm.max_pool2d(self.x, 2)

    def peakmem_max_pool2d_backward(self, dtype):
        fm.max_pool2d_backward(self.pooled, self.argmax, self.x.shape)

    def peakmem_avg_pool2d(self, dtype):
        fm.avg_pool2d(self.x, 3, 1, 1)

    def peakmem_avg_pool2d_backward(self, dtype):
        fm.avg_pool2d_backward(self.x, self.x.shape, 3, 1, 1)

    def peakmem_correlate2d(self, dtype):
        fm.correlate2d(self.image, self.kernel, "same")

    def peakmem_convolve2d(self, dtype):
        fm.convolve2d(self.image, self.kernel, "valid")
