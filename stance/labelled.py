"""Labelled rows for the labelling loop (``merge``, ``convert``, ``suggest --exclude``), read exactly
as ``train`` reads its data (:mod:`stance.data`: the config's text and labels fields, label format,
JSONL or CSV/TSV or Parquet) and written back in the shape they came in.

Rows are handled in the corpus shape ``{"text", "labels": [...], ...other columns}`` whatever the
file's own field names are, so that merging and converting need to know only one shape.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.config import DataConfig, is_hub_id
from stance.data import label_format_of, numbered_lines, parse_rows, read_rows
from stance.errors import StanceError
from stance.fileio import atomic_write, write_jsonl


@dataclass
class LabelledRows:
    """A labelled file's rows in the corpus shape ``{"text", "labels", ...its other columns}``, and
    the shape to write them back in (``list``, ``delimited`` or ``wide``) with the config's fields."""

    rows: list[tuple[int, dict[str, Any]]]
    labels: list[str]
    shape: str
    cfg: DataConfig


def labels_in(rows: Sequence[tuple[int, dict[str, Any]]], cfg: DataConfig) -> list[str]:
    """The label names a file's list or delimited labels column holds, in the order first seen."""
    seen: dict[str, None] = {}
    for _, row in rows:
        value = row.get(cfg.labels_field)
        items = value.split(cfg.delimiter) if isinstance(value, str) else value if isinstance(value, list) else []
        seen.update((item.strip(), None) for item in items if isinstance(item, str) and item.strip())
    return list(seen)


def read_labelled(source: str | Path, labels: Sequence[str] | None = None, cfg: DataConfig | None = None) -> LabelledRows:
    """Rows of a labelled file (JSONL, CSV/TSV, Parquet, ...) read and checked exactly as ``train``
    reads them, with the config's text and labels fields and label format; labels outside
    ``labels`` are errors naming the file and line. ``labels=None``: the names the file holds are
    its label set (list or delimited labels only: wide columns cannot be told from other columns)."""
    cfg = cfg or DataConfig()
    source = str(source)
    if not Path(source).exists() and not is_hub_id(source):
        raise StanceError("file not found", path=source)
    rows, _ = read_rows(source, cfg.text_field)
    if labels is None:
        if cfg.label_format == "wide":
            raise StanceError("labels in 0/1 columns need the label names: pass a config (--config) that lists them", path=source)
        labels = labels_in(rows, cfg)
    first_line = rows[0][0] if numbered_lines(source) else None
    shape = label_format_of(rows[0][1], labels, cfg, source, first_line, require_labels=True)
    if shape == "list" and (isinstance(rows[0][1].get(cfg.labels_field), str) or source.lower().endswith((".csv", ".tsv"))):
        shape = "delimited"
    drop = {cfg.text_field, cfg.labels_field} | (set(labels) if shape == "wide" else set())
    out = [
        (line, {"text": text, "labels": labs, **{k: v for k, v in row.items() if k not in drop}})
        for line, row, text, labs in parse_rows(rows, labels, cfg, source)
    ]
    return LabelledRows(out, list(labels), shape, cfg)


def write_labelled(path: str | Path, rows: Iterable[dict[str, Any]], like: LabelledRows) -> None:
    """Corpus-shape rows written in the shape ``like`` was read in (its fields and label format), as
    CSV/TSV or JSONL by ``path``'s suffix, atomically."""
    cfg = like.cfg
    as_csv = str(path).lower().endswith((".csv", ".tsv"))
    shape = "delimited" if as_csv and like.shape == "list" else like.shape

    def shaped(row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {cfg.text_field: row["text"]}
        labs = list(row.get("labels", []))
        if shape == "wide":
            out.update({lab: int(lab in labs) for lab in like.labels})
        else:
            out[cfg.labels_field] = cfg.delimiter.join(labs) if shape == "delimited" else labs
        out.update({k: v for k, v in row.items() if k not in ("text", "labels") and k not in out})
        return out

    records = [shaped(r) for r in rows]
    if not as_csv:
        write_jsonl(path, records)
        return
    columns = list(dict.fromkeys(k for r in records for k in r))

    def cell(value: Any) -> str:
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)

    with atomic_write(path, "w", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t" if str(path).lower().endswith(".tsv") else ",", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(r.get(c)) for c in columns] for r in records)
