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
