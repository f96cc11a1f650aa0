"""stance.ngrams: the vectorised word and stem n-gram path gives scikit-learn's matrix, number for
number, so that scoring's predictions and evidence are those of the vectorizers the model was fitted with;
and its vectorised fit leaves the vectorizers as scikit-learn's own fit does (vocabulary, idf, matrix)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

import stance.ngrams
from stance.artifact import load_model_cached
from stance.features import TextFeatures
from stance.ngrams import FastNgrams
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]
EDGE = [
    "",
    "   ",
    '"We did not do it," he said. Did they?!',
    "don't stop-it ’now’ -- x - y' 'z a--b _a_ __ 1.5 3,000",
    "ΟΔΟΣ” ΣΑΣ «ΣΑΣ» Σ",  # str.lower() is context-dependent for a capital sigma
    "İstanbul ß ﬁ Ǆ",
    "tab\tnew\nline\r\nend",
    "a\x00b",  # the batch separator inside a text: the union's own transform is used
]


def real_texts(n: int | None = None) -> list[str]:
    out = []
    for name in ("seeds/real/test.jsonl", "seeds/corpus/test.jsonl", "seeds/out-of-style/test.jsonl"):
        with open(ROOT / name, encoding="utf-8") as fh:
            out += [json.loads(line)["text"] for line in fh]
    return out[:n]


def assert_same_matrix(a: Any, b: Any) -> None:
    a, b = a.tocsr(), b.tocsr()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # bit for bit, not approximately


@pytest.fixture(scope="module")
def default_features(default_model: Path) -> TextFeatures:
    return load_model_cached(str(default_model)).features_


def test_default_model_uses_the_fast_path(default_features: TextFeatures) -> None:
    fast = default_features._fast_ngrams()
    assert isinstance(fast, FastNgrams)
    assert [t is not None for t in fast.tables] == [True, True]  # word and stem n-grams


def test_same_matrix_as_scikit_learn_on_real_text(default_features: TextFeatures) -> None:
    texts = real_texts() + EDGE[:-1]
    assert_same_matrix(default_features.transform(texts), default_features.union_.transform(texts))
    for one in EDGE:  # one text at a time, and a batch holding the separator
        assert_same_matrix(default_features.transform([one]), default_features.union_.transform([one]))
    assert_same_matrix(default_features.transform(EDGE), default_features.union_.transform(EDGE))


def test_same_predictions_and_evidence_as_scikit_learn(default_model: Path) -> None:
    model = load_model_cached(str(default_model))
    texts = real_texts(1500)
    fast = model.transform(texts)
    slow = model.features_.union_.transform(texts)
    P = model.predict_proba(texts)
    assert np.array_equal(P, model.predict_proba(texts, features=slow))
    D = model.decide(P)
    rows = np.flatnonzero(D.any(axis=1))
    assert len(rows) > 50
    sub = [texts[i] for i in rows]
    assert (
        model.explain(sub, only=D[rows]) == model.explain(sub, only=D[rows], features=slow[rows]) == reference_explain(model, sub, D[rows])
    )
    assert np.array_equal(fast.toarray()[:5], slow.toarray()[:5])


def reference_explain(model: Any, texts: list[str], only: np.ndarray, top_k: int = 5) -> list[dict[str, list[list[Any]]]]:
    """Evidence term by term in Python (what the vectorised explain replaced)."""
    F = model.features_.union_.transform(texts).tocsr()
    W = model._coefficients()
    names = model.features_.term_names()
    out = []
    for i in range(len(texts)):
        cols, vals = F.indices[F.indptr[i] : F.indptr[i + 1]], F.data[F.indptr[i] : F.indptr[i + 1]]
        per_label = {}
        for j, label in enumerate(model.labels_):
            if not only[i, j]:
                continue
            contrib = vals * W[j, cols]
            by_term: dict[str, float] = {}
            for k in np.flatnonzero(contrib > 0).tolist():
                term = names[cols[k]]
                if term is not None:
                    by_term[term] = by_term.get(term, 0.0) + float(contrib[k])
            ranked = sorted(by_term.items(), key=lambda kv: -kv[1])[:top_k]
            per_label[label] = [[t, round(v, 4)] for t, v in ranked]
        out.append(per_label)
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"word_ngrams": (1, 2), "stem_ngrams": (1, 2)},
        {"word_ngrams": (1, 1), "stem_ngrams": (2, 2), "stem_length": 3},
        {"word_ngrams": (2, 2), "stem_ngrams": None, "min_df": 2},
        {"word_ngrams": (1, 2), "char_ngrams": (2, 3), "constructions": True},  # parts left to scikit-learn
        {"word_ngrams": (1, 2), "max_features": 40, "max_df": 0.5},  # bigrams whose words were pruned
    ],
)
def test_same_matrix_for_other_settings(params: dict[str, Any]) -> None:
    texts = [t for t, _ in TINY] + real_texts(300)
    f = TextFeatures(**params).fit(texts)
    assert f._fast_ngrams() is not None
    other = real_texts(600)[300:] + EDGE
    assert_same_matrix(f.transform(other), f.union_.transform(other))


def test_parts_it_cannot_reproduce_are_left_alone() -> None:
    texts = [t for t, _ in TINY]
    for params in ({"word_ngrams": (1, 3)}, {"word_ngrams": (1, 2), "mask_names": True}, {"word_ngrams": (1, 2), "stop_words": ("the",)}):
        f = TextFeatures(**params).fit(texts)
        assert f._fast_ngrams() is None
        assert_same_matrix(f.transform(texts), f.union_.transform(texts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab cΣσς'’-?!\"“”.\n_1İé")), max_size=30), min_size=1, max_size=6))
def test_same_matrix_on_arbitrary_text(default_features: TextFeatures, texts: list[str]) -> None:
    assert_same_matrix(default_features.transform(texts), default_features.union_.transform(texts))


# ---------------------------------------------------------------------------------------------
# The fit: fast_fit(params, texts) against scikit-learn's FeatureUnion.fit_transform of the same parts

FIT_EDGE = [
    "",
    "   ",
    "?!",
    "... -- ’’ '' \"\" «»",  # punctuation only
    "don't-stop rock'n'roll ’tis o’clock 'quoted' re-enter -- x-- --y a-’b",
    "Don't stop; DON'T STOP! don’t stop?",
    "ΟΔΟΣ” ΣΑΣ «ΣΑΣ» Σ ΣΑΣ”",  # str.lower() is context-dependent for a capital sigma
    "İstanbul ß ﬁ Ǆ Ǆ café cafe\u0301 日本語の文 ١٢٣ _ __a__",
    "tab\tnew\nline\r\nend",
    "the the the the the",
    "a b a b a b",
]


def corpus_texts(n: int | None = None) -> list[str]:
    with open(ROOT / "seeds" / "corpus" / "train.jsonl", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh][:n]


def assert_same_fit(params: dict[str, Any], texts: list[str], fast_parts: int | None = None) -> TextFeatures:
    """The fitted TextFeatures is the one scikit-learn's fit gives: the matrix entry for entry in its
    storage order (liblinear's sums follow it), each vectorizer's attributes, vocabulary (items, order,
    value types) and idf to the bit; ``fast_parts``: how many parts the fast fit must have fitted."""
    f = TextFeatures(**params)
    calls: list[bool] = []
    fit_part = stance.ngrams.fit_part

    def counted(*args: Any) -> Any:
        out = fit_part(*args)
        calls.append(out is not None)
        return out

    stance.ngrams.fit_part = counted
    try:
        F = f.fit_transform(texts)
    finally:
        stance.ngrams.fit_part = fit_part
    ref = FeatureUnion(TextFeatures(**params)._make_parts())
    R = ref.fit_transform(texts)
    assert type(F) is type(R) and F.dtype == R.dtype and F.shape == R.shape
    for key in ("indptr", "indices", "data"):
        a, b = getattr(F, key), getattr(R, key)
        assert a.dtype == b.dtype and np.array_equal(a, b), key
    assert list(vars(f.union_)) == list(vars(ref))
    for (name, a), (_, b) in zip(f.union_.transformer_list, ref.transformer_list):
        assert list(vars(a)) == list(vars(b)), name
        if isinstance(a, TfidfVectorizer):
            assert list(a.vocabulary_.items()) == list(b.vocabulary_.items())
            assert [type(v) for v in a.vocabulary_.values()] == [type(v) for v in b.vocabulary_.values()]
            assert a.idf_.dtype == b.idf_.dtype and a.idf_.tobytes() == b.idf_.tobytes()
            assert vars(a._tfidf).keys() == vars(b._tfidf).keys()
    if fast_parts is not None:
        assert sum(calls) == fast_parts
    return f


@pytest.mark.parametrize(
    "params, fast_parts",
    [
        ({"word_ngrams": (1, 2), "stem_ngrams": (1, 2)}, 2),  # the default recipe
        ({"word_ngrams": (1, 1), "stem_ngrams": (2, 2), "stem_length": 3}, 2),
        ({"word_ngrams": (2, 2), "stem_ngrams": (1, 1), "min_df": 2}, 2),
        ({"word_ngrams": (1, 2), "stem_ngrams": (1, 2), "min_df": 3, "max_df": 0.05}, 2),
        ({"word_ngrams": (1, 2), "min_df": 0.001, "max_df": 40}, 1),  # a share and a count
        ({"word_ngrams": (1, 2), "stem_ngrams": (1, 2), "max_features": 2000}, 2),
        ({"word_ngrams": (1, 2), "max_features": 50, "max_df": 0.5, "min_df": 2}, 1),  # ties among the kept
        ({"word_ngrams": (1, 2), "char_ngrams": (2, 3), "constructions": True}, 1),  # the rest left to scikit-learn
        ({"word_ngrams": (1, 3), "stem_ngrams": (1, 2)}, 1),  # trigrams: scikit-learn's fit
        ({"word_ngrams": (1, 2), "stop_words": ("the",), "mask_names": True}, 0),
    ],
)
def test_fast_fit_is_scikit_learns_fit_on_the_corpus(params: dict[str, Any], fast_parts: int) -> None:
    texts = corpus_texts() if fast_parts == 2 and len(params) == 2 else corpus_texts(2500) + FIT_EDGE
    f = assert_same_fit(params, texts, fast_parts)
    other = real_texts(400) + EDGE  # then the transform, through the tables the fit gave
    assert_same_matrix(f.transform(other), f.union_.transform(other))
    if fast_parts:
        assert f._fast_ngrams() is not None


@pytest.mark.parametrize(
    "params",
    [
        {"word_ngrams": (1, 2), "stem_ngrams": (1, 2)},
        {"word_ngrams": (1, 2), "stem_ngrams": (1, 2), "min_df": 2},
        {"word_ngrams": (1, 2), "stem_ngrams": (2, 2), "max_df": 0.3},
        {"word_ngrams": (1, 2), "max_features": 7},
    ],
)
def test_fast_fit_on_edge_cases(params: dict[str, Any]) -> None:
    assert_same_fit(params, FIT_EDGE + FIT_EDGE[3:], fast_parts=1 + ("stem_ngrams" in params))
    for one in FIT_EDGE:  # one text alone: a vocabulary, or scikit-learn's error
        assert_same_outcome(params, [one])
    assert_same_fit(params, ["a\x00b", "c d", "c d", *FIT_EDGE], fast_parts=0)  # the batch separator inside a text: scikit-learn's fit


def assert_same_outcome(params: dict[str, Any], texts: list[str]) -> None:
    """The same fit as scikit-learn's, or the same error."""
    try:
        FeatureUnion(TextFeatures(**params)._make_parts()).fit_transform(texts)
    except ValueError as exc:
        with pytest.raises(ValueError) as ours:
            TextFeatures(**params).fit_transform(texts)
        assert str(ours.value) == str(exc)
    else:
        assert_same_fit(params, texts)


@pytest.mark.parametrize(
    "params, texts",
    [
        ({}, ["", "  ", "?"]),  # ? and ! are tokens: "?" alone is a vocabulary, "" and "--" are not
        ({}, ["", "--", "'"]),
        ({"min_df": 5}, ["a b", "b c", "c d"]),
        ({"min_df": 3, "max_df": 2}, ["a b", "b c", "c d"]),
        ({"max_df": 0.1}, ["a b", "a b", "a b"]),
    ],
)
def test_fast_fit_fails_as_scikit_learn_does(params: dict[str, Any], texts: list[str]) -> None:
    assert_same_outcome(params, texts)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list("ab cΣσς'’-?!\"“”.\n_1İé")), max_size=30), min_size=1, max_size=8),
    st.sampled_from([{}, {"min_df": 2}, {"max_df": 0.5}, {"max_features": 4}, {"stem_length": 1, "word_ngrams": (2, 2)}]),
)
def test_fast_fit_on_arbitrary_text(texts: list[str], extra: dict[str, Any]) -> None:
    assert_same_outcome({"word_ngrams": (1, 2), "stem_ngrams": (1, 2), **extra}, texts)


def test_fast_fit_pickles_to_the_same_model() -> None:
    """A model fitted the fast way, saved and loaded, transforms as before (tables from its vocabularies)."""
    import pickle

    f = TextFeatures(word_ngrams=(1, 2), stem_ngrams=(1, 2), min_df=2).fit(corpus_texts(3000))
    g = pickle.loads(pickle.dumps(f))
    other = real_texts(500) + EDGE
    assert_same_matrix(f.transform(other), g.transform(other))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="possessive quantifiers need Python 3.11")
def test_possessive_token_pattern_finds_the_plain_patterns_tokens() -> None:
    """Python 3.10 uses the plain pattern, 3.11+ the possessive one: the same tokens either way."""
    import re

    from stance.ngrams import TOKENS_PLAIN, TOKENS_POSSESSIVE

    texts = []
    for path in sorted((ROOT / "seeds").rglob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts += [json.loads(line).get("text", "") for line in fh]
    texts += ["it's--a well-known -- co-op's 'quoted' word’s end- -start ?! a\x00b", "Ünïcödé-wörds' über’all"]
    joined = "\x00".join(t.lower() for t in texts if isinstance(t, str))
    assert re.findall(TOKENS_POSSESSIVE, joined) == re.findall(TOKENS_PLAIN, joined)
