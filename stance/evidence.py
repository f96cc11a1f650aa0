"""Evidence for a linear model's decisions: per text and label, the terms whose weight x value is
largest, shared by the scikit-learn model (:mod:`stance.model`) and its arrays (:mod:`stance.arrays`).

Why a module of its own: it is the same lists, to the bit, from either side, vectorised over all
(row, label) pairs at once (a Python loop over every active column of every flagged text was most of
the evidence stage of `stance score`), and its rounding (:func:`round4`) is ``round(v, 4)`` without
a Python call per value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


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


def four_places(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value v, the integer n (as a float) such that ``round(v, 4)`` is the float nearest to
    n / 10_000 (n nearest to the exact v x 10_000, ties to even), and whether n is *sure*: read off
    the float product, which is what it is where that product is more than ``_SURE`` from a half and
    v is in [0, 2**31 / 10_000), not -0.0, not NaN. The rest need ``round`` itself."""
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 10_000.0
        n = np.floor(y)
        frac = y - n
        sure = (y >= 0.0) & (y < 2.0**31) & ~np.signbit(x) & (np.abs(frac - 0.5) > _SURE)
    return n + (frac > 0.5), sure


def round4(x: np.ndarray) -> np.ndarray:
    """``round(v, 4)`` of a 1-D array, without a Python call per value (:func:`four_places`)."""
    n, sure = four_places(x)
    out = n / 10_000.0
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
    # per group, the candidates at or above each bucket: counts with the buckets reversed, summed in
    # place (one table of counts in memory, not three: scoring holds a chunk's tables at its peak)
    at_or_above = np.bincount(g * _BUCKETS + (_BUCKETS - 1 - bucket), minlength=n_groups * _BUCKETS).reshape(n_groups, _BUCKETS)
    np.cumsum(at_or_above, axis=1, out=at_or_above)
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
