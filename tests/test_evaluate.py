"""Evaluation metrics and reports."""

from __future__ import annotations

import numpy as np

from stance.evaluate import build_report, compute_metrics, f1_scores
from stance.report import evaluation_html, evaluation_markdown


def test_metrics_match_sklearn() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (300, 3)).astype(np.uint8)
    P = rng.random((300, 3))
    m = compute_metrics(Y, P, np.array([0.5, 0.4, 0.6]), ["a", "b", "c"], n_boot=200)
    Yhat = (np.array([0.5, 0.4, 0.6]) <= P).astype(int)
    assert abs(m["macro_f1"] - f1_score(Y, Yhat, average="macro")) < 1e-3
    assert abs(m["micro_f1"] - f1_score(Y, Yhat, average="micro")) < 1e-3
    for j, lab in enumerate("abc"):
        assert abs(m["per_label"][lab]["f1"] - f1_score(Y[:, j], Yhat[:, j])) < 1e-3
        lo, hi = m["per_label"][lab]["f1_ci"]
        assert lo <= m["per_label"][lab]["f1"] <= hi
    per, micro, macro = f1_scores(Y, Yhat.astype(np.uint8))
    assert abs(macro - m["macro_f1"]) < 1e-3


def test_perfect_predictions() -> None:
    Y = np.array([[1, 0], [0, 1], [0, 0], [1, 1]], dtype=np.uint8)
    m = compute_metrics(Y, Y.astype(float), np.array([0.5, 0.5]), ["a", "b"], n_boot=50)
    assert m["macro_f1"] == 1.0 and m["exact_match"] == 1.0 and m["per_label"]["a"]["brier"] == 0.0


def test_report_renders() -> None:
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (50, 2)).astype(np.uint8)
    P = rng.random((50, 2))
    rep = build_report(
        [f"sentence {i}" for i in range(50)],
        Y,
        P,
        np.array([0.5, 0.5]),
        ["blame", "threat"],
        {"path": "d.jsonl", "sha256": "0" * 64, "n": 50},
        {"path": "m", "model_sha256": "1" * 64, "thresholds": {"blame": 0.5, "threat": 0.5}, "config": {}, "versions": {}},
        n_boot=50,
    )
    assert rep["schema_version"] == 1 and len(rep["predictions"]) == 50
    assert rep["errors"]["blame"]["false_positives"] or rep["errors"]["blame"]["false_negatives"]
    md = evaluation_markdown(rep)
    assert "| blame |" in md and "macro-F1" in md
    page = evaluation_html(rep)
    assert page.count("data:image/png;base64") == 3
