"""A fitted linear n-gram model as plain NumPy arrays (``scorer.npz``): scoring without scikit-learn.

Why: before its first sentence, `stance score` spent more than three seconds importing scikit-learn,
SciPy and skops and unpacking the model (seconds that a whole archive of several MB takes to score),
and every matrix pass went through scikit-learn's input checks. A linear model over word and stem
n-grams needs only its token tables, idf, weights, intercepts and thresholds. :func:`export` writes
them at training where the model is such a model (the default recipe; word/stem TF-IDF parts only,
logistic regression, no clause pooling), and :class:`ArrayModel` scores with them: the same
probabilities, decisions and evidence as the scikit-learn model, to the bit (the export itself checks
that on texts it is given, and tests check it on the corpora). Loading an ``.npz`` with
``allow_pickle=False`` reads numbers and strings only: it runs no code, whoever wrote the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from stance.evidence import term_keys, top_terms
from stance.ngrams import BatchTokens, strip_quotes_lower, token_ids
from stance.terms import PackedTerms, pack_terms
from stance.tokens import Tokens, Vocabulary, equal_spans, table_keys

SCORER_FILE = "scorer.npz"
ARRAYS_VERSION = 1
_EXP_MAX = 709.782712893384  # math.exp overflows above this


# ---------------------------------------------------------------------------------------------
# Sparse rows without SciPy


class Rows:
    """A CSR matrix's three arrays (what scoring passes from ``transform`` to ``predict_proba`` and
    ``explain``); ``rows[index]`` selects rows, as scoring does for the sentences it explains."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_cols: int, rows: np.ndarray | None = None) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.shape = (len(indptr) - 1, n_cols)
        self._rows = rows  # each entry's row, where transform knows it already

    def row_ids(self) -> np.ndarray:
        if self._rows is None:
            self._rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        return self._rows

    def __getitem__(self, index: Any) -> Rows:
        index = np.asarray(index, dtype=np.int64)
        starts, ends = self.indptr[index], self.indptr[index + 1]
        lengths = ends - starts
        indptr = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return Rows(indptr, self.indices[take], self.data[take], self.shape[1])

    def tocsr(self) -> Rows:
        return self


def expit(d: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-d)) with the C library's exp, as SciPy's ``expit`` computes it (NumPy's own
    vectorised exp differs from it in the last bit for some values)."""
    exp = math.exp
    flat = [0.0 if -v > _EXP_MAX else 1.0 / (1.0 + exp(-v)) for v in d.ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(d.shape)


# ---------------------------------------------------------------------------------------------
# The model


class PairTable:
    """Bigram keys (``id1 * n_tokens + id2``, >= 0) -> columns, by open addressing with linear probing
    in a power-of-two table at most a quarter full. Why: a batch's pairs are found with a few
    vectorised probes (most in the first) instead of sorting them for ``searchsorted``. The keys are
    compared exactly; the hash only decides where a key is looked for. Where key and column fit in 63
    bits together (bigrams), a slot holds ``key << bits | column``: one gather per probe, one array
    (8 MB for a default part's bigrams, not 16) that misses the cache less."""

    def __init__(self, keys: np.ndarray, cols: np.ndarray) -> None:
        bits = max(4, (4 * len(keys)).bit_length())
        self._shift, self._mask = np.uint64(64 - bits), (1 << bits) - 1
        self._bits = int(cols.max(initial=0)).bit_length()  # a column's bits in a packed slot
        packed = int(keys.max(initial=0)) < 1 << (63 - self._bits)
        values = (keys << self._bits) | cols if packed else keys
        self._keys = np.full(1 << bits, -1, dtype=np.int64)  # key << _bits | column, or the key alone
        self._cols = None if packed else np.full(1 << bits, -1, dtype=np.int64)
        pending, slot = np.arange(len(keys)), self._slot(keys)
        claim = np.empty(1 << bits, dtype=np.int64)  # which key a free slot takes this round
        while len(pending):  # each round, one key per free slot; the others move one slot on
            free = np.flatnonzero(self._keys[slot] == -1)
            claim[slot[free]] = free  # of keys sharing a slot, one write stays (any one: a lookup probes on)
            win = free[claim[slot[free]] == free]
            self._keys[slot[win]] = values[pending[win]]
            if self._cols is not None:
                self._cols[slot[win]] = cols[pending[win]]
            lose = np.ones(len(pending), dtype=bool)
            lose[win] = False
            pending, slot = pending[lose], (slot[lose] + 1) & self._mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        """Fibonacci hashing: the top bits of key x 2^64/phi (wrapping)."""
        return ((keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> self._shift).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Each key's column, -1 where it is not in the table (an empty slot, -1, never matches)."""
        out = np.full(len(keys), -1, dtype=np.int64)
        at, slot = np.arange(len(keys)), self._slot(keys)
        while len(at):
            k = self._keys[slot]
            if self._cols is None:
                hit = (k >> self._bits) == keys
                out[at[hit]] = k[hit] & ((1 << self._bits) - 1)
            else:
                hit = k == keys
                out[at[hit]] = self._cols[slot[hit]]
            on = (k != -1) & ~hit
            at, slot, keys = at[on], (slot[on] + 1) & self._mask, keys[on]
        return out


class _Part:
    """One word or stem TF-IDF part's tables."""

    def __init__(self, a: Mapping[str, np.ndarray], i: int, offset: int) -> None:
        p = f"part{i}_"
        self.ngram_range = (int(a[p + "ngram_range"][0]), int(a[p + "ngram_range"][1]))
        k = int(a[p + "stem_length"])
        self.stem_length = k if k > 0 else None
        self.sublinear = bool(a[p + "sublinear"])
        self.norm = bool(a[p + "l2"])
        self.idf = a[p + "idf"] if a[p + "idf"].size else None
        self.unigram_col = a[p + "unigram_col"].astype(np.int64)
        self.bigram_keys = a[p + "bigram_keys"].astype(np.int64)
        self.bigram_cols = a[p + "bigram_cols"].astype(np.int64)
        self.pairs = PairTable(self.bigram_keys, self.bigram_cols)
        self.n_cols = int(a[p + "n_cols"])
        self.tokens = tokens = PackedTerms(a[p + "tokens"], a[p + "token_ends"]).all()  # in id order
        self.token_id = dict(zip(tokens, range(len(tokens))))
        self.vocab = Vocabulary(tokens)
        hashes = table_keys(self.vocab.hashes)  # a table by hash where no two tokens share one
        self.by_hash = PairTable(hashes, np.arange(len(tokens))) if len(np.unique(hashes)) == len(tokens) else None
        self.offset = offset
        self.stems_of: tuple[int, np.ndarray] | None = None  # a word part before it, its ids -> this part's
        if len(self.unigram_col) != len(tokens) + 1:
            raise ValueError(f"{p}unigram_col does not match its tokens")

    def token_ids(self, batch: BatchTokens, words: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """Each token's id in this part's table (its stem's for a stem part; -1: unknown, a separator).
        ``words``: a word part's ids of the same tokens and its ids -> this part's (a token the word part
        knows has that word's stem); the rest are found by hash, and by the dict where a hash misleads."""
        stem = self.stem_length is not None
        ids = self.ids(batch.spans(stem), words)
        if ids is None:  # a token shares a hash with another one: the dict, once per distinct token
            uniques, first, pos, _ = batch.tokens(stem)
            at_first = np.empty(len(pos), dtype=np.int64)  # indexed by first-occurrence position
            at_first[first] = token_ids(self.token_id, uniques, self.stem_length)
            ids = at_first[pos]
        return ids

    def ids(self, toks: Tokens, words: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
        """:meth:`token_ids` found by hash, with no Python per token; None unless every token found
        is its table's token, code point by code point."""
        if self.by_hash is None:
            return None
        which = np.arange(len(toks)) if words is None else np.flatnonzero(words[0] < 0)  # those the word part lacks
        ids = self.by_hash.find(table_keys(toks.hashes(self.stem_length, which)))
        hit = np.flatnonzero(ids >= 0)
        v, t = self.vocab, ids[hit]
        if not equal_spans(toks.cp, toks.starts, toks.ends, which[hit], v.cp, v.starts[t], v.ends[t], self.stem_length):
            return None
        out = ids if words is None else words[1][words[0]]  # index -1 (an unknown word): the map's last entry, -1
        out[which] = ids
        return out

    def term_keys(self, ids: np.ndarray, doc: np.ndarray, n_cols: int) -> list[np.ndarray]:
        """Each term occurrence of the batch as ``row * n_cols + column in the whole matrix``: the
        unigrams, then the bigrams, each in text order (``doc``: each token's text, -1 between texts)."""
        lo, hi = self.ngram_range
        keys = []
        base = doc * n_cols + self.offset
        if lo <= 1:
            c = self.unigram_col[ids]
            hit = c >= 0
            keys.append(base[hit] + c[hit])
        if hi >= 2 and len(ids) > 1 and len(self.bigram_keys):
            a, b = ids[:-1], ids[1:]
            ok = (a >= 0) & (b >= 0)  # both known, and no separator between them: the same text
            c = self.pairs.find(a[ok] * len(self.token_id) + b[ok])
            found = c >= 0
            keys.append(base[:-1][ok][found] + c[found])
        return keys


def _sorted(keys: np.ndarray) -> np.ndarray:
    """``np.sort(keys)``: where they fit in 32 bits (a batch's rows x columns, mostly), by two stable
    sorts of 16-bit halves, which NumPy does by radix, in linear time (a third faster than one sort)."""
    if not len(keys) or keys.min() < 0 or keys.max() >= 2**32:
        return np.sort(keys)
    keys = keys[np.argsort(keys.astype(np.uint16), kind="stable")]  # the low half (astype wraps)
    return keys[np.argsort((keys >> 16).astype(np.uint16), kind="stable")]


class ArrayModel:
    """The scoring side of a :class:`~stance.model.StanceClassifier` from its exported arrays:
    ``transform``, ``predict_proba``, ``decide``, ``predict`` and ``explain`` as the model gives them."""

    threaded_scoring = False

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        a = arrays
        if int(a["version"]) != ARRAYS_VERSION:
            raise ValueError(f"scorer arrays of version {int(a['version'])}, expected {ARRAYS_VERSION}")
        self.labels_ = [str(x) for x in a["labels"].tolist()]
        self.thresholds_ = np.asarray(a["thresholds"], dtype=np.float64)
        self.coef_ = np.ascontiguousarray(a["coef"], dtype=np.float64)  # (n_labels, n_cols)
        self.intercept_ = np.asarray(a["intercept"], dtype=np.float64)
        self.n_cols = self.coef_.shape[1]
        offsets = np.asarray(a["offsets"], dtype=np.int64).tolist()
        self.parts = [_Part(a, i, offsets[i]) for i in range(len(offsets) - 1)]
        self.names = PackedTerms(a["names"], a["name_ends"])
        self.key = np.asarray(a["key"], dtype=np.int64)
        n = len(self.labels_)
        if self.coef_.shape[0] != n or len(self.intercept_) != n or len(self.thresholds_) != n:
            raise ValueError("labels, weights, intercepts and thresholds disagree in number")
        if offsets[-1] != self.n_cols or len(self.key) != self.n_cols or len(self.names) != self.n_cols:
            raise ValueError("the parts' columns do not add up to the weights' columns")
        if any(p.offset + p.n_cols != offsets[i + 1] for i, p in enumerate(self.parts)):
            raise ValueError("a part's columns do not match its offsets")
        for i, p in enumerate(self.parts):
            word = next((j for j, w in enumerate(self.parts[:i]) if w.stem_length is None), None)
            if p.stem_length is not None and word is not None:  # each word's stem's id, and -1 for unknown
                cut = [t[: p.stem_length] for t in self.parts[word].tokens]
                p.stems_of = (word, np.array([*map(p.token_id.get, cut, [-1] * len(cut)), -1], dtype=np.int64))
        self._idf = np.concatenate([np.ones(p.n_cols) if p.idf is None else p.idf for p in self.parts] or [np.zeros(0)])

    def transform(self, X: Sequence[str]) -> Rows:
        X = [x.replace("\x00", " ") if "\x00" in x else x for x in X]  # NUL: a non-word character, as for the vectorizers
        n = len(X)
        if not n:
            return Rows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), self.n_cols)
        batch = BatchTokens(X, strip_quotes_lower)
        ids: list[np.ndarray] = []
        for p in self.parts:  # a stem part reading the word part's text: the stems of the words it knows
            words = p.stems_of is not None and batch.spans(True) is batch.spans(False)
            ids.append(p.token_ids(batch, (ids[p.stems_of[0]], p.stems_of[1]) if words else None))
        terms = [k for p, i in zip(self.parts, ids) for k in p.term_keys(i, batch.spans(p.stem_length is not None).docs, self.n_cols)]
        del batch, ids  # the text's arrays (code points, hashes): freed before the matrix is made
        keys = _sorted(np.concatenate(terms))  # one sort for all parts: by row, then column (as the union stacks them)
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else keys
        data = np.diff(np.append(starts, len(keys))).astype(np.float64)  # each term's count
        row, col = np.divmod(keys[starts], self.n_cols)
        part = np.zeros(len(col), dtype=np.int64)
        for p in self.parts[1:]:
            part += col >= p.offset
        sublinear = np.array([p.sublinear for p in self.parts])
        if sublinear.all():
            np.log(data, data)
            data += 1.0
        elif sublinear.any():
            sub = sublinear[part]
            data[sub] = np.log(data[sub]) + 1.0
        data *= self._idf[col]  # 1.0 for a part without idf
        norm = np.array([p.norm for p in self.parts])
        if norm.any():  # row by row and part by part in entry order, as inplace_csr_row_normalize_l2 sums
            bins = row * len(self.parts) + part
            scale = np.sqrt(np.bincount(bins, weights=data * data, minlength=n * len(self.parts)))[bins]
            np.divide(data, scale, out=data, where=(scale != 0.0) & norm[part])
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
        return Rows(indptr, col, data, self.n_cols, row)

    def predict_proba(self, X: Sequence[str], *, features: Rows | None = None) -> np.ndarray:
        F = self.transform(X) if features is None else features
        row, n = F.row_ids(), F.shape[0]
        # each label's sum over a row's entries in order from 0.0, then the intercept: SciPy's CSR product
        D = np.empty((n, len(self.labels_)))
        for j in range(len(self.labels_)):
            D[:, j] = np.bincount(row, weights=F.data * np.take(self.coef_[j], F.indices), minlength=n)
        return expit(D + self.intercept_)

    def decide(self, P: np.ndarray, threshold: float | None = None) -> np.ndarray:
        t = self.thresholds_ if threshold is None else np.full(len(self.thresholds_), float(threshold))
        return (np.asarray(P) >= t).astype(np.uint8)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.decide(self.predict_proba(X))

    def explain(
        self, X: Sequence[str], top_k: int = 5, only: np.ndarray | None = None, *, features: Rows | None = None
    ) -> list[dict[str, list[list[Any]]]]:
        if not len(X):
            return []
        F = self.transform(X) if features is None else features
        return top_terms(F, self.coef_, self.names, self.key, self.labels_, top_k, only)


# ---------------------------------------------------------------------------------------------
# Export


def export(model: Any, probe: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The arrays of a fitted :class:`~stance.model.StanceClassifier` that :class:`ArrayModel`
    reproduces, or None for models it does not (other features or classifiers, clause pooling). The
    export is kept only if it gives the model's own probabilities and evidence, to the bit, on
    ``probe`` (a few hundred of the training texts, say)."""
    from stance.features import _spec_for, _table_for

    feats = getattr(model, "features_", None)
    union = getattr(feats, "union_", None)
    if union is None or getattr(model, "clause_max", 0) or union.transformer_weights is not None:
        return None
    estimators = getattr(getattr(model, "ovr_", None), "estimators_", None)
    if not estimators or any(type(e).__name__ != "LogisticRegression" or list(getattr(e, "classes_", [])) != [0, 1] for e in estimators):
        return None
    a: dict[str, np.ndarray] = {"version": np.array(ARRAYS_VERSION)}
    for i, (_name, part) in enumerate(union.transformer_list):
        spec, table = _spec_for(part), _table_for(part)
        tfidf = getattr(part, "_tfidf", None)
        if spec is None or table is None or tfidf is None or tfidf.norm not in ("l2", None) or part.dtype != np.float64:
            return None
        tokens = sorted(table.token_id, key=table.token_id.__getitem__)
        p = f"part{i}_"
        a[p + "ngram_range"] = np.array(spec[0], dtype=np.int64)
        a[p + "stem_length"] = np.array(spec[1] or 0)
        a[p + "sublinear"] = np.array(bool(tfidf.sublinear_tf))
        a[p + "l2"] = np.array(tfidf.norm == "l2")
        a[p + "idf"] = np.asarray(tfidf.idf_, dtype=np.float64) if tfidf.use_idf else np.zeros(0)
        a[p + "unigram_col"] = table.unigram_col
        a[p + "bigram_keys"] = table.bigram_keys
        a[p + "bigram_cols"] = table.bigram_cols
        a[p + "n_cols"] = np.array(table.n_cols)
        a[p + "tokens"], a[p + "token_ends"] = pack_terms(tokens)
    names = feats.term_names()
    if names is None or any(n is None for n in names):
        return None
    a["offsets"] = np.asarray(feats.offsets_, dtype=np.int64)
    a["labels"] = np.array(list(model.labels_), dtype=str)
    a["thresholds"] = np.asarray(model.thresholds_, dtype=np.float64)
    a["coef"] = np.vstack([np.ravel(e.coef_) for e in estimators]).astype(np.float64)
    a["intercept"] = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators], dtype=np.float64)
    a["names"], a["name_ends"] = pack_terms(names)
    a["key"] = term_keys(names)
    lean = ArrayModel(a)
    texts = list(probe)
    if texts:
        P = model.predict_proba(texts)
        D = model.decide(P)
        if not np.array_equal(lean.predict_proba(texts), P) or lean.explain(texts, only=D) != model.explain(texts, only=D):
            return None
    return a
