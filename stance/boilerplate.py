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


def _is_furniture(joined: str, low: str) -> bool:
    """A photo credit or caption, or (under 400 characters) a footer; ``low`` is ``joined.lower()``."""
    if _folds(joined):
        return bool(_CREDIT.search(joined)) or (len(joined) < 400 and bool(_FOOTER.search(joined)))
    if low.startswith(_CREDIT_STARTS) or "photo " in low or "image " in low:
        if _CREDIT.search(joined):
            return True
    # otherwise only the "(...)" branch can match, and only from the last "(" (it allows no "()" inside)
    elif joined[-1:] == ")" and _CREDIT.search(joined, joined.rfind("(")):
        return True
    if len(joined) >= 400:
        return False
    for word in _FOOTER_WORDS:
        if word in low:
            return bool(_FOOTER.search(joined))
    return False


_NON_WORD = re.compile(r"\W+")
# ASCII text: every non-word byte -> space, then split/join collapses the runs and strips the ends,
# which is what the regex does, several times faster (bytes.translate is a plain table lookup;
# str.translate looks each distinct character up in a dict on every call).
_ASCII_NON_WORD = bytes(b if b < 128 and (chr(b).isalnum() or b == ord("_")) else 32 for b in range(256))


def _collapse(low: str) -> str:
    """Normalise lowered text: each run of non-word characters becomes one space, none at the ends."""
    if low.isascii():
        return b" ".join(low.encode("ascii").translate(_ASCII_NON_WORD).split()).decode("ascii")
    return _NON_WORD.sub(" ", low).strip()


_MIN_REPEAT = 20  # normalised characters a paragraph needs before its repetition counts
# A paragraph's key: the first _KEY word characters of its first _HEAD lowered ones (UTF-8, so that
# ASCII and other heads compare). A normalised text of _MIN_REPEAT characters holds at least _KEY
# word characters, so a paragraph and one that repeats it share the key, and only paragraphs that
# share one are normalised in full and compared. Dropping non-word bytes is one C call; collapsing
# them to spaces, as the comparison must, costs several.
_HEAD, _KEY = 48, 10
_ASCII_NON_WORD_BYTES = bytes(b for b in range(128) if _ASCII_NON_WORD[b] == 32)


def _repeated(lows: dict[int, str], members: list[int]) -> set[int]:
    """Among ``members``, those whose normalised text is a prefix of another's, and those others
    (a paragraph printed again, e.g. a caption and its credited copy).

    Sorted, the texts that start with a given one follow it directly: no comparison of all pairs.
    """
    items = sorted((_collapse(lows[p]), p) for p in members)
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
    """Repeated paragraphs, photo credits/captions and newsletter or sign-up furniture.

    Each paragraph is joined and lowered once; the rules share those strings.
    """
    paras: dict[int, list[Sentence]] = {}
    for s in sentences:
        paras.setdefault(s.paragraph, []).append(s)
    flagged: set[int] = set()
    lows: dict[int, str] = {}
    by_key: dict[bytes, list[int]] = {}
    unkeyed = False
    for p, group in paras.items():
        joined = group[0].text if len(group) == 1 else " ".join([x.text for x in group])
        lows[p] = low = joined.lower()
        head = low[:_HEAD]
        if head.isascii():
            key = head.encode("ascii").translate(None, _ASCII_NON_WORD_BYTES)
        else:
            key = _NON_WORD.sub("", head).encode()
        if len(key) >= _KEY:
            by_key.setdefault(key[:_KEY], []).append(p)
        elif len(low) > _HEAD:
            unkeyed = True  # a long paragraph whose head is mostly punctuation: compare every paragraph
        # (else the whole paragraph has under _KEY word characters: too short to count as repeated)
        if _is_furniture(joined, low):
            flagged.add(p)
    for members in [list(paras)] if unkeyed else by_key.values():
        if len(members) > 1:
            flagged |= _repeated(lows, members)
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
