"""Every output file a command writes, through :func:`stance.fileio.atomic_write`: report files
(JSON, Markdown, HTML), score summaries (JSON or CSV) and sentence records as they stream past
(JSONL, CSV, HTML, Parquet)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stance.articles import Article
from stance.errors import StanceError
from stance.fileio import atomic_write, jsonl_lines, write_json, write_text
from stance.summary import Summary

SENTENCE_FORMATS = ("jsonl", "csv", "html", "parquet")
CSV_FIELDS = ["article", "sentence", "start", "end", "text", "labels", "speaker", "holder", "holder_source", "quote", "boilerplate"]


def write_report(
    result: dict[str, Any],
    json_path: str | Path | None = None,
    md_path: str | Path | None = None,
    html_path: str | Path | None = None,
    kind: str = "evaluation",
) -> None:
    """The JSON / Markdown / HTML files of an evaluation report or a comparison (``kind``)."""
    from stance.render import html, markdown

    to_md: Callable[[dict[str, Any]], str] = markdown.evaluation_markdown if kind == "evaluation" else markdown.comparison_markdown
    to_html: Callable[[dict[str, Any]], str] = html.evaluation_html if kind == "evaluation" else html.comparison_html
    if json_path:
        write_json(json_path, result)
    if md_path:
        write_text(md_path, to_md(result))
    if html_path:
        write_text(html_path, to_html(result))


def write_summary(summary: Summary, path: str | Path) -> None:
    """Per-article and per-speaker counts and rates, as JSON or CSV (by extension), and with
    ``--group-by`` the prevalence by group (JSON: a ``prevalence`` block; CSV: one row per group,
    ``kind`` ``group:GROUPING``, with the same figures in extra columns).

    Written row by row (the per-article rows may be spooled on disk); the JSON text is the same as
    ``json.dumps(..., indent=2)`` of the whole summary.
    """
    import csv

    path = Path(path)
    labs = summary.labels
    prevalence = summary.prevalence()
    with atomic_write(path) as fh:
        if path.suffix.lower() == ".csv":
            w = csv.writer(fh, lineterminator="\n")
            extra = [f"{lab}_{x}" for lab in labs for x in GROUP_CSV_FIELDS] + ["method", "rates_from"] if prevalence else []
            w.writerow(["kind", "name", "sentences", *[f"{lab}_count" for lab in labs], *[f"{lab}_rate" for lab in labs], *extra])
            for a in summary.articles:
                w.writerow(
                    ["article", a["article"], a["content_sentences"], *[a["counts"][x] for x in labs], *[a["rates"][x] for x in labs]]
                )
            for s in summary.speaker_table():
                w.writerow(["speaker", s["speaker"], s["sentences"], *[s["counts"][x] for x in labs], *[s["rates"][x] for x in labs]])
            if prevalence:
                w.writerows(group_csv_rows(prevalence["groups"], labs))
            return
        fh.write('{\n  "totals": ' + _indented(summary.totals(), 1) + ',\n  "articles": ')
        if len(summary.articles):
            fh.write("[")
            for k, a in enumerate(summary.articles):
                fh.write(("," if k else "") + "\n    " + _indented(a, 2))
            fh.write("\n  ]")
        else:
            fh.write("[]")
        fh.write(',\n  "speakers": ' + _indented(summary.speaker_table(), 1))
        if prevalence:
            fh.write(',\n  "prevalence": ' + _indented(prevalence, 1))
        fh.write("\n}\n")


GROUP_CSV_FIELDS = ("prevalence", "ci_low", "ci_high")  # a group's count and raw rate are in the count and rate columns


def group_csv_rows(rows: list[dict[str, Any]], labels: list[str]) -> list[list[Any]]:
    """Grouped prevalence rows (one per group and label) as summary CSV rows, one per group: kind
    ``group:GROUPING``, the group, its sentences, counts and raw rates per label, then per label
    corrected prevalence and interval, the method and where its error rates were measured."""
    by_group: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_group.setdefault((r["grouping"], r["name"]), {})[r["label"]] = r
    out = []
    for (grouping, name), per in by_group.items():
        first = per[labels[0]]
        figures = []
        for lab in labels:
            r = per[lab]
            ci = r["ci"] or [None, None]
            figures += [r["prevalence"], ci[0], ci[1]]
        out.append(
            [
                f"group:{grouping}",
                name,
                first["sentences"],
                *[per[lab]["count"] for lab in labels],
                *[per[lab]["raw_rate"] for lab in labels],
                *figures,
                first["method"],
                rates_from_text(first["rates_from"]),
            ]
        )
    return out


def rates_from_text(source: dict[str, Any] | None) -> str:
    """Where error rates were measured, in one line: ``dev split: ../seeds/real/dev.jsonl (2605 sentences)``."""
    if not source:
        return "none (raw rates)"
    paths = source.get("path")
    where = ", ".join(paths) if isinstance(paths, list) else str(paths or "")
    kind = f"{source['split']} split" if source.get("split") else "labelled data"
    return f"{kind}: {where}" + (f" ({source['n']} sentences)" if source.get("n") is not None else "")


def write_plot(summary: Summary, path: str | Path) -> None:
    """The grouped prevalence plot as a PNG (:func:`stance.render.plots.prevalence_plot`)."""
    from stance.render.plots import prevalence_plot

    block = summary.prevalence()
    if block is None:
        raise StanceError("nothing to plot: the summary has no groups (use --group-by)")
    png = prevalence_plot(block["groups"], list(dict.fromkeys(r["grouping"] for r in block["groups"])))
    with atomic_write(path, "wb", encoding=None) as fh:
        fh.write(png)


def _indented(obj: Any, level: int) -> str:
    """``json.dumps(obj, indent=2)`` as it appears nested ``level`` deep (JSON strings hold no newlines)."""
    return json.dumps(obj, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


# ---------------------------------------------------------------------------------------------
# Sentence records, written as they stream past


class JsonlWriter:
    binary = False

    def __init__(self, fh: Any, labels: list[str]) -> None:
        self.fh = fh

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        pre = getattr(records, "jsonl", None)  # rendered by a scoring worker (stance.records.Records)
        self.fh.write(jsonl_lines(records) if pre is None else pre)

    def close(self, summary: Summary) -> None:
        pass


class CsvWriter:
    binary = False

    def __init__(self, fh: Any, labels: list[str]) -> None:
        import csv

        self.labels = labels
        self.w = csv.writer(fh, lineterminator="\n")
        self.w.writerow(CSV_FIELDS + [f"score_{lab}" for lab in labels])

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        for r in records:
            self.w.writerow(
                [
                    r["article"],
                    r["sentence"],
                    r["start"],
                    r["end"],
                    r["text"],
                    ";".join(r["labels"]),
                    r["speaker"] or "",
                    r.get("holder") or "",
                    r.get("holder_source") or "",
                    int(r["quote"]),
                    int(r["boilerplate"]),
                ]
                + [r["scores"][lab] for lab in self.labels]
            )

    def close(self, summary: Summary) -> None:
        pass


class HtmlWriter:
    """Collects articles, renders one self-contained page at the end (HTML is for people: it is
    meant for tens of articles, not millions; use jsonl or parquet for those)."""

    binary = False

    def __init__(self, fh: Any, labels: list[str]) -> None:
        self.fh = fh
        self.labels = labels
        self.items: list[tuple[Article, list[dict[str, Any]], dict[str, Any]]] = []

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        self.items.append((article, records, row))

    def close(self, summary: Summary) -> None:
        from stance.render.html import scores_html

        self.fh.write(scores_html(self.items, self.labels, summary))


class ParquetWriter:
    """One row per sentence, in row groups of ``ROWS_PER_GROUP`` written as they fill (memory stays
    flat): the record's fields, ``labels`` as a list of strings, ``score_LABEL`` columns, and
    ``evidence`` as a JSON string (its shape varies per sentence)."""

    binary = True
    ROWS_PER_GROUP = 10_000

    def __init__(self, fh: Any, labels: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.labels = labels
        fields = [
            ("article", pa.string()),
            ("sentence", pa.int32()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("speaker", pa.string()),
            ("holder", pa.string()),
            ("holder_source", pa.string()),
            ("quote", pa.bool_()),
            ("boilerplate", pa.bool_()),
            ("paragraph", pa.int32()),
            *[(f"score_{lab}", pa.float64()) for lab in labels],
            ("evidence", pa.string()),
        ]
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(fh, self.schema)
        self.rows: dict[str, list[Any]] = {name: [] for name in self.schema.names}

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        cols = self.rows
        for r in records:
            for key in ("article", "sentence", "start", "end", "text", "labels", "speaker", "quote", "boilerplate", "paragraph"):
                cols[key].append(r[key])
            cols["holder"].append(r.get("holder"))
            cols["holder_source"].append(r.get("holder_source"))
            for lab in self.labels:
                cols[f"score_{lab}"].append(r["scores"][lab])
            cols["evidence"].append(json.dumps(r["evidence"], ensure_ascii=False) if "evidence" in r else None)
        if len(cols["article"]) >= self.ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.rows["article"]:
            self.writer.write_table(self.pa.Table.from_pydict(self.rows, schema=self.schema))
            self.rows = {name: [] for name in self.schema.names}

    def close(self, summary: Summary) -> None:
        self._flush()
        self.writer.close()


def sentence_writer(fmt: str, fh: Any, labels: list[str]) -> Any:
    """A writer with ``add(article, records, summary_row)`` and ``close(summary)`` for ``fmt``."""
    return {"jsonl": JsonlWriter, "csv": CsvWriter, "html": HtmlWriter, "parquet": ParquetWriter}[fmt](fh, labels)


def check_sentence_format(fmt: str, out: str | None) -> None:
    if fmt not in SENTENCE_FORMATS:
        raise StanceError(f"unknown format '{fmt}' (use jsonl, csv, html or parquet)")
    if fmt == "parquet" and out in (None, "-"):
        raise StanceError("--format parquet needs --out FILE (Parquet is not written to standard output)")
