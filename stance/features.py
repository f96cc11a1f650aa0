"""Sentence -> feature matrix: word, character and stem n-grams (TF-IDF or hashed), construction cues
(:mod:`stance.cues`) and optionally sentence embeddings, joined by scikit-learn's ``FeatureUnion``.
Every column has a name (:meth:`TextFeatures.get_feature_names_out`), which is what makes evidence
("which n-grams pushed this score") work for any recipe.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils import murmurhash3_32
from sklearn.utils.validation import check_is_fitted

from stance.config import FeaturesConfig
from stance.cues import ConstructionFeatures, construction_hits
from stance.ngrams import QUOTES_RX, FastNgrams, NgramTable, Spec, fit_union, strip_quotes_lower
from stance.terms import PackedTerms, pack_terms

# Words with apostrophes and hyphens stay whole ("didn't", "cease-fire"); question and exclamation
# marks are tokens. Quotation marks are not: in a news corpus they mark where stances are quoted,
# and a model that learns them fails on speeches, columns and posts, which quote nothing.
TOKEN_PATTERN = r"(?u)\b\w[\w'’-]*\w\b|\b\w\b|[?!]"

# ---------------------------------------------------------------------------------------------


class TextFeatures(TransformerMixin, BaseEstimator):
    """The feature parts a config switches on, joined by a scikit-learn ``FeatureUnion``.

    Why a wrapper and not a ``FeatureUnion`` subclass: its parameters are the config's ``[features]``
    keys (``word_ngrams``, ``min_df``, ...), so ``clone``, ``set_params`` and searches
    (``features__word_ngrams``) work on what users write in configs; ``fit`` builds the union from
    them (``union_``). Columns are named ``PART__TERM`` (``word__answer will``,
    ``constructions__<threat_unless>``); hashed n-grams, which cannot be named without the sentence,
    are ``word__hash_COLUMN``.
    """

    def __init__(
        self,
        kind: str = "tfidf",
        word_ngrams: tuple[int, int] | None = (1, 2),
        char_ngrams: tuple[int, int] | None = None,
        stem_ngrams: tuple[int, int] | None = None,
        stem_length: int = 5,
        mask_names: bool = False,
        stop_words: tuple[str, ...] | None = None,
        min_df: int = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        n_features: int = 2**20,
        constructions: bool = False,
        constructions_weight: float = 1.0,
        embedding_model: str | None = None,
        embedding_batch_size: int = 64,
    ) -> None:
        self.kind = kind
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.stem_ngrams = stem_ngrams
        self.stem_length = stem_length
        self.mask_names = mask_names
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.n_features = n_features
        self.constructions = constructions
        self.constructions_weight = constructions_weight
        self.embedding_model = embedding_model
        self.embedding_batch_size = embedding_batch_size

    def _make_parts(self) -> list[tuple[str, Any]]:
        parts: list[tuple[str, Any]] = []
        ngram_kind = "hashing" if self.kind == "hashing" else "tfidf"
        if self.kind in ("tfidf", "hashing", "tfidf+embeddings"):
            if self.word_ngrams:
                parts.append(("word", _ngram_part(ngram_kind, "word", tuple(self.word_ngrams), self)))
            if self.char_ngrams:
                parts.append(("char", _ngram_part(ngram_kind, "char_wb", tuple(self.char_ngrams), self)))
            if self.stem_ngrams:
                stems = StemAnalyzer(tuple(self.stem_ngrams), self.stem_length, self.mask_names)
                parts.append(("stem", _ngram_part(ngram_kind, stems, (1, 1), self)))
        if self.constructions:
            parts.append(("constructions", ConstructionFeatures(self.constructions_weight)))
        if self.kind in ("embeddings", "tfidf+embeddings"):
            from stance.embeddings import EmbeddingFeatures

            parts.append(("embeddings", EmbeddingFeatures(self.embedding_model, self.embedding_batch_size)))
        return parts

    def fit(self, X: Any, y: Any = None) -> TextFeatures:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        """The union's fit_transform; word and stem TF-IDF parts are fitted by counting with NumPy
        (:func:`stance.ngrams.fit_union`), which leaves them as scikit-learn's own fit would, vocabulary,
        idf and matrix alike, and gives their transform tables with them."""
        X = list(X)
        self.union_ = FeatureUnion(self._make_parts())
        F, fast = fit_union(self.union_, X, _spec_for, _table_for, plain_text)
        F = sp.csr_matrix(F)
        self._fast_cache = (self.union_, fast)
        widths = [_width(part) for _, part in self.union_.transformer_list]
        self.offsets_ = np.cumsum([0] + widths).tolist()
        self.n_features_out_ = int(self.offsets_[-1])
        return F

    def transform(self, X: Any) -> sp.csr_matrix:
        """The union's transform; word and stem TF-IDF parts go through :class:`FastNgrams`, which
        gives the same matrix as their vectorizers without per-token Python work."""
        check_is_fitted(self, "union_")
        X = list(X)
        fast = self._fast_ngrams()
        if fast is None:
            return sp.csr_matrix(self.union_.transform(X))
        return sp.csr_matrix(fast.transform(X))

    def _fast_ngrams(self) -> FastNgrams | None:
        """Built once per fitted model and process (never pickled): None when no part qualifies."""
        cache = self.__dict__.get("_fast_cache")
        if cache is None or cache[0] is not self.union_:
            cache = (self.union_, FastNgrams.build(self.union_, _table_for, plain_text))
            self._fast_cache = cache
        return cache[1]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``PART__TERM`` for every column, in column order."""
        check_is_fitted(self, "union_")
        names: list[str] = []
        for name, part in self.union_.transformer_list:
            if _is_hashing(part):
                names += [f"{name}__hash_{j}" for j in range(_width(part))]
            else:
                names += [f"{name}__{term}" for term in part.get_feature_names_out()]
        return np.array(names, dtype=object)

    def term_names(self) -> list[str | None] | None:
        """Every column's readable term without its part (``answer will``, ``<threat_unless>``), for
        evidence: None for columns that stand for no term (embeddings), and None altogether when a
        part cannot be named without the sentence (hashing; see :meth:`column_terms`)."""
        check_is_fitted(self, "union_")
        names: list[str | None] = [None] * self.n_features_out_
        for (name, part), offset in zip(self.union_.transformer_list, self.offsets_):
            if _is_hashing(part):
                return None
            if name == "embeddings":
                continue
            for col, term in enumerate(part.get_feature_names_out()):
                names[offset + col] = str(term)
        return names

    def column_terms(self, text: str) -> dict[int, str]:
        """Map the columns that ``text`` activates to readable terms (n-grams and cue names)."""
        out: dict[int, str] = {}
        for (name, part), offset in zip(self.union_.transformer_list, self.offsets_):
            if name == "constructions":
                index = {n: j for j, n in enumerate(part.names_)}
                for cue in construction_hits(text):
                    if cue in index:
                        out[offset + index[cue]] = f"<{cue}>"
            elif name in ("word", "char", "stem"):
                vec = part.steps[0][1] if hasattr(part, "steps") else part
                analyzer = vec.build_analyzer()
                for term in analyzer(text):
                    col = _term_column(vec, term)
                    if col is not None:
                        out[offset + col] = term
        return out

    def __getstate__(self) -> dict[str, Any]:
        """The fitted n-gram vocabularies as two arrays each (UTF-8 bytes, term lengths) instead of
        dicts of hundreds of thousands of terms: skops writes a dict entry by entry (the default model
        was a 310 MB file that took a minute to load), and pickle is quicker with arrays too."""
        state = dict(super().__getstate__())  # object.__getstate__ is the live __dict__, not a copy
        state.pop("_fast_cache", None)  # lookup tables of this process (see _fast_ngrams)
        union = state.get("union_")
        if union is not None:
            compact: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            parts = []
            for name, part in union.transformer_list:
                if isinstance(part, TfidfVectorizer) and isinstance(getattr(part, "vocabulary_", None), dict):
                    compact[name] = _pack_terms(part.vocabulary_)
                    part = copy.copy(part)
                    del part.vocabulary_
                parts.append((name, part))
            union = copy.copy(union)
            union.transformer_list = parts
            state["union_"] = union
            state["vocabularies_"] = compact
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        compact = state.pop("vocabularies_", {})
        super().__setstate__(state)
        for name, part in getattr(self, "union_", FeatureUnion([])).transformer_list:
            if name in compact:
                part.vocabulary_ = _unpack_terms(*compact[name])


def _pack_terms(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """A term -> column dict as (UTF-8 bytes of the terms in column order, byte length of each)."""
    data, ends = pack_terms(sorted(vocabulary, key=vocabulary.__getitem__))
    return data, np.diff(ends, prepend=0)


def _unpack_terms(data: np.ndarray, lengths: np.ndarray) -> dict[str, int]:
    terms = PackedTerms(data, np.cumsum(lengths)).all()
    return dict(zip(terms, range(len(terms))))


def _is_hashing(part: Any) -> bool:
    return isinstance(part, Pipeline) and isinstance(part.steps[0][1], HashingVectorizer)


def _width(part: Any) -> int:
    """How many columns a fitted part produces."""
    if _is_hashing(part):
        return int(part.steps[0][1].n_features)
    if isinstance(part, TfidfVectorizer):
        return len(part.vocabulary_)
    return int(part.n_features_out_)


_NAME_RX = re.compile(r"(?<=[\w,;:’'\"”)] )[A-Z][\w’'-]*")
_DIGITS_RX = re.compile(r"\d+(?:[.,]\d+)*")


def plain_text(text: str) -> str:
    """Lowercase without quotation marks (see TOKEN_PATTERN for why quotes are not features)."""
    return strip_quotes_lower(text)


ATTRIBUTION_WORDS = (
    "said",
    "says",
    "say",
    "saying",
    "told",
    "tells",
    "tell",
    "added",
    "adds",
    "according",
    "stated",
    "states",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "statement",
    "reporters",
    "interview",
    "quoted",
)


def expand_stop_words(words: Any) -> list[str]:
    """The config's stop words, with the named set "attribution" expanded."""
    out: list[str] = []
    for w in words:
        out += list(ATTRIBUTION_WORDS) if w == "attribution" else [w.lower()]
    return sorted(set(out))


def mask_text(text: str) -> str:
    """Lowercase, with mid-sentence capitalised words -> 'xname' and numbers -> '0'."""
    return _DIGITS_RX.sub("0", _NAME_RX.sub("Xname", QUOTES_RX.sub(" ", text))).lower()


class StemAnalyzer:
    """Word-stem n-grams: tokens cut to their first ``length`` characters, then joined in n-grams."""

    def __init__(self, ngram_range: tuple[int, int], length: int, mask: bool) -> None:
        self.ngram_range = tuple(ngram_range)
        self.length = length
        self.mask = mask
        self._rx = re.compile(TOKEN_PATTERN)

    def __call__(self, text: str) -> list[str]:
        text = mask_text(text) if self.mask else text.lower()
        toks = [t[: self.length] for t in self._rx.findall(text)]
        lo, hi = self.ngram_range
        out = toks if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            out += [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        return out

    def __getstate__(self) -> dict[str, Any]:
        return {"ngram_range": self.ngram_range, "length": self.length, "mask": self.mask}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["ngram_range"], state["length"], state["mask"])


def _ngram_part(kind: str, analyzer: Any, ngram_range: tuple[int, int], cfg: TextFeatures) -> Any:
    common: dict[str, Any] = {"analyzer": analyzer, "ngram_range": ngram_range, "lowercase": True, "dtype": np.float64}
    if analyzer == "word":
        common["token_pattern"] = TOKEN_PATTERN
    if isinstance(analyzer, str):
        common["preprocessor"] = mask_text if cfg.mask_names else plain_text
    if analyzer == "word" and cfg.stop_words:
        common["stop_words"] = expand_stop_words(cfg.stop_words)
    if kind == "hashing":
        hv = HashingVectorizer(n_features=cfg.n_features, alternate_sign=False, norm=None, **common)
        return Pipeline([("hash", hv), ("tfidf", TfidfTransformer(sublinear_tf=cfg.sublinear_tf))])
    return TfidfVectorizer(min_df=cfg.min_df, max_df=cfg.max_df, max_features=cfg.max_features, sublinear_tf=cfg.sublinear_tf, **common)


def _spec_for(part: Any) -> Spec | None:
    """The n-gram range and stem length of a word or stem TF-IDF part that the fast path reproduces
    exactly (fitted or not), else None."""
    if not isinstance(part, TfidfVectorizer):
        return None
    if (
        part.input != "content"
        or part.binary
        or part.tokenizer is not None
        or part.strip_accents is not None
        or part.stop_words is not None
    ):
        return None
    if part.analyzer == "word":
        lo, hi = part.ngram_range
        if part.preprocessor is plain_text and part.token_pattern == TOKEN_PATTERN and 1 <= lo <= hi <= 2:
            return (lo, hi), None
        return None
    an = part.analyzer
    if isinstance(an, StemAnalyzer) and not an.mask and 1 <= an.ngram_range[0] <= an.ngram_range[1] <= 2 and an.length > 0:
        return (an.ngram_range[0], an.ngram_range[1]), an.length
    return None


def _table_for(part: Any) -> NgramTable | None:
    """An integer table for a fitted part the fast path reproduces exactly, else None."""
    if not hasattr(part, "vocabulary_") or not hasattr(part, "_tfidf"):
        return None
    spec = _spec_for(part)
    return None if spec is None else NgramTable(part, *spec)


def _term_column(vec: Any, term: str) -> int | None:
    if isinstance(vec, HashingVectorizer):
        return abs(murmurhash3_32(term, seed=0)) % vec.n_features
    return vec.vocabulary_.get(term)


def build_features(cfg: FeaturesConfig) -> TextFeatures:
    return TextFeatures(
        kind=cfg.kind,
        word_ngrams=tuple(cfg.word_ngrams) if cfg.word_ngrams else None,
        char_ngrams=tuple(cfg.char_ngrams) if cfg.char_ngrams else None,
        stem_ngrams=tuple(cfg.stem_ngrams) if cfg.stem_ngrams else None,
        stem_length=cfg.stem_length,
        mask_names=cfg.mask_names,
        stop_words=tuple(cfg.stop_words) if cfg.stop_words else None,
        min_df=cfg.min_df,
        max_df=cfg.max_df,
        max_features=cfg.max_features,
        sublinear_tf=cfg.sublinear_tf,
        n_features=cfg.n_features,
        constructions=cfg.constructions,
        constructions_weight=cfg.constructions_weight,
        embedding_model=cfg.embedding_model,
        embedding_batch_size=cfg.embedding_batch_size,
    )
