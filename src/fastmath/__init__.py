"""fastmath: fast, tested Numba kernels for machine-learning math."""
from ._config import get_num_threads, max_threads, set_num_threads, threading_layer
from ._warmup import warmup
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all
from .linalg import *  # noqa: F401,F403
from .linalg import __all__ as _linalg_all
from . import optim  # noqa: E402  (fastmath.optim: optimizers live in their own namespace)

__version__ = "0.1.0"

__all__ = [
    "get_num_threads",
    "max_threads",
    "set_num_threads",
    "threading_layer",
    "warmup",
    *_conv_all,
    *_linalg_all,
]


_LAZY_SUBMODULES = ("anomaly", "datasets", "linear_model", "metrics", "recommend", "stats")


def __getattr__(name):
    """Import the scikit-learn-based namespaces on first use (keeps ``import fastmath`` light)."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
