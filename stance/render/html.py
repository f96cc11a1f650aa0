"""Self-contained HTML pages (Jinja2 templates in ``stance/templates``) for evaluation reports,
comparisons and scored articles."""

from __future__ import annotations

import base64
import html
from typing import Any

from stance.render.colours import label_colours
from stance.render.markdown import by_group_table, comparison_rows, evaluation_table
from stance.render.plots import comparison_chart, evaluation_plots, prevalence_plot


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


def evaluation_html(report: dict[str, Any]) -> str:
    return (
        _env()
        .get_template("evaluation.html.j2")
        .render(
            report=report,
            table=evaluation_table(report),
            groups=by_group_table(report),
            plots=evaluation_plots(report),
            colours=label_colours(list(report["per_label"])),
        )
    )


def comparison_html(result: dict[str, Any]) -> str:
    return _env().get_template("compare.html.j2").render(result=result, rows=comparison_rows(result), chart=comparison_chart(result))


def scores_html(items: list[tuple[Any, list[dict[str, Any]], dict[str, Any]]], labels: list[str], summary: Any) -> str:
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
        .render(
            articles=articles,
            labels=labels,
            colours=colours,
            speakers=summary.speaker_table(),
            totals=summary.totals(),
            groups=_groups_section(summary.prevalence(), labels),
        )
    )


def _groups_section(block: dict[str, Any] | None, labels: list[str]) -> dict[str, Any] | None:
    """What the page shows of grouped prevalence: the plot, one table per grouping (a group per row,
    per label its prevalence, interval and raw rate), the differing pairs and the rates' source."""
    if not block:
        return None
    rows = block["groups"]
    groupings = list(dict.fromkeys(r["grouping"] for r in rows))
    tables = {}
    for g in groupings:
        by_name: dict[str, dict[str, Any]] = {}
        for r in rows:
            if r["grouping"] == g:
                by_name.setdefault(r["name"], {"name": r["name"], "sentences": r["sentences"]})[r["label"]] = r
        tables[g] = list(by_name.values())
    differing = [p for pairs in block["comparisons"].values() for p in pairs if p["differs"]]
    plot = "data:image/png;base64," + base64.b64encode(prevalence_plot(rows, groupings, dpi=80)).decode() if rows else None
    source = (block.get("error_rates") or {}).get("source")
    return {"tables": tables, "plot": plot, "differing": differing, "method": block["method"], "source": source}


def _sentence_span(r: dict[str, Any], labels: list[str], colours: dict[str, str]) -> str:
    title = " · ".join(f"{lab} {r['scores'][lab]:.2f}" for lab in labels)
    who = r.get("holder") or r.get("speaker")
    if who:
        title += f" · holder: {who}" + (f" ({r['holder_source']})" if r.get("holder_source") else "")
    classes = ["s"] + [f"l-{lab}" for lab in r["labels"]] + (["boiler"] if r["boilerplate"] else [])
    style = ""
    if r["labels"]:
        c = colours[r["labels"][0]]
        shadow = ", ".join(f"inset 0 -{3 * (k + 1)}px 0 {colours[lab]}" for k, lab in enumerate(r["labels"]))
        style = f' style="background:{c}22; box-shadow:{shadow}"'
    if r.get("evidence"):
        ev_txt = "; ".join(f"{lab}: " + ", ".join(t for t, _ in terms) for lab, terms in r["evidence"].items() if terms)
        if ev_txt:
            title += " · evidence: " + ev_txt
    # the labels' scores in the text itself: print and touch screens have no hover to show the title
    scores = ", ".join(f"{lab} {r['scores'][lab]:.2f}" for lab in r["labels"])
    shown = f'<sup class="sc">{html.escape(scores)}</sup>' if scores else ""
    return f'<span class="{" ".join(classes)}" title="{html.escape(title)}"{style}>{html.escape(r["text"])}</span>{shown}'
