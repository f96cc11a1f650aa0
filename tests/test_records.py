"""Sentence records and their JSON lines rendered straight from the arrays (stance.records)."""

from __future__ import annotations

import numpy as np
import pytest

from stance.articles import Article
from stance.fileio import jsonl_lines
from stance.records import render_jsonl, score_texts, to_records
from stance.segment import Sentence


def _reference(values: np.ndarray) -> list[str]:
    return [repr(round(p, 4)) for p in values.ravel().tolist()]


def test_score_texts_is_the_repr_of_the_rounded_score() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [rng.random(100_000), rng.random(20_000) ** 8, [0.0, 1.0, 0.5, 5e-5, 1.5e-4, 0.99995, 0.12345, 4.999e-5, 1e-300, 5e-324]]
    )
    assert score_texts(values).tolist() == _reference(values)


def test_score_texts_around_every_rounding_boundary() -> None:
    """Each half-way point n + 0.5 (in units of 0.0001) and the floats a few steps either side of
    it, each 4-decimal value and its neighbours, and the exact ties (odd multiples of 1/32, rounded
    to even): the fast path and ``round`` agree on all of them."""
    halves = (np.arange(10_000) + 0.5) / 10_000
    points = np.concatenate([halves, np.arange(10_001) / 10_000])
    near = [points]
    up, down = points.copy(), points.copy()
    for _ in range(4):
        up, down = np.nextafter(up, 2.0), np.nextafter(down, -1.0)
        near += [up, down]
    values = np.clip(np.concatenate(near), 0.0, 1.0)
    assert score_texts(values).tolist() == _reference(values)
    ties = np.arange(1, 32, 2) / 32  # 0.03125 -> 0.0312, 0.09375 -> 0.0938: exact halves
    assert score_texts(ties).tolist() == _reference(ties)


def test_score_texts_of_values_the_fast_path_leaves_to_round() -> None:
    values = np.array([[-0.0, -1e-5, -0.3, 1.00004, 1.5, 12345.67891], [np.nan, np.inf, -np.inf, 0.03125, 2e-5, 0.5]])
    out = score_texts(values)
    assert out.shape == values.shape
    assert out.ravel().tolist() == _reference(values)
    assert score_texts(np.zeros((0, 3))).shape == (0, 3)


def _sentences(text: str, **extra: object) -> list[Sentence]:
    parts = [p for p in text.split("|")]
    out, at = [], 0
    for n, p in enumerate(parts):
        out.append(Sentence(p, at, at + len(p), n, **extra))  # type: ignore[arg-type]
        at += len(p) + 1
    return out


@pytest.mark.parametrize("labels", [["blame", "threat"], ['th"r%s', "dé%nial"], []])
@pytest.mark.parametrize("evidence", [True, False])
def test_render_jsonl_is_the_records_lines(labels: list[str], evidence: bool) -> None:
    """Without a model: odd label names (a quote, a "%"), non-ASCII, holders and None, an empty
    article, ids that are not strings, sentences without evidence entries."""
    segmented = [
        _sentences('Ünïcödé “quotes”|a\ttab \\ and "q"|\u2028line'),
        [],
        _sentences("They lied.|We deny it.", quote=True, speaker="Mr. X", holder="X", holder_source="quote", boilerplate=True),
    ]
    articles = [Article('id"é', "x"), Article("empty", ""), Article(7, "y")]  # type: ignore[arg-type]
    n = sum(len(s) for s in segmented)
    rng = np.random.default_rng(1)
    P = rng.random((n, len(labels)))
    if labels:
        P[0, 0], P[1, -1] = 0.03125, 1.0
    D = (P > 0.5).astype(np.uint8)
    ev = None
    if evidence:
        ev = {k: {lab: [["t\u00e9rm", 0.1234], ['"x"', 2.0]] for lab in labels} for k in range(0, n, 2)}
    expected = [jsonl_lines(r) for r in to_records(articles, segmented, P, D, labels, ev)]
    assert render_jsonl(articles, segmented, P, D, labels, ev) == expected
    assert render_jsonl([Article("a", "")], [[]], P[:0], D[:0], labels, ev) == [""]
