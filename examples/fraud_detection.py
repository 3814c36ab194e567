"""Fraud detection: flag card transactions that deviate from the norm.

Generates card transactions (amount, hour, merchant category, velocity and
distance features) with injected fraud, then compares three unsupervised
detectors of ``fastmath.anomaly`` (z-score, robust z-score, Mahalanobis) with
a supervised SGD logistic regression (``fastmath.linear_model``) by ROC-AUC
and average precision, and plots the score distributions of normal and
fraudulent transactions. ``--dask`` runs the same on Dask arrays with
``fastmath.distributed`` (detectors fitted from merged block summaries, SGD
through ``partial_fit`` block after block, metrics from per-block counts) on
an embedded Dask cluster.

    python examples/fraud_detection.py [--small] [--dask] [--out fraud_scores.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from _report import print_table, pyplot_or_exit, save_figure
from fastmath.anomaly import MahalanobisDetector, RobustZScoreDetector, ZScoreDetector
from fastmath.linear_model import SGDClassifier
from fastmath.metrics import average_precision_score, roc_auc_score

N_CATEGORIES = 30


def make_transactions(n, fraud_rate, rng):
    """Feature matrix and labels of ``n`` generated card transactions."""
    fraud = rng.random(n) < fraud_rate
    k = int(fraud.sum())
    popularity = 1.0 / np.arange(1, N_CATEGORIES + 1)
    category = rng.choice(N_CATEGORIES, n, p=popularity / popularity.sum())
    category[fraud] = rng.choice(N_CATEGORIES, k)  # fraud hits rare merchants more often
    amount = rng.lognormal(3.5, 0.9, n)
    amount[fraud] = rng.lognormal(5.0, 1.1, k)
    hour = rng.normal(14.0, 4.0, n) % 24
    hour[fraud] = rng.normal(3.0, 3.0, k) % 24
    velocity = rng.poisson(1.0, n).astype(float)  # card's transactions in the past hour
    velocity[fraud] = rng.poisson(4.0, k)
    distance = rng.exponential(8.0, n)  # km from the card holder's home
    distance[fraud] = rng.exponential(120.0, k)
    frequency = np.bincount(category, minlength=N_CATEGORIES)[category] / n
    X = np.column_stack([np.log(amount), np.sin(2 * np.pi * hour / 24),
                         np.cos(2 * np.pi * hour / 24), -np.log(frequency), velocity,
                         np.log1p(distance)])
    return X, fraud


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a small data set (smoke test)")
    parser.add_argument("--out", default="fraud_scores.png", help="PNG figure path ('' for none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dask", action="store_true",
                        help="run on Dask arrays (fastmath.distributed; needs fastmath[distributed])")
    args = parser.parse_args(argv)
    plt = pyplot_or_exit() if args.out else None
    rng = np.random.default_rng(args.seed)
    n = 20_000 if args.small else 400_000
    X, y = make_transactions(n, 0.01, rng)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=args.seed)
    print(f"{n:,} transactions, {y.mean():.2%} fraud; {len(y_test):,} held out")
    scaler = StandardScaler().fit(X_train)
    if args.dask:
        return _main_dask(X_train, X_test, y_train, y_test, scaler, plt, args.out)
    models = {
        "z-score": ZScoreDetector(contamination=0.01),
        "robust z-score": RobustZScoreDetector(contamination=0.01, random_state=0),
        "Mahalanobis": MahalanobisDetector(contamination=0.01, shrinkage=0.01),
    }
    scores, rows = {}, []
    for name, det in models.items():  # unsupervised: the labels are not used
        t0 = time.perf_counter()
        det.fit(X_train)
        scores[name] = -det.score_samples(X_test)
        rows.append((name, "no", roc_auc_score(y_test, scores[name]),
                     average_precision_score(y_test, scores[name]),
                     f"{time.perf_counter() - t0:.2f} s"))
    t0 = time.perf_counter()
    clf = SGDClassifier(loss="log_loss", alpha=1e-4, class_weight="balanced", random_state=0)
    clf.fit(scaler.transform(X_train), y_train)
    scores["SGD logistic regression"] = clf.decision_function(scaler.transform(X_test))
    rows.append(("SGD logistic regression", "yes",
                 roc_auc_score(y_test, scores["SGD logistic regression"]),
                 average_precision_score(y_test, scores["SGD logistic regression"]),
                 f"{time.perf_counter() - t0:.2f} s"))
    print_table(["method", "uses labels", "ROC-AUC", "average precision", "fit time"], rows)
    return _figure(plt, scores, y_test, args.out, rows)


def _main_dask(X_train, X_test, y_train, y_test, scaler, plt, out, chunk=10_000):
    """The same comparison with every step on Dask arrays."""
    import dask.array as da
    from sklearn.utils.class_weight import compute_class_weight

    import fastmath.distributed as fd

    Xd = da.from_array(X_train, chunks=(chunk, X_train.shape[1]))
    Xt = da.from_array(X_test, chunks=(chunk, X_test.shape[1]))
    yt = da.from_array(y_test, chunks=chunk)
    models = {
        "z-score": fd.ZScoreDetector(contamination=0.01),
        "robust z-score": fd.RobustZScoreDetector(contamination=0.01, random_state=0),
        "Mahalanobis": fd.MahalanobisDetector(contamination=0.01, shrinkage=0.01),
    }
    scores, rows = {}, []
    for name, det in models.items():
        t0 = time.perf_counter()
        det.fit(Xd)
        s = -det.score_samples(Xt)
        rows.append((name, "no", fd.roc_auc_score(yt, s), fd.average_precision_score(yt, s),
                     f"{time.perf_counter() - t0:.2f} s"))
        scores[name] = s.compute()
    t0 = time.perf_counter()
    # 'balanced' needs all labels at once; partial_fit takes the same weights as a dict
    weights = compute_class_weight("balanced", classes=np.array([False, True]), y=y_train)
    clf = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0,
                        class_weight={False: weights[0], True: weights[1]})
    clf = fd.fit_incremental(clf, da.from_array(scaler.transform(X_train), chunks=(chunk, -1)),
                             da.from_array(y_train, chunks=chunk), classes=[False, True], epochs=5)
    s = fd.predict(clf, da.from_array(scaler.transform(X_test), chunks=(chunk, -1)),
                   "decision_function")
    name = "SGD logistic regression (Dask, 5 passes)"
    rows.append((name, "yes", fd.roc_auc_score(yt, s), fd.average_precision_score(yt, s),
                 f"{time.perf_counter() - t0:.2f} s"))
    scores[name] = s.compute()
    print_table(["method", "uses labels", "ROC-AUC", "average precision", "fit time"], rows)
    return _figure(plt, scores, y_test, out, rows)


def _figure(plt, scores, y_test, out, rows):
    if plt is None:
        return rows
    fig, axes = plt.subplots(1, len(scores), figsize=(4 * len(scores), 3.2))
    for ax, (name, s) in zip(axes, scores.items()):
        bins = np.linspace(np.percentile(s, 0.5), np.percentile(s, 99.9), 60)
        ax.hist(s[~y_test], bins=bins, density=True, alpha=0.6, label="normal")
        ax.hist(s[y_test], bins=bins, density=True, alpha=0.6, label="fraud")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("anomaly score")
    axes[0].legend()
    save_figure(fig, out)
    return rows


if __name__ == "__main__":
    main()
