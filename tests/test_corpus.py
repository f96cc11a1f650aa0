"""The shipped corpus: schema, the counts its datasheet promises, and split hygiene."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.conftest import ROOT, SEED_ARTICLE

LABELS = {"blame", "threat", "denial"}
SPLITS = ("train", "dev", "test")


def _rows(split: str) -> list[dict]:
    path = ROOT / "seeds" / "corpus" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _shingles(text: str) -> set[str]:
    w = re.findall(r"\w+", text.lower())
    return {" ".join(w[i : i + 3]) for i in range(max(1, len(w) - 2))}


def test_schema() -> None:
    for split in SPLITS:
        for row in _rows(split):
            assert isinstance(row["text"], str) and row["text"].strip()
            assert isinstance(row["labels"], list) and set(row["labels"]) <= LABELS
            assert row["source"].startswith("original:")
            assert "doc" in row and "context" in row


def test_counts_and_proportions() -> None:
    rows = [r for s in SPLITS for r in _rows(s)]
    c = Counter(lab for r in rows for lab in r["labels"])
    assert len(rows) >= 3000
    assert all(c[lab] >= 400 for lab in LABELS)
    assert sum(not r["labels"] for r in rows) / len(rows) >= 0.60
    assert sum(len(r["labels"]) >= 2 for r in rows) >= 150
    sizes = {s: len(_rows(s)) for s in SPLITS}
    assert 0.65 <= sizes["train"] / len(rows) <= 0.75
    assert 0.12 <= sizes["test"] / len(rows) <= 0.18
    for split in SPLITS:  # stratified: every split has each label and a realistic none share
        sc = Counter(lab for r in _rows(split) for lab in r["labels"])
        assert all(sc[lab] / sizes[split] > 0.08 for lab in LABELS)


def test_no_duplicates_or_passages_across_splits() -> None:
    texts = {s: {re.sub(r"\W+", " ", r["text"].lower()).strip() for r in _rows(s)} for s in SPLITS}
    docs = {s: {r["doc"] for r in _rows(s)} for s in SPLITS}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        assert not texts[a] & texts[b]
        assert not docs[a] & docs[b]
    # near duplicates: no test sentence shares >= 70% of its word 3-shingles with a train sentence
    index: dict[str, list[int]] = {}
    train = [_shingles(r["text"]) for r in _rows("train")]
    for i, sh in enumerate(train):
        for g in sh:
            index.setdefault(g, []).append(i)
    for r in _rows("test"):
        sh = _shingles(r["text"])
        cands = {i for g in sh for i in index.get(g, [])}
        assert all(len(sh & train[i]) / len(sh | train[i]) < 0.7 for i in cands), r["text"]


def test_seed_article_is_not_in_the_corpus() -> None:
    seed = [_shingles(s) for s in re.split(r"(?<=[.!?])\s+", SEED_ARTICLE.read_text(encoding="utf-8")) if len(s) > 30]
    for split in SPLITS:
        for r in _rows(split):
            sh = _shingles(r["text"])
            assert all(len(sh & s) / len(sh | s) < 0.35 for s in seed), r["text"]
