"""stance.metrics: counting and F1 against scikit-learn and known cases."""

from __future__ import annotations

import numpy as np

from stance.metrics import compute_metrics, f1_scores


def test_metrics_match_sklearn() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (300, 3)).astype(np.uint8)
    P = rng.random((300, 3))
    Yhat = (np.array([0.5, 0.4, 0.6]) <= P).astype(int)
    m = compute_metrics(Y, P, Yhat, ["a", "b", "c"], [0.5, 0.4, 0.6], n_boot=200)
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
    m = compute_metrics(Y, Y.astype(float), Y, ["a", "b"], n_boot=50)
    assert m["macro_f1"] == 1.0 and m["exact_match"] == 1.0 and m["per_label"]["a"]["brier"] == 0.0


def test_counts_and_prf_on_a_known_case() -> None:
    from stance.metrics import confusion_parts, counts, prf

    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    Yhat = np.array([[1, 1], [0, 1], [0, 0], [1, 0]])
    tp, fp, fn = counts(Y, Yhat)
    assert (tp.tolist(), fp.tolist(), fn.tolist()) == ([1, 1], [1, 1], [1, 1])
    p, r, f = prf(tp, fp, fn)
    assert p.tolist() == r.tolist() == f.tolist() == [0.5, 0.5]
    assert prf(0, 0, 0)[2] == 0.0  # nothing gold, nothing predicted: 0, not a division error
    parts = confusion_parts(Y, Yhat)
    assert [m.sum(axis=0).tolist() for m in parts] == [tp.tolist(), fp.tolist(), fn.tolist()]


def test_small_sample_note() -> None:
    from stance.metrics import small_sample_note

    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (4000, 2))
    assert small_sample_note(Y, Y, ["a", "b"]) is None  # thousands of examples per label: nothing to say
    Y = np.array([[1, 0]] * 3 + [[0, 1]] * 9)
    note = small_sample_note(Y, Y, ["a", "b"])  # perfect on 12 sentences: 1.000, but from 3 examples of 'a'
    assert note is not None and "12 sentences" in note and "'a' has 3 examples" in note and "recall 1.00" in note
    assert "95% interval of [0.44, 1.00] (0.56 wide)" in note
    note = small_sample_note(np.array([[0, 1]] * 50 + [[0, 0]] * 50), np.zeros((100, 2)), ["a", "b"])
    assert note is not None and "'a' has no example" in note
