"""asv benchmarks of the optimization family: fused optimizer steps, clipping, SGD fits."""
import numpy as np

from fastmath import optim

from ._warm import warm_all

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


class SGDClassifierFit:
    """Five epochs of SGD (tol=None) on dense and CSR data, as in issue #5's targets."""

    param_names = ["case", "dtype"]
    params = [["log_loss-l2", "log_loss-elasticnet", "hinge-csr", "ovr-10"], DTYPES]
    timeout = 600

    def setup(self, case, dtype):
        import scipy.sparse as sp

        from fastmath.linear_model import SGDClassifier

        rng = np.random.default_rng(0)
        params = dict(max_iter=5, tol=None, random_state=0)
        if case == "hinge-csr":
            n, d, per_row = 50_000, 10_000, 10
            self.X = sp.csr_matrix((rng.random(n * per_row).astype(dtype),
                                    rng.integers(0, d, n * per_row),
                                    np.arange(0, n * per_row + 1, per_row)), shape=(n, d))
            self.y = np.arange(n) % 2
            self.model = SGDClassifier(loss="hinge", **params)
        elif case == "ovr-10":
            self.X = rng.standard_normal((20_000, 50)).astype(dtype)
            self.y = np.arange(20_000) % 10
            self.model = SGDClassifier(loss="hinge", n_jobs=2, **params)
        else:
            loss, penalty = case.split("-")
            self.X = rng.standard_normal((50_000, 100)).astype(dtype)
            self.y = (self.X[:, 0] > 0).astype(int)
            self.model = SGDClassifier(loss=loss, penalty=penalty, **params)
        warm_all(self, case, dtype)

    def time_fit(self, case, dtype):
        self.model.fit(self.X, self.y)

    def peakmem_fit(self, case, dtype):
        self.model.fit(self.X, self.y)
