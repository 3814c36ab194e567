"""Read a MovieLens ratings file the user already has (nothing is downloaded)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp


def load_movielens(path):
    r"""Load MovieLens ``u.data`` (tab-separated) or ``ratings.csv`` into a CSR matrix.

    Parameters
    ----------
    path : str or Path
        ``u.data`` (ML-100K: ``user item rating timestamp``, tabs) or
        ``ratings.csv`` (ML-latest / 25M: ``userId,movieId,rating,timestamp``
        with a header line).

    Returns
    -------
    ratings : scipy.sparse.csr_matrix of shape (n_users, n_items), float32
        Row ``u`` is user ``user_ids[u]``, column ``i`` movie ``item_ids[i]``.
    user_ids, item_ids : ndarray of int64
        The original ids, sorted.

    Raises
    ------
    ValueError
        The file is not one of the two formats, holds no ratings, non-integer
        ids, or non-finite ratings.

    Notes
    -----
    A (user, movie) pair rated more than once keeps its latest rating (by
    timestamp, then by position in the file), not their sum.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fastmath.datasets import load_movielens
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "u.data"
    >>> _ = path.write_text("1\t10\t4\t100\n2\t10\t3\t100\n1\t10\t5\t200\n")
    >>> ratings, users, items = load_movielens(path)
    >>> ratings.toarray(), users, items
    (array([[5.],
           [3.]], dtype=float32), array([1, 2]), array([10]))
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no MovieLens file at {path} (fastmath does not download data)")
    with path.open() as fh:
        first = fh.readline()
    if "\t" in first:
        delimiter, skip = "\t", 0
    elif "," in first:
        delimiter = ","
        skip = int(not first.split(",")[0].strip().lstrip("-").isdigit())  # a header line
    else:
        raise ValueError(f"{path} is neither tab-separated (u.data) nor comma-separated "
                         f"(ratings.csv)")
    columns = len(first.split(delimiter))
    try:
        table = np.loadtxt(path, delimiter=delimiter, usecols=tuple(range(min(4, columns))),
                           skiprows=skip, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path} is malformed: {exc}") from None
    if table.shape[0] == 0 or table.shape[1] < 3:
        raise ValueError(f"{path} holds no ratings (user, item, rating[, timestamp])")
    ids = table[:, :2]
    if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)):
        row = int(np.argmax(~np.isfinite(ids).all(axis=1) | (ids != np.round(ids)).any(axis=1)))
        raise ValueError(f"{path}: user and movie ids must be integers; line {row + 1 + skip} "
                         f"has {ids[row].tolist()}")
    if not np.all(np.isfinite(table[:, 2])):
        raise ValueError(f"{path}: ratings must be finite numbers")
    stamp = table[:, 3] if table.shape[1] > 3 else np.zeros(table.shape[0])
    user_ids, users = np.unique(ids[:, 0].astype(np.int64), return_inverse=True)
    item_ids, items = np.unique(ids[:, 1].astype(np.int64), return_inverse=True)
    # the latest rating of a pair wins: sort by (pair, timestamp, line) and keep each pair's last
    order = np.lexsort((np.arange(table.shape[0]), stamp, items, users))
    pair = users[order] * item_ids.shape[0] + items[order]
    last = np.r_[pair[1:] != pair[:-1], True]
    keep = order[last]
    ratings = sp.csr_matrix((table[keep, 2].astype(np.float32), (users[keep], items[keep])),
                            shape=(user_ids.shape[0], item_ids.shape[0]))
    return ratings, user_ids, item_ids
