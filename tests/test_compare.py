"""The comparison statistics against cases with known answers."""

from __future__ import annotations

import numpy as np

from stance.compare import compare_reports, paired_test


def _report(Y: np.ndarray, P: np.ndarray, sha: str = "abc") -> dict:
    labels = ["a", "b"]
    from stance.evaluate import build_report

    return build_report(
        [f"t{i}" for i in range(len(Y))],
        Y,
        P.astype(float),
        np.array([0.5, 0.5]),
        labels,
        {"path": "x", "sha256": sha, "n": len(Y)},
        {"path": "m"},
        n_boot=0,
    )


def test_identical_predictions_give_zero_and_p_one() -> None:
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (200, 2))
    A = rng.integers(0, 2, (200, 2))
    t = paired_test(Y, A, A.copy(), n_resamples=500)
    for entry in t["per_label"] + [t["macro_f1"]]:
        assert entry["delta"] == 0 and entry["p_value"] == 1.0 and not entry["significant"]
        assert entry["ci"] == [0.0, 0.0]


def test_clearly_better_model_is_significant() -> None:
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (1000, 2))
    good = np.where(rng.random((1000, 2)) < 0.9, Y, 1 - Y)  # 90% right
    bad = np.where(rng.random((1000, 2)) < 0.6, Y, 1 - Y)  # 60% right
    t = paired_test(Y, bad, good, n_resamples=1000)
    assert t["macro_f1"]["delta"] > 0.2 and t["macro_f1"]["significant"] and t["macro_f1"]["p_value"] < 0.01
    assert all(e["significant"] and e["ci"][0] > 0 for e in t["per_label"])


def test_small_noise_difference_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    Y = rng.integers(0, 2, (300, 2))
    A = np.where(rng.random((300, 2)) < 0.8, Y, 1 - Y)
    B = A.copy()
    B[:2] = 1 - B[:2]  # two sentences differ
    t = paired_test(Y, A, B, n_resamples=1000)
    assert not t["macro_f1"]["significant"]
    assert t["macro_f1"]["ci"][0] <= 0 <= t["macro_f1"]["ci"][1] or abs(t["macro_f1"]["delta"]) < 0.02


def test_compare_reports_same_and_different_data() -> None:
    rng = np.random.default_rng(3)
    Y = rng.integers(0, 2, (100, 2))
    P1 = rng.random((100, 2))
    P2 = rng.random((100, 2))
    same = compare_reports([_report(Y, P1), _report(Y, P2)], ["r1", "r2"], n_resamples=200)
    assert same["paired"] and {"delta", "ci", "p_value", "significant"} <= set(same["per_label"]["a"])
    diff = compare_reports([_report(Y, P1), _report(Y, P2, sha="other")], ["r1", "r2"], n_resamples=200)
    assert not diff["paired"] and any("different data" in w for w in diff["warnings"])
    three = compare_reports([_report(Y, P1), _report(Y, P2), _report(Y, P1)], ["r1", "r2", "r3"], n_resamples=200)
    assert len(three["pairs"]) == 2 and three["pairs"][1]["macro_f1"]["delta"] == 0


def test_markdown_and_html_render() -> None:
    from stance.report import comparison_html, comparison_markdown

    rng = np.random.default_rng(4)
    Y = rng.integers(0, 2, (60, 2))
    res = compare_reports([_report(Y, rng.random((60, 2))), _report(Y, rng.random((60, 2)))], ["r1", "r2"], n_resamples=100)
    assert "| macro-F1 |" in comparison_markdown(res)
    page = comparison_html(res)
    assert "<img" in page and "data:image/png;base64" in page
