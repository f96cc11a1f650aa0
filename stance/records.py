"""Sentence records: one dict per sentence (``to_records``) and their JSON lines, rendered from the
records or straight from the sentences and arrays (``render_jsonl``: the same text, without building
the records, for scoring workers whose records are slim)."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any

import numpy as np

from stance.articles import Article
from stance.fileio import json_text, jsonl_lines
from stance.segment import Sentence

# Record fields that are Sentence attributes of the same name (slim records are made from them)
SENTENCE_FIELDS = {"paragraph", "quote", "speaker", "holder", "holder_source", "boilerplate", "start", "end", "text"}


class Records(list):  # type: ignore[type-arg]
    """One article's sentence records; ``jsonl`` is their JSON lines where a worker rendered them
    already (the same text as :func:`stance.fileio.jsonl_lines`), so the writing process need not."""

    jsonl: str | None = None
    digest: Any = None  # what the ``digest`` callable of score_stream made of them, where it ran with them


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


def score_text(p: float) -> str:
    """``repr(round(p, 4))`` for a finite float, twice as fast: both round the exact binary value
    to 4 decimals (correctly rounded), and the shortest repr of such a float between 0.0001 and
    1e16 is its 4-decimal form without trailing zeros (a test compares them over many values)."""
    t = f"{p:.4f}".rstrip("0")
    return t + "0" if t[-1] == "." else t


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
    the workers that write the lines while the records they send back are slim."""
    if not np.isfinite(P).all():  # NaN or infinity: the encoder's spelling, through the records
        return [jsonl_lines(r) for r in to_records(articles, segmented, P, D, labels, evidence)]
    s_ = encode_basestring
    codes, label_sets = label_lists(D, labels)
    label_json = {c: json_text(list(t)) for c, t in label_sets.items()}
    keys = [s_(lab) + ": " for lab in labels]
    L = len(labels)
    # every score's text at once (score_text is repr(round(p, 4))), then each sentence's object
    texts = [f"{key}{t}" for key, t in zip(keys * len(P), map(score_text, P.ravel().tolist()))]
    score_json = [", ".join(texts[i : i + L]) for i in range(0, len(texts), L)]
    null = "null"
    out = []
    k = 0
    for article, sents in zip(articles, segmented):
        head = '{"article": ' + (s_(article.id) if isinstance(article.id, str) else json_text(article.id)) + ', "sentence": '
        lines = []
        for n, st in enumerate(sents):
            code = codes[k]
            score = score_json[k]
            line = (
                f'{head}{n}, "text": {s_(st.text)}, "start": {st.start}, "end": {st.end}, "labels": {label_json[code]}, '
                f'"scores": {{{score}}}, "paragraph": {st.paragraph}, "quote": {"true" if st.quote else "false"}, '
                f'"speaker": {null if st.speaker is None else s_(st.speaker)}, "holder": {null if st.holder is None else s_(st.holder)}, '
                f'"holder_source": {null if st.holder_source is None else s_(st.holder_source)}, '
                f'"boilerplate": {"true" if st.boilerplate else "false"}'
            )
            if evidence is not None:
                e = evidence.get(k, {})
                line += ', "evidence": ' + json_text({lab: e.get(lab, []) for lab in label_sets[code]})
            lines.append(line + "}\n")
            k += 1
        out.append("".join(lines))
    return out
