"""Matrix ops: the linear algebra every model is made of."""
from .distances import pairwise_sqdist
from .layers import linear, linear_backward
from .products import gram, matmul
from .softmax import logsumexp, softmax
from .sparse import CSRHandle, spmm, spmv

__all__ = [
    "CSRHandle",
    "gram",
    "linear",
    "linear_backward",
    "logsumexp",
    "matmul",
    "pairwise_sqdist",
    "softmax",
    "spmm",
    "spmv",
]
