"""Labelled data in: JSONL, CSV, Parquet, a ``save_to_disk`` folder or a hub id, through HF ``datasets``.

Labels arrive in the shapes people have them - a list column (``["blame"]``), a delimited string
column (``"blame;denial"``) or one 0/1 column per label (wide) - and leave as a dense indicator
matrix in the config's label order. JSONL and CSV/TSV are parsed line by line here so that a malformed
line is reported with its number (and CSV values stay the strings they are); Parquet, saved dataset
folders and hub ids go through ``datasets``.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import HUB_ID, Config, DataConfig, is_hub_id
from stance.errors import StanceError, did_you_mean
from stance.fileio import parse_json_line, read_text, sha256_path, write_jsonl


@dataclass
class LabelledData:
    """Texts with a (n_samples, n_labels) 0/1 matrix, and where they came from."""

    texts: list[str]
    Y: np.ndarray
    labels: list[str]
    source: str = "<memory>"
    sha256: str = ""
    lines: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # each record's file: splits joined from several keep theirs
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def label_lists(self) -> list[list[str]]:
        return indicator_to_lists(self.Y, self.labels)

    def subset(self, idx: Sequence[int] | np.ndarray) -> LabelledData:
        idx = list(np.asarray(idx, dtype=int))
        return LabelledData(
            texts=[self.texts[i] for i in idx],
            Y=self.Y[idx],
            labels=self.labels,
            source=self.source,
            sha256=self.sha256,
            lines=[self.lines[i] for i in idx] if self.lines else [],
            files=[self.files[i] for i in idx] if self.files else [],
            extra={k: [v[i] for i in idx] for k, v in self.extra.items()},
        )


def indicator_to_lists(Y: np.ndarray, labels: Sequence[str]) -> list[list[str]]:
    return [[labels[j] for j in np.flatnonzero(row)] for row in np.asarray(Y)]


def lists_to_indicator(rows: Iterable[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    index = {name: j for j, name in enumerate(labels)}
    rows = list(rows)
    Y = np.zeros((len(rows), len(labels)), dtype=np.uint8)
    for i, row in enumerate(rows):
        for name in row:
            Y[i, index[name]] = 1
    return Y


def concat(parts: Sequence[LabelledData]) -> LabelledData:
    """Join splits (for cross-validation over train+dev)."""
    return LabelledData(
        texts=[t for p in parts for t in p.texts],
        Y=np.vstack([p.Y for p in parts]),
        labels=parts[0].labels,
        source="+".join(p.source for p in parts),
        sha256="+".join(p.sha256 for p in parts),
        lines=[n for p in parts for n in p.lines],
        files=[f for p in parts for f in (p.files or [p.source] * len(p))],
        extra={k: [v for p in parts for v in p.extra[k]] for k in parts[0].extra if all(k in p.extra for p in parts)},
    )


# ---------------------------------------------------------------------------------------------
# Reading rows


def read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse JSONL strictly; a malformed line is an error naming the file and line."""
    text = read_text(path)
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        obj = parse_json_line(line, path, number)
        if not isinstance(obj, dict):
            raise StanceError(f"expected a JSON object, got {type(obj).__name__}", path=path, line=number)
        rows.append((number, obj))
    if not rows:
        raise StanceError("no records (the file is empty)", path=path)
    return rows


def read_csv(path: str | Path, delimiter: str = ",") -> list[tuple[int, dict[str, str]]]:
    """Parse CSV/TSV strictly, every value a string; a malformed line is an error naming the file and line.

    Parsed here rather than by ``datasets`` (pandas) for the same reasons as JSONL: pandas guesses
    column types (a text column of numbers becomes integers, "007" becomes 7), cannot read UTF-16,
    and reports bad lines without the file. Line numbers are those of the file, so a quoted field
    that spans lines does not shift the numbers of the rows after it.
    """
    text = read_text(path)
    if not text.strip():
        raise StanceError("no records (the file is empty)", path=path)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long texts are fine; the default is 128 KiB
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            msg = str(exc)
            if "unexpected end of data" in msg:
                msg = "a quoted field is never closed"
            raise StanceError(f"malformed CSV: {msg}", path=path, line=start) from None
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line
        if header is None:
            header, header_line = fields, start
            seen: set[str] = set()
            for name in header:
                if name in seen:
                    raise StanceError(f"malformed CSV header: column '{name}' appears twice", path=path, line=start)
                seen.add(name)
            continue
        if len(fields) != len(header):
            sep = "tab" if delimiter == "\t" else repr(delimiter)
            hint = f"; quote fields that contain a {sep}" if len(fields) > len(header) else ""
            raise StanceError(
                f"malformed CSV: {len(fields)} fields where the header (line {header_line}) has {len(header)}{hint}",
                path=path,
                line=start,
            )
        if any("\x00" in f for f in fields):  # JSON refuses raw control characters; CSV would keep them
            raise StanceError("malformed CSV: a NUL character (is part of this file binary?)", path=path, line=start)
        rows.append((start, dict(zip(header, fields))))
    if not rows:
        raise StanceError("no records: the file has a header line but no rows", path=path)
    return rows


def _read_with_datasets(source: str, text_field: str | None = None) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """Parquet, a saved dataset folder or a hub id -> ((line, row) pairs, hash).

    A numeric text column (a hub dataset built from a CSV of numbers, say) is cast to strings, so
    that it is read as text and not refused.
    """
    import datasets

    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # its errors arrive as exceptions, reported in one line
    datasets.disable_progress_bars()
    p = Path(source)
    try:
        if p.is_dir():
            if not ((p / "dataset_info.json").exists() or (p / "state.json").exists() or (p / "dataset_dict.json").exists()):
                raise StanceError("folder is not a saved dataset (no dataset_info.json); pass a file", path=p)
            ds = datasets.load_from_disk(str(p))
            if isinstance(ds, datasets.DatasetDict):
                ds = ds["train"] if "train" in ds else ds[next(iter(ds))]
            digest = sha256_path(p)
        elif p.exists():
            if p.stat().st_size == 0:
                raise StanceError("no records (the file is empty)", path=p)
            suffix = p.suffix.lower()
            if suffix == ".parquet":
                ds = datasets.load_dataset("parquet", data_files=str(p), split="train")
            else:
                raise StanceError(f"unsupported data format '{suffix}' (use .jsonl, .csv, .tsv, .parquet or a dataset folder)", path=p)
            digest = sha256_path(p)
        elif HUB_ID.match(source) and not source.lower().endswith(".parquet"):
            name, _, split = source.partition(":")
            ds = datasets.load_dataset(name, split=split or "train")
            digest = f"hub:{name}:{ds._fingerprint}"
        else:
            raise StanceError("file not found", path=source)
        if text_field and text_field in ds.column_names:
            feature = ds.features[text_field]
            if isinstance(feature, datasets.Value) and feature.dtype not in ("string", "large_string"):
                ds = ds.cast_column(text_field, datasets.Value("string"))
    except StanceError:
        raise
    except Exception as exc:  # datasets/pyarrow/pandas raise many types; the user needs one line
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StanceError(f"cannot load data: {msg}", path=source) from None
    if len(ds) == 0:
        raise StanceError("no records", path=source)
    return [(1 + i, row) for i, row in enumerate(ds)], digest


def read_rows(source: str | Path, text_field: str | None = None) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    source = str(source)
    lower = source.lower()
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        rows = read_jsonl(source)
        return rows, sha256_path(source)
    if lower.endswith((".csv", ".tsv")) and not Path(source).is_dir():
        if not Path(source).exists():
            raise StanceError("file not found", path=source)
        csv_rows = read_csv(source, delimiter="\t" if lower.endswith(".tsv") else ",")
        return list(csv_rows), sha256_path(source)
    return _read_with_datasets(source, text_field)


# ---------------------------------------------------------------------------------------------
# Rows -> LabelledData


def _row_labels(row: dict[str, Any], cfg: DataConfig, labels: Sequence[str], fmt: str, where: tuple[str, int]) -> list[str]:
    path, line = where
    if fmt == "wide":
        out = []
        for name in labels:
            value = row.get(name)
            if isinstance(value, str):
                value = value.strip().lower()
            if value in (1, True, "1", "1.0", 1.0, "true"):
                out.append(name)
            elif value not in (0, False, "0", "0.0", 0.0, "false", "", None):
                raise StanceError(f"column '{name}' must be 0 or 1, got {value!r}", path=path, line=line)
        return out
    value = row.get(cfg.labels_field)
    if value is None:
        items: list[str] = []
    elif isinstance(value, str):
        items = [v.strip() for v in value.split(cfg.delimiter)] if value.strip() else []
        if fmt == "list" and value.strip():
            raise StanceError(f"'{cfg.labels_field}' must be a list, got a string", path=path, line=line)
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise StanceError(f"'{cfg.labels_field}' must be a list or a delimited string, got {type(value).__name__}", path=path, line=line)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise StanceError(f"label {item!r} is not a string", path=path, line=line)
        item = item.strip()
        if item not in labels:
            raise StanceError(
                f"unknown label '{item}'; the config's labels are {', '.join(labels)}" + did_you_mean(item, labels),
                path=path,
                line=line,
            )
        if item not in out:
            out.append(item)
    return out


def _columns(row: dict[str, Any]) -> str:
    return "the file's columns are " + ", ".join(str(k) for k in row)


def _missing_column(what: str, name: str, row: dict[str, Any], setting: str, source: str, line: int | None) -> StanceError:
    """A column the config (or an option) names but the data lacks: named, with the columns there are."""
    hint = did_you_mean(name, [str(k) for k in row])
    return StanceError(f"no {what} column '{name}'{hint}; {_columns(row)} (set {setting})", path=source, line=line)


def label_format_of(
    first: dict[str, Any], labels: Sequence[str], cfg: DataConfig, source: str, line: int | None, require_labels: bool
) -> str:
    """The label shape of a file from its first row: ``list`` (a list or delimited column), ``wide``
    or ``none`` (no labels, where none are required). A column the config names and the data lacks
    is an error naming it and the columns the file has, never a file where every label is 0."""
    fmt = cfg.label_format
    if cfg.text_field not in first:
        raise _missing_column("text", cfg.text_field, first, "data.text_field, or --text-field", source, line)
    if fmt == "auto":
        if cfg.labels_field in first:
            return "list"
        if all(name in first for name in labels):
            return "wide"
        if not require_labels:
            return "none"
        raise StanceError(
            f"no labels column '{cfg.labels_field}'{did_you_mean(cfg.labels_field, [str(k) for k in first])} and no 0/1 column "
            f"per label ({', '.join(labels)}); {_columns(first)} (set data.labels_field or data.label_format, or --labels-field)",
            path=source,
            line=line,
        )
    if fmt == "wide":
        if require_labels and not any(name in first for name in labels):
            raise StanceError(f"no 0/1 column for any label ({', '.join(labels)}); {_columns(first)}", path=source, line=line)
        return "wide"
    if cfg.labels_field not in first:
        if not require_labels:
            return "none"
        raise _missing_column("labels", cfg.labels_field, first, "data.labels_field, or --labels-field", source, line)
    return "list" if fmt == "list" else "delimited"


def rows_to_data(
    rows: list[tuple[int, dict[str, Any]]],
    labels: Sequence[str],
    cfg: DataConfig,
    source: str = "<memory>",
    sha256: str = "",
    require_labels: bool = True,
    keep: Sequence[str] = (),
) -> LabelledData:
    if not rows:
        raise StanceError("no records", path=source)
    if missing := [n for n in keep if not any(n in row for _, row in rows)]:  # ``keep``: further columns for ``extra``
        raise _missing_column("--by", missing[0], rows[0][1], "--by", source, rows[0][0])
    texts, label_rows, lines = [], [], []
    extra: dict[str, list[Any]] = {name: [] for name in ("source", "id", *keep)}
    for line, row, text, labs in parse_rows(rows, labels, cfg, source, require_labels):
        texts.append(text)
        label_rows.append(labs)
        lines.append(line)
        for name in extra:
            extra[name].append(row.get(name))
    return LabelledData(
        texts=texts,
        Y=lists_to_indicator(label_rows, labels),
        labels=list(labels),
        source=source,
        sha256=sha256,
        lines=lines,
        files=[source] * len(texts),
        extra=extra,
    )


def parse_rows(
    rows: list[tuple[int, dict[str, Any]]], labels: Sequence[str], cfg: DataConfig, source: str = "<memory>", require_labels: bool = True
) -> Iterator[tuple[int, dict[str, Any], str, list[str]]]:
    """(line, row, text, label names in the row's order) for each row, checked as training checks them."""
    if not rows:
        return
    fmt = label_format_of(rows[0][1], labels, cfg, source, rows[0][0] if numbered_lines(source) else None, require_labels)
    for line, row in rows:
        if cfg.text_field not in row:
            raise StanceError(
                f"missing text field '{cfg.text_field}'" + did_you_mean(cfg.text_field, [str(k) for k in row]) + f"; {_columns(row)}",
                path=source,
                line=line,
            )
        text = row[cfg.text_field]
        if not isinstance(text, str) or not text.strip():
            raise StanceError(f"'{cfg.text_field}' must be a non-empty string", path=source, line=line)
        if fmt in ("list", "delimited") and cfg.labels_field not in row and require_labels:
            raise StanceError(f"missing labels field '{cfg.labels_field}'; {_columns(row)}", path=source, line=line)
        if fmt == "list":
            # a list column; a string there is a delimited one
            value = row.get(cfg.labels_field)
            sub_fmt = "delimited" if isinstance(value, str) else "list"
            labs = _row_labels(row, cfg, labels, sub_fmt, (source, line))
        elif fmt == "none":
            labs = []
        else:
            labs = _row_labels(row, cfg, labels, fmt, (source, line))
        yield line, row, text, labs


def numbered_lines(source: str) -> bool:
    """Whether a file's row numbers are its lines (JSONL, CSV), worth naming in an error about its columns."""
    return str(source).lower().endswith((".jsonl", ".json", ".ndjson"))


def load_data(
    source: str | Path | Sequence[str | Path],
    labels: Sequence[str],
    cfg: DataConfig | None = None,
    require_labels: bool = True,
    key: str | None = None,
    keep: Sequence[str] = (),
) -> LabelledData:
    """Load one split from a path or hub id (or a list of them, joined) into a :class:`LabelledData`.

    A missing file is an error that says where it was looked for (and, with ``key``, which config
    key named it). ``keep``: further columns to carry in ``extra`` (``stance evaluate --by``)."""
    cfg = cfg or DataConfig()
    if not isinstance(source, (str, Path)):
        if not source:
            raise StanceError("an empty list of data sources" + (f" in config key '{key}'" if key else ""))
        parts = [load_data(s, labels, cfg, require_labels, key, keep) for s in source]
        return parts[0] if len(parts) == 1 else concat(parts)
    if not Path(source).exists() and not is_hub_id(str(source)):
        where = [] if Path(source).is_absolute() else [f"looked for {Path(source).resolve()}"]
        where += [f"named by config key '{key}'"] if key else []
        raise StanceError("file not found" + (f" ({'; '.join(where)})" if where else ""), path=source)
    rows, digest = read_rows(source, cfg.text_field)
    return rows_to_data(rows, labels, cfg, source=str(source), sha256=digest, require_labels=require_labels, keep=keep)


def save_jsonl(data: LabelledData, path: str | Path, keep_extra: bool = True) -> None:
    """Write the corpus format: one ``{"text", "labels", "source"}`` object a line."""

    def rows() -> Iterator[dict[str, Any]]:
        for i, (text, labs) in enumerate(zip(data.texts, data.label_lists())):
            obj: dict[str, Any] = {"text": text, "labels": labs}
            if keep_extra:
                obj.update({key: values[i] for key, values in data.extra.items() if values[i] is not None})
            yield obj

    write_jsonl(path, rows())


def load_split(cfg: Config, split: str) -> LabelledData:
    """The config's ``data.train``, ``data.dev`` or ``data.test``, loaded."""
    return load_data(getattr(cfg.data, split), cfg.labels, cfg.data, key=f"data.{split}")
