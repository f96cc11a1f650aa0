"""Vectorised n-gram counting for fitted word and stem TF-IDF vectorizers (see :class:`FastNgrams`).

Which parts qualify, and how their text is prepared, is decided by :mod:`stance.features`, which owns
the token pattern and the analyzers; this module only turns a batch of texts into the same count
matrices those vectorizers make, with NumPy instead of Python loops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

_SEP = "\x00"  # joins a batch's texts: never part of a token, and a word boundary like a text's own ends
# TOKEN_PATTERN's tokens (plus the separator), found a third faster: from a word character, a token
# is the longest run of word characters, apostrophes and hyphens that ends in a word character; the
# leading \b never fails in a left-to-right scan, since every match ends before a non-word character.
_TOKENS_SEP = re.compile(r"(?u)\w+(?:['’-]+\w+)*|[?!" + _SEP + "]")


class NgramTable:
    """One fitted word or stem TF-IDF part as integer tables: token -> id, unigram column per token id,
    and bigram columns keyed by ``id1 * n_tokens + id2`` (sorted, for ``searchsorted``)."""

    def __init__(self, vec: TfidfVectorizer, ngram_range: tuple[int, int], stem_length: int | None) -> None:
        self.vec = vec
        self.lo, self.hi = ngram_range
        self.stem_length = stem_length
        vocab = vec.vocabulary_
        self.n_cols = len(vocab)
        unigrams = [t for t in vocab if " " not in t]
        bigrams = [t for t in vocab if " " in t]
        tokens = dict.fromkeys(unigrams)
        pairs = [t.split(" ") for t in bigrams]
        for a, b in pairs:
            tokens.setdefault(a)
            tokens.setdefault(b)
        self.token_id = {t: i for i, t in enumerate(tokens)}
        n = len(self.token_id)
        self.unigram_col = np.full(n + 1, -1, dtype=np.int64)  # the last (index -1): unknown tokens, separators
        self.unigram_col[[self.token_id[t] for t in unigrams]] = [vocab[t] for t in unigrams]
        tid = self.token_id
        keys = np.array([tid[a] * n + tid[b] for a, b in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self.bigram_keys = keys[order]
        self.bigram_cols = np.array([vocab[t] for t in bigrams], dtype=np.int64)[order]
        self.n_tokens = n

    def token_ids(self, uniques: list[str]) -> np.ndarray:
        """Table id of each distinct token of a batch (stems cut here, once per distinct token); -1 if unknown."""
        get = self.token_id.get
        if self.stem_length is not None:
            k = self.stem_length
            return np.array([get(u[:k], -1) for u in uniques], dtype=np.int64)
        return np.array([get(u, -1) for u in uniques], dtype=np.int64)

    def counts(self, ids: np.ndarray, doc: np.ndarray, n_docs: int) -> sp.csr_matrix:
        """Term counts (n_docs, n_cols), sorted indices, as ``CountVectorizer`` makes them; ``ids`` is
        -1 for unknown tokens and for the separators between texts."""
        cols = []
        rows = []
        if self.lo <= 1:
            c = self.unigram_col[ids]
            hit = c >= 0
            cols.append(c[hit])
            rows.append(doc[hit])
        if self.hi >= 2 and len(ids) > 1 and len(self.bigram_keys):
            a, b = ids[:-1], ids[1:]
            ok = (a >= 0) & (b >= 0)  # both known, and no separator between them: the same text
            keys = a[ok] * self.n_tokens + b[ok]
            order = np.argsort(keys)  # sorted needles: searchsorted narrows each search from the last (5x faster)
            pos = np.empty_like(order)
            pos[order] = np.searchsorted(self.bigram_keys, keys[order])
            pos[pos == len(self.bigram_keys)] = 0
            found = self.bigram_keys[pos] == keys
            cols.append(self.bigram_cols[pos[found]])
            rows.append(doc[:-1][ok][found])
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        keys, n = np.unique(row * self.n_cols + col, return_counts=True)
        row, col = np.divmod(keys, self.n_cols)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        data = n.astype(self.vec.dtype)
        return sp.csr_matrix((data, col.astype(np.int32), indptr.astype(np.int32)), shape=(n_docs, self.n_cols))

    def transform(self, ids: np.ndarray, doc: np.ndarray, n_docs: int) -> Any:
        return self.vec._tfidf.transform(self.counts(ids, doc, n_docs), copy=False)


class FastNgrams:
    """A fitted ``FeatureUnion``'s transform with its word and stem TF-IDF parts vectorised.

    Why: scikit-learn builds n-grams and counts them in Python, token by token, which held scoring
    to about 4 MB/s per core. Here a batch of texts is joined and tokenised by one regex call, each
    distinct token is looked up once, and unigram and bigram columns are found with NumPy
    (``searchsorted`` over integer bigram keys). The tokens, vocabulary and counts are the same, and
    the counts go through the vectorizer's own ``TfidfTransformer`` and the union's own stacking, so
    the matrix is the same, number for number (tests compare it with scikit-learn's on corpora).
    Parts it does not cover (characters, masked names, stop words, cues, embeddings) are left to
    their own ``transform``.
    """

    def __init__(self, union: FeatureUnion, tables: list[NgramTable | None], plain: Callable[[str], str]) -> None:
        self.union = union
        self.tables = tables
        self.plain = plain

    @classmethod
    def build(cls, union: FeatureUnion, table_for: Callable[[Any], NgramTable | None], plain: Callable[[str], str]) -> FastNgrams | None:
        """``table_for(part)``: the part's table where the fast path reproduces it exactly, else None;
        ``plain``: the word parts' preprocessor."""
        tables = [table_for(part) for _name, part in union.transformer_list]
        if all(t is None for t in tables):
            return None
        return cls(union, tables, plain)

    def transform(self, X: list[str]) -> Any:
        if not X:
            return self.union.transform(X)
        joined = _SEP.join(X)
        if joined.count(_SEP) != len(X) - 1:  # a text holds the separator itself
            return self.union.transform(X)
        # word parts read plain_text (quotes -> spaces, lowercase), stem parts text.lower(); quotation
        # marks are not word characters, so both give the same tokens, except where str.lower()
        # depends on context (a capital sigma before a quotation mark): then each reads its own.
        tokens_of: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}

        def tokens(kind: str) -> tuple[list[str], np.ndarray, np.ndarray]:
            if "Σ" not in joined:
                kind = "word"
            if kind not in tokens_of:
                text = self.plain(joined) if kind == "word" else joined.lower()
                toks = _TOKENS_SEP.findall(text)
                index = {t: i for i, t in enumerate(dict.fromkeys(toks))}
                codes = np.fromiter(map(index.__getitem__, toks), dtype=np.int64, count=len(toks))
                sep = index.get(_SEP, -1)
                is_sep = codes == sep
                doc = np.cumsum(is_sep)
                tokens_of[kind] = (list(index), codes, np.where(is_sep, -1, doc))
            return tokens_of[kind]

        Xs = []
        for (_name, part), table in zip(self.union.transformer_list, self.tables):
            if table is None:
                Xs.append(part.transform(X))
                continue
            uniques, codes, doc = tokens("stem" if table.stem_length is not None else "word")
            ids = table.token_ids(uniques)[codes]  # separators are -1: no token of any vocabulary
            Xs.append(table.transform(ids, doc, len(X)))
        return self.union._hstack(Xs)
