"""The estimator: text features + one binary classifier per label + per-label decision thresholds.

:class:`StanceClassifier` follows scikit-learn's conventions (parameters stored in ``__init__``,
learned attributes ending in ``_``, ``predict_proba`` of shape (n_samples, n_labels)), so it can be
cloned, cross-validated and searched like any estimator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.multiclass import OneVsRestClassifier

from stance.config import Config, ModelConfig
from stance.features import TextFeatures, build_features


def build_classifier(cfg: ModelConfig, seed: int) -> Any:
    """A binary classifier with ``predict_proba``, from the [model] section."""
    class_weight = "balanced" if cfg.class_weight == "balanced" else None
    if cfg.kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=cfg.C, class_weight=class_weight, max_iter=cfg.max_iter, solver="liblinear", random_state=seed)
    if cfg.kind == "linear_svm":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=cfg.C, class_weight=class_weight, max_iter=cfg.max_iter, random_state=seed)
        return CalibratedClassifierCV(svm, cv=cfg.calibration_folds, method="sigmoid")
    if cfg.kind == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(
            loss="log_loss", alpha=cfg.alpha, class_weight=class_weight, max_iter=cfg.max_iter, tol=1e-4, random_state=seed
        )
    raise ValueError(f"unknown model kind {cfg.kind!r}")  # config validation makes this unreachable


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label sentence classifier: ``fit(texts, Y)`` with Y a 0/1 matrix, one column per label."""

    def __init__(
        self,
        features: TextFeatures | None = None,
        classifier: Any = None,
        labels: Sequence[str] | None = None,
        threshold: float = 0.5,
        n_jobs: int | None = None,
        clause_max: bool = False,
    ) -> None:
        self.features = features
        self.classifier = classifier
        self.labels = labels
        self.threshold = threshold
        self.n_jobs = n_jobs
        self.clause_max = clause_max

    def fit(self, X: Sequence[str], Y: np.ndarray) -> StanceClassifier:
        from sklearn.linear_model import LogisticRegression

        X = list(X)
        Y = np.asarray(Y)
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-d 0/1 matrix (n_samples, n_labels)")
        self.features_ = clone(self.features if self.features is not None else TextFeatures())
        base = clone(self.classifier if self.classifier is not None else LogisticRegression(class_weight="balanced"))
        self.ovr_ = OneVsRestClassifier(base, n_jobs=self.n_jobs)
        self.ovr_.fit(self.features_.fit_transform(X), Y)
        self.labels_ = list(self.labels) if self.labels is not None else [str(j) for j in range(Y.shape[1])]
        self.classes_ = np.arange(Y.shape[1])
        self.thresholds_ = np.full(Y.shape[1], float(self.threshold))
        return self

    def transform_features(self, X: Sequence[str]) -> Any:
        return self.features_.transform(list(X))

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        X = list(X)
        return self.proba_with_features(X, self.transform_features(X))

    def proba_from_features(self, F: Any) -> np.ndarray:
        """Sentence-level probabilities from a feature matrix (no clause pooling)."""
        return np.asarray(self.ovr_.predict_proba(F), dtype=np.float64)

    def proba_with_features(self, X: Sequence[str], F: Any) -> np.ndarray:
        """Probabilities for texts whose features are already computed, with clause pooling if set."""
        P = self.proba_from_features(F)
        if getattr(self, "clause_max", False):
            owners, clauses = [], []
            for i, text in enumerate(X):
                parts = split_clauses(text)
                if len(parts) > 1:
                    owners += [i] * len(parts)
                    clauses += parts
            if clauses:
                Pc = self.proba_from_features(self.transform_features(clauses))
                np.maximum.at(P, np.array(owners), Pc)
        return P

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(np.uint8)

    def score(self, X: Sequence[str], Y: np.ndarray, sample_weight: Any = None) -> float:
        """Macro-F1 (the default metric for searches and cross-validation)."""
        from sklearn.metrics import f1_score

        return float(f1_score(Y, self.predict(X), average="macro", zero_division=0))

    # -----------------------------------------------------------------------------------------
    def tune_thresholds(
        self, X: Sequence[str], Y: np.ndarray, none_rate: float = 0.0, lo: float = 0.05, hi: float = 0.95
    ) -> StanceClassifier:
        """Per-label thresholds maximising F1 on held-out data, with unlabelled rows re-weighted so
        that they make up ``none_rate`` of the data (see :func:`base_rate_weights`)."""
        P = self.predict_proba(X)
        w = base_rate_weights(np.asarray(Y), none_rate)
        self.thresholds_ = np.array([best_f1_threshold(P[:, j], np.asarray(Y)[:, j], w, lo, hi) for j in range(P.shape[1])])
        return self

    # -----------------------------------------------------------------------------------------
    def coefficients(self) -> np.ndarray:
        """(n_labels, n_features) linear weights, averaged over calibration folds where needed."""
        rows = []
        for est in self.ovr_.estimators_:
            if hasattr(est, "coef_"):
                rows.append(np.ravel(est.coef_))
            elif hasattr(est, "calibrated_classifiers_"):
                rows.append(np.mean([np.ravel(c.estimator.coef_) for c in est.calibrated_classifiers_], axis=0))
            else:  # a constant predictor (label absent in training)
                rows.append(np.zeros(self.features_.offsets_[-1]))
        return np.vstack(rows)

    def evidence(
        self, texts: Sequence[str], F: Any = None, top_k: int = 5, only: np.ndarray | None = None
    ) -> list[dict[str, list[list[Any]]]]:
        """For each text and label: the terms whose weight x value pushed the score up most, as
        [term, contribution]. ``only`` (n_texts, n_labels) bool restricts which labels are explained.

        Columns are mapped to terms through the fitted vocabularies once per model; hashed n-grams,
        which cannot be mapped back without the sentence, are found by re-analysing each sentence.
        The same string from two parts (word "this", stem "this") is added up.
        """
        if F is None:
            F = self.transform_features(texts)
        cache = getattr(self, "_evidence_cache", None)
        if cache is None:
            names = self.features_.column_names()
            shared = None
            if names is not None:
                seen: dict[str, int] = {}
                for n in names:
                    if n is not None:
                        seen[n] = seen.get(n, 0) + 1
                shared = np.array([n is not None and seen[n] > 1 for n in names], dtype=bool)
            cache = self._evidence_cache = (self.coefficients(), names, shared)
        W, names, shared = cache
        F = F.tocsr()
        out = []
        for i, text in enumerate(texts):
            a, b = F.indptr[i], F.indptr[i + 1]
            cols, vals = F.indices[a:b], F.data[a:b]
            if names is not None:
                term_of = [names[c] for c in cols.tolist()]
                merge = bool(shared[cols].any())
            else:
                terms = self.features_.column_terms(text)
                term_of = [terms.get(c) for c in cols.tolist()]
                merge = True
            per_label: dict[str, list[list[Any]]] = {}
            for j, label in enumerate(self.labels_):
                if only is not None and not only[i, j]:
                    continue
                contrib = vals * W[j, cols]
                keep = [k for k in np.flatnonzero(contrib > 0).tolist() if term_of[k] is not None]
                if not merge:
                    keep.sort(key=lambda k: -contrib[k])
                    per_label[label] = [[term_of[k], round(float(contrib[k]), 4)] for k in keep[:top_k]]
                    continue
                by_term: dict[str, float] = {}
                for k in keep:
                    by_term[term_of[k]] = by_term.get(term_of[k], 0.0) + float(contrib[k])
                ranked = sorted(by_term.items(), key=lambda kv: -kv[1])[:top_k]
                per_label[label] = [[term, round(value, 4)] for term, value in ranked]
            out.append(per_label)
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_evidence_cache", None)
        return state


_CLAUSE_RX = re.compile(r"\s*(?:;|:|\s[—–-]{1,2}\s|—)\s*")


def split_clauses(text: str) -> list[str]:
    """Clauses of a compound sentence, split at semicolons, colons and dashes; each at least 4 words."""
    parts = [p for p in _CLAUSE_RX.split(text) if len(p.split()) >= 4]
    return parts if len(parts) > 1 else [text]


def base_rate_weights(Y: np.ndarray, none_rate: float) -> np.ndarray:
    """Sample weights that raise the share of rows with no label to ``none_rate``.

    Dev splits are built with far more positives than real news carries; thresholds chosen there
    flood real articles with false alarms. Up-weighting unlabelled rows simulates the realistic base
    rate. Never down-weights (a dev split that is already realistic is left as it is).
    """
    none = Y.sum(axis=1) == 0
    w = np.ones(len(Y))
    n_none, n_pos = int(none.sum()), int((~none).sum())
    if none_rate > 0 and n_none and n_pos:
        factor = none_rate / (1 - none_rate) * n_pos / n_none
        if factor > 1:
            w[none] = factor
    return w


def best_f1_threshold(p: np.ndarray, y: np.ndarray, w: np.ndarray, lo: float = 0.05, hi: float = 0.95) -> float:
    """The threshold maximising weighted F1; midway between neighbouring scores, clipped to [lo, hi]."""
    if y.sum() == 0:
        return hi
    order = np.argsort(-p, kind="stable")
    ps, ys, ws = p[order], y[order], w[order]
    tp = np.cumsum(ws * ys)
    fp = np.cumsum(ws * (1 - ys))
    total_pos = float((ws * ys).sum())
    f1 = 2 * tp / (tp + fp + total_pos)
    # only cut between distinct scores
    valid = np.r_[ps[1:] < ps[:-1], True]
    f1 = np.where(valid, f1, -1)
    k = int(np.argmax(f1))
    nxt = ps[k + 1] if k + 1 < len(ps) else 0.0
    thr = (ps[k] + nxt) / 2
    return float(np.clip(thr, lo, hi))


def build_model(cfg: Config, n_jobs: int | None = None) -> StanceClassifier:
    return StanceClassifier(
        features=build_features(cfg.features),
        classifier=build_classifier(cfg.model, cfg.seed),
        labels=cfg.labels,
        threshold=cfg.thresholds.fixed,
        n_jobs=n_jobs,
        clause_max=cfg.model.clause_max,
    )
