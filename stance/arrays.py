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

from stance.ngrams import BatchTokens, strip_quotes_lower, term_counts, token_ids

SCORER_FILE = "scorer.npz"
ARRAYS_VERSION = 1
_EXP_MAX = 709.782712893384  # math.exp overflows above this


# ---------------------------------------------------------------------------------------------
# Sparse rows without SciPy


class Rows:
    """A CSR matrix's three arrays (what scoring passes from ``transform`` to ``predict_proba`` and
    ``explain``); ``rows[index]`` selects rows, as scoring does for the sentences it explains."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_cols: int) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.shape = (len(indptr) - 1, n_cols)

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

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


class PackedTerms:
    """Column terms as one UTF-8 buffer and offsets: decoded one at a time, for the evidence shown,
    instead of a list of hundreds of thousands of strings built at loading."""

    def __init__(self, data: np.ndarray, ends: np.ndarray) -> None:
        self._raw = np.asarray(data, dtype=np.uint8).tobytes()
        self._ends = np.asarray(ends, dtype=np.int64).tolist()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, col: int) -> str:
        start = self._ends[col - 1] if col else 0
        return self._raw[start : self._ends[col]].decode("utf-8")

    def all(self) -> list[str]:
        return [self[c] for c in range(len(self))]


def pack_terms(terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as (UTF-8 bytes, end offset of each)."""
    encoded = [t.encode("utf-8") for t in terms]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded else np.zeros(0, dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), ends


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
    with the same term (-1: a column without a term). Vectorised over all rows and terms: a term from
    two parts is summed in column order, and ties keep the term's first column (the same lists, to the
    bit, as summing and sorting term by term).
    """
    n = rows.shape[0]
    row = np.repeat(np.arange(n), np.diff(rows.indptr))
    cols, vals = rows.indices, rows.data
    named = key[cols] >= 0
    out: list[dict[str, list[list[Any]]]] = [{} for _ in range(n)]
    for j, label in enumerate(labels):
        wanted = np.ones(n, dtype=bool) if only is None else np.asarray(only[:, j], dtype=bool)
        contrib = vals * W[j, cols]
        sel = np.flatnonzero((contrib > 0) & named & wanted[row])
        r, k, p, v = row[sel], key[cols[sel]], sel, contrib[sel]
        order = np.lexsort((k, r))  # stable: a term's entries stay in the row's order
        r, k, p, v = r[order], k[order], p[order], v[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (k[1:] != k[:-1])
        starts = np.flatnonzero(first)
        total = np.add.reduceat(v, starts) if len(starts) else v[:0]
        r, p = r[starts], p[starts]
        order = np.lexsort((p, -total, r))  # best first; ties: the term seen first in the row
        r, p, total = r[order], p[order], total[order]
        c = cols[p]
        head = np.ones(len(r), dtype=bool)
        head[1:] = r[1:] != r[:-1]
        begin = np.maximum.accumulate(np.where(head, np.arange(len(r)), 0))
        keep = (np.arange(len(r)) - begin) < top_k
        lists: dict[int, list[list[Any]]] = {}
        for i, col, value in zip(r[keep].tolist(), c[keep].tolist(), total[keep].tolist()):
            lists.setdefault(i, []).append([names[col], round(value, 4)])
        for i in np.flatnonzero(wanted).tolist():
            out[i][label] = lists.get(i, [])
    return out


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
        self.n_cols = int(a[p + "n_cols"])
        tokens = PackedTerms(a[p + "tokens"], a[p + "token_ends"]).all()
        self.token_id = dict(zip(tokens, range(len(tokens))))
        self.offset = offset
        if len(self.unigram_col) != len(tokens) + 1:
            raise ValueError(f"{p}unigram_col does not match its tokens")

    def entries(self, batch: BatchTokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column in the whole matrix, TF-IDF value) of the batch, sorted by row then column."""
        uniques, codes, doc = batch.get(stem=self.stem_length is not None)
        ids = token_ids(self.token_id, uniques, self.stem_length)[codes]
        row, col, n = term_counts(
            ids, doc, self.ngram_range, self.unigram_col, self.bigram_keys, self.bigram_cols, len(self.token_id), self.n_cols
        )
        data = n.astype(np.float64)
        if self.sublinear:
            np.log(data, data)
            data += 1.0
        if self.idf is not None:
            data *= self.idf[col]
        if self.norm:  # row by row in entry order, as scikit-learn's inplace_csr_row_normalize_l2 sums
            norms = np.sqrt(np.bincount(row, weights=data * data, minlength=batch.n_docs))
            scale = norms[row]
            nonzero = scale != 0.0
            data[nonzero] /= scale[nonzero]
        return row, col + self.offset, data


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

    def transform(self, X: Sequence[str]) -> Rows:
        X = [x.replace("\x00", " ") if "\x00" in x else x for x in X]  # NUL: a non-word character, as for the vectorizers
        n = len(X)
        if not n:
            return Rows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), self.n_cols)
        batch = BatchTokens(X, strip_quotes_lower)
        got = [p.entries(batch) for p in self.parts]
        row = np.concatenate([g[0] for g in got])
        order = np.argsort(row, kind="stable")  # parts side by side within each row, as FeatureUnion stacks them
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
        return Rows(indptr, np.concatenate([g[1] for g in got])[order], np.concatenate([g[2] for g in got])[order], self.n_cols)

    def predict_proba(self, X: Sequence[str], *, features: Rows | None = None) -> np.ndarray:
        F = self.transform(X) if features is None else features
        row = F.row_ids()
        n = F.shape[0]
        # each label's sum over a row's entries in order from 0.0, then the intercept: SciPy's CSR product
        D = np.empty((n, len(self.labels_)))
        for j in range(len(self.labels_)):
            D[:, j] = np.bincount(row, weights=F.data * self.coef_[j, F.indices], minlength=n) + self.intercept_[j]
        return expit(D)

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
