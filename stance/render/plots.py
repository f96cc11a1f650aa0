"""Plots for the HTML pages: matplotlib figures as PNG data URIs, so a page is one file."""

from __future__ import annotations

import base64
import io
from typing import Any

from stance.metrics import f1_scores
from stance.render.colours import LABEL_COLOURS, label_colours


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _finish(fig: Any, ax: Any, xlabel: str, ylabel: str, title: str) -> str:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def evaluation_plots(report: dict[str, Any]) -> dict[str, str]:
    """PR curves per label, F1-vs-threshold curves and a reliability diagram, as data URIs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import precision_recall_curve

    labels = list(report["per_label"])
    colours = label_colours(labels)
    preds = report.get("predictions") or []
    if not preds:
        return {}
    Y = np.array([[lab in p["gold"] for lab in labels] for p in preds], dtype=int)
    P = np.array([[p["scores"][lab] for lab in labels] for p in preds])
    plots = {}
    fig, ax = plt.subplots(figsize=(5, 4))
    for j, lab in enumerate(labels):
        if Y[:, j].sum():
            pr, rc, _ = precision_recall_curve(Y[:, j], P[:, j])
            ax.plot(rc, pr, label=lab, color=colours[lab])
    plots["pr"] = _finish(fig, ax, "recall", "precision", "Precision-recall per label")
    fig, ax = plt.subplots(figsize=(5, 4))
    grid = np.linspace(0.02, 0.98, 49)
    for j, lab in enumerate(labels):
        f1s = [f1_scores(Y[:, [j]], (P[:, [j]] >= t).astype(int))[2] for t in grid]  # a sweep, not a decision
        ax.plot(grid, f1s, label=lab, color=colours[lab])
        ax.axvline(report["per_label"][lab]["threshold"], color=colours[lab], ls=":", lw=1)
    plots["threshold"] = _finish(fig, ax, "threshold", "F1", "F1 by threshold (dotted: chosen)")
    fig, ax = plt.subplots(figsize=(5, 4))
    bins = np.linspace(0, 1, 11)
    for j, lab in enumerate(labels):
        idx = np.clip(np.digitize(P[:, j], bins) - 1, 0, 9)
        xs, ys = [], []
        for b in range(10):
            m = idx == b
            if m.sum() >= 3:
                xs.append(P[m, j].mean())
                ys.append(Y[m, j].mean())
        ax.plot(xs, ys, marker="o", label=lab, color=colours[lab])
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    plots["reliability"] = _finish(fig, ax, "mean predicted probability", "observed frequency", "Reliability")
    return plots


def comparison_chart(result: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = [*result["per_label"], "macro-F1"]
    runs = result["runs"]
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(labels), 3.6))
    width = 0.8 / len(runs)
    x = np.arange(len(labels))
    for k, run in enumerate(runs):
        vals = [result["per_label"][lab]["f1"][k] for lab in result["per_label"]] + [result["macro_f1"]["values"][k]]
        ax.bar(x + k * width - 0.4 + width / 2, vals, width, label=run, color=LABEL_COLOURS[k % len(LABEL_COLOURS)])
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.legend(fontsize=8)
    return _png(fig)
