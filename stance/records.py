"""Sentence records: one dict per sentence (``to_records``) and their JSON lines, rendered from the
records or straight from the sentences and arrays (``render_jsonl``: the same text, without building
the records, for scoring workers whose records are slim)."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any, NamedTuple

import numpy as np

from stance.articles import Article
from stance.evidence import four_places
from stance.fileio import json_text, jsonl_lines
from stance.segment import Sentence

# Record fields that are Sentence attributes of the same name (slim records are made from them)
SENTENCE_FIELDS = {"paragraph", "quote", "speaker", "holder", "holder_source", "boilerplate", "start", "end", "text"}


class Records(list):  # type: ignore[type-arg]
    """One article's sentence records; ``jsonl`` is their JSON lines where a worker rendered them
    already (the same text as :func:`stance.fileio.jsonl_lines`), so the writing process need not."""

    jsonl: str | None = None
    digest: Any = None  # what the ``digest`` callable of score_stream made of them, where it ran with them
    columns: Columns | None = None  # the fields a digest reads, as columns, where scoring gives them instead of dicts


class Columns(NamedTuple):
    """One article's sentences as columns (what a summary's digest reads), so that no dict is built
    per sentence: each sentence's decision-row code (see :func:`label_lists`), the label tuple of
    each code, and each sentence's holder and boilerplate flag."""

    codes: list[Any]
    label_sets: dict[Any, tuple[str, ...]]
    holders: list[str | None]
    boilerplate: list[bool]


def label_lists(D: np.ndarray, labels: list[str]) -> tuple[list[Any], dict[Any, tuple[str, ...]]]:
    """Each sentence's decision-row code (a bit per label) and the label tuple of each code, built
    once per code rather than once per sentence."""
    if D.shape[1] <= 62:
        codes: list[Any] = (D.astype(np.int64) << np.arange(D.shape[1])).sum(axis=1).tolist()
        return codes, {c: tuple(lab for j, lab in enumerate(labels) if c >> j & 1) for c in set(codes)}
    codes = [tuple(row) for row in D.astype(bool).tolist()]  # more labels than bits in an integer
    return codes, {c: tuple(lab for lab, hit in zip(labels, c) if hit) for c in set(codes)}


def to_records(
    articles: list[Article],
    segmented: list[list[Sentence]],
    P: np.ndarray,
    D: np.ndarray,
    labels: list[str],
    evidence: dict[int, dict[str, list[list[Any]]]] | None = None,
) -> list[list[dict[str, Any]]]:
    """Records from :func:`score_batch`'s output; ``evidence`` maps a flat sentence index to its
    evidence per label (``None``: no evidence field)."""
    scores = P.tolist()
    codes, label_sets = label_lists(D, labels)
    out: list[list[dict[str, Any]]] = []
    k = 0
    for article, sents in zip(articles, segmented):
        records = []
        for n, s in enumerate(sents):
            predicted = list(label_sets[codes[k]])
            rec: dict[str, Any] = {
                "article": article.id,
                "sentence": n,
                "text": s.text,
                "start": s.start,
                "end": s.end,
                "labels": predicted,
                "scores": dict(zip(labels, [round(p, 4) for p in scores[k]])),
                "paragraph": s.paragraph,
                "quote": s.quote,
                "speaker": s.speaker,
                "holder": s.holder,
                "holder_source": s.holder_source,
                "boilerplate": s.boilerplate,
            }
            if evidence is not None:
                e = evidence.get(k, {})
                rec["evidence"] = {lab: e.get(lab, []) for lab in predicted}
            records.append(rec)
            k += 1
        out.append(records)
    return out


# repr(n / 10_000) for every score a probability can round to: "0.0", "0.0001", ..., "1.0"
_SCORE_TEXTS = np.array([repr(n / 10_000) for n in range(10_001)], dtype=object)


def score_texts(P: np.ndarray) -> np.ndarray:
    """``repr(round(p, 4))`` of every value of ``P``, as an object array of its shape, without a
    Python call per value: ``round(p, 4)`` is n / 10_000 (:func:`stance.evidence.four_places`), which
    ``_SCORE_TEXTS[n]`` spells for a probability; values where n is not sure (near a half, such as the
    exact tie 0.03125), outside [0, 1], -0.0 and NaN go through ``round`` itself."""
    n, sure = four_places(P)
    sure &= P <= 1.0
    out = np.empty(P.shape, dtype=object)
    out[sure] = _SCORE_TEXTS[n[sure].astype(np.intp)]
    for at in zip(*np.nonzero(~sure)):
        out[at] = repr(round(float(P[at]), 4))
    return out


def render_jsonl(
    articles: list[Article],
    segmented: list[list[Sentence]],
    P: np.ndarray,
    D: np.ndarray,
    labels: list[str],
    evidence: dict[int, dict[str, list[list[Any]]]] | None = None,
) -> list[str]:
    """Each article's JSON lines straight from its sentences and the arrays, without building the
    records first: the same text as ``jsonl_lines(to_records(...))`` (a test compares them), for
    the workers that write the lines while the records they send back are slim. The columns that are
    not sentence attributes are built first (all scores through :func:`score_texts`, evidence only
    for the sentences with a label), then one f-string per sentence."""
    if not np.isfinite(P).all():  # NaN or infinity: the encoder's spelling, through the records
        return [jsonl_lines(r) for r in to_records(articles, segmented, P, D, labels, evidence)]
    flat = [s for sents in segmented for s in sents]
    if not flat:
        return ["" for _ in articles]
    s_ = encode_basestring
    codes, label_sets = label_lists(D, labels)
    label_json = {c: json_text(list(t)) for c, t in label_sets.items()}
    row = ", ".join(s_(lab).replace("%", "%%") + ": %s" for lab in labels)  # a label's "%" is not a placeholder
    scores = list(map(row.__mod__, zip(*score_texts(P).T.tolist()))) if labels else [""] * len(flat)
    heads: list[str] = []
    for article, sents in zip(articles, segmented):
        heads += [s_(article.id) if isinstance(article.id, str) else json_text(article.id)] * len(sents)
    numbers = [n for sents in segmented for n in range(len(sents))]
    null = "null"
    # one f-string per sentence over the columns built above
    lines = [
        f'{{"article": {head}, "sentence": {n}, "text": {s_(st.text)}, "start": {st.start}, "end": {st.end}, "labels": {label_json[code]}, '
        f'"scores": {{{score}}}, "paragraph": {st.paragraph}, "quote": {"true" if st.quote else "false"}, '
        f'"speaker": {null if st.speaker is None else s_(st.speaker)}, "holder": {null if st.holder is None else s_(st.holder)}, '
        f'"holder_source": {null if st.holder_source is None else s_(st.holder_source)}, '
        f'"boilerplate": {"true" if st.boilerplate else "false"}{ev}}}\n'
        for st, head, n, code, score, ev in zip(flat, heads, numbers, codes, scores, _evidence_texts(evidence, D, codes, label_sets))
    ]
    out = []
    k = 0
    for sents in segmented:
        out.append("".join(lines[k : k + len(sents)]))
        k += len(sents)
    return out


def _evidence_texts(
    evidence: dict[int, dict[str, list[list[Any]]]] | None, D: np.ndarray, codes: list[Any], label_sets: dict[Any, tuple[str, ...]]
) -> list[str]:
    """Each sentence's ``, "evidence": {...}`` (its labels' evidence), or "" without evidence; the
    encoder runs only for the sentences with a label (the others' evidence is ``{}``)."""
    if evidence is None:
        return [""] * len(D)
    out = [', "evidence": {}'] * len(D)
    for k in np.flatnonzero(D.any(axis=1)).tolist():
        e = evidence.get(k, {})
        out[k] = ', "evidence": ' + json_text({lab: e.get(lab, []) for lab in label_sets[codes[k]]})
    return out
