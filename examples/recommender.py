"""Recommender: ALS and SGD matrix factorization against a most-popular baseline.

Fits implicit ALS and SGDMF of ``fastmath.recommend`` on generated implicit
interactions (power-law item popularity), or on a MovieLens ``u.data`` /
``ratings.csv`` you already have, holds out 20% of each user's interactions,
and reports precision@10 and NDCG@10 next to the most-popular baseline, the
top-10 items of one user, and a figure of the training loss per iteration.
``--dask`` fits ALS with ``fastmath.distributed`` on a Dask DataFrame of the
(user, item, value) triples, on an embedded Dask cluster (or the one a
``DASK_SCHEDULER_ADDRESS`` names).

    python examples/recommender.py [--small] [--dask] [--movielens PATH] [--out recommender_loss.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from _report import print_table, pyplot_or_exit, save_figure
from fastmath.datasets import load_movielens, make_implicit_interactions, \
    train_test_split_interactions
from fastmath.metrics import ranking_metrics_at_k
from fastmath.recommend import ALS, SGDMF, MostPopular


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a small data set (smoke test)")
    parser.add_argument("--movielens", metavar="PATH", help="MovieLens u.data or ratings.csv")
    parser.add_argument("--out", default="recommender_loss.png", help="PNG figure path ('' for none)")
    parser.add_argument("--dask", action="store_true",
                        help="fit ALS on Dask (fastmath.distributed; needs fastmath[distributed])")
    args = parser.parse_args(argv)
    plt = pyplot_or_exit() if args.out else None
    if args.movielens:
        data, _, item_ids = load_movielens(args.movielens)
        source = f"MovieLens file {args.movielens}"
    else:
        shape = (2_000, 1_000, 40_000) if args.small else (30_000, 10_000, 1_500_000)
        data = make_implicit_interactions(*shape, random_state=0)
        item_ids = np.arange(data.shape[1])
        source = "generated implicit interactions"
    train, test = train_test_split_interactions(data, 0.2, random_state=0)
    print(f"{source}: {data.shape[0]:,} users x {data.shape[1]:,} items, {data.nnz:,} "
          f"interactions ({test.nnz:,} held out)")
    epochs = 5 if args.small else 15
    als_params = dict(factors=64, iterations=epochs, regularization=0.05, random_state=0,
                      show_progress=False)
    if args.dask:
        import fastmath.distributed as fd

        als = fd.ALS(blocks=(4, 4), **als_params)
    else:
        als = ALS(**als_params)
    models = {
        "most popular": MostPopular(),
        "ALS (implicit, CG)": als,
        "SGDMF": SGDMF(factors=64, epochs=epochs, random_state=0, show_progress=False),
    }
    # SGDMF fits values, so it gets log(1 + count) (ratings stay as they are)
    compressed = train.copy()
    if not args.movielens:
        compressed.data = np.log1p(compressed.data)
    rows = []
    for name, model in models.items():
        t0 = time.perf_counter()
        if args.dask and model is als:
            model.fit(_triples(train), shape=train.shape)
        else:
            model.fit(compressed if name == "SGDMF" else train)
        fit_s = time.perf_counter() - t0
        scores = ranking_metrics_at_k(model, train, test, K=10)
        rows.append((name, scores["precision"], scores["ndcg"], f"{fit_s:.2f} s"))
    print_table(["model", "precision@10", "NDCG@10", "fit time"], rows)

    user = int(np.argmax(np.diff(train.indptr) > 5))
    ids, scores = models["ALS (implicit, CG)"].recommend(user, train[user], N=10)
    print(f"\ntop 10 items for user {user} (ALS), with the held-out ones marked *:")
    held_out = set(test[user].indices)
    print(", ".join(f"{item_ids[i]}{'*' if i in held_out else ''}" for i in ids))

    if plt is None:
        return rows
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, name in zip(axes, ("ALS (implicit, CG)", "SGDMF")):
        history = models[name].loss_history_
        ax.plot(np.arange(1, len(history) + 1), history, marker="o")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("iteration" if name.startswith("ALS") else "epoch")
        ax.set_ylabel("training loss")
    save_figure(fig, args.out)
    return rows


def _triples(matrix, partitions=8):
    """A Dask DataFrame of a sparse matrix's (user, item, value) triples."""
    import dask.dataframe as dd
    import pandas as pd

    coo = matrix.tocoo()
    frame = pd.DataFrame({"user": coo.row.astype(np.int64), "item": coo.col.astype(np.int64),
                          "value": coo.data})
    return dd.from_pandas(frame, npartitions=partitions)


if __name__ == "__main__":
    main()
