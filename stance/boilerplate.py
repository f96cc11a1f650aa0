"""Page furniture among segmented sentences: repeated paragraphs, photo credits and captions,
newsletter and sign-up footers. Such sentences are written but never labelled, and summaries leave
them out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stance.segment import Sentence

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


# Lower-case words without which _FOOTER or _CREDIT cannot match: a substring test on the lowered
# text is far cheaper than the case-insensitive scans, which then run only where one of them occurs.
# Sound for any text without the non-ASCII letters that case-insensitive matching equates with ASCII
# ones (_FOLDS, checked by a test); text with one of those always gets the full scan.
_FOLDS = "\u0130\u0131\u017f\u212a"  # İ ı ſ and the Kelvin sign
_FOOTER_WORDS = (
    "sign up",
    "sign-up",
    "signup",
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
    "©",
    "download",
    "related:",
    "top news outlets",
)
# _CREDIT's three branches: "(...)" at the very end, a credit word at the very start, "photo by" etc.
_CREDIT_STARTS = ("photo", "image", "picture", "file photo", "credit")


def _folds(text: str) -> bool:
    return not text.isascii() and any(c in text for c in _FOLDS)


def _is_footer(joined: str) -> bool:
    if not _folds(joined):
        low = joined.lower()
        if not any(w in low for w in _FOOTER_WORDS):
            return False
    return bool(_FOOTER.search(joined))


def _is_credit(joined: str) -> bool:
    if not _folds(joined):
        low = joined.lower()
        if not (low.startswith(_CREDIT_STARTS) or "photo " in low or "image " in low):
            if joined[-1:] != ")":
                return False
            # only the "(...)" branch can match, and only from the last "(" (it allows no "()" inside)
            return bool(_CREDIT.search(joined, joined.rfind("(")))
    return bool(_CREDIT.search(joined))


_NON_WORD = re.compile(r"\W+")
# ASCII text: every non-word character -> space, then split/join collapses the runs and strips the ends,
# which is what the regex does, four times faster.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")})


def _norm(s: str) -> str:
    if s.isascii():
        return " ".join(s.lower().translate(_ASCII_NON_WORD).split())
    return _NON_WORD.sub(" ", s.lower()).strip()


_MIN_REPEAT = 20  # normalised characters a paragraph needs before its repetition counts
# A paragraph's key: the first _KEY normalised characters of its first _HEAD raw ones. Normalising a
# prefix gives a prefix of the normalised whole, so a paragraph and one that repeats it share the key,
# and only paragraphs that share one are normalised in full and compared.
_HEAD, _KEY = 48, 12


def _repeated(paras: dict[int, list[Sentence]]) -> set[int]:
    """Paragraphs printed again (e.g. a caption and its credited copy): one normalised text a prefix of another's."""
    by_key: dict[str, list[int]] = {}
    for p, group in paras.items():
        head = group[0].text[:_HEAD]
        key = _norm(head)
        if len(key) >= _KEY and "Σ" not in head:  # (a final sigma lowers by what follows it)
            by_key.setdefault(key[:_KEY], []).append(p)
        elif len(group) > 1 or len(head) < len(group[0].text) or "Σ" in head:
            return _prefixed(paras, list(paras))  # the key says nothing: compare every paragraph
        # else: the whole paragraph normalises to under _KEY characters, too short to count
    flagged: set[int] = set()
    for members in by_key.values():
        if len(members) > 1:
            flagged |= _prefixed(paras, members)
    return flagged


def _prefixed(paras: dict[int, list[Sentence]], members: list[int]) -> set[int]:
    """Among ``members``, those whose normalised text is a prefix of another's, and those others.

    Sorted, the texts that start with a given one follow it directly.
    """
    items = sorted((_norm(" ".join([x.text for x in paras[p]])), p) for p in members)
    flagged: set[int] = set()
    for i, (ta, a) in enumerate(items):
        if len(ta) < _MIN_REPEAT:
            continue
        for tb, b in items[i + 1 :]:
            if not tb.startswith(ta):
                break
            flagged.add(a)
            flagged.add(b)
    return flagged


def mark_boilerplate(sentences: list[Sentence]) -> None:
    """Repeated paragraphs, photo credits/captions and newsletter or sign-up furniture."""
    paras: dict[int, list[Sentence]] = {}
    for s in sentences:
        paras.setdefault(s.paragraph, []).append(s)
    flagged = _repeated(paras)
    for p, group in paras.items():
        joined = group[0].text if len(group) == 1 else " ".join([x.text for x in group])
        if _is_credit(joined) or (len(joined) < 400 and _is_footer(joined)):
            flagged.add(p)
    # A short line without end punctuation right after a footer is part of it ("Sign Up Now").
    order = sorted(paras)
    for k, p in enumerate(order[1:], start=1):
        if order[k - 1] in flagged:
            joined = " ".join([x.text for x in paras[p]])
            if len(joined) < 40 and joined[-1:] not in '.!?"”':
                flagged.add(p)
    for p in flagged:
        for s in paras[p]:
            s.boilerplate = True
