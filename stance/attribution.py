"""Quotations and holders in segmented text: which sentences lie inside quotation marks, and who holds
each sentence's stance (:mod:`stance.holders`: the quoted speaker, the subject of a reporting or
stance verb, a pronoun resolved to the last compatible named holder). Filled into the
:class:`~stance.segment.Sentence` objects that :func:`stance.segment.split_sentences` makes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stance.holders import attribute

if TYPE_CHECKING:
    from stance.segment import Sentence

_OPEN, _CLOSE = "“«", "”»"
_MARKS = '"' + _OPEN + _CLOSE


def _positions(text: str, chars: str) -> list[int]:
    """Sorted positions of ``chars`` in ``text``: ``str.find`` per character is several times faster
    than a regex character class over the text."""
    found: list[int] = []
    for ch in chars:
        at = text.find(ch)
        while at >= 0:
            found.append(at)
            at = text.find(ch, at + 1)
    found.sort()
    return found


def mark_quotes(text: str, sentences: list[Sentence]) -> None:
    """``quote`` is true for a sentence any part of which lies inside double quotation marks.

    Straight quotes toggle; curly quotes open and close. Quote state resets at each paragraph,
    except that news style reopens a quote continuing into the next paragraph with a new mark.
    ``sentences`` are :func:`~stance.segment.split_sentences`' own: in text order, offsets into
    ``text``. The marks are found in one scan of the whole text (a scan per sentence, or a
    character loop in Python, cost more than the rest of the rule).
    """
    marks = _positions(text, _MARKS)
    marks.append(len(text))  # a sentinel: no sentence reaches it
    k = 0
    inside = False
    paragraph = -1
    for s in sentences:
        if s.paragraph != paragraph:
            paragraph = s.paragraph
            inside = False
        start, end = s.start, s.end
        while marks[k] < start:
            k += 1
        if marks[k] >= end:  # no quotation mark: the sentence is quoted iff a quotation is open
            s.quote = inside
            continue
        # Only quotation marks change the state: count each mark, plus the runs between marks
        # that lie inside a quotation.
        starts_inside = inside
        quoted_chars = 0
        pos = start
        while marks[k] < end:
            at = marks[k]
            if inside:
                quoted_chars += at - pos
            ch = text[at]
            inside = (not inside) if ch == '"' else ch in _OPEN
            quoted_chars += 1
            pos = at + 1
            k += 1
        if inside:
            quoted_chars += end - pos
        # a scare-quoted phrase does not make a quotation: most of the sentence must be quoted
        # a quotation still open at the sentence's end continues into the next sentence: not a scare quote
        s.quote = quoted_chars >= 0.5 * (end - start) or starts_inside or inside or (text[start] in '"“«' and quoted_chars > 1)


# Reporting verbs and names, for one segmentation rule only: a named attribution after a quotation
# closed by ?" or !" stays in the quotation's sentence. Who holds a sentence is stance.holders' work.
_SPEECH_VERBS = (
    r"said|says|say|added|adds|continued|insisted|insists|told|tells|warned|warns|declared|declares|stated|"
    r"argued|argues|claimed|claims|asked|asks|replied|wrote|writes|explained|noted|stressed|vowed|threatened|"
    r"denied|accused|blamed|charged|complained|alleged|countered|responded|tweeted|posted|announced|suggested"
)
_NAME = r"(?:[A-Z][\w’'-]+(?:\s+(?:de|van|von|al|bin|da|del|la|le)?\s*[A-Z][\w’'-]+){0,3})"
_ATTRIB_AFTER = re.compile(rf"(?P<who>{_NAME})\s+(?:{_SPEECH_VERBS})\b")


def is_attribution_after_quote(closing: str, text: str, pos: int, endpos: int) -> bool:
    """After a quotation closed by ``?"`` or ``!"``, does a named attribution ("Smith asked") follow?

    Looks at ``text[pos:endpos]`` only (the segmenter's chunk, without slicing it out).
    """
    if not any(ch in "\"”»'’" for ch in closing):
        return False
    m = _ATTRIB_AFTER.match(text, pos, endpos)
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


def attribute_speakers(sentences: list[Sentence]) -> None:
    """Fill ``holder``, ``holder_source`` and ``speaker`` (the holder's name) from :func:`stance.holders.attribute`."""
    for s, a in zip(sentences, attribute(sentences)):
        s.holder = s.speaker = a.holder
        s.holder_source = a.source
