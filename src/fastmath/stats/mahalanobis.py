"""Batched Mahalanobis distances through a Cholesky factor of the covariance."""
from __future__ import annotations

import numpy as np
import scipy.linalg

from .._chunks import fixed_chunk_bounds
from .._config.threads import kernel_threads
from .._config.cpu import vector_bytes
from .._validation import as_float_array, check_shape
from . import _norm_tiles

CHUNK_ROWS = 8192  # rows of one parallel task
BLOCK_ROWS = 256  # centred rows kept in cache: 64 KiB at 32 features


def tile_shape() -> tuple:
    """``(R, W)``: rows and float64 columns of a tile of :mod:`._norm_tiles`: 8 rows of
    one 512-bit vector with AVX-512, 4 of one 256-bit vector with AVX2."""
    width = vector_bytes()
    return (8 if width == 64 else 4), width // 8


def pack_strips(transform, width):
    """``transform`` (d, d) in strips of ``width`` columns, feature-major and zero
    padded, and for each strip the rows up to its last nonzero one."""
    d = transform.shape[0]
    n_strips = max(1, -(-d // width))
    padded = np.zeros((d, n_strips * width))
    padded[:, :d] = transform
    upack = np.ascontiguousarray(padded.reshape(d, n_strips, width).transpose(1, 0, 2))
    nonzero = upack.any(axis=2)  # (strips, d)
    depths = np.where(nonzero.any(axis=1), d - np.argmax(nonzero[:, ::-1], axis=1), 0)
    return upack, depths.astype(np.int64)


def whitening_matrix(cov, name: str = "cov") -> np.ndarray:
    """``inv(L).T`` for ``cov = L L^T``; ``ValueError`` if ``cov`` is not positive definite."""
    cov = as_float_array(cov, name, dtype=np.float64, ndim=2)
    if cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name} must be square, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or infinity")
    scale = np.abs(cov).max() if cov.size else 0.0
    asymmetry = np.abs(cov - cov.T).max() if cov.size else 0.0
    if asymmetry > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric: it differs from its transpose by up to "
                         f"{asymmetry:.3g} (largest entry {scale:.3g})")
    advice = ("shrink it towards a scaled identity (e.g. MahalanobisDetector(shrinkage=...))")
    try:
        L = scipy.linalg.cholesky(cov, lower=True)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"{name} is singular or not positive definite ({exc}); {advice}") from exc
    # a rank-deficient covariance can factor with a pivot at rounding level:
    # its distances would be noise of size 1 / sqrt(eps), so refuse it too
    pivots = np.diag(L) ** 2
    tolerance = 1e3 * cov.shape[0] * np.finfo(np.float64).eps  # condition number ~1e12
    if cov.shape[0] and pivots.min() <= tolerance * np.diag(cov).max():
        raise ValueError(f"{name} is singular to working precision (smallest Cholesky pivot "
                         f"{pivots.min():.3g}); {advice}")
    inv = scipy.linalg.solve_triangular(L, np.eye(cov.shape[0]), lower=True)
    return np.ascontiguousarray(inv.T)


def mahalanobis(X, mean, cov, *, squared=False):
    """Mahalanobis distance of each row of ``X`` to ``mean`` under ``cov``.

    ``sqrt((x - mean)^T cov^{-1} (x - mean))`` computed through the Cholesky
    factor of ``cov`` (never its explicit inverse), row blocks in parallel.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    mean : array_like of shape (n_features,)
    cov : array_like of shape (n_features, n_features), symmetric positive definite
    squared : bool
        Return squared distances (what ``EmpiricalCovariance.mahalanobis`` returns).

    Returns
    -------
    ndarray of shape (n_samples,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.stats import mahalanobis
    >>> mahalanobis([[2.0, 0.0], [0.0, 3.0]], [0.0, 0.0], np.diag([4.0, 9.0]))
    array([1., 1.])
    """
    X = as_float_array(X, "X", ndim=2)
    mean = as_float_array(mean, "mean", dtype=np.float64, ndim=1)
    check_shape(mean, (X.shape[1],), "mean")
    check_shape(np.asarray(cov), (X.shape[1], X.shape[1]), "cov")
    transform = whitening_matrix(cov)
    out = np.empty(X.shape[0])
    if X.shape[0]:
        n_chunks = max(1, -(-X.shape[0] // CHUNK_ROWS))
        bounds = fixed_chunk_bounds(X.shape[0], n_chunks)
        with kernel_threads(X.shape[0] * X.shape[1] ** 2, "flops"):
            rows, width = tile_shape()
            upack, depths = pack_strips(transform, width)
            _norm_tiles.norm_kernel(rows, width)(X, mean, upack, depths, bounds, BLOCK_ROWS, out,
                                                 squared)
    return out
