"""Shared by the examples: a plain-text results table and the PNG writer."""
from __future__ import annotations


def print_table(headers, rows) -> None:
    """Print rows as an aligned Markdown table."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def pyplot_or_exit():
    """matplotlib's pyplot (Agg backend), checked before any work: exits with the fix if absent."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("this example draws a PNG with matplotlib, which is not installed: "
                         "pip install 'fastmath[examples]' (or pass --out '' to skip the figure)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"figure written to {path}")
