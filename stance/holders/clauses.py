"""One sentence at a time, its quotations masked (by the package, which reads them across an article):
the reporting verb of the main clause and its subject (before it, or after it in an inverted
attribution), "according to X", or a participle's main subject; and the subject of a sentence's main
clause for later pronouns."""

from __future__ import annotations

import re
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
    _COORDINATORS,
    _DETERMINERS,
    _INVERTIBLE,
    _IRREGULAR_PAST,
    _LEAD_TIME,
    _LEAD_TIME_FIRST,
    _LEAD_TIME_OPENERS,
    _LIGHT,
    _LIGHT_BYTES,
    _NAME_LINKS,
    _NOT_NAME_WORDS,
    _NP_STOP,
    _PARTICIPLE_AFTER,
    _PHRASAL,
    _PHRASAL_BYTES,
    _PREPS,
    _PREPS_NOT_TO,
    _PRONOUNS,
    _PRONOUNS_OR_PERSON,
    _QMASK,
    _RELATIVE_CUTS,
    _SUBORDINATE_ONLY,
    _SUBORDINATORS,
    _TIME,
    _TIME_SET,
    _VERBISH,
    _VERBS,
    _verb_starts,
)
from stance.holders.names import _strip_titles


class SentenceLike(Protocol):
    text: str
    paragraph: int
    quote: bool


# ---------------------------------------------------------------------------------------------
# Finding the holder in one sentence


@dataclass(slots=True)
class _Found:
    raw: str  # the noun phrase as written (or a pronoun)
    descriptor: str | None = None  # an apposition beside it ("the mining company")


def _strip_trailing_modifiers(words: list[str]) -> list[str]:
    """Drop what may stand between a subject and its verb (the words before it): adverbs, auxiliaries,
    "on Thursday", "was quick to". Repeated until nothing changes."""
    while words:
        n = len(words)
        last = words[-1].lower()
        if last in _TIME_SET:
            head, tail = words[:-5], " ".join(words[-5:])
            m = _TIME.search(tail)
            if m and (m.start() > 0 or head):
                words = head + tail[: m.start()].split()
        while words and words[-1].lower().strip(",") in _AUX:
            words.pop()
        if len(words) > 1 and words[-1].lower() == "to" and words[-2].lower() in _CONTROL:
            words = words[:-2]
        if len(words) == n:
            break  # nothing dropped (each step only drops words at the end)
    return words


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


# a name run: capitalised words, with linking words between them
_NAME_WORD = re.compile(r"[A-ZÀ-Ý][\w’'.-]*")


def _subject_np(clause: str) -> str | None:
    """The subject noun phrase of a clause that ends just before its verb (modifiers stripped), or None
    when the clause is subordinate ("when he") or no noun phrase can be read from it."""
    words = _subject_words(clause.split())
    return " ".join(words) if words else None


def _subject_words(words: list[str]) -> list[str] | None:
    """:func:`_subject_np` on the clause's words (a pronoun lower-cased), so that the usual path splits
    and joins nothing; the per-word loops run only where a set test says they may find something."""
    # leading conjunctions and a time phrase without a comma ("In October he warned")
    while words and words[0].lower() in _CONJ:
        words = words[1:]
    if words:
        first = words[0]
        if (first[0] in _LEAD_TIME_FIRST and (not first.isascii() or first.lower() in _LEAD_TIME_OPENERS)) or not first[0].isascii():
            words = _LEAD_TIME.sub("", " ".join(words) + " ").split()
    if not words:
        return None
    low = [w.lower() for w in words]
    if low[0] in _PREPS or not _SUBORDINATE_ONLY.isdisjoint(words):
        return None  # "when he", "two days after a report": a subordinate clause
    # a relative clause after the subject: "Residents who lost their homes", "The firm that inspected ..."
    if not _RELATIVE_CUTS.isdisjoint(low):
        for k in range(1, len(words)):
            if low[k] in _RELATIVE_CUTS:
                words, low = words[:k], low[:k]
                break
    if _QMASK in words:  # '"...," Pike said': the subject follows the quotation
        k = len(words) - words[::-1].index(_QMASK)
        words, low = words[k:], low[k:]
        if not words:
            return None
    n = len(words)
    if n > 9:
        return None
    # only a verb form or an -ed word can be verb-like: test those alone
    if (
        n > 1
        and (not _VERBISH.isdisjoint(low) or "ed " in " ".join(low) + " ")
        and any(_verb_like(words[k], words[k - 1]) for k in range(1, n) if low[k] in _VERBISH or low[k].endswith("ed"))
    ):
        return None
    if low[0] in _PRONOUNS and n == 1:
        return [low[0]]
    if not _PRONOUNS_OR_PERSON.isdisjoint(low):
        return None
    return words


def _verb_like(w: str, before: str) -> bool:
    """A word that ends a noun phrase rather than belonging to it ("were", "fled", "repulsed"); an
    -ed word after an article is an adjective ("the flooded valley")."""
    if _CAP.match(w) or before.lower() in _DETERMINERS:
        return False  # "Nadia Said", "the report"
    lw = w.lower()
    if lw in _VERBS or lw in _AUX or lw in _IRREGULAR_PAST:
        return True
    return w.islower() and lw.endswith("ed") and before.lower() not in _DETERMINERS


def _prefer_name(words: list[str]) -> tuple[str, str | None]:
    """Within one noun phrase, a name at its end preceded by a lower-case description is the holder:
    "head keeper Rosa Lind" -> Rosa Lind; "The group Free the Herd" -> Free the Herd; not after a
    preposition or article ("Analysts at Brightwater Capital", "the Chamber of Commerce")."""
    np = " ".join(words)
    # A tail of words is a name run when it starts and ends with a capitalised word and every word is
    # one or a linking word ("de", "of the"): found by one walk back from the end, not a regex per tail.
    n = len(words)
    if n < 2 or not _NAME_WORD.fullmatch(words[-1]):
        return np, None
    lo = n - 1
    while lo > 1 and (words[lo - 1] in _NAME_LINKS or _NAME_WORD.fullmatch(words[lo - 1])):
        lo -= 1
    for k in range(lo, n):
        if _NAME_WORD.fullmatch(words[k]) and not _CAP.match(words[k - 1]):
            tail = " ".join(words[k:])
            before = words[k - 1].lower()
            if before in _PREPS or before in ("the", "a", "an"):
                if before in ("the", "a", "an") and k >= 2 and words[k - 2][0].isupper() and words[k - 2].lower() not in _DETERMINERS:
                    return tail, " ".join(words[:k])  # "The group Free the Herd"
                return np, None
            return tail, " ".join(words[:k])
    return np, None


def _left_subject(left: str) -> _Found | None:
    """The subject before a verb, given everything before the verb in the (masked) sentence with
    :func:`_strip_trailing_modifiers` applied."""
    if not left or left.endswith(_QMASK):
        return None
    if "," not in left:
        words = _subject_words(left.split())
        return _found_words(words) if words else None
    segs = [x.strip() for x in left.split(",")]
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
    return _found_words(np.split())


def _found_words(words: list[str]) -> _Found:
    """The holder in a subject noun phrase given as words: the first of coordinated ones, a name in it."""
    if words and words[0].lower() in ("both", "either", "neither"):
        words = words[1:]
    inner = " ".join(words[1:-1]).lower() if len(words) > 2 else ""
    if "and" in inner or "or" in inner:  # else no word is "and", "or" or "nor"
        for k, w in enumerate(words[1:-1], start=1):
            if w.lower() in _COORDINATORS and words[k + 1].lower() in _DETERMINERS:
                words = words[:k]  # "the mayor and the fishing cooperative": the first named
                break
    name, desc = _prefer_name(words)
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


def _find(frame: str, runs: frozenset[bytes]) -> tuple[_Found | None, bool]:
    """The holder of one masked sentence (``runs`` from :func:`_trigger_runs`): (found, is_participle).

    Each candidate verb is a token given by where it starts in ``frame`` (single spaces between
    tokens): the words before it are split from that prefix alone, the words after it read from
    there as needed, so the rest of the sentence is never split into words."""
    spans = _verb_starts(frame, runs)
    for rx, cue in ((_LIGHT, _LIGHT_BYTES), (_PHRASAL, _PHRASAL_BYTES)):
        if runs.isdisjoint(cue):
            continue
        for m in rx.finditer(frame):
            at = m.start()
            if at and frame[at - 1] != " ":  # a match inside a word ("re-issued") points at the next word
                at = frame.find(" ", at) + 1
            spans.append(at)
    spans.sort()
    size = len(frame)
    for at in spans:
        end = frame.find(" ", at)
        if end < 0:
            end = size
        w = frame[at:end].lower().strip(",.;:!?")
        before = frame[:at].split()  # the tokens before the verb
        prev = before[-1].lower() if before else ""
        prev_bare = prev.strip(",")
        if prev_bare in _DETERMINERS or (w in _BASE_OR_S and (prev_bare.endswith(("’s", "'s")) or prev_bare in _PREPS_NOT_TO)):
            continue  # a noun or adjective: "the report", "an estimated $4 million", "the union's demands"
        if w == "quoted" and prev_bare in _BE and " as saying" in " ".join(frame[at:].split(" ", 8)[:8]):
            w = prev_bare = "said"  # "X was quoted as saying": X said
        if prev_bare in _BE and w.endswith("ed") and not _PHRASAL.match(" ".join(frame[at:].split(" ", 2)[:2])):
            continue  # passive: "was accused"
        if prev == "to" and (len(before) < 2 or before[-2].lower() not in _CONTROL):
            continue  # "to blame" in "not to blame", "agreed to return"
        words = _strip_trailing_modifiers(before)
        stripped = " ".join(words)
        if not words or words[-1].endswith((_QMASK, ",")):
            after = frame[end + 1 :]  # the tokens after the verb, joined
            if stripped.endswith(",") and after and after.split(" ", 1)[0].lower() in ("about", "by", "if", "whether"):
                continue  # "Reyes, asked about the complaints, insisted"
            if stripped.endswith(",") and not stripped.rstrip(",").endswith(_QMASK):
                found = _left_subject(stripped)
                if found:
                    return found, False
            if w in _INVERTIBLE:
                found = _right_subject(after)
                if found:
                    return found, False
            continue
        if "," in stripped:
            found = _left_subject(stripped)
        else:  # the usual case: the subject from the words themselves
            subject = _subject_words(words)
            found = _found_words(subject) if subject else None
        if found is not None:
            return found, False
        # a subordinate clause or an unreadable subject: look at the next verb
    # (each pattern only where a substring test says it may match: a search costs some µs)
    lowered = frame.lower()
    m = _ACCORDING.search(frame) if "ccord" in lowered else None  # c, o, r, d fold to nothing else
    if m:
        np = _CONDUIT.sub("", m.group(1).strip())
        if np:
            return _found(np), False
    # a participle of the main clause: "..., warning that", "in blaming"
    if "ing" in lowered and _PARTICIPLE_AFTER.search(lowered):
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
