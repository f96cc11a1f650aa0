"""Who holds the stance of each sentence: the quoted speaker, the subject of a reporting or stance verb,
or a pronoun resolved to an earlier named holder.

Rules, not a parser: they read the sentence with its quotations masked (words inside quotation marks
never name the holder of the sentence they sit in), find the first reporting or stance verb of the
main clause ("said", "blamed", "warned", "denied", "thanked", "according to" ...) and take its subject:
the noun phrase before it (skipping adverbs, auxiliaries, "on Thursday", ", 67,", ", who ...,"
and preferring the name in an apposition: "The hospital's director, Dr. Ngozi Eze, warned" -> Ngozi
Eze), or after it in an inverted attribution (``"...," said Marta Quill``). A participle attached to
the main clause ("..., warning that ...", "in blaming ...") gives the main clause's subject.

Where the holder comes from (``holder_source``):

- ``reporting-verb``: the sentence names its holder as the subject of such a verb (or "according to X");
- ``pronoun``: that subject is he/she/they/it, resolved to the last compatible entity: a person for
  he/she (a name that is not an organisation's, or one with a title; a conflicting Mr./Ms. or an
  earlier he/she for the same name rules it out), a plural group for they, an organisation or place
  for it. Entities are earlier holders and the subjects of earlier sentences ("Police opened an
  inquiry. They said ..."), across paragraphs;
- ``quote``: the sentence is a quotation with no attribution of its own and takes its speaker from the
  attributed sentence of the same quotation, else from the nearest attributed sentence of its
  paragraph, else (a quotation continued into a new paragraph, news style) from the paragraph before.

Narration that is not speech: a reporting verb inside a subordinate clause ("... sanctions since
August 2020, when he claimed to have won", "after an auditor warned the council") tells of an earlier
act, not of what the sentence reports, so it gives no holder; a passive ("was accused") gives none
either. The sentence then has a holder only if its main clause has one.

Names are normalised within an article (:func:`normalise_holder`): titles dropped ("Interior
Minister Ana Ruiz" -> "Ana Ruiz"), a leading article lower-cased ("The ministry" -> "the ministry"), and
a shorter form mapped to the fuller one seen ("Mr. Okafor", "Okafor" -> "Chidi Okafor"; "the
regulator" after "the energy regulator" -> "the energy regulator").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stance.holders.clauses import SentenceLike, _find, _Found, _main_subject
from stance.holders.lexicon import _OPENERS, _PRONOUNS, _QMASK, _QUOTE_CHARS, _trigger_runs
from stance.holders.names import HolderNames, KnownNames, _compatible, _Entity, _kind, _person_names, holder_key, normalise_holder, surnames
from stance.holders.parse import _find_parsed, load_parser

__all__ = [
    "HOLDER_SOURCES",
    "Attribution",
    "HolderNames",
    "HolderSource",
    "KnownNames",
    "SentenceLike",
    "attribute",
    "holder_key",
    "load_parser",
    "measure",
    "normalise_holder",
]

HolderSource = Literal["quote", "reporting-verb", "pronoun"]
HOLDER_SOURCES: tuple[str, ...] = ("quote", "reporting-verb", "pronoun")


@dataclass(frozen=True, slots=True)
class Attribution:
    holder: str | None = None
    source: HolderSource | None = None


# ---------------------------------------------------------------------------------------------
# Masking quotations


# Whitespace other than a space: each tested with ``in`` (a C scan, faster than a regex's search).
_NOT_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != " ")


def _frames(sentences: Sequence[SentenceLike]) -> tuple[list[str], list[bool], list[bool], list[list[tuple[int, int]]]]:
    """Each sentence with every quoted run replaced by ⟨Q⟩, whether it starts and ends inside a
    quotation, and its quoted character spans. Straight quotes toggle, curly ones open and close; the
    state resets at each paragraph, as in ``segment.mark_quotes``.

    Read once per article: the quote marks are found in the joined sentences (only the sentences
    that hold one are walked mark by mark), and one test of the whole tells whether any sentence has
    whitespace to normalise (else a sentence without a mark is its own frame, never split and joined)."""
    texts = [s.text for s in sentences]
    joined = "\x00".join(texts)  # a byte between sentences, so that a space at an edge shows
    clean = not (
        any(c in joined for c in _NOT_SPACE)
        or "  " in joined
        or " \x00" in joined
        or "\x00 " in joined
        or joined.startswith(" ")
        or joined.endswith(" ")
    )
    marks: list[tuple[int, str]] = []
    for mark in _QUOTE_CHARS:  # found by str.find: a mark is rare, a regex scan costs per character
        at = joined.find(mark)
        while at >= 0:
            marks.append((at, mark))
            at = joined.find(mark, at + 1)
    marks.sort()
    marks.append((len(joined), ""))  # a sentinel past every sentence
    frames: list[str] = []
    starts_open: list[bool] = []
    ends_open: list[bool] = []
    quoted: list[list[tuple[int, int]]] = []
    inside = False
    para = None
    k = 0  # the next quote mark
    offset = 0  # where the sentence starts in ``joined``
    for s, text in zip(sentences, texts):
        if s.paragraph != para:
            inside, para = False, s.paragraph
        starts_open.append(inside)
        size = len(text)
        end = offset + size
        if marks[k][0] >= end:  # most sentences: no mark, nothing to mask
            if inside:
                frames.append(_QMASK)
                quoted.append([(0, size)])
            else:
                frames.append(text if clean else " ".join(text.split()))
                quoted.append([])
            ends_open.append(inside)
            offset = end + 1
            continue
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = run_start = 0
        run_open = inside
        while marks[k][0] < end:
            at, ch = marks[k]
            at -= offset
            k += 1
            opening = (not inside) if ch == '"' else ch in _OPENERS
            if not inside and opening:
                out.append(text[pos:at])
                run_open, run_start = True, at
            elif inside and not opening:
                if not run_open:
                    out.append(text[pos:at])
                out.append(f" {_QMASK} ")
                spans.append((run_start, at + 1))
                run_open = False
            inside = opening
            pos = at + 1
        if run_open:
            out.append(f" {_QMASK} ")
            spans.append((run_start, size))
        else:
            out.append(text[pos:])
        frames.append(" ".join("".join(out).split()))
        ends_open.append(inside)
        quoted.append(spans)
        offset = end + 1
    return frames, starts_open, ends_open, quoted


_NO_HOLDER = Attribution()  # frozen: one shared instance for every sentence without a holder

# ---------------------------------------------------------------------------------------------
# The article


def attribute(sentences: Sequence[SentenceLike], parser: Any = None) -> list[Attribution]:
    """The holder and its source for every sentence of one article, in order (None where the text
    names no holder).

    ``parser`` (a spaCy pipeline from :func:`load_parser`) replaces the rules that find a sentence's
    reporting verb and its subject with the dependency parse; quotations, pronouns and names are
    handled the same way either way.
    """
    n = len(sentences)
    if not n:
        return []
    frames, starts_open, ends_open, quoted = _frames(sentences)
    parsed: list[_Found | None] | None = None
    if parser is not None:
        parsed = [_find_parsed(doc, q) for doc, q in zip(parser.pipe([s.text for s in sentences]), quoted)]
    persons = _person_names(" ".join(s.text for s in sentences))
    known = KnownNames(persons)
    last_names = surnames(persons)
    genders: dict[str, str] = {}
    result: list[Attribution] = [_NO_HOLDER] * n
    # what each sentence offers a later pronoun: its holder, else (read only when needed) its subject
    offered: list[_Entity | None] = [None] * n
    subject_read = [False] * n

    def entity(raw: str, descriptor: str | None) -> _Entity:
        name = known.normalise(raw)
        kind, gender = _kind(raw, last_names, descriptor)
        if kind == "person" and name in genders:
            gender = genders[name]
        elif gender:
            genders[name] = gender
        return _Entity(name, kind, gender)

    def resolve(i: int, pronoun: str) -> _Entity | None:
        for j in range(i - 1, -1, -1):
            if offered[j] is None and not subject_read[j] and result[j].holder is None:
                subject_read[j] = True
                subj = _main_subject(frames[j]) if frames[j] != _QMASK else None
                if subj and subj not in _PRONOUNS:
                    e = entity(subj, None)
                    offered[j] = e if e.kind != "thing" else None
            e = offered[j]
            if e is not None and _compatible(e, pronoun):
                return e
        return None

    for i, frame in enumerate(frames):
        if parsed is not None:
            found = parsed[i]
        else:
            runs = _trigger_runs(frame) if frame != _QMASK else None
            found = _find(frame, runs)[0] if runs is not None and (runs or "ccording to" in frame) else None
        if found is None:
            continue
        raw = found.raw
        if raw in _PRONOUNS:
            target = resolve(i, raw)
            if target is not None:
                result[i] = Attribution(target.name, "pronoun")
                if raw in ("he", "she") and target.gender is None:
                    target.gender = genders[target.name] = raw
                offered[i] = target
            continue
        e = entity(raw, found.descriptor)
        if e.kind == "thing":
            e.kind = "org"  # "The airport said ... It pointed out": what speaks and is not a person or group
        if e.name and e.name.lower() not in _PRONOUNS:
            result[i] = Attribution(e.name, "reporting-verb")
            if e.name not in known:
                known.add_first(e.name)
            offered[i] = e

    # quotations without an attribution of their own
    for i, s in enumerate(sentences):
        if result[i].holder is not None or not s.quote:
            continue
        j = i
        while j + 1 < n and ends_open[j] and sentences[j + 1].paragraph == s.paragraph:
            j += 1
            if result[j].holder and result[j].source != "quote":
                result[i] = Attribution(result[j].holder, "quote")
                break
        if result[i].holder:
            continue
        j = i
        while j > 0 and starts_open[j] and sentences[j - 1].paragraph == s.paragraph:
            j -= 1
            if result[j].holder:
                result[i] = Attribution(result[j].holder, "quote")
                break
        if result[i].holder:
            continue
        for j in (i - 1, i + 1, i - 2, i + 2):
            if 0 <= j < n and sentences[j].paragraph == s.paragraph and result[j].holder:
                result[i] = Attribution(result[j].holder, "quote")
                break
        else:
            # a quotation continued from the paragraph before (left open there, reopened here)
            first = next(k for k in range(i + 1) if sentences[k].paragraph == s.paragraph)
            if first > 0 and ends_open[first - 1] and sentences[first - 1].paragraph == s.paragraph - 1 and result[first - 1].holder:
                result[i] = Attribution(result[first - 1].holder, "quote")
    return result


# ---------------------------------------------------------------------------------------------
# Measuring against a labelled set


def measure(articles: Iterable[dict], predict: Callable[[str], list[tuple[int, int, str | None, str | None]]]) -> dict[str, float | int]:
    """Precision and recall of the holder (normalised exact match) over labelled articles.

    ``articles`` are rows of ``seeds/holders/holders.jsonl`` (``text`` and ``sentences`` with
    ``start``, ``end``, ``holder``, ``holder_source``); ``predict(text)`` returns (start, end,
    holder, source) per sentence. A labelled sentence the predictor did not cut at the same span
    counts as predicted without a holder. ``source_accuracy`` is over correctly found holders.
    """
    gold_n = pred_n = correct = source_ok = 0
    for a in articles:
        text = a["text"]
        predicted = {(st, en): (h, src) for st, en, h, src in predict(text)}
        persons = _person_names(text)
        gold_known = persons + [s["holder"] for s in a["sentences"] if s["holder"]]
        pred_known = persons + [h for h, _ in predicted.values() if h]
        for s in a["sentences"]:
            h, src = predicted.get((s["start"], s["end"]), (None, None))
            gold_n += s["holder"] is not None
            pred_n += h is not None
            if h is not None and s["holder"] is not None and holder_key(h, pred_known) == holder_key(s["holder"], gold_known):
                correct += 1
                source_ok += src == s["holder_source"]
    p = correct / pred_n if pred_n else 0.0
    r = correct / gold_n if gold_n else 0.0
    return {
        "gold": gold_n,
        "predicted": pred_n,
        "correct": correct,
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "source_accuracy": source_ok / correct if correct else 0.0,
    }
