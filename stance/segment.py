"""Article text -> sentences with character offsets, quotation, speaker and boilerplate flags.

A rule-based segmenter: it is an order of magnitude faster than pysbd on news text (see
``benchmarks/``) and its rules target what news carries: titles and month abbreviations, initials,
"U.S.", decimals, quotations ending in ``,"`` or ``?"`` followed by the attribution, multi-sentence
quotes and paragraphs. Offsets always index the original text: ``text[start:end] == sentence``.
Quotations and holders (:mod:`stance.attribution`, :mod:`stance.holders`) and page furniture
(:mod:`stance.boilerplate`) are marked on the sentences afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import chain

from stance.attribution import attribute_speakers, is_attribution_after_quote, mark_quotes
from stance.boilerplate import mark_boilerplate

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

# "[.!?…][.!?…]*", not "[.!?…]+": a pattern that opens with a character class lets the regex engine
# skip to the candidates instead of trying a match at every position (twice as fast).
_BOUNDARY = re.compile(r"([.!?…][.!?…]*)([\"'”’»)\]]*)(\s+)(?=[\"“‘'«(\[]?[A-Z0-9À-Ý])")
# The word before a period, matched forwards on the reversed text: one match from the period back,
# where a `$`-anchored search forwards tried every start in a window.
_WORD_REVERSED = re.compile(r"[\w.&'-]+")
_NEXT_WORD = re.compile(r"[\"“‘'«(\[]?([\w-]+)")
_NUMBERED = {"no", "nos", "art", "fig", "vol", "ch", "para", "pp"}
_LISTED = _TITLES | _MONTHS | _NUMBERED | _OTHER
_PARA = re.compile(r"\n[ \t]*\n+|\n(?=[ \t]*[-*•] )")
_NON_SPACE = re.compile(r"\S")


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


def _is_abbreviation(text: str, reversed_text: str, lo: int, end: int, nxt: int, hi: int) -> bool:
    """Decide whether the period at ``text[end]`` is an abbreviation's, given the word at ``nxt``.

    ``lo:hi`` is the chunk (line) being split; nothing outside it is looked at. Works on positions
    rather than slices: slicing the text before every candidate boundary made segmentation quadratic.
    """
    if end > lo and text[end - 1] == "\n":
        end -= 1  # `$` in the former `[\w.&'-]+$` search also matched before a final newline
    n = len(text)
    m = _WORD_REVERSED.match(reversed_text, n - end, n - lo)
    if not m:
        return False
    word = m.group()[::-1].rstrip(".")
    low = word.lower()
    if low in _TITLES:
        return True
    if low in _MONTHS or low in _NUMBERED:
        return text[nxt : nxt + 1].isdigit()
    if (len(word) == 1 and word.isalpha() and word.isupper()) or "." in word or low in _OTHER:
        # an initial ("J. K. Rowling"), "U.S.", "a.m.", "Inc.": unless a sentence clearly starts
        next_word = _NEXT_WORD.match(text, nxt, hi)
        return (next_word.group(1).lower() if next_word else "") not in _STARTERS
    return False


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs split at blank lines and bullets, then at single newlines that end a line.

    A single newline breaks only after end punctuation or a short, title-like line.
    """
    pos = 0
    n = len(text)
    find = text.find
    breaks = chain(((m.start(), m.end()) for m in _PARA.finditer(text)), [(n, n)])  # each paragraph's end, the next's start
    for p_end, next_start in breaks:
        nl = find("\n", pos, p_end)
        while nl >= 0:
            line = text[pos:nl].rstrip()
            if line and (line[-1] in '.!?"”:' or len(line) < 60):
                yield pos, nl
                pos = nl + 1
            nl = find("\n", nl + 1, p_end)
        yield pos, p_end
        pos = next_start


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with offsets; boilerplate, quotes and speakers filled in.

    The boundary pattern runs once over the whole text and its matches are dealt out to the chunks,
    which are scanned in order. That equals a scan per chunk: a chunk ends at a newline, and a match
    whose whitespace runs past that end (into the next chunk) is the one a chunk-bounded scan lacks.
    Sentence ends inside a chunk need no whitespace trimming, since the pattern puts none there.
    """
    sentences: list[Sentence] = []
    append = sentences.append
    matches = _BOUNDARY.finditer(text)
    m = next(matches, None)
    first_non_space = _NON_SPACE.search
    rfind = text.rfind
    reversed_text = ""  # made on the first period that needs the full abbreviation rule
    para_index = 0
    for lo, hi in _chunks(text):
        first = first_non_space(text, lo, hi)
        if first is None:
            continue  # a blank chunk is no paragraph (and no match starts in whitespace)
        cut = first.start()
        while m is not None:
            # all spans in one call: the whole match, the end punctuation, the closing quotes
            (start, stop), (punct, closing), (_, end), _ = m.regs
            if start >= hi:
                break
            m = next(matches, None)
            if stop > hi:  # its whitespace crosses the chunk's end: a boundary only between chunks
                break
            if closing - punct == 1 and text[punct] == ".":
                # A word of letters or digits (after a space or the chunk's start) is an
                # abbreviation only if it is a listed one: most periods are settled without the rule.
                word = text[max(rfind(" ", lo, punct) + 1, lo) : punct]
                if not (len(word) > 1 and word.isalnum()) or word.lower() in _LISTED:
                    reversed_text = reversed_text or text[::-1]
                    if _is_abbreviation(text, reversed_text, lo, punct, stop, hi):
                        continue
            elif text[closing - 1] in "?!" and is_attribution_after_quote(text[closing:end], text, stop, hi):
                continue  # '"Is it over?" Smith asked.' is one sentence
            append(Sentence(text[cut:end], cut, end, para_index))
            cut = stop
        last = text[cut:hi].rstrip()  # starts at a non-space character, so never empty
        append(Sentence(last, cut, cut + len(last), para_index))
        para_index += 1
    mark_quotes(text, sentences)
    attribute_speakers(sentences)
    mark_boilerplate(sentences)
    return sentences
