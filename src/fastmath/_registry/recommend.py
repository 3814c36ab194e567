"""Registry rows of the recommenders (``fastmath.recommend``): ALS vs implicit, SGDMF vs surprise."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..bench.peers import optional, surprise_peer
from ._types import Case, Kernel

FAMILY = "recommend"
ALS_ITERATIONS = 3  # timed fits; per-iteration ratios amortize the setup over these


def _toy(dtype):
    return sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [1, 1, 0]], dtype))


def _als_example(dtype):
    from fastmath.recommend import ALS

    data = _toy(dtype)
    quiet = dict(factors=2, iterations=1, dtype=dtype, show_progress=False)
    for kw in (dict(solver="cg"), dict(solver="cholesky"), dict(implicit=False)):
        model = ALS(**quiet, **kw).fit(data)
        model.recommend([0, 1], data[[0, 1]], N=2)
        model.similar_items(0, N=2)
        model.recalculate_user(0, data[0])
    return model


def _sgdmf_example(dtype):
    from fastmath.recommend import SGDMF

    data = _toy(dtype)
    model = SGDMF(factors=2, epochs=1, show_progress=False).fit(data)
    return model.recommend([0, 1], data[[0, 1]], N=2), model.recalculate_user(0, data[0])


def _popular_example(dtype):
    from fastmath.recommend import MostPopular

    data = _toy(dtype)
    return MostPopular().fit(data).recommend([0, 1], data[[0, 1]], N=2)


def _implicit_peer(factors, iterations, threads):
    implicit, why = optional("implicit.cpu.als")
    if implicit is None:
        return None, why
    import threadpoolctl

    model = implicit.AlternatingLeastSquares(factors=factors, iterations=iterations,
                                             random_state=0, num_threads=threads,
                                             calculate_training_loss=False)

    def fit(data):
        with threadpoolctl.threadpool_limits(1, "blas"):  # implicit's own advice
            model.fit(data, show_progress=False)
        return model
    return fit, None


def _als_cases(size, rng):
    from fastmath import get_num_threads
    from fastmath.datasets import make_implicit_interactions, train_test_split_interactions
    from fastmath.metrics import precision_at_k
    from fastmath.recommend import ALS

    n_users, n_items, nnz, factor_sizes, quality_iterations = {
        "quick": (10_000, 4_000, 500_000, (64,), 5),
        "asv": (20_000, 8_000, 500_000, (32,), 0),
        "full": (100_000, 40_000, 5_000_000, (32, 64, 128), 15)}[size]
    data = make_implicit_interactions(n_users, n_items, nnz, random_state=0)
    train, test = train_test_split_interactions(data, 0.2, random_state=0)
    threads = get_num_threads()
    label = f"implicit CG, {n_users:,}x{n_items:,}, {train.nnz:,} nnz"
    for factors in factor_sizes:
        ours = ALS(factors=factors, iterations=ALS_ITERATIONS, random_state=0,
                   show_progress=False)
        fit_peer, why = _implicit_peer(factors, ALS_ITERATIONS, threads)
        case = Case(FAMILY, "ALS.fit", f"{label}, {factors} factors, {ALS_ITERATIONS} iterations",
                    "float32", lambda ours=ours: ours.fit(train), target=1.25,
                    target_peer="implicit")
        if fit_peer is None:
            case.skipped["implicit"] = why
        else:
            case.peers["implicit"] = lambda fit_peer=fit_peer: fit_peer(train)
        if factors == 64 and quality_iterations:
            full = ALS(factors=factors, iterations=quality_iterations, random_state=0,
                       show_progress=False).fit(train)
            case.quality[f"precision@10 fastmath ({quality_iterations} it.)"] = precision_at_k(
                full, train, test, K=10)
            if fit_peer is not None:
                import implicit.evaluation

                peer_full, _ = _implicit_peer(factors, quality_iterations, threads)
                case.quality[f"precision@10 implicit ({quality_iterations} it.)"] = float(
                    implicit.evaluation.precision_at_k(peer_full(train), train, test, K=10,
                                                       show_progress=False))
        yield case


def _surprise_trainset(surprise, R):
    """A surprise Trainset whose raw ids are our row/column numbers."""
    from collections import defaultdict

    coo = R.tocoo()
    ur, ir = defaultdict(list), defaultdict(list)
    for u, i, r in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
        ur[u].append((i, r))
        ir[i].append((u, r))
    return surprise.Trainset(ur, ir, R.shape[0], R.shape[1], coo.nnz, (1.0, 5.0),
                             {u: u for u in range(R.shape[0])}, {i: i for i in range(R.shape[1])})


def _surprise_rmse(algo, test):
    coo = test.tocoo()
    predictions = algo.test(list(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist())))
    return float(np.sqrt(np.mean([(p.r_ui - p.est) ** 2 for p in predictions])))


def _sgdmf_cases(size, rng):
    from fastmath.datasets import make_explicit_ratings, train_test_split_interactions
    from fastmath.metrics import rmse
    from fastmath.recommend import ALS, SGDMF

    n_users, n_items, n_ratings, epochs_timed, epochs_quality = {
        "quick": (5_000, 2_000, 100_000, 2, 5), "asv": (10_000, 5_000, 300_000, 2, 0),
        "full": (20_000, 10_000, 1_250_000, 10, 20)}[size]
    ratings = make_explicit_ratings(n_users, n_items, n_ratings, random_state=0)
    train, test = train_test_split_interactions(ratings, 0.2, random_state=0)
    ours = SGDMF(factors=100, epochs=epochs_timed, random_state=0, show_progress=False)
    case = Case(FAMILY, "SGDMF.fit", f"100 factors, {train.nnz:,} ratings, {epochs_timed} epochs",
                "float32", lambda: ours.fit(train), target=10.0, target_peer="surprise.SVD")
    if epochs_quality:
        full = SGDMF(factors=100, epochs=epochs_quality, random_state=0, show_progress=False)
        case.quality[f"held-out RMSE SGDMF ({epochs_quality} epochs)"] = rmse(full.fit(train), test)
        als = ALS(factors=32, regularization=0.1, iterations=15, implicit=False, random_state=0,
                  show_progress=False).fit(train)
        case.quality["held-out RMSE explicit ALS (32 factors, 15 it.)"] = rmse(als, test)
    surprise, why = surprise_peer()
    if surprise is None:
        case.skipped["surprise.SVD"] = why
    else:
        trainset = _surprise_trainset(surprise, train)
        peer = surprise.SVD(n_factors=100, n_epochs=epochs_timed, random_state=0)
        case.peers["surprise.SVD"] = lambda: peer.fit(trainset)
        if epochs_quality:
            default = surprise.SVD(n_epochs=epochs_quality, random_state=0).fit(trainset)
            case.quality[f"held-out RMSE surprise.SVD ({epochs_quality} epochs)"] = \
                _surprise_rmse(default, test)
    yield case


def _als_sweep(n, dtype, rng):
    from fastmath.datasets import make_implicit_interactions
    from fastmath.recommend import ALS

    users = max(4, int(np.sqrt(n * 4)))
    data = make_implicit_interactions(users, max(4, users // 2), max(4, n), random_state=0)
    ours = ALS(factors=16, iterations=2, random_state=0, show_progress=False)
    from fastmath import get_num_threads

    fit_peer, _ = _implicit_peer(16, 2, get_num_threads())
    peers = {} if fit_peer is None else {"implicit": lambda: fit_peer(data)}
    return (lambda: ours.fit(data)), peers


KERNELS = [
    Kernel("ALS", FAMILY, _als_example, _als_cases, _als_sweep, ("implicit",)),
    Kernel("SGDMF", FAMILY, _sgdmf_example, _sgdmf_cases, peers=("surprise",),
           dtypes=("float32",)),
    Kernel("MostPopular", FAMILY, _popular_example, peers=("implicit",)),
]
