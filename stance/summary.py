"""Aggregates of scored sentences: per article, per holder and in total (boilerplate left out),
kept as articles stream past so that memory stays flat over millions of them.

Holders are counted under their normalised name (:func:`stance.holders.normalise_holder`): within an
article "Mr. Okafor", "Okafor" and "Chidi Okafor" are one; across articles names are compared
case-insensitively with titles dropped ("Farmers" and "farmers" are one), but a bare surname is not
joined to a full name from another article (it may be someone else).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from operator import add
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stance.articles import Article
from stance.errors import StanceError, did_you_mean
from stance.fileio import json_line, jsonl_lines, read_text
from stance.holders import HolderNames, KnownNames

if TYPE_CHECKING:
    from stance.groups import GroupedPrevalence

UNATTRIBUTED = "(unattributed)"
# The record fields Summary.add reads (scoring workers send back only these where the JSON lines are theirs)
SUMMARY_FIELDS = ("boilerplate", "labels", "holder", "speaker")
SUMMARY_ROWS_IN_MEMORY = 10_000  # per-article summary rows held in memory before they are spooled to disk


class ArticleRows:
    """Per-article summary rows, appended as articles are scored: a list up to
    ``SUMMARY_ROWS_IN_MEMORY`` rows, then spooled to a temporary JSON-lines file, so that memory stays
    flat over millions of articles. Supports ``len``, iteration and indexing like a list."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = SUMMARY_ROWS_IN_MEMORY if keep is None else keep
        self._rows: list[dict[str, Any]] = []
        self._spool: Any = None
        self._n = 0

    def append(self, row: dict[str, Any]) -> None:
        self._n += 1
        if self._spool is None:
            if len(self._rows) < self.keep:
                self._rows.append(row)
                return
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed with the object)
            self._spool.write(jsonl_lines(self._rows))
            self._rows = []
        self._spool.write(json_line(row))

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._spool is None:
            yield from list(self._rows)
            return
        self._spool.flush()
        self._spool.seek(0)
        try:
            for _ in range(self._n):
                yield json.loads(self._spool.readline())
        finally:
            self._spool.seek(0, 2)

    def __getitem__(self, index: int | slice) -> Any:
        if self._spool is None:
            return self._rows[index]
        return list(self)[index]


def article_holders(records: list[dict[str, Any]]) -> list[str | None]:
    """Each record's holder (``holder``, else ``speaker`` for earlier records) normalised within its
    article: titles dropped and a shorter form mapped to the fullest form of the article ("Mr.
    Okafor", "Okafor" -> "Chidi Okafor"), whoever wrote the records."""
    names = [r.get("holder", r.get("speaker")) for r in records]
    normal = _normalised(names)
    return [normal[n] if n else None for n in names]


def _normalised(names: list[str | None]) -> dict[str, str]:
    """Each of an article's names (once) normalised against all of them (:func:`article_holders`)."""
    known = sorted({n for n in names if n}, key=lambda n: (-len(n.split()), n))
    index = KnownNames(known)  # normalise_holder(n, known), reading only the names that end alike
    return {n: index.normalise(n) for n in known}


ArticleDigest = tuple[dict[str, Any], dict[str, list[int]], dict[str, Counter[str]], Counter[str]]


def digest_article(labels: list[str], article: Article, records: list[dict[str, Any]]) -> ArticleDigest:
    """One article's share of a :class:`Summary` (its row; per holder key its sentences and label
    counts, ``[sentences, *per label]``, and the forms its name was written in; its label counts),
    computed without the summary's state, so that scoring workers can do it and the writing process
    only adds it up (:meth:`Summary.add_digest`). Records that come with their columns
    (``records.columns``, see :class:`stance.records.Columns`) are read from those."""
    columns = getattr(records, "columns", None)
    if columns is not None:
        return _digest(labels, article, columns.codes, columns.label_sets, columns.holders, columns.boilerplate)
    codes = [tuple(r["labels"]) for r in records]
    holders = [r.get("holder", r.get("speaker")) for r in records]
    return _digest(labels, article, codes, {c: c for c in codes}, holders, [r["boilerplate"] for r in records])


def _digest(
    labels: list[str],
    article: Article,
    codes: list[Any],
    label_sets: dict[Any, tuple[str, ...]],
    holders: list[str | None],
    boilerplate: list[bool],
) -> ArticleDigest:
    """:func:`digest_article` from an article's columns (each sentence's label code, the labels of
    each code, its holder as written, its boilerplate flag): the content sentences counted per
    (holder, labels) pair at once, then each pair's count added at once. Pairs come in the order of
    their first sentence, so every dict and Counter gets its keys in sentence order."""
    normal = _normalised(holders)
    pairs = Counter([(h, c) for h, c, boiler in zip(holders, codes, boilerplate) if not boiler])
    counts: Counter[str] = Counter()
    by_speaker: dict[str, dict[str, int]] = {}
    shown: dict[str, str] = {}
    speakers: dict[str, list[int]] = {}
    forms: dict[str, Counter[str]] = {}
    column = {lab: j for j, lab in enumerate(labels, start=1)}
    for (holder, code), m in pairs.items():
        name = normal[holder] if holder else None
        if name:
            form, key = HolderNames.form_key(name)
            seen = forms.get(key)
            if seen is None:
                seen = forms[key] = Counter()
            seen[form] += m
        else:
            key = UNATTRIBUTED
        c = speakers.get(key)
        if c is None:
            c = speakers[key] = [0] * (1 + len(labels))
        c[0] += m
        found = label_sets[code]
        for lab in found:
            c[column[lab]] += m
            counts[lab] += m
        if found and name:
            entry = by_speaker.get(shown.setdefault(key, name))
            if entry is None:
                entry = by_speaker[shown[key]] = dict.fromkeys(labels, 0)
            for lab in found:
                entry[lab] += m
    n = sum(pairs.values())
    row = {
        "article": article.id,
        "sentences": len(codes),
        "content_sentences": n,
        "boilerplate_sentences": len(codes) - n,
        "counts": {lab: counts.get(lab, 0) for lab in labels},
        "rates": {lab: round(counts.get(lab, 0) / n, 4) if n else 0.0 for lab in labels},
        "by_speaker": by_speaker,
    }
    return row, speakers, forms, counts


class ColumnDigest:
    """``digest_article`` with its labels bound, for :func:`stance.scoring.score_stream`: picklable
    (joblib's workers), and marked ``reads_columns``, so that scoring gives it the records' columns
    instead of building a dict per sentence."""

    reads_columns = True

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def __call__(self, article: Article, records: list[dict[str, Any]]) -> ArticleDigest:
        return digest_article(self.labels, article, records)


class Summary:
    """Running per-article and per-speaker counts of each label (boilerplate left out), and, given
    a :class:`~stance.groups.GroupedPrevalence`, corrected prevalence by group (``--group-by``)."""

    def __init__(self, labels: list[str], grouped: GroupedPrevalence | None = None) -> None:
        self.labels = labels
        self.grouped = grouped
        self._prevalence: tuple[int, dict[str, Any]] | None = None
        self.articles = ArticleRows()
        self.speakers: dict[str, list[int]] = {}  # by holder key (see HolderNames): [sentences, *per label]
        self.holders = HolderNames()
        self._content_sentences = 0
        self._counts: Counter[str] = Counter()

    def add(self, article: Article, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Count one article's sentence records; returns its summary row."""
        if self.grouped is not None:
            self.grouped.add(records, meta=article.meta)
        return self.add_digest(digest_article(self.labels, article, records))

    def add_digest(self, digest: ArticleDigest) -> dict[str, Any]:
        """Count one article from its :func:`digest_article` (computed where it was scored: a
        worker); returns its summary row. Not with grouping, which reads the records themselves."""
        row, speakers, forms, counts = digest
        totals = self.speakers
        for key, c in speakers.items():
            acc = totals.get(key)
            totals[key] = c if acc is None else list(map(add, acc, c))
        self.holders.add_forms(forms)
        self.articles.append(row)
        self._content_sentences += row["content_sentences"]
        self._counts.update(counts)
        return row

    def speaker_table(self) -> list[dict[str, Any]]:
        """One row per holder across articles (``speaker``: the holder's name, or ``(unattributed)``),
        most sentences first."""
        rows = []
        named = [(key, self.holders.name(key) if key != UNATTRIBUTED else UNATTRIBUTED, c) for key, c in self.speakers.items()]
        for _key, who, c in sorted(named, key=lambda t: (-t[2][0], t[1])):
            n = c[0]
            rows.append(
                {
                    "speaker": who,
                    "sentences": n,
                    "counts": dict(zip(self.labels, c[1:])),
                    "rates": {lab: round(k / n, 4) if n else 0.0 for lab, k in zip(self.labels, c[1:])},
                }
            )
        return rows

    def totals(self) -> dict[str, Any]:
        counts = {lab: self._counts.get(lab, 0) for lab in self.labels}
        return {"articles": len(self.articles), "content_sentences": self._content_sentences, "counts": counts}

    def prevalence(self) -> dict[str, Any] | None:
        """The grouped prevalence block (rows, comparisons, error rates and their source), or None
        without ``--group-by``; computed once for the sentences seen so far (the bootstrap is the
        costly part, and the JSON, CSV, HTML and plot all show it)."""
        if self.grouped is None:
            return None
        if self._prevalence is None or self._prevalence[0] != self._content_sentences:
            self._prevalence = (self._content_sentences, self.grouped.to_dict())
        return self._prevalence[1]


def read_comparisons(path: str | Path, grouping: str | None = None, label: str | None = None, every: bool = False) -> dict[str, Any]:
    """The pairwise group comparisons in a JSON summary written by ``stance score --group-by``:
    those of ``grouping`` (all if None) and ``label``, only the differing pairs unless ``every``.
    Returns ``{"summary", "method", "rates_from", "pairs"}``."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise StanceError(f"not a JSON summary ({exc})", path=path) from None
    block = data.get("prevalence") if isinstance(data, dict) else None
    if not isinstance(block, dict) or "comparisons" not in block:
        raise StanceError(
            "no grouped prevalence in this summary; write it with stance score --summary FILE.json --group-by FIELD", path=path
        )
    comparisons = block["comparisons"]
    if grouping is not None and grouping not in comparisons:
        have = ", ".join(comparisons) or "none"
        raise StanceError(f"no grouping {grouping!r} in the summary (have {have}){did_you_mean(grouping, list(comparisons))}", path=path)
    pairs = [
        p
        for spec, found in comparisons.items()
        if grouping in (None, spec)
        for p in found
        if label in (None, p["label"]) and (every or p["differs"])
    ]
    source = (block.get("error_rates") or {}).get("source")
    return {"summary": str(path), "method": block["method"], "rates_from": source, "pairs": pairs}
