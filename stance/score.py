"""Applying a model to articles: read inputs, segment, classify, explain, summarise - streaming.

Articles are read lazily and scored in chunks, in order, so memory stays flat however many there
are; output is written as it goes. ``jobs > 1`` spreads chunks over joblib workers (or a Dask
cluster through joblib's Dask backend); each worker loads the model once from its directory.
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.fileio import decode_text, looks_binary

TEXT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".jsonl", ".ndjson"}
CHUNK_ARTICLES = 16


class SkippedInputWarning(UserWarning):
    """An input among many could not be read and was skipped."""


@dataclass
class Article:
    id: str
    text: str


# ---------------------------------------------------------------------------------------------
# Inputs


def html_to_text(html: str) -> str:
    """Main text of an HTML page: trafilatura where installed (extra ``html``), else paragraphs."""
    try:
        import trafilatura
    except ImportError:
        return _html_paragraphs(html)
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    return text or _html_paragraphs(html)


def _html_paragraphs(html: str) -> str:
    from html.parser import HTMLParser

    blocks = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "blockquote", "div", "br", "tr", "title"}
    skip = {"script", "style", "noscript", "nav", "template", "svg", "head"}

    class _P(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.depth = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag in skip:
                self.depth += 1
            elif tag in blocks:
                self.parts.append("\n\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in skip and self.depth:
                self.depth -= 1
            elif tag in blocks:
                self.parts.append("\n\n")

        def handle_data(self, data: str) -> None:
            if not self.depth:
                self.parts.append(" ".join(data.split()) if data.strip() else " ")

    parser = _P()
    parser.feed(html)
    text = "".join(parser.parts)
    paras = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def _articles_from_bytes(data: bytes, name: str, suffix: str) -> Iterator[Article]:
    text = decode_text(data, name)
    if suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise StanceError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=name, line=number) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise StanceError('expected an object with a "text" string', path=name, line=number)
            yield Article(str(obj.get("id", f"{name}:{number}")), obj["text"])
    elif suffix in (".html", ".htm"):
        yield Article(name, html_to_text(text))
    else:
        yield Article(name, text)


def iter_articles(inputs: Iterable[str], stdin: Any = None) -> Iterator[Article]:
    """Articles from files, folders (recursively), JSONL of ``{"id", "text"}`` and ``-`` (stdin).

    A missing path is an error; a binary or unreadable file inside a folder is skipped with a
    warning, so one bad file does not stop a run over thousands.
    """
    for item in inputs:
        if item == "-":
            data = (stdin or sys.stdin.buffer).read()
            head = data.lstrip()[:1]
            yield from _articles_from_bytes(data, "<stdin>", ".jsonl" if head == b"{" else ".txt")
            continue
        p = Path(item)
        if not p.exists():
            raise StanceError("file not found", path=p)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            for f in files:
                yield from _read_one(f, in_folder=True)
        else:
            yield from _read_one(p, in_folder=False)


def _read_one(path: Path, in_folder: bool) -> Iterator[Article]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        if in_folder:
            warnings.warn(f"{path}: skipped, cannot read ({exc.strerror})", SkippedInputWarning, stacklevel=3)
            return
        raise StanceError(f"cannot read: {exc.strerror}", path=path) from None
    if looks_binary(data):
        if in_folder:
            warnings.warn(f"{path}: skipped, binary file", SkippedInputWarning, stacklevel=3)
            return
        raise StanceError("binary file, not text", path=path)
    if not data.strip():
        warnings.warn(f"{path}: skipped, empty file", SkippedInputWarning, stacklevel=3)
        return
    yield from _articles_from_bytes(data, str(path), path.suffix.lower())


# ---------------------------------------------------------------------------------------------
# Scoring


def score_texts(model: Any, articles: list[Article], evidence: int = 5) -> list[list[dict[str, Any]]]:
    """Score a batch of articles with one matrix pass; returns per-article sentence records."""
    from stance.segment import split_sentences

    segmented = [split_sentences(a.text) for a in articles]
    flat = [s.text for sents in segmented for s in sents]
    labels = list(model.labels_)
    if not flat:
        return [[] for _ in articles]
    F = model.transform_features(flat)
    P = model.proba_from_features(F)
    Yhat = model.thresholds_ <= P
    boiler = np.array([s.boilerplate for sents in segmented for s in sents])
    Yhat[boiler] = False  # page furniture is never labelled (codebook)
    rows_with_labels = np.flatnonzero(Yhat.any(axis=1))
    ev: dict[int, dict[str, list[list[Any]]]] = {}
    if evidence and len(rows_with_labels):
        explained = model.evidence([flat[i] for i in rows_with_labels], F[rows_with_labels], top_k=evidence)
        ev = {int(i): e for i, e in zip(rows_with_labels, explained)}
    out: list[list[dict[str, Any]]] = []
    k = 0
    for article, sents in zip(articles, segmented):
        records = []
        for n, s in enumerate(sents):
            predicted = [labels[j] for j in np.flatnonzero(Yhat[k])]
            rec: dict[str, Any] = {
                "article": article.id,
                "sentence": n,
                "text": s.text,
                "start": s.start,
                "end": s.end,
                "labels": predicted,
                "scores": {lab: round(float(P[k, j]), 4) for j, lab in enumerate(labels)},
                "paragraph": s.paragraph,
                "quote": s.quote,
                "speaker": s.speaker,
                "boilerplate": s.boilerplate,
            }
            if evidence:
                rec["evidence"] = {lab: ev.get(k, {}).get(lab, []) for lab in predicted}
            records.append(rec)
            k += 1
        out.append(records)
    return out


@functools.lru_cache(maxsize=4)
def _cached_model(model_dir: str) -> Any:
    from stance.artifact import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model(model_dir)[0]


def _score_chunk(model_dir: str, chunk: list[Article], evidence: int) -> list[tuple[Article, list[dict[str, Any]]]]:
    model = _cached_model(model_dir)
    return list(zip(chunk, score_texts(model, chunk, evidence)))


def _chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for a in articles:
        chunk.append(a)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_stream(
    model_dir: str,
    articles: Iterable[Article],
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    evidence: int = 5,
    chunk_size: int = CHUNK_ARTICLES,
) -> Iterator[tuple[Article, list[dict[str, Any]]]]:
    """Yield (article, sentence records) in input order, scoring chunks in parallel when asked."""
    model_dir = str(model_dir)
    if jobs == 1 and backend == "loky":
        model = _cached_model(model_dir)
        for chunk in _chunks(articles, chunk_size):
            yield from zip(chunk, score_texts(model, chunk, evidence))
        return
    from joblib import Parallel, delayed, parallel_config

    ctx: Any
    if backend == "dask":
        ctx = _dask_context(scheduler)
    else:
        ctx = parallel_config(backend=backend, n_jobs=jobs)
    with ctx:
        parallel = Parallel(n_jobs=jobs if backend != "dask" else -1, return_as="generator", pre_dispatch="2*n_jobs")
        for result in parallel(delayed(_score_chunk)(model_dir, chunk, evidence) for chunk in _chunks(articles, chunk_size)):
            yield from result


def _dask_context(scheduler: str | None) -> Any:
    try:
        from dask.distributed import Client
    except ImportError:
        raise StanceError("--backend dask needs the optional extra: pip install 'stance[dask]'") from None
    from contextlib import ExitStack

    from joblib import parallel_config

    stack = ExitStack()
    client = stack.enter_context(Client(scheduler) if scheduler else Client(processes=False))
    stack.enter_context(parallel_config(backend="dask", client=client))
    return stack


# ---------------------------------------------------------------------------------------------
# Summaries


class Summary:
    """Running per-article and per-speaker counts of each label (boilerplate left out)."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self.articles: list[dict[str, Any]] = []
        self.speakers: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, article: Article, records: list[dict[str, Any]]) -> dict[str, Any]:
        content = [r for r in records if not r["boilerplate"]]
        counts = Counter(lab for r in content for lab in r["labels"])
        by_speaker: dict[str, dict[str, int]] = {}
        for r in content:
            who = r["speaker"] or "(unattributed)"
            self.speakers[who]["sentences"] += 1
            for lab in r["labels"]:
                self.speakers[who][lab] += 1
            if r["labels"] and r["speaker"]:
                entry = by_speaker.setdefault(r["speaker"], {lab: 0 for lab in self.labels})
                for lab in r["labels"]:
                    entry[lab] += 1
        n = len(content)
        row = {
            "article": article.id,
            "sentences": len(records),
            "content_sentences": n,
            "boilerplate_sentences": len(records) - n,
            "counts": {lab: counts.get(lab, 0) for lab in self.labels},
            "rates": {lab: round(counts.get(lab, 0) / n, 4) if n else 0.0 for lab in self.labels},
            "by_speaker": by_speaker,
        }
        self.articles.append(row)
        return row

    def speaker_table(self) -> list[dict[str, Any]]:
        rows = []
        for who, c in sorted(self.speakers.items(), key=lambda kv: -kv[1]["sentences"]):
            n = c["sentences"]
            rows.append(
                {
                    "speaker": who,
                    "sentences": n,
                    "counts": {lab: c.get(lab, 0) for lab in self.labels},
                    "rates": {lab: round(c.get(lab, 0) / n, 4) if n else 0.0 for lab in self.labels},
                }
            )
        return rows

    def totals(self) -> dict[str, Any]:
        n = sum(a["content_sentences"] for a in self.articles)
        counts = {lab: sum(a["counts"][lab] for a in self.articles) for lab in self.labels}
        return {"articles": len(self.articles), "content_sentences": n, "counts": counts}


def write_summary(summary: Summary, path: str | Path) -> None:
    """Per-article and per-speaker counts and rates, as JSON or CSV (by extension)."""
    import csv
    import io

    from stance.fileio import write_json, write_text

    path = Path(path)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        labs = summary.labels
        w.writerow(["kind", "name", "sentences", *[f"{lab}_count" for lab in labs], *[f"{lab}_rate" for lab in labs]])
        for a in summary.articles:
            w.writerow(["article", a["article"], a["content_sentences"], *[a["counts"][x] for x in labs], *[a["rates"][x] for x in labs]])
        for s in summary.speaker_table():
            w.writerow(["speaker", s["speaker"], s["sentences"], *[s["counts"][x] for x in labs], *[s["rates"][x] for x in labs]])
        write_text(path, buf.getvalue())
    else:
        write_json(path, {"totals": summary.totals(), "articles": summary.articles, "speakers": summary.speaker_table()})


# ---------------------------------------------------------------------------------------------
# Output writers

CSV_FIELDS = ["article", "sentence", "start", "end", "text", "labels", "speaker", "quote", "boilerplate"]


def run_scoring(
    model_dir: str,
    inputs: list[str],
    out: str | None,
    fmt: str = "jsonl",
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    summary_path: str | None = None,
    evidence: int = 5,
    on_article: Callable[[Article, list[dict[str, Any]]], None] | None = None,
    stdout: Any = None,
) -> Summary:
    """Score inputs and write ``out`` in ``fmt`` (jsonl, csv, html) atomically; returns the summary."""
    import contextlib

    from stance.artifact import read_manifest, verify_model
    from stance.fileio import atomic_write

    if fmt not in ("jsonl", "csv", "html"):
        raise StanceError(f"unknown format '{fmt}' (use jsonl, csv or html)")
    if backend not in ("loky", "threading", "multiprocessing", "dask"):
        raise StanceError(f"unknown backend '{backend}' (use loky, threading or dask)")
    verify_model(model_dir)
    labels = list(read_manifest(model_dir)["labels"])
    _cached_model(str(model_dir))  # load (and report a bad model) before any output is opened
    summary = Summary(labels)
    with contextlib.ExitStack() as stack:
        fh = stdout or sys.stdout if out in (None, "-") else stack.enter_context(atomic_write(out))
        writer = _make_writer(fmt, fh, labels)
        for article, records in score_stream(model_dir, iter_articles(inputs), jobs, backend, scheduler, evidence):
            row = summary.add(article, records)
            writer.add(article, records, row)
            if on_article:
                on_article(article, records)
        writer.close(summary)
    if summary_path:
        write_summary(summary, summary_path)
    return summary


class _JsonlWriter:
    def __init__(self, fh: Any, labels: list[str]) -> None:
        self.fh = fh

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        self.fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    def close(self, summary: Summary) -> None:
        pass


class _CsvWriter:
    def __init__(self, fh: Any, labels: list[str]) -> None:
        import csv

        self.labels = labels
        self.w = csv.writer(fh, lineterminator="\n")
        self.w.writerow(CSV_FIELDS + [f"score_{lab}" for lab in labels])

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        for r in records:
            self.w.writerow(
                [r["article"], r["sentence"], r["start"], r["end"], r["text"], ";".join(r["labels"]), r["speaker"] or "",
                 int(r["quote"]), int(r["boilerplate"])] + [r["scores"][lab] for lab in self.labels]
            )

    def close(self, summary: Summary) -> None:
        pass


class _HtmlWriter:
    """Collects articles, renders one self-contained page at the end (HTML is for people: it is
    meant for tens of articles, not millions; use jsonl for those)."""

    def __init__(self, fh: Any, labels: list[str]) -> None:
        self.fh = fh
        self.labels = labels
        self.items: list[tuple[Article, list[dict[str, Any]], dict[str, Any]]] = []

    def add(self, article: Article, records: list[dict[str, Any]], row: dict[str, Any]) -> None:
        self.items.append((article, records, row))

    def close(self, summary: Summary) -> None:
        from stance.report import render_scores_html

        self.fh.write(render_scores_html(self.items, self.labels, summary))


def _make_writer(fmt: str, fh: Any, labels: list[str]) -> Any:
    return {"jsonl": _JsonlWriter, "csv": _CsvWriter, "html": _HtmlWriter}[fmt](fh, labels)
