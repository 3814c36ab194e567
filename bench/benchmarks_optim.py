"""asv benchmarks of the optimization family: fused optimizer steps and clipping."""
import numpy as np

from fastmath import optim

DTYPES = ["float32", "float64"]
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=1e-3, momentum=0.9),
    "Adagrad": lambda p: optim.Adagrad(p),
    "RMSprop": lambda p: optim.RMSprop(p, centered=True),
    "Adam": lambda p: optim.Adam(p),
    "AdamW": lambda p: optim.AdamW(p, amsgrad=True),
}


class OptimizerStep:
    param_names = ["optimizer", "dtype"]
    params = [list(OPTIMIZERS), DTYPES]
    timeout = 600  # a clean checkout compiles the kernels in the first setup

    def setup(self, name, dtype):
        rng = np.random.default_rng(0)
        self.p = rng.standard_normal(1_000_000).astype(dtype)
        self.g = rng.standard_normal(1_000_000).astype(dtype)
        self.opt = OPTIMIZERS[name](self.p)
        self.opt.step(self.g)  # compile (or load from the cache) outside the timing

    def time_step(self, name, dtype):
        self.opt.step(self.g)

    def peakmem_step(self, name, dtype):
        self.opt.step(self.g)


class Clip:
    param_names = ["dtype"]
    params = [DTYPES]
    timeout = 600

    def setup(self, dtype):
        self.g = np.random.default_rng(0).standard_normal(1_000_000).astype(dtype)
        optim.clip_grad_norm(self.g, 1e9)  # compile (or load from the cache) outside the timing

    def time_clip_grad_norm(self, dtype):
        optim.clip_grad_norm(self.g, 1e9)

    def peakmem_clip_grad_norm(self, dtype):
        optim.clip_grad_norm(self.g, 1e9)
