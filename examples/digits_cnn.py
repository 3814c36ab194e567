"""A small CNN trained on scikit-learn's 8x8 digits with fastmath kernels only.

conv2d(1->16, 3x3) -> relu -> max_pool2d(2) -> conv2d(16->32, 3x3) -> relu ->
max_pool2d(2) -> linear(128->64, relu) -> linear(64->10) -> softmax
cross-entropy, trained by fastmath's Adam with a cosine schedule; forward and backward passes use the
convolution and matrix-ops families. Prints the test accuracy and plots the
training curve.

    python examples/digits_cnn.py [--small] [--out digits_training.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import fastmath as fm
from _report import print_table, pyplot_or_exit, save_figure
from fastmath.optim import Adam, CosineAnnealingLR


def init_params(rng, dtype):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)

    return {
        "w1": he((16, 1, 3, 3), 9), "b1": np.zeros(16, dtype),
        "w2": he((32, 16, 3, 3), 144), "b2": np.zeros(32, dtype),
        "w3": he((128, 64), 128), "b3": np.zeros(64, dtype),
        "w4": he((64, 10), 64), "b4": np.zeros(10, dtype),
    }


def forward(p, x):
    """Logits and what the backward pass needs."""
    c1 = np.maximum(fm.conv2d(x, p["w1"], p["b1"], padding=1), 0)
    p1, a1 = fm.max_pool2d(c1, 2)
    c2 = np.maximum(fm.conv2d(p1, p["w2"], p["b2"], padding=1), 0)
    p2, a2 = fm.max_pool2d(c2, 2)
    flat = p2.reshape(len(x), -1)
    h = fm.linear(flat, p["w3"], p["b3"], "relu")
    logits = fm.linear(h, p["w4"], p["b4"])
    return logits, (x, c1, p1, a1, c2, p2, a2, flat, h)


def backward(p, cache, grad_logits):
    x, c1, p1, a1, c2, p2, a2, flat, h = cache
    g = {}
    gh, g["w4"], g["b4"] = fm.linear_backward(grad_logits, h, p["w4"])
    gflat, g["w3"], g["b3"] = fm.linear_backward(gh, flat, p["w3"], h, "relu")
    gc2 = fm.max_pool2d_backward(gflat.reshape(p2.shape), a2, c2.shape) * (c2 > 0)
    gp1, g["w2"], g["b2"] = fm.conv2d_backward(gc2, p1, p["w2"], padding=1)
    gc1 = fm.max_pool2d_backward(gp1, a1, c1.shape) * (c1 > 0)
    _, g["w1"], g["b1"] = fm.conv2d_backward(gc1, x, p["w1"], padding=1)
    return g


def cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    rows = np.arange(len(y))
    loss = np.mean(fm.logsumexp(logits, axis=1) - logits[rows, y])  # -log softmax, computed stably
    grad = fm.softmax(logits, axis=1)
    grad[rows, y] -= 1.0
    return float(loss), grad / len(y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a few epochs (smoke test)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--out", default="digits_training.png", help="PNG figure path ('' for none)")
    args = parser.parse_args(argv)
    plt = pyplot_or_exit() if args.out else None
    epochs = args.epochs or (3 if args.small else 25)
    dtype = np.float32
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(dtype).reshape(-1, 1, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    rng = np.random.default_rng(0)
    params = init_params(rng, dtype)
    names = list(params)
    opt = Adam([params[k] for k in names], lr=3e-3)
    schedule = CosineAnnealingLR(opt, T_max=epochs)  # settles the weights by the last epoch
    history = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        losses = []
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            logits, cache = forward(params, X_train[batch])
            loss, grad = cross_entropy(logits, y_train[batch])
            grads = backward(params, cache, grad.astype(dtype))
            opt.step([grads[k].astype(dtype, copy=False) for k in names])
            losses.append(loss)
        schedule.step()
        test_acc = float(np.mean(forward(params, X_test)[0].argmax(axis=1) == y_test))
        history.append((epoch + 1, float(np.mean(losses)), test_acc))
    elapsed = time.perf_counter() - t0
    train_acc = float(np.mean(forward(params, X_train)[0].argmax(axis=1) == y_train))
    print_table(["epochs", "train accuracy", "test accuracy", "training time"],
                [(epochs, train_acc, history[-1][2], f"{elapsed:.1f} s")])

    if plt is None:
        return history
    fig, ax = plt.subplots(figsize=(6, 3.2))
    e, loss, acc = zip(*history)
    ax.plot(e, loss, marker="o", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax2 = ax.twinx()
    ax2.plot(e, acc, color="tab:green", marker="s", label="test accuracy")
    ax2.set_ylabel("test accuracy")
    fig.legend(loc="center right")
    save_figure(fig, args.out)
    return history


if __name__ == "__main__":
    main()
