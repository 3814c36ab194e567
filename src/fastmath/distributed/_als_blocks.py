"""Interactions as ALS blocks, the way Spark MLlib lays them out.

Ids are hashed to blocks: id ``g`` lives in block ``g % n_blocks`` at local
row ``g // n_blocks``. Each (user, item, value) triple is stored twice: in
its user block (rows: local users; columns: the items the block needs) and
in its item block (the transpose). A block's columns are the rows it needs
from each block of the other side, in block order, then local order; the
``needed`` list of a block is the plan of which factor rows every other
block sends it in a half-iteration. Nothing here touches Dask: these are the
functions its tasks run.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_interactions


def block_rows(n: int, n_blocks: int, block: int) -> int:
    """Number of ids of ``range(n)`` that hash to ``block``."""
    return max(0, (n - block + n_blocks - 1) // n_blocks)


def _column(frame, column: str, kind: str, where: str) -> np.ndarray:
    if column not in frame.columns:
        raise KeyError(f"{kind} column {column!r} is not in the DataFrame{where} "
                       f"(columns: {list(frame.columns)})")
    return frame[column].to_numpy()


def triples_from_frame(frame, user: str, item: str, value: str | None, where: str = ""):
    """(users, items, values) of a pandas DataFrame, checked as the in-memory fit checks them.

    ``value=None`` gives every pair the value 1. Ids must be non-negative
    integers, values finite.
    """
    out = []
    for column, kind in ((user, "user"), (item, "item")):
        ids = _column(frame, column, kind, where)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"{kind} column {column!r} must hold integer ids, got dtype "
                            f"{ids.dtype}{where}")
        if ids.size and ids.min() < 0:
            raise ValueError(f"{kind} column {column!r} holds the negative id {int(ids.min())}"
                             f"{where}")
        out.append(ids.astype(np.int64))
    if value is None:
        values = np.ones(len(frame), np.float64)
    else:
        values = _column(frame, value, "value", where)
        if values.dtype.kind not in "biuf":
            raise TypeError(f"value column {value!r} must be numeric, got dtype {values.dtype}"
                            f"{where}")
        values = values.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"value column {value!r} holds NaN or infinite values{where}")
    return out[0], out[1], values


def triples_from_matrix(block, row0: int, col0: int, where: str = ""):
    """(rows, cols, values) of one block of a users x items matrix, offset to global ids."""
    if sp.issparse(block):
        coo = sp.coo_matrix(check_interactions(block, f"user_items{where}", allow_empty=True))
    else:
        block = np.asarray(block)
        if block.ndim != 2 or block.dtype.kind not in "biuf":
            raise TypeError(f"user_items{where} must hold 2-D numeric blocks, got {block.dtype} "
                            f"of shape {block.shape}")
        if not np.all(np.isfinite(block)):
            raise ValueError(f"user_items{where} holds NaN or infinite values")
        coo = sp.coo_matrix(block)
    return (coo.row.astype(np.int64) + row0, coo.col.astype(np.int64) + col0,
            coo.data.astype(np.float64))


def check_range(users, items, shape, where: str = ""):
    """IndexError naming the first id outside ``shape``."""
    for ids, n, kind in ((users, shape[0], "user"), (items, shape[1], "item")):
        if ids.size and ids.max() >= n:
            raise IndexError(f"{kind} id {int(ids.max())} is out of range [0, {n}){where}")


def summary(triples) -> tuple:
    """(max user id, max item id, count) of a piece, for the shape and the block counts."""
    users, items, _ = triples
    if users.size == 0:
        return -1, -1, 0
    return int(users.max()), int(items.max()), int(users.size)


def split(triples, n_user_blocks: int, n_item_blocks: int):
    """The triples of one input piece, grouped by user block and by item block.

    Returns ``(by_user, by_item)``: lists of (ids, other ids, values), the
    input order kept inside each group (so duplicates sum in input order).
    """
    users, items, values = triples
    groups = []
    for key, n_blocks, first, second in ((users, n_user_blocks, users, items),
                                         (items, n_item_blocks, items, users)):
        block = key % n_blocks
        order = np.argsort(block, kind="stable")
        bounds = np.searchsorted(block[order], np.arange(n_blocks + 1))
        groups.append([(first[order[a:b]], second[order[a:b]], values[order[a:b]])
                       for a, b in zip(bounds[:-1], bounds[1:])])
    return groups[0], groups[1]


def build_block(pieces, block: int, n_blocks: int, n_rows: int, n_other: int,
                n_other_blocks: int) -> dict:
    """One side's block: CSR over local rows and the compact columns of the rows it needs.

    Duplicates are summed and zeros dropped, as the in-memory fit does.

    Returns
    -------
    dict
        ``indptr``, ``indices`` (into the compact columns), ``data``
        (float64), ``needed`` (per other block: the local ids it must send,
        sorted), ``n_rows``.
    """
    if pieces:
        rows = np.concatenate([p[0] for p in pieces]) // n_blocks
        cols = np.concatenate([p[1] for p in pieces])
        vals = np.concatenate([p[2] for p in pieces])
    else:
        rows = cols = np.zeros(0, np.int64)
        vals = np.zeros(0)
    local = block_rows(n_rows, n_blocks, block)
    matrix = check_interactions(sp.csr_matrix((vals, (rows, cols)), shape=(local, n_other)),
                                allow_empty=True)
    other = matrix.indices.astype(np.int64)
    # compact column of global id g: its block first, then its local id
    key = (other % n_other_blocks) * (n_other // n_other_blocks + 1) + other // n_other_blocks
    unique, compact = np.unique(key, return_inverse=True)
    owner = unique // (n_other // n_other_blocks + 1)
    starts = np.searchsorted(owner, np.arange(n_other_blocks + 1))
    needed = [unique[a:b] - b_ * (n_other // n_other_blocks + 1)
              for b_, (a, b) in enumerate(zip(starts[:-1], starts[1:]))]
    # index widths as SciPy chose them for the block, as the in-memory fit passes them
    return {"indptr": matrix.indptr, "indices": compact.astype(matrix.indices.dtype),
            "data": matrix.data.astype(np.float64), "needed": needed, "n_rows": local}


def needed_rows(block: dict, other_block: int) -> np.ndarray:
    return block["needed"][other_block]


def block_counts(block: dict) -> np.ndarray:
    """Stored values per local row."""
    return np.diff(block["indptr"])


def block_stats(block: dict) -> tuple:
    """(nnz, sum of values, max |value|) of a block."""
    data = block["data"]
    return data.size, float(data.sum()), float(np.abs(data).max()) if data.size else 0.0


def interleave(blocks, n: int) -> np.ndarray:
    """Rows of hashed blocks back in global id order (block b holds ids b, b + B, ...)."""
    n_blocks = len(blocks)
    first = blocks[0]
    out = np.empty((n,) + first.shape[1:], first.dtype)
    for b, rows in enumerate(blocks):
        out[b::n_blocks] = rows
    return out
