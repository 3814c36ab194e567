"""``fastmath bench --family distributed``: what the Dask path costs and how it scales.

Two measurements, each in fresh ``LocalCluster``s of worker processes on
this machine:

* overhead: implicit ALS per iteration, distributed (default blocks: one
  per Dask thread) against the in-memory fit at the default threads, on the
  same interactions (1M at full size), fits alternated, on a cluster like
  the embedded one (one in-process worker, one task at a time on all
  cores) and on 2 worker processes of 1 thread each;
* scaling: per-iteration time and the bytes of factors shuffled per
  iteration for 1, 2 and 4 workers (one thread each, 2 blocks per worker
  and side) on the 100,000 x 40,000, 5M-interaction generated problem
  (full size). On a 2-core machine 4 workers share 2 cores: the figure
  shows the cost of more blocks, not a speedup.

Per-iteration times are the medians of the gaps between ``callback`` calls
(data loading and the plan are excluded; they are reported apart, as
"setup"). "MB moved" is what the workers sent (Dask's transfer counters),
results gathered by the client included.
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


def _gaps(fit):
    """(seconds between callbacks, seconds before the first iteration ended)."""
    stamps = []
    start = time.perf_counter()
    fit(lambda it, elapsed, loss: stamps.append(time.perf_counter()))
    return list(np.diff(stamps)), stamps[0] - start


def _median_iqr(values):
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(med), float(q3 - q1)


def _cluster(workers, processes=True, threads=1):
    import distributed

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=threads,
                                       dashboard_address=None, processes=processes)
    return cluster, distributed.Client(cluster)


def _moved_bytes(client):
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def run(size: str = "full", measures=("overhead", "scaling")) -> list[dict]:
    """Rows of the two measurements (dicts, also written to ``--json``)."""
    import warnings

    with warnings.catch_warnings():
        # dd.from_pandas puts the generated frame in the graph; that is the point here
        warnings.filterwarnings("ignore", message=".*[Ll]arge graph")
        return _run(size, measures)


def _run(size, measures):
    import fastmath

    cfg = SIZES[size]
    params = dict(factors=cfg["factors"], iterations=cfg["iterations"], random_state=0,
                  show_progress=False)
    fastmath.warmup(kernels=["ALS"], progress=False)  # workers load it from the cache
    rows = []
    if "overhead" in measures:
        rows.extend(_overhead(cfg, params))
    if "scaling" in measures:
        rows.extend(_scaling(cfg, params))
    return rows


OVERHEAD_CLUSTERS = (("embedded: 1 in-process worker, 1 thread", dict(workers=1, processes=False)),
                     ("2 worker processes x 1 thread", dict(workers=2)))


def _overhead(cfg, params, rounds=3):
    """Per-iteration time in-memory and distributed, fits alternated, ``rounds`` each."""
    import fastmath.distributed as fd
    from fastmath.datasets import make_implicit_interactions
    from fastmath.recommend import ALS

    users, items, nnz = cfg["overhead"]
    matrix = make_implicit_interactions(users, items, nnz, random_state=0)
    rows = []
    for label, kwargs in OVERHEAD_CLUSTERS:
        cluster, client = _cluster(**kwargs)
        local, dist, setup = [], [], []
        try:
            frame = _frame(matrix, 8)
            for _ in range(rounds):
                local += _gaps(lambda cb: ALS(**params).fit(matrix, callback=cb))[0]
                model = fd.ALS(client=client, **params)  # default blocks: one per Dask thread
                gaps, first = _gaps(lambda cb: model.fit(frame, shape=matrix.shape, callback=cb))
                dist += gaps
                setup.append(first - float(np.median(gaps)))
        finally:
            client.close()
            cluster.close()
        (d_med, d_iqr), (l_med, l_iqr) = _median_iqr(dist), _median_iqr(local)
        rows.append({"measure": "overhead", "cluster": label,
                     "problem": f"{users:,} x {items:,}, {matrix.nnz:,} nnz",
                     "blocks": "x".join(map(str, model.blocks_)),
                     "iteration_s": d_med, "iteration_iqr": d_iqr,
                     "setup_s": float(np.median(setup)), "in_memory_iteration_s": l_med,
                     "in_memory_iqr": l_iqr, "ratio": d_med / l_med})
    return rows


def _scaling(cfg, params):
    import fastmath.distributed as fd
    from fastmath.datasets import make_implicit_interactions

    rows = []
    users, items, nnz = cfg["scaling"]
    matrix = make_implicit_interactions(users, items, nnz, random_state=1)
    for workers in (1, 2, 4):
        cluster, client = _cluster(workers)
        try:
            frame = _frame(matrix, 4 * workers)
            model = fd.ALS(blocks=2 * workers, client=client, **params)
            moved = _moved_bytes(client)
            gaps, first = _gaps(lambda cb: model.fit(frame, shape=matrix.shape, callback=cb))
            moved = _moved_bytes(client) - moved
            med, iqr = _median_iqr(gaps)
        finally:
            client.close()
            cluster.close()
        itemsize = np.dtype(model.dtype).itemsize
        rows.append({"measure": "scaling", "problem": f"{users:,} x {items:,}, {matrix.nnz:,} nnz",
                     "workers": workers, "blocks": f"{2 * workers}x{2 * workers}",
                     "iteration_s": med, "iteration_iqr": iqr, "setup_s": first - med,
                     "factor_rows_shuffled": model.shuffle_rows_,
                     "factor_bytes_per_iteration": model.shuffle_rows_ * model.factors * itemsize,
                     "bytes_moved_whole_fit": moved})
    return rows


def format_rows(rows: list[dict]) -> str:
    """The two tables, Markdown."""
    out = ["| cluster | problem | blocks | per iteration | setup | in-memory per iteration "
           "| distributed / in-memory |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["measure"] != "overhead":
            continue
        out.append(f"| {r['cluster']} | {r['problem']} | {r['blocks']} | "
                   f"{r['iteration_s']:.3f} s ± {r['iteration_iqr']:.3f} | {r['setup_s']:.2f} s | "
                   f"{r['in_memory_iteration_s']:.3f} s ± {r['in_memory_iqr']:.3f} | "
                   f"{r['ratio']:.2f}x (target <= 1.5x) |")
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
