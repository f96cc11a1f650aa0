"""The corpus format (``{"text", "labels", ...}`` a line) and the annotation tools' formats: Label
Studio JSON and doccano JSONL (text classification, several labels per text), both ways, so a batch
can be labelled in either tool; and :func:`merge`, which folds a labelled batch back into a corpus
and refuses conflicts (the same sentence, after normalisation, with different labels) unless told
how to resolve them.

Which rows count as labelled: a row that still carries the model's ``suggested`` field with empty
``labels`` is a suggestion nobody has labelled yet. Exports to Label Studio give such rows the
suggestion as a *prediction* (not an annotation); :func:`merge` skips them. Everything else is
labelled, ``"labels": []`` meaning "none of the labels".

Corpus files are read through the same loader as training data (:mod:`stance.labelled`): JSONL or
CSV/TSV, with a config's text and labels fields and label format where one is given.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from stance.config import DataConfig
from stance.errors import StanceError, did_you_mean
from stance.fileio import write_jsonl
from stance.labelled import LabelledRows, read_labelled, write_labelled

FORMATS = ("corpus", "label-studio", "doccano")
CONFLICT_POLICIES = ("error", "ours", "theirs", "union")
# Fields that `suggest` adds for the annotator; they do not belong in a corpus.
SUGGEST_FIELDS = ("suggested", "scores", "uncertainty")
LS_FROM_NAME = "label"
LS_TO_NAME = "text"
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-"})

Row = dict[str, Any]


def normalise_text(text: str) -> str:
    """The key two sentences are compared by: NFKC, straight quotes, single spaces, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split()).casefold()


def is_unlabelled(row: Row) -> bool:
    """A suggestion from :func:`suggest` that nobody has labelled yet."""
    return "suggested" in row and not row.get("labels")


def _numbered(rows: Iterable[Row | tuple[int, Row]]) -> list[tuple[int, Row]]:
    """Rows as (line, row) pairs: pairs from :func:`stance.data.read_jsonl` stay, dicts are numbered 1, 2, ..."""
    out = []
    for i, item in enumerate(rows, start=1):
        out.append(item if isinstance(item, tuple) else (i, item))
    return out


def check_labels(value: Any, allowed: Sequence[str] | None, field: str, path: str, line: int | None, where: str = "") -> list[str]:
    """A list of distinct label names (a bare string is one label), each in ``allowed`` if given."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise StanceError(f"{where}'{field}' must be a list of label names, got {type(value).__name__}", path=path, line=line)
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise StanceError(f"{where}label {item!r} in '{field}' is not a non-empty string", path=path, line=line)
        item = item.strip()
        if allowed is not None and item not in allowed:
            raise StanceError(
                f"{where}unknown label '{item}'; expected one of {', '.join(allowed)}" + did_you_mean(item, list(allowed)),
                path=path,
                line=line,
            )
        if item not in out:
            out.append(item)
    return out


def check_text(row: Row, path: str, line: int | None, field: str = "text") -> str:
    text = row.get(field)
    if not isinstance(text, str) or not text.strip():
        hint = did_you_mean(field, [str(k) for k in row]) if field not in row else ""
        raise StanceError(f"'{field}' must be a non-empty string" + hint, path=path, line=line)
    return text


def read_corpus(path: str | Path, labels: Sequence[str] | None = None, cfg: DataConfig | None = None) -> LabelledRows:
    """A labelled file read as ``train`` reads one (:func:`stance.labelled.read_labelled`), its rows
    in the corpus shape ``{"text", "labels", ...}``; ``labels`` (default: the names the file holds)
    is the label set, and a label outside it is an error naming the file and line."""
    corpus = read_labelled(path, labels, cfg)
    for line, row in corpus.rows:
        if "suggested" in row:
            row["suggested"] = check_labels(row["suggested"], None, "suggested", str(path), line)
    return corpus


def _choices(labels: Sequence[str]) -> list[dict[str, Any]]:
    return [{"from_name": LS_FROM_NAME, "to_name": LS_TO_NAME, "type": "choices", "value": {"choices": list(labels)}}]


def to_label_studio(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Corpus rows -> Label Studio tasks. Labelled rows get an annotation with their labels;
    unlabelled suggestions get the model's suggestion as a prediction (a pre-annotation to confirm
    or correct). Every other field travels in ``data``."""
    tasks = []
    for row in rows:
        data = {"text": row["text"], **{k: v for k, v in row.items() if k not in ("text", "labels", "suggested")}}
        task: dict[str, Any] = {"data": data}
        if not is_unlabelled(row):
            task["annotations"] = [{"result": _choices(row.get("labels", []))}]
        if "suggested" in row:
            pred: dict[str, Any] = {"model_version": "stance", "result": _choices(row["suggested"])}
            if isinstance(row.get("uncertainty"), (int, float)):
                pred["score"] = round(1 - float(row["uncertainty"]), 4)  # Label Studio sorts by it: low = doubtful
            task["predictions"] = [pred]
        tasks.append(task)
    return tasks


def _result_choices(result: Any, where: str, path: str) -> list[str]:
    if not isinstance(result, list):
        raise StanceError(f"{where}: 'result' must be a list", path=path)
    out: list[str] = []
    for item in result:
        if not isinstance(item, dict) or item.get("type") != "choices":
            continue  # other control tags (text areas, ratings) carry no labels
        choices = (item.get("value") or {}).get("choices", [])
        out += check_labels(choices, None, "choices", path, None, f"{where}: ")
    return list(dict.fromkeys(out))


def from_label_studio(tasks: Any, source: str = "<memory>", labels: Sequence[str] | None = None) -> list[Row]:
    """Label Studio JSON export (a list of tasks) -> corpus rows.

    A task's labels are the ``choices`` of its annotation (the one marked ``ground_truth`` if any,
    else the last one not cancelled). A task with no annotation becomes an unlabelled row carrying
    its first prediction's choices as ``suggested``."""
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise StanceError("expected a Label Studio JSON export: a list of tasks", path=source)
    rows = []
    for k, task in enumerate(tasks, start=1):
        where = f"task {k}" + (f" (id {task['id']})" if isinstance(task, dict) and "id" in task else "")
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise StanceError(f"{where}: expected an object with a 'data' object", path=source)
        data = task["data"]
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            keys = [str(key) for key in data]
            raise StanceError(f"{where}: 'data.text' must be a non-empty string" + did_you_mean("text", keys), path=source)
        row: Row = {"text": text, "labels": []}
        annotations = [
            a for a in task.get("annotations") or task.get("completions") or [] if isinstance(a, dict) and not a.get("was_cancelled")
        ]
        if annotations:
            chosen = next((a for a in annotations if a.get("ground_truth")), annotations[-1])
            row["labels"] = _result_choices(chosen.get("result", []), where, source)
        for key, value in data.items():
            if key != "text":
                row[key] = value
        if not annotations:
            preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
            row["suggested"] = _result_choices(preds[0].get("result", []), where, source) if preds else []
        if labels is not None:
            check_labels(row["labels"], labels, "choices", source, None, f"{where}: ")
        rows.append(row)
    return rows


def to_doccano(rows: Iterable[Row]) -> list[Row]:
    """Corpus rows -> doccano text-classification JSONL rows ``{"text", "label": [...], ...}``;
    other fields become doccano metadata."""
    return [
        {"text": r["text"], "label": list(r.get("labels", [])), **{k: v for k, v in r.items() if k not in ("text", "labels")}} for r in rows
    ]


def from_doccano(rows: Iterable[Row | tuple[int, Row]], source: str = "<memory>", labels: Sequence[str] | None = None) -> list[Row]:
    """doccano text-classification JSONL -> corpus rows. doccano cannot say whether a document was
    reviewed, so every row counts as labelled (export only approved documents); a ``suggested``
    field is dropped for that reason."""
    out = []
    for line, row in _numbered(rows):
        text = check_text(row, source, line)
        key = "label" if "label" in row else "labels" if "labels" in row else None
        value = row.get(key, []) if key else []
        if isinstance(value, list) and any(isinstance(v, list) for v in value):
            raise StanceError(
                "'label' holds spans ([start, end, label]): that is sequence labelling, not text classification", path=source, line=line
            )
        new: Row = {"text": text, "labels": check_labels(value, labels, key or "label", source, line)}
        for k, v in row.items():
            if k not in ("text", "label", "labels", "suggested"):
                new[k] = v
        out.append(new)
    return out


def label_studio_config(labels: Sequence[str]) -> str:
    """A Label Studio labelling interface for multi-label choices matching :func:`to_label_studio`."""
    choices = "\n".join(f'    <Choice value="{lab}"/>' for lab in labels)
    return (
        f'<View>\n  <Text name="{LS_TO_NAME}" value="$text"/>\n'
        f'  <Choices name="{LS_FROM_NAME}" toName="{LS_TO_NAME}" choice="multiple" showInLine="true">\n{choices}\n  </Choices>\n</View>\n'
    )


def read_rows_as(path: str | Path, fmt: str, labels: Sequence[str] | None = None, cfg: DataConfig | None = None) -> list[Row]:
    """Read a file in ``fmt`` (corpus, label-studio, doccano) as corpus rows (a corpus file as ``train``
    reads it, with ``cfg``'s fields and label format)."""
    from stance.data import read_jsonl
    from stance.fileio import read_text

    if fmt == "corpus":
        return [row for _, row in read_corpus(path, labels, cfg).rows]
    if fmt == "doccano":
        return from_doccano(read_jsonl(path), str(path), labels)
    if fmt == "label-studio":
        text = read_text(path)
        try:
            tasks = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StanceError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno) from None
        return from_label_studio(tasks, str(path), labels)
    raise StanceError(f"unknown format '{fmt}' (use {', '.join(FORMATS)})" + did_you_mean(fmt, FORMATS))


def write_rows_as(path: str | Path, fmt: str, rows: list[Row]) -> None:
    """Write corpus rows as ``fmt`` (corpus or doccano: JSONL; label-studio: a JSON list of tasks)."""
    from stance.fileio import write_json

    if fmt == "corpus" and str(path).lower().endswith((".csv", ".tsv")):
        write_labelled(path, rows, LabelledRows([], [], "delimited", DataConfig()))
    elif fmt == "corpus":
        write_jsonl(path, rows)
    elif fmt == "doccano":
        write_jsonl(path, to_doccano(rows))
    elif fmt == "label-studio":
        write_json(path, to_label_studio(rows))
    else:
        raise StanceError(f"unknown format '{fmt}' (use {', '.join(FORMATS)})" + did_you_mean(fmt, FORMATS))


def convert(
    src: str | Path, dst: str | Path, from_fmt: str, to_fmt: str, labels: Sequence[str] | None = None, cfg: DataConfig | None = None
) -> dict[str, Any]:
    """Convert between corpus, Label Studio and doccano files; returns counts and the label set."""
    if labels is not None and not labels:
        raise StanceError("--labels: no label names given")
    for fmt in (from_fmt, to_fmt):
        if fmt not in FORMATS:
            raise StanceError(f"unknown format '{fmt}' (use {', '.join(FORMATS)})" + did_you_mean(fmt, FORMATS))
    rows = read_rows_as(src, from_fmt, labels, cfg)
    write_rows_as(dst, to_fmt, rows)
    if labels:
        seen = list(labels)
    else:  # the labels in the data, in the model's order where a batch from `suggest` carries its scores
        named = [lab for r in rows if isinstance(r.get("scores"), dict) for lab in r["scores"]]
        named += [lab for r in rows for lab in r["labels"] + r.get("suggested", [])]
        seen = list(dict.fromkeys(named))
    return {"rows": len(rows), "unlabelled": sum(is_unlabelled(r) for r in rows), "labels": seen}


def merge(
    base_rows: Iterable[Row | tuple[int, Row]],
    new_rows: Iterable[Row | tuple[int, Row]],
    on_conflict: str = "error",
    *,
    base_source: str = "base",
    new_source: str = "new",
    labels: Sequence[str] | None = None,
) -> tuple[list[Row], dict[str, int]]:
    """Fold labelled ``new_rows`` into ``base_rows``; returns (merged rows, counts).

    Sentences are matched by :func:`normalise_text`. A new sentence is appended (without the
    ``suggest`` fields); one already present with the same labels is a duplicate and skipped; one
    present with different labels is a conflict: an error naming how many and the first, unless
    ``on_conflict`` is ``ours`` (keep the base's labels), ``theirs`` (take the new ones) or ``union``.
    Unlabelled suggestions are skipped; a batch holding nothing else is an error. With ``labels``
    (the target's label set), a label outside it is an error naming the row.
    """
    if on_conflict not in CONFLICT_POLICIES:
        raise StanceError(
            f"unknown --on-conflict '{on_conflict}' (use {', '.join(CONFLICT_POLICIES)})" + did_you_mean(on_conflict, CONFLICT_POLICIES)
        )
    base = _numbered(base_rows)
    new = _numbered(new_rows)
    out: list[Row] = [dict(r) for _, r in base]
    where: dict[str, tuple[int, str, int]] = {}  # key -> (index in out, source, line)
    for k, (line, row) in enumerate(base):
        where.setdefault(normalise_text(check_text(row, base_source, line)), (k, base_source, line))
    counts = {"base": len(base), "added": 0, "duplicates": 0, "conflicts": 0, "unlabelled": 0}
    conflicts: list[tuple[str, list[str], str, list[str], str]] = []
    for line, row in new:
        text = check_text(row, new_source, line)
        if "labels" not in row:
            raise StanceError("missing 'labels'", path=new_source, line=line)
        row_labels = check_labels(row["labels"], labels, "labels", new_source, line)
        if is_unlabelled(row):
            counts["unlabelled"] += 1
            continue
        key = normalise_text(text)
        if key not in where:
            clean = {k: v for k, v in row.items() if k not in SUGGEST_FIELDS}
            clean["labels"] = row_labels
            where[key] = (len(out), new_source, line)
            out.append(clean)
            counts["added"] += 1
            continue
        k, src, src_line = where[key]
        have = list(out[k].get("labels", []))
        if set(have) == set(row_labels):
            counts["duplicates"] += 1
            continue
        counts["conflicts"] += 1
        conflicts.append((text, have, f"{src}:{src_line}", row_labels, f"{new_source}:{line}"))
        if on_conflict == "theirs":
            out[k]["labels"] = row_labels
        elif on_conflict == "union":
            out[k]["labels"] = have + [lab for lab in row_labels if lab not in have]
    if new and counts["unlabelled"] == len(new):
        raise StanceError(
            f"all {len(new)} rows are unlabelled suggestions (empty 'labels' with 'suggested'); label them first", path=new_source
        )
    if conflicts and on_conflict == "error":
        text, have, at, theirs, at_new = conflicts[0]
        short = text if len(text) <= 80 else text[:77] + "..."
        raise StanceError(
            f"{len(conflicts)} conflict(s): the same sentence with different labels, first {short!r}: "
            f"{have} at {at} vs {theirs} at {at_new}; use --on-conflict ours, theirs or union"
        )
    return out, counts


def merge_files(
    base: str | Path,
    new: str | Path,
    out: str | Path,
    on_conflict: str = "error",
    *,
    labels: Sequence[str] | None = None,
    cfg: DataConfig | None = None,
) -> dict[str, Any]:
    """:func:`merge` on labelled files, read as ``train`` reads them (JSONL, CSV/TSV, ...; ``cfg``'s
    fields and label format); ``out`` is written atomically in BASE's shape, as CSV/TSV or JSONL by
    its suffix (it may be ``base`` itself).

    NEW is read with ``cfg``'s fields where it has its text column, else as the corpus format that
    ``suggest`` and ``convert`` write. ``labels`` is the target's label set (a config's): a label of
    NEW outside it is an error naming the line. Without it, the labels BASE holds are the set, and
    NEW's other labels are merged and named in ``new_labels`` (label -> where it first occurs).
    """
    from stance.data import read_rows

    if on_conflict not in CONFLICT_POLICIES:
        raise StanceError(
            f"unknown --on-conflict '{on_conflict}' (use {', '.join(CONFLICT_POLICIES)})" + did_you_mean(on_conflict, CONFLICT_POLICIES)
        )
    cfg = cfg or DataConfig()
    corpus = read_corpus(base, labels, cfg)
    first = read_rows(new, cfg.text_field)[0][0][1]
    new_cfg = cfg if cfg.text_field in first else DataConfig(delimiter=cfg.delimiter)
    batch = read_corpus(new, labels, new_cfg)
    new_labels: dict[str, str] = {}
    for line, row in batch.rows:
        for lab in row["labels"]:
            if lab not in corpus.labels:
                new_labels.setdefault(lab, f"{new}:{line}")
    rows, counts = merge(corpus.rows, batch.rows, on_conflict, base_source=str(base), new_source=str(new), labels=labels)
    write_labelled(out, rows, corpus)
    return {**counts, "total": len(rows), "new_labels": new_labels}
