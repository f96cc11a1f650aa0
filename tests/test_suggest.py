"""stance.suggest: uncertainty, diversity, and the batch it chooses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from stance.errors import StanceError
from stance.suggest import label_uncertainty, select_diverse, suggest
from tests.conftest import (
    NEAR,
    OTHERS,
    write_jsonl,
)


def test_uncertainty_is_closeness_to_threshold() -> None:
    u = label_uncertainty(np.array([[0.3, 0.0], [0.0, 0.95], [0.15, 0.5]]), np.array([0.3, 0.9]))
    assert u[0] == pytest.approx(1.0)  # exactly on a threshold
    assert u[1] == pytest.approx(0.5)  # halfway between threshold 0.9 and 1
    assert 0 < u[2] < 1


def test_select_diverse_never_picks_two_near_copies() -> None:
    X = sp.csr_matrix(np.array([[1, 0, 0], [0.99, 0.1, 0], [0.98, 0, 0.1], [0, 1, 0], [0, 0, 1]], dtype=float))
    u = np.array([0.9, 0.89, 0.88, 0.5, 0.4])
    assert select_diverse(X, u, 3, diversity=0.0, max_similarity=1.0) == [0, 1, 2]  # uncertainty alone
    assert select_diverse(X, u, 3) == [0, 3, 4]
    assert select_diverse(X, u, 10) == [0, 3, 4]  # fewer than n rather than a near-copy


def test_suggest_is_diverse_and_skips_boilerplate(tiny_config_model: Path, articles: Path) -> None:
    plain = suggest(tiny_config_model, [str(articles)], n=3, diversity=0.0, max_similarity=1.0)
    assert sum(r["text"] in NEAR for r in plain) >= 2  # without diversity the near-copies crowd in
    batch = suggest(tiny_config_model, [str(articles)], n=3)
    assert len(batch) == 3
    assert sum(r["text"] in NEAR for r in batch) <= 1
    rec = batch[0]
    assert set(rec) == {"text", "labels", "suggested", "scores", "uncertainty", "article", "sentence"}
    assert rec["labels"] == [] and set(rec["scores"]) == {"blame", "threat", "denial"}
    assert [r["uncertainty"] for r in plain] == sorted((r["uncertainty"] for r in plain), reverse=True)

    everything = suggest(tiny_config_model, [str(articles)], n=100)
    texts = {r["text"] for r in everything}
    assert "The council said the ferry would stop running in winter." in texts
    assert not any("Photo" in t or "newsletter" in t for t in texts)


def test_suggest_excludes_labelled_sentences_and_checks_n(tiny_config_model: Path, articles: Path, tmp_path: Path) -> None:
    labelled = write_jsonl(tmp_path / "done.jsonl", [(OTHERS[0].upper(), [])])
    batch = suggest(tiny_config_model, [str(articles)], n=100, exclude=[labelled])
    assert OTHERS[0] not in {r["text"] for r in batch}
    with pytest.raises(StanceError, match="--n must be at least 1"):
        suggest(tiny_config_model, [str(articles)], n=0)


def test_suggest_exclude_reads_csv_with_the_models_text_field(articles: Path, tmp_path: Path) -> None:
    import json

    from stance.config import load_config
    from stance.train import train
    from tests.conftest import TINY

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"sentence": t, "labels": labs}) + "\n" for t, labs in TINY), encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = "{data}"\ntext_field = "sentence"\n')
    train(load_config(cfg), tmp_path / "m")
    done = tmp_path / "done.csv"
    done.write_text(f'sentence,labels\n"{OTHERS[0]}",\n', encoding="utf-8")
    batch = suggest(tmp_path / "m", [str(articles)], n=100, exclude=[done])
    assert OTHERS[0] not in {r["text"] for r in batch} and batch
