"""Evidence (stance/evidence.py): the vectorised top terms equal summing and sorting term by term,
and round4 is round(v, 4)."""

from __future__ import annotations

import numpy as np
import pytest

from stance.arrays import Rows
from stance.evidence import round4, top_terms


def test_round4_is_round_to_four_places() -> None:
    rng = np.random.default_rng(3)
    halves = (np.arange(20_000) + 0.5) / 10_000
    near = [halves, np.nextafter(halves, 0), np.nextafter(halves, 9), rng.random(50_000) * 3, rng.random(10_000) ** 9]
    special = [0.0, -0.0, -0.00003, -1.23456, 0.03125, 1 / 32 * 3, 5e-5, 5e-324, 1e300, 214748.36475, 1e12 + 0.5, np.nan, np.inf]
    values = np.concatenate([*near, special])
    got = round4(values).tolist()
    want = [round(v, 4) for v in values.tolist()]
    assert [repr(x) for x in got] == [repr(x) for x in want]


def test_top_terms_edge_cases() -> None:
    """No rows, no pair wanted, every pair (``only`` None), a row without entries, a term from two
    columns (summed, kept at the first), ties (the term seen first in the row)."""
    names = ["a", "b", "a", "c", "d"]
    key = np.array([0, 1, 0, 3, -1])
    W = np.array([[1.0, 2.0, 1.0, 0.5, 9.0], [-1.0, 1.0, 1.0, 1.0, 1.0]])
    rows = Rows(np.array([0, 4, 4, 6]), np.array([0, 1, 2, 3, 1, 4]), np.array([1.0, 0.5, 0.5, 2.0, 1.0, 1.0]), 5)
    labels = ["x", "y"]
    assert top_terms(rows[np.array([], dtype=np.int64)], W, names, key, labels, 5, np.zeros((0, 2))) == []
    assert top_terms(rows, W, names, key, labels, 5, np.zeros((3, 2))) == [{}, {}, {}]
    everything = top_terms(rows, W, names, key, labels, 5, None)
    assert everything == [
        {"x": [["a", 1.5], ["b", 1.0], ["c", 1.0]], "y": [["c", 2.0], ["b", 0.5], ["a", 0.5]]},
        {"x": [], "y": []},
        {"x": [["b", 2.0]], "y": [["b", 1.0]]},
    ]
    only = np.array([[0, 1], [1, 0], [1, 1]])
    assert top_terms(rows, W, names, key, labels, 2, only) == [{"y": [["c", 2.0], ["b", 0.5]]}, {"x": []}, everything[2]]


def _top_terms_by_hand(rows, W, names, key, labels, top_k, only):  # type: ignore[no-untyped-def]
    out = []
    for i in range(rows.shape[0]):
        a, b = rows.indptr[i], rows.indptr[i + 1]
        per = {}
        for j, label in enumerate(labels):
            if only is not None and not only[i, j]:
                continue
            total: dict[int, float] = {}  # by term key, in the row's column order
            for col, val in zip(rows.indices[a:b].tolist(), rows.data[a:b].tolist()):
                c = val * W[j, col]
                if c > 0 and key[col] >= 0:
                    total[key[col]] = total[key[col]] + c if key[col] in total else c
            ranked = sorted(total, key=lambda k: -total[k])[:top_k]  # ties: the term seen first (with a positive entry)
            per[label] = [[names[k], round(float(total[k]), 4)] for k in ranked]
        out.append(per)
    return out


@pytest.mark.parametrize("top_k", [1, 2, 5])
def test_top_terms_is_summing_and_sorting_term_by_term(top_k: int) -> None:
    """Random rows with many ties (values and weights from a few levels, spread over octaves), terms
    named by two columns, columns without a name: the vectorised lists equal the loop's, the few
    candidates left after the bucket filter included."""
    rng = np.random.default_rng(top_k)
    n_cols, n_rows = 60, 300
    names = [f"t{c % 40}" for c in range(n_cols)]
    key = np.array([c % 40 if c % 13 else -1 for c in range(n_cols)])
    W = rng.choice([-1.0, 0.25, 0.5, 1.0, 3.0, 1e-5, 2e-9], size=(3, n_cols))
    lengths = rng.integers(0, 25, n_rows)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n_cols, size=k, replace=False)) for k in lengths])
    data = rng.choice([0.1, 0.2, 0.3, 1.0, 7.0], size=len(indices))
    rows = Rows(indptr, indices, data, n_cols)
    only = rng.integers(0, 2, (n_rows, 3))
    for wanted in (only, None):
        assert top_terms(rows, W, names, key, ["x", "y", "z"], top_k, wanted) == _top_terms_by_hand(
            rows, W, names, key, ["x", "y", "z"], top_k, wanted
        )
