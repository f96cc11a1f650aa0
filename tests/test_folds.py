"""stance.folds: multi-label stratified folds and the out-of-fold loop."""

from __future__ import annotations

import numpy as np
import pytest

from stance.data import LabelledData
from stance.errors import StanceError
from stance.folds import out_of_fold, stratified_kfold
from tests.conftest import LABELS


@pytest.mark.parametrize("folds", [2, 3, 5])
def test_stratified_kfold_covers_every_row_once(folds: int) -> None:
    Y = _data(47).Y
    splits = stratified_kfold(Y, folds, seed=1)
    assert len(splits) == folds
    tests = np.concatenate([test for _, test in splits])
    assert sorted(tests.tolist()) == list(range(47))
    for train, test in splits:
        assert not set(train) & set(test)
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(47))


def _data(n: int) -> LabelledData:
    rng = np.random.default_rng(0)
    Y = (rng.random((n, 3)) < 0.3).astype(np.uint8)
    return LabelledData(texts=[f"s{i}" for i in range(n)], Y=Y, labels=LABELS, lines=list(range(1, n + 1)), extra={"id": list(range(n))})


def test_stratified_kfold_is_seeded_and_handles_unlabelled_rows() -> None:
    Y = np.zeros((20, 3), dtype=np.uint8)
    Y[:6, 0] = 1
    a = stratified_kfold(Y, 3, seed=5)
    b = stratified_kfold(Y, 3, seed=5)
    assert all((x[1] == y[1]).all() for x, y in zip(a, b))
    for _, test in a:
        assert 1 <= Y[test, 0].sum() <= 3  # the 6 positives spread over the 3 folds


def test_stratified_kfold_needs_two_folds() -> None:
    with pytest.raises(StanceError, match="at least 2"):
        stratified_kfold(np.zeros((4, 3)), 1, seed=0)


def test_out_of_fold_predicts_each_row_with_a_model_that_did_not_see_it() -> None:
    from stance.model import StanceClassifier
    from tests.conftest import TINY

    texts = [t for t, _ in TINY]
    Y = np.array([[lab in labs for lab in LABELS] for _, labs in TINY], dtype=np.uint8)
    est = StanceClassifier(labels=LABELS, threshold=0.4)
    oof = out_of_fold(est, texts, Y, 3, seed=0)
    assert oof.P.shape == Y.shape and (oof.thresholds == 0.4).all()
    assert np.array_equal(oof.decisions, (oof.P >= 0.4).astype(np.uint8))
    for tr, te in oof.splits:
        fold = StanceClassifier(labels=LABELS, threshold=0.4).fit([texts[i] for i in tr], Y[tr])
        assert np.allclose(oof.P[te], fold.predict_proba([texts[i] for i in te]))
    seen = []
    out_of_fold(est, texts, Y, 3, seed=0, fit=lambda e, X, y: seen.append(len(X)) or e.fit(X, y))
    assert sorted(seen) == sorted(len(tr) for tr, _ in oof.splits)
