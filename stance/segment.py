"""Article text -> sentences with character offsets, quotation, holder (who holds the stance: stance.holders) and boilerplate flags.

A rule-based segmenter: it is an order of magnitude faster than pysbd on news text (see
``benchmarks/``) and its rules target what news carries: titles and month abbreviations, initials,
"U.S.", decimals, quotations ending in ``,"`` or ``?"`` followed by the attribution, multi-sentence
quotes and paragraphs. Offsets always index the original text: ``text[start:end] == sentence``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from stance.holders import attribute

# Abbreviations after which a period never ends a sentence when followed by a name or number.
_TITLES = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "cmdr",
    "adm",
    "maj",
    "gov",
    "sen",
    "rep",
    "st",
    "rev",
    "hon",
    "fr",
    "pres",
    "supt",
    "insp",
    "det",
    "cpl",
    "pvt",
    "messrs",
    "mme",
    "mlle",
}
_MONTHS = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_OTHER = {
    "no",
    "nos",
    "vs",
    "v",
    "approx",
    "est",
    "fig",
    "vol",
    "ch",
    "art",
    "para",
    "pp",
    "inc",
    "corp",
    "co",
    "ltd",
    "jr",
    "sr",
    "bros",
    "dept",
    "univ",
    "ave",
    "blvd",
    "rd",
    "mt",
    "ft",
}
# Words that start sentences: after an ambiguous abbreviation ("U.S.", "Inc.", "a.m.") a split is
# made only when one of these follows.
_STARTERS = {
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "but",
    "and",
    "in",
    "on",
    "at",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "our",
    "there",
    "if",
    "when",
    "while",
    "after",
    "before",
    "since",
    "as",
    "for",
    "some",
    "many",
    "most",
    "no",
    "not",
    "one",
    "two",
    "officials",
    "police",
    "however",
    "meanwhile",
    "still",
    "yet",
    "so",
    "then",
    "what",
    "who",
    "why",
    "how",
    "earlier",
    "later",
}

_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)(?=[\"“‘'«(\[]?[A-Z0-9À-Ý])")
_WORD_BEFORE = re.compile(r"([\w.&'-]+)$")
_NEXT_WORD = re.compile(r"[\"“‘'«(\[]?([\w-]+)")
_NUMBERED = {"no", "nos", "art", "fig", "vol", "ch", "para", "pp"}
_LOOKBACK = 64  # characters searched for the word before a period (longer words fall back to a full search)
_PARA = re.compile(r"\n[ \t]*\n+|\n(?=[ \t]*[-*•] )")


@dataclass(slots=True)
class Sentence:
    text: str
    start: int
    end: int
    paragraph: int
    quote: bool = False
    speaker: str | None = None  # the holder's name, kept for the records and summaries that read it
    boilerplate: bool = False
    holder: str | None = None  # who holds the sentence's stance, normalised within the article (stance.holders)
    holder_source: str | None = None  # "quote", "reporting-verb" or "pronoun"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _is_abbreviation(chunk: str, end: int, nxt: int) -> bool:
    """Decide whether the period at ``chunk[end]`` is an abbreviation's, given the word at ``nxt``.

    Works on positions rather than slices: slicing the text before every candidate boundary made
    segmentation quadratic in the paragraph's length.
    """
    pos = max(0, end - _LOOKBACK)
    m = _WORD_BEFORE.search(chunk, pos, end)
    if m and pos and m.start() == pos:  # the word may reach back further than the window
        m = _WORD_BEFORE.search(chunk, 0, end)
    if not m:
        return False
    word = m.group(1).rstrip(".")
    low = word.lower()
    next_word = _NEXT_WORD.match(chunk, nxt)
    nw = next_word.group(1).lower() if next_word else ""
    if low in _TITLES:
        return True
    if low in _MONTHS or low in _NUMBERED:
        return chunk[nxt : nxt + 1].isdigit()
    if len(word) == 1 and word.isalpha() and word.isupper():
        return nw not in _STARTERS  # an initial ("J. K. Rowling"), unless a sentence clearly starts
    if "." in word or low in _OTHER:  # "U.S.", "a.m.", "Inc."
        return nw not in _STARTERS
    return False


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for m in _PARA.finditer(text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def _lines_as_paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A single newline breaks a paragraph only after end punctuation or a short, title-like line."""
    seg_start = start
    for m in re.finditer(r"\n", text[start:end]):
        nl = start + m.start()
        line = text[seg_start:nl].rstrip()
        if line and (line[-1] in '.!?"”:' or len(line) < 60):
            yield seg_start, nl
            seg_start = nl + 1
    yield seg_start, end


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with offsets; boilerplate, quotes and speakers filled in."""
    sentences: list[Sentence] = []
    para_index = 0
    for p_start, p_end in _paragraph_spans(text):
        for l_start, l_end in _lines_as_paragraphs(text, p_start, p_end):
            chunk = text[l_start:l_end]
            if not chunk.strip():
                continue
            cut = 0
            for m in _BOUNDARY.finditer(chunk):
                if m.group(1) == "." and _is_abbreviation(chunk, m.start(1), m.end()):
                    continue
                if m.group(1)[-1] in "?!" and _is_attribution_after_quote(m.group(2), chunk, m.end()):
                    continue  # '"Is it over?" Smith asked.' is one sentence
                _append(sentences, text, l_start + cut, l_start + m.end(2), para_index)
                cut = m.end()
            _append(sentences, text, l_start + cut, l_end, para_index)
            para_index += 1
    mark_quotes(text, sentences)
    attribute_speakers(sentences)
    mark_boilerplate(sentences)
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end, paragraph))


# ---------------------------------------------------------------------------------------------
# Quotations and speakers

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


# Reporting verbs and names, for one segmentation rule only: a named attribution after a quotation
# closed by ?" or !" stays in the quotation's sentence. Who holds a sentence is stance.holders' work.
_SPEECH_VERBS = (
    r"said|says|say|added|adds|continued|insisted|insists|told|tells|warned|warns|declared|declares|stated|"
    r"argued|argues|claimed|claims|asked|asks|replied|wrote|writes|explained|noted|stressed|vowed|threatened|"
    r"denied|accused|blamed|charged|complained|alleged|countered|responded|tweeted|posted|announced|suggested"
)
_NAME = r"(?:[A-Z][\w’'-]+(?:\s+(?:de|van|von|al|bin|da|del|la|le)?\s*[A-Z][\w’'-]+){0,3})"
_ATTRIB_AFTER = re.compile(rf"(?P<who>{_NAME})\s+(?:{_SPEECH_VERBS})\b")
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


def _is_attribution_after_quote(closing: str, chunk: str, pos: int) -> bool:
    """After a quotation closed by ``?"`` or ``!"``, does a named attribution ("Smith asked") follow?"""
    if not any(ch in "\"”»'’" for ch in closing):
        return False
    m = _ATTRIB_AFTER.match(chunk, pos)
    return bool(m) and m.group("who").split()[0] not in _NOT_NAMES


def attribute_speakers(sentences: list[Sentence]) -> None:
    """Fill ``holder``, ``holder_source`` and ``speaker`` (the holder's name) from stance.holders."""
    for s, a in zip(sentences, attribute(sentences)):
        s.holder = s.speaker = a.holder
        s.holder_source = a.source


# ---------------------------------------------------------------------------------------------
# Boilerplate

_FOOTER = re.compile(
    r"\b(?:sign[ -]?up|subscribe|subscription|newsletter|daily email|unsubscribe|follow us|all rights reserved|"
    r"cookies?|click here|read more|advertisement|privacy policy|terms of (?:use|service)|share this|"
    r"copyright|©|download (?:our|the) app|related:|top news outlets)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"(?:\((?:[^()]{0,60}/[^()]{0,60}|photo[^()]*|[^()]*(?:getty|reuters|afp|associated press|ap photo|bloomberg|pool)[^()]*)\)\s*$)"
    r"|^(?:photo|photograph|image|picture|file photo|credit)\s*[:|/]"
    r"|\b(?:photo|image) (?:by|credit|courtesy)\b",
    re.IGNORECASE,
)


# Lower-case words without which (in ASCII text) _FOOTER or _CREDIT cannot match: a substring test
# is far cheaper than the case-insensitive scans, which then run only where one of them occurs.
# (Non-ASCII text always gets the full scan: case-insensitive matching knows letters such as "ſ".)
_FOOTER_WORDS = (
    "sign",
    "subscri",
    "newsletter",
    "daily email",
    "follow us",
    "all rights reserved",
    "cookie",
    "click here",
    "read more",
    "advertisement",
    "privacy policy",
    "terms of",
    "share this",
    "copyright",
    "download",
    "related:",
    "top news outlets",
)
_CREDIT_WORDS = (")", "photo", "image", "picture", "credit")


def _may_match(text: str, words: tuple[str, ...]) -> bool:
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in words)


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s.lower()).strip()


def mark_boilerplate(sentences: list[Sentence]) -> None:
    """Repeated paragraphs, photo credits/captions and newsletter or sign-up furniture."""
    paras: dict[int, list[Sentence]] = {}
    for s in sentences:
        paras.setdefault(s.paragraph, []).append(s)
    texts = {p: _norm(" ".join(x.text for x in group)) for p, group in paras.items()}
    flagged: set[int] = set()
    items = list(texts.items())
    for a, ta in items:
        if len(ta) < 20:
            continue
        for b, tb in items:
            if a != b and len(tb) >= len(ta) and tb.startswith(ta):
                flagged.update((a, b))  # a paragraph printed again (e.g. a caption and its credited copy)
    for p, group in paras.items():
        joined = " ".join(x.text for x in group)
        short = len(joined) < 400
        if (_may_match(joined, _CREDIT_WORDS) and _CREDIT.search(joined)) or (
            short and _may_match(joined, _FOOTER_WORDS) and _FOOTER.search(joined)
        ):
            flagged.add(p)
    # A short line without end punctuation right after a footer is part of it ("Sign Up Now").
    order = sorted(paras)
    for k, p in enumerate(order[1:], start=1):
        joined = " ".join(x.text for x in paras[p])
        if order[k - 1] in flagged and len(joined) < 40 and joined[-1:] not in '.!?"”':
            flagged.add(p)
    for p in flagged:
        for s in paras[p]:
            s.boilerplate = True
