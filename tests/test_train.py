"""stance.train: config -> data -> model directory; checks before training; reproducibility."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stance.articles import Article
from stance.artifact import load_model, read_manifest
from stance.config import load_config
from stance.data import load_data
from stance.errors import StanceError
from stance.scoring import score_texts
from stance.train import fit_model, train
from tests.conftest import (
    JUSTIFICATION,
    POSIX,
    ROOT,
    SEED_ARTICLE,
    TINY,
    config,
    invoke,
    jsonl,
)


def test_training_twice_gives_identical_predictions(tiny_config: Path, tmp_path: Path) -> None:
    cfg = load_config(tiny_config)
    a = train(cfg, tmp_path / "a")
    b = train(cfg, tmp_path / "b")
    assert a["thresholds"] == b["thresholds"]
    from stance.artifact import load_model

    ma, _ = load_model(tmp_path / "a")
    mb, _ = load_model(tmp_path / "b")
    texts = ["They provoked this war.", "We deny it all.", "If you attack, we will respond."]
    assert np.array_equal(ma.predict_proba(texts), mb.predict_proba(texts))


def test_no_dev_split_uses_cross_validated_thresholds(tiny_config: Path) -> None:
    cfg = load_config(tiny_config, ['data.dev=""'])
    import dataclasses

    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, dev=None))
    data = load_data(cfg.data.train, cfg.labels, cfg.data)
    _, source = fit_model(cfg, data, None)
    assert source == "train-cv"


def test_label_with_too_few_examples_is_an_error(tmp_path: Path, tiny_config: Path) -> None:

    p = tmp_path / "few.jsonl"
    p.write_text("\n".join(json.dumps({"text": f"sentence {i}", "labels": ["blame"] if i < 5 else []}) for i in range(20)))
    cfg = load_config(tiny_config, [f'data.train="{p}"'])
    with pytest.raises(StanceError, match="label 'threat' has 0 example"):
        train(cfg, tmp_path / "m")


@pytest.mark.parametrize(
    "extra",
    ['[model]\nkind = "linear_svm"\n', '[model]\nkind = "sgd"\n', 'kind = "hashing"\nn_features = 4096\n[model]\nkind = "sgd"\n'],
    ids=["linear_svm", "sgd", "hashing-sgd"],
)
def test_training_twice_is_byte_identical(tmp_path: Path, extra: str) -> None:
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = load_config(config(tmp_path, data, data, extra))
    a = train(cfg, tmp_path / "a")
    b = train(cfg, tmp_path / "b")
    assert a["thresholds"] == b["thresholds"]
    ma, _ = load_model(tmp_path / "a")
    mb, _ = load_model(tmp_path / "b")
    texts = [t for t, _ in TINY] + ["They provoked this war.", "We deny it all.", "If you attack, we will respond."]
    assert ma.predict_proba(texts).tobytes() == mb.predict_proba(texts).tobytes()
    (ra,) = score_texts(ma, [Article("x", SEED_ARTICLE.read_text(encoding="utf-8"))])
    (rb,) = score_texts(mb, [Article("x", SEED_ARTICLE.read_text(encoding="utf-8"))])
    assert json.dumps(ra) == json.dumps(rb)


@pytest.mark.skipif(not POSIX, reason="uses a child process")
def test_training_is_reproducible_across_processes(tiny_cfg: Path, tmp_path: Path) -> None:
    """Another interpreter with another string-hash seed trains the same model."""
    train(load_config(tiny_cfg), tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "stance", "train", "--config", str(tiny_cfg), "--out", str(tmp_path / "there")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    here, there = read_manifest(tmp_path / "here"), read_manifest(tmp_path / "there")
    assert here["thresholds"] == there["thresholds"]
    texts = [t for t, _ in TINY]
    assert (
        load_model(tmp_path / "here")[0].predict_proba(texts).tobytes() == load_model(tmp_path / "there")[0].predict_proba(texts).tobytes()
    )


def test_justification_example_trains_and_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance.articles import Article
    from stance.config import load_config
    from stance.scoring import score_texts
    from stance.train import train

    rows = [json.loads(x) for x in JUSTIFICATION.read_text().splitlines()]
    assert 35 <= len(rows) <= 50 and sum("justification" in r["labels"] for r in rows) >= 12
    cfg = load_config(ROOT / "configs" / "justification-example.toml")
    assert cfg.labels == ["blame", "threat", "denial", "justification"]
    manifest = train(cfg, tmp_path / "model")
    assert set(manifest["thresholds"]) == set(cfg.labels)
    from stance.artifact import load_model

    model, _ = load_model(tmp_path / "model")
    text = "The curfew was necessary to protect residents while the fires were brought under control, the governor said."
    (records,) = score_texts(model, [Article("a", text)])
    assert "justification" in records[0]["labels"] and set(records[0]["scores"]) == set(cfg.labels)


def test_per_label_processes_train_the_same_model(default_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped default recipe trained with --jobs 2 (per-label fits in worker processes) predicts
    what the in-process fit predicts, to the bit: every fit runs with one BLAS thread (stance.soft)."""
    import stance.soft

    monkeypatch.setattr(stance.soft, "MIN_NNZ_FOR_WORKERS", 0)  # workers, however small the matrix
    out = tmp_path / "jobs2"
    result = invoke("train", "--config", ROOT / "configs" / "default.toml", "--out", out, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert read_manifest(out)["thresholds"] == read_manifest(default_model)["thresholds"]
    texts = load_data(str(ROOT / "seeds" / "real" / "test.jsonl"), ["blame", "threat", "denial"]).texts
    one, two = load_model(default_model)[0], load_model(out)[0]
    for a, b in zip(one.ovr_.estimators_, two.ovr_.estimators_):
        assert a.coef_.tobytes() == b.coef_.tobytes() and a.intercept_.tobytes() == b.intercept_.tobytes()
    assert one.predict_proba(texts).tobytes() == two.predict_proba(texts).tobytes()


def test_train_uses_one_process_per_core_by_default(tiny_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stance.train
    from stance.scoring import default_jobs

    seen = []
    real = stance.train.train
    monkeypatch.setattr(stance.train, "train", lambda *a, **kw: seen.append(kw["n_jobs"]) or real(*a, **kw))
    assert invoke("train", "--config", tiny_cfg, "--out", tmp_path / "a").exit_code == 0
    assert invoke("train", "--config", tiny_cfg, "--out", tmp_path / "b", "--jobs", "1").exit_code == 0
    assert seen == [default_jobs(), 1]
