"""Soft targets and weighted rows in the one-vs-rest estimator (stance.soft via StanceClassifier.fit)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from stance.model import StanceClassifier
from stance.soft import is_soft
from tests.conftest import LABELS, TINY

X = [t for t, _ in TINY]
Y = np.array([[lab in labs for lab in LABELS] for _, labs in TINY], dtype=np.uint8)


def _model(threshold: object = 0.5) -> StanceClassifier:
    clf = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", random_state=0)
    return StanceClassifier(classifier=clf, labels=LABELS, threshold=threshold)


def test_unit_weights_give_the_hard_label_model_exactly() -> None:
    hard = _model().fit(X, Y)
    weighted = _model().fit(X, Y, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(hard.predict_proba(X), weighted.predict_proba(X))
    assert weighted.explain(X[:1]) == hard.explain(X[:1])


def test_soft_targets_pull_probabilities_towards_them() -> None:
    # the teacher is sure the neutral rows carry no blame and unsure about the blame rows
    soft = Y.astype(float)
    blame_rows = Y[:, 0] == 1
    soft[blame_rows, 0] = 0.5
    hard_p = _model().fit(X, Y).predict_proba(X)[:, 0]
    soft_p = _model().fit(X, soft).predict_proba(X)[:, 0]
    assert is_soft(soft) and not is_soft(Y.astype(float))
    assert soft_p[blame_rows].mean() < hard_p[blame_rows].mean() - 0.05


def test_weights_matter() -> None:
    w = np.ones(len(X))
    w[Y[:, 1] == 1] = 0.05  # threat rows hardly count
    light = _model().fit(X, Y, sample_weight=w).predict_proba(X)[:, 1]
    full = _model().fit(X, Y).predict_proba(X)[:, 1]
    # balanced class weights rescale the positives as a whole, so the margin between classes shrinks
    assert not np.allclose(light, full)


@pytest.mark.parametrize(
    "Y_bad, why",
    [(np.full((len(X), 3), 1.5), "probabilities in"), (np.full((len(X), 3), np.nan), "probabilities in")],
)
def test_targets_out_of_range_are_refused(Y_bad: np.ndarray, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        _model().fit(X, Y_bad)


def test_soft_targets_need_somewhere_to_learn_thresholds() -> None:
    soft = Y * 0.9
    with pytest.raises(ValueError, match="dev"):
        _model("cv").fit(X, soft)
    with pytest.raises(ValueError, match="dev split"):
        _model("dev").fit(X, soft)
    m = _model("dev").fit(X, soft, X, Y)
    assert m.thresholds_from_ == "dev" and len(m.thresholds_) == 3


def test_negative_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        _model().fit(X, Y, sample_weight=-np.ones(len(X)))


@pytest.mark.parametrize("where", ["forked", "joblib", "threads"])
def test_per_label_workers_fit_what_this_process_fits(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hard labels as scikit-learn's OneVsRestClassifier fits them (one BLAS thread), and weighted
    rows, the same to the bit whether the labels are fitted here, in forked processes, in joblib's
    workers or under a thread backend (which fits here: liblinear and BLAS limits are per process)."""
    from joblib import parallel_config
    from sklearn.multiclass import OneVsRestClassifier
    from threadpoolctl import threadpool_limits

    import stance.soft
    from stance.features import TextFeatures

    F = TextFeatures().fit_transform(X)
    base = _model().classifier
    with threadpool_limits(1, user_api="blas"):
        ref = OneVsRestClassifier(base).fit(F, Y)
    here = stance.soft.fit_weighted_ovr(base, F, Y.astype(float), np.linspace(0.5, 2, len(X)), None)
    monkeypatch.setattr(stance.soft, "MIN_NNZ_FOR_WORKERS", 0)
    if where == "joblib":
        monkeypatch.setattr(stance.soft, "_can_fork", lambda: False)
    with parallel_config(backend="threading") if where == "threads" else parallel_config(mmap_mode="c"):
        ovr = stance.soft.fit_ovr(base, F, Y, 2)
        there = stance.soft.fit_weighted_ovr(base, F, Y.astype(float), np.linspace(0.5, 2, len(X)), 2)
    assert list(vars(ovr)) == list(vars(ref)) and np.array_equal(ovr.classes_, ref.classes_)
    for a, b in zip(ovr.estimators_ + there.estimators_, ref.estimators_ + here.estimators_):
        assert list(vars(a)) == list(vars(b))
        assert a.coef_.tobytes() == b.coef_.tobytes() and a.intercept_.tobytes() == b.intercept_.tobytes()
