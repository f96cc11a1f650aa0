"""Plots for the HTML pages: matplotlib figures as PNG data URIs, so a page is one file."""

from __future__ import annotations

import base64
import io
from typing import Any

from stance.groups import parse_grouping, period_start
from stance.metrics import f1_scores
from stance.render.colours import LABEL_COLOURS, label_colours

MAX_PLOTTED_GROUPS = 20  # groups per bar panel (the largest by sentences); more are unreadable
MAX_PLOTTED_LINES = 8  # lines per time panel (the largest series)


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


def prevalence_plot(rows: list[dict[str, Any]], groupings: list[str], dpi: int = 100, max_groups: int = MAX_PLOTTED_GROUPS) -> bytes:
    """A PNG of grouped prevalence rows (:meth:`stance.groups.GroupedPrevalence.results`): one row
    of panels per grouping, one panel per label.

    Without a time key: each group's corrected prevalence with its interval bar (the raw rate as a
    hollow marker beside it), the ``max_groups`` largest groups only. With one (``date:month``...):
    prevalence over time, a line per value of the other keys (one line if there are none) with its
    interval shaded. Uses matplotlib's object API (no pyplot state), so it is safe in threads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from stance.errors import StanceError

    groupings = [g for g in groupings if any(r["grouping"] == g for r in rows)]
    if not groupings:
        raise StanceError("nothing to plot: no grouped rows (use --group-by)")
    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig = Figure(figsize=(4.6 * len(labels), 3.8 * len(groupings)))
    FigureCanvasAgg(fig)
    grid = fig.subplots(len(groupings), len(labels), squeeze=False)
    for axes, grouping in zip(grid, groupings):
        mine = [r for r in rows if r["grouping"] == grouping]
        keys = parse_grouping(grouping)
        time_keys = [k for k in keys if ":" in k]
        if not time_keys:
            mine, note = _largest_groups(mine, max_groups)
        for ax, lab in zip(axes, labels):
            panel = [r for r in mine if r["label"] == lab]
            if time_keys:
                _time_panel(ax, panel, time_keys[0], [k for k in keys if k != time_keys[0]])
            else:
                _bar_panel(ax, panel)
            ax.set_title(f"{lab} by {grouping}" + ("" if time_keys else note), fontsize=10)
            ax.grid(axis="y", alpha=0.3)
        tops = [r["ci"][1] if r["ci"] else (r["prevalence"] or 0.0) for r in mine] + [r["raw_rate"] or 0.0 for r in mine]
        for ax in axes:  # one scale per grouping, so its labels compare at a glance; rare labels stay readable
            ax.set_ylim(0, min(1.0, 1.15 * max(tops) + 0.02))
        method = mine[0]["method"]
        axes[0].set_ylabel("prevalence (raw)" if method == "raw" else f"corrected prevalence ({method.upper()})")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _largest_groups(rows: list[dict[str, Any]], k: int) -> tuple[list[dict[str, Any]], str]:
    """The rows of the ``k`` groups with most sentences (in their sorted order), and a title note."""
    sizes = {r["name"]: r["sentences"] for r in rows}
    if len(sizes) <= k:
        return rows, ""
    keep = set(sorted(sizes, key=lambda n: (-sizes[n], n))[:k])
    return [r for r in rows if r["name"] in keep], f" (largest {k} of {len(sizes)})"


def _err(rows: list[dict[str, Any]]) -> Any:
    """Asymmetric error-bar lengths (a zero bar where no interval could be given)."""
    import numpy as np

    lo = [(r["prevalence"] - r["ci"][0]) if r["ci"] and r["prevalence"] is not None else 0.0 for r in rows]
    hi = [(r["ci"][1] - r["prevalence"]) if r["ci"] and r["prevalence"] is not None else 0.0 for r in rows]
    return np.maximum(0.0, np.array([lo, hi]))


def _bar_panel(ax: Any, rows: list[dict[str, Any]]) -> None:
    import numpy as np

    x = np.arange(len(rows))
    y = [r["prevalence"] if r["prevalence"] is not None else np.nan for r in rows]
    ax.errorbar(x, y, yerr=_err(rows), fmt="o", capsize=3, label="corrected, 95% interval")
    ax.plot(x + 0.15, [r["raw_rate"] for r in rows], "o", mfc="none", color="grey", label="raw rate")
    ax.set_xticks(x)
    ax.set_xticklabels([r["name"] for r in rows], rotation=45, ha="right", fontsize=8)
    ax.legend(fontsize=7, loc="upper right")


def _time_panel(ax: Any, rows: list[dict[str, Any]], time_key: str, others: list[str]) -> None:
    from datetime import date

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    series: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault(" | ".join(r["group"][k] for k in others) or "all", []).append(r)
    size = {name: sum(r["sentences"] for r in points) for name, points in series.items()}
    shown = sorted(size, key=lambda n: (-size[n], n))[:MAX_PLOTTED_LINES]
    for name, points in sorted((n, series[n]) for n in shown):
        pts = sorted(((period_start(r["group"][time_key]), r) for r in points), key=lambda t: t[0] or date.min)
        pts = [(d, r) for d, r in pts if d is not None and r["prevalence"] is not None]
        if not pts:
            continue
        xs = [d for d, _ in pts]
        (line,) = ax.plot(xs, [r["prevalence"] for _, r in pts], marker="o", label=name)
        lo = [r["ci"][0] if r["ci"] else r["prevalence"] for _, r in pts]
        hi = [r["ci"][1] if r["ci"] else r["prevalence"] for _, r in pts]
        ax.fill_between(xs, lo, hi, alpha=0.15, color=line.get_color())
    ax.legend(fontsize=7, loc="upper right")
    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
