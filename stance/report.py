"""Rendering for people: Markdown and self-contained HTML for evaluation reports, comparisons and
scored articles. Templates are Jinja2 files in ``stance/templates``; plots are matplotlib PNGs
embedded as data URIs so a page is one file that can be mailed or archived.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

_LABEL_COLOURS = ["#e4572e", "#2e86ab", "#a23b72", "#f3a712", "#3bb273", "#7768ae", "#d1495b", "#00798c"]


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("stance", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.1f}"
    env.filters["f3"] = lambda x: "–" if x is None else f"{x:.3f}"
    return env


def label_colours(labels: list[str]) -> dict[str, str]:
    return {lab: _LABEL_COLOURS[i % len(_LABEL_COLOURS)] for i, lab in enumerate(labels)}


def _fmt_ci(ci: list[float] | None) -> str:
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluation_table(report: dict[str, Any]) -> list[list[str]]:
    rows = [["label", "precision", "recall", "F1 [95% CI]", "support", "PR-AUC"]]
    for lab, m in report["per_label"].items():
        rows.append(
            [
                lab,
                f"{m['precision']:.3f}",
                f"{m['recall']:.3f}",
                f"{m['f1']:.3f}{_fmt_ci(m.get('f1_ci'))}",
                str(m["support"]),
                "–" if m.get("pr_auc") is None else f"{m['pr_auc']:.3f}",
            ]
        )
    return rows


def _md_table(rows: list[list[str]]) -> str:
    head, *body = rows
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(out)


def evaluation_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# stance evaluation report",
        "",
        f"- data: `{report['data']['path']}` ({report['data']['n']} sentences, sha256 `{report['data']['sha256'][:12]}`)",
        f"- model: `{report['model']['path']}` (sha256 `{report['model']['model_sha256'][:12]}`)",
        f"- thresholds: {', '.join(f'{k} {v}' for k, v in report['model']['thresholds'].items())}",
        "",
        _md_table(evaluation_table(report)),
        "",
        f"**macro-F1 {report['macro_f1']:.3f}**{_fmt_ci(report.get('macro_f1_ci'))} · micro-F1 {report['micro_f1']:.3f}"
        f"{_fmt_ci(report.get('micro_f1_ci'))} · weighted-F1 {report['weighted_f1']:.3f} · exact match {report['exact_match']:.3f}",
        "",
        "Brier scores (lower is better calibrated): " + ", ".join(f"{k} {m['brier']:.3f}" for k, m in report["per_label"].items()),
    ]
    errors = report.get("errors") or {}
    if errors:
        lines += ["", "## Most confident errors"]
        for lab, e in errors.items():
            for kind, title in (("false_positives", "false positives"), ("false_negatives", "false negatives")):
                if e[kind]:
                    lines += ["", f"**{lab}: {title}**", ""]
                    lines += [f"- ({x['score']:.2f}) {x['text']}" for x in e[kind]]
    return "\n".join(lines) + "\n"


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
        f1s = []
        for t in grid:
            yhat = P[:, j] >= t
            tp = (yhat & (Y[:, j] == 1)).sum()
            den = yhat.sum() + Y[:, j].sum()
            f1s.append(2 * tp / den if den else 0.0)
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


def evaluation_html(report: dict[str, Any]) -> str:
    return (
        _env()
        .get_template("evaluation.html.j2")
        .render(
            report=report, table=evaluation_table(report), plots=evaluation_plots(report), colours=label_colours(list(report["per_label"]))
        )
    )


# ---------------------------------------------------------------------------------------------
# Comparison


def comparison_rows(result: dict[str, Any]) -> list[list[str]]:
    runs = result["runs"]
    head = ["label", *[f"{r} P/R/F1" for r in runs]]
    paired = result.get("paired")
    if len(runs) == 2:
        head += ["ΔF1", "95% CI", "p", ""] if paired else ["ΔF1"]
    rows = [head]

    def diff_cells(entry: dict[str, Any]) -> list[str]:
        if len(runs) != 2:
            return []
        if paired:
            return [
                f"{entry['delta']:+.3f}",
                _fmt_ci(entry["ci"]).strip(),
                f"{entry['p_value']:.3f}",
                "significant" if entry["significant"] else "n.s.",
            ]
        return [f"{entry['delta'][0]:+.3f}"]

    for lab, e in result["per_label"].items():
        cells = [f"{p:.3f} / {r:.3f} / {f:.3f}" for p, r, f in zip(e["precision"], e["recall"], e["f1"])]
        rows.append([lab, *cells, *diff_cells(e)])
    m = result["macro_f1"]
    rows.append(["macro-F1", *[f"{v:.3f}" for v in m["values"]], *diff_cells(m)])
    return rows


def comparison_markdown(result: dict[str, Any]) -> str:
    lines = ["# stance comparison", ""]
    lines += [f"> warning: {w}" for w in result["warnings"]]
    if result["warnings"]:
        lines.append("")
    lines.append(_md_table(comparison_rows(result)))
    if len(result["runs"]) > 2 and result.get("pairs"):
        lines += ["", "## Paired tests against the first run", ""]
        rows = [["run", "label", "ΔF1", "95% CI", "p", ""]]
        for pair in result["pairs"]:
            for lab, t in zip(result["labels"], pair["per_label"]):
                rows.append(
                    [
                        pair["b"],
                        lab,
                        f"{t['delta']:+.3f}",
                        _fmt_ci(t["ci"]).strip(),
                        f"{t['p_value']:.3f}",
                        "significant" if t["significant"] else "n.s.",
                    ]
                )
            t = pair["macro_f1"]
            rows.append(
                [
                    pair["b"],
                    "macro-F1",
                    f"{t['delta']:+.3f}",
                    _fmt_ci(t["ci"]).strip(),
                    f"{t['p_value']:.3f}",
                    "significant" if t["significant"] else "n.s.",
                ]
            )
        lines.append(_md_table(rows))
    if result.get("paired"):
        lines += [
            "",
            "Paired bootstrap 95% intervals and approximate-randomisation p-values over the same sentences; significant at p < 0.05.",
        ]
    return "\n".join(lines) + "\n"


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
        ax.bar(x + k * width - 0.4 + width / 2, vals, width, label=run, color=_LABEL_COLOURS[k % len(_LABEL_COLOURS)])
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.legend(fontsize=8)
    return _png(fig)


def comparison_html(result: dict[str, Any]) -> str:
    return _env().get_template("compare.html.j2").render(result=result, rows=comparison_rows(result), chart=comparison_chart(result))


# ---------------------------------------------------------------------------------------------
# Scored articles


def render_scores_html(items: list[tuple[Any, list[dict[str, Any]], dict[str, Any]]], labels: list[str], summary: Any) -> str:
    colours = label_colours(labels)
    articles = []
    for article, records, row in items:
        parts = []
        pos = 0
        text = article.text
        for r in records:
            parts.append(html.escape(text[pos : r["start"]]).replace("\n\n", "<br><br>"))
            parts.append(_sentence_span(r, labels, colours))
            pos = r["end"]
        parts.append(html.escape(text[pos:]))
        articles.append({"id": article.id, "body": "".join(parts), "row": row})
    return (
        _env()
        .get_template("scores.html.j2")
        .render(articles=articles, labels=labels, colours=colours, speakers=summary.speaker_table(), totals=summary.totals())
    )


def _sentence_span(r: dict[str, Any], labels: list[str], colours: dict[str, str]) -> str:
    title = " · ".join(f"{lab} {r['scores'][lab]:.2f}" for lab in labels)
    if r.get("speaker"):
        title += f" · speaker: {r['speaker']}"
    classes = ["s"] + [f"l-{lab}" for lab in r["labels"]] + (["boiler"] if r["boilerplate"] else [])
    style = ""
    if r["labels"]:
        c = colours[r["labels"][0]]
        shadow = ", ".join(f"inset 0 -{3 * (k + 1)}px 0 {colours[lab]}" for k, lab in enumerate(r["labels"]))
        style = f' style="background:{c}22; box-shadow:{shadow}"'
    ev = ""
    if r.get("evidence"):
        ev_txt = "; ".join(f"{lab}: " + ", ".join(t for t, _ in terms) for lab, terms in r["evidence"].items() if terms)
        if ev_txt:
            title += " · evidence: " + ev_txt
            ev = f'<sup class="ev">{html.escape(", ".join(r["labels"]))}</sup>'
    return f'<span class="{" ".join(classes)}" title="{html.escape(title)}"{style}>{html.escape(r["text"])}</span>{ev}'
