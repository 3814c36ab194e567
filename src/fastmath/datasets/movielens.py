"""Read a MovieLens ratings file the user already has (nothing is downloaded)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp


def load_movielens(path):
    """Load MovieLens ``u.data`` (tab-separated) or ``ratings.csv`` into a CSR matrix.

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
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no MovieLens file at {path} (fastmath does not download data)")
    with path.open() as fh:
        first = fh.readline()
    if "\t" in first:
        table = np.loadtxt(path, delimiter="\t", usecols=(0, 1, 2), ndmin=2)
    elif "," in first:
        has_header = not first.split(",")[0].strip().lstrip("-").isdigit()
        table = np.loadtxt(path, delimiter=",", usecols=(0, 1, 2), skiprows=int(has_header),
                           ndmin=2)
    else:
        raise ValueError(f"{path} is neither tab-separated (u.data) nor comma-separated "
                         f"(ratings.csv)")
    if table.shape[0] == 0:
        raise ValueError(f"{path} holds no ratings")
    user_ids, users = np.unique(table[:, 0].astype(np.int64), return_inverse=True)
    item_ids, items = np.unique(table[:, 1].astype(np.int64), return_inverse=True)
    ratings = sp.csr_matrix((table[:, 2].astype(np.float32), (users, items)),
                            shape=(user_ids.shape[0], item_ids.shape[0]))
    return ratings, user_ids, item_ids
