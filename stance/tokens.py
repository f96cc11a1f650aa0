"""The n-gram parts' tokens, found with NumPy over a text's code points instead of a regex.

Why: the regex ``\\w+(?:['’-]+\\w+)*|[?!\\x00]`` (``stance.ngrams``) and a Python pass over its
tokens were two thirds of the features stage of `stance score`. Here a batch's text is read as an
array of code points; each code point gets a class (a word character as ``re`` defines ``\\w`` for
str patterns, a joiner ``'`` ``’`` ``-``, one of ``?`` ``!`` and the separator ``\\x00``, or other),
and tokens come from array operations on the classes: the same tokens as the regex, in any text.

Tokens are identified by polynomial hashes (mod 2^64) from prefix sums. A hash only says where to
look: whoever groups or looks tokens up by hash compares their code points exactly (:meth:`Tokens.same`)
and falls back to an exact path where they differ, so a collision can never change a result.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys

import numpy as np

SEP = "\x00"  # joins a batch's texts: never part of a token, and a word boundary like a text's own ends
# TOKEN_PATTERN's tokens (plus the separator), found a third faster: from a word character, a token
# is the longest run of word characters, apostrophes and hyphens that ends in a word character; the
# leading \b never fails in a left-to-right scan, since every match ends before a non-word character.
# Possessive quantifiers (a tenth faster; Python 3.11+) match the same: backing off never lets a
# hyphen run end in \w (a test compares the two patterns on the corpus). The fallback of Tokens.
TOKENS_PLAIN = r"(?u)\w+(?:['’-]+\w+)*|[?!" + SEP + "]"
TOKENS_POSSESSIVE = r"(?u)\w++(?:['’-]++\w++)*+|[?!" + SEP + "]"
TOKENS_RX = re.compile(TOKENS_POSSESSIVE if sys.version_info >= (3, 11) else TOKENS_PLAIN)
WORD, PUNCT, JOIN = 1, 2, 3  # other: 0; classes 0 and 2 (even) end a token's run of words and joiners
JOINERS = "'’-"
PUNCTS = "?!" + SEP
_W = re.compile(r"(?u)\w")
_BASE = 0x9E3779B97F4A7C15  # odd: invertible mod 2^64
_CACHED = 1 << 18  # powers kept between calls (4 MB; a chunk of `stance score` is ~40k code points)


@functools.lru_cache(maxsize=1)
def _bmp_classes() -> np.ndarray:
    """Each Basic Multilingual Plane code point's class (the rest are looked up per distinct one)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    words = "".join(_W.findall("".join(map(chr, range(0x10000)))))
    table[code_points(words)] = WORD
    table[code_points(JOINERS)] = JOIN
    table[code_points(PUNCTS)] = PUNCT
    return table


def code_points(text: str) -> np.ndarray:
    """The text's code points (lone surrogates included: they are code points of a str too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def classes(cp: np.ndarray) -> np.ndarray:
    """Each code point's class: ``WORD``, ``JOIN``, ``PUNCT`` or 0."""
    table = _bmp_classes()
    if not len(cp) or int(cp.max()) < 0x10000:
        return table[cp]
    high = cp >= 0x10000
    cls = table[np.where(high, 0, cp)]
    distinct = np.unique(cp[high])  # astral code points: none is a joiner or punctuation
    word = np.array([_W.match(chr(c)) is not None for c in distinct.tolist()], dtype=bool)
    cls[high] = np.where(word[np.searchsorted(distinct, cp[high])], WORD, 0)
    return cls


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``_BASE ** k`` and its inverse mod 2^64 for k < n (uint64 products wrap: that is the modulus)."""
    cached = _powers_upto(_CACHED)
    if n <= _CACHED:
        return cached[0][:n], cached[1][:n]
    return _power_table(n)


@functools.lru_cache(maxsize=1)
def _powers_upto(n: int) -> tuple[np.ndarray, np.ndarray]:
    return _power_table(n)


def _power_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for base in (_BASE, pow(_BASE, -1, 1 << 64)):
        p = np.full(n, base, dtype=np.uint64)
        if n:
            p[0] = 1
        out.append(np.cumprod(p))
    return out[0], out[1]


def hash_code_points(cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The polynomial hash of each ``cp[start:end]``: sum of ``cp[start + j] * _BASE ** j`` mod 2^64."""
    return span_hashes(prefix_hashes(cp), starts, ends)


def prefix_hashes(cp: np.ndarray) -> np.ndarray:
    """``sum(cp[:i] * _BASE ** arange(i))`` for each i: any span's hash in three gathers."""
    prefix = np.zeros(len(cp) + 1, dtype=np.uint64)
    np.multiply(cp, _powers(len(cp))[0], out=prefix[1:])
    np.cumsum(prefix[1:], out=prefix[1:])  # in place: no second array as long as the text
    return prefix


def span_hashes(prefix: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return (prefix[ends] - prefix[starts]) * _powers(len(prefix) - 1)[1][starts]


class Tokens:
    """A text's tokens, in text order: ``starts``, ``ends`` (code point offsets) and their hashes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cp = cp = code_points(text)
        cls = classes(cp)
        word = cls == WORD  # a token: runs of word characters with joiners between them, or a punctuation mark
        first, last = word.copy(), word.copy()
        first[1:] &= ~word[:-1]  # a run of words starts after a non-word character
        last[:-1] &= ~word[1:]
        join = np.flatnonzero(cls == JOIN)
        if len(join):  # a run of joiners with words on both sides: no end before it, no start after it
            a = join[np.concatenate(([True], join[1:] != join[:-1] + 1))]
            b = join[np.concatenate((join[1:] != join[:-1] + 1, [True]))] + 1
            inner = (a > 0) & (b < len(cp))
            a, b = a[inner], b[inner]
            glue = word[a - 1] & word[b]
            last[a[glue] - 1] = False
            first[b[glue]] = False
        punct = cls == PUNCT
        self.starts = np.flatnonzero(first | punct)  # in text order, without a sort
        self.ends = np.flatnonzero(last | punct) + 1

    def __len__(self) -> int:
        return len(self.starts)

    def strings(self, which: np.ndarray) -> list[str]:
        """The tokens ``which`` as strings (one slice each)."""
        text = self.text
        return [text[s:e] for s, e in zip(self.starts[which].tolist(), self.ends[which].tolist())]

    def separators(self) -> np.ndarray:
        """Whether each token is the separator ``\\x00``."""
        return self.cp[self.starts] == 0

    @functools.cached_property
    def docs(self) -> np.ndarray:
        """Each token's text in a batch joined by the separator (-1 for the separators)."""
        is_sep = self.separators()
        return np.where(is_sep, -1, np.cumsum(is_sep))

    @functools.cached_property
    def prefix(self) -> np.ndarray:
        return prefix_hashes(self.cp)

    def hashes(self, length: int | None = None, which: np.ndarray | None = None) -> np.ndarray:
        """Each token's hash (of tokens ``which``), or the hash of its first ``length`` code points (a stem)."""
        starts, ends = (self.starts, self.ends) if which is None else (self.starts[which], self.ends[which])
        return span_hashes(self.prefix, starts, ends if length is None else np.minimum(ends, starts + length))

    def same(self, which: np.ndarray, other: np.ndarray, length: int | None = None) -> bool:
        """Whether tokens ``which`` equal tokens ``other`` of the same text (their first ``length``
        code points for stems), all of them, compared code point by code point."""
        return equal_spans(self.cp, self.starts, self.ends, which, self.cp, self.starts[other], self.ends[other], length)

    def distinct(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each distinct token's first occurrence (in text order) and each token's first occurrence,
        or None where two different tokens share a hash (then the caller uses the regex)."""
        _, first, inverse = np.unique(self.hashes(), return_index=True, return_inverse=True)
        rep = first[inverse.ravel()]
        other = np.flatnonzero(rep != np.arange(len(rep)))
        if not self.same(other, rep[other]):
            return None
        return np.sort(first), rep


class Vocabulary:
    """Strings as one array of code points with offsets and hashes: what :class:`Tokens` are looked
    up in by hash, then compared with (:func:`equal_spans`)."""

    def __init__(self, words: list[str]) -> None:
        self.cp = code_points("".join(words))
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        self.ends = np.cumsum(lengths)
        self.starts = self.ends - lengths
        self.hashes = hash_code_points(self.cp, self.starts, self.ends)


def table_keys(hashes: np.ndarray) -> np.ndarray:
    """Token hashes as keys >= 0 (``stance.arrays.PairTable``'s): the top 63 bits of the hash times an
    odd number (a bijection). Why not the hash's own: tokens that differ by one in their first code
    point have polynomial hashes that differ by one, often in the lowest bit alone."""
    return ((hashes * np.uint64(0xD6E8FEB86659FD93)) >> np.uint64(1)).astype(np.int64)


def equal_spans(
    cp: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    which: np.ndarray,
    cp2: np.ndarray,
    starts2: np.ndarray,
    ends2: np.ndarray,
    length: int | None = None,
) -> bool:
    """Whether ``cp[starts[i]:ends[i]]`` equals ``cp2[starts2[j]:ends2[j]]`` for each ``i = which[j]``
    (both cut to ``length`` code points where given): lengths first, then all code points at once."""
    s = starts[which]
    n = ends[which] - s
    n2 = ends2 - starts2
    if length is not None:
        n, n2 = np.minimum(n, length), np.minimum(n2, length)
    if not np.array_equal(n, n2):
        return False
    total = int(n.sum())
    if not total:
        return True
    small = max(len(cp), len(cp2), total) < 2**31  # int32 offsets: half the memory traffic
    kind = np.int32 if small else np.int64
    at = np.arange(total, dtype=kind)  # each code point's slot, then its offset in cp, then in cp2
    at += np.repeat((s - (np.cumsum(n) - n)).astype(kind), n)
    mine = cp[at]
    at += np.repeat((starts2 - s).astype(kind), n)
    return bool(np.array_equal(mine, cp2[at]))


def regex_tokens(text: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """What :meth:`Tokens.distinct` gives, by the regex and a dict pass (its fallback): the distinct
    tokens, their first positions, each token's first position and whether it is the separator."""
    toks = TOKENS_RX.findall(text)
    index: dict[str, int] = {}
    pos = np.fromiter(map(index.setdefault, toks, itertools.count()), dtype=np.int64, count=len(toks))
    first = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    return list(index), first, pos, pos == index.get(SEP, -1)
