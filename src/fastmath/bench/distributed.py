"""``fastmath bench --family distributed``: what the Dask path costs and how it scales.

Two measurements, each in fresh ``LocalCluster``s of worker processes on
this machine:

* overhead: implicit ALS per iteration, distributed (2 workers x 1 thread,
  2x2 blocks) against the in-memory fit at the default threads, on the same
  interactions (1M at full size);
* scaling: per-iteration time and the bytes of factors shuffled per
  iteration for 1, 2 and 4 workers (one thread each, 2 blocks per worker
  and side) on the 100,000 x 40,000, 5M-interaction generated problem
  (full size). On a 2-core machine 4 workers share 2 cores: the figure
  shows the cost of more blocks, not a speedup.

Per-iteration times are the medians of the gaps between ``callback`` calls
(data loading and the plan are excluded; they are reported apart).
"""
from __future__ import annotations

import time

import numpy as np

SIZES = {"quick": dict(overhead=(20_000, 5_000, 200_000), scaling=(20_000, 8_000, 200_000),
                       iterations=4, factors=32),
         "full": dict(overhead=(100_000, 40_000, 1_000_000), scaling=(100_000, 40_000, 5_000_000),
                      iterations=5, factors=64)}


def _frame(matrix, partitions):
    import dask.dataframe as dd
    import pandas as pd

    coo = matrix.tocoo()
    frame = pd.DataFrame({"user": coo.row.astype(np.int64), "item": coo.col.astype(np.int64),
                          "value": coo.data.astype(np.float64)})
    return dd.from_pandas(frame, npartitions=partitions)


def _per_iteration(fit):
    """(median seconds per iteration, IQR, seconds before the first iteration, total seconds)."""
    stamps = []
    start = time.perf_counter()
    fit(lambda it, elapsed, loss: stamps.append(time.perf_counter()))
    total = time.perf_counter() - start
    gaps = np.diff(stamps)
    q1, med, q3 = np.percentile(gaps, [25, 50, 75])
    return float(med), float(q3 - q1), stamps[0] - start - float(med), total


def _cluster(workers):
    import distributed

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                       dashboard_address=None, processes=True)
    return cluster, distributed.Client(cluster)


def _moved_bytes(client):
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def run(size: str = "full") -> list[dict]:
    """Rows of the two measurements (dicts, also written to ``--json``)."""
    import fastmath
    import fastmath.distributed as fd
    from fastmath.datasets import make_implicit_interactions
    from fastmath.recommend import ALS

    cfg = SIZES[size]
    params = dict(factors=cfg["factors"], iterations=cfg["iterations"], random_state=0,
                  show_progress=False)
    fastmath.warmup(kernels=["ALS"], progress=False)  # workers load it from the cache
    rows = []
    users, items, nnz = cfg["overhead"]
    matrix = make_implicit_interactions(users, items, nnz, random_state=0)
    local = _per_iteration(lambda cb: ALS(**params).fit(matrix, callback=cb))
    cluster, client = _cluster(2)
    try:
        frame = _frame(matrix, 8)
        dist = _per_iteration(lambda cb: fd.ALS(blocks=(2, 2), client=client, **params).fit(
            frame, shape=matrix.shape, callback=cb))
    finally:
        client.close()
        cluster.close()
    rows.append({"measure": "overhead", "problem": f"{users:,} x {items:,}, {matrix.nnz:,} nnz",
                 "workers": 2, "blocks": "2x2", "iteration_s": dist[0], "iteration_iqr": dist[1],
                 "setup_s": dist[2], "in_memory_iteration_s": local[0],
                 "ratio": dist[0] / local[0]})
    users, items, nnz = cfg["scaling"]
    matrix = make_implicit_interactions(users, items, nnz, random_state=1)
    for workers in (1, 2, 4):
        cluster, client = _cluster(workers)
        try:
            frame = _frame(matrix, 4 * workers)
            model = fd.ALS(blocks=2 * workers, client=client, **params)
            moved = _moved_bytes(client)
            timing = _per_iteration(lambda cb: model.fit(frame, shape=matrix.shape, callback=cb))
            moved = _moved_bytes(client) - moved
        finally:
            client.close()
            cluster.close()
        itemsize = np.dtype(model.dtype).itemsize
        rows.append({"measure": "scaling", "problem": f"{users:,} x {items:,}, {matrix.nnz:,} nnz",
                     "workers": workers, "blocks": f"{2 * workers}x{2 * workers}",
                     "iteration_s": timing[0], "iteration_iqr": timing[1], "setup_s": timing[2],
                     "factor_rows_shuffled": model.shuffle_rows_,
                     "factor_bytes_per_iteration": model.shuffle_rows_ * model.factors * itemsize,
                     "bytes_moved_whole_fit": moved})
    return rows


def format_rows(rows: list[dict]) -> str:
    """The two tables, Markdown."""
    out = ["| measure | problem | workers | blocks | per iteration | setup | in-memory "
           "per iteration | distributed / in-memory |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["measure"] != "overhead":
            continue
        out.append(f"| overhead | {r['problem']} | {r['workers']} | {r['blocks']} | "
                   f"{r['iteration_s']:.3f} s ± {r['iteration_iqr']:.3f} | {r['setup_s']:.2f} s | "
                   f"{r['in_memory_iteration_s']:.3f} s | {r['ratio']:.2f}x (target <= 1.5x) |")
    out += ["", "| problem | workers | blocks | per iteration | setup | factor rows sent per "
            "iteration | factor MB per iteration | MB moved between workers (whole fit) |",
            "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["measure"] != "scaling":
            continue
        out.append(f"| {r['problem']} | {r['workers']} | {r['blocks']} | {r['iteration_s']:.3f} s "
                   f"± {r['iteration_iqr']:.3f} | {r['setup_s']:.2f} s | "
                   f"{r['factor_rows_shuffled']:,} | {r['factor_bytes_per_iteration'] / 1e6:.1f} | "
                   f"{r['bytes_moved_whole_fit'] / 1e6:.1f} |")
    return "\n".join(out)
