"""Plain NumPy references every kernel is tested against.

Deliberately simple and obviously correct: loops or direct formulas, no
tricks. Inputs are converted to float64 and the result cast back at the end.
"""
import numpy as np


def matmul(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    a2 = np.broadcast_to(a2, batch + a2.shape[-2:])
    b2 = np.broadcast_to(b2, batch + b2.shape[-2:])
    out = np.zeros(batch + (a2.shape[-2], b2.shape[-1]))
    for p in range(a2.shape[-1]):  # sum of outer products, one k at a time
        out += a2[..., :, p, None] * b2[..., None, p, :]
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def activation(v, name):
    if name is None:
        return v
    if name == "relu":
        return np.where(v < 0, 0.0, v)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-v))
    if name == "tanh":
        return np.tanh(v)
    raise ValueError(name)


def activation_derivative_from_output(y, name):
    if name is None:
        return np.ones_like(y)
    if name == "relu":
        return (y > 0).astype(np.float64)
    if name == "sigmoid":
        return y * (1 - y)
    if name == "tanh":
        return 1 - y * y
    raise ValueError(name)


def linear(x, w, b, act):
    v = np.asarray(x, np.float64) @ np.asarray(w, np.float64)
    if b is not None:
        v = v + np.asarray(b, np.float64)
    return activation(v, act)


def linear_backward(g, x, w, y, act):
    g = np.asarray(g, np.float64)
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    gp = g if act is None else g * activation_derivative_from_output(np.asarray(y, np.float64), act)
    return gp @ w.T, x.T @ gp, gp.sum(axis=0)


def gram(a, weights=None):
    a = np.asarray(a, np.float64)
    w = np.ones(a.shape[0]) if weights is None else np.asarray(weights, np.float64)
    return a.T @ np.diag(w) @ a


def pairwise_sqdist(x, y=None):
    x = np.asarray(x, np.float64)
    y = x if y is None else np.asarray(y, np.float64)
    out = np.empty((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        out[i] = ((x[i] - y) ** 2).sum(axis=1)
    return out


def spmv(A, x):
    dense = np.asarray(A.toarray(), np.float64)
    return dense @ np.asarray(x, np.float64)


def spmm(A, B):
    dense = np.asarray(A.toarray(), np.float64)
    return dense @ np.asarray(B, np.float64)


def softmax(x, axis=None):
    x = np.asarray(x, np.float64)
    axis = tuple(axis) if isinstance(axis, (tuple, list)) else axis
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def logsumexp(x, axis=None):
    x = np.asarray(x, np.float64)
    axis = tuple(axis) if isinstance(axis, (tuple, list)) else axis
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m, axis=axis)


# --- convolution family -------------------------------------------------------

def conv2d(x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
    """Loops over the zero-padded input; padding is ((top, bottom), (left, right))."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    k, c_g, r, s = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), padding[0], padding[1]))
    oh = (xp.shape[2] - dilation[0] * (r - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (s - 1) - 1) // stride[1] + 1
    out = np.zeros((n, k, oh, ow))
    k_g = k // groups
    for kk in range(k):
        g = kk // k_g
        for u in range(r):
            for v in range(s):
                ys = u * dilation[0] + stride[0] * np.arange(oh)
                xs = v * dilation[1] + stride[1] * np.arange(ow)
                patch = xp[:, g * c_g:(g + 1) * c_g][:, :, ys][:, :, :, xs]  # (n, c_g, oh, ow)
                out[:, kk] += np.einsum("nchw,c->nhw", patch, w[kk, :, u, v])
    if b is not None:
        out += np.asarray(b, np.float64)[None, :, None, None]
    return out


def conv2d_backward(g, x, w, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
    """Input and weight gradients of a one-group :func:`conv2d`: each tap's
    contribution scattered back to the pixels it read (the adjoint of the gather)."""
    g, x, w = (np.asarray(a, np.float64) for a in (g, x, w))
    n, c, h, wd = x.shape
    r, s = w.shape[2:]
    oh, ow = g.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), padding[0], padding[1]))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    for u in range(r):
        for v in range(s):
            ys = u * dilation[0] + stride[0] * np.arange(oh)
            xs = v * dilation[1] + stride[1] * np.arange(ow)
            at = np.ix_(np.arange(n), np.arange(c), ys, xs)
            gw[:, :, u, v] = np.einsum("nkij,ncij->kc", g, xp[at])
            gxp[at] += np.einsum("nkij,kc->ncij", g, w[:, :, u, v])
    pt, pl = padding[0][0], padding[1][0]
    return gxp[:, :, pt:pt + h, pl:pl + wd], gw


def _windows(x, kernel, stride, padding, fill):
    kh, kw = kernel
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2),
                constant_values=fill)
    oh = (xp.shape[2] - kh) // stride[0] + 1
    ow = (xp.shape[3] - kw) // stride[1] + 1
    for i in range(oh):
        for j in range(ow):
            yield i, j, xp[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]


def max_pool2d(x, kernel, stride, padding):
    n, c = x.shape[:2]
    cells = list(_windows(x, kernel, stride, padding, -np.inf))
    oh, ow = cells[-1][0] + 1, cells[-1][1] + 1
    out = np.empty((n, c, oh, ow))
    for i, j, win in cells:
        flat = win.reshape(n, c, -1)
        out[:, :, i, j] = np.where(np.isnan(flat).any(-1), np.nan, flat.max(-1))
    return out


def avg_pool2d(x, kernel, stride, padding):
    n, c = x.shape[:2]
    cells = list(_windows(x, kernel, stride, padding, 0.0))
    out = np.empty((n, c, cells[-1][0] + 1, cells[-1][1] + 1))
    for i, j, win in cells:
        out[:, :, i, j] = win.mean(axis=(2, 3))
    return out


def correlate2d_full(image, kernel):
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    r, s = kernel.shape
    padded = np.pad(image, ((r - 1, r - 1), (s - 1, s - 1)))
    out = np.zeros((padded.shape[0] - r + 1, padded.shape[1] - s + 1))
    for u in range(r):
        for v in range(s):
            out += kernel[u, v] * padded[u:u + out.shape[0], v:v + out.shape[1]]
    return out


def numerical_gradient(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of arr (in place)."""
    grad = np.zeros_like(arr, dtype=np.float64)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + eps
        up = f()
        arr[idx] = old - eps
        down = f()
        arr[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


# --- optimizers: the torch.optim update rules, transcribed step by step ------------

class OptimizerReference:
    """Plain NumPy transcription of torch.optim's documented algorithms (float64)."""

    def __init__(self, kind, shape, **hp):
        self.kind, self.hp, self.t = kind, hp, 0
        zeros = np.zeros(shape)
        self.state = {"buf": None, "m": zeros.copy(), "v": zeros.copy(), "vmax": zeros.copy(),
                      "sum": np.full(shape, hp.get("initial_accumulator_value", 0.0)),
                      "gavg": zeros.copy(), "mbuf": zeros.copy()}

    def step(self, p, g):
        hp, s = self.hp, self.state
        self.t += 1
        default_wd = 1e-2 if self.kind == "adamw" else 0.0  # torch's AdamW default
        t, lr, wd = self.t, hp["lr"], hp.get("weight_decay", default_wd)
        p, g = np.asarray(p, np.float64).copy(), np.asarray(g, np.float64)
        if self.kind == "sgd":
            g = g + wd * p
            mu = hp.get("momentum", 0.0)
            if mu:
                s["buf"] = g.copy() if s["buf"] is None else mu * s["buf"] + (1 - hp.get("dampening", 0.0)) * g
                g = g + mu * s["buf"] if hp.get("nesterov") else s["buf"]
            return p - lr * g
        if self.kind == "adagrad":
            g = g + wd * p
            clr = lr / (1 + (t - 1) * hp.get("lr_decay", 0.0))
            s["sum"] = s["sum"] + g * g
            return p - clr * g / (np.sqrt(s["sum"]) + hp.get("eps", 1e-10))
        if self.kind == "rmsprop":
            g = g + wd * p
            alpha, eps = hp.get("alpha", 0.99), hp.get("eps", 1e-8)
            s["v"] = alpha * s["v"] + (1 - alpha) * g * g
            avg = s["v"]
            if hp.get("centered"):
                s["gavg"] = alpha * s["gavg"] + (1 - alpha) * g
                avg = avg - s["gavg"] ** 2
            avg = np.sqrt(avg) + eps
            if hp.get("momentum", 0.0) > 0:
                s["mbuf"] = hp["momentum"] * s["mbuf"] + g / avg
                return p - lr * s["mbuf"]
            return p - lr * g / avg
        # adam / adamw
        b1, b2 = hp.get("betas", (0.9, 0.999))
        eps = hp.get("eps", 1e-8)
        if self.kind == "adamw":
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        v = s["v"]
        if hp.get("amsgrad"):
            s["vmax"] = np.maximum(s["vmax"], s["v"])
            v = s["vmax"]
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
        return p - lr / (1 - b1 ** t) * s["m"] / denom


def sgd_loss_gradient(loss, y, p, epsilon=0.1):
    """d loss / d p for the SGD losses (scikit-learn's definitions, y in {-1, +1} for classifiers)."""
    z = p * y
    if loss in ("hinge", "perceptron"):
        threshold = 1.0 if loss == "hinge" else 0.0
        return -y if z <= threshold else 0.0
    if loss == "log_loss":
        return -y / (np.exp(z) + 1.0)
    if loss == "modified_huber":
        return 0.0 if z >= 1 else (-2.0 * (1.0 - z) * y if z >= -1 else -4.0 * y)
    if loss == "squared_hinge":
        return -2.0 * y * (1.0 - z) if 1.0 - z > 0 else 0.0
    r = p - y
    if loss == "squared_error":
        return r
    if loss == "huber":
        return r if abs(r) <= epsilon else epsilon * np.sign(r)
    if loss == "epsilon_insensitive":
        return 0.0 if abs(r) <= epsilon else np.sign(r)
    if loss == "squared_epsilon_insensitive":
        return 0.0 if abs(r) <= epsilon else 2.0 * (r - epsilon * np.sign(r))
    raise ValueError(loss)


def sgd_epochs(X, y, *, loss, penalty="l2", alpha=1e-4, l1_ratio=0.15, learning_rate="optimal",
               eta0=0.01, power_t=0.5, epochs=1, fit_intercept=True, epsilon=0.1, average=0,
               intercept_decay=1.0, sample_weight=None, weight_pos=1.0, weight_neg=1.0):
    """Textbook SGD over the rows in their given order, on the true weights.

    L2 shrinks ``w`` explicitly; L1 is Tsuruoka et al.'s cumulative penalty on
    the features of the current row (all features for a dense X, the stored
    ones for a sparse X); the averaged weights are the plain running mean of
    the iterates from sample ``average`` on. Returns (w, b, avg_w, avg_b).
    """
    import scipy.sparse as sp

    sparse = sp.issparse(X)
    X = X.tocsr() if sparse else np.asarray(X, np.float64)
    n, d = X.shape
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
    w, b = np.zeros(d), 0.0
    avg_w, avg_b = np.zeros(d), 0.0
    q, u = np.zeros(d), 0.0
    t = 1.0
    if learning_rate == "optimal":
        typw = np.sqrt(1.0 / np.sqrt(alpha))
        eta_first = typw / max(1.0, sgd_loss_gradient(loss, 1.0, -typw, epsilon))
        t_init = 1.0 / (eta_first * alpha)
    for _ in range(epochs):
        for i in range(n):
            if sparse:
                cols = X.indices[X.indptr[i]:X.indptr[i + 1]]
                vals = X.data[X.indptr[i]:X.indptr[i + 1]]
            else:
                cols, vals = np.arange(d), X[i]
            p = float(w[cols] @ vals) + b
            if learning_rate == "optimal":
                eta = 1.0 / (alpha * (t_init + t - 1.0))
            elif learning_rate == "invscaling":
                eta = eta0 / t ** power_t
            else:
                eta = eta0
            cw = weight_pos if y[i] > 0 else weight_neg
            update = -eta * sgd_loss_gradient(loss, y[i], p, epsilon) * cw * sw[i]
            if penalty in ("l2", "elasticnet"):
                w *= max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha)
            w[cols] += update * vals
            if fit_intercept:
                b += update * intercept_decay
            if 0 < average <= t:
                k = t - average + 1.0
                avg_w += (w - avg_w) / k
                avg_b += (b - avg_b) / k
            if penalty in ("l1", "elasticnet"):
                u += l1_ratio * eta * alpha
                for j in cols:
                    z = w[j]
                    if z > 0:
                        w[j] = max(0.0, z - (u + q[j]))
                    elif z < 0:
                        w[j] = min(0.0, z + (u - q[j]))
                    q[j] += w[j] - z
            t += 1.0
    return w, b, avg_w, avg_b


def als_implicit_half_step(C, Y, reg):
    """Exact implicit-ALS solve of every row of C (rows x items, confidences) given Y."""
    import scipy.sparse as sp

    C = sp.csr_matrix(C, dtype=np.float64)
    Y = np.asarray(Y, np.float64)
    f = Y.shape[1]
    X = np.zeros((C.shape[0], f))
    YtY = Y.T @ Y + reg * np.eye(f)
    for u in range(C.shape[0]):
        items = C.indices[C.indptr[u]:C.indptr[u + 1]]
        conf = C.data[C.indptr[u]:C.indptr[u + 1]]
        if items.size == 0:
            continue
        A = YtY + (Y[items].T * (np.abs(conf) - 1.0)) @ Y[items]
        b = (Y[items] * np.where(conf > 0, conf, 0.0)[:, None]).sum(axis=0)
        X[u] = np.linalg.solve(A, b)
    return X


def als_implicit_cg_half_step(C, X0, Y, reg, steps):
    """Warm-started conjugate gradient (Takacs et al. 2011), ``steps`` steps per row of C,
    never forming the row's matrix: the implicit-ALS half-step with CG, row by row."""
    import scipy.sparse as sp

    C = sp.csr_matrix(C, dtype=np.float64)
    Y = np.asarray(Y, np.float64)
    X = np.array(X0, np.float64)
    YtY = Y.T @ Y + reg * np.eye(Y.shape[1])
    for u in range(C.shape[0]):
        items = C.indices[C.indptr[u]:C.indptr[u + 1]]
        conf = C.data[C.indptr[u]:C.indptr[u + 1]]
        if items.size == 0:
            X[u] = 0
            continue
        Yu = Y[items]

        def apply(v):
            return YtY @ v + Yu.T @ ((np.abs(conf) - 1.0) * (Yu @ v))

        x = X[u]
        r = Yu.T @ np.where(conf > 0, conf, 0.0) - apply(x)
        p, rs = r.copy(), r @ r
        for _ in range(steps):
            if rs < 1e-20:
                break
            ap = apply(p)
            alpha = rs / (p @ ap)
            x = x + alpha * p
            r = r - alpha * ap
            rs, rs_old = r @ r, rs
            p = r + (rs / rs_old) * p
        X[u] = x
    return X


def als_explicit_half_step(R, Y, y_bias, mean, reg):
    """ALS-WR with biases: rows of R solve for [x_u, b_u] given [y_i, 1] and b_i."""
    import scipy.sparse as sp

    R = sp.csr_matrix(R, dtype=np.float64)
    Y = np.asarray(Y, np.float64)
    f = Y.shape[1]
    X, bias = np.zeros((R.shape[0], f)), np.zeros(R.shape[0])
    for u in range(R.shape[0]):
        items = R.indices[R.indptr[u]:R.indptr[u + 1]]
        if items.size == 0:
            continue
        Z = np.hstack([Y[items], np.ones((items.size, 1))])
        target = R.data[R.indptr[u]:R.indptr[u + 1]] - mean - y_bias[items]
        w = np.linalg.solve(Z.T @ Z + reg * items.size * np.eye(f + 1), Z.T @ target)
        X[u], bias[u] = w[:f], w[f]
    return X, bias


def sgd_mf_epoch(users, items, ratings, P, Q, bu, bi, mean, lr, reg, biased=True):
    """Surprise's SVD epoch over the ratings in the given order (in place)."""
    for u, i, r in zip(users, items, ratings):
        err = r - mean - P[u] @ Q[i] - ((bu[u] + bi[i]) if biased else 0.0)
        if biased:
            bu[u] += lr * (err - reg * bu[u])
            bi[i] += lr * (err - reg * bi[i])
        pu = P[u].copy()
        P[u] += lr * (err * Q[i] - reg * P[u])
        Q[i] += lr * (err * pu - reg * Q[i])


def top_n(scores, N, excluded=(), candidates=None):
    """Brute force: the N best (score desc, id asc) among candidates minus excluded."""
    n = scores.shape[0]
    allowed = set(range(n) if candidates is None else candidates) - set(excluded)
    ranked = sorted(allowed, key=lambda i: (-scores[i], i))[:N]
    return np.array(ranked, dtype=np.int64), scores[ranked]


def ranking_metrics(recommended, test_items, n_items, K):
    """implicit's precision/MAP/nDCG/AUC (and mean recall) from per-user top-K lists.

    K larger than the number of items means K = n_items.
    """
    K = min(K, n_items)
    hits_total = denom = 0.0
    recall, ap_sum, ndcg_sum, auc_sum = [], 0.0, 0.0, 0.0
    for ids, likes in zip(recommended, test_items):
        likes = set(likes)
        hits = [i in likes for i in ids[:K]]
        n_pos, n_neg = len(likes), n_items - len(likes)
        hits_total += sum(hits)
        denom += min(K, n_pos)
        recall.append(sum(hits) / n_pos)
        precisions = [sum(hits[:k + 1]) / (k + 1) for k in range(K) if hits[k]]
        ap_sum += sum(precisions) / min(K, n_pos)
        dcg = sum(1.0 / np.log2(k + 2) for k in range(K) if hits[k])
        ndcg_sum += dcg / sum(1.0 / np.log2(k + 2) for k in range(min(K, n_pos)))
        # AUC by brute force over (positive, negative) pairs: the top-K list in
        # order, then every other item tied last; a tie counts one half.
        rank = {item: k for k, item in enumerate(ids[:K])}
        position = [rank.get(item, K) for item in range(n_items)]
        wins = 0.0
        for p in likes:
            for q in range(n_items):
                if q not in likes:
                    wins += 1.0 if position[p] < position[q] else (
                        0.5 if position[p] == position[q] else 0.0)
        auc_sum += wins / (n_pos * n_neg)
    n = len(recommended)
    return {"precision": hits_total / denom, "recall": float(np.mean(recall)),
            "map": ap_sum / n, "ndcg": ndcg_sum / n, "auc": auc_sum / n}


def implicit_als_loss(C, X, Y, reg):
    """implicit's normalized weighted loss of factors X, Y on confidences C (dense formula)."""
    import scipy.sparse as sp

    C = sp.csr_matrix(C, dtype=np.float64).toarray()
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    S = X @ Y.T
    observed = C != 0
    weight = np.where(observed, np.abs(C), 1.0)
    preference = (C > 0).astype(np.float64)
    total = (weight * (preference - S) ** 2).sum() + reg * ((X ** 2).sum() + (Y ** 2).sum())
    norm = np.abs(C).sum() + C.size - observed.sum()
    return total / norm
