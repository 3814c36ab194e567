"""Mergeable statistics and the outlier detectors over Dask arrays and DataFrames.

Every row block is summarized on a worker (its moments and a uniform sample
of at most ``max_samples`` rows), and the summaries are merged in a tree:
moments by Chan, Golub and LeVeque's formula (exact up to rounding), samples
by drawing how many rows each side gives from the hypergeometric law (a
uniform sample of the union). A detector fitted this way equals the
in-memory one up to rounding when the data has at most ``max_samples``
rows; beyond that both keep a uniform sample, as documented in-memory, and
the two samples differ.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from ..anomaly import detectors as local
from ..anomaly._base import Reservoir
from .._estimator_state import unchanged_on_error
from ..stats import RunningMoments
from ._engine import get_client, in_worker_threads, is_dask_collection, tree_reduce
from .blockwise import _rows_chunked, map_rows

__all__ = ["MahalanobisDetector", "RobustZScoreDetector", "ZScoreDetector", "running_moments"]


def _row_blocks(X, name):
    """The delayed row blocks of a Dask array or DataFrame, each 2-D or 1-D."""
    X = _rows_chunked(X, name)
    return list(X.to_delayed().ravel())


@in_worker_threads
def _block_moments(block, ddof, where):
    try:
        return RunningMoments(ddof).update(block)
    except ValueError as err:
        raise ValueError(f"{err}{where}") from None


def _merge_moments(a, b, level=0, index=0):
    out = RunningMoments(a.ddof)
    return out.merge(a).merge(b)


def running_moments(X, ddof=1, client=None):
    """:class:`fastmath.stats.RunningMoments` of the rows of a Dask array or DataFrame.

    One summary per row block, merged in a tree on the cluster; the result
    equals one pass over all rows up to rounding, for any chunking.

    Parameters
    ----------
    X : dask.array.Array or Dask DataFrame, shape (n, d) or (n,); or array-like
    ddof : int, default 1
    client : distributed.Client, optional

    Returns
    -------
    fastmath.stats.RunningMoments

    Raises
    ------
    ValueError
        NaN or infinity in a block (the message names the block), or
        blocks of different widths.
    """
    if not is_dask_collection(X):
        return RunningMoments(ddof).update(X)
    client = get_client(client)
    blocks = _row_blocks(X, "X")
    futures = client.compute([_delayed(_block_moments)(b, ddof, f" (block {i})")
                              for i, b in enumerate(blocks)])
    return tree_reduce(client, futures, _merge_moments).result()


def _delayed(func):
    import dask

    return dask.delayed(func, pure=True)


# --- detectors ---------------------------------------------------------------

@in_worker_threads
def _block_summary(block, ddof, max_samples, seed, where):
    """(moments, uniform sample of at most max_samples rows, rows) of one block."""
    from sklearn.utils import assert_all_finite

    block = np.asarray(block)
    if block.ndim == 1:
        block = block[:, None]
    try:
        assert_all_finite(block, input_name="X")
    except ValueError as err:
        raise ValueError(f"{err}{where}") from None
    moments = _block_moments(block, ddof, where) if ddof is not None else None
    rng = np.random.RandomState(seed)
    n = block.shape[0]
    take = np.sort(rng.choice(n, max_samples, replace=False)) if n > max_samples else slice(None)
    return moments, np.array(block[take]), n


def _merge_summaries(a, b, max_samples, seed, level, index):
    moments = None if a[0] is None else _merge_moments(a[0], b[0], level, index)
    n = a[2] + b[2]
    size = min(max_samples, n)
    rng = np.random.RandomState([seed, level, index])
    from_a = rng.hypergeometric(a[2], b[2], size) if size else 0
    rows_a = a[1][np.sort(rng.choice(a[1].shape[0], from_a, replace=False))]
    rows_b = b[1][np.sort(rng.choice(b[1].shape[0], size - from_a, replace=False))]
    return moments, np.concatenate([rows_a, rows_b]), n


class _DaskDetector:
    """``fit`` on Dask collections by merged block summaries; scores by row blocks."""

    def fit(self, X, y=None, client=None):
        """Learn the normal data from a Dask array or DataFrame (or, in-process, any array).

        Parameters
        ----------
        X : dask.array.Array, Dask DataFrame or array-like, shape (n_samples, n_features)
        y : ignored
        client : distributed.Client, optional

        Returns
        -------
        self
        """
        if not is_dask_collection(X):
            return super().fit(X)
        with unchanged_on_error(self):
            self._check_params()
            self._reset()
            moments = getattr(self, "moments_", None)
            ddof = None if moments is None else moments.ddof
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            client = get_client(client)
            blocks = _row_blocks(X, "X")
            futures = client.compute([
                _delayed(_block_summary)(b, ddof, self.max_samples, [seed, i], f" (block {i})")
                for i, b in enumerate(blocks)])
            merged, sample, n = tree_reduce(client, futures, _merge_summaries, self.max_samples,
                                            seed, position=True).result()
            sample = self._validate(sample, reset=True)
            self._reservoir = Reservoir(self.max_samples, self.random_state)
            self._reservoir.rows, self._reservoir.seen = sample, n
            if merged is not None:
                self.moments_ = merged
            return self._absorb(sample[:0])

    def _scorer(self):
        """A copy without the training sample, to ship to the workers."""
        import copy

        out = copy.copy(self)
        out.__dict__.pop("_reservoir", None)
        return out

    def score_samples(self, X):
        if not is_dask_collection(X):
            return super().score_samples(X)
        return map_rows(_method, X, self._scorer(), "score_samples", name="X", meta=np.zeros(0, np.float64))

    def decision_function(self, X):
        if not is_dask_collection(X):
            return super().decision_function(X)
        return map_rows(_method, X, self._scorer(), "decision_function", name="X", meta=np.zeros(0, np.float64))

    def predict(self, X):
        if not is_dask_collection(X):
            return super().predict(X)
        return map_rows(_method, X, self._scorer(), "predict", name="X", meta=np.zeros(0, np.int64))


@in_worker_threads
def _method(block, detector, name):
    return getattr(detector, name)(block)


class ZScoreDetector(_DaskDetector, local.ZScoreDetector):
    """:class:`fastmath.anomaly.ZScoreDetector` that also fits and scores Dask collections.

    Mean and variance are merged exactly from per-block moments; the
    threshold comes from a uniform sample of ``max_samples`` rows, as
    in-process.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastmath.distributed as fd
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> det = fd.ZScoreDetector(random_state=0).fit(da.from_array(X, chunks=(200, 3)))
    >>> det.predict(da.from_array(X[:4], chunks=2)).compute().shape
    (4,)
    """


class MahalanobisDetector(_DaskDetector, local.MahalanobisDetector):
    """:class:`fastmath.anomaly.MahalanobisDetector` over Dask collections.

    The mean and covariance are merged exactly from per-block moments;
    ``shrinkage='auto'`` and the threshold use the merged uniform sample.
    """


class RobustZScoreDetector(_DaskDetector, local.RobustZScoreDetector):
    """:class:`fastmath.anomaly.RobustZScoreDetector` over Dask collections.

    Medians do not merge. As in-process, they are exact over all rows while
    there are at most ``max_samples`` of them (the merged sample is then the
    whole data); beyond that they are the medians of a uniform sample of
    ``max_samples`` rows, an approximation the in-process detector makes
    too. Raise ``max_samples`` to the row count for exact medians (all rows
    then travel to the client).
    """
