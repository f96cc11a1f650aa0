"""stance.model: the estimator's scikit-learn conventions, thresholds learnt in fit, decide, explain."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from stance.artifact import load_model_cached
from stance.config import load_config
from stance.data import load_data
from stance.model import StanceClassifier, build_model, split_clauses
from stance.segment import split_sentences
from tests.conftest import SEED_ARTICLE, TINY, corpus_sentences

TEXTS = [t for t, _ in TINY]
Y = np.array([[lab in labs for lab in ("blame", "threat", "denial")] for _, labs in TINY], dtype=np.uint8)


def _tiny(tiny_config: Path, *overrides: str) -> tuple[StanceClassifier, Any, Any]:
    cfg = load_config(tiny_config, list(overrides))
    return build_model(cfg), load_data(cfg.data.train, cfg.labels, cfg.data), load_data(cfg.data.dev, cfg.labels, cfg.data)


def test_estimator_conventions(tiny_config: Path) -> None:
    model, data, _ = _tiny(tiny_config)
    assert not hasattr(model, "thresholds_")
    fitted = model.fit(data.texts, data.Y)
    assert fitted is model
    P = model.predict_proba(data.texts)
    assert P.shape == (len(data), 3) and ((P >= 0) & (P <= 1)).all()
    assert model.predict(data.texts).shape == (len(data), 3)
    c = clone(model)
    assert not hasattr(c, "ovr_") and c.get_params()["labels"] == ["blame", "threat", "denial"]
    ev = model.explain(["We will crush anyone who crosses the border."], top_k=3)
    assert set(ev[0]) == set(model.labels_) and all(len(v) <= 3 for v in ev[0].values())


@pytest.mark.parametrize("threshold", ["dev", "cv", 0.4])
def test_clone_and_fit_reproduce_thresholds_and_predictions(tiny_config: Path, threshold: str | float) -> None:
    """Thresholds are learnt inside fit, so a clone fitted on the same data is the same model."""
    model, train, dev = _tiny(tiny_config)
    model.set_params(threshold=threshold)
    model.fit(train.texts, train.Y, dev.texts, dev.Y)
    again = clone(model).fit(train.texts, train.Y, dev.texts, dev.Y)
    assert np.array_equal(model.thresholds_, again.thresholds_)
    assert model.thresholds_from_ == again.thresholds_from_ == {"dev": "dev", "cv": "train-cv", 0.4: "fixed"}[threshold]
    probe = TEXTS + ["They provoked this war.", "If you attack, we will respond."]
    assert np.array_equal(model.predict_proba(probe), again.predict_proba(probe))
    assert np.array_equal(model.predict(probe), again.predict(probe))
    if threshold == 0.4:
        assert (model.thresholds_ == 0.4).all()
    else:  # learnt, within the bounds
        assert ((model.thresholds_ >= 0.05) & (model.thresholds_ <= 0.95)).all() and len(set(model.thresholds_)) > 1


def test_dev_thresholds_come_from_dev_and_cv_ones_from_train(tiny_config: Path) -> None:
    from stance.folds import out_of_fold
    from stance.thresholds import learn_thresholds

    model, train, dev = _tiny(tiny_config)
    model.fit(train.texts, train.Y, dev.texts, dev.Y)
    assert np.allclose(model.thresholds_, learn_thresholds(model.predict_proba(dev.texts), dev.Y))
    no_dev = clone(model).fit(train.texts, train.Y)  # "dev" without dev data: out-of-fold on train
    assert no_dev.thresholds_from_ == "train-cv"
    oof = out_of_fold(clone(model).set_params(threshold=0.5), train.texts, train.Y, 3, model.random_state)
    assert np.allclose(no_dev.thresholds_, learn_thresholds(oof.P, train.Y))
    raised = clone(model).set_params(none_rate=0.85, threshold_max=0.6).fit(train.texts, train.Y, dev.texts, dev.Y)
    assert np.allclose(raised.thresholds_, learn_thresholds(model.predict_proba(dev.texts), dev.Y, none_rate=0.85, hi=0.6))
    assert (raised.thresholds_ <= 0.6).all()


def test_a_search_can_tune_the_estimator_directly(tiny_config: Path) -> None:
    """Because fit learns everything, scikit-learn's own search machinery works on it unchanged."""
    from sklearn.model_selection import GridSearchCV

    model, train, _ = _tiny(tiny_config)
    from stance.folds import stratified_kfold

    folds = stratified_kfold(train.Y, 2, 0)
    search = GridSearchCV(model, {"classifier__C": [0.5, 4.0], "none_rate": [0.0, 0.5]}, cv=folds).fit(train.texts, train.Y)
    assert set(search.best_params_) == {"classifier__C", "none_rate"}
    assert search.best_estimator_.thresholds_.shape == (3,)


def test_fit_checks_its_inputs() -> None:
    model = StanceClassifier(labels=["blame", "threat"])
    with pytest.raises(ValueError, match="labels names 2 labels but Y has 3 columns"):
        model.fit(TEXTS, Y)
    with pytest.raises(ValueError, match="2-d"):
        StanceClassifier().fit(TEXTS, Y[:, 0])
    with pytest.raises(ValueError, match="X has 3 texts"):
        StanceClassifier().fit(TEXTS[:3], Y)
    with pytest.raises(ValueError, match="both X_dev and Y_dev"):
        StanceClassifier().fit(TEXTS, Y, X_dev=TEXTS)
    with pytest.raises(ValueError, match="threshold must be"):
        StanceClassifier(threshold="median").fit(TEXTS, Y)
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\)"):
        StanceClassifier(threshold=1.5).fit(TEXTS, Y)


def test_unfitted_model_raises_not_fitted_error() -> None:
    model = StanceClassifier()
    for call in (lambda: model.predict_proba(["x"]), lambda: model.predict(["x"]), lambda: model.decide(np.zeros((1, 3)))):
        with pytest.raises(NotFittedError):
            call()
    with pytest.raises(NotFittedError):
        model.explain(["x"])


def test_decide_uses_the_learnt_thresholds_or_a_what_if(tiny_config: Path) -> None:
    model, train, dev = _tiny(tiny_config)
    model.fit(train.texts, train.Y, dev.texts, dev.Y)
    P = np.array([[0.0, 0.5, 1.0], model.thresholds_, model.thresholds_ - 1e-9])
    D = model.decide(P)
    assert D.dtype == np.uint8 and D[0].tolist() == [0, 0 if model.thresholds_[1] > 0.5 else 1, 1]
    assert D[1].tolist() == [1, 1, 1] and D[2].tolist() == [0, 0, 0]  # at the threshold counts
    assert model.decide(P, threshold=0.5)[0].tolist() == [0, 1, 1]
    before = model.thresholds_.copy()
    model.decide(P, threshold=0.9)
    assert np.array_equal(model.thresholds_, before)  # a what-if never changes the model


def test_features_name_their_columns(tiny_config: Path) -> None:
    model, train, dev = _tiny(tiny_config)
    model.fit(train.texts, train.Y)
    names = model.features_.get_feature_names_out()
    assert len(names) == model.features_.transform(["x"]).shape[1]
    assert "word__accused" in names and "constructions__<threat_unless>" in names


def test_clause_max_takes_the_highest_clause(tiny_config: Path) -> None:
    assert split_clauses("It is not an invasion; the Ukrainian authorities provoked this operation") == [
        "It is not an invasion",
        "the Ukrainian authorities provoked this operation",
    ]
    assert split_clauses("A short one; two") == ["A short one; two"]
    model, train, _ = _tiny(tiny_config)
    plain = model.set_params(threshold=0.5).fit(train.texts, train.Y)
    pooled = clone(plain).set_params(clause_max=True).fit(train.texts, train.Y)
    text = "The weather in the capital was mild today; the union blamed management for the fatal accident."
    parts = split_clauses(text)
    expected = np.maximum(plain.predict_proba([text])[0], plain.predict_proba(parts).max(axis=0))
    assert np.allclose(pooled.predict_proba([text])[0], expected)


# ---------------------------------------------------------------------------------------------
# explain


def _evidence_by_reanalysis(model: Any, texts: list[str], top_k: int, only: Any = None) -> list[dict]:
    """model.explain with the vocabulary map switched off: terms found by re-analysing each sentence."""
    slow = copy.copy(model)
    slow._evidence_cache = (model._coefficients(), None, None)
    return slow.explain(texts, top_k=top_k, only=only)


def test_evidence_vocabulary_map_matches_reanalysis(default_model: Path) -> None:
    """Columns are mapped to terms once per model; that must say exactly what re-analysing says."""
    model = load_model_cached(str(default_model))
    texts = [s.text for s in split_sentences(SEED_ARTICLE.read_text(encoding="utf-8"))]
    texts += corpus_sentences(300, seed=2)
    D = model.predict(texts)
    assert D.any(axis=1).sum() > 20
    rows = np.flatnonzero(D.any(axis=1))
    fast = model.explain([texts[i] for i in rows], top_k=5, only=D[rows])
    slow = _evidence_by_reanalysis(model, [texts[i] for i in rows], 5)
    for i, ev, full in zip(rows, fast, slow):
        assert ev == {model.labels_[j]: full[model.labels_[j]] for j in np.flatnonzero(D[i])}
        for terms in ev.values():
            assert all(w > 0 for _, w in terms)


@pytest.mark.parametrize("overrides", [["features.char_ngrams=[2, 4]"], ["features.stem_ngrams=[1, 2]"], ['features.kind="hashing"']])
def test_evidence_other_feature_kinds(tiny_config: Path, tmp_path: Path, overrides: list[str]) -> None:
    """Character and stem n-grams use the vocabulary map (terms shared between parts are added up);
    hashed n-grams cannot be mapped back and are re-analysed."""
    from stance.train import train

    train(load_config(tiny_config, overrides), tmp_path / "m")
    model = load_model_cached(str(tmp_path / "m"))
    texts = corpus_sentences(60, seed=3)
    assert (model.features_.term_names() is None) == ("hashing" in overrides[0])
    assert model.explain(texts, top_k=3) == _evidence_by_reanalysis(model, texts, 3)
