"""The real-text corpus (seeds/real): provenance on every row, split hygiene, and the datasheet's figures."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.conftest import ROOT

REAL = ROOT / "seeds" / "real"
WRITTEN = ROOT / "seeds" / "corpus"
LABELS = ("blame", "threat", "denial")
SPLITS = ("train", "dev", "test")
LICENCES = ("CC0-1.0", "Public domain", "CC BY 2.5")
STRATA = {"random", "cue", "cue-threat-denial", "whole-document"}


def _rows(folder, split: str) -> list[dict]:
    path = folder / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_every_row_says_where_it_comes_from() -> None:
    for split in SPLITS:
        for row in _rows(REAL, split):
            assert row["text"].strip() and set(row["labels"]) <= set(LABELS)
            assert row["source"] and row["doc"] and row["url"].startswith("https://")
            assert row["licence"].startswith(LICENCES), row["licence"]
            assert row["stratum"] in STRATA
            assert isinstance(row["context"], str)
            if row["source"].startswith("gum:"):  # GUM's other genres are non-commercial: never used
                assert row["source"].startswith(("gum:GUM_news_", "gum:GUM_interview_"))


def test_size_and_realistic_base_rate() -> None:
    rows = [r for s in SPLITS for r in _rows(REAL, s)]
    assert len(rows) >= 6000
    none_share = sum(not r["labels"] for r in rows) / len(rows)
    assert none_share >= 0.75  # most real sentences carry no stance
    random_rows = [r for r in rows if r["stratum"] == "random"]
    assert sum(not r["labels"] for r in random_rows) / len(random_rows) >= none_share - 0.02
    counts = Counter(lab for r in rows for lab in r["labels"])
    assert all(counts[lab] >= 150 for lab in LABELS)


def test_splits_are_by_document_and_test_is_unseen() -> None:
    docs = {s: {r["doc"] for r in _rows(REAL, s)} for s in SPLITS}
    assert not docs["train"] & docs["dev"] and not docs["train"] & docs["test"] and not docs["dev"] & docs["test"]
    test = {_norm(r["text"]) for r in _rows(REAL, "test")}
    seen = {_norm(r["text"]) for folder in (REAL, WRITTEN) for s in ("train", "dev") for r in _rows(folder, s)}
    assert not test & seen, sorted(test & seen)[:3]


def test_annotations_hold_both_passes_and_the_final_labels() -> None:
    ann = {a["id"]: a for a in map(json.loads, (REAL / "annotations.jsonl").read_text(encoding="utf-8").splitlines())}
    rows = [r for s in SPLITS for r in _rows(REAL, s)]
    assert len(ann) == len(rows)
    for r in rows:
        a = ann[r["id"]]
        assert a["final"] == r["labels"]
        assert a["adjudicated"] == (a["pass_a"] != a["pass_b"])
        if not a["adjudicated"]:
            assert a["final"] == a["pass_a"]


@pytest.mark.parametrize("label", LABELS)
def test_datasheet_kappa_matches_the_annotations(label: str) -> None:
    from sklearn.metrics import cohen_kappa_score

    ann = [json.loads(line) for line in (REAL / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]
    kappa = cohen_kappa_score([label in a["pass_a"] for a in ann], [label in a["pass_b"] for a in ann])
    datasheet = (REAL / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\| {label} \| {kappa:.2f} \|", datasheet), f"{label} kappa {kappa:.2f} not in the datasheet"


def test_distillation_pool_is_real_unlabelled_text_from_documents_no_split_holds() -> None:
    """seeds/real/distill.jsonl: the accurate tier's probabilities on real sentences, for the fast
    default to learn. Its documents are in no split (so no dev or test text leaks in as soft labels)."""
    path = REAL / "distill.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 5000
    for row in rows:
        assert row["text"].strip() and row["url"].startswith("https://") and row["licence"].startswith(LICENCES)
        assert set(row["soft"]) == set(LABELS) and all(0 <= p <= 1 for p in row["soft"].values())
        assert row["teacher"]["kind"] == "transformer" and len(row["teacher"]["model_sha256"]) == 64
        assert "labels" not in row  # soft labels only: no one labelled these
    used_docs = {r["doc"] for s in SPLITS for r in _rows(REAL, s)}
    assert not {r["source"] for r in rows} & used_docs
    labelled = {_norm(r["text"]) for folder in (REAL, WRITTEN) for s in SPLITS for r in _rows(folder, s)}
    assert not {_norm(r["text"]) for r in rows} & labelled


def test_news_rounds_are_wikinews_articles_labelled_whole_and_their_kappa_is_the_datasheets() -> None:
    """The Wikinews rounds: CC BY 2.5 articles with their URLs, each article in one split, mostly
    unlabelled (news base rates), and the datasheet's news kappa is that of their two passes."""
    from sklearn.metrics import cohen_kappa_score

    news = [r for s in SPLITS for r in _rows(REAL, s) if r["section"] == "wikinews"]
    assert len(news) >= 5000
    assert all(r["licence"].startswith("CC BY 2.5") and r["url"].startswith("https://en.wikinews.org/wiki/") for r in news)
    assert sum(not r["labels"] for r in news) / len(news) >= 0.9
    ids = {r["id"] for r in news}
    ann = [a for a in map(json.loads, (REAL / "annotations.jsonl").read_text(encoding="utf-8").splitlines()) if a["id"] in ids]
    assert len(ann) == len(news)
    datasheet = (REAL / "README.md").read_text(encoding="utf-8")
    news_table = datasheet[datasheet.index("| label | kappa (news) |") :]
    for label in LABELS:
        kappa = cohen_kappa_score([label in a["pass_a"] for a in ann], [label in a["pass_b"] for a in ann])
        assert re.search(rf"\| {label} \| {kappa:.2f} \|", news_table.split("\n\n")[0]), f"news {label} kappa {kappa:.2f}"
