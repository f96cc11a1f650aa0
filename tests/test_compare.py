"""The comparison statistics against cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from stance.compare import compare_files, compare_reports, load_report, paired_test
from stance.errors import StanceError
from stance.metrics import f1_scores
from stance.render.files import write_report


def _report(Y: np.ndarray, P: np.ndarray, sha: str = "abc") -> dict:
    labels = ["a", "b"]
    from stance.evaluate import build_report

    P = P.astype(float)
    return build_report(
        [f"t{i}" for i in range(len(Y))],
        Y,
        P,
        (P >= 0.5).astype(np.uint8),
        labels,
        [0.5, 0.5],
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
    assert not t["macro_f1"]["significant"] and t["macro_f1"]["p_value"] > 0.2
    # two flipped sentences out of 300 move macro-F1 by well under a point, and the interval says "no difference"
    assert abs(t["macro_f1"]["delta"]) < 0.01
    assert t["macro_f1"]["ci"][0] <= 0 <= t["macro_f1"]["ci"][1]


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


def test_paired_deltas_are_the_metrics_modules_f1() -> None:
    """compare counts with stance.metrics: its deltas are the plain F1 differences."""
    rng = np.random.default_rng(5)
    Y = rng.integers(0, 2, (150, 2))
    A = rng.integers(0, 2, (150, 2))
    B = np.where(rng.random((150, 2)) < 0.7, Y, A)
    t = paired_test(Y, A, B, n_resamples=50)
    fa, fb = f1_scores(Y, A)[0], f1_scores(Y, B)[0]
    assert [e["delta"] for e in t["per_label"]] == [round(float(x), 4) for x in fb - fa]
    assert t["macro_f1"]["delta"] == round(float(fb.mean() - fa.mean()), 4)


def test_compare_files_writes_outputs_and_rejects_non_reports(tmp_path) -> None:  # noqa: ANN001
    import json

    rng = np.random.default_rng(6)
    Y = rng.integers(0, 2, (40, 2))
    for name, P in (("a", rng.random((40, 2))), ("b", rng.random((40, 2)))):
        (tmp_path / f"{name}.json").write_text(json.dumps(_report(Y, P)))
    res = compare_files([tmp_path / "a.json", tmp_path / "b.json"], n_resamples=50)
    write_report(res, tmp_path / "c.json", tmp_path / "c.md", kind="comparison")
    assert res["runs"] == ["a", "b"] and json.loads((tmp_path / "c.json").read_text())["paired"]
    assert "| macro-F1 |" in (tmp_path / "c.md").read_text()
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(StanceError, match="not a stance evaluation report"):
        load_report(tmp_path / "x.json")


def _labelled_report(Y: np.ndarray, P: np.ndarray, labels: list[str], sha: str = "abc") -> dict:
    from stance.evaluate import build_report

    P = P.astype(float)
    info = {"path": "x", "sha256": sha, "n": len(Y)}
    return build_report(
        [f"t{i}" for i in range(len(Y))], Y, P, (P >= 0.5).astype(np.uint8), labels, [0.5] * len(labels), info, {}, n_boot=0
    )


@pytest.mark.parametrize("sha", ["abc", "other"])
def test_different_label_sets_compare_the_shared_labels_only(sha: str) -> None:
    rng = np.random.default_rng(7)
    Y = rng.integers(0, 2, (120, 3))
    three = _labelled_report(Y, rng.random((120, 3)), ["a", "b", "c"])
    two = _labelled_report(Y[:, :2], rng.random((120, 2)), ["a", "b"], sha=sha)
    res = compare_reports([three, two], ["three", "two"], n_resamples=100)
    assert res["labels"] == ["a", "b"]
    # macro-F1 over the shared labels, never the reports' own (3 labels against 2)
    for values, report in zip(np.array(res["macro_f1"]["values"]), (three, two)):
        assert values == pytest.approx(np.mean([report["per_label"][lab]["f1"] for lab in ("a", "b")]), abs=1e-4)
    assert res["micro_f1"]["values"] == [None, None]  # refused: it cannot be recomputed from the report
    assert any("compared on the 2 shared labels a, b" in w and "three: c" in w for w in res["warnings"])
    with pytest.raises(StanceError, match="no label in common"):
        compare_reports([three, _labelled_report(Y[:, :1], rng.random((120, 1)), ["z"])], ["x", "y"])


def test_reports_with_the_same_file_name_get_distinct_columns(tmp_path) -> None:  # noqa: ANN001
    import json

    rng = np.random.default_rng(8)
    Y = rng.integers(0, 2, (40, 2))
    for run in ("run-a", "run-b"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "report.json").write_text(json.dumps(_report(Y, rng.random((40, 2)))))
    a, b = tmp_path / "run-a" / "report.json", tmp_path / "run-b" / "report.json"
    assert compare_files([a, b], n_resamples=20)["runs"] == ["run-a/report", "run-b/report"]
    assert compare_files([a, a], n_resamples=20)["runs"] == ["report", "report (2)"]
    assert compare_files([a, tmp_path / "run-b" / ".." / "run-a" / "report.json"], n_resamples=20)["runs"] == ["report", "report (2)"]
