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

from stance.ngrams import BatchTokens, strip_quotes_lower, token_ids
from stance.terms import PackedTerms, pack_terms

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


# ---------------------------------------------------------------------------------------------
# Evidence, shared with stance.model


def top_terms(
    rows: Any,
    W: np.ndarray,
    names: Any,
    key: np.ndarray,
    labels: Sequence[str],
    top_k: int,
    only: np.ndarray | None,
) -> list[dict[str, list[list[Any]]]]:
    """For each row and label, the named terms whose weight x value is largest, as ``[term, value]``.

    ``W``: (n_labels, n_cols) weights; ``names[col]``: a column's term; ``key[col]``: the first column
    with the same term (-1: a column without a term). Vectorised over all (row, label) pairs wanted
    and their terms at once: a term from two parts is summed in column order, and ties keep the
    term's first column (the same lists, to the bit, as summing and sorting term by term).
    """
    n = rows.shape[0]
    out: list[dict[str, list[list[Any]]]] = [{} for _ in range(n)]
    if only is None:
        pair_row, pair_label = np.divmod(np.arange(n * len(labels)), len(labels))
    else:
        pair_row, pair_label = np.nonzero(np.asarray(only, dtype=bool))  # row by row, labels in order
    if not len(pair_row):
        return out
    # each pair's entries (its row's), one after the other
    indptr = np.asarray(rows.indptr, dtype=np.int64)
    starts = indptr[pair_row]
    size = indptr[pair_row + 1] - starts
    ends = np.cumsum(size)
    take = np.repeat(starts - (ends - size), size) + np.arange(ends[-1])
    cols = np.asarray(rows.indices, dtype=np.int64)[take]
    pair = np.repeat(np.arange(len(pair_row)), size)
    contrib = rows.data[take] * np.take(W, pair_label[pair] * W.shape[1] + cols)  # W[label, col], without 2-D indexing
    p = np.flatnonzero(contrib > 0)
    p = p[key[cols[p]] >= 0]
    g, k, v = pair[p], key[cols[p]], contrib[p]
    order = np.argsort(g * len(key) + k, kind="stable")  # by pair, then term: a term's entries stay in the row's order
    g, k, p, v = g[order], k[order], p[order], v[order]
    first = np.ones(len(g), dtype=bool)
    first[1:] = (g[1:] != g[:-1]) | (k[1:] != k[:-1])
    at = np.flatnonzero(first)
    total = np.add.reduceat(v, at) if len(at) else v[:0]
    g, p = g[at], p[at]
    near = _may_lead(g, total, top_k, len(pair_row))
    if near is not None:
        g, p, total = g[near], p[near], total[near]
    order = _best_first(g, total, p)
    g, p, total = g[order], p[order], total[order]
    head = np.ones(len(g), dtype=bool)
    head[1:] = g[1:] != g[:-1]
    begin = np.maximum.accumulate(np.where(head, np.arange(len(g)), 0))
    keep = (np.arange(len(g)) - begin) < top_k
    g, c = g[keep], cols[p[keep]].tolist()
    take_names = getattr(names, "take", None)
    terms = take_names(c) if take_names is not None else [names[col] for col in c]
    items = [[term, value] for term, value in zip(terms, round4(total[keep]).tolist())]
    bounds = np.searchsorted(g, np.arange(len(pair_row) + 1)).tolist()  # each pair's items, from its first
    for i, j, lo, hi in zip(pair_row.tolist(), pair_label.tolist(), bounds, bounds[1:]):
        out[i][labels[j]] = items[lo:hi]
    return out


_SURE = 1e-6  # below 2**31, x * 10_000 is within 2.4e-7 of the exact product: farther from a half, its rounding is certain


def round4(x: np.ndarray) -> np.ndarray:
    """``round(v, 4)`` of a 1-D array, without a Python call per value: the float nearest to n / 10_000,
    n the integer nearest to the exact v x 10_000 (ties to even), read off the float product where that
    is more than ``_SURE`` from a half; the rest (near a half, < 0, >= 2**31 / 10_000, -0.0, NaN) by ``round``."""
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 10_000.0
        n = np.floor(y)
        frac = y - n
        sure = (y >= 0.0) & (y < 2.0**31) & ~np.signbit(x) & (np.abs(frac - 0.5) > _SURE)
    out = (n + (frac > 0.5)) / 10_000.0
    for at in np.flatnonzero(~sure).tolist():
        out[at] = round(float(x[at]), 4)
    return out


_BUCKETS = 128


def _may_lead(g: np.ndarray, total: np.ndarray, top_k: int, n_groups: int) -> np.ndarray | None:
    """The candidates that may be among their group's ``top_k`` (None: all), so that far fewer are
    sorted: totals (> 0) in buckets of 1/16 octave (their float's top bits, in value order); per group,
    the highest bucket with ``top_k`` or more at or above it holds the last leader (ties too)."""
    if len(total) <= top_k:
        return None
    bucket = total.view(np.int64) >> 48
    bucket -= bucket.max() - (_BUCKETS - 1)
    np.maximum(bucket, 0, out=bucket)  # 8 octaves below the largest total and further down: one bucket
    if n_groups * _BUCKETS > 1 << 22:  # a table too large to be worth it
        return None
    per = np.bincount(g * _BUCKETS + bucket, minlength=n_groups * _BUCKETS).reshape(n_groups, _BUCKETS)
    below = np.cumsum(per, axis=1)
    at_or_above = below[:, -1:] - below + per
    floor = np.maximum((at_or_above >= top_k).sum(axis=1) - 1, 0)  # a group with fewer than top_k: all
    return np.flatnonzero(bucket >= floor[g])


def _best_first(r: np.ndarray, total: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``np.lexsort((p, -total, r))`` (by row, largest total first; ties: the term seen first in the
    row), as one argsort of unique integer keys: the totals' ranks among themselves, then ``p``."""
    uniq, rank = np.unique(total, return_inverse=True)
    n_p = int(p.max()) + 1 if len(p) else 1
    if (int(r.max()) + 1 if len(r) else 1) * len(uniq) * n_p >= 2**62:
        return np.lexsort((p, -total, r))
    return np.argsort((r * len(uniq) + (len(uniq) - 1 - rank)) * n_p + p)


def term_keys(names: Sequence[str | None]) -> np.ndarray:
    """Per column, the first column with the same term (-1 for a column without one)."""
    key = np.arange(len(names), dtype=np.int64)
    first: dict[str, int] = {}
    for col, term in enumerate(names):
        key[col] = -1 if term is None else first.setdefault(term, col)
    return key


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
    compared exactly; the hash only decides where a key is looked for."""

    def __init__(self, keys: np.ndarray, cols: np.ndarray) -> None:
        bits = max(4, (4 * len(keys)).bit_length())
        self._shift, self._mask = np.uint64(64 - bits), (1 << bits) - 1
        self._keys = np.full(1 << bits, -1, dtype=np.int64)
        self._cols = np.full(1 << bits, -1, dtype=np.int64)
        pending, slot = np.arange(len(keys)), self._slot(keys)
        while len(pending):  # each round, one key per free slot; the others move one slot on
            free = np.flatnonzero(self._keys[slot] == -1)
            win = free[np.unique(slot[free], return_index=True)[1]]
            self._keys[slot[win]], self._cols[slot[win]] = keys[pending[win]], cols[pending[win]]
            lose = np.ones(len(pending), dtype=bool)
            lose[win] = False
            pending, slot = pending[lose], (slot[lose] + 1) & self._mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        """Fibonacci hashing: the top bits of key x 2^64/phi (wrapping)."""
        return ((keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> self._shift).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Each key's column, -1 where it is not in the table."""
        out = np.full(len(keys), -1, dtype=np.int64)
        at, slot = np.arange(len(keys)), self._slot(keys)
        while len(at):
            k = self._keys[slot]
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
        tokens = PackedTerms(a[p + "tokens"], a[p + "token_ends"]).all()
        self.token_id = dict(zip(tokens, range(len(tokens))))
        self.offset = offset
        if len(self.unigram_col) != len(tokens) + 1:
            raise ValueError(f"{p}unigram_col does not match its tokens")

    def term_keys(self, batch: BatchTokens, n_cols: int) -> list[np.ndarray]:
        """Each term occurrence of the batch as ``row * n_cols + column in the whole matrix``: the
        unigrams, then the bigrams, each in text order."""
        uniques, first, pos, doc = batch.tokens(stem=self.stem_length is not None)
        at_first = np.empty(len(pos), dtype=np.int64)  # indexed by first-occurrence position
        at_first[first] = token_ids(self.token_id, uniques, self.stem_length)
        ids = at_first[pos]  # separators are -1: no token of any vocabulary
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
        self._idf = np.concatenate([np.ones(p.n_cols) if p.idf is None else p.idf for p in self.parts] or [np.zeros(0)])

    def transform(self, X: Sequence[str]) -> Rows:
        X = [x.replace("\x00", " ") if "\x00" in x else x for x in X]  # NUL: a non-word character, as for the vectorizers
        n = len(X)
        if not n:
            return Rows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), self.n_cols)
        batch = BatchTokens(X, strip_quotes_lower)
        # one sort for all parts: by row, then column (the parts side by side, as FeatureUnion stacks them)
        keys = np.sort(np.concatenate([k for p in self.parts for k in p.term_keys(batch, self.n_cols)]), kind="stable")
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
            nonzero = (scale != 0.0) & norm[part]
            data[nonzero] /= scale[nonzero]
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
