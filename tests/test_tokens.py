"""stance.tokens: the NumPy tokeniser finds the regex's tokens in any text, and a hash collision
never changes what a batch's tokens are (the regex takes over)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import stance.tokens
from stance.ngrams import BatchTokens, strip_quotes_lower
from stance.tokens import JOIN, PUNCT, SEP, TOKENS_RX, WORD, Tokens, classes, code_points, regex_tokens

ROOT = Path(__file__).resolve().parents[1]
EDGE = [
    "",
    " ",
    SEP,
    SEP * 3,
    "?!?",
    "-",
    "'’-",
    "-a-",
    "a-",
    "'a",
    "rock-'n'-roll",
    "a--b-- -c d'’e",
    "x-’-y x-?y",
    "1.5 3,000 42",
    "_a_ __ _",
    "漢字 テスト 한국어",
    "e\u0301te n\u0303 \u0301a",  # combining marks
    "😀a😀 b😀c",
    "𝐀𝐁c 𐍈x 𝟙2",  # astral letters and digits
    "İstanbul".lower(),  # two code points for one letter
    "ΟΔΟΣ ΣΑΣ".lower(),  # final sigma
    "a\ud800b",  # a lone surrogate
    "tab\tnew\nline\r\nend\x0bv\x1ff",
]


def _regex(text: str) -> list[str]:
    return TOKENS_RX.findall(text)


def _fast(text: str) -> list[str]:
    toks = Tokens(text)
    return toks.strings(np.arange(len(toks)))


def _seed_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "seeds").rglob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts += [json.loads(line).get("text", "") for line in fh if line.strip()]
    return texts


def test_classes_agree_with_re_for_every_code_point() -> None:
    cp = np.arange(0x110000, dtype=np.uint32)
    cls = classes(cp)
    word = np.zeros(0x110000, dtype=bool)
    chars = "".join(map(chr, range(0x110000)))
    word[code_points("".join(re.findall(r"(?u)\w", chars)))] = True
    assert np.array_equal(cls == WORD, word)
    assert sorted(np.flatnonzero(cls == JOIN).tolist()) == sorted(map(ord, "'’-"))
    assert sorted(np.flatnonzero(cls == PUNCT).tolist()) == sorted(map(ord, "?!\x00"))


@pytest.mark.parametrize("text", EDGE)
def test_edge_cases_give_the_regex_tokens(text: str) -> None:
    assert _fast(text) == _regex(text)
    assert _fast(SEP.join([text, text, "x"])) == _regex(SEP.join([text, text, "x"]))


def test_random_runs_of_words_joiners_and_marks_give_the_regex_tokens() -> None:
    rng = np.random.default_rng(11)
    alphabet = np.array(list("ab1_'’-- ?!.") + [SEP, "é"])
    for _ in range(3000):  # joiner runs at either end, between words, beside marks and separators
        text = "".join(rng.choice(alphabet, int(rng.integers(0, 14))))
        assert _fast(text) == _regex(text), repr(text)


def test_seed_corpora_give_the_regex_tokens() -> None:
    texts = _seed_texts()
    assert len(texts) > 1000
    for text in texts:
        low = text.lower()
        assert _fast(low) == _regex(low), text
    joined = SEP.join(texts)
    for reading in (joined.lower(), strip_quotes_lower(joined)):
        assert _fast(reading) == _regex(reading)


def test_distinct_tokens_are_the_dict_pass() -> None:
    text = SEP.join(t.lower() for t in [*EDGE, *_seed_texts()[:500]])
    toks = Tokens(text)
    found = toks.distinct()
    assert found is not None
    uniques, first, pos, is_sep = regex_tokens(text)
    assert toks.strings(found[0]) == uniques
    assert np.array_equal(found[0], first) and np.array_equal(found[1], pos)
    assert np.array_equal(toks.separators(), is_sep)


def test_stem_hashes_are_the_hashes_of_the_cut_tokens() -> None:
    text = "abcdef ab abcd x 😀abc"
    toks = Tokens(text)
    cut = [t[:4] for t in toks.strings(np.arange(len(toks)))]
    again = Tokens(" ".join(cut))
    assert np.array_equal(toks.hashes(4), again.hashes())
    assert len(np.unique(toks.hashes())) == len(set(toks.strings(np.arange(len(toks)))))


def test_equal_spans_compares_code_points() -> None:
    toks = Tokens("abc abd abc ab")
    idx = np.arange(4)
    assert toks.same(np.array([0]), np.array([2]))
    assert not toks.same(np.array([0]), np.array([1]))
    assert not toks.same(np.array([0]), np.array([3]))  # lengths differ
    assert toks.same(np.array([0, 1]), np.array([3, 3]), length=2)
    assert toks.same(idx[:0], idx[:0])


def test_a_hash_collision_falls_back_to_the_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Hello world, hello!", "It's rock-'n'-roll?", "ΟΔΟΣ ΣΑΣ"]
    want = BatchTokens(texts, strip_quotes_lower).tokens(stem=False)
    monkeypatch.setattr(stance.tokens.Tokens, "hashes", lambda self, length=None: np.zeros(len(self), dtype=np.uint64))
    assert Tokens("a b").distinct() is None
    got = BatchTokens(texts, strip_quotes_lower).tokens(stem=False)
    assert got[0] == want[0]
    for a, b in zip(got[1:], want[1:]):
        assert np.array_equal(a, b)


def test_long_texts_compute_their_own_powers(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "ab cd ab ef-gh " * 20
    want = Tokens(text).hashes()
    monkeypatch.setattr(stance.tokens, "_CACHED", 8)
    assert np.array_equal(Tokens(text).hashes(), want)
