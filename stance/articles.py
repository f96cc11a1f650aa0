"""Reading articles: files, folders (recursively), HTML pages, JSONL of ``{"id", "text", ...}`` and
standard input, lazily, one :class:`Article` at a time; plus :func:`as_articles` for texts held in
memory (a notebook's list of strings or a DataFrame column).

A missing, empty or binary path named by the user is an error; a binary, empty or unreadable file
inside a folder is skipped with a warning, so one bad file does not stop a run over thousands. A bad
line in a JSONL of articles is an error naming the file and line, unless the caller passes
``on_bad_line``: then it goes there and the line is skipped (``stance score`` scores the good articles
and exits non-zero; ``--strict`` makes the first bad line fatal).
"""

from __future__ import annotations

import itertools
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.fileio import decode_lines, decode_text, looks_binary, parse_json_line

TEXT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".jsonl", ".ndjson"}


class SkippedInputWarning(UserWarning):
    """An input among many could not be read and was skipped."""


BadLine = Callable[[StanceError], None]


@dataclass
class Article:
    """One article; ``meta`` holds every other field of its JSONL line (outlet, author, date ...),
    which ``stance score --group-by`` groups by."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def as_articles(items: Iterable[Any]) -> Iterator[Article]:
    """Articles from what a notebook holds: strings (named ``0``, ``1``, ...), Article objects,
    ``{"id", "text"}`` dicts or ``(id, text)`` pairs."""
    for i, item in enumerate(items):
        if isinstance(item, Article):
            yield item
        elif isinstance(item, str):
            yield Article(str(i), item)
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            yield Article(str(item.get("id", i)), item["text"], _meta(item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            yield Article(str(item[0]), item[1])
        else:
            raise StanceError(f"article {i}: expected a string, an Article, a {{'id', 'text'}} dict or an (id, text) pair")


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
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some malformed markup
        parser.parts = [re.sub(r"<[^>]*>", " ", html)]
    text = "".join(parser.parts)
    paras = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def _jsonl_articles(lines: Iterable[str], name: str, on_bad_line: BadLine | None = None) -> Iterator[Article]:
    """Articles from JSONL lines (numbered from 1, blank lines skipped); a bad line raises, or goes
    to ``on_bad_line`` and is skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = parse_json_line(line, name, number)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise StanceError('expected an object with a "text" string', path=name, line=number)
        except StanceError as exc:
            if on_bad_line is None:
                raise
            on_bad_line(exc)
            continue
        yield Article(str(obj.get("id", f"{name}:{number}")), obj["text"], _meta(obj))


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    """An article's metadata: every field but its text."""
    return {k: v for k, v in obj.items() if k != "text"}


def _articles_from_bytes(data: bytes, name: str, suffix: str, on_bad_line: BadLine | None = None) -> Iterator[Article]:
    text = decode_text(data, name)
    if suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_articles(text.split("\n"), name, on_bad_line)
    elif suffix in (".html", ".htm"):
        yield Article(name, html_to_text(text))
    else:
        yield Article(name, text)


def iter_articles(inputs: Iterable[str], stdin: Any = None, *, on_bad_line: BadLine | None = None) -> Iterator[Article]:
    """Articles from files, folders (recursively), JSONL of ``{"id", "text"}`` and ``-`` (stdin).

    A missing, empty or binary path is an error; inside a folder such a file is skipped with a
    warning, so one bad file does not stop a run over thousands. A bad JSONL line raises, unless
    ``on_bad_line`` is given: it is passed the error (naming file and line) and the line is skipped.
    """
    for item in inputs:
        if item == "-":
            yield from _stdin_articles(stdin or sys.stdin.buffer, on_bad_line)
            continue
        p = Path(item)
        if not p.exists():
            raise StanceError("file not found", path=p)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            for f in files:
                yield from _read_one(f, True, on_bad_line)
        else:
            yield from _read_one(p, False, on_bad_line)


def _stdin_articles(stream: Any, on_bad_line: BadLine | None = None) -> Iterator[Article]:
    """Standard input: JSONL of articles (streamed line by line) when it starts with ``{``, else one article."""
    first: list[bytes] = []
    for raw in stream:
        first.append(raw)
        if raw.strip():
            break
    if b"".join(first).lstrip()[:1] == b"{":
        yield from _jsonl_articles(decode_lines(itertools.chain(first, stream), "<stdin>"), "<stdin>", on_bad_line)
    else:
        yield from _articles_from_bytes(b"".join(first) + stream.read(), "<stdin>", ".txt")


def _skip_or_refuse(path: Path, in_folder: bool, why: str) -> None:
    """Inside a folder a file that cannot be scored is skipped with a warning; named by the user, it is an error."""
    if not in_folder:
        raise StanceError(why, path=path)
    warnings.warn(f"{path}: skipped, {why}", SkippedInputWarning, stacklevel=4)


def _read_one(path: Path, in_folder: bool, on_bad_line: BadLine | None = None) -> Iterator[Article]:
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            if suffix in (".jsonl", ".ndjson") and not looks_binary(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                # JSONL (UTF-8) is streamed line by line: a file of millions of articles is never held whole
                n = 0
                bad = 0

                def count_bad(exc: StanceError) -> None:
                    nonlocal bad
                    bad += 1
                    on_bad_line(exc)  # type: ignore[misc]  # only passed on when given

                for article in _jsonl_articles(decode_lines(_lines_of(head, fh), str(path)), str(path), count_bad if on_bad_line else None):
                    n += 1
                    yield article
                if not n and not bad:
                    _skip_or_refuse(path, in_folder, "empty file")
                return
            data = head + fh.read()
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
        _skip_or_refuse(path, in_folder, "empty file")
        return
    yield from _articles_from_bytes(data, str(path), suffix, on_bad_line)


_SNIFF_BYTES = 8192  # what looks_binary inspects


def _lines_of(head: bytes, fh: Any) -> Iterator[bytes]:
    """The lines of a binary file whose first ``head`` bytes were already read."""
    rest = fh.readline()
    lines = (head + rest).split(b"\n")
    tail = lines.pop()
    yield from (line + b"\n" for line in lines)
    if tail:
        yield tail
    yield from fh
