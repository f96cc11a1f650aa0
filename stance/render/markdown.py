"""Reports as text: the terminal's tables and Markdown files for evaluations and comparisons."""

from __future__ import annotations

import json
from typing import Any


def fmt_ci(ci: list[float] | None) -> str:
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


def evaluation_table(report: dict[str, Any]) -> list[list[str]]:
    rows = [["label", "precision", "recall", "F1 [95% CI]", "support", "PR-AUC"]]
    for lab, m in report["per_label"].items():
        rows.append(
            [
                lab,
                f"{m['precision']:.3f}",
                f"{m['recall']:.3f}",
                f"{m['f1']:.3f}{fmt_ci(m.get('f1_ci'))}",
                str(m["support"]),
                "–" if m.get("pr_auc") is None else f"{m['pr_auc']:.3f}",
            ]
        )
    return rows


def by_group_table(report: dict[str, Any]) -> list[list[str]]:
    """One row per group of ``stance evaluate --by``: its size, macro-F1 with interval, F1 per label.
    Empty when the report was not split."""
    block = report.get("by")
    if not block:
        return []
    labels = list(report["per_label"])
    rows = [[block["field"], "sentences", "macro-F1 [95% CI]", *[f"{lab} F1 (support)" for lab in labels]]]
    for name, g in block["groups"].items():
        cells = [f"{g['per_label'][lab]['f1']:.3f} ({g['per_label'][lab]['support']})" for lab in labels]
        rows.append([name, str(g["n"]), f"{g['macro_f1']:.3f}{fmt_ci(g.get('macro_f1_ci'))}", *cells])
    return rows


def md_table(rows: list[list[str]]) -> str:
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
        md_table(evaluation_table(report)),
        "",
        f"**macro-F1 {report['macro_f1']:.3f}**{fmt_ci(report.get('macro_f1_ci'))} · micro-F1 {report['micro_f1']:.3f}"
        f"{fmt_ci(report.get('micro_f1_ci'))} · weighted-F1 {report['weighted_f1']:.3f} · exact match {report['exact_match']:.3f}",
        "",
        "Brier scores (lower is better calibrated): " + ", ".join(f"{k} {m['brier']:.3f}" for k, m in report["per_label"].items()),
    ]
    groups = by_group_table(report)
    if groups:
        lines += ["", f"## By {report['by']['field']}", "", md_table(groups)]
    errors = report.get("errors") or {}
    if errors:
        lines += ["", "## Most confident errors"]
        for lab, e in errors.items():
            for kind, title in (("false_positives", "false positives"), ("false_negatives", "false negatives")):
                if e[kind]:
                    lines += ["", f"**{lab}: {title}**", ""]
                    lines += [f"- ({x['score']:.2f}) {x['text']}" for x in e[kind]]
    return "\n".join(lines) + "\n"


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
                fmt_ci(entry["ci"]).strip(),
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
    lines.append(md_table(comparison_rows(result)))
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
                        fmt_ci(t["ci"]).strip(),
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
                    fmt_ci(t["ci"]).strip(),
                    f"{t['p_value']:.3f}",
                    "significant" if t["significant"] else "n.s.",
                ]
            )
        lines.append(md_table(rows))
    if result.get("paired"):
        lines += [
            "",
            "Paired bootstrap 95% intervals and approximate-randomisation p-values over the same sentences; significant at p < 0.05.",
        ]
    return "\n".join(lines) + "\n"


def cv_rows(result: dict[str, Any]) -> list[list[str]]:
    """Cross-validation: mean ± standard deviation of P/R/F1 per label."""
    rows = [["label", "precision", "recall", "F1"]]
    for lab, m in result["per_label"].items():
        rows.append([lab, *[f"{m[k]['mean']:.3f} ± {m[k]['std']:.3f}" for k in ("precision", "recall", "f1")]])
    return rows


def tune_rows(result: dict[str, Any]) -> list[list[str]]:
    """A search: each candidate's parameters and score."""
    metric = result["metric"]
    return [["candidate", metric]] + [[json.dumps(c["params"]), f"{c[metric]:.3f}"] for c in result["candidates"]]
