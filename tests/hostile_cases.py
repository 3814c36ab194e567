"""Hostile input for the public API, one table of cases run in a child process.

Each case is a thunk and what it must do: raise a ``ValueError``/``TypeError``
whose message names the argument (``refuse``), or return an answer that
passes a check (``agree``). ``tests/test_hostile.py`` runs the table in a
subprocess (``python tests/hostile_cases.py``), so that a crash is a failed
case and not a dead test run; the child prints one JSON line per case.

The cases are built from classes of malformed input (every sparse entry
point times every way a sparse matrix can be malformed, and so on), not from
single examples.
"""
from __future__ import annotations

import io
import json
import sys
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import scipy.sparse as sp

CLEAN = (ValueError, TypeError)
ID_ERRORS = CLEAN + (IndexError,)  # an id out of range: IndexError, as NumPy and implicit


@dataclass
class Case:
    name: str
    thunk: Callable
    names: tuple = ()  # refuse: the message must contain one of these
    check: Callable | None = None  # agree: check(result) must hold
    errors: tuple = CLEAN  # refuse: the exception types that count as clean


CASES: dict[str, Case] = {}


def refuse(name, thunk, *names, errors=CLEAN):
    CASES[name] = Case(name, thunk, names=names, errors=errors)


def agree(name, thunk, check):
    CASES[name] = Case(name, thunk, check=check)


# --- malformed sparse matrices ---------------------------------------------------------
def _good(n_rows=30, n_cols=20, seed=0):
    A = sp.random(n_rows, n_cols, density=0.3, format="csr", random_state=seed)
    A.data[:] = np.round(A.data * 4) + 1  # ratings-like, no zeros
    return A


def _malformed(kind, n_rows=30, n_cols=20):
    A = _good(n_rows, n_cols)
    if kind.startswith("coo"):
        A = A.tocoo()
        target = {"coo_row_oob": "row", "coo_col_oob": "col", "coo_huge": "col",
                  "coo_negative": "row"}[kind]
        value = {"coo_row_oob": n_rows, "coo_col_oob": n_cols, "coo_huge": 2 ** 40,
                 "coo_negative": -1}[kind]
        arr = getattr(A, target)
        if kind == "coo_huge":
            arr = arr.astype(np.int64)
        arr[3] = value
        setattr(A, "coords", (A.row, arr) if target == "col" else (arr, A.col))
        return A
    if kind.startswith("csc"):
        A = A.tocsc()
    if kind in ("csr_index_oob", "csc_index_oob"):
        A.indices[2] = (n_cols if kind.startswith("csr") else n_rows) + 5
    elif kind in ("csr_indptr_decreasing", "csc_indptr_decreasing"):
        A.indptr[2], A.indptr[3] = A.indptr[3], A.indptr[2] - 1
    elif kind == "csr_indptr_past_end":
        A.indptr[-1] += 7
    elif kind == "csr_negative_index":
        A.indices[0] = -3
    elif kind == "csr_2d_data":
        A.data = A.data.reshape(-1, 1)
    elif kind == "csr_string_data":
        A.data = A.data.astype(str)
    return A


SPARSE_KINDS = ("coo_row_oob", "coo_col_oob", "coo_huge", "coo_negative", "csr_index_oob",
                "csc_index_oob", "csr_indptr_decreasing", "csc_indptr_decreasing",
                "csr_indptr_past_end", "csr_negative_index", "csr_2d_data", "csr_string_data")


@lru_cache(maxsize=None)
def _fitted(model):
    from fastmath.linear_model import SGDClassifier
    from fastmath.recommend import ALS, SGDMF, MostPopular

    A = _good()
    if model == "sgd":
        return SGDClassifier(max_iter=5, tol=None, random_state=0).fit(
            A, np.arange(A.shape[0]) % 2)
    cls = {"als": ALS, "sgdmf": SGDMF, "popular": MostPopular}[model]
    kw = {} if model == "popular" else dict(factors=4, random_state=0, show_progress=False)
    return cls(**kw).fit(A)


def _sparse_entry_points():
    import fastmath as fm
    from fastmath import metrics
    from fastmath.datasets import train_test_split_interactions
    from fastmath.linear_model import SGDClassifier, SGDRegressor
    from fastmath.recommend import ALS, SGDMF, MostPopular

    y = np.arange(30) % 2
    return {
        "spmv": lambda A: fm.spmv(A, np.ones(A.shape[1])),
        "spmm": lambda A: fm.spmm(A, np.ones((A.shape[1], 3))),
        "sgd_fit": lambda A: SGDClassifier(max_iter=2).fit(A, y),
        "sgd_partial_fit": lambda A: SGDRegressor().partial_fit(A, y.astype(float)),
        "sgd_decision_function": lambda A: _fitted("sgd").decision_function(A),
        "als_fit": lambda A: ALS(factors=3, iterations=1, show_progress=False).fit(A),
        "sgdmf_fit": lambda A: SGDMF(factors=3, epochs=1, show_progress=False).fit(A),
        "popular_fit": lambda A: MostPopular().fit(A),
        "als_recommend": lambda A: _fitted("als").recommend(np.arange(30), A, N=3),
        "popular_recommend": lambda A: _fitted("popular").recommend(np.arange(30), A, N=3),
        "als_partial_fit_users": lambda A: _fitted("als").partial_fit_users(np.arange(30), A),
        "precision_at_k": lambda A: metrics.precision_at_k(_fitted("als"), A, A, K=3,
                                                           show_progress=False),
        "ranking_metrics_test": lambda A: metrics.ranking_metrics_at_k(
            _fitted("popular"), _good(), A, K=3, show_progress=False),
        "rmse": lambda A: metrics.rmse(_fitted("sgdmf"), A),
        "mae": lambda A: metrics.mae(_fitted("sgdmf"), A),
        "train_test_split": lambda A: train_test_split_interactions(A, random_state=0),
    }


def _add_sparse_cases():
    for entry, call in _sparse_entry_points().items():
        for kind in SPARSE_KINDS:
            if entry.startswith("sgd") and kind == "csr_string_data":
                continue  # numeric strings: scikit-learn's SGD converts them, and so do we
            name = ("user_items", "A", "X", "test_user_items", "train_user_items", "ratings",
                    "interactions", "malformed", "must hold", "data", "dtype")
            refuse(f"sparse/{entry}/{kind}", lambda call=call, kind=kind: call(_malformed(kind)),
                   *name)


def _random_structure(seed):
    """A CSR whose indptr and indices are random: mostly malformed, sometimes valid."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = rng.integers(1, 8, size=2)
    nnz = int(rng.integers(0, 12))
    indptr = np.sort(rng.integers(0, nnz + 1, size=n_rows + 1))
    indptr[0], indptr[-1] = 0, nnz
    if rng.random() < 0.6:  # break one thing
        where = int(rng.integers(0, n_rows + 1))
        indptr[where] = rng.integers(-3, nnz + 4)
    indices = rng.integers(-2 if rng.random() < 0.3 else 0, n_cols + (2 if rng.random() < 0.3
                                                                     else 0), size=nnz)
    A = sp.csr_matrix((n_rows, n_cols))
    A.indptr, A.indices, A.data = indptr.astype(np.int32), indices.astype(np.int32), \
        rng.standard_normal(nnz)
    return A


def _fuzzed_spmv(seed, fmt):
    """spmv of a random structure: a clean refusal naming A, or SciPy's answer."""
    import fastmath as fm

    A = _random_structure(seed)
    valid = _valid_csr(A)
    if fmt == "coo" and valid:
        A.prune()  # SciPy's tocoo() would read the ignored entries past indptr[-1]
        A = A.tocoo()
    x = np.arange(1.0, A.shape[1] + 1)
    try:
        ours = fm.spmv(A, x)
    except CLEAN as exc:
        return not valid and "A" in str(exc)
    return valid and np.allclose(ours, A.toarray() @ x)


def _valid_csr(A):
    """SciPy's rule: monotone indptr from 0, stored entries past indptr[-1] are ignored."""
    p, i = A.indptr, A.indices
    if p[0] != 0 or np.any(np.diff(p) < 0) or not 0 <= p[-1] <= i.shape[0]:
        return False
    return bool(np.all((i[:p[-1]] >= 0) & (i[:p[-1]] < A.shape[1])))


def _add_fuzz_cases():
    for seed in range(60):
        for fmt in ("csr", "coo"):
            agree(f"fuzz/spmv_{fmt}/{seed}", lambda seed=seed, fmt=fmt: _fuzzed_spmv(seed, fmt),
                  lambda ok: ok)


# --- model files --------------------------------------------------------------------------
def _saved(model):
    buf = io.BytesIO()
    _fitted(model).save(buf)
    buf.seek(0)
    return dict(np.load(buf, allow_pickle=False))


def _tampered_file(model, change):
    fields = _saved(model)
    change(fields)
    buf = io.BytesIO()
    np.savez(buf, **fields)
    buf.seek(0)
    return buf


TAMPERINGS = {
    "missing_item_factors": lambda f: f.pop("item_factors"),
    "short_item_bias": lambda f: f.update(item_bias=f["item_bias"][:-2]) if "item_bias" in f
    else f.update(item_factors=f["item_factors"][:-2]),
    "nan_factors": lambda f: f["user_factors"].__setitem__((0, 0), np.nan),
    "1d_factors": lambda f: f.update(user_factors=f["user_factors"].ravel()),
    "string_factors": lambda f: f.update(user_factors=f["user_factors"].astype(str)),
    "wrong_factor_count": lambda f: f.update(user_factors=f["user_factors"][:, :2],
                                             item_factors=f["item_factors"][:, :2]),
    "negative_popularity": lambda f: f["item_popularity"].__setitem__(0, -1.0),
}


def _add_file_cases():
    from fastmath.recommend import ALS, SGDMF

    for model, cls in (("als", ALS), ("sgdmf", SGDMF)):
        for tamper, change in TAMPERINGS.items():
            refuse(f"file/{model}/{tamper}",
                   lambda cls=cls, model=model, change=change:
                   cls.load(_tampered_file(model, change)),
                   "field", "factors", "item_popularity", "bias", "file", "missing")
        refuse(f"file/{model}/not_npz", lambda cls=cls: cls.load(io.BytesIO(b"not a zip")),
               "file", "npz", "zip")


# --- ids, parameters, shapes ------------------------------------------------------------
def _add_argument_cases():
    import fastmath as fm
    from fastmath import metrics, optim, stats
    from fastmath.anomaly import ZScoreDetector
    from fastmath.datasets import make_explicit_ratings, make_implicit_interactions

    for bad, label in ((1.5, "float"), (-1, "negative"), (10 ** 6, "huge"), ("3", "str"),
                       (np.nan, "nan")):
        refuse(f"ids/recommend/{label}", lambda bad=bad: _fitted("als").recommend(
            bad, _good()[0], N=3), "userid", errors=ID_ERRORS)
        refuse(f"ids/similar_items/{label}",
               lambda bad=bad: _fitted("als").similar_items(bad, N=3), "itemid",
               errors=ID_ERRORS)
    for bad, label in ((0, "zero"), (-2, "negative"), (2.5, "float"), ("5", "str")):
        refuse(f"param/recommend_N/{label}",
               lambda bad=bad: _fitted("als").recommend(0, _good()[0], N=bad), "N")
    for kw in ("lr", "momentum", "weight_decay"):
        for bad, label in ((np.nan, "nan"), ("0.1", "str"), (-1.0, "negative"),
                           (1 + 1j, "complex")):
            refuse(f"param/SGD_{kw}/{label}",
                   lambda kw=kw, bad=bad: optim.SGD(np.zeros(3), **{kw: bad}), kw)
    for bad, label in ((2.5, "float"), (0, "zero"), ("2", "str"), (np.inf, "inf")):
        refuse(f"param/StepLR_step_size/{label}", lambda bad=bad: optim.StepLR(
            optim.SGD(np.zeros(2), lr=0.1), step_size=bad), "step_size")
    refuse("param/CosineAnnealingLR_eta_min/nan", lambda: optim.CosineAnnealingLR(
        optim.SGD(np.zeros(2), lr=0.1), T_max=5, eta_min=np.nan), "eta_min")
    for bad, label in ((1.5, "float"), ("0", "str"), (5, "out_of_range"), ((0, "a"), "tuple")):
        refuse(f"param/stats_axis/{label}",
               lambda bad=bad: stats.zscore(np.ones((3, 4)), axis=bad), "axis")
        refuse(f"param/softmax_axis/{label}",
               lambda bad=bad: fm.softmax(np.ones((3, 4)), axis=bad), "axis")
    for bad, label in ((np.nan, "nan"), (0.9, "too_large"), ("auto", "str")):
        refuse(f"param/contamination/{label}",
               lambda bad=bad: ZScoreDetector(contamination=bad).fit(np.ones((5, 2))),
               "contamination")
    y_true, y_score = np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.6, 0.3])
    for bad, label in ((np.ones(3), "short"), (np.ones((4, 1)), "2d"), (np.zeros(4), "zeros"),
                       (np.array(["a"] * 4), "str"), (np.array([np.nan, 1, 1, 1]), "nan")):
        for metric in ("roc_auc_score", "average_precision_score", "log_loss",
                       "accuracy_score"):
            score = y_score if metric != "accuracy_score" else (y_score > 0.5).astype(int)
            refuse(f"param/{metric}_sample_weight/{label}",
                   lambda metric=metric, bad=bad, score=score: getattr(metrics, metric)(
                       y_true, score, sample_weight=bad), "sample_weight", "weight")
    refuse("shape/log_loss_empty", lambda: metrics.log_loss([], []), "y_true", "empty",
           "0 sample")
    for bad, label in ((np.array([0.5, 1.5, -0.1, 0.2]), "outside_01"),
                       (np.array([np.nan, 0.1, 0.2, 0.3]), "nan")):
        refuse(f"labels/log_loss/{label}", lambda bad=bad: metrics.log_loss(y_true, bad),
               "y_pred", "y_prob", "probabilit", "NaN")
    refuse("labels/roc_auc_continuous", lambda: metrics.roc_auc_score(
        np.array([0.1, 0.7, 0.3, 0.9]), y_score), "y_true", "continuous")
    refuse("labels/roc_auc_nan_score", lambda: metrics.roc_auc_score(
        y_true, np.array([np.nan, 0.1, 0.2, 0.3])), "y_score", "NaN")
    for kw, label in ((dict(n_users=np.nan), "nan"), (dict(density=1.5), "density"),
                      (dict(n_users=-3), "negative")):
        refuse(f"param/make_implicit/{label}",
               lambda kw=kw: make_implicit_interactions(**{**dict(n_users=20, n_items=10),
                                                           **kw}), *kw)
    agree("hang/make_explicit_ratings_full_grid",
          lambda: make_explicit_ratings(2000, 2000, 2000 * 2000, random_state=0),
          lambda R: R.nnz == 2000 * 2000)
    refuse("hang/make_explicit_ratings_more_than_the_grid",
           lambda: make_explicit_ratings(200, 200, 200 * 200 + 1, random_state=0), "n_ratings")
    # shapes the kernels must refuse before compiled code runs
    refuse("shape/conv2d_zero_kernel",
           lambda: fm.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 0, 3))), "weight")
    refuse("shape/max_pool_empty_plane",
           lambda: fm.max_pool2d(np.ones((1, 1, 0, 4)), 2), "x", "input")
    refuse("shape/spmv_x_length", lambda: fm.spmv(_good(), np.ones(3)), "x")
    refuse("shape/matmul_mismatch", lambda: fm.matmul(np.ones((3, 4)), np.ones((5, 2))), "b")
    refuse("type/gram_complex", lambda: fm.gram(np.ones((3, 3)) * 1j), "X", "x", "a")
    refuse("shape/mahalanobis_nonsymmetric", lambda: stats.mahalanobis(
        np.ones((2, 2)), np.zeros(2), np.array([[2.0, 1.0], [0.0, 2.0]])), "cov")
    # the answers a peer gives
    agree("answer/max_pool_nan_propagates",
          lambda: fm.max_pool2d(np.array([[[[1.0, np.nan], [3.0, 2.0]]]]), 2),
          lambda r: np.isnan(np.asarray(r[0] if isinstance(r, tuple) else r)).all())
    agree("answer/gram_neg_inf", lambda: fm.gram(np.array([[-np.inf, 1.0]])),
          lambda r: r[0, 0] == np.inf and np.isneginf(r[0, 1]))
    big = np.array([1e300, 1.2e300, 0.9e300, 1.1e300])
    agree("answer/ttest_large_finite", lambda: stats.ttest_ind(big, big[::-1] * 1.01).pvalue,
          lambda p: _same(p, __import__("scipy.stats").stats.ttest_ind(big, big[::-1] * 1.01)
                          .pvalue))
    tiny = np.array([1e-320, 2e-320, 0.0, 1e-320])
    agree("answer/zscore_tiny_variance", lambda: stats.zscore(tiny),
          lambda r: _same(r, __import__("scipy.stats").stats.zscore(tiny)))
    agree("answer/sgd_inf_grad", lambda: _sgd_with_inf_gradient(),
          lambda w: np.isneginf(w[0]) and w[1] == -0.1)
    agree("answer/clip_grad_norm_float32",
          lambda: optim.clip_grad_norm([np.full(4, 3e30, np.float32)], 1.0),
          lambda n: np.isfinite(n) and abs(float(n) / 6e30 - 1) < 1e-5)
    agree("answer/np_scalar_max_norm",
          lambda: optim.clip_grad_norm([np.ones(3)], np.float32(1.0)), lambda n: n > 0)
    agree("answer/duplicates_summed", lambda: _duplicates_summed(), lambda ok: ok)
    agree("answer/ranking_metrics_model_with_extra_rows", lambda: _extra_rows_model(),
          lambda r: r is None)


def _same(ours, theirs):
    return np.allclose(ours, theirs, rtol=1e-9, equal_nan=True)


def _sgd_with_inf_gradient():
    from fastmath.optim import SGD

    w = np.zeros(2)
    SGD(w, lr=0.1).step(np.array([np.inf, 1.0]))
    return w


def _duplicates_summed():
    from fastmath.recommend import MostPopular

    A = sp.csr_matrix((np.array([1.0, 2.0, 4.0]), np.array([1, 1, 0]), np.array([0, 2, 3])),
                      shape=(2, 3))
    return np.array_equal(MostPopular().fit(A).item_popularity, [1.0, 1.0, 0.0])


class _ExtraRows:
    """A duck-typed model whose recommend() returns more rows than users asked for."""

    def recommend(self, userid, user_items, N=10, **kw):
        n = len(np.atleast_1d(userid)) + 5
        return np.zeros((n, N), np.int32), np.zeros((n, N), np.float32)


def _extra_rows_model():
    from fastmath.metrics import precision_at_k

    try:
        precision_at_k(_ExtraRows(), _good(), _good(seed=1), K=3, show_progress=False)
    except CLEAN as exc:
        return None if "recommend" in str(exc) else str(exc)
    return "accepted"


def build():
    _add_sparse_cases()
    _add_fuzz_cases()
    _add_file_cases()
    _add_argument_cases()
    return CASES


def run_one(case: Case) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = case.thunk()
        except case.errors as exc:
            if case.check is not None:
                return {"outcome": "unexpected error", "detail": f"{type(exc).__name__}: {exc}"}
            message = str(exc)
            if case.names and not any(n.lower() in message.lower() for n in case.names):
                return {"outcome": "unnamed", "detail": f"{type(exc).__name__}: {message}"}
            return {"outcome": "ok"}
        except Exception as exc:  # noqa: BLE001 - an unclean error is a finding
            return {"outcome": "unclean", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    if case.check is None:
        return {"outcome": "accepted", "detail": repr(result)[:200]}
    try:
        good = bool(case.check(result))
    except Exception as exc:  # noqa: BLE001
        good, result = False, exc
    return {"outcome": "ok" if good else "wrong answer", "detail": repr(result)[:200]}


def main(argv):
    """Run the named cases (all if none), one JSON line before and after each."""
    cases = build()
    names = argv or list(cases)
    for name in names:
        print(json.dumps({"start": name}), flush=True)
        print(json.dumps({"case": name, **run_one(cases[name])}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
