"""Vectorised word and stem n-grams for TF-IDF vectorizers: their *transform* (:class:`FastNgrams`)
and their *fit* (:func:`fit_union`), with NumPy instead of Python loops over tokens.

Which parts qualify, and how their text is prepared, is decided by :mod:`stance.features`, which owns
the token pattern and the analyzers; this module only turns a batch of texts into the vocabularies,
document frequencies and count matrices those vectorizers make, the same to the bit.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from stance.tokens import SEP, Tokens, regex_tokens
from stance.tokens import TOKENS_PLAIN as TOKENS_PLAIN  # noqa: F401  (re-exported)
from stance.tokens import TOKENS_POSSESSIVE as TOKENS_POSSESSIVE  # noqa: F401

if TYPE_CHECKING:  # imported where used: stance.arrays scores with this module's counting alone, without them
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

QUOTES_RX = re.compile(r"[\"“”„«»]")


def strip_quotes_lower(text: str) -> str:
    """Lowercase without quotation marks: what the word parts read (``stance.features.plain_text``)."""
    return QUOTES_RX.sub(" ", text).lower()


# A part's n-gram settings where the fast path reproduces it: (ngram_range, stem length or None).
Spec = tuple[tuple[int, int], "int | None"]


class BatchTokens:
    """A batch of texts joined by the separator and tokenised once per reading, with NumPy
    (:class:`stance.tokens.Tokens`; the regex where two tokens share a hash).

    Word parts read ``plain(text)`` (quotes -> spaces, lowercase), stem parts ``text.lower()``;
    quotation marks are not word characters, so both give the same tokens, except where str.lower()
    depends on context (a capital sigma before a quotation mark): then each reads its own.
    :meth:`get` gives the batch's distinct tokens (the separator among them), each token's code into
    them, and each token's text (-1 for the separators between texts); :meth:`tokens`, codes by position.
    """

    def __init__(self, X: list[str], plain: Callable[[str], str]) -> None:
        self.joined = SEP.join(X)
        self.n_docs = len(X)
        self.plain = plain
        self._spans: dict[str, Tokens] = {}  # per reading ("word", "stem"; mostly one text, under "word")
        self._of: dict[int, tuple[list[str], np.ndarray, np.ndarray, np.ndarray]] = {}

    def usable(self) -> bool:
        """False when a text holds the separator itself (then the vectorizers' own code is used)."""
        return self.n_docs > 0 and self.joined.count(SEP) == self.n_docs - 1

    def get(self, stem: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
        uniques, first, pos, doc = self.tokens(stem)
        dense = np.empty(len(pos), dtype=np.int64)
        dense[first] = np.arange(len(first))
        return uniques, dense[pos], doc

    def spans(self, stem: bool) -> Tokens:
        """A part's tokens as arrays (found with NumPy), of each reading's own text where they differ."""
        kind = "stem" if stem and "Σ" in self.joined else "word"
        if kind not in self._spans:
            # without a capital sigma, str.lower() reads no context: quotation marks (in no token) may stay
            raw = kind == "stem" or (self.plain is strip_quotes_lower and "Σ" not in self.joined)
            self._spans[kind] = Tokens(self.joined.lower() if raw else self.plain(self.joined))
        return self._spans[kind]

    def tokens(self, stem: bool) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """The distinct tokens (first seen first), the position of each one's first occurrence, each
        token's first occurrence (a code into a table indexed by those positions) and each token's
        text (-1 for the separators between texts)."""
        toks = self.spans(stem)
        if id(toks) not in self._of:
            found = toks.distinct()
            if found is not None:
                (first, pos), is_sep = found, toks.separators()
                uniques = toks.strings(first)
            else:  # two tokens share a hash: the regex, and one dict pass
                uniques, first, pos, is_sep = regex_tokens(toks.text)
            self._of[id(toks)] = (uniques, first, pos, np.where(is_sep, -1, np.cumsum(is_sep)))
        return self._of[id(toks)]


class NgramTable:
    """One fitted word or stem TF-IDF part as integer tables: token -> id, unigram column per token id,
    and bigram columns keyed by ``id1 * n_tokens + id2`` (sorted, for ``searchsorted``)."""

    def __init__(self, vec: TfidfVectorizer, ngram_range: tuple[int, int], stem_length: int | None) -> None:
        vocab = vec.vocabulary_
        unigrams = [t for t in vocab if " " not in t]
        bigrams = [t for t in vocab if " " in t]
        tokens = dict.fromkeys(unigrams)
        pairs = [t.split(" ") for t in bigrams]
        for a, b in pairs:
            tokens.setdefault(a)
            tokens.setdefault(b)
        tid = {t: i for i, t in enumerate(tokens)}
        n = len(tid)
        unigram_col = np.full(n + 1, -1, dtype=np.int64)  # the last (index -1): unknown tokens, separators
        unigram_col[[tid[t] for t in unigrams]] = [vocab[t] for t in unigrams]
        keys = np.array([tid[a] * n + tid[b] for a, b in pairs], dtype=np.int64)
        order = np.argsort(keys)
        cols = np.array([vocab[t] for t in bigrams], dtype=np.int64)[order]
        self._set(vec, ngram_range, stem_length, tid, unigram_col, keys[order], cols)

    @classmethod
    def from_arrays(
        cls, vec: TfidfVectorizer, spec: Spec, tid: dict[str, int], unigram_col: np.ndarray, keys: np.ndarray, cols: np.ndarray
    ) -> NgramTable:
        """The table a fast fit knows already (its token ids need not be those ``__init__`` picks)."""
        table = cls.__new__(cls)
        table._set(vec, spec[0], spec[1], tid, unigram_col, keys, cols)
        return table

    def _set(
        self,
        vec: TfidfVectorizer,
        ngram_range: tuple[int, int],
        stem_length: int | None,
        tid: dict[str, int],
        unigram_col: np.ndarray,
        keys: np.ndarray,
        cols: np.ndarray,
    ) -> None:
        self.vec = vec
        self.lo, self.hi = ngram_range
        self.stem_length = stem_length
        self.n_cols = len(vec.vocabulary_)
        self.token_id = tid
        self.n_tokens = len(tid)
        self.unigram_col = unigram_col
        self.bigram_keys = keys
        self.bigram_cols = cols

    def token_ids(self, uniques: list[str]) -> np.ndarray:
        """Table id of each distinct token of a batch (stems cut here, once per distinct token); -1 if unknown."""
        return token_ids(self.token_id, uniques, self.stem_length)

    def counts(self, ids: np.ndarray, doc: np.ndarray, n_docs: int) -> sp.csr_matrix:
        """Term counts (n_docs, n_cols), sorted indices, as ``CountVectorizer`` makes them; ``ids`` is
        -1 for unknown tokens and for the separators between texts."""
        import scipy.sparse as sp

        row, col, n = term_counts(
            ids, doc, (self.lo, self.hi), self.unigram_col, self.bigram_keys, self.bigram_cols, self.n_tokens, self.n_cols
        )
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        data = n.astype(self.vec.dtype)
        return sp.csr_matrix((data, col.astype(np.int32), indptr.astype(np.int32)), shape=(n_docs, self.n_cols))

    def transform(self, ids: np.ndarray, doc: np.ndarray, n_docs: int) -> Any:
        return self.vec._tfidf.transform(self.counts(ids, doc, n_docs), copy=False)


def token_ids(token_id: dict[str, int], uniques: list[str], stem_length: int | None) -> np.ndarray:
    """Table id of each distinct token of a batch (stems cut here, once per distinct token); -1 if unknown."""
    cut = uniques if stem_length is None else map(operator.getitem, uniques, itertools.repeat(slice(0, stem_length)))
    return np.fromiter(map(token_id.get, cut, itertools.repeat(-1)), dtype=np.int64, count=len(uniques))


def term_counts(
    ids: np.ndarray,
    doc: np.ndarray,
    ngram_range: tuple[int, int],
    unigram_col: np.ndarray,
    bigram_keys: np.ndarray,
    bigram_cols: np.ndarray,
    n_tokens: int,
    n_cols: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, count) of every term of a batch, sorted by row then column: ``CountVectorizer``'s
    matrix as arrays. ``ids``: each token's table id, -1 for unknown tokens and for the separators
    between texts; ``doc``: each token's text."""
    lo, hi = ngram_range
    cols = []
    rows = []
    if lo <= 1:
        c = unigram_col[ids]
        hit = c >= 0
        cols.append(c[hit])
        rows.append(doc[hit])
    if hi >= 2 and len(ids) > 1 and len(bigram_keys):
        a, b = ids[:-1], ids[1:]
        ok = (a >= 0) & (b >= 0)  # both known, and no separator between them: the same text
        keys = a[ok] * n_tokens + b[ok]
        order = np.argsort(keys)  # sorted needles: searchsorted narrows each search from the last (5x faster)
        pos = np.empty_like(order)
        pos[order] = np.searchsorted(bigram_keys, keys[order])
        pos[pos == len(bigram_keys)] = 0
        found = bigram_keys[pos] == keys
        cols.append(bigram_cols[pos[found]])
        rows.append(doc[:-1][ok][found])
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    # np.unique's result, sorted stably: the keys come in row order already, and a stable sort of
    # such nearly sorted keys is several times faster than np.unique's quicksort
    keys = np.sort(row * n_cols + col, kind="stable")
    if len(keys):
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        n = np.diff(np.append(starts, len(keys)))
        keys = keys[starts]
    else:
        n = np.zeros(0, dtype=np.int64)
    row, col = np.divmod(keys, n_cols)
    return row, col, n


class FastNgrams:
    """A fitted ``FeatureUnion``'s transform with its word and stem TF-IDF parts vectorised.

    Why: scikit-learn builds n-grams and counts them in Python, token by token, which held scoring
    to about 4 MB/s per core. Here a batch of texts is joined and tokenised with NumPy, each
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
        batch = BatchTokens(X, self.plain)
        if not batch.usable():
            return self.union.transform(X)
        Xs = []
        for (_name, part), table in zip(self.union.transformer_list, self.tables):
            if table is None:
                Xs.append(part.transform(X))
                continue
            uniques, codes, doc = batch.get(stem=table.stem_length is not None)
            ids = table.token_ids(uniques)[codes]  # separators are -1: no token of any vocabulary
            Xs.append(table.transform(ids, doc, len(X)))
        return self.union._hstack(Xs)


def fit_union(
    union: FeatureUnion,
    X: list[str],
    spec_for: Callable[[Any], Spec | None],
    table_for: Callable[[Any], NgramTable | None],
    plain: Callable[[str], str],
) -> tuple[Any, FastNgrams | None]:
    """``union.fit_transform(X)``, with the word and stem parts that ``spec_for`` accepts fitted by
    counting with NumPy (:func:`fit_part`); also the union's :class:`FastNgrams`, whose tables the fit
    gives without reading the vocabularies back. Other parts, and batches the fast path cannot read
    (texts holding the separator, non-strings), go through scikit-learn as they are."""
    specs = [spec_for(part) for _name, part in union.transformer_list]
    batch = BatchTokens(X, plain) if all(isinstance(x, str) for x in X) else None
    if batch is None or not batch.usable() or all(s is None for s in specs) or union.transformer_weights is not None:
        F = union.fit_transform(X)
        return F, FastNgrams.build(union, table_for, plain)
    Xs, tables = [], []
    for (_name, part), spec in zip(union.transformer_list, specs):
        fitted = fit_part(part, spec, batch) if spec is not None else None
        if fitted is None:
            Xs.append(part.fit_transform(X, None))
            tables.append(table_for(part))
        else:
            Xs.append(fitted[0])
            tables.append(fitted[1])
    fast = FastNgrams(union, tables, plain) if any(t is not None for t in tables) else None
    return union._hstack(Xs), fast


def fit_part(vec: TfidfVectorizer, spec: Spec, batch: BatchTokens) -> tuple[Any, NgramTable] | None:
    """``vec.fit_transform`` of the batch, by counting with NumPy: the same vocabulary (terms, columns,
    even the dict's order and value types), idf and matrix, entry for entry in scikit-learn's order
    within rows (first-seen terms first: the l2 norms, and liblinear's sums, depend on that order).

    None where scikit-learn's own fit must run: settings this does not reproduce, and fits that end
    in scikit-learn's errors (an empty vocabulary, min_df/max_df that leave no term), which it raises.
    """
    import scipy.sparse as sp
    from sklearn import get_config
    from sklearn.feature_extraction.text import TfidfTransformer

    if vec.dtype != np.float64 or vec.vocabulary is not None or get_config().get("sparse_interface", "spmatrix") != "spmatrix":
        return None
    if not all(hasattr(vec, m) for m in ("_check_params", "_validate_ngram_range", "_warn_for_unused_params", "_validate_vocabulary")):
        return None  # another scikit-learn than the one this was written against
    if not get_config().get("skip_parameter_validation", False) and hasattr(vec, "_validate_params"):
        vec._validate_params()
    vec._check_params()
    vec._validate_ngram_range()
    vec._warn_for_unused_params()
    counted = _count(spec, batch)
    if counted is None:
        return None
    names, keys, M = counted  # M: counts per (text, first-seen rank), sorted within rows
    n_docs, n_terms, V = batch.n_docs, len(keys), len(names)
    # terms in the order of their strings, as _sort_features sorts them: a token's characters all
    # come after the space, so "a" < "a b" < "a c" < "ab" follows the tokens' own order
    unigram = keys < V
    first = np.where(unigram, keys, (keys - V) // max(V, 1))
    second = np.where(unigram, -1, (keys - V) % max(V, 1))
    rank = np.empty(V, dtype=np.int64)
    rank[sorted(range(V), key=names.__getitem__)] = np.arange(V)
    by_name = np.lexsort((np.where(unigram, 0, 1 + rank[second]), rank[first]))  # first-seen ranks
    dfs = np.bincount(M.indices, minlength=n_terms)[by_name]
    # CountVectorizer._limit_features, on columns in string order
    high = vec.max_df if isinstance(vec.max_df, Integral) else vec.max_df * n_docs
    low = vec.min_df if isinstance(vec.min_df, Integral) else vec.min_df * n_docs
    if high < low:
        return None
    mask = (dfs <= high) & (dfs >= low)
    limit = vec.max_features
    if limit is not None and mask.sum() > limit:
        tfs = np.bincount(M.indices, weights=M.data, minlength=n_terms)[by_name]
        mask_inds = (-tfs[mask]).argsort()[:limit]  # scikit-learn's very expression: its order among ties
        new_mask = np.zeros(n_terms, dtype=bool)
        new_mask[np.where(mask)[0][mask_inds]] = True
        mask = new_mask
    if not mask.any():
        return None
    col = np.empty(n_terms, dtype=np.int64)  # per first-seen rank: its column, -1 when pruned
    col[by_name] = np.where(mask, np.cumsum(mask) - 1, -1)
    indices = col[M.indices]
    if mask.all():
        X = sp.csr_matrix((M.data.astype(vec.dtype), indices.astype(np.int32), M.indptr), shape=(n_docs, n_terms))
    else:
        keep = indices >= 0
        indptr = np.concatenate([[0], np.cumsum(keep)])[M.indptr]  # each row's kept entries
        X = sp.csr_matrix(
            (M.data[keep].astype(vec.dtype), indices[keep].astype(np.int32), indptr.astype(np.int32)), shape=(n_docs, int(mask.sum()))
        )
    # the vocabulary in scikit-learn's insertion order (first seen), with its value types
    kept = col >= 0
    terms = np.asarray(names + [""], dtype=object)[np.where(unigram, first, V)]  # "" + "" for bigrams, then joined
    bigram = ~unigram
    terms[bigram] = np.asarray(names, dtype=object)[first[bigram]] + " " + np.asarray(names, dtype=object)[second[bigram]]
    values = col[kept] if limit is not None else col[kept].tolist()  # np.int64 after _limit_features
    vocabulary = dict(zip(terms[kept].tolist(), values))
    vec._tfidf = TfidfTransformer(norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf, sublinear_tf=vec.sublinear_tf)
    vec._validate_vocabulary()
    vec.build_analyzer()
    vec.vocabulary_ = vocabulary
    if _sets_stop_words():
        vec.stop_words_ = set(terms[~kept].tolist())
    vec._tfidf.fit(X)
    # the transform's tables: token ids are the names' positions; bigram keys id1 * V + id2, sorted
    unigram_col = np.full(V + 1, -1, dtype=np.int64)
    unigram_col[first[unigram & kept]] = col[unigram & kept]
    pairs = kept & bigram
    order = np.argsort(keys[pairs])
    table = NgramTable.from_arrays(vec, spec, dict(zip(names, range(V))), unigram_col, (keys[pairs] - V)[order], col[pairs][order])
    return vec._tfidf.transform(X, copy=False), table


def _count(spec: Spec, batch: BatchTokens) -> tuple[list[str], np.ndarray, sp.csr_matrix] | None:
    """A part's token names (stems cut once per distinct token), its terms in first-seen order as the
    analyzer emits them (per text its unigrams, then its bigrams) as integer keys (a unigram: its
    token id; a bigram: ``n_names + id1 * n_names + id2``), and the counts per (text, first-seen rank)
    with sorted indices, which is CountVectorizer._count_vocab's matrix. None when there is no term."""
    import pandas as pd
    import scipy.sparse as sp

    (lo, hi), k = spec
    uniques, codes, doc = batch.get(stem=k is not None)
    index: dict[str, int] = {}
    cut = uniques if k is None else [u[:k] for u in uniques]
    tmap = np.array([-1 if u == SEP else index.setdefault(c, len(index)) for u, c in zip(uniques, cut)], dtype=np.int64)
    t = tmap[codes] if len(codes) else codes
    names, V = list(index), len(index)
    terms, docs = [], []  # per occurrence, unigrams then bigrams, each in text order
    if lo <= 1:
        m = t >= 0
        terms.append(t[m])
        docs.append(2 * doc[m])
    if hi >= 2 and len(t) > 1:
        ok = (t[:-1] >= 0) & (t[1:] >= 0)  # both tokens, and no separator between them: the same text
        terms.append(V + t[:-1][ok] * V + t[1:][ok])
        docs.append(2 * doc[:-1][ok] + 1)
    if not terms or not sum(map(len, terms)):
        return None
    term, when = np.concatenate(terms), np.concatenate(docs)
    order = np.argsort(when, kind="stable")  # the analyzer's order: a merge of two sorted runs
    fs, keys = pd.factorize(term[order])  # first-seen rank of each occurrence; the terms in that order
    d = when[order] // 2
    indptr = np.zeros(batch.n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(d, minlength=batch.n_docs), out=indptr[1:])
    if indptr[-1] >= np.iinfo(np.int32).max:
        return None
    M = sp.csr_matrix((np.ones(len(fs), dtype=np.int32), fs.astype(np.int32), indptr.astype(np.int32)), shape=(batch.n_docs, len(keys)))
    M.sum_duplicates()  # sorts each row's indices: first-seen order, as _count_vocab's sort_indices
    return names, np.asarray(keys, dtype=np.int64), M


@functools.lru_cache(maxsize=1)
def _sets_stop_words() -> bool:
    """Whether this scikit-learn's fit sets ``stop_words_`` (the pruned terms; gone in recent versions)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return hasattr(TfidfVectorizer().fit(["ab cd"]), "stop_words_")
