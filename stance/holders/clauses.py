"""One sentence at a time: quotations masked, then the reporting verb of the main clause and its
subject (before it, or after it in an inverted attribution), "according to X", or a participle's
main subject; and the subject of a sentence's main clause for later pronouns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from stance.holders.lexicon import (
    _ACCORDING,
    _AUX,
    _BASE_OR_S,
    _BE,
    _CAP,
    _CONDUIT,
    _CONJ,
    _CONTROL,
    _DETERMINERS,
    _INVERTIBLE,
    _IRREGULAR_PAST,
    _LEAD_TIME,
    _LIGHT,
    _LOWER_WORD,
    _NOT_NAME_WORDS,
    _NP_STOP,
    _OPENERS,
    _PARTICIPLES,
    _PHRASAL,
    _PREPS,
    _PRONOUNS,
    _QMASK,
    _QUOTE_MARK,
    _RELATIVES,
    _SUBORDINATORS,
    _TIME,
    _TIME_SET,
    _TRIGGERS,
    _VERBS,
)
from stance.holders.names import _strip_titles


class SentenceLike(Protocol):
    text: str
    paragraph: int
    quote: bool


# ---------------------------------------------------------------------------------------------
# Masking quotations


def _frames(sentences: Sequence[SentenceLike]) -> tuple[list[str], list[bool], list[bool], list[list[tuple[int, int]]]]:
    """Each sentence with every quoted run replaced by ⟨Q⟩, whether it starts and ends inside a
    quotation, and its quoted character spans. Straight quotes toggle, curly ones open and close; the
    state resets at each paragraph, as in ``segment.mark_quotes``."""
    frames: list[str] = []
    ends_open: list[bool] = []
    starts_open: list[bool] = []
    quoted: list[list[tuple[int, int]]] = []
    inside = False
    para = None
    for s in sentences:
        if s.paragraph != para:
            inside, para = False, s.paragraph
        starts_open.append(inside)
        if not _QUOTE_MARK.search(s.text):  # most sentences: no mark, nothing to mask
            frames.append(_QMASK if inside else " ".join(s.text.split()))
            quoted.append([(0, len(s.text))] if inside else [])
            ends_open.append(inside)
            continue
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = run_start = 0
        run_open = inside
        for m in _QUOTE_MARK.finditer(s.text):
            ch = m.group()
            opening = (not inside) if ch == '"' else ch in _OPENERS
            if not inside and opening:
                out.append(s.text[pos : m.start()])
                run_open, run_start = True, m.start()
            elif inside and not opening:
                if not run_open:
                    out.append(s.text[pos : m.start()])
                out.append(f" {_QMASK} ")
                spans.append((run_start, m.end()))
                run_open = False
            inside = opening
            pos = m.end()
        if run_open:
            out.append(f" {_QMASK} ")
            spans.append((run_start, len(s.text)))
        else:
            out.append(s.text[pos:])
        frames.append(" ".join("".join(out).split()))
        ends_open.append(inside)
        quoted.append(spans)
    return frames, starts_open, ends_open, quoted


# ---------------------------------------------------------------------------------------------
# Finding the holder in one sentence


@dataclass(slots=True)
class _Found:
    raw: str  # the noun phrase as written (or a pronoun)
    descriptor: str | None = None  # an apposition beside it ("the mining company")


def _strip_trailing_modifiers(left: str) -> str:
    """Drop what may stand between a subject and its verb: adverbs, auxiliaries, "on Thursday",
    "was quick to"."""
    prev = None
    while prev != left:
        prev = left
        left = left.rstrip()
        words = left.split()
        if words and words[-1].lower() in _TIME_SET:
            head, tail = " ".join(words[:-5]), " ".join(words[-5:])
            m = _TIME.search(tail)
            if m and (m.start() > 0 or head):
                left = (head + " " + tail[: m.start()]).strip()
                words = left.split()
        while words and words[-1].lower().strip(",") in _AUX:
            words.pop()
        if words and words[-1].lower() == "to" and len(words) > 1 and words[-2].lower() in _CONTROL:
            words = words[:-2]
        left = " ".join(words)
    return left


def _parenthetical(seg: str) -> bool:
    """A comma-enclosed insertion between a subject and its verb: "on Thursday", "67", "who ...",
    "in a statement", "however", "asked about the complaints", "Belarus's president"."""
    w = seg.split()
    if not w:
        return True
    first = w[0].lower()
    if first in _SUBORDINATORS or first in _PREPS or first in _AUX or first in ("according", "however", "meanwhile", "speaking", "too"):
        return True
    if re.fullmatch(r"\d[\d,.]*", seg.strip()) or _TIME.fullmatch(" " + seg.strip()):
        return True
    return first.endswith(("ed", "ing")) and first not in _DETERMINERS and not w[0][0].isupper()


def _appositive_descriptor(seg: str) -> bool:
    """A descriptive noun phrase ("the union's regional secretary", "Belarus's president", "a nurse")."""
    w = seg.split()
    if not w:
        return False
    return w[0].lower() in _DETERMINERS or w[0].endswith(("’s", "'s")) or not w[0][0].isupper()


_NAME_RUN = re.compile(r"(?:[A-ZÀ-Ý][\w’'.-]*)(?:\s+(?:(?:de|van|von|al|bin|da|del|la|le|of|the|for|and|&)\s+)*[A-ZÀ-Ý][\w’'.-]*)*$")


def _subject_np(clause: str) -> str | None:
    """The subject noun phrase of a clause that ends just before its verb (modifiers stripped), or None
    when the clause is subordinate ("when he") or no noun phrase can be read from it."""
    words = clause.split()
    # leading conjunctions and a time phrase without a comma ("In October he warned")
    while words and words[0].lower() in _CONJ:
        words = words[1:]
    text = _LEAD_TIME.sub("", " ".join(words) + " ")
    words = text.split()
    if not words:
        return None
    if words[0].lower() in _PREPS or any(w in _SUBORDINATORS and w not in _RELATIVES for w in words):
        return None  # "when he", "two days after a report": a subordinate clause
    # a relative clause after the subject: "Residents who lost their homes", "The firm that inspected ..."
    for k, w in enumerate(words[1:], start=1):
        if w.lower() in ("who", "that", "which", "whose"):
            words = words[:k]
            break
    if _QMASK in words:  # '"...," Pike said': the subject follows the quotation
        words = words[len(words) - words[::-1].index(_QMASK) :]
        if not words:
            return None
    if len(words) > 9 or any(k and _verb_like(w, words[k - 1]) for k, w in enumerate(words)):
        return None
    if words[0].lower() in _PRONOUNS and len(words) == 1:
        return words[0].lower()
    if any(w.lower() in _PRONOUNS or w.lower() in ("i", "we", "you") for w in words):
        return None
    return " ".join(words)


def _verb_like(w: str, before: str) -> bool:
    """A word that ends a noun phrase rather than belonging to it ("were", "fled", "repulsed"); an
    -ed word after an article is an adjective ("the flooded valley")."""
    if _CAP.match(w) or before.lower() in _DETERMINERS:
        return False  # "Nadia Said", "the report"
    lw = w.lower()
    if lw in _VERBS or lw in _AUX or lw in _IRREGULAR_PAST:
        return True
    return w.islower() and lw.endswith("ed") and before.lower() not in _DETERMINERS


def _prefer_name(np: str) -> tuple[str, str | None]:
    """Within one noun phrase, a name at its end preceded by a lower-case description is the holder:
    "head keeper Rosa Lind" -> Rosa Lind; "The group Free the Herd" -> Free the Herd; not after a
    preposition or article ("Analysts at Brightwater Capital", "the Chamber of Commerce")."""
    words = np.split()
    for k in range(1, len(words)):
        tail = " ".join(words[k:])
        if _NAME_RUN.fullmatch(tail) and not _CAP.match(words[k - 1]):
            before = words[k - 1].lower()
            if before in _PREPS or before in ("the", "a", "an"):
                if before in ("the", "a", "an") and k >= 2 and words[k - 2][0].isupper() and words[k - 2].lower() not in _DETERMINERS:
                    return tail, " ".join(words[:k])  # "The group Free the Herd"
                return np, None
            return tail, " ".join(words[:k])
    return np, None


def _left_subject(left: str) -> _Found | None:
    """The subject before a verb, given everything before the verb in the (masked) sentence."""
    left = _strip_trailing_modifiers(left)
    if not left or left.endswith(_QMASK):
        return None
    segs = [x.strip() for x in left.split(",")]
    if len(segs) == 1:
        np = _subject_np(segs[0])
        return _found(np) if np else None
    # walk back over insertions; the first real noun phrase is the subject, unless it is itself an
    # apposition of the one before ("The hospital's director, Dr. Ngozi Eze,")
    k = len(segs) - 1
    if segs[k]:  # no comma right before the verb: the clause is the last segment
        last = _subject_np(segs[k])
        if last is None:
            return None
        return _found(last)
    k -= 1
    while k >= 0 and _parenthetical(segs[k]):
        k -= 1
    if k < 0 or segs[k].endswith(_QMASK) or segs[k] == _QMASK:
        return None
    a = segs[k]
    b = segs[k - 1] if k >= 1 else None
    if _appositive_descriptor(a) and b is not None and _is_name(_last_np(b)):
        np = _subject_np(b)
        return _Found(np, a) if np else None
    np = _subject_np(a)
    if np is None:
        return None
    if b is not None and not b.endswith(_QMASK) and _is_name(np):
        prev = _subject_np(b)
        if prev and _appositive_descriptor(prev) and len(prev.split()) <= 6:
            return _Found(np, prev)
    return _found(np)


def _last_np(seg: str) -> str:
    return seg.split(",")[-1].strip()


def _is_name(np: str) -> bool:
    w = _strip_titles(np.split())
    return (
        bool(w)
        and all(_CAP.match(x) or x.lower() in ("of", "the", "de", "van", "von", "al", "and", "&") for x in w)
        and w[0] not in _NOT_NAME_WORDS
    )


def _found(np: str) -> _Found:
    words = np.split()
    if words and words[0].lower() in ("both", "either", "neither"):
        words = words[1:]
    for k, w in enumerate(words[1:-1], start=1):
        if w.lower() in ("and", "or", "nor") and words[k + 1].lower() in _DETERMINERS:
            words = words[:k]  # "the mayor and the fishing cooperative": the first named
            break
    name, desc = _prefer_name(" ".join(words))
    return _Found(name, desc)


def _right_subject(right: str) -> _Found | None:
    """An inverted attribution's subject: the noun phrase after the verb ("said Marta Quill, who ...")."""
    right = right.strip()
    m = re.match(r"([^,.;:!?⟨]+)([,.;:!?]?)", right)
    if not m:
        return None
    words = m.group(1).split()
    for k, w in enumerate(words):
        if k and (w.lower() in ("of", "who", "whose", "in", "at", "on", "after", "before", "during", "while", "as")):
            words = words[:k]
            break
    if not words or len(words) > 6 or words[0].lower() in _PREPS or words[0].lower() in ("that", "it"):
        return None
    np = " ".join(words)
    if not (_is_name(np) or words[0].lower() in _DETERMINERS or any(_CAP.match(w) for w in words[1:])):
        return None
    if m.group(2) == "," and not _is_name(np):  # "said one supporter, Mark Ellis."
        after = re.match(r"\s*([^,.;:!?⟨]+)[,.;:!?]?\s*$|\s*([^,.;:!?⟨]+),", right[m.end() :])
        name = (after.group(1) or after.group(2)).strip() if after else ""
        if name and _is_name(name) and len(name.split()) <= 4:
            return _Found(name, np)
    return _found(np)


def _may_attribute(frame: str) -> bool:
    return "ccording to" in frame or not _TRIGGERS.isdisjoint(_LOWER_WORD.findall(frame))


def _find(frame: str) -> tuple[_Found | None, bool]:
    """The holder of one masked sentence: (found, is_participle)."""
    tokens = frame.split()
    spans: list[tuple[int, int]] = []  # token index of each reporting verb, and how many tokens it takes
    for k, w in enumerate(tokens):
        lw = w.strip(",.;:!?")
        if lw in _VERBS:  # lower-case only: "The United States", "Said" as a name
            spans.append((k, 1))
    for rx, cue in ((_LIGHT, ("issue", "made", "make", "level", "voice", "express", "renew")), (_PHRASAL, (" out", " up"))):
        if not any(c in frame for c in cue):
            continue
        for m in rx.finditer(frame):
            k = len(frame[: m.start()].split())
            spans.append((k, 1))
    spans.sort()
    for k, _n in spans:
        w = tokens[k].lower().strip(",.;:!?")
        prev = tokens[k - 1].lower() if k else ""
        prev_bare = prev.strip(",")
        if prev_bare in _DETERMINERS or (w in _BASE_OR_S and (prev_bare.endswith(("’s", "'s")) or prev_bare in _PREPS - {"to"})):
            continue  # a noun or adjective: "the report", "an estimated $4 million", "the union's demands"
        if w == "quoted" and prev_bare in _BE and " as saying" in " ".join(tokens[k : k + 8]):
            w = prev_bare = "said"  # "X was quoted as saying": X said
        if prev_bare in _BE and w.endswith("ed") and not _PHRASAL.match(" ".join(tokens[k : k + 2])):
            continue  # passive: "was accused"
        if prev == "to" and (k < 2 or tokens[k - 2].lower() not in _CONTROL):
            continue  # "to blame" in "not to blame", "agreed to return"
        left = " ".join(tokens[:k])
        stripped = _strip_trailing_modifiers(left)
        if not stripped or stripped.endswith(_QMASK) or stripped.endswith(","):
            if stripped.endswith(",") and k + 1 < len(tokens) and tokens[k + 1].lower() in ("about", "by", "if", "whether"):
                continue  # "Reyes, asked about the complaints, insisted"
            if stripped.endswith(",") and not stripped.rstrip(",").endswith(_QMASK):
                found = _left_subject(left)
                if found:
                    return found, False
            if w in _INVERTIBLE:
                found = _right_subject(" ".join(tokens[k + 1 :]))
                if found:
                    return found, False
            continue
        found = _left_subject(left)
        if found is not None:
            return found, False
        # a subordinate clause or an unreadable subject: look at the next verb
    m = _ACCORDING.search(frame)
    if m:
        np = _CONDUIT.sub("", m.group(1).strip())
        if np:
            return _found(np), False
    # a participle of the main clause: "..., warning that", "in blaming"
    for k, w in enumerate(tokens):
        lw = w.lower().strip(",.;:")
        if lw in _PARTICIPLES and k and (tokens[k - 1].endswith(",") or tokens[k - 1].lower() in ("in", "by", "while")):
            subj = _main_subject(frame)
            if subj:
                return _found(subj), True
    return None, False


def _main_subject(frame: str) -> str | None:
    """The subject of a sentence's main clause, read at its start after leading adverbials: for
    participles and for what later pronouns may refer to."""
    segs = [x.strip() for x in frame.split(",")]
    for seg in segs:
        words = seg.split()
        while words and words[0].lower() in _CONJ:
            words = words[1:]
        if not words or words[0] == _QMASK:
            return None
        first = words[0].lower()
        if (
            first in _SUBORDINATORS
            or first in _PREPS
            or first in ("according", "however", "meanwhile", "asked", "speaking")
            or _TIME.fullmatch(" " + " ".join(words))
        ):
            continue
        text = _LEAD_TIME.sub("", " ".join(words))
        words = text.split()
        if not words:
            continue
        return _read_np_prefix(words)
    return None


def _read_np_prefix(words: list[str]) -> str | None:
    """A noun phrase at the start of a clause whose verb is unknown: a name run, or up to four words
    ending in a role, organisation or group noun ("The environment agency", "Police")."""
    out: list[str] = []
    for w in words:
        lw = w.lower().strip(".’'")
        after_det = bool(out) and out[-1].lower() in _DETERMINERS
        if not after_det and not _CAP.match(w) and (lw in _NP_STOP or lw.endswith("ed")):
            break
        out.append(w)
        if len(out) > 6:
            return None
    if not out:
        return None
    np = " ".join(out)
    if out[0].lower() in _PRONOUNS:
        return out[0].lower() if len(out) == 1 else None
    return np
