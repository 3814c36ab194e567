"""asv benchmarks of the matrix-ops family: time and peak memory of every kernel.

Sizes are moderate so that ``asv run --quick`` stays fast; ``fastmath bench``
holds the full-size comparisons with the peers.
"""
import numpy as np
import scipy.sparse as sp

import fastmath as fm

from ._warm import warm_all

DTYPES = ["float32", "float64"]


class _Base:
    param_names = ["dtype"]
    params = [DTYPES]
    timeout = 600  # a clean checkout compiles the kernels in the first setup

    def setup(self, dtype):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((1024, 256)).astype(dtype)
        self.w = rng.standard_normal((256, 256)).astype(dtype)
        self.b = rng.standard_normal(256).astype(dtype)
        self.stack = rng.standard_normal((20_000, 4, 4)).astype(dtype)
        self.A = sp.random(20_000, 5_000, density=0.005, format="csr", random_state=0, dtype=dtype)
        self.B = rng.standard_normal((5_000, 64)).astype(dtype)
        self.y = fm.linear(self.x, self.w, self.b, "relu")
        warm_all(self, dtype)


class Matrix(_Base):
    def time_matmul_2d(self, dtype):
        fm.matmul(self.w, self.w)

    def time_matmul_stacked_4x4(self, dtype):
        fm.matmul(self.stack, self.stack)

    def time_linear_relu(self, dtype):
        fm.linear(self.x, self.w, self.b, "relu")

    def time_linear_backward_relu(self, dtype):
        fm.linear_backward(self.y, self.x, self.w, self.y, "relu")

    def time_gram(self, dtype):
        fm.gram(self.x)

    def time_pairwise_sqdist(self, dtype):
        fm.pairwise_sqdist(self.x)

    def time_spmv(self, dtype):
        fm.spmv(self.A, self.B[:, 0])

    def time_spmm(self, dtype):
        fm.spmm(self.A, self.B)

    def time_softmax(self, dtype):
        fm.softmax(self.x)

    def time_logsumexp(self, dtype):
        fm.logsumexp(self.x)


class MatrixMemory(_Base):
    def peakmem_matmul_2d(self, dtype):
        fm.matmul(self.w, self.w)

    def peakmem_matmul_stacked_4x4(self, dtype):
        fm.matmul(self.stack, self.stack)

    def peakmem_linear_backward_relu(self, dtype):
        fm.linear_backward(self.y, self.x, self.w, self.y, "relu")

    def peakmem_gram(self, dtype):
        fm.gram(self.x)

    def peakmem_spmv(self, dtype):
        fm.spmv(self.A, self.B[:, 0])

    def peakmem_logsumexp(self, dtype):
        fm.logsumexp(self.x)

    def peakmem_linear_relu(self, dtype):
        fm.linear(self.x, self.w, self.b, "relu")

    def peakmem_pairwise_sqdist(self, dtype):
        fm.pairwise_sqdist(self.x)

    def peakmem_spmm(self, dtype):
        fm.spmm(self.A, self.B)

    def peakmem_softmax(self, dtype):
        fm.softmax(self.x)
