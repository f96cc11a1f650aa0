"""Holder names within an article: titles dropped, shorter forms mapped to fuller ones, full names
seen in the text, and what kind of entity a name is (person, group, organisation) for pronouns."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from stance.holders.lexicon import (
    _CAP,
    _DETERMINERS,
    _HONORIFICS,
    _HUMAN_PLURALS,
    _NOT_NAME_WORDS,
    _ORG_NAME_WORDS,
    _ORG_NOUNS,
    _PREPS,
    _ROLE_NOUNS,
    _TITLE_WORDS,
)

# ---------------------------------------------------------------------------------------------
# Names


def _strip_titles(words: list[str]) -> list[str]:
    """Drop honorifics and title words in front of a capitalised name ("Deputy Agriculture Minister
    Tomas Brenner" -> "Tomas Brenner"); a title with nothing after it stays ("the governor")."""
    titles = _TITLES
    for k in range(len(words) - 2, -1, -1):  # the last title before the final word
        if words[k].lower().rstrip(".") in titles:
            rest = words[k + 1 :]
            return rest if all(_CAP.match(w) for w in rest) else words
    return words


_TITLES = _HONORIFICS | _TITLE_WORDS


@lru_cache(maxsize=8192)
def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,.;:'\"“”‘’")
    name = re.sub(r"[’']s$", "", name) if name.endswith(("’s", "'s")) and " " not in name else name
    words = _strip_titles(name.split())
    if words and words[0].lower() in _DETERMINERS and words[0][0].isupper():
        words[0] = words[0].lower()
    return " ".join(words)


def normalise_holder(name: str, known: Iterable[str] = ()) -> str:
    """One form per holder within an article: titles and honorifics dropped, a leading article
    lower-cased, and a name whose words end a fuller known name mapped to it ("Mr. Okafor" and
    "Okafor" -> "Chidi Okafor" when "Chidi Okafor" is known; "the regulator" -> "the energy
    regulator"). Case is kept; compare with ``casefold()``."""
    cleaned = _clean(name)
    core = _core(cleaned)
    if not core:
        return cleaned
    for k in known:
        if _fuller(_core(_clean(k)), core):
            return _clean(k)
    return cleaned


def _fuller(kw: tuple[str, ...], core: tuple[str, ...]) -> bool:
    """Whether a known name's core words ``kw`` are ``core`` or end with it (not after a preposition)."""
    n = len(core)
    return kw == core or (len(kw) > n and kw[-n:] == core and kw[-n - 1] not in _PREPS)


class KnownNames:
    """The names one article has seen, for :func:`normalise_holder`: its full names in order, and in
    front of them each new holder as it is found. Indexed by the last word of each name's core (a
    fuller name ends with the same word), so a lookup reads the few names that could match instead of
    every name of the article; a rank keeps the order the plain list would have."""

    __slots__ = ("_by_last", "_rank", "_seen")

    def __init__(self, persons: Iterable[str]) -> None:
        self._by_last: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        self._seen: set[str] = set()
        self._rank = 0
        for rank, name in enumerate(persons):
            self._index(name, rank)

    def _index(self, name: str, rank: int) -> None:
        self._seen.add(name)
        cleaned = _clean(name)
        kw = _core(cleaned)
        if kw:
            self._by_last.setdefault(kw[-1], []).append((rank, kw, cleaned))

    def __contains__(self, name: object) -> bool:
        return name in self._seen

    def add_first(self, name: str) -> None:
        """Put ``name`` before every name known so far (``known.insert(0, name)``)."""
        self._rank -= 1
        self._index(name, self._rank)

    def normalise(self, name: str) -> str:
        """``normalise_holder(name, known)`` for the names known so far, in that order."""
        cleaned = _clean(name)
        core = _core(cleaned)
        if not core:
            return cleaned
        best_rank, best = 0, None
        for rank, kw, form in self._by_last.get(core[-1], ()):
            if (best is None or rank < best_rank) and _fuller(kw, core):
                best_rank, best = rank, form
        return cleaned if best is None else best


@lru_cache(maxsize=8192)
def _core(cleaned: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in cleaned.split() if w.lower() not in ("the", "a", "an"))


# Two to five capitalised words not glued to a word before them. The first capital comes first in the
# pattern and the "nothing word-like before it" test right after it (a lookbehind over two characters):
# a pattern that starts with a literal class lets the regex engine skip ahead to the next capital
# instead of trying the lookbehind at every character (three times faster over an article).
_FULL_NAME = re.compile(r"[A-Z](?<![\w’'].)[\w’'-]+\.?\s+(?:[A-Z][\w’'-]+\.?\s+){0,3}[A-Z][\w’'-]+")


def _person_names(text: str) -> list[str]:
    """Full names seen anywhere in the article (two or three capitalised words after titles, not an
    organisation's), in order: what a surname maps to."""
    out: dict[str, None] = {}  # ordered and without repeats
    not_name, determiners, org_words = _NOT_NAME_WORDS, _DETERMINERS, _ORG_NAME_WORDS
    for run in _FULL_NAME.findall(text):
        words = _strip_titles(run.split())
        while words and (words[0] in not_name or words[0].lower() in determiners):
            words = words[1:]
        if not 2 <= len(words) <= 3 or not not_name.isdisjoint(words):
            continue
        if any(w.lower().rstrip(".") in org_words or w.endswith(("’s", "'s")) for w in words):
            continue
        out[" ".join(words)] = None
    return list(out)


# ---------------------------------------------------------------------------------------------
# Entities (what pronouns resolve to)


@dataclass(slots=True)
class _Entity:
    name: str
    kind: str  # person | group | org | thing
    gender: str | None = None


def _head(np_words: list[str]) -> str:
    """The head noun of a common noun phrase: the last word before a preposition or relative."""
    head = np_words[-1] if np_words else ""
    for k, w in enumerate(np_words):
        if k and (w.lower() in _PREPS or w.lower() in ("who", "that", "which")):
            head = np_words[k - 1]
            break
    return head.lower().strip(",.’'").removesuffix("’s").removesuffix("'s")


_TITLE_GENDER = dict.fromkeys(("mr", "sir", "lord", "king"), "he") | dict.fromkeys(("mrs", "ms", "miss", "lady", "dame", "queen"), "she")


def surnames(persons: Iterable[str]) -> frozenset[str]:
    """The last words of an article's full names (:func:`_person_names`), built once for :func:`_kind`."""
    return frozenset(p.split()[-1] for p in persons)


def _kind(raw: str, surnames: Collection[str], descriptor: str | None = None) -> tuple[str, str | None]:
    """person / group / org / thing for a holder or subject as written, with a gender where a title
    tells it. ``surnames``: see :func:`surnames` (a lone capitalised word that is one is a person)."""
    words = raw.split()
    if not words:
        return "thing", None
    gender = _TITLE_GENDER.get(words[0].lower().rstrip("."))
    if descriptor:
        dh = _head(descriptor.split())
        if dh in _ROLE_NOUNS:
            return "person", gender
        if dh in _ORG_NOUNS:
            return "org", None
    stripped = _strip_titles(words)
    titled = len(stripped) < len(words) and stripped[0][0].isupper()
    lowered = [w.lower().rstrip(".") for w in stripped]
    if titled:
        return "person", gender
    if all(_CAP.match(w) for w in stripped) and words[0].lower() not in _DETERMINERS:
        if not _ORG_NAME_WORDS.isdisjoint(lowered):
            return ("group" if lowered[-1] in _HUMAN_PLURALS and len(lowered) == 1 else "org"), None
        if len(stripped) in (2, 3):
            return "person", gender
        if len(stripped) == 1:
            w = stripped[0]
            if lowered[0] in _HUMAN_PLURALS:
                return "group", None
            if w in surnames:
                return "person", gender
            return "org", None
        return "org", None
    head = _head(stripped)
    if head in _HUMAN_PLURALS or (head.endswith("s") and not head.endswith("ss") and head[:-1] in _ROLE_NOUNS):
        return "group", None
    if head in _ROLE_NOUNS:
        return "person", gender
    if head in _ORG_NOUNS:
        return "org", None
    if any(_CAP.match(w) for w in stripped[1:]):
        return "org", None  # "the Valmont Port Authority", "the Chamber of Commerce"
    return "thing", None


def _compatible(e: _Entity, pronoun: str) -> bool:
    if pronoun in ("he", "she"):
        return e.kind == "person" and e.gender in (None, pronoun)
    if pronoun == "they":
        return e.kind == "group"
    return e.kind == "org"


def holder_key(name: str, known: Iterable[str] = ()) -> str:
    """What two holders are compared by: the normalised name, case-folded."""
    return normalise_holder(name, known).casefold()


class HolderNames:
    """Holder names across articles (summaries, groups): one key per normalised, case-folded name
    ("Farmers" and "farmers", "Mr. Okafor" and "Okafor"), shown in its most frequent written form
    (ties: the first in sorted order, so the name does not depend on input order). A bare surname
    is not joined to a full name from another article: it may be someone else."""

    def __init__(self) -> None:
        self._forms: dict[str, Counter[str]] = defaultdict(Counter)

    def key(self, name: str) -> str:
        """The key ``name`` is counted under (and note the form it was written in)."""
        form, key = self.form_key(name)
        self._forms[key][form] += 1
        return key

    @staticmethod
    def form_key(name: str) -> tuple[str, str]:
        """The form ``name`` is written in and the key it is counted under, noting nothing: what a
        scoring worker computes for :meth:`add_forms` in the process that adds up."""
        form = normalise_holder(name)
        return form, form.casefold()

    def add_forms(self, forms: dict[str, Counter[str]]) -> None:
        """Note written forms counted elsewhere (per key), as if :meth:`key` had seen each."""
        for key, counts in forms.items():
            self._forms[key].update(counts)

    def name(self, key: str) -> str:
        forms = self._forms.get(key)
        return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0] if forms else key
