"""stance.scoring: sentence records from a model, streaming memory, and the seed article's smoke test."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from stance.articles import Article
from stance.artifact import load_model, load_model_cached
from stance.fileio import jsonl_lines
from stance.scoring import score_stream, score_texts
from tests.conftest import (
    SEED_ARTICLE,
    corpus_sentences,
)


def _seed_records(default_model: Path) -> list[dict]:
    from stance.articles import Article
    from stance.scoring import score_texts

    model, _ = load_model(default_model)
    (records,) = score_texts(model, [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8"))])
    return records


def _labels_of(records: list[dict], fragment: str) -> list[str]:
    (row,) = [r for r in records if fragment in r["text"]]
    return row["labels"]


def test_seed_article_smoke(default_model: Path) -> None:
    """The product's smoke test: the clear cases of the seed article, as a careful reader labels them."""
    records = _seed_records(default_model)
    assert "threat" in _labels_of(records, "the answer will be immediate")
    assert "denial" in _labels_of(records, "There was no invasion")
    assert "blame" in _labels_of(records, "blamed Ukraine for provoking")
    assert "blame" in _labels_of(records, "the Ukrainian authorities provoked this operation")
    assert "blame" in _labels_of(records, "parroted the Kremlin in blaming Kyiv")
    assert "blame" in _labels_of(records, "You are escalating this conflict today")
    assert _labels_of(records, "Those troops were repulsed") == []
    assert _labels_of(records, "Here's my answer.") == []
    for r in records:
        if r["boilerplate"]:
            assert r["labels"] == []
    footer = [r for r in records if "Sign up" in r["text"] or "Sign Up" in r["text"]]
    captions = [r for r in records if "gestures while giving a speech" in r["text"]]
    assert footer and captions and all(r["boilerplate"] for r in footer + captions)


# Known misses of the default model on the seed article, kept visible (docs/recipes.md, "The seed
# article"): each is a clear case by the codebook that the n-gram tier does not reach.
SEED_KNOWN_MISSES = [
    ("unless you commit aggression on Belarus", "threat"),
    ("I am ready to fight together with the Russians", "threat"),
    ("The war will acquire a completely different scale", "threat"),
    ("the Ukrainian authorities provoked this operation", "denial"),
    ("The United States does not want peace", "blame"),
]


@pytest.mark.xfail(strict=False, reason="known miss of the default n-gram model, see docs/recipes.md")
@pytest.mark.parametrize(("fragment", "label"), SEED_KNOWN_MISSES)
def test_seed_article_known_misses(default_model: Path, fragment: str, label: str) -> None:
    assert label in _labels_of(_seed_records(default_model), fragment)


def test_memory_stays_flat_over_many_articles(default_model: Path) -> None:
    """Scoring a generator of 2,000 small articles holds one chunk at a time: the traced peak is no
    higher than for 400 articles, and a small fraction of what holding every output line would take."""
    rng = random.Random(5)
    pool = corpus_sentences(2000, seed=4)

    def articles(n: int):  # noqa: ANN202
        for i in range(n):
            yield Article(f"a{i}", " ".join(rng.choice(pool) for _ in range(5)))

    def peak_and_output(n: int) -> tuple[int, int]:
        total = 0
        tracemalloc.start()
        try:
            for _article, records in score_stream(str(default_model), articles(n)):
                total += len(jsonl_lines(records))
            return tracemalloc.get_traced_memory()[1], total
        finally:
            tracemalloc.stop()

    for _ in score_stream(str(default_model), articles(20)):  # load the model and warm the caches first
        pass
    small, _ = peak_and_output(400)
    peak, total = peak_and_output(2000)
    assert total > 3_000_000
    assert peak < 1.5 * small + 100_000, (small, peak)
    assert peak < total / 5, (peak, total)


def test_score_texts_empty_and_whitespace_articles(default_model: Path) -> None:
    model = load_model_cached(str(default_model))
    assert score_texts(model, [Article("a", ""), Article("b", "  \n\n ")]) == [[], []]
    out = score_texts(model, [Article("a", ""), Article("b", "They started this war.")], evidence=0)
    assert out[0] == [] and len(out[1]) == 1 and "evidence" not in out[1][0]


def test_score_batch_never_labels_boilerplate_and_records_follow_decisions(default_model: Path) -> None:
    from stance.records import to_records
    from stance.scoring import score_batch

    model = load_model_cached(str(default_model))
    articles = [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8"))]
    segmented, P, D = score_batch(model, articles)
    flat = [s for ss in segmented for s in ss]
    assert P.shape == D.shape == (len(flat), 3)
    boiler = np.array([s.boilerplate for s in flat])
    assert boiler.any() and not D[boiler].any()
    assert np.array_equal(D[~boiler], model.decide(P)[~boiler])  # elsewhere the model's own decisions
    (records,) = to_records(articles, segmented, P, D, list(model.labels_))
    assert [r["labels"] for r in records] == [[lab for lab, d in zip(model.labels_, row) if d] for row in D]
    assert all("evidence" not in r for r in records)


def test_workers_send_back_only_the_fields_asked_with_the_same_lines(default_model: Path) -> None:
    import json

    from stance.summary import SUMMARY_FIELDS

    rng = random.Random(3)
    words = ["they", "lied", "about", "the", "attack", "and", "we", "will", "strike", "back", "if", "attacked", "officials", "said"]
    articles = [Article(f"a{i}", ". ".join(" ".join(rng.choices(words, k=8)).capitalize() for _ in range(5)) + ".") for i in range(40)]
    whole = [records for _a, records in score_stream(str(default_model), articles, jobs=1)]
    for jobs, backend in ((1, "loky"), (2, "loky"), (2, "threading")):  # one process, forked workers, joblib's workers
        light = [
            records
            for _a, records in score_stream(str(default_model), articles, jobs=jobs, backend=backend, chunk_size=8, fields=SUMMARY_FIELDS)
        ]
        assert [r.jsonl for r in light] == [jsonl_lines(r) for r in whole]
        assert [[{k: rec[k] for k in SUMMARY_FIELDS} for rec in r] for r in whole] == [list(r) for r in light]
        assert all(json.loads(line)["text"] for r in light for line in r.jsonl.splitlines())


def test_json_lines_are_json_dumps() -> None:
    import json

    objs = [{"a": 'é"\n\u2028', "b": [1, 2.5, None, True, -0.0701], "c": {"d": float("nan"), "e": []}}, [], {}]
    assert jsonl_lines(objs) == "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


@pytest.mark.parametrize("evidence", [5, 0])
def test_rendered_lines_are_the_records_lines(default_model: Path, evidence: int) -> None:
    from stance.records import render_jsonl, to_records
    from stance.scoring import _scored

    model = load_model_cached(default_model, arrays=True)
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    articles = [
        Article("seed", text),
        Article(7, '"We will strike back," the minister said. They denied it.\n\nSign up for our newsletter'),  # type: ignore[arg-type]
        Article("empty", ""),
        Article('quote"id\u2028', "Ünïcödé “quotes” — and a\ttab.\n\nIt is not true, he said."),
    ]
    segmented, P, D, ev = _scored(model, articles, evidence)
    labels = list(model.labels_)
    expected = [jsonl_lines(r) for r in to_records(articles, segmented, P, D, labels, ev)]
    assert render_jsonl(articles, segmented, P, D, labels, ev) == expected
    assert any(r["labels"] for r in to_records(articles, segmented, P, D, labels, ev)[0])
    P[0, 0] = np.nan  # non-finite scores take the encoder's path
    assert render_jsonl(articles, segmented, P, D, labels, ev)[0] == jsonl_lines(to_records(articles, segmented, P, D, labels, ev)[0])


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_digests_are_taken_where_articles_are_scored(default_model: Path, backend: str, columns: bool) -> None:
    """From slim records, or (ColumnDigest) from the sentences' columns, never sent back."""
    import functools

    from stance.summary import SUMMARY_FIELDS, ColumnDigest, Summary, digest_article

    articles = [
        Article(f"a{i}", f"They lied about attack number {i}. We will strike back if attacked, the minister said.") for i in range(30)
    ]
    labels = ["blame", "threat", "denial"]
    direct = Summary(labels)
    for article, records in score_stream(str(default_model), articles, jobs=1):
        direct.add(article, records)
    summed = Summary(labels)
    digest = ColumnDigest(labels) if columns else functools.partial(digest_article, labels)
    for _article, records in score_stream(
        str(default_model), articles, jobs=2, backend=backend, chunk_size=4, fields=SUMMARY_FIELDS, digest=digest
    ):
        assert records.digest is not None and all(r == {} for r in records) and records.jsonl
        assert records.columns is None
        summed.add_digest(records.digest)
    assert summed.speaker_table() == direct.speaker_table() and list(summed.articles) == list(direct.articles)
