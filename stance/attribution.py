"""Quotations and speakers in segmented text: which sentences lie inside quotation marks, and who is
speaking where the text says so ("he said" resolves to the last named person). Filled into the
:class:`~stance.segment.Sentence` objects that :func:`stance.segment.split_sentences` makes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stance.segment import Sentence

_OPEN, _CLOSE = "“«", "”»"
_QUOTE_MARK = re.compile(f'["{_OPEN}{_CLOSE}]')


def mark_quotes(text: str, sentences: list[Sentence]) -> None:
    """``quote`` is true for a sentence any part of which lies inside double quotation marks.

    Straight quotes toggle; curly quotes open and close. Quote state resets at each paragraph,
    except that news style reopens a quote continuing into the next paragraph with a new mark.
    """
    by_para: dict[int, list[Sentence]] = {}
    for s in sentences:
        by_para.setdefault(s.paragraph, []).append(s)
    for group in by_para.values():
        inside = False
        for s in group:
            # Only quotation marks change the state: count each mark, plus the runs between marks
            # that lie inside a quotation (a character loop in Python was a third of segmenting).
            quoted_chars = 0
            starts_inside = inside
            pos = 0
            for m in _QUOTE_MARK.finditer(s.text):
                if inside:
                    quoted_chars += m.start() - pos
                ch = m.group()
                inside = (not inside) if ch == '"' else ch in _OPEN
                quoted_chars += 1
                pos = m.end()
            if inside:
                quoted_chars += len(s.text) - pos
            # a scare-quoted phrase does not make a quotation: most of the sentence must be quoted
            # a quotation still open at the sentence's end continues into the next sentence: not a scare quote
            s.quote = quoted_chars >= 0.5 * len(s.text) or starts_inside or inside or (s.text[:1] in '"“«' and quoted_chars > 1)


_SPEECH_VERBS = (
    r"said|says|say|added|adds|continued|insisted|insists|told|tells|warned|warns|declared|declares|stated|"
    r"argued|argues|claimed|claims|asked|asks|replied|wrote|writes|explained|noted|stressed|vowed|threatened|"
    r"denied|accused|blamed|charged|complained|alleged|countered|responded|tweeted|posted|announced|suggested"
)
_NAME = r"(?:[A-Z][\w’'-]+(?:\s+(?:de|van|von|al|bin|da|del|la|le)?\s*[A-Z][\w’'-]+){0,3})"
_PRONOUN = r"(?:he|she|He|She)"
_ATTRIB_PATTERNS = [
    re.compile(rf"[,?!]?[\"”’]\s+(?P<who>{_NAME}|{_PRONOUN})\s+(?:{_SPEECH_VERBS})\b"),  # "...," he said
    re.compile(rf"[,?!]?[\"”’]\s+(?:{_SPEECH_VERBS})\s+(?P<who>{_NAME})"),  # "...," said Smith
    re.compile(rf"(?P<who>{_NAME}|{_PRONOUN})(?:,[^,]{{1,60}},)?\s+(?:{_SPEECH_VERBS})\s*:"),  # Smith said:
    re.compile(rf"(?P<who>{_NAME}|{_PRONOUN})\s+(?:also\s+|then\s+|later\s+)?(?:{_SPEECH_VERBS})\b"),  # Smith said that
    re.compile(rf"\baccording to (?P<who>{_NAME})"),
]
_ATTRIB_AFTER = re.compile(rf"(?P<who>{_NAME})\s+(?:{_SPEECH_VERBS})\b")
# Every attribution pattern but "according to" needs a whole speech verb: sentences without one
# (most of them) skip the five pattern scans.
_ANY_SPEECH_VERB = re.compile(rf"\b(?:{_SPEECH_VERBS})\b")


def is_attribution_after_quote(closing: str, chunk: str, pos: int) -> bool:
    """After a quotation closed by ``?"`` or ``!"``, does a named attribution ("Smith asked") follow?"""
    if not any(ch in "\"”»'’" for ch in closing):
        return False
    m = _ATTRIB_AFTER.match(chunk, pos)
    return bool(m) and m.group("who").split()[0] not in _NOT_NAMES


_NOT_NAMES = {
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "But",
    "And",
    "It",
    "This",
    "That",
    "These",
    "Those",
    "They",
    "We",
    "I",
    "You",
    "There",
    "Since",
    "While",
    "When",
    "After",
    "Before",
    "If",
    "Officials",
    "Police",
    "Here",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Earlier",
    "Later",
    "Yesterday",
    "Today",
    "Also",
    "Then",
    "Meanwhile",
    "However",
}
_FULL_NAME = re.compile(r"\b(?:[A-Z][a-z’'-]+\s+){1,2}([A-Z][a-z’'-]{2,})\b")
_PERSON_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|President|Prime Minister|Minister|Senator|Governor|Judge|Chancellor|King|Queen|General|Coach)\.?\s+(?:[A-Z][\w’'-]+\s+)?([A-Z][\w’'-]+)"
)


def _clean_name(who: str) -> str | None:
    words = who.split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    if not words or any(w in _NOT_NAMES for w in words):
        return None
    return " ".join(words)


def _find_speaker(text: str) -> str | None:
    if _ANY_SPEECH_VERB.search(text):
        # the first two patterns need a closing quotation mark, the third a colon
        closing = '"' in text or "”" in text or "’" in text
        patterns = [rx for k, rx in enumerate(_ATTRIB_PATTERNS) if not ((k < 2 and not closing) or (k == 2 and ":" not in text))]
    elif "according to " in text:
        patterns = _ATTRIB_PATTERNS[-1:]
    else:
        return None
    for rx in patterns:
        for m in rx.finditer(text):
            who = m.group("who")
            if who in ("he", "she", "He", "She"):
                return who.lower()
            name = _clean_name(who)
            if name:
                return name
    return None


def attribute_speakers(sentences: list[Sentence]) -> None:
    """Fill ``speaker`` from attributions; "he said" resolves to the last named speaker who is a
    person (a name seen with a first name or a title, so "Minsk said" does not capture a later "he"),
    and an unattributed quoted sentence inherits the speaker of the quote beside it in its paragraph."""
    persons: set[str] | None = None  # found on first need: most speakers have a full name
    last_person: str | None = None
    known: list[str] = []
    for s in sentences:
        name = _find_speaker(s.text)
        if name is None:
            continue
        if name in ("he", "she"):
            s.speaker = last_person
            continue
        # "Lukashenko" after "Alexander Lukashenko" is the same person: keep the first full form.
        for k in known:
            if k.endswith(" " + name) or k == name:
                name = k
                break
        else:
            known.append(name)
        s.speaker = name
        if " " not in name and persons is None:
            full = " ".join(x.text for x in sentences)
            persons = {m.group(1) for m in _FULL_NAME.finditer(full)} | {m.group(1) for m in _PERSON_TITLE.finditer(full)}
        if " " in name or name in (persons or ()):
            last_person = name
    # quoted sentences without their own attribution
    for i, s in enumerate(sentences):
        if s.speaker is None and s.quote:
            for j in (i - 1, i + 1, i - 2, i + 2):
                if 0 <= j < len(sentences) and sentences[j].paragraph == s.paragraph and sentences[j].speaker:
                    s.speaker = sentences[j].speaker
                    break
